/* opt_cfg.c — the optimizer's blocks: cut a classic program at jump targets
 * and after jumps and returns, one block per piece (in program order, so
 * every edge goes forward), and the per-instruction register effects every
 * pass reads.
 *
 * The input is checked only as far as building needs (opcode classes,
 * jump targets inside the program, no falling off the end, scratch indices
 * below 16); flavour rules are bpftk_cbpf_validate's business.
 */
#include <errno.h>
#include <string.h>

#include "opt_int.h"

void bpftk_opt_uses(uint16_t code, uint32_t k, uint32_t *use, uint32_t *def,
		    int *may_fault)
{
	const struct bpftk_cbpf_opinfo *in = bpftk_cbpf_info(code);
	unsigned f = in ? in->flags : 0;
	uint32_t m = 1u << OPT_RM(k & 15);
	uint32_t u = 0, w = 0;

	u |= f & BPFTK_CBPF_F_RA ? 1u << OPT_RA : 0;
	u |= f & BPFTK_CBPF_F_RX ? 1u << OPT_RX : 0;
	u |= f & BPFTK_CBPF_F_RM ? m : 0;
	w |= f & BPFTK_CBPF_F_WA ? 1u << OPT_RA : 0;
	w |= f & BPFTK_CBPF_F_WX ? 1u << OPT_RX : 0;
	w |= f & BPFTK_CBPF_F_WM ? m : 0;
	/* Linux ancillary loads may read both (ALU_XOR_X, NLATTR) */
	if ((f & BPFTK_CBPF_F_PK) && BPF_MODE(code) == BPF_ABS &&
	    k >= BPFTK_SKF_AD_OFF)
		u |= 1u << OPT_RA | 1u << OPT_RX;
	/* ends the program early: a packet load, a division by zero (X, or
	 * a constant zero the validator would have refused) */
	const struct bpftk_cbpf_opinfo *kform =
		bpftk_cbpf_info((uint16_t)(code & ~BPF_X));
	int div = kform && (kform->flags & BPFTK_CBPF_F_KNZ) &&
		  ((f & BPFTK_CBPF_F_RX) || k == 0);
	*use = u;
	*def = w;
	*may_fault = (f & BPFTK_CBPF_F_PK) || div;
}

static int bad(struct bpftk_diags *d, size_t pc, const char *what)
{
	bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, (long)pc,
			"cbpf optimize: %s", what);
	return -EINVAL;
}

static int check(const struct bpftk_cbpf_insn *prog, size_t n,
		 struct bpftk_diags *d)
{
	if (n == 0 || n > BPFTK_CBPF_MAXINSNS)
		return bad(d, 0, "program length must be 1..4096");
	for (size_t pc = 0; pc < n; pc++) {
		uint16_t c = prog[pc].code;
		uint32_t k = prog[pc].k;
		switch (BPF_CLASS(c)) {
		case BPF_JMP:
			if (BPF_OP(c) == BPF_JA) {
				if (k >= n - pc - 1)
					return bad(d, pc, "ja target outside the program");
			} else if (BPF_OP(c) != BPF_JEQ && BPF_OP(c) != BPF_JGT &&
				   BPF_OP(c) != BPF_JGE && BPF_OP(c) != BPF_JSET) {
				return bad(d, pc, "unknown jump");
			} else if ((size_t)prog[pc].jt >= n - pc - 1 ||
				   (size_t)prog[pc].jf >= n - pc - 1) {
				return bad(d, pc, "jump target outside the program");
			}
			break;
		case BPF_RET:
			break;
		case BPF_LD:
		case BPF_LDX:
		case BPF_ST:
		case BPF_STX:
			if ((BPF_MODE(c) == BPF_MEM || BPF_CLASS(c) == BPF_ST ||
			     BPF_CLASS(c) == BPF_STX) &&
			    k >= BPF_MEMWORDS)
				return bad(d, pc, "scratch memory index above 15");
			/* fall through */
		default:
			if (pc == n - 1)
				return bad(d, pc, "program does not end in a return");
			break;
		}
		if (!bpftk_cbpf_info(c))
			return bad(d, pc, "unknown opcode");
	}
	return 0;
}

