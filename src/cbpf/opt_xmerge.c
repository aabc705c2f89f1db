/* opt_xmerge.c — merge a region into an equal one that reads the packet
 * through X: libpcap's code for "port 7" checks the IPv6 ports with
 * `ldh [54]; ... ldh [56]` and the IPv4 ones with `ldh [x + 14]; ...
 * ldh [x + 16]` (X = IP header length); everything else is the same.  With
 * `ldx #40` in front, the first region computes exactly what the second
 * does, so it becomes that one instruction and a goto to the second.
 *
 * Two regions match with offset c when their blocks correspond one to one:
 * same instructions, jumps and returns, except absolute loads [k] on one
 * side against indexed loads [x + k - c] of the same size on the other; the
 * first side neither reads nor writes X, the second only reads it in those
 * loads; both end in the same blocks, where X is not read.  [k] and
 * [x + k - c] with X = c read the same bytes and fail on the same short
 * packets (k < 2^31: no sums wrap, Linux sees no negative offset).  The
 * first region's inner blocks must have no other way in (so they go away),
 * and the second must come later (jumps stay forward).
 */
#include <string.h>

#include "opt_int.h"

#define MAX_DEPTH 16
#define NONE UINT64_MAX

struct xm {
	const struct opt *o;
	uint64_t c; /* the offset, NONE until a load pair fixes it */
	size_t size; /* instructions of the first region */
};

static int touches_x(uint16_t code, uint32_t k)
{
	uint32_t u, d;
	int f;
	bpftk_opt_uses(code, k, &u, &d, &f);
	return ((u | d) >> OPT_RX) & 1;
}

static int same_stmt(struct xm *m, const struct opt_stmt *a,
		     const struct opt_stmt *b)
{
	if (a->code == b->code && a->k == b->k)
		return !touches_x(a->code, a->k);
	if (BPF_CLASS(a->code) != BPF_LD || BPF_MODE(a->code) != BPF_ABS ||
	    b->code != (uint16_t)(BPF_LD | BPF_SIZE(a->code) | BPF_IND) ||
	    a->k >= 0x80000000u || b->k > a->k)
		return 0;
	uint64_t c = a->k - b->k;
	if (m->c == NONE)
		m->c = c;
	return m->c == c;
}

/* Block i against block j from its instruction `from` on (the root may
 * match the tail of a longer block: the part before sets X, typically). */
static int match(struct xm *m, size_t i, size_t j, size_t from, int depth)
{
	const struct opt *o = m->o;
	if (i == j) /* a shared exit */
		return !((o->b[i].livein >> OPT_RX) & 1);
	const struct opt_block *a = &o->b[i], *b = &o->b[j];
	if (depth > MAX_DEPTH || (depth && a->npred != 1) || j < i ||
	    a->term != b->term || a->ns != b->ns - from)
		return 0;
	if (a->term != OPT_T_GOTO && (a->code != b->code || a->k != b->k))
		return 0;
	if (a->term == OPT_T_COND && BPF_SRC(a->code) == BPF_X)
		return 0;
	for (size_t s = 0; s < a->ns; s++)
		if (!same_stmt(m, &a->s[s], &b->s[from + s]))
			return 0;
	m->size += a->ns + 1;
	if (a->term == OPT_T_RET)
		return 1;
	if (!match(m, a->jt, b->jt, 0, depth + 1))
		return 0;
	return a->term != OPT_T_COND || match(m, a->jf, b->jf, 0, depth + 1);
}

/* b->s has room for at least one instruction after opt_cfg (a block with
 * none has cap 0): grow it by hand. */
static int set_ldx(struct opt_block *b, uint32_t c)
{
	if (!b->cap) {
		struct opt_stmt *s = bpftk_malloc(sizeof(*s));
		if (!s)
			return -1;
		b->s = s;
		b->cap = 1;
	}
	b->s[0].code = BPF_LDX | BPF_W | BPF_IMM;
	b->s[0].k = c;
	b->s[0].safe = 1;
	b->ns = 1;
	return 0;
}

/* Block j keeps its first `at` instructions and goes on to a new block
 * j + 1 holding the rest and its jump; later blocks shift up by one. */
static int split(struct opt *o, size_t j, size_t at)
{
	bpftk_opt_vn_free(o); /* sized for the old block count */
	struct opt_block *nb = bpftk_realloc(o->b, (o->nb + 1) * sizeof(*nb));
	if (!nb)
		return -1;
	o->b = nb;
	struct opt_stmt *rest = bpftk_malloc((nb[j].ns - at) * sizeof(*rest));
	if (!rest)
		return -1;
	memmove(&nb[j + 2], &nb[j + 1], (o->nb - j - 1) * sizeof(*nb));
	o->nb++;
	for (size_t i = 0; i < o->nb; i++) {
		if (i == j + 1 || nb[i].term == OPT_T_RET)
			continue;
		nb[i].jt += nb[i].jt > j;
		nb[i].jf += nb[i].term == OPT_T_COND && nb[i].jf > j;
	}
	struct opt_block *t = &nb[j + 1];
	*t = nb[j];
	memcpy(rest, &nb[j].s[at], (nb[j].ns - at) * sizeof(*rest));
	t->s = rest;
	t->ns = t->cap = nb[j].ns - at;
	t->npred = 1;
	t->livein = (1u << OPT_NREG) - 1; /* unknown until opt_dce: say all */
	nb[j].ns = at;
	nb[j].term = OPT_T_GOTO;
	nb[j].jt = j + 1;
	return 0;
}

int bpftk_opt_xmerge(struct opt *o)
{
	/* pairs of blocks: keep it cheap on huge input (and at most one split
	 * per block keeps the count under BPFTK_CBPF_MAXINSNS) */
	if (o->nb > 1024)
		return 0;
	for (size_t i = 0; i < o->nb; i++) {
		if (!o->b[i].live || !o->b[i].ns)
			continue;
		for (size_t j = i + 1; j < o->nb; j++) {
			struct xm m = {o, NONE, 0};
			size_t from = o->b[j].ns >= o->b[i].ns
					      ? o->b[j].ns - o->b[i].ns
					      : 0;
			if (!o->b[j].live || !match(&m, i, j, from, 0) ||
			    m.c == NONE || m.size < 2)
				continue;
			if (from) {
				if (split(o, j, from) < 0)
					return -1;
				j++;
			}
			if (set_ldx(&o->b[i], (uint32_t)m.c) < 0)
				return -1;
			o->b[i].term = OPT_T_GOTO;
			o->b[i].jt = j;
			o->changed = 1;
			break;
		}
	}
	return 0;
}
