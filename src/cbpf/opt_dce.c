/* opt_dce.c — dead code: liveness of A, X and M[] (backwards over the
 * DAG: the successors of a block have higher indices), removal of
 * instructions whose result nothing reads, and of regions whose outcome is
 * already fixed.
 *
 * An instruction that may end the program with 0 (a packet load, a
 * division by X) is only removed when value numbering marked it safe, or
 * when every return reachable from its block is `ret #0`: ending early
 * returns 0 too.  A block from which every path returns the same constant
 * and nothing on the way can end early becomes that return.
 */
#include "opt_int.h"

#define ALL_REGS ((1u << OPT_NREG) - 1)

static uint32_t term_uses(const struct opt_block *b)
{
	if (b->term == OPT_T_RET)
		return BPF_RVAL(b->code) == BPF_A ? 1u << OPT_RA : 0;
	if (b->term == OPT_T_COND)
		return 1u << OPT_RA |
		       (BPF_SRC(b->code) == BPF_X ? 1u << OPT_RX : 0);
	return 0;
}

/* Per block: the one constant every path returns (rv, with uniform set),
 * and whether some instruction on the way may end the program early. */
struct outcome {
	int uniform;
	int faults;
	uint32_t rv;
	uint32_t ant; /* every path to a non-zero return checks caplen >= ant */
};

static struct outcome join(struct outcome a, struct outcome b)
{
	struct outcome r;
	r.uniform = a.uniform && b.uniform && a.rv == b.rv;
	r.rv = a.rv;
	r.faults = a.faults || b.faults;
	r.ant = a.ant < b.ant ? a.ant : b.ant;
	return r;
}

static int block_faults(const struct opt_block *b)
{
	for (size_t j = 0; j < b->ns; j++) {
		uint32_t u, d;
		int f;
		bpftk_opt_uses(b->s[j].code, b->s[j].k, &u, &d, &f);
		if (f && !b->s[j].safe)
			return 1;
	}
	return 0;
}

/* The caplen an absolute load needs (0: not such a load).  A load kept only
 * for its bounds check can go when a later one on every path to a non-zero
 * return checks as much: ending early returns 0 either way. */
static uint32_t bound(const struct opt_stmt *st)
{
	uint16_t c = st->code;
	if (st->k >= 0x80000000u)
		return 0;
	if (BPF_CLASS(c) == BPF_LDX && BPF_MODE(c) == BPF_MSH)
		return st->k + 1;
	if (BPF_CLASS(c) != BPF_LD || BPF_MODE(c) != BPF_ABS)
		return 0;
	return st->k + (BPF_SIZE(c) == BPF_W ? 4 : BPF_SIZE(c) == BPF_H ? 2 : 1);
}

static void walk(struct opt *o, int remove)
{
	struct outcome oc[BPFTK_CBPF_MAXINSNS];
	for (size_t i = o->nb; i-- > 0;) {
		struct opt_block *b = &o->b[i];
		if (!b->live)
			continue;
		uint32_t live = term_uses(b);
		struct outcome r = {0, 0, 0, 0};
		if (b->term == OPT_T_RET) {
			r.uniform = BPF_RVAL(b->code) == BPF_K;
			r.rv = b->k;
			r.ant = r.uniform && !r.rv ? UINT32_MAX : 0;
		} else {
			live |= o->b[b->jt].livein;
			r = oc[b->jt];
			if (b->term == OPT_T_COND) {
				live |= o->b[b->jf].livein;
				r = join(r, oc[b->jf]);
			}
		}
		if (remove && b->term != OPT_T_RET && r.uniform &&
		    (r.rv == 0 || (!r.faults && !block_faults(b)))) {
			/* every way on returns r.rv */
			b->ns = 0;
			b->term = OPT_T_RET;
			b->code = BPF_RET | BPF_K;
			b->k = r.rv;
			b->livein = 0;
			r.faults = 0;
			r.ant = r.rv ? 0 : UINT32_MAX;
			oc[i] = r;
			o->changed = 1;
			continue;
		}
		int zero_only = r.uniform && r.rv == 0;
		size_t n = b->ns;
		size_t keep = n;
		/* backwards, compacting kept instructions towards the end */
		for (size_t j = n; j-- > 0;) {
			uint32_t u, d;
			int f;
			struct opt_stmt st = b->s[j];
			bpftk_opt_uses(st.code, st.k, &u, &d, &f);
			uint32_t end = bound(&st);
			if (remove && !(d & live) &&
			    (!f || st.safe || zero_only ||
			     (end && end <= r.ant))) {
				o->changed = 1;
				if (f && !st.safe && !zero_only) {
					/* the later load covering it may have
					 * been marked safe thanks to it */
					o->ant_removed = 1;
					r.faults = 1;
				}
				continue;
			}
			if (end > r.ant)
				r.ant = end;
			live = (live & ~d) | u;
			b->s[--keep] = st;
			if (f && !st.safe)
				r.faults = 1;
		}
		if (keep) {
			for (size_t j = keep; j < n; j++)
				b->s[j - keep] = b->s[j];
		}
		b->ns = n - keep;
		b->livein = live & ALL_REGS;
		oc[i] = r;
	}
}

void bpftk_opt_live(struct opt *o)
{
	walk(o, 0);
}

void bpftk_opt_dce(struct opt *o)
{
	walk(o, 1);
}
