/* cbpf_ebpf.c — classic programs translated to eBPF with the same result
 * for the same input, so they run in the eBPF interpreter and JIT.
 *
 * Register map (fixed for the whole program; no helper calls are made, so
 * nothing clobbers it):
 *   r0 = A, r7 = X (both kept zero-extended: only 32-bit ALU ops and
 *   loads of at most 32 bits write them), r6 = packet (PCAP / SOCKET) or
 *   struct bpftk_seccomp_data (SECCOMP), r8 = captured length, r9 = wire
 *   length, r5 = struct bpftk_cbpf_skb (SOCKET), r1..r4 scratch;
 *   M[i] = the word at r10 - 64 + 4 i; the backward-jump counter of PCAP
 *   loops = the dword at r10 - 72.
 * Every packet load is guarded by an explicit compare with r8 and jumps to
 * one shared "return 0" exit when it would read past the captured bytes,
 * so the program needs no legacy LD_ABS and runs on any pointer.
 *
 * Emission is one pass over the classic code recording where each classic
 * instruction starts; jumps are emitted with the classic target (or the
 * shared exit) and patched once every start is known.  The result is
 * checked with bpftk_isa_validate: a failure there is our bug, reported as
 * an internal error. */
#include <errno.h>
#include <stddef.h>

#include "cbpf_int.h"

enum { R0 = 0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };
enum { REG_A = R0, REG_X = R7, REG_PKT = R6, REG_CAPLEN = R8,
       REG_WIRELEN = R9, REG_SKB = R5 };
#define MEM_OFF(i) (-64 + 4 * (int)(i))
#define BACKJUMP_OFF (-72)
#define TO_RET0 ((size_t)-1)

struct fixup {
	size_t at;     /* eBPF slot of the jump */
	size_t target; /* classic pc, or TO_RET0 */
};

struct tr {
	const struct bpftk_cbpf_insn *prog;
	size_t n;
	enum bpftk_cbpf_flavor flavor;
	struct bpftk_diags *d;
	struct bpftk_insn *out;
	size_t nout, cap;
	struct fixup *fix;
	size_t nfix, fixcap;
	size_t *start; /* eBPF slot where classic pc starts */
	int err;
};

static struct bpftk_insn *slot(struct tr *t)
{
	if (t->err)
		return NULL;
	if (cbpf_grow(&t->out, &t->cap, t->nout, sizeof(*t->out))) {
		t->err = -ENOMEM;
		return NULL;
	}
	return &t->out[t->nout++];
}

/* One instruction of row op; the row's selector field gets its value. */
static void emit(struct tr *t, enum bpftk_op op, int dst, int src, int off,
		 int32_t imm)
{
	const struct bpftk_opinfo *i = bpftk_isa_info(op);
	struct bpftk_insn *s = slot(t);

	if (!s)
		return;
	*s = (struct bpftk_insn){i->code, (uint8_t)dst, (uint8_t)src,
				 (int16_t)off, imm};
	if (i->sel == BPFTK_SEL_OFF)
		s->off = (int16_t)i->selval;
	else if (i->sel == BPFTK_SEL_IMM)
		s->imm = i->selval;
	else if (i->sel == BPFTK_SEL_SRC)
		s->src = (uint8_t)i->selval;
}

/* dst = v, a 64-bit constant (mov when it fits the sign-extended imm). */
static void emit_const(struct tr *t, int dst, uint64_t v)
{
	struct bpftk_insn *hi;

	if (v <= INT32_MAX) {
		emit(t, BPFTK_OP_MOV64_K, dst, 0, 0, (int32_t)v);
		return;
	}
	emit(t, BPFTK_OP_LDDW, dst, 0, 0, (int32_t)(uint32_t)v);
	hi = slot(t);
	if (hi)
		*hi = (struct bpftk_insn){0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)};
}

/* A jump of row op (a JCC or JA) to classic pc target or the 0 exit. */
static void emit_jump(struct tr *t, enum bpftk_op op, int dst, int src,
		      int32_t imm, size_t target)
{
	if (cbpf_grow(&t->fix, &t->fixcap, t->nfix, sizeof(*t->fix))) {
		t->err = -ENOMEM;
		return;
	}
	t->fix[t->nfix++] = (struct fixup){t->nout, target};
	emit(t, op, dst, src, 0, imm);
}