static int push(struct opt_block *b, uint16_t code, uint32_t k)
{
	if (b->ns == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4;
		struct opt_stmt *s = bpftk_realloc(b->s, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	b->s[b->ns].code = code;
	b->s[b->ns].k = k;
	b->s[b->ns].safe = 0;
	b->ns++;
	return 0;
}

int bpftk_opt_build(struct opt *o, const struct bpftk_cbpf_insn *prog,
		    size_t n, struct bpftk_diags *d)
{
	int err = check(prog, n, d);
	if (err)
		return err;
	/* leader[pc] = 1 + block index of the block starting at pc, else 0 */
	size_t *leader = bpftk_calloc(n + 1, sizeof(*leader));
	if (!leader)
		return -ENOMEM;
	leader[0] = 1;
	for (size_t pc = 0; pc < n; pc++) {
		uint16_t c = prog[pc].code;
		if (BPF_CLASS(c) == BPF_JMP) {
			if (BPF_OP(c) == BPF_JA)
				leader[pc + 1 + prog[pc].k] = 1;
			else {
				leader[pc + 1 + prog[pc].jt] = 1;
				leader[pc + 1 + prog[pc].jf] = 1;
			}
		}
		if (BPF_CLASS(c) == BPF_JMP || BPF_CLASS(c) == BPF_RET)
			leader[pc + 1] = 1;
	}
	size_t nb = 0;
	for (size_t pc = 0; pc < n; pc++)
		if (leader[pc])
			leader[pc] = ++nb;
	o->b = bpftk_calloc(nb, sizeof(*o->b));
	if (!o->b) {
		bpftk_free(leader);
		return -ENOMEM;
	}
	o->nb = nb;
	size_t cur = 0;
	for (size_t pc = 0; pc < n; pc++) {
		if (leader[pc])
			cur = leader[pc] - 1;
		struct opt_block *b = &o->b[cur];
		uint16_t c = prog[pc].code;
		if (BPF_CLASS(c) == BPF_RET) {
			b->term = OPT_T_RET;
			b->code = c;
			b->k = prog[pc].k;
		} else if (BPF_CLASS(c) == BPF_JMP) {
			if (BPF_OP(c) == BPF_JA) {
				b->term = OPT_T_GOTO;
				b->jt = leader[pc + 1 + prog[pc].k] - 1;
			} else {
				b->term = OPT_T_COND;
				b->code = c;
				b->k = prog[pc].k;
				b->jt = leader[pc + 1 + prog[pc].jt] - 1;
				b->jf = leader[pc + 1 + prog[pc].jf] - 1;
			}
		} else {
			if (push(b, c, prog[pc].k) < 0) {
				bpftk_free(leader);
				return -ENOMEM;
			}
			if (leader[pc + 1]) {
				b->term = OPT_T_GOTO;
				b->jt = leader[pc + 1] - 1;
			}
		}
	}
	bpftk_free(leader);
	return 0;
}

void bpftk_opt_reach(struct opt *o)
{
	for (size_t i = 0; i < o->nb; i++) {
		o->b[i].live = i == 0;
		o->b[i].npred = 0;
	}
	for (size_t i = 0; i < o->nb; i++) {
		struct opt_block *b = &o->b[i];
		if (!b->live || b->term == OPT_T_RET)
			continue;
		o->b[b->jt].live = 1;
		o->b[b->jt].npred++;
		if (b->term == OPT_T_COND) {
			o->b[b->jf].live = 1;
			o->b[b->jf].npred++;
		}
	}
}

void bpftk_opt_release(struct opt *o)
{
	for (size_t i = 0; o->b && i < o->nb; i++)
		bpftk_free(o->b[i].s);
	bpftk_free(o->b);
	bpftk_opt_vn_free(o);
	memset(o, 0, sizeof(*o));
}
