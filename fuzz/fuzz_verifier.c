/* fuzz_verifier.c — soundness fuzzer of the verifier: whatever bpftk_verify
 * accepts must run in BPFTK_VM_CHECKED mode without a single fault.
 *
 * Input: byte 0 picks the program type (raw, XDP, tc, socket filter) and
 * the source of the program; the rest drives it.
 *  - Generated (most inputs): a program built from snippets that real
 *    programs are made of and that the verifier has to reason about:
 *    packet loads behind bounds checks (against data_end, or r2 for raw
 *    memory), stack stores and loads, variable offsets masked into range,
 *    bounded loops, helper calls, LD_ABS, forward branches on scalars,
 *    atomics, bpf_loop with a callback (appended after the main function)
 *    that reads and writes the caller's stack through its context pointer,
 *    indexes it with the loop index and returns 0, 1 or something else,
 *    plus fully random instructions; then a few mutations (an
 *    offset, an immediate, a size or a comparison changed) so programs sit
 *    on both sides of the verifier's line.
 *  - Seeded: a program of the conformance suite (../shared/conformance,
 *    read once from $BPFTK_SHARED or ../shared; raw type, with its memory)
 *    with the same mutations.
 * Each program goes to bpftk_verify.  When it is accepted, it is written
 * as an ELF object and run through bpftk_run_new (which verifies it again:
 * disagreeing with the first answer is a bug) in checked mode over several
 * inputs (packets of random length and content, some with valid Ethernet
 * and IPv4 headers; raw memory).  Any fault of an accepted program prints
 * the program and the fault, writes the input to $BPFTK_VFUZZ_CRASH_DIR
 * when set, and aborts (with $BPFTK_VFUZZ_KEEP_GOING set it counts the bug
 * and goes on, for long runs).
 *
 * With $BPFTK_VFUZZ_KERNEL set (and bpf() permitted), every accepted
 * program of a kernel type (not raw) is also loaded into Linux with
 * bpf_prog_load: the kernel rejecting it for a safety reason at an
 * instruction bpftk's walk reached is a
 * difference printed as "KERNEL-DIFF" (a bug of ours, or a rule of the
 * kernel we do not share), counted, never an abort.
 *
 * vfuzz_stats() gives the counts to a long-running driver (tools/vfuzz/).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <bpftk/asm.h>
#include <bpftk/disasm.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>
#include <bpftk/object.h>
#include <bpftk/run.h>
#include <bpftk/verifier.h>

#include "../tests/unit/kernel_accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Counts so far: inputs, programs verified, accepted, run cleanly, loader
 * refusals after acceptance, runs, soundness bugs; accepted programs the
 * kernel judged, accepted, rejected for safety, for a missing feature. */
void vfuzz_stats(unsigned long out[12]);

#define MAX_INSNS 512
#define NRUNS 4

enum ptype { T_RAW, T_XDP, T_TC, T_SOCK, T__COUNT };
static const char *const sec_name[T__COUNT] = {"raw", "xdp", "tc", "socket"};
static const enum bpftk_prog_type prog_type[T__COUNT] = {
	BPFTK_PROG_TYPE_UNSPEC, BPFTK_PROG_TYPE_XDP, BPFTK_PROG_TYPE_SCHED_CLS,
	BPFTK_PROG_TYPE_SOCKET_FILTER};

static unsigned long st_inputs, st_verified, st_accepted, st_clean,
	st_refused, st_runs, st_bugs, st_k_loaded, st_k_accepted, st_k_safety,
	st_k_feature, st_k_dead;

void vfuzz_stats(unsigned long out[12])
{
	out[11] = st_k_dead;
	out[6] = st_bugs;
	out[7] = st_k_loaded;
	out[8] = st_k_accepted;
	out[9] = st_k_safety;
	out[10] = st_k_feature;
	out[0] = st_inputs;
	out[1] = st_verified;
	out[2] = st_accepted;
	out[3] = st_clean;
	out[4] = st_refused;
	out[5] = st_runs;
}

/* ---- input reader ---------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, i;
};

static unsigned byte(struct rd *r)
{
	return r->i < r->n ? r->p[r->i++] : 0;
}

static unsigned pick(struct rd *r, unsigned n)
{
	return n ? byte(r) % n : 0;
}

/* ---- program builder ------------------------------------------------------- */