/* Loads size bytes (1, 2, 4) at the packet offset in r1 (a non-negative
 * 64-bit value) into dst, big-endian, or returns 0 when they are not all
 * captured. */
static void load_tail(struct tr *t, int dst, unsigned size)
{
	static const enum bpftk_op ldx[] = {BPFTK_OP_INVALID, BPFTK_OP_LDXB,
					    BPFTK_OP_LDXH, BPFTK_OP_INVALID,
					    BPFTK_OP_LDXW};

	emit(t, BPFTK_OP_MOV64_X, R2, R1, 0, 0);
	emit(t, BPFTK_OP_ADD64_K, R2, 0, 0, (int32_t)size);
	emit_jump(t, BPFTK_OP_JGT64_X, R2, REG_CAPLEN, 0, TO_RET0);
	emit(t, BPFTK_OP_ADD64_X, R1, REG_PKT, 0, 0);
	emit(t, ldx[size], dst, R1, 0, 0);
	if (size == 2)
		emit(t, BPFTK_OP_BE16, dst, 0, 0, 0);
	else if (size == 4)
		emit(t, BPFTK_OP_BE32, dst, 0, 0, 0);
}

/* Points the local jump at slot `at` to slot `to`. */
static void patch(struct tr *t, size_t at, size_t to)
{
	if (!t->err)
		t->out[at].off = (int16_t)((long)to - (long)at - 1);
}

/* SOCKET: r1 holds a 32-bit offset that may be negative (as int32);
 * negative offsets are rebased as Linux does (SKF_NET_OFF: from the
 * network header, SKF_LL_OFF: from the link-layer header = packet start
 * unless skb->no_link_header,
 * anything lower: return 0).  Leaves a non-negative offset in r1. */
static void rebase_negative(struct tr *t)
{
	size_t j_pos, j_net, j_ll, j_done;

	j_pos = t->nout;
	emit(t, BPFTK_OP_JSGE32_K, R1, 0, 0, 0);
	j_net = t->nout;
	emit(t, BPFTK_OP_JSGE32_K, R1, 0, 0, (int32_t)BPFTK_SKF_NET_OFF);
	j_ll = t->nout;
	emit(t, BPFTK_OP_JSGE32_K, R1, 0, 0, (int32_t)BPFTK_SKF_LL_OFF);
	emit_jump(t, BPFTK_OP_JA, 0, 0, 0, TO_RET0);
	/* link layer: offset - SKF_LL_OFF, unless there is no such header */
	patch(t, j_ll, t->nout);
	emit(t, BPFTK_OP_LDXW, R2, REG_SKB,
	     (int)offsetof(struct bpftk_cbpf_skb, no_link_header), 0);
	emit_jump(t, BPFTK_OP_JNE64_K, R2, 0, 0, TO_RET0);
	emit(t, BPFTK_OP_ADD32_K, R1, 0, 0, -(int32_t)BPFTK_SKF_LL_OFF);
	j_done = t->nout;
	emit(t, BPFTK_OP_JA, 0, 0, 0, 0);
	/* network layer: offset - SKF_NET_OFF + skb->net_off */
	patch(t, j_net, t->nout);
	emit(t, BPFTK_OP_ADD32_K, R1, 0, 0, -(int32_t)BPFTK_SKF_NET_OFF);
	emit(t, BPFTK_OP_LDXW, R2, REG_SKB, 0, 0); /* net_off */
	emit(t, BPFTK_OP_ADD64_X, R1, R2, 0, 0);
	patch(t, j_done, t->nout);
	patch(t, j_pos, t->nout);
}

/* SKF_AD_NLATTR(_NEST): A = offset of the first netlink attribute of type
 * X in the packet, searched from offset A (NEST: inside the attribute at
 * A), 0 if none — Linux nla_find over the captured bytes, as a loop.
 * Invariant in the loop: r1 = attribute offset, r2 = bytes left (signed),
 * r1 + r2 <= caplen, so every load is in bounds. */
