/* opt_peep.c — folds the ALU instruction that ends a block into the block's
 * conditional jump when nothing after the jump reads A:
 *   add/sub/xor #c; jeq #k     ->  jeq #(k - c / k + c / k ^ c)
 *   sub/xor x; jeq #0          ->  jeq x
 *   and #m; jset #k            ->  jset #(m & k)
 *   and #m; jeq #0             ->  jset #m with the targets swapped
 *   and #m; jeq #m, jgt #0     ->  jset #m (m a single bit / any m)
 * Needs the liveness opt_dce just computed.
 */
#include "opt_int.h"

static int fold(struct opt_block *b, const struct opt_stmt *s)
{
	uint32_t op = BPF_OP(b->code), aop = BPF_OP(s->code), m = s->k;
	if (BPF_SRC(b->code) != BPF_K)
		return 0;
	if (BPF_SRC(s->code) == BPF_X) {
		if (op == BPF_JEQ && b->k == 0 &&
		    (aop == BPF_SUB || aop == BPF_XOR)) {
			b->code = BPF_JMP | BPF_JEQ | BPF_X;
			return 1;
		}
		return 0;
	}
	if (op == BPF_JEQ && aop == BPF_ADD) {
		b->k -= m;
		return 1;
	}
	if (op == BPF_JEQ && aop == BPF_SUB) {
		b->k += m;
		return 1;
	}
	if (op == BPF_JEQ && aop == BPF_XOR) {
		b->k ^= m;
		return 1;
	}
	if (aop != BPF_AND)
		return 0;
	if (op == BPF_JSET) {
		b->k &= m;
		return 1;
	}
	if (op == BPF_JEQ && b->k == 0) {
		size_t t = b->jt;
		b->jt = b->jf;
		b->jf = t;
	} else if (!((op == BPF_JEQ && b->k == m && m && !(m & (m - 1))) ||
		     (op == BPF_JGT && b->k == 0))) {
		return 0;
	}
	b->code = BPF_JMP | BPF_JSET | BPF_K;
	b->k = m;
	return 1;
}

void bpftk_opt_peep(struct opt *o)
{
	for (size_t i = 0; i < o->nb; i++) {
		struct opt_block *b = &o->b[i];
		if (!b->live || b->term != OPT_T_COND || !b->ns)
			continue;
		const struct opt_stmt *s = &b->s[b->ns - 1];
		if (BPF_CLASS(s->code) != BPF_ALU || BPF_OP(s->code) == BPF_NEG)
			continue;
		if ((o->b[b->jt].livein | o->b[b->jf].livein) & 1u << OPT_RA)
			continue;
		if (fold(b, s)) {
			b->ns--;
			o->changed = 1;
		}
	}
}