struct prog {
	struct bpftk_insn in[MAX_INSNS + 8];
	size_t n;
};

static void emit(struct prog *p, enum bpftk_op op, unsigned dst, unsigned src,
		 int off, int32_t imm)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	if (!r || p->n >= MAX_INSNS)
		return;
	struct bpftk_insn x = {r->code, (uint8_t)dst, (uint8_t)src,
			       (int16_t)off, imm};
	if (r->sel == BPFTK_SEL_OFF)
		x.off = (int16_t)r->selval;
	else if (r->sel == BPFTK_SEL_IMM)
		x.imm = r->selval;
	else if (r->sel == BPFTK_SEL_SRC)
		x.src = (uint8_t)r->selval;
	p->in[p->n++] = x;
	if (r->form == BPFTK_FORM_LDDW) {
		struct bpftk_insn hi = {0, 0, 0, 0, 0};
		p->in[p->n++] = hi;
	}
}

/* Ops of one operand form, collected from the table once. */
static enum bpftk_op ops_of[BPFTK_FORM__COUNT][64];
static unsigned nops_of[BPFTK_FORM__COUNT];

static void collect_ops(void)
{
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info((enum bpftk_op)op);
		if (r && nops_of[r->form] < 64)
			ops_of[r->form][nops_of[r->form]++] = (enum bpftk_op)op;
	}
}

static enum bpftk_op any_of(struct rd *r, enum bpftk_form f)
{
	return ops_of[f][pick(r, nops_of[f])];
}

static const enum bpftk_op ldx_ops[4] = {BPFTK_OP_LDXB, BPFTK_OP_LDXH,
					 BPFTK_OP_LDXW, BPFTK_OP_LDXDW};
static const enum bpftk_op stx_ops[4] = {BPFTK_OP_STXB, BPFTK_OP_STXH,
					 BPFTK_OP_STXW, BPFTK_OP_STXDW};
static const enum bpftk_op st_ops[4] = {BPFTK_OP_STB, BPFTK_OP_STH,
					BPFTK_OP_STW, BPFTK_OP_STDW};

/* Scratch registers: r2, r3 hold data/data_end (packet types) or r7 the
 * raw length; r6 the context or memory. */
static unsigned scratch(struct rd *r)
{
	static const unsigned regs[] = {0, 4, 5, 8, 9, 1};
	return regs[pick(r, 6)];
}

/* r2 = data, r3 = data_end from the context in r6. */
static void load_pkt(struct prog *p, enum ptype t)
{
	if (t == T_XDP) {
		emit(p, BPFTK_OP_LDXW, 2, 6, 0, 0);
		emit(p, BPFTK_OP_LDXW, 3, 6, 4, 0);
	} else if (t == T_TC) {
		emit(p, BPFTK_OP_LDXW, 2, 6, 76, 0);
		emit(p, BPFTK_OP_LDXW, 3, 6, 80, 0);
	}
}

/* Bounds check then an access: "if base + need > end skip; access". */
static void guarded_access(struct rd *r, struct prog *p, enum ptype t)
{
	unsigned sz = pick(r, 4), width = 1u << sz;
	int need = (int)pick(r, 64) + 1;
	int off = (int)pick(r, 64) - 2; /* sometimes past need, or negative */
	unsigned tmp = 4, val = scratch(r) == 4 ? 5 : scratch(r);
	int store = pick(r, 4) == 0;
	if (t == T_RAW) {
		/* if r7 < need goto skip */
		emit(p, BPFTK_OP_JLT64_K, 7, 0, 1, need);
		emit(p, store ? stx_ops[sz] : ldx_ops[sz], store ? 6 : val,
		     store ? val : 6, off, 0);
		return;
	}
	if (t == T_SOCK)
		return;
	emit(p, BPFTK_OP_MOV64_X, tmp, 2, 0, 0);
	emit(p, BPFTK_OP_ADD64_K, tmp, 0, 0, need);
	emit(p, pick(r, 2) ? BPFTK_OP_JGT64_X : BPFTK_OP_JGE64_X, tmp, 3, 1, 0);
	emit(p, store ? stx_ops[sz] : ldx_ops[sz], store ? 2 : val,
	     store ? val : 2, off - (int)(pick(r, 2) ? 0 : width), 0);
}