static void nlattr(struct tr *t, int nest)
{
	size_t fail[8], nfail = 0, loop, found;

	emit(t, BPFTK_OP_MOV64_X, R2, REG_CAPLEN, 0, 0);
	fail[nfail++] = t->nout;
	emit(t, BPFTK_OP_JLT64_K, R2, 0, 0, 4);
	emit(t, BPFTK_OP_SUB64_K, R2, 0, 0, 4);
	fail[nfail++] = t->nout;
	emit(t, BPFTK_OP_JGT64_X, REG_A, R2, 0, 0); /* A > caplen - 4 */
	emit(t, BPFTK_OP_MOV64_X, R2, REG_CAPLEN, 0, 0);
	emit(t, BPFTK_OP_SUB64_X, R2, REG_A, 0, 0); /* caplen - A */
	emit(t, BPFTK_OP_MOV64_X, R1, REG_A, 0, 0);
	if (nest) {
		emit(t, BPFTK_OP_MOV64_X, R3, REG_PKT, 0, 0);
		emit(t, BPFTK_OP_ADD64_X, R3, REG_A, 0, 0);
		emit(t, BPFTK_OP_LDXH, R4, R3, 0, 0); /* nla_len */
		fail[nfail++] = t->nout;
		emit(t, BPFTK_OP_JGT64_X, R4, R2, 0, 0);
		emit(t, BPFTK_OP_ADD64_K, R1, 0, 0, 4);
		emit(t, BPFTK_OP_MOV64_X, R2, R4, 0, 0);
		emit(t, BPFTK_OP_SUB64_K, R2, 0, 0, 4);
	}
	loop = t->nout;
	fail[nfail++] = t->nout;
	emit(t, BPFTK_OP_JSLT64_K, R2, 0, 0, 4);
	emit(t, BPFTK_OP_MOV64_X, R3, REG_PKT, 0, 0);
	emit(t, BPFTK_OP_ADD64_X, R3, R1, 0, 0);
	emit(t, BPFTK_OP_LDXH, R4, R3, 0, 0); /* nla_len, host order */
	fail[nfail++] = t->nout;
	emit(t, BPFTK_OP_JLT64_K, R4, 0, 0, 4);
	fail[nfail++] = t->nout;
	emit(t, BPFTK_OP_JGT64_X, R4, R2, 0, 0);
	emit(t, BPFTK_OP_LDXH, R3, R3, 2, 0); /* nla_type */
	emit(t, BPFTK_OP_AND64_K, R3, 0, 0, 0x3fff);
	found = t->nout;
	emit(t, BPFTK_OP_JEQ64_X, R3, REG_X, 0, 0);
	emit(t, BPFTK_OP_ADD64_K, R4, 0, 0, 3);
	emit(t, BPFTK_OP_AND64_K, R4, 0, 0, -4); /* NLA_ALIGN */
	emit(t, BPFTK_OP_SUB64_X, R2, R4, 0, 0);
	emit(t, BPFTK_OP_ADD64_X, R1, R4, 0, 0);
	emit(t, BPFTK_OP_JA, 0, 0, 0, 0);
	patch(t, t->nout - 1, loop);
	for (size_t i = 0; i < nfail; i++)
		patch(t, fail[i], t->nout);
	emit(t, BPFTK_OP_MOV32_K, REG_A, 0, 0, 0);
	emit(t, BPFTK_OP_JA, 0, 0, 1, 0);
	patch(t, found, t->nout);
	emit(t, BPFTK_OP_MOV32_X, REG_A, R1, 0, 0);
}

/* An ancillary load SKF_AD_OFF + off (SOCKET), into A. */
static void ancillary(struct tr *t, size_t pc, uint32_t k)
{
	int field = cbpf_anc_field(k);

	if (k == BPFTK_SKF_AD_OFF + BPFTK_SKF_AD_IFINDEX ||
	    k == BPFTK_SKF_AD_OFF + BPFTK_SKF_AD_HATYPE) {
		/* no device (ifindex 0): return A, as Linux does */
		emit(t, BPFTK_OP_LDXW, R1, REG_SKB,
		     (int)offsetof(struct bpftk_cbpf_skb, ifindex), 0);
		emit(t, BPFTK_OP_JNE64_K, R1, 0, 1, 0);
		emit(t, BPFTK_OP_EXIT, 0, 0, 0, 0);
	}
	if (field >= 0) {
		emit(t, BPFTK_OP_LDXW, REG_A, REG_SKB, field, 0);
		return;
	}
	switch (k - BPFTK_SKF_AD_OFF) {
	case BPFTK_SKF_AD_ALU_XOR_X:
		emit(t, BPFTK_OP_XOR32_X, REG_A, REG_X, 0, 0);
		return;
	case BPFTK_SKF_AD_VLAN_TAG_PRESENT:
		emit(t, BPFTK_OP_LDXW, REG_A, REG_SKB,
		     (int)offsetof(struct bpftk_cbpf_skb, vlan_present), 0);
		emit(t, BPFTK_OP_JEQ64_K, REG_A, 0, 1, 0);
		emit(t, BPFTK_OP_MOV32_K, REG_A, 0, 0, 1);
		return;
	case BPFTK_SKF_AD_NLATTR:
	case BPFTK_SKF_AD_NLATTR_NEST:
		nlattr(t, k - BPFTK_SKF_AD_OFF == BPFTK_SKF_AD_NLATTR_NEST);
		return;
	default:
		bpftk_diags_add(t->d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL,
				(long)pc, "internal error: ancillary load "
				"[%s] has no translation", cbpf_anc_name(k));
		if (!t->err)
			t->err = -EINVAL;
	}
}

