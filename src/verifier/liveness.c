/* liveness.c — which registers may still be read, per instruction.
 *
 * Pruning compares a new state with a stored one register by register; a
 * register that no path from here reads again cannot make a difference,
 * so comparing it only stops pruning that is sound.  This is the classic
 * backward data-flow problem: live_in(pc) = use(pc) | (live_out(pc) minus
 * def(pc)), live_out(pc) = union of live_in of the successors, iterated
 * to a fixpoint over each function's instructions.  Uses are a superset
 * of what the walk reads (a helper call uses r1..r5 whatever its
 * descriptor says), which keeps the answer sound.
 */
#include "verifier_int.h"

#define R(n) (1u << (n))
#define ARGS (R(1) | R(2) | R(3) | R(4) | R(5))
#define CLOBBER (R(0) | ARGS)

static void use_def(const struct env *e, int pc, unsigned *use, unsigned *def)
{
	const struct bpftk_insn *in = &e->insns[pc];
	enum bpftk_op op = bpftk_isa_lookup(in);
	const struct bpftk_opinfo *info = bpftk_isa_info(op);
	unsigned u = bpftk_isa_form_uses((enum bpftk_form)info->form);
	*use = *def = 0;
	switch (info->form) {
	case BPFTK_FORM_CALL:
	case BPFTK_FORM_CALLX:
		*use = ARGS | (info->form == BPFTK_FORM_CALLX ? R(in->dst) : 0);
		*def = CLOBBER;
		return;
	case BPFTK_FORM_EXIT:
		*use = R(0);
		return;
	case BPFTK_FORM_LDABS:
	case BPFTK_FORM_LDIND:
		*use = R(6) | (info->form == BPFTK_FORM_LDIND ? R(in->src) : 0);
		*def = CLOBBER;
		return;
	case BPFTK_FORM_ATOMIC:
		*use = R(in->dst) | R(in->src);
		if (op == BPFTK_OP_ATOMIC64_CMPXCHG ||
		    op == BPFTK_OP_ATOMIC32_CMPXCHG) {
			*use |= R(0);
			*def = R(0);
		} else if (in->imm & 1) {
			*def = R(in->src);
		}
		return;
	case BPFTK_FORM_ST:
	case BPFTK_FORM_STX:
		*use = R(in->dst) | (u & BPFTK_USES_SRC ? R(in->src) : 0);
		return;
	default:
		break;
	}
	if (u & BPFTK_USES_SRC)
		*use |= R(in->src);
	if (u & BPFTK_WRITES_DST) {
		*def = R(in->dst);
		/* mov and lddw do not read dst */
		int mov = info->form == BPFTK_FORM_LDDW ||
			  info->form == BPFTK_FORM_LDX ||
			  op == BPFTK_OP_MOV64_K || op == BPFTK_OP_MOV64_X ||
			  op == BPFTK_OP_MOV32_K || op == BPFTK_OP_MOV32_X ||
			  op == BPFTK_OP_MOVSX64_8 || op == BPFTK_OP_MOVSX64_16 ||
			  op == BPFTK_OP_MOVSX64_32 || op == BPFTK_OP_MOVSX32_8 ||
			  op == BPFTK_OP_MOVSX32_16;
		if (!mov)
			*use |= R(in->dst);
	} else if (u & BPFTK_USES_DST) {
		*use |= R(in->dst);
	}
}

static int second_slot(const struct env *e, int pc)
{
	const struct bpftk_opinfo *i;
	if (pc == 0)
		return 0;
	i = bpftk_isa_info(bpftk_isa_lookup(&e->insns[pc - 1]));
	return i && i->form == BPFTK_FORM_LDDW;
}

static int successors(const struct env *e, int pc, int succ[2])
{
	const struct bpftk_insn *in = &e->insns[pc];
	const struct bpftk_opinfo *info = bpftk_isa_info(bpftk_isa_lookup(in));
	switch (info->form) {
	case BPFTK_FORM_EXIT:
		return 0;
	case BPFTK_FORM_JA:
	case BPFTK_FORM_JA32:
		succ[0] = (int)bpftk_isa_target(e->insns, (size_t)pc);
		return 1;
	case BPFTK_FORM_JCC_K:
	case BPFTK_FORM_JCC_X:
		succ[0] = pc + 1;
		succ[1] = (int)bpftk_isa_target(e->insns, (size_t)pc);
		return 2;
	case BPFTK_FORM_LDDW:
		succ[0] = pc + 2;
		return 1;
	default:
		succ[0] = pc + 1;
		return 1;
	}
}

int vf_compute_liveness(struct env *e)
{
	unsigned *use = bpftk_calloc((size_t)e->n, sizeof(unsigned));
	unsigned *def = bpftk_calloc((size_t)e->n, sizeof(unsigned));
	e->live = bpftk_calloc((size_t)e->n, sizeof(*e->live));
	if (!use || !def || !e->live) {
		bpftk_free(use);
		bpftk_free(def);
		return -ENOMEM;
	}
	for (int pc = 0; pc < e->n; pc++) {
		if (second_slot(e, pc))
			continue;
		use_def(e, pc, &use[pc], &def[pc]);
	}
	int changed = 1;
	while (changed) {
		changed = 0;
		for (int pc = e->n - 1; pc >= 0; pc--) {
			if (second_slot(e, pc))
				continue;
			int succ[2];
			int ns = successors(e, pc, succ);
			unsigned out = 0;
			for (int i = 0; i < ns; i++)
				if (succ[i] >= 0 && succ[i] < e->n)
					out |= e->live[succ[i]];
			unsigned in = use[pc] | (out & ~def[pc]);
			in &= (1u << BPFTK_NREGS) - 1;
			if (in != e->live[pc]) {
				e->live[pc] = (uint16_t)in;
				changed = 1;
			}
		}
	}
	bpftk_free(use);
	bpftk_free(def);
	return 0;
}
