/* emit.c — the code buffer of the seccomp compiler.
 *
 * Instructions are kept symbolic until the end: a jump names labels, not
 * offsets, and every label is placed after all jumps to it (all jumps are
 * forward, as classic BPF demands).  Because targets are known when a label
 * is placed, the buffer also knows what the accumulator holds there (the
 * same seccomp_data word on every incoming edge, or unknown) and drops
 * reloads of a word A already holds.
 *
 * finish() first tidies (jumps through `ja` threaded, unreachable code
 * dropped), then turns labels into offsets.  Conditional jumps reach at most 255
 * instructions ahead; a farther target is reached through an equivalent
 * instruction already in reach (the same `ret`, a `ja` to it), or else a
 * trampoline right after the jump: a copy of the target when that is a
 * `ret` or `ja` (no extra step at run time), else a `ja` (32-bit offset).  Insertions lengthen jumps that
 * span them, so this repeats until nothing changes; it ends because each
 * pass only adds trampolines and every jump gets at most two.
 */
#include <errno.h>
#include <string.h>

#include "sc_emit.h"

/* What A holds: a seccomp_data word ANDed with a mask, as
 * (mask << 8 | offset), or one of these. */
enum { ACC_DEAD = -2, ACC_UNKNOWN = -1 };
typedef long long acc_t;

struct sym {
	uint16_t code;
	uint32_t k;
	int lt, lf; /* labels; ja uses lt */
};

struct retlab {
	uint32_t k;
	int label;
};

struct sc_emit {
	struct sym *v;
	size_t n, cap;
	long *pos;    /* per label: index of the instruction it precedes, -1 */
	acc_t *in_acc; /* per label: accumulator state on incoming jumps */
	size_t nlab, labcap;
	struct retlab *rets;
	size_t nrets, retcap;
	acc_t acc;  /* what A holds */
	int failed; /* -ENOMEM or -EINVAL, sticky */
};

static acc_t merge(acc_t a, acc_t b)
{
	if (a == ACC_DEAD)
		return b;
	if (b == ACC_DEAD || a == b)
		return a;
	return ACC_UNKNOWN;
}

static int grow(struct sc_emit *e, void *pp, size_t *cap, size_t need,
		size_t elem)
{
	if (sc_grow(pp, cap, need, elem) == 0)
		return 0;
	e->failed = -ENOMEM;
	return -1;
}

struct sc_emit *sc_emit_new(void)
{
	struct sc_emit *e = bpftk_calloc(1, sizeof(*e));
	if (e)
		e->acc = ACC_UNKNOWN;
	return e;
}

void sc_emit_free(struct sc_emit *e)
{
	if (!e)
		return;
	bpftk_free(e->v);
	bpftk_free(e->pos);
	bpftk_free(e->in_acc);
	bpftk_free(e->rets);
	bpftk_free(e);
}

int sc_label(struct sc_emit *e)
{
	size_t cap = e->labcap;
	if (e->failed ||
	    grow(e, &e->pos, &cap, e->nlab + 1, sizeof(*e->pos)) ||
	    grow(e, &e->in_acc, &e->labcap, e->nlab + 1,
		 sizeof(*e->in_acc)))
		return 0; /* any valid id: the failure is sticky */
	e->pos[e->nlab] = -1;
	e->in_acc[e->nlab] = ACC_DEAD;
	return (int)e->nlab++;
}

int sc_ret_label(struct sc_emit *e, uint32_t k)
{
	for (size_t i = 0; i < e->nrets; i++)
		if (e->rets[i].k == k)
			return e->rets[i].label;
	int l = sc_label(e);
	if (e->failed || grow(e, &e->rets, &e->retcap, e->nrets + 1,
			      sizeof(*e->rets)))
		return 0;
	e->rets[e->nrets].k = k;
	e->rets[e->nrets++].label = l;
	return l;
}

static void use(struct sc_emit *e, int l)
{
	if (e->failed)
		return;
	if (l < 0 || (size_t)l >= e->nlab || e->pos[l] >= 0) {
		e->failed = -EINVAL; /* backward jump: a compiler bug */
		return;
	}
	/* a jump from unreachable code still needs its label placed */
	e->in_acc[l] = merge(e->in_acc[l],
			     e->acc == ACC_DEAD ? ACC_UNKNOWN : e->acc);
}