/* A packet load of size bytes at k (or X + k when ind) into dst. */
static void packet_load(struct tr *t, size_t pc, int dst, unsigned size,
			uint32_t k, int ind)
{
	if (t->flavor == BPFTK_CBPF_SECCOMP) {
		/* validated: an aligned word inside struct seccomp_data */
		emit(t, BPFTK_OP_LDXW, dst, REG_PKT, (int)k, 0);
		return;
	}
	if (t->flavor == BPFTK_CBPF_SOCKET) {
		if (!ind && k >= BPFTK_SKF_AD_OFF && dst == REG_A) {
			ancillary(t, pc, k);
			return;
		}
		/* offset = (int32)(X + k): 32-bit wrap, then rebased */
		if (ind) {
			emit(t, BPFTK_OP_MOV32_X, R1, REG_X, 0, 0);
			emit(t, BPFTK_OP_ADD32_K, R1, 0, 0, (int32_t)k);
		} else {
			emit(t, BPFTK_OP_MOV32_K, R1, 0, 0, (int32_t)k);
		}
		if (ind || k >= 0x80000000u)
			rebase_negative(t);
		load_tail(t, dst, size);
		return;
	}
	/* PCAP: X + k without wrap-around */
	emit_const(t, R1, k);
	if (ind) {
		emit(t, BPFTK_OP_MOV32_X, R2, REG_X, 0, 0);
		emit(t, BPFTK_OP_ADD64_X, R1, R2, 0, 0);
	}
	load_tail(t, dst, size);
}

/* A shift by X: libpcap gives 0 for X >= 32; eBPF (like Linux) masks. */
static void shift_x(struct tr *t, enum bpftk_op op)
{
	if (t->flavor == BPFTK_CBPF_PCAP) {
		emit(t, BPFTK_OP_JLT64_K, REG_X, 0, 2, 32);
		emit(t, BPFTK_OP_MOV32_K, REG_A, 0, 0, 0);
		emit(t, BPFTK_OP_JA, 0, 0, 1, 0);
	}
	emit(t, op, REG_A, REG_X, 0, 0);
}

