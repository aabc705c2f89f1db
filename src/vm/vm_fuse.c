/* vm_fuse.c — picks superinstructions for the fast engines at load time.
 *
 * Interpreting BPF spends most of its time moving values through the
 * register file in memory: "r0 = r1; r0 += r4; r6 = *(u8 *)(r0 + 1)" stores
 * r0 twice and reloads it twice.  A fused handler does the work of two or
 * three consecutive slots with the intermediate value in a host register
 * (vm_int.h lists them).  The patterns are the ones clang emits in loops:
 * copy-then-operate, indexed loads and stores, counter-then-branch, a
 * branch followed by ja, and the shift pairs that extend 32-bit values.
 *
 * Invariants:
 *  - a fused handler has exactly the effect of its slots run in order
 *    (every register they write is written; where a later slot reads a
 *    register an earlier one wrote, the pattern requires it to be the
 *    value the fused handler kept, or excludes the case);
 *  - no slot after the first of a group is a jump or call target, so the
 *    only way into the group is through its first slot; the later slots
 *    keep their own handlers all the same;
 *  - checked engines are never fused: their budget counts and fault
 *    locations stay exact per instruction.
 */
#include <errno.h>

#include "vm_int.h"

/* Table row -> fused handler, generated from the row lists. */
static const uint16_t movx64_of[BPFTK_OP__COUNT] = {
#define X(id, e)                                                             \
	[BPFTK_OP_##id##_K] = VM_HID_MOVX_##id##_K,                          \
	[BPFTK_OP_##id##_X] = VM_HID_MOVX_##id##_X,
	VM_ALU64_ROWS(X)
#undef X
};

static const uint16_t mov32x_of[BPFTK_OP__COUNT] = {
#define X(id, e)                                                             \
	[BPFTK_OP_##id##_K] = VM_HID_MOV32X_##id##_K,                        \
	[BPFTK_OP_##id##_X] = VM_HID_MOV32X_##id##_X,
	VM_ALU32_ROWS(X)
#undef X
};

static const uint16_t add64k_of[BPFTK_OP__COUNT] = {
#define X(id, e)                                                             \
	[BPFTK_OP_##id##_K] = VM_HID_ADD64K_##id##_K,                        \
	[BPFTK_OP_##id##_X] = VM_HID_ADD64K_##id##_X,
	VM_JCC_ROWS(X)
#undef X
};

static const uint16_t add32k_of[BPFTK_OP__COUNT] = {
#define X(id, e)                                                             \
	[BPFTK_OP_##id##_K] = VM_HID_ADD32K_##id##_K,                        \
	[BPFTK_OP_##id##_X] = VM_HID_ADD32K_##id##_X,
	VM_JCC_ROWS(X)
#undef X
};

static const uint16_t ja_of[BPFTK_OP__COUNT] = {
#define X(id, e)                                                             \
	[BPFTK_OP_##id##_K] = VM_HID_JA_##id##_K,                            \
	[BPFTK_OP_##id##_X] = VM_HID_JA_##id##_X,
	VM_JCC_ROWS(X)
#undef X
};

static const uint16_t idx_of[BPFTK_OP__COUNT] = {
	[BPFTK_OP_LDXB] = VM_HID_IDX_LDXB,   [BPFTK_OP_LDXH] = VM_HID_IDX_LDXH,
	[BPFTK_OP_LDXW] = VM_HID_IDX_LDXW,   [BPFTK_OP_LDXDW] = VM_HID_IDX_LDXDW,
	[BPFTK_OP_STXB] = VM_HID_IDX_STXB,   [BPFTK_OP_STXH] = VM_HID_IDX_STXH,
	[BPFTK_OP_STXW] = VM_HID_IDX_STXW,   [BPFTK_OP_STXDW] = VM_HID_IDX_STXDW,
};

static int is_x_form(enum bpftk_op op)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	return r && (r->form == BPFTK_FORM_ALU_X || r->form == BPFTK_FORM_JCC_X);
}

/* The fused handler for the group starting at slot i (its length in
 * *len), or 0. */
static unsigned pick(const struct vm_plan *p, size_t i, uint8_t *len)
{
	const struct bpftk_insn *in = p->insns;
	const uint16_t *op = p->op;
	size_t n = p->n;
	if (i + 1 >= n || p->target[i + 1])
		return 0;
	const struct bpftk_insn *a = &in[i], *b = &in[i + 1];
	enum bpftk_op oa = op[i], ob = op[i + 1];
	*len = 2;
	if (ja_of[oa] && ob == BPFTK_OP_JA)
		return ja_of[oa];
	if (b->dst != a->dst && oa != BPFTK_OP_MOV64_X)
		return 0;
	switch (oa) {
	case BPFTK_OP_MOV64_X:
		if (ob == BPFTK_OP_MOV64_X)
			return VM_HID_MOVX_MOVX;
		if (b->dst != a->dst)
			return 0;
		if (ob == BPFTK_OP_ADD64_X && b->src != a->dst && i + 2 < n &&
		    !p->target[i + 2] && idx_of[op[i + 2]]) {
			const struct bpftk_insn *c = &in[i + 2];
			const struct bpftk_opinfo *r = bpftk_isa_info(op[i + 2]);
			/* the address register of the load or store is d */
			if ((r->form == BPFTK_FORM_LDX && c->src == a->dst) ||
			    (r->form == BPFTK_FORM_STX && c->dst == a->dst)) {
				*len = 3;
				return idx_of[op[i + 2]];
			}
		}
		if (movx64_of[ob] && !(is_x_form(ob) && b->src == a->dst))
			return movx64_of[ob];
		return 0;
	case BPFTK_OP_MOV32_X:
		if (mov32x_of[ob] && !(is_x_form(ob) && b->src == a->dst))
			return mov32x_of[ob];
		return 0;
	case BPFTK_OP_ADD64_K:
		return add64k_of[ob];
	case BPFTK_OP_ADD32_K:
		return add32k_of[ob];
	case BPFTK_OP_LSH64_K:
		if (ob == BPFTK_OP_RSH64_K)
			return VM_HID_LSH_RSH;
		if (ob == BPFTK_OP_ARSH64_K)
			return VM_HID_LSH_ARSH;
		return 0;
	default:
		return 0;
	}
}

void bpftk_vm_fuse(struct vm_plan *p)
{
	/* Greedy from the front: a slot swallowed by a group is only ever
	 * reached through the group, so it is not considered as a start. */
	for (size_t i = 0; i < p->n; i += p->len[i]) {
		uint8_t len = 1;
		unsigned h = pick(p, i, &len);
		if (h) {
			p->h[i] = (uint16_t)h;
			p->len[i] = len;
		}
	}
}