void sc_place(struct sc_emit *e, int l)
{
	if (e->failed)
		return;
	if (l < 0 || (size_t)l >= e->nlab || e->pos[l] >= 0) {
		e->failed = -EINVAL;
		return;
	}
	e->pos[l] = (long)e->n;
	e->acc = merge(e->acc, e->in_acc[l]);
}

static void put(struct sc_emit *e, uint16_t code, uint32_t k, int lt, int lf)
{
	if (e->failed ||
	    grow(e, &e->v, &e->cap, e->n + 1, sizeof(*e->v)))
		return;
	e->v[e->n++] = (struct sym){code, k, lt, lf};
}

void sc_ld(struct sc_emit *e, uint32_t off, uint32_t mask)
{
	acc_t want = (acc_t)mask << 8 | off;
	if (e->acc == want)
		return;
	if (e->acc != ((acc_t)UINT32_MAX << 8 | off))
		put(e, CB_LD_W_ABS, off, -1, -1);
	if (mask != UINT32_MAX)
		put(e, CB_ALU_AND_K, mask, -1, -1);
	e->acc = want;
}

void sc_ja(struct sc_emit *e, int l)
{
	use(e, l);
	put(e, CB_JA, 0, l, -1);
	e->acc = ACC_DEAD;
}

void sc_jmp(struct sc_emit *e, uint16_t op, uint32_t k, int lt, int lf)
{
	if (lt == lf) {
		sc_ja(e, lt);
		return;
	}
	use(e, lt);
	use(e, lf);
	put(e, op, k, lt, lf);
	e->acc = ACC_DEAD;
}

static int is_cond(uint16_t code)
{
	return code == CB_JEQ_K || code == CB_JGT_K || code == CB_JGE_K;
}

/* Removes (insert = 0) or opens (insert = 1) the slot at index j, moving
 * the labels behind it. */
static int shift(struct sc_emit *e, size_t j, int insert)
{
	if (insert) {
		if (grow(e, &e->v, &e->cap, e->n + 1, sizeof(*e->v)))
			return -1;
		memmove(&e->v[j + 1], &e->v[j], (e->n - j) * sizeof(*e->v));
		e->n++;
	} else {
		memmove(&e->v[j], &e->v[j + 1], (e->n - j - 1) * sizeof(*e->v));
		e->n--;
	}
	for (size_t l = 0; l < e->nlab; l++)
		if (e->pos[l] > (long)j || (insert && e->pos[l] == (long)j))
			e->pos[l] += insert ? 1 : -1;
	return 0;
}

static long dist(const struct sc_emit *e, size_t j, int l)
{
	return e->pos[l] - (long)j - 1;
}

/* Gives jump j a nearby trampoline for its true (which = 0) or false
 * target. */
static int trampoline(struct sc_emit *e, size_t j, int which)
{
	int l = which ? e->v[j].lf : e->v[j].lt, nl = sc_label(e);
	if (e->failed)
		return -1;
	/* an equivalent instruction already in reach will do */
	const struct sym *want = &e->v[e->pos[l]];
	for (size_t x = j + 1; x < e->n && x <= j + 256; x++) {
		const struct sym *y = &e->v[x];
		if ((want->code == CB_RET_K && y->code == CB_RET_K &&
		     y->k == want->k) ||
		    (want->code == CB_JA && y->code == CB_JA &&
		     y->lt == want->lt) ||
		    (y->code == CB_JA && y->lt == l)) {
			e->pos[nl] = (long)x;
			if (which)
				e->v[j].lf = nl;
			else
				e->v[j].lt = nl;
			return 0;
		}
	}
	if (shift(e, j + 1, 1))
		return -1;
	/* the new slot is j + 1; labels at j + 1 moved behind it */
	const struct sym *t = &e->v[e->pos[l]];
	if (t->code == CB_RET_K || t->code == CB_JA)
		e->v[j + 1] = *t;
	else
		e->v[j + 1] = (struct sym){CB_JA, 0, l, -1};
	e->pos[nl] = (long)j + 1;
	if (which)
		e->v[j].lf = nl;
	else
		e->v[j].lt = nl;
	return 0;
}

/* Keeps the instructions with keep[j] set; labels of a dropped one move
 * to the next kept instruction. */