static void translate_insn(struct tr *t, size_t pc)
{
	const struct bpftk_cbpf_insn *in = &t->prog[pc];
	enum cbpf_op op = cbpf_lookup(in->code);
	const struct cbpf_row *r = cbpf_row(op);
	int32_t k = (int32_t)in->k;
	uint32_t len = t->flavor == BPFTK_CBPF_SECCOMP
			       ? (uint32_t)sizeof(struct bpftk_seccomp_data)
			       : 0;

	switch (op) {
	case CBPF_OP_INVALID:
	case CBPF_OP__COUNT:
		t->err = -EINVAL; /* validated before: cannot happen */
		return;
	case CBPF_OP_LD_IMM: emit(t, BPFTK_OP_MOV32_K, REG_A, 0, 0, k); return;
	case CBPF_OP_LDX_IMM: emit(t, BPFTK_OP_MOV32_K, REG_X, 0, 0, k); return;
	case CBPF_OP_LD_LEN:
	case CBPF_OP_LDX_LEN:
		if (len)
			emit(t, BPFTK_OP_MOV32_K,
			     op == CBPF_OP_LD_LEN ? REG_A : REG_X, 0, 0,
			     (int32_t)len);
		else
			emit(t, BPFTK_OP_MOV32_X,
			     op == CBPF_OP_LD_LEN ? REG_A : REG_X, REG_WIRELEN,
			     0, 0);
		return;
	case CBPF_OP_LD_MEM:
	case CBPF_OP_LDX_MEM:
		emit(t, BPFTK_OP_LDXW, op == CBPF_OP_LD_MEM ? REG_A : REG_X,
		     R10, MEM_OFF(in->k), 0);
		return;
	case CBPF_OP_ST:
	case CBPF_OP_STX:
		emit(t, BPFTK_OP_STXW, R10, op == CBPF_OP_ST ? REG_A : REG_X,
		     MEM_OFF(in->k), 0);
		return;
	case CBPF_OP_LD_W_ABS: packet_load(t, pc, REG_A, 4, in->k, 0); return;
	case CBPF_OP_LD_H_ABS: packet_load(t, pc, REG_A, 2, in->k, 0); return;
	case CBPF_OP_LD_B_ABS: packet_load(t, pc, REG_A, 1, in->k, 0); return;
	case CBPF_OP_LD_W_IND: packet_load(t, pc, REG_A, 4, in->k, 1); return;
	case CBPF_OP_LD_H_IND: packet_load(t, pc, REG_A, 2, in->k, 1); return;
	case CBPF_OP_LD_B_IND: packet_load(t, pc, REG_A, 1, in->k, 1); return;
	case CBPF_OP_LDX_MSH:
		/* never ancillary: load into r3, then X = (r3 & 0xf) << 2 */
		packet_load(t, pc, R3, 1, in->k, 0);
		emit(t, BPFTK_OP_AND32_K, R3, 0, 0, 0xf);
		emit(t, BPFTK_OP_LSH32_K, R3, 0, 0, 2);
		emit(t, BPFTK_OP_MOV32_X, REG_X, R3, 0, 0);
		return;
	case CBPF_OP_DIV_X:
	case CBPF_OP_MOD_X:
		emit_jump(t, BPFTK_OP_JEQ64_K, REG_X, 0, 0, TO_RET0);
		emit(t, (enum bpftk_op)r->ebpf_op, REG_A, REG_X, 0, 0);
		return;
	case CBPF_OP_LSH_K:
	case CBPF_OP_RSH_K:
		emit(t, (enum bpftk_op)r->ebpf_op, REG_A, 0, 0, k & 31);
		return;
	case CBPF_OP_LSH_X:
	case CBPF_OP_RSH_X:
		shift_x(t, (enum bpftk_op)r->ebpf_op);
		return;
	case CBPF_OP_TAX: emit(t, BPFTK_OP_MOV32_X, REG_X, REG_A, 0, 0); return;
	case CBPF_OP_TXA: emit(t, BPFTK_OP_MOV32_X, REG_A, REG_X, 0, 0); return;
	case CBPF_OP_JA: {
		size_t to = t->flavor == BPFTK_CBPF_PCAP
				    ? (uint32_t)(pc + 1 + in->k)
				    : pc + 1 + in->k;
		if (to <= pc) {
			/* a PCAP loop: count it, as the interpreter does */
			emit(t, BPFTK_OP_LDXDW, R1, R10, BACKJUMP_OFF, 0);
			emit(t, BPFTK_OP_ADD64_K, R1, 0, 0, 1);
			emit(t, BPFTK_OP_STXDW, R10, R1, BACKJUMP_OFF, 0);
			emit_jump(t, BPFTK_OP_JGT64_K, R1, 0,
				  BPFTK_CBPF_MAX_BACKJUMPS, TO_RET0);
		}
		emit_jump(t, BPFTK_OP_JA, 0, 0, 0, to);
		return;
	}
	case CBPF_OP_RET_K:
		emit(t, BPFTK_OP_MOV32_K, R0, 0, 0, k);
		emit(t, BPFTK_OP_EXIT, 0, 0, 0, 0);
		return;
	case CBPF_OP_RET_A:
		emit(t, BPFTK_OP_EXIT, 0, 0, 0, 0);
		return;
	default:
		break;
	}
	if (r->info.flags & BPFTK_CBPF_F_JCC) {
		emit_jump(t, (enum bpftk_op)r->ebpf_op, REG_A,
			  r->fmt == CBPF_FMT_JX ? REG_X : 0,
			  r->fmt == CBPF_FMT_JX ? 0 : k, pc + 1 + in->jt);
		if (in->jf)
			emit_jump(t, BPFTK_OP_JA, 0, 0, 0, pc + 1 + in->jf);
		return;
	}
	/* the remaining rows are ALU ops with a direct eBPF twin */
	if (r->fmt == CBPF_FMT_X)
		emit(t, (enum bpftk_op)r->ebpf_op, REG_A, REG_X, 0, 0);
	else if (r->fmt == CBPF_FMT_NONE) /* neg */
		emit(t, (enum bpftk_op)r->ebpf_op, REG_A, 0, 0, 0);
	else
		emit(t, (enum bpftk_op)r->ebpf_op, REG_A, 0, 0, k);
}

