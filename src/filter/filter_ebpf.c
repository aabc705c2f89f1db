/* filter_ebpf.c — a compiled filter as eBPF, written directly for the two
 * calling conventions of include/bpftk/filter.h (raw: r1 = packet,
 * r2 = captured length, r3 = wire length; XDP: r1 = struct xdp_md *).
 *
 * Register map: r6 = first packet byte, r9 = one past the last captured
 * byte (both pointers, so the kernel verifier sees every packet access
 * bounded by a comparison with r9), w7 = A, w8 = X, the wire length at
 * r10-72 and scratch memory M[i] at r10-64+4i.  Every classic load becomes
 * "pointer + offset + size > r9 ? reject : load", then a byte swap to
 * network order, which is exactly libpcap's bpf_filter() rule (a load past
 * the captured bytes rejects the packet); a division by X = 0 rejects too.
 * 32-bit ALU and JMP32 give the classic machine's 32-bit arithmetic.
 *
 * XDP: the match verdict is XDP_PASS, the rejection XDP_DROP.  Filters
 * that read the packet length are refused (-ENOTSUP): the verifier
 * forbids data_end - data, and a search over "data + L <= data_end"
 * has 2^16 paths, too many for any verifier.
 *
 * Opcodes come from the instruction table (bpftk_isa_info), never
 * spelled out here.
 */
#include <errno.h>
#include <string.h>

#include "filter_int.h"

#define R_PKT 6
#define R_A 7
#define R_X 8
#define R_END 9
#define OFF_WIRELEN (-72)
#define OFF_MEM (-64)
#define XDP_DROP 1
#define XDP_PASS 2

struct eb {
	struct bpftk_insn *v;
	size_t n, cap;
	int failed;
};

static size_t ins(struct eb *b, enum bpftk_op op, int dst, int src, int off,
		  int32_t imm)
{
	const struct bpftk_opinfo *info = bpftk_isa_info(op);

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct bpftk_insn *v = bpftk_realloc(b->v, cap * sizeof(*v));

		if (!v) {
			b->failed = 1;
			return 0;
		}
		b->v = v;
		b->cap = cap;
	}
	struct bpftk_insn *x = &b->v[b->n];
	memset(x, 0, sizeof(*x));
	x->code = info->code;
	x->dst = (uint8_t)dst;
	x->src = (uint8_t)src;
	x->off = (int16_t)off;
	x->imm = imm;
	if (info->sel == BPFTK_SEL_OFF)
		x->off = (int16_t)info->selval;
	else if (info->sel == BPFTK_SEL_IMM)
		x->imm = info->selval;
	return b->n++;
}

/* A jump whose target (an index of b, or FAIL_TARGET) is fixed later. */
struct fix {
	size_t at;
	size_t cbpf_target; /* classic index, or SIZE_MAX = the reject exit */
};

struct fixes {
	struct fix *v;
	size_t n, cap;
	int failed;
};

static void add_fix(struct fixes *f, size_t at, size_t target)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct fix *v = bpftk_realloc(f->v, cap * sizeof(*v));

		if (!v) {
			f->failed = 1;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].at = at;
	f->v[f->n].cbpf_target = target;
	f->n++;
}

#define REJECT SIZE_MAX

/* r1 = packet pointer + (X +) k + size, checked against the end; the load
 * then reads at r1 - size. */
static void bounds(struct eb *b, struct fixes *f, int indirect, uint32_t k,
		   uint32_t size, int xdp)
{
	if (indirect && xdp)
		/* bounds the variable offset for the kernel verifier */
		add_fix(f, ins(b, BPFTK_OP_JGT64_K, R_X, 0, 0, 0xffff), REJECT);
	ins(b, BPFTK_OP_MOV64_X, 1, R_PKT, 0, 0);
	if (indirect)
		ins(b, BPFTK_OP_ADD64_X, 1, R_X, 0, 0);
	if ((uint64_t)k + size > 0x7fffffff) {
		add_fix(f, ins(b, BPFTK_OP_JA, 0, 0, 0, 0), REJECT);
		return;
	}
	ins(b, BPFTK_OP_ADD64_K, 1, 0, 0, (int32_t)(k + size));
	add_fix(f, ins(b, BPFTK_OP_JGT64_X, 1, R_END, 0, 0), REJECT);
}