/* A variable offset masked into a small range added to the base. */
static void variable_access(struct rd *r, struct prog *p, enum ptype t)
{
	unsigned sz = pick(r, 4);
	int mask = (int)(1u << pick(r, 7)) - 1;
	int need = (int)pick(r, 80) + 1;
	if (t == T_SOCK)
		return;
	unsigned base = t == T_RAW ? 6 : 2, end = 3;
	emit(p, BPFTK_OP_MOV64_X, 5, 0, 0, 0); /* r5 = r0: unknown-ish */
	emit(p, BPFTK_OP_AND64_K, 5, 0, 0, mask);
	if (t == T_RAW) {
		/* if r7 < need + mask goto skip 3 */
		emit(p, BPFTK_OP_JLT64_K, 7, 0, 3, need + mask);
		emit(p, BPFTK_OP_MOV64_X, 4, base, 0, 0);
		emit(p, BPFTK_OP_ADD64_X, 4, 5, 0, 0);
		emit(p, ldx_ops[sz], 0, 4, (int)pick(r, 16) - 4 + need - 8, 0);
		return;
	}
	emit(p, BPFTK_OP_MOV64_X, 4, base, 0, 0);
	emit(p, BPFTK_OP_ADD64_X, 4, 5, 0, 0);
	emit(p, BPFTK_OP_MOV64_X, 1, 4, 0, 0);
	emit(p, BPFTK_OP_ADD64_K, 1, 0, 0, need);
	emit(p, BPFTK_OP_JGT64_X, 1, end, 1, 0);
	emit(p, ldx_ops[sz], 0, 4, (int)pick(r, 16) - 4 + need - 8, 0);
}

static void stack_op(struct rd *r, struct prog *p)
{
	unsigned sz = pick(r, 4);
	int off = -(int)(pick(r, 64) + 1);
	if (pick(r, 3))
		off &= ~((1 << sz) - 1); /* mostly aligned */
	switch (pick(r, 4)) {
	case 0:
		emit(p, st_ops[sz], 10, 0, off, (int32_t)byte(r));
		break;
	case 1:
		emit(p, stx_ops[sz], 10, scratch(r), off, 0);
		break;
	case 2:
		emit(p, ldx_ops[sz], scratch(r), 10, off, 0);
		break;
	default:
		emit(p, BPFTK_OP_STDW, 10, 0, off & ~7, 0);
		emit(p, pick(r, 2) ? BPFTK_OP_ATOMIC64_ADD
				   : BPFTK_OP_ATOMIC64_FETCH_ADD,
		     10, scratch(r), off & ~7, 0);
		break;
	}
}

/* A loop of a few iterations: r8 = n; do { body } while (--r8). */
static void loop(struct rd *r, struct prog *p)
{
	emit(p, BPFTK_OP_MOV64_K, 8, 0, 0, (int32_t)pick(r, 6) + 1);
	size_t top = p->n;
	emit(p, any_of(r, BPFTK_FORM_ALU_K), 0, 0, 0, (int32_t)byte(r) + 1);
	emit(p, BPFTK_OP_SUB64_K, 8, 0, 0, pick(r, 8) ? 1 : 0);
	emit(p, BPFTK_OP_JNE64_K, 8, 0, (int)top - (int)p->n - 1, 0);
}

/* A helper every packet type may call; the packet pointers are reloaded
 * afterwards (calls clobber r1..r5). */
static void helper(struct rd *r, struct prog *p, enum ptype t)
{
	static const int32_t ids[] = {7 /* get_prandom_u32 */,
				      5 /* ktime_get_ns */,
				      8 /* get_smp_processor_id */};
	emit(p, BPFTK_OP_CALL, 0, 0, 0, ids[pick(r, 3)]);
	load_pkt(p, t);
}

/* bpf_loop(n, callback, fp-8k or NULL, 0 or 1): the callback's address
 * is patched in when it is appended (loops->at); packet pointers are
 * reloaded afterwards. */
struct loops {
	size_t at[4]; /* the ld_pseudo of each bpf_loop call */
	unsigned n;
};