static int compact(struct sc_emit *e, const unsigned char *keep)
{
	long *at = bpftk_calloc(e->n + 1, sizeof(*at));
	size_t m = 0;
	if (!at)
		return -1;
	for (size_t j = 0; j < e->n; j++) {
		at[j] = (long)m;
		if (keep[j])
			e->v[m++] = e->v[j];
	}
	at[e->n] = (long)m;
	for (size_t l = 0; l < e->nlab; l++)
		if (e->pos[l] >= 0)
			e->pos[l] = at[e->pos[l]];
	e->n = m;
	bpftk_free(at);
	return 0;
}

/* Jumps to a `ja` go to its target; a conditional jump whose two targets
 * meet becomes a `ja`; a `ja` to the next instruction and code no path
 * reaches go.  Repeats until nothing changes. */
static int tidy(struct sc_emit *e)
{
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t j = 0; j < e->n; j++) {
			struct sym *s = &e->v[j];
			if (s->code != CB_JA && !is_cond(s->code))
				continue;
			for (int w = 0; w < (is_cond(s->code) ? 2 : 1); w++) {
				int *l = w ? &s->lf : &s->lt;
				while (e->v[e->pos[*l]].code == CB_JA) {
					*l = e->v[e->pos[*l]].lt;
					changed = 1;
				}
			}
			if (is_cond(s->code) && e->pos[s->lt] == e->pos[s->lf]) {
				*s = (struct sym){CB_JA, 0, s->lt, -1};
				changed = 1;
			}
		}
		unsigned char *keep = bpftk_calloc(e->n + 1, 1);
		int drop = 0;
		if (!keep)
			return -1;
		keep[0] = 1;
		for (size_t j = 0; j < e->n; j++) {
			const struct sym *s = &e->v[j];
			if (!keep[j]) {
				drop = 1;
				continue;
			}
			if (s->code == CB_JA) {
				keep[e->pos[s->lt]] = 1;
				if (dist(e, j, s->lt) == 0) {
					keep[j] = 0;
					drop = 1;
				}
			} else if (is_cond(s->code)) {
				keep[e->pos[s->lt]] = 1;
				keep[e->pos[s->lf]] = 1;
			} else if (s->code != CB_RET_K) {
				keep[j + 1] = 1;
			}
		}
		if (drop && compact(e, keep)) {
			bpftk_free(keep);
			return -1;
		}
		bpftk_free(keep);
		changed |= drop;
	}
	return 0;
}

int sc_emit_finish(struct sc_emit *e, struct bpftk_cbpf_insn **out, size_t *n)
{
	for (size_t i = 0; i < e->nrets; i++) {
		if (e->in_acc[e->rets[i].label] == ACC_DEAD)
			continue; /* never jumped to */
		sc_place(e, e->rets[i].label);
		put(e, CB_RET_K, e->rets[i].k, -1, -1);
	}
	for (size_t l = 0; !e->failed && l < e->nlab; l++)
		if (e->in_acc[l] != ACC_DEAD &&
		    (e->pos[l] < 0 || e->pos[l] >= (long)e->n))
			e->failed = -EINVAL; /* a target never placed */
	if (e->failed)
		return e->failed;
	if (tidy(e))
		return -ENOMEM;
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t j = 0; j < e->n; j++) {
			if (!is_cond(e->v[j].code))
				continue;
			if (dist(e, j, e->v[j].lt) > 255) {
				if (trampoline(e, j, 0))
					return e->failed ? e->failed : -ENOMEM;
				changed = 1;
			}
			if (dist(e, j, e->v[j].lf) > 255) {
				if (trampoline(e, j, 1))
					return e->failed ? e->failed : -ENOMEM;
				changed = 1;
			}
		}
		if (e->n > BPFTK_CBPF_MAXINSNS)
			return -E2BIG;
	}
	struct bpftk_cbpf_insn *p = bpftk_calloc(e->n ? e->n : 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t j = 0; j < e->n; j++) {
		const struct sym *s = &e->v[j];
		p[j].code = s->code;
		p[j].k = s->k;
		if (s->code == CB_JA)
			p[j].k = (uint32_t)dist(e, j, s->lt);
		else if (is_cond(s->code)) {
			p[j].jt = (uint8_t)dist(e, j, s->lt);
			p[j].jf = (uint8_t)dist(e, j, s->lf);
		}
	}
	*out = p;
	*n = e->n;
	return 0;
}
