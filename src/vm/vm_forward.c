/* vm_forward.c — picks forwarded handler variants at load time.
 *
 * The engines keep BPF registers in an array in memory, so a chain of
 * dependent instructions ("r0 <<= 8; r0 |= r6; r0 += r5") waits for a
 * store to be forwarded to the next load at every step.  Every handler that
 * writes a register also leaves the value in a host variable t; when the
 * next slot reads that register, it gets a variant reading t (vm_int.h,
 * VM_FWD_ALL).  The register array is still written, so any later reader
 * sees the same value either way.
 *
 * Invariants:
 *  - a slot gets a variant only if it can be entered solely by falling
 *    through from the handler before it (not a jump or call target, not
 *    the entry, not after a call, jump or exit), and that handler leaves t
 *    equal to the register the slot reads;
 *  - one handler per slot is kept, so checked engines use this too: budget
 *    counts and fault locations do not change.
 */
#include "vm_int.h"

/* Table row -> its variant reading dst (TD) or src (TS) from t. */
static const uint16_t td_of[BPFTK_OP__COUNT] = {
#define X(id, e)                                                             \
	[BPFTK_OP_##id##_K] = VM_HID_TD_##id##_K,                            \
	[BPFTK_OP_##id##_X] = VM_HID_TD_##id##_X,
	VM_ALU64_ROWS(X)
	VM_ALU32_ROWS(X)
	VM_JCC_ROWS(X)
#undef X
	[BPFTK_OP_STXB] = VM_HID_TD_STXB,
	[BPFTK_OP_STXH] = VM_HID_TD_STXH,
	[BPFTK_OP_STXW] = VM_HID_TD_STXW,
	[BPFTK_OP_STXDW] = VM_HID_TD_STXDW,
	[BPFTK_OP_STB] = VM_HID_TD_STB,
	[BPFTK_OP_STH] = VM_HID_TD_STH,
	[BPFTK_OP_STW] = VM_HID_TD_STW,
	[BPFTK_OP_STDW] = VM_HID_TD_STDW,
};

static const uint16_t ts_of[BPFTK_OP__COUNT] = {
#define X(id, e) [BPFTK_OP_##id##_X] = VM_HID_TS_##id##_X,
	VM_ALU64_ROWS(X)
	VM_ALU32_ROWS(X)
	VM_JCC_ROWS(X)
#undef X
	[BPFTK_OP_LDXB] = VM_HID_TS_LDXB,
	[BPFTK_OP_LDXH] = VM_HID_TS_LDXH,
	[BPFTK_OP_LDXW] = VM_HID_TS_LDXW,
	[BPFTK_OP_LDXDW] = VM_HID_TS_LDXDW,
	[BPFTK_OP_LDXSB] = VM_HID_TS_LDXSB,
	[BPFTK_OP_LDXSH] = VM_HID_TS_LDXSH,
	[BPFTK_OP_LDXSW] = VM_HID_TS_LDXSW,
	[BPFTK_OP_STXB] = VM_HID_TS_STXB,
	[BPFTK_OP_STXH] = VM_HID_TS_STXH,
	[BPFTK_OP_STXW] = VM_HID_TS_STXW,
	[BPFTK_OP_STXDW] = VM_HID_TS_STXDW,
	[BPFTK_OP_MOV64_X] = VM_HID_TS_MOV64_X,
	[BPFTK_OP_MOV32_X] = VM_HID_TS_MOV32_X,
};

/* The register a group starting at slot g leaves in t, or -1.  Plain
 * handlers of rows that write dst set t; so do the fused handlers whose
 * last slot writes a register. */
static int leaves_t(const struct vm_plan *p, size_t g)
{
	unsigned h = p->h[g];
	const struct bpftk_insn *in = p->insns;
	if (p->len[g] == 1) {
		const struct bpftk_opinfo *r = bpftk_isa_info(p->op[g]);
		if (!r || !(bpftk_isa_form_uses(r->form) & BPFTK_WRITES_DST))
			return -1;
		return in[g].dst;
	}
	switch (h) {
	case VM_HID_IDX_LDXB:
	case VM_HID_IDX_LDXH:
	case VM_HID_IDX_LDXW:
	case VM_HID_IDX_LDXDW:
		return in[g + 2].dst;
	case VM_HID_IDX_STXB:
	case VM_HID_IDX_STXH:
	case VM_HID_IDX_STXW:
	case VM_HID_IDX_STXDW:
		return -1;
	case VM_HID_MOVX_MOVX:
		return in[g + 1].dst;
	default:
		break;
	}
	/* MOVX_*, MOV32X_* and the shift pairs leave their result; ADD*K_<jcc>
	 * and JA_<jcc> end in a jump */
	const struct bpftk_opinfo *r = bpftk_isa_info(p->op[g + 1]);
	if (r && (bpftk_isa_form_uses(r->form) & BPFTK_WRITES_DST))
		return in[g + 1].dst;
	return -1;
}

void bpftk_vm_forward(struct vm_plan *p)
{
	int t = -1; /* register the previous group left in t */
	for (size_t g = 0; g < p->n; g += p->len[g]) {
		int prev = t;
		t = leaves_t(p, g);
		if (prev < 0 || p->target[g] || p->len[g] != 1)
			continue;
		const struct bpftk_insn *in = &p->insns[g];
		enum bpftk_op op = p->op[g];
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (!r)
			continue;
		unsigned uses = bpftk_isa_form_uses(r->form);
		/* which of the slot's operands is the forwarded register */
		int dst_is = (uses & BPFTK_USES_DST) && in->dst == prev;
		int src_is = (uses & BPFTK_USES_SRC) && in->src == prev;
		unsigned h = 0;
		if (dst_is && td_of[op])
			h = td_of[op];
		else if (src_is && ts_of[op])
			h = ts_of[op];
		if (h)
			p->h[g] = (uint16_t)h;
	}
}