static void loop_call(struct rd *r, struct prog *p, enum ptype t,
		      struct loops *l)
{
	if (l->n == 4)
		return;
	int ctx = -8 * (int)(1 + pick(r, 4));
	if (pick(r, 2))
		emit(p, BPFTK_OP_STDW, 10, 0, ctx, (int32_t)pick(r, 8));
	if (pick(r, 4))
		emit(p, BPFTK_OP_MOV64_K, 1, 0, 0, (int32_t)pick(r, 24));
	else
		emit(p, BPFTK_OP_MOV64_X, 1, scratch(r), 0, 0);
	l->at[l->n++] = p->n;
	emit(p, BPFTK_OP_LDDW_FUNC, 2, 0, 0, 0);
	if (pick(r, 6)) {
		emit(p, BPFTK_OP_MOV64_X, 3, 10, 0, 0);
		emit(p, BPFTK_OP_ADD64_K, 3, 0, 0, ctx);
	} else {
		emit(p, BPFTK_OP_MOV64_K, 3, 0, 0, 0);
	}
	emit(p, BPFTK_OP_MOV64_K, 4, 0, 0, pick(r, 8) == 0);
	emit(p, BPFTK_OP_CALL, 0, 0, 0, 181);
	load_pkt(p, t);
	/* the scratch registers the call clobbered get numbers again; r0
	 * or r5 may take what the callback left, for what follows */
	emit(p, BPFTK_OP_MOV64_K, 1, 0, 0, (int32_t)(int8_t)byte(r));
	emit(p, BPFTK_OP_MOV64_K, 4, 0, 0, (int32_t)(int8_t)byte(r));
	emit(p, BPFTK_OP_MOV64_K, 5, 0, 0, (int32_t)(int8_t)byte(r));
	if (pick(r, 2))
		emit(p, BPFTK_OP_LDXDW, pick(r, 2) ? 0 : 5, 10, ctx, 0);
}

/* The callback: r1 = index, r2 = the context (caller's stack or NULL). */
static void callback(struct rd *r, struct prog *p)
{
	unsigned nsnip = 1 + pick(r, 5);
	for (unsigned k = 0; k < nsnip; k++) {
		unsigned sz = pick(r, 4);
		/* fp-16 .. fp+8 of the context, sometimes misaligned */
		int off = 8 * ((int)pick(r, 4) - 2) + (pick(r, 4) == 0);
		switch (pick(r, 6)) {
		case 0: /* the index, bounded or not, into the context */
			if (pick(r, 2))
				emit(p, BPFTK_OP_AND64_K, 1, 0, 0,
				     (int32_t)pick(r, 16));
			emit(p, BPFTK_OP_MOV64_X, 3, 2, 0, 0);
			emit(p, BPFTK_OP_ADD64_X, 3, 1, 0, 0);
			emit(p, ldx_ops[sz], 4, 3,
			     -(int)(pick(r, 24) & ~((1u << sz) - 1)), 0);
			break;
		case 1: /* a running sum in the context */
			emit(p, BPFTK_OP_LDXDW, 0, 2, 0, 0);
			emit(p, BPFTK_OP_ADD64_X, 0, 1, 0, 0);
			emit(p, BPFTK_OP_STXDW, 2, 0, 0, 0);
			break;
		case 2:
			emit(p, stx_ops[sz], 2, 1, off, 0);
			break;
		case 3:
			emit(p, ldx_ops[sz], 0, 2, off, 0);
			break;
		case 4: /* stop at some index */
			emit(p, BPFTK_OP_MOV64_K, 0, 0, 0, 1);
			emit(p, BPFTK_OP_JLE64_K, 1, 0, 1, (int32_t)pick(r, 16));
			emit(p, BPFTK_OP_EXIT, 0, 0, 0, 0);
			break;
		default:
			emit(p, any_of(r, BPFTK_FORM_ALU_K), 0, 0, 0,
			     (int32_t)(int8_t)byte(r));
			break;
		}
	}
	unsigned ret = pick(r, 8);
	if (ret == 0)
		emit(p, BPFTK_OP_AND64_K, 0, 0, 0, 3); /* may be 2 or 3 */
	else
		emit(p, BPFTK_OP_MOV64_K, 0, 0, 0, ret == 1 ? 2 : ret & 1);
	emit(p, BPFTK_OP_EXIT, 0, 0, 0, 0);
}