static void load(struct eb *b, int dst, uint32_t size)
{
	static const enum bpftk_op ld[] = {0, BPFTK_OP_LDXB, BPFTK_OP_LDXH, 0,
					   BPFTK_OP_LDXW};

	ins(b, ld[size], dst, 1, -(int)size, 0);
	if (size == 2)
		ins(b, BPFTK_OP_BE16, dst, 0, 0, 0);
	else if (size == 4)
		ins(b, BPFTK_OP_BE32, dst, 0, 0, 0);
}

static uint32_t size_bytes(uint16_t code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

static enum bpftk_op alu_op(uint16_t code)
{
	int x = BPF_SRC(code) == BPF_X;

	switch (BPF_OP(code)) {
	case BPF_ADD: return x ? BPFTK_OP_ADD32_X : BPFTK_OP_ADD32_K;
	case BPF_SUB: return x ? BPFTK_OP_SUB32_X : BPFTK_OP_SUB32_K;
	case BPF_MUL: return x ? BPFTK_OP_MUL32_X : BPFTK_OP_MUL32_K;
	case BPF_DIV: return x ? BPFTK_OP_DIV32_X : BPFTK_OP_DIV32_K;
	case BPF_MOD: return x ? BPFTK_OP_MOD32_X : BPFTK_OP_MOD32_K;
	case BPF_AND: return x ? BPFTK_OP_AND32_X : BPFTK_OP_AND32_K;
	case BPF_OR: return x ? BPFTK_OP_OR32_X : BPFTK_OP_OR32_K;
	case BPF_XOR: return x ? BPFTK_OP_XOR32_X : BPFTK_OP_XOR32_K;
	case BPF_LSH: return x ? BPFTK_OP_LSH32_X : BPFTK_OP_LSH32_K;
	case BPF_RSH: return x ? BPFTK_OP_RSH32_X : BPFTK_OP_RSH32_K;
	case BPF_NEG: return BPFTK_OP_NEG32;
	default: return BPFTK_OP_INVALID;
	}
}

static enum bpftk_op jmp_op(uint16_t code)
{
	int x = BPF_SRC(code) == BPF_X;

	switch (BPF_OP(code)) {
	case BPF_JEQ: return x ? BPFTK_OP_JEQ32_X : BPFTK_OP_JEQ32_K;
	case BPF_JGT: return x ? BPFTK_OP_JGT32_X : BPFTK_OP_JGT32_K;
	case BPF_JGE: return x ? BPFTK_OP_JGE32_X : BPFTK_OP_JGE32_K;
	case BPF_JSET: return x ? BPFTK_OP_JSET32_X : BPFTK_OP_JSET32_K;
	default: return BPFTK_OP_INVALID;
	}
}

static void ret_const(struct eb *b, uint32_t k, int xdp)
{
	if (xdp)
		ins(b, BPFTK_OP_MOV64_K, 0, 0, 0, k ? XDP_PASS : XDP_DROP);
	else
		ins(b, BPFTK_OP_MOV32_K, 0, 0, 0, (int32_t)k);
	ins(b, BPFTK_OP_EXIT, 0, 0, 0, 0);
}

static void prologue(struct eb *b, int xdp)
{
	if (xdp) {
		ins(b, BPFTK_OP_LDXW, R_PKT, 1, 0, 0);	/* xdp_md->data */
		ins(b, BPFTK_OP_LDXW, R_END, 1, 4, 0);	/* xdp_md->data_end */
		ins(b, BPFTK_OP_MOV32_K, 2, 0, 0, 0);	/* no length (see top) */
	} else {
		ins(b, BPFTK_OP_MOV64_X, R_PKT, 1, 0, 0);
		ins(b, BPFTK_OP_MOV64_X, R_END, 1, 0, 0);
		ins(b, BPFTK_OP_ADD64_X, R_END, 2, 0, 0);
		ins(b, BPFTK_OP_MOV64_X, 2, 3, 0, 0);
	}
	ins(b, BPFTK_OP_STXW, 10, 2, OFF_WIRELEN, 0);
	ins(b, BPFTK_OP_MOV32_K, R_A, 0, 0, 0);
	ins(b, BPFTK_OP_MOV32_K, R_X, 0, 0, 0);
}

/* One classic instruction; returns -ENOTSUP for what pcap filters never
 * contain (extensions). */
static int one(struct eb *b, struct fixes *f, const struct bpftk_cbpf_insn *p,
	       size_t i, int xdp)
{
	uint16_t c = p->code;

	switch (BPF_CLASS(c)) {
	case BPF_LD:
	case BPF_LDX: {
		int dst = BPF_CLASS(c) == BPF_LD ? R_A : R_X;

		switch (BPF_MODE(c)) {
		case BPF_ABS:
		case BPF_IND:
			if (dst != R_A)
				return -ENOTSUP;
			bounds(b, f, BPF_MODE(c) == BPF_IND, p->k, size_bytes(c), xdp);
			load(b, R_A, size_bytes(c));
			return 0;
		case BPF_MSH:
			bounds(b, f, 0, p->k, 1, xdp);
			load(b, R_X, 1);
			ins(b, BPFTK_OP_AND32_K, R_X, 0, 0, 0xf);
			ins(b, BPFTK_OP_LSH32_K, R_X, 0, 0, 2);
			return 0;
		case BPF_IMM:
			ins(b, BPFTK_OP_MOV32_K, dst, 0, 0, (int32_t)p->k);
			return 0;
		case BPF_LEN:
			ins(b, BPFTK_OP_LDXW, dst, 10, OFF_WIRELEN, 0);
			return 0;
		case BPF_MEM:
			if (p->k >= BPF_MEMWORDS)
				return -EINVAL;
			ins(b, BPFTK_OP_LDXW, dst, 10, OFF_MEM + 4 * (int)p->k, 0);
			return 0;
		default:
			return -ENOTSUP;
		}
	}
	case BPF_ST:
	case BPF_STX:
		if (p->k >= BPF_MEMWORDS)
			return -EINVAL;
		ins(b, BPFTK_OP_STXW, 10, BPF_CLASS(c) == BPF_ST ? R_A : R_X,
		    OFF_MEM + 4 * (int)p->k, 0);
		return 0;
	case BPF_ALU: {
		enum bpftk_op op = alu_op(c);

		if (op == BPFTK_OP_INVALID)
			return -ENOTSUP;
		if (BPF_SRC(c) == BPF_X &&
		    (BPF_OP(c) == BPF_DIV || BPF_OP(c) == BPF_MOD))
			add_fix(f, ins(b, BPFTK_OP_JEQ32_K, R_X, 0, 0, 0), REJECT);
		if (BPF_SRC(c) == BPF_X &&
		    (BPF_OP(c) == BPF_LSH || BPF_OP(c) == BPF_RSH)) {
			/* libpcap: a shift by X >= 32 gives 0, where eBPF
			 * would take X modulo 32 */
			ins(b, BPFTK_OP_JLT32_K, R_X, 0, 2, 32);
			ins(b, BPFTK_OP_MOV32_K, R_A, 0, 0, 0);
			ins(b, BPFTK_OP_JA, 0, 0, 1, 0);
		}
		if (BPF_SRC(c) == BPF_X)
			ins(b, op, R_A, R_X, 0, 0);
		else
			ins(b, op, R_A, 0, 0, (int32_t)p->k);
		return 0;
	}
	case BPF_JMP: {
		if (BPF_OP(c) == BPF_JA) {
			add_fix(f, ins(b, BPFTK_OP_JA, 0, 0, 0, 0), i + 1 + p->k);
			return 0;
		}
		enum bpftk_op op = jmp_op(c);

		if (op == BPFTK_OP_INVALID)
			return -ENOTSUP;
		int x = BPF_SRC(c) == BPF_X;

		add_fix(f, ins(b, op, R_A, x ? R_X : 0, 0, x ? 0 : (int32_t)p->k),
			i + 1 + p->jt);
		if (p->jf)
			add_fix(f, ins(b, BPFTK_OP_JA, 0, 0, 0, 0), i + 1 + p->jf);
		return 0;
	}
	case BPF_RET:
		if (BPF_RVAL(c) == BPF_K) {
			ret_const(b, p->k, xdp);
		} else if (xdp) {
			ins(b, BPFTK_OP_MOV64_K, 0, 0, 0, XDP_PASS);
			ins(b, BPFTK_OP_JNE32_K, R_A, 0, 1, 0);
			ins(b, BPFTK_OP_MOV64_K, 0, 0, 0, XDP_DROP);
			ins(b, BPFTK_OP_EXIT, 0, 0, 0, 0);
		} else {
			ins(b, BPFTK_OP_MOV32_X, 0, R_A, 0, 0);
			ins(b, BPFTK_OP_EXIT, 0, 0, 0, 0);
		}
		return 0;
	case BPF_MISC:
		if (BPF_MISCOP(c) == BPF_TAX)
			ins(b, BPFTK_OP_MOV32_X, R_X, R_A, 0, 0);
		else
			ins(b, BPFTK_OP_MOV32_X, R_A, R_X, 0, 0);
		return 0;
	default:
		return -ENOTSUP;
	}
}

int fl_ebpf_from_cbpf(const struct bpftk_cbpf_insn *prog, size_t n,
		      enum bpftk_filter_ebpf_kind kind, struct bpftk_insn **out,
		      size_t *nout, struct bpftk_diags *d)
{
	struct eb b = {0};
	struct fixes f = {0};
	int xdp = kind == BPFTK_FILTER_EBPF_XDP, err = 0;

	int uses_len = 0;
	for (size_t i = 0; i < n; i++)
		uses_len |= (BPF_CLASS(prog[i].code) == BPF_LD ||
			     BPF_CLASS(prog[i].code) == BPF_LDX) &&
			    BPF_MODE(prog[i].code) == BPF_LEN;
	if (xdp && uses_len) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, "filter", -1,
				"the packet length ('len', 'less', 'greater') is not available to XDP programs");
		return -ENOTSUP;
	}
	size_t *start = bpftk_calloc(n + 1, sizeof(*start));
	if (!start)
		return -ENOMEM;
	prologue(&b, xdp);
	for (size_t i = 0; i < n && !err; i++) {
		start[i] = b.n;
		err = one(&b, &f, &prog[i], i, xdp);
		if (err)
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, "filter",
					(long)i,
					"classic instruction 0x%04x has no eBPF translation here",
					prog[i].code);
	}
	size_t reject = b.n;
	int need_reject = 0;
	for (size_t j = 0; j < f.n; j++)
		need_reject |= f.v[j].cbpf_target == REJECT ||
			       f.v[j].cbpf_target >= n;
	/* the verifier refuses unreachable code */
	if (need_reject)
		ret_const(&b, 0, xdp);
	if (!err && (b.failed || f.failed))
		err = -ENOMEM;
	for (size_t j = 0; !err && j < f.n; j++) {
		size_t t = f.v[j].cbpf_target;
		size_t to = t == REJECT ? reject : t < n ? start[t] : reject;
		long off = (long)to - (long)f.v[j].at - 1;

		if (off < -32768 || off > 32767) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, "filter",
					(long)f.v[j].at, "jump offset out of range");
			err = -E2BIG;
		}
		b.v[f.v[j].at].off = (int16_t)off;
	}
	bpftk_free(start);
	bpftk_free(f.v);
	if (err) {
		bpftk_free(b.v);
		return err;
	}
	*out = b.v;
	*nout = b.n;
	return 0;
}