static void prologue(struct tr *t)
{
	int uses_mem = 0, loops = 0;

	for (size_t pc = 0; pc < t->n; pc++) {
		const struct bpftk_cbpf_opinfo *i =
			bpftk_cbpf_info(t->prog[pc].code);
		uses_mem |= (i->flags & BPFTK_CBPF_F_RM) != 0;
		loops |= (i->flags & BPFTK_CBPF_F_JMP) &&
			 t->flavor == BPFTK_CBPF_PCAP &&
			 (uint32_t)(pc + 1 + t->prog[pc].k) <= pc;
	}
	emit(t, BPFTK_OP_MOV64_X, REG_PKT, R1, 0, 0);
	if (t->flavor != BPFTK_CBPF_SECCOMP) {
		emit(t, BPFTK_OP_MOV32_X, REG_CAPLEN, R2, 0, 0);
		emit(t, BPFTK_OP_MOV32_X, REG_WIRELEN, R3, 0, 0);
		emit(t, BPFTK_OP_MOV64_X, REG_SKB, R4, 0, 0);
	}
	emit(t, BPFTK_OP_MOV32_K, REG_A, 0, 0, 0);
	emit(t, BPFTK_OP_MOV32_K, REG_X, 0, 0, 0);
	/* M[] starts at 0 as in the interpreter (the stack of a run may hold
	 * an earlier run's values) */
	for (int i = 0; uses_mem && i < BPFTK_CBPF_MEMWORDS / 2; i++)
		emit(t, BPFTK_OP_STDW, R10, 0, MEM_OFF(2 * i), 0);
	if (loops)
		emit(t, BPFTK_OP_STDW, R10, 0, BACKJUMP_OFF, 0);
}

/* Patches every jump now that the classic starts are known. */
static void link(struct tr *t, size_t ret0)
{
	for (size_t i = 0; i < t->nfix && !t->err; i++) {
		size_t to = t->fix[i].target == TO_RET0
				    ? ret0
				    : t->start[t->fix[i].target];
		long off = (long)to - (long)t->fix[i].at - 1;
		if (off < INT16_MIN || off > INT16_MAX) {
			bpftk_diags_add(t->d, BPFTK_SEV_ERROR, NULL, 0, 0,
					NULL, -1,
					"program too large: an eBPF jump of "
					"%ld instructions does not fit", off);
			t->err = -E2BIG;
			return;
		}
		t->out[t->fix[i].at].off = (int16_t)off;
	}
}

int bpftk_cbpf_to_ebpf(const struct bpftk_cbpf_insn *prog, size_t n,
		       enum bpftk_cbpf_flavor flavor, struct bpftk_insn **out,
		       size_t *nout, struct bpftk_diags *d)
{
	struct tr t = {prog, n, flavor, d, NULL, 0, 0, NULL, 0, 0, NULL, 0};
	size_t ret0;
	int err;

	if (!out || !nout)
		return -EINVAL;
	*out = NULL;
	*nout = 0;
	err = bpftk_cbpf_validate(prog, n, flavor, d);
	if (err)
		return err;
	t.start = bpftk_malloc(n * sizeof(*t.start));
	if (!t.start)
		return -ENOMEM;
	prologue(&t);
	for (size_t pc = 0; pc < n && !t.err; pc++) {
		t.start[pc] = t.nout;
		translate_insn(&t, pc);
	}
	ret0 = t.nout;
	emit(&t, BPFTK_OP_MOV32_K, R0, 0, 0, 0);
	emit(&t, BPFTK_OP_EXIT, 0, 0, 0, 0);
	link(&t, ret0);
	if (!t.err)
		t.err = bpftk_isa_validate(t.out, t.nout, d, NULL);
	if (t.err == -EINVAL)
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"internal error: the eBPF translation is not "
				"valid eBPF");
	bpftk_free(t.start);
	bpftk_free(t.fix);
	if (t.err) {
		bpftk_free(t.out);
		return t.err;
	}
	*out = t.out;
	*nout = t.nout;
	return 0;
}