/* A random instruction with valid registers (may well be rejected). */
static void random_insn(struct rd *r, struct prog *p)
{
	enum bpftk_op op = (enum bpftk_op)(1 + pick(r, BPFTK_OP__COUNT - 1));
	const struct bpftk_opinfo *info = bpftk_isa_info(op);
	if (!info || info->form == BPFTK_FORM_LDDW ||
	    info->form == BPFTK_FORM_CALL || info->form == BPFTK_FORM_EXIT ||
	    info->form == BPFTK_FORM_JA || info->form == BPFTK_FORM_JA32 ||
	    info->form == BPFTK_FORM_JCC_K || info->form == BPFTK_FORM_JCC_X ||
	    info->form == BPFTK_FORM_CALLX)
		return;
	unsigned uses = bpftk_isa_form_uses((enum bpftk_form)info->form);
	unsigned dst = pick(r, 11), src = pick(r, 11);
	int off = (int)(int8_t)byte(r);
	int32_t imm = (int32_t)(int8_t)byte(r);
	if (info->form == BPFTK_FORM_END)
		imm = 16 << pick(r, 3);
	if (info->form == BPFTK_FORM_ATOMIC)
		imm = info->selval;
	emit(p, op, uses & BPFTK_USES_DST ? dst : 0,
	     uses & BPFTK_USES_SRC ? src : 0, uses & BPFTK_USES_OFF ? off : 0,
	     uses & BPFTK_USES_IMM ? imm : 0);
}

static void generate(struct rd *r, struct prog *p, enum ptype t)
{
	p->n = 0;
	emit(p, BPFTK_OP_MOV64_X, 6, 1, 0, 0);
	if (t == T_RAW)
		emit(p, BPFTK_OP_MOV64_X, 7, 2, 0, 0);
	load_pkt(p, t);
	for (unsigned reg = 0; reg < 10; reg++)
		if (reg != 1 && reg != 2 && reg != 3 && reg != 6 && reg != 7)
			emit(p, BPFTK_OP_MOV64_K, reg, 0, 0,
			     (int32_t)(int8_t)byte(r));
	unsigned nsnip = 1 + pick(r, 16);
	struct loops lp;
	lp.n = 0;
	/* one program in eight is short and about bpf_loop: its calls and
	 * what the caller does with the stack the callback wrote */
	static const unsigned focus_snips[] = {9, 9, 5, 4, 2};
	int focus = pick(r, 8) == 0;
	if (focus)
		nsnip = 1 + pick(r, 5);
	for (unsigned k = 0; k < nsnip && p->n < MAX_INSNS - 64; k++) {
		size_t jump_at = (size_t)-1;
		if (pick(r, 4) == 0) {
			/* a forward branch over this snippet */
			jump_at = p->n;
			if (pick(r, 2))
				emit(p, any_of(r, BPFTK_FORM_JCC_K), scratch(r),
				     0, 0, (int32_t)(int8_t)byte(r));
			else
				emit(p, any_of(r, BPFTK_FORM_JCC_X), scratch(r),
				     scratch(r), 0, 0);
		}
		switch (focus ? focus_snips[pick(r, 5)] : pick(r, 11)) {
		case 0:
			emit(p, any_of(r, BPFTK_FORM_ALU_K), scratch(r), 0, 0,
			     (int32_t)(int8_t)byte(r));
			break;
		case 1:
			emit(p, any_of(r, BPFTK_FORM_ALU_X), scratch(r),
			     scratch(r), 0, 0);
			break;
		case 2:
		case 3:
			guarded_access(r, p, t);
			break;
		case 4:
			variable_access(r, p, t);
			break;
		case 5:
			stack_op(r, p);
			break;
		case 6:
			loop(r, p);
			break;
		case 7:
			helper(r, p, t);
			break;
		case 8:
			if (t != T_XDP) /* LD_ABS: skb types and raw */
				emit(p, pick(r, 2) ? BPFTK_OP_LDABSB
						   : BPFTK_OP_LDABSH,
				     0, 0, 0, (int32_t)pick(r, 80));
			break;
		case 9:
			if (focus || pick(r, 2)) {
				loop_call(r, p, t, &lp);
				break;
			}
			random_insn(r, p);
			break;
		default:
			random_insn(r, p);
			break;
		}
		if (jump_at != (size_t)-1)
			p->in[jump_at].off = (int16_t)(p->n - jump_at - 1);
	}
	if (t != T_RAW)
		emit(p, BPFTK_OP_AND64_K, 0, 0, 0, 3);
	emit(p, BPFTK_OP_EXIT, 0, 0, 0, 0);
	if (lp.n) {
		size_t cb = p->n;
		callback(r, p);
		for (unsigned i = 0; i < lp.n; i++)
			p->in[lp.at[i]].imm = (int32_t)(cb - lp.at[i] - 1);
	}
}

/* Small changes that move a program across the verifier's line. */
static void mutate(struct rd *r, struct prog *p)
{
	unsigned m = pick(r, 4);
	for (unsigned k = 0; k < m && p->n; k++) {
		struct bpftk_insn *x = &p->in[pick(r, 256) % p->n];
		switch (pick(r, 6)) {
		case 0:
			x->off = (int16_t)(x->off + (int)pick(r, 9) - 4);
			break;
		case 1:
			x->imm = (int32_t)((uint32_t)x->imm + pick(r, 9) - 4u);
			break;
		case 2:
			x->imm = (int32_t)(int8_t)byte(r);
			break;
		case 3: /* load/store size, or the comparison */
			x->code ^= (uint8_t)((pick(r, 2) ? 0x08 : 0x10));
			break;
		case 4:
			x->src = (uint8_t)pick(r, 11);
			break;
		default:
			x->dst = (uint8_t)pick(r, 11);
			break;
		}
	}
}

/* ---- conformance seeds ----------------------------------------------------- */

struct seed {
	struct bpftk_insn *in;
	size_t n;
	uint8_t mem[256];
	size_t mem_len;
};
static struct seed *seeds;
static size_t nseeds;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16;
	char *b = malloc(cap + 1);
	*len = b ? fread(b, 1, cap, f) : 0;
	fclose(f);
	if (b)
		b[*len] = '\0';
	return b;
}

static void add_seed(const char *text)
{
	const char *a = strstr(text, "-- asm\n");
	if (!a)
		return;
	a += 7;
	const char *e = strstr(a, "\n--");
	size_t alen = e ? (size_t)(e - a) + 1 : strlen(a);
	struct bpftk_asm_opts ao;
	memset(&ao, 0, sizeof(ao));
	ao.sz = sizeof(ao);
	ao.dialect = BPFTK_ASM_CONFORMANCE;
	struct bpftk_asm_result *res = NULL;
	if (bpftk_asm_assemble(a, alen, &ao, &res, NULL))
		return;
	const struct bpftk_asm_section *s = bpftk_asm_result_section(res, 0);
	struct seed *ns = s && s->n && s->n <= MAX_INSNS
				  ? realloc(seeds, (nseeds + 1) * sizeof(*seeds))
				  : NULL;
	if (ns) {
		seeds = ns;
		struct seed *sd = &seeds[nseeds];
		memset(sd, 0, sizeof(*sd));
		sd->in = malloc(s->n * sizeof(*sd->in));
		if (sd->in) {
			memcpy(sd->in, s->insns, s->n * sizeof(*sd->in));
			sd->n = s->n;
			const char *m = strstr(text, "-- mem\n");
			for (m = m ? m + 7 : NULL; m && *m && *m != '-' &&
						   sd->mem_len < sizeof(sd->mem);) {
				unsigned v;
				int used;
				if (sscanf(m, "%2x%n", &v, &used) == 1) {
					sd->mem[sd->mem_len++] = (uint8_t)v;
					m += used;
				} else {
					m++;
				}
			}
			nseeds++;
		}
	}
	bpftk_asm_result_free(res);
}

static void load_seeds(void)
{
	const char *shared = getenv("BPFTK_SHARED");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/conformance/tests",
		 shared ? shared : "../shared");
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (!strstr(de->d_name, ".data"))
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		size_t len;
		char *text = slurp(path, &len);
		if (text)
			add_seed(text);
		free(text);
	}
	closedir(dp);
}

/* ---- running an accepted program --------------------------------------------- */

static void report_bug(const char *what, const struct prog *p, enum ptype t,
		       struct bpftk_diags *d, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_verifier: SOUNDNESS: %s (type %s)\n", what,
		sec_name[t]);
	for (size_t i = 0; d && i < bpftk_diags_count(d); i++) {
		char buf[1024];
		bpftk_diag_format(bpftk_diags_get(d, i), buf, sizeof(buf));
		fprintf(stderr, "  %s\n", buf);
	}
	for (size_t i = 0; i < p->n;) {
		char text[128];
		int k = bpftk_disasm_insn(p->in, p->n, i, NULL, text,
					  sizeof(text));
		fprintf(stderr, "  %4zu: %s\n", i, text);
		i += k > 0 ? (size_t)k : 1;
	}
	const char *dir = getenv("BPFTK_VFUZZ_CRASH_DIR");
	if (dir) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/vfuzz-crash-%lu.bin", dir,
			 st_inputs);
		FILE *f = fopen(path, "wb");
		if (f) {
			fwrite(data, 1, size, f);
			fclose(f);
			fprintf(stderr, "  input written to %s\n", path);
		}
	}
	st_bugs++;
	if (!getenv("BPFTK_VFUZZ_KEEP_GOING"))
		abort();
}

/* Packet or memory for run k: random bytes of a random length, sometimes
 * with Ethernet + IPv4 headers so parsers go deeper. */
static size_t make_input(struct rd *r, enum ptype t, const struct seed *sd,
			 uint32_t raw_size, int k, uint8_t *buf)
{
	size_t len;
	if (sd && k == 0) {
		memcpy(buf, sd->mem, sd->mem_len);
		return sd->mem_len;
	}
	len = t == T_RAW ? raw_size : 14 + pick(r, 120);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)byte(r) ^ (uint8_t)(i * 37 + k);
	if (t != T_RAW && len >= 34 && pick(r, 2)) {
		buf[12] = 0x08;
		buf[13] = 0x00;
		buf[14] = 0x45;
	}
	return len;
}

static void run_accepted(struct rd *r, const struct prog *p, enum ptype t,
			 const struct seed *sd, uint32_t raw_size,
			 const uint8_t *data, size_t size)
{
	struct bpftk_elf_symbol sym = {"prog", 0};
	struct bpftk_elf_section sec = {sec_name[t], p->in, p->n, &sym, 1};
	void *elf = NULL;
	size_t elf_len = 0;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_object *o = NULL;
	struct bpftk_run *run = NULL;
	if (!d || bpftk_elf_write(&sec, 1, "GPL", 0, &elf, &elf_len, NULL) ||
	    bpftk_object_open_mem(elf, elf_len, NULL, &o, NULL)) {
		st_refused++;
		goto out;
	}
	struct bpftk_run_opts ro;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.flags = BPFTK_RUN_CHECKED;
	ro.type = prog_type[t];
	ro.budget = 1u << 24;
	ro.raw_mem_size = raw_size;
	int err = bpftk_run_new(o, &ro, &run, d);
	if (err == -EACCES || err == -E2BIG) {
		report_bug("bpftk_verify accepted the program, the same "
			   "verification in bpftk_run_new rejected it",
			   p, t, d, data, size);
		goto out;
	}
	if (err) {
		/* the loader refused what the verifier accepted (context
		 * rewrite, helper not implemented): not a run, not a fault */
		st_refused++;
		goto out;
	}
	uint8_t buf[256], out_buf[4096];
	for (int k = 0; k < NRUNS; k++) {
		size_t len = make_input(r, t, sd, raw_size, k, buf);
		struct bpftk_test_run_opts tr;
		memset(&tr, 0, sizeof(tr));
		tr.sz = sizeof(tr);
		tr.data_in = len ? buf : NULL;
		tr.data_size_in = (uint32_t)len;
		tr.data_out = out_buf;
		tr.data_size_out = sizeof(out_buf);
		bpftk_diags_clear(d);
		st_runs++;
		err = bpftk_run_test(run, &tr, d);
		if (err == -EINVAL || err == -E2BIG)
			continue; /* the test run refused the input itself */
		if (err) {
			report_bug("a verified program faulted in checked mode", p,
				   t, d, data, size);
			goto out;
		}
	}
	st_clean++;
out:
	bpftk_run_free(run);
	bpftk_object_close(o);
	bpftk_elf_buf_free(elf);
	bpftk_diags_free(d);
}

/* The instruction the kernel's log complains about: the last "N: (op)"
 * line, which it prints before checking an instruction; -1 if none. */
static long kernel_insn(const char *log)
{
	long pc = -1;
	const char *l = log;
	while (*l) {
		char *end;
		long v = strtol(l, &end, 10);
		if (end != l && end[0] == ':' && end[1] == ' ' && end[2] == '(')
			pc = v;
		const char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	return pc;
}

/* The kernel's verdict on a program bpftk accepted (BPFTK_VFUZZ_KERNEL).
 * A rejection at an instruction bpftk's walk never reached is the kernel
 * being less precise (it does not follow constants through division and
 * remainder, or compare a register with itself) and counted apart. */
static void kernel_diff(const struct prog *p, enum ptype t,
			const struct bpftk_verify_result *res)
{
	static int usable = -1;
	static char log[1 << 16];
	if (usable < 0) {
		char why[128];
		usable = getenv("BPFTK_VFUZZ_KERNEL") && !kacc_probe(why, sizeof(why));
	}
	if (!usable || t == T_RAW)
		return;
	static uint64_t wire[MAX_INSNS + 8]; /* aligned for struct bpf_insn */
	bpftk_isa_encode(p->in, p->n, 0, wire);
	struct bpf_prog_load_opts po;
	memset(&po, 0, sizeof(po));
	po.sz = sizeof(po);
	po.log_level = 1;
	po.log_buf = log;
	po.log_size = sizeof(log);
	log[0] = '\0';
	int fd = bpf_prog_load((enum bpf_prog_type)prog_type[t], NULL, "GPL",
			       (const struct bpf_insn *)wire, p->n,
			       &po);
	st_k_loaded++;
	if (fd >= 0) {
		close(fd);
		st_k_accepted++;
		return;
	}
	char reason[512];
	kacc_reason(log, reason, sizeof(reason));
	if (!kacc_safety_reason(reason) || !log[0]) {
		st_k_feature++;
		return;
	}
	long kpc = kernel_insn(log);
	if (res && kpc >= 0 && (size_t)kpc < p->n &&
	    !bpftk_verify_result_facts(res, (size_t)kpc).reachable) {
		st_k_dead++;
		return;
	}
	st_k_safety++;
	fprintf(stderr, "fuzz_verifier: KERNEL-DIFF (type %s): bpftk accepts, "
			"the kernel says: %s\n",
		sec_name[t], reason);
	for (size_t i = 0; i < p->n;) {
		char text[128];
		int k = bpftk_disasm_insn(p->in, p->n, i, NULL, text,
					  sizeof(text));
		fprintf(stderr, "  %4zu: %s\n", i, text);
		i += k > 0 ? (size_t)k : 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		collect_ops();
		load_seeds();
		ready = 1;
	}
	st_inputs++;
	struct rd r = {data, size, 0};
	unsigned sel = byte(&r);
	enum ptype t = (enum ptype)(sel % T__COUNT);
	static struct prog p;
	const struct seed *sd = NULL;
	if ((sel >> 2) % 4 == 0 && nseeds) {
		/* a conformance program, as raw (it was written for that) */
		t = T_RAW;
		sd = &seeds[(byte(&r) | byte(&r) << 8) % nseeds];
		memcpy(p.in, sd->in, sd->n * sizeof(*sd->in));
		p.n = sd->n;
	} else {
		generate(&r, &p, t);
	}
	if ((sel >> 4) & 3)
		mutate(&r, &p);
	struct bpftk_verify_opts vo;
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.type = prog_type[t];
	vo.insn_limit = 4000;
	/* raw programs: the memory every run will give, exactly */
	uint32_t raw_size = sd ? (uint32_t)sd->mem_len : pick(&r, 129);
	vo.raw_mem_size = raw_size;
	st_verified++;
	static int kernel = -1;
	if (kernel < 0)
		kernel = getenv("BPFTK_VFUZZ_KERNEL") != NULL;
	/* facts only for the kernel comparison, which needs reachability */
	struct bpftk_verify_result *res = NULL;
	if (bpftk_verify(p.in, p.n, &vo, kernel ? &res : NULL, NULL)) {
		bpftk_verify_result_free(res);
		return 0;
	}
	st_accepted++;
	kernel_diff(&p, t, res);
	bpftk_verify_result_free(res);
	run_accepted(&r, &p, t, sd, raw_size, data, size);
	return 0;
}
