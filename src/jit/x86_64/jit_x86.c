/* jit_x86.c — translation of a BPF program to x86-64 machine code.
 *
 * Layout of the image:
 *   entry      saves callee-saved registers, loads r1..r5, r10 from the run
 *              context, zeroes r0, r6..r9, calls the slot it was given,
 *              stores r0; shared epilogue
 *   stubs      fault_exit (unwinds to the entry's stack pointer and
 *              returns the status in eax), zero_frame (C call preserving
 *              the BPF argument registers)
 *   body       one block of code per slot, in slot order
 *   end        a fault for running past the last slot (offsets[n])
 * Every BPF function, including the program itself, is entered with a
 * native call and left with ret, so exit is one instruction and a local
 * call is a call.  Native rsp is 16-byte aligned inside BPF code (entry:
 * 6 pushes; local call: 8 + 4 pushes before the call), so helper calls
 * need only what they push themselves.
 *
 * Jump offsets are settled by repeated passes: the first pass uses 32-bit
 * displacements everywhere; each later pass picks 8-bit ones where the
 * previous pass's offsets allow, so code only shrinks and distances only
 * shrink; the image is final when a pass reproduces the previous offsets
 * (then every displacement computed from them is exact).
 *
 * Optional parts, each switched by struct bpftk_jit_opts and tested on and
 * off: a peephole pass merging common sequences into one x86 instruction
 * (gen_peephole; never across a slot that code can enter other than by
 * falling through), constant blinding (load_imm), and with the verifier's
 * facts (facts.c): no code for slots it never reached and no branch to
 * them (gen_facts), `mov dst, value` for an instruction whose result it
 * proved constant, divisions by a known register without their tests
 * (gen_div), no zero extension of a register already zero-extended
 * (upper_zero).  A local call saves only the r6..r9 its callee can write
 * (analyse_calls).
 *
 * Semantics are the interpreter's (vm_interp.h): division by zero and
 * INT_MIN / -1 are tested explicitly since x86 div/idiv trap on them;
 * shift counts are masked by the hardware as BPF masks them; 32-bit
 * operations write 32-bit registers, which zero-extends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "x86_int.h"

#define MAX_PASSES 64

struct xc {
	struct jit_buf *b;
	const struct bpftk_insn *insns;
	size_t n;
	const struct bpftk_jit_env *env;
	const struct bpftk_jit_opts *opts;
	const uint32_t *prev; /* offsets of the previous pass; NULL: first */
	uint32_t *cur;
	size_t pc;
	size_t epilogue, fault_exit, zero_stub;
	uint64_t seed, rng; /* blinding keys: the same sequence every pass */
	/* per slot: for a local call's target, bit i set when the function
	 * may write r(6+i) (so the call must save it); 0x1f elsewhere;
	 * bit 4 set when it calls anything */
	uint8_t *clobbers;
	/* cold code, out of line after the end fault: the slow paths of
	 * local calls, entered by a not-taken-normally jcc rel32.  Site i
	 * of this pass (in emission order, the same every pass) has its
	 * slot in cold_pc, where its jcc returns to in cold_ret, its kind
	 * in cold_kind; cold_at[i] is where the last pass put its code
	 * (cold_prev) and this pass puts it (cold_cur). */
	size_t ncold;
	uint32_t *cold_pc, *cold_ret, *cold_prev, *cold_cur;
	uint8_t *cold_kind;
	struct jit_facts facts; /* facts.on 0: none */
};

enum { COLD_DEPTH, COLD_ZERO };

#define REG(r) (bpftk_x86_reg[(r)])

/* ---- constant blinding ------------------------------------------------- */

/* A seed for the keys of one compilation, not predictable from outside. */
static uint64_t blind_seed(const struct bpftk_insn *insns, size_t n)
{
	uint64_t s = 0;
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f || fread(&s, sizeof(s), 1, f) != 1) {
		/* no urandom: addresses and the clock, mixed */
		s = (uint64_t)(uintptr_t)insns ^ (uint64_t)n << 32 ^
		    (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s;
	}
	if (f)
		fclose(f);
	return s | 1;
}

static int32_t next_key(struct xc *x)
{
	/* xorshift64* */
	x->rng ^= x->rng >> 12;
	x->rng ^= x->rng << 25;
	x->rng ^= x->rng >> 27;
	return (int32_t)((x->rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* reg = v (w: all 64 bits, else the low 32, zero-extended).  Blinded, the
 * constant never appears in the code as the program gave it: reg is
 * loaded with v ^ key and xored with the key (a fresh random int32,
 * sign-extended, per constant; 64 random bits through the other scratch
 * register, r10 or r11, for a constant wider than 32 bits signed). */
static void load_imm(struct xc *x, int w, int reg, uint64_t v)
{
	if (!x->opts->blind) {
		if (w)
			emit_mov_imm64(x->b, reg, v);	/* mov reg, v */
		else
			emit_mov_imm32(x->b, reg, (uint32_t)v); /* mov reg32, v */
		return;
	}
	int32_t k = next_key(x);
	if (w && (int64_t)v != (int32_t)v) {
		/* a full 64-bit key: a sign-extended one would leave the
		 * upper half of v as it is half of the time */
		uint64_t key = (uint64_t)(uint32_t)k << 32 |
			       (uint32_t)next_key(x);
		int tmp = reg == X86_T1 ? X86_T2 : X86_T1;
		emit_mov_imm64(x->b, reg, v ^ key);	/* mov reg, v^key */
		emit_mov_imm64(x->b, tmp, key);		/* mov tmp, key */
		x86_rr(x->b, X_W, 0x31, tmp, reg);	/* xor reg, tmp */
		return;
	}
	if (w) {
		emit_mov_imm64(x->b, reg, v ^ (uint64_t)(int64_t)k); /* mov reg, v^key */
		x86_rr(x->b, X_W, 0x81, 6, reg);		    /* xor reg, key */
	} else {
		emit_mov_imm32(x->b, reg, (uint32_t)v ^ (uint32_t)k); /* mov reg32, v^key */
		x86_rr(x->b, 0, 0x81, 6, reg);			    /* xor reg32, key */
	}
	jit_u32(x->b, (uint32_t)k);
}

/* ---- local forward branches inside one slot's code (always rel8) ------ */

static size_t fwd_jcc(struct xc *x, int cc)
{
	emit_jcc(x->b, cc, 0, 0);
	return x->b->len;
}

static size_t fwd_jmp(struct xc *x)
{
	emit_jmp(x->b, 0, 0);
	return x->b->len;
}

/* Points the rel8 ending at `end` to the current position. */
static void fwd_here(struct xc *x, size_t end)
{
	if (x->b->oom)
		return;
	x->b->p[end - 1] = (uint8_t)(int8_t)(x->b->len - end);
}

/* jmp/jcc to an already emitted position (a stub or a loop head). */
static void jump_back(struct xc *x, int cc, size_t to)
{
	long short_rel = (long)to - (long)(x->b->len + 2);
	int near = short_rel < -128;
	long rel = (long)to - (long)(x->b->len + (near ? (cc < 0 ? 5 : 6) : 2));
	if (cc < 0)
		emit_jmp(x->b, (int32_t)rel, near);
	else
		emit_jcc(x->b, cc, (int32_t)rel, near);
}

/* Stops the program with status kind, the fault located at this slot. */
static void fault(struct xc *x, int kind)
{
	emit_st_ctx_imm(x->b, 1, x->env->off_pc, (int32_t)x->pc); /* mov [ctx.pc], pc */
	emit_mov_imm32(x->b, RAX, (uint32_t)kind);		   /* mov eax, kind */
	jump_back(x, -1, x->fault_exit);			   /* jmp fault_exit */
}

/* jmp/jcc to slot t: the last instruction of the code of slots pc ..
 * end - 1 (end > pc + 1 when the peephole merged slots). */
static void jump_slot_from(struct xc *x, int cc, size_t t, size_t end)
{
	if (!x->prev) {
		if (cc < 0)
			emit_jmp(x->b, 0, 1);
		else
			emit_jcc(x->b, cc, 0, 1);
		return;
	}
	/* from the end of this slot's code, as laid out by the last pass */
	long rel = (long)x->prev[t] - (long)x->prev[end];
	int near = rel < -128 || rel > 127;
	if (cc < 0)
		emit_jmp(x->b, (int32_t)rel, near);
	else
		emit_jcc(x->b, cc, (int32_t)rel, near);
}

/* jmp/jcc to slot t: the last instruction of this slot's code. */
static void jump_slot(struct xc *x, int cc, size_t t)
{
	jump_slot_from(x, cc, t, x->pc + 1);
}

/* ---- entry and stubs ---------------------------------------------------- */

static const int callee_saved[] = {RBP, RBX, R12, R13, R14, R15};
static const int bpf_args[] = {RDI, RSI, RDX, RCX, R8};

static void gen_entry(struct xc *x)
{
	struct jit_buf *b = x->b;
	const struct bpftk_jit_env *e = x->env;
	for (int i = 0; i < 6; i++)
		emit_push(b, callee_saved[i]);	  /* push rbp, rbx, r12..r15 */
	emit_mov_rr(b, 1, X86_CTX, RDI);	  /* mov r12, rdi (ctx) */
	emit_st_ctx(b, 1, e->off_sp, RSP);	  /* mov [ctx.sp], rsp */
	emit_mov_rr(b, 1, X86_T1, RSI);		  /* mov r11, rsi (target) */
	emit_ld_ctx(b, 1, RBP, e->off_fp0);	  /* mov rbp, [ctx.fp0] */
	for (int i = 0; i < 5; i++)		  /* mov rdi.., [ctx.args + 8i] */
		emit_ld_ctx(b, 1, bpf_args[i], e->off_args + 8 * i);
	emit_mov_imm32(b, RAX, 0);		  /* xor eax, eax */
	emit_mov_imm32(b, RBX, 0);		  /* xor ebx, ebx */
	emit_mov_imm32(b, R13, 0);		  /* xor r13d, r13d */
	emit_mov_imm32(b, R14, 0);		  /* xor r14d, r14d */
	emit_mov_imm32(b, R15, 0);		  /* xor r15d, r15d */
	emit_call_reg(b, X86_T1);		  /* call r11 */
	emit_st_ctx(b, 1, e->off_r0, RAX);	  /* mov [ctx.r0], rax */
	emit_mov_imm32(b, RAX, BPFTK_JIT_OK);	  /* xor eax, eax */
	x->epilogue = b->len;
	for (int i = 5; i >= 0; i--)
		emit_pop(b, callee_saved[i]);	  /* pop r15..rbp */
	emit_ret(b);				  /* ret */

	x->fault_exit = b->len;
	emit_st_ctx(b, 1, e->off_fault_fp, RBP); /* mov [ctx.fault_fp], rbp */
	emit_ld_ctx(b, 1, RSP, e->off_sp);	  /* mov rsp, [ctx.sp] */
	jump_back(x, -1, x->epilogue);		  /* jmp epilogue */

	/* called with rsp = 8 mod 16; the new frame's r10 is rbp - 512 */
	x->zero_stub = b->len;
	emit_push(b, RAX);			  /* push rax */
	for (int i = 0; i < 5; i++)
		emit_push(b, bpf_args[i]);	  /* push rdi..r8 */
	emit_alu_imm(b, 1, 5, RSP, 8);		  /* sub rsp, 8 */
	emit_mov_rr(b, 1, RDI, X86_CTX);	  /* mov rdi, r12 */
	x86_mem(b, X_W, 0x8d, RSI, RBP, -1, -BPFTK_STACK_SIZE); /* lea rsi, [rbp-512] */
	uint64_t fn;
	memcpy(&fn, &e->zero_frame, sizeof(fn));
	emit_mov_imm64(b, RAX, fn);		  /* movabs rax, zero_frame */
	emit_call_reg(b, RAX);			  /* call rax */
	emit_alu_imm(b, 1, 0, RSP, 8);		  /* add rsp, 8 */
	for (int i = 4; i >= 0; i--)
		emit_pop(b, bpf_args[i]);	  /* pop r8..rdi */
	emit_pop(b, RAX);			  /* pop rax */
	emit_ret(b);				  /* ret */
}

/* ---- calls -------------------------------------------------------------- */

/* Fills the call record (id already stored), calls the helper whose
 * address is in fn_reg (r10 or r11), keeps r1..r5, checks call.err. */
static void gen_helper_call(struct xc *x, int fn_reg)
{
	struct jit_buf *b = x->b;
	const struct bpftk_jit_env *e = x->env;
	emit_st_ctx_imm(b, 1, e->off_call_insn, (int32_t)x->pc); /* mov [call.insn], pc */
	x86_mem(b, X_W, 0x8d, X86_T3, RBP, -1, -BPFTK_STACK_SIZE); /* lea r9, [rbp-512] */
	emit_st_ctx(b, 1, e->off_call_stack_lo, X86_T3);	   /* mov [call.stack_lo], r9 */
	emit_ld_ctx(b, 1, X86_T3, e->off_stack_hi);		   /* mov r9, [ctx.stack_hi] */
	x86_rr(b, X_W, 0x29, RBP, X86_T3);			   /* sub r9, rbp */
	emit_shift_imm(b, X_W, 5, X86_T3, 9);			   /* shr r9, 9 */
	emit_st_ctx(b, 0, e->off_call_depth, X86_T3);		   /* mov [call.depth], r9d */
	for (int i = 0; i < 5; i++)
		emit_push(b, bpf_args[i]);			   /* push rdi..r8 */
	emit_alu_imm(b, 1, 5, RSP, 8);				   /* sub rsp, 8 */
	x86_mem(b, X_W, 0x8d, X86_T3, X86_CTX, -1, e->off_call); /* lea r9, [ctx.call] */
	emit_call_reg(b, fn_reg);				   /* call fn */
	emit_alu_imm(b, 1, 0, RSP, 8);				   /* add rsp, 8 */
	for (int i = 4; i >= 0; i--)
		emit_pop(b, bpf_args[i]);			   /* pop r8..rdi */
	x86_mem(b, 0, 0x83, 7, X86_CTX, -1, e->off_call_err);	   /* cmp dword [call.err], 0 */
	jit_byte(b, 0);
	size_t ok = fwd_jcc(x, CC_E);				   /* je ok */
	if (e->call_return) {
		x86_mem(b, 0, 0x81, 7, X86_CTX, -1, e->off_call_err); /* cmp dword [call.err], RETURN */
		jit_u32(b, (uint32_t)e->call_return);
		size_t other = fwd_jcc(x, CC_NE);		   /* jne fail */
		emit_ld_ctx(b, 1, RAX, e->off_call_r0);		   /* mov rax, [call.r0] */
		emit_st_ctx_imm(b, 0, e->off_call_err, 0);	   /* mov dword [call.err], 0 */
		emit_ret(b);					   /* ret (the function's exit) */
		fwd_here(x, other);
	}
	emit_mov_imm32(b, RAX, BPFTK_JIT_HELPER);		   /* fail: mov eax, HELPER */
	jump_back(x, -1, x->fault_exit);			   /* jmp fault_exit */
	fwd_here(x, ok);
}

static void gen_call(struct xc *x, const struct bpftk_insn *in)
{
	const struct bpftk_jit_env *e = x->env;
	uint32_t id = (uint32_t)in->imm; /* registered: checked by the vm */
	const uint8_t *h = (const uint8_t *)e->helpers + id * e->helper_stride;
	uint64_t fn;
	memcpy(&fn, h, sizeof(fn));
	emit_st_ctx_imm(x->b, 0, e->off_call_id, (int32_t)id); /* mov [call.id], id */
	emit_mov_imm64(x->b, X86_T1, fn);		      /* movabs r11, fn */
	gen_helper_call(x, X86_T1);
}

static void gen_callx(struct xc *x, int d)
{
	struct jit_buf *b = x->b;
	const struct bpftk_jit_env *e = x->env;
	size_t bad1 = 0, ok = 0;
	if (e->nhelpers) {
		emit_mov_rr(b, 1, X86_T1, d);			  /* mov r11, d */
		emit_alu_imm(b, 1, 7, X86_T1, (int32_t)e->nhelpers); /* cmp r11, nhelpers */
		bad1 = fwd_jcc(x, CC_AE);			  /* jae bad */
		x86_rr(b, X_W, 0x69, X86_T1, X86_T1);		  /* imul r11, r11, stride */
		jit_u32(b, (uint32_t)e->helper_stride);
		uint64_t base;
		memcpy(&base, &e->helpers, sizeof(base));
		emit_mov_imm64(b, X86_T2, base);		  /* movabs r10, helpers */
		x86_mem(b, X_W, 0x8b, X86_T2, X86_T2, X86_T1, 0); /* mov r10, [r10 + r11] */
		x86_rr(b, X_W, 0x85, X86_T2, X86_T2);		  /* test r10, r10 */
		ok = fwd_jcc(x, CC_NE);				  /* jnz ok */
		fwd_here(x, bad1);
	}
	emit_st_ctx(b, 1, e->off_addr, d);			  /* bad: mov [ctx.addr], d */
	fault(x, BPFTK_JIT_CALLX);
	if (!e->nhelpers)
		return;
	fwd_here(x, ok);
	emit_st_ctx(b, 0, e->off_call_id, d);			  /* ok: mov [call.id], d32 */
	gen_helper_call(x, X86_T2);
}

static void gen_call_checks(struct xc *x);
static void gen_call_frame(struct xc *x, size_t target);

/* jcc rel32 to cold site ncold (where the last pass put it), which
 * returns here. */
static void cold_jcc(struct xc *x, int cc, int kind)
{
	size_t i = x->ncold++;
	long to = x->prev ? (long)x->cold_prev[i] : (long)x->b->len + 6;
	emit_jcc(x->b, cc, (int32_t)(to - (long)(x->b->len + 6)), 1);
	x->cold_pc[i] = (uint32_t)x->pc;
	x->cold_ret[i] = (uint32_t)x->b->len;
	x->cold_kind[i] = (uint8_t)kind;
}

/* The code of every cold site, at the end of the image. */
static void gen_cold(struct xc *x)
{
	for (size_t i = 0; i < x->ncold; i++) {
		x->cold_cur[i] = (uint32_t)x->b->len;
		x->pc = x->cold_pc[i];
		if (x->cold_kind[i] == COLD_DEPTH) {
			fault(x, BPFTK_JIT_DEPTH);
			continue;
		}
		emit_call_rel(x->b, (int32_t)((long)x->zero_stub -
					      (long)(x->b->len + 5))); /* call zero_stub */
		jump_back(x, -1, x->cold_ret[i]);	/* jmp back */
	}
}

static void gen_call_local(struct xc *x, size_t target)
{
	struct jit_buf *b = x->b;
	const struct bpftk_jit_env *e = x->env;
	if (x->cold_pc && !x->opts->no_peephole) {
		x86_mem(b, X_W, 0x3b, RBP, X86_CTX, -1, e->off_lim); /* cmp rbp, [ctx.lim] */
		cold_jcc(x, CC_B, COLD_DEPTH);			 /* jb cold: fault */
		x86_mem(b, X_W, 0x3b, RBP, X86_CTX, -1, e->off_zero_fp); /* cmp rbp, [ctx.zero_fp] */
		cold_jcc(x, CC_BE, COLD_ZERO);			 /* jbe cold: zero */
	} else {
		gen_call_checks(x);
	}
	gen_call_frame(x, target);
}

/* The checks of a local call, inline: the depth and the new frame's
 * zeroing. */
static void gen_call_checks(struct xc *x)
{
	struct jit_buf *b = x->b;
	const struct bpftk_jit_env *e = x->env;
	x86_mem(b, X_W, 0x3b, RBP, X86_CTX, -1, e->off_lim); /* cmp rbp, [ctx.lim] */
	size_t ok = fwd_jcc(x, CC_AE);			     /* jae ok */
	fault(x, BPFTK_JIT_DEPTH);
	fwd_here(x, ok);
	x86_mem(b, X_W, 0x3b, RBP, X86_CTX, -1, e->off_zero_fp); /* cmp rbp, [ctx.zero_fp] */
	size_t clean = fwd_jcc(x, CC_A);		 /* ja clean */
	emit_call_rel(b, (int32_t)((long)x->zero_stub - (long)(b->len + 5))); /* call zero_stub */
	fwd_here(x, clean);
}

/* A local call after its checks: saves, frame, call, restores. */
static void gen_call_frame(struct xc *x, size_t target)
{
	struct jit_buf *b = x->b;
	/* r6..r9 the callee may write are kept on the native stack; with
	 * the return address the pushes leave rsp 16-byte aligned */
	static const int saved[4] = {RBX, R13, R14, R15};
	unsigned mask = x->clobbers ? x->clobbers[target] : 0x1f, nsave = 0;
	for (int i = 0; i < 4; i++)
		nsave += (mask >> i) & 1;
	/* a leaf (no calls in it) may run with rsp misaligned; without the
	 * peephole every callee is aligned for, as before */
	int pad = nsave % 2 == 0 && ((mask & 0x10) || x->opts->no_peephole);
	if (pad)
		emit_alu_imm(b, 1, 5, RSP, 8);		 /* sub rsp, 8 */
	for (int i = 0; i < 4; i++)
		if (mask & (1u << i))
			emit_push(b, saved[i]);		 /* push rbx/r13/r14/r15 */
	emit_alu_imm(b, 1, 5, RBP, BPFTK_STACK_SIZE);	 /* sub rbp, 512 */
	long to = x->prev ? (long)x->prev[target] : (long)b->len + 5;
	emit_call_rel(b, (int32_t)(to - (long)(b->len + 5))); /* call target */
	emit_alu_imm(b, 1, 0, RBP, BPFTK_STACK_SIZE);	 /* add rbp, 512 */
	for (int i = 3; i >= 0; i--)
		if (mask & (1u << i))
			emit_pop(b, saved[i]);		 /* pop r15/r14/r13/rbx */
	if (pad)
		emit_alu_imm(b, 1, 0, RSP, 8);		 /* add rsp, 8 */
}

/* Which of r6..r9 may the function entered at slot f write, not counting
 * the functions it calls (their calls restore them)?  Bit 4: does it call
 * anything (if not, nothing in it needs rsp 16-byte aligned)?  A walk over the
 * slots reachable from f by falling through and jumping, to its exits.
 * stack and seen are scratch arrays of n entries. */
static unsigned clobbered(const struct bpftk_insn *insns, size_t n, size_t f,
			  size_t *stack, uint8_t *seen)
{
	unsigned mask = 0;
	size_t sp = 0;
	memset(seen, 0, n);
	stack[sp++] = f;
	seen[f] = 1;
	while (sp && mask != 0x1f) {
		size_t pc = stack[--sp];
		enum bpftk_op op = bpftk_isa_lookup(&insns[pc]);
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (!r)
			return 0x1f;
		unsigned uses = bpftk_isa_form_uses(r->form);
		unsigned d = insns[pc].dst, s = insns[pc].src;
		if ((uses & BPFTK_WRITES_DST) && d >= 6 && d <= 9)
			mask |= 1u << (d - 6);
		/* fetch atomics and xchg write their src register */
		if (r->form == BPFTK_FORM_ATOMIC && s >= 6 && s <= 9 &&
		    (insns[pc].imm & 1))
			mask |= 1u << (s - 6);
		size_t next[2];
		int nn = 0;
		if (op == BPFTK_OP_CALL || op == BPFTK_OP_CALLX ||
		    op == BPFTK_OP_CALL_LOCAL)
			mask |= 0x10;
		if (op == BPFTK_OP_EXIT)
			continue;
		if (uses & BPFTK_IS_JUMP)
			next[nn++] = (size_t)bpftk_isa_target(insns, pc);
		if (op != BPFTK_OP_JA && op != BPFTK_OP_JA32)
			next[nn++] = pc + (r->form == BPFTK_FORM_LDDW ? 2 : 1);
		for (int i = 0; i < nn; i++) {
			if (next[i] >= n)
				continue; /* runs off the end: a fault */
			if (!seen[next[i]]) {
				seen[next[i]] = 1;
				stack[sp++] = next[i];
			}
		}
	}
	return mask;
}

/* x->clobbers for every local call target; NULL (save all) when the
 * analysis would cost too much or memory is short. */
static uint8_t *analyse_calls(const struct bpftk_insn *insns, size_t n)
{
	uint8_t *c = bpftk_malloc(n + 1);
	size_t *stack = bpftk_malloc((n + 1) * sizeof(*stack));
	uint8_t *seen = bpftk_malloc(n + 1);
	size_t work = 0;
	if (c)
		memset(c, 0x1f, n + 1);
	for (size_t pc = 0; c && stack && seen && pc < n; pc++) {
		if (bpftk_isa_lookup(&insns[pc]) != BPFTK_OP_CALL_LOCAL)
			continue;
		size_t t = (size_t)bpftk_isa_target(insns, pc);
		if (c[t] != 0x1f || t >= n)
			continue; /* done already (or all four, no matter) */
		if ((work += n) > (size_t)64 << 20)
			break; /* many functions in a huge program: save all */
		c[t] = (uint8_t)clobbered(insns, n, t, stack, seen);
	}
	bpftk_free(stack);
	bpftk_free(seen);
	return c;
}

/* ---- arithmetic --------------------------------------------------------- */

/* dst = dst / or % src (register s), or k when known (the immediate, or a
 * register whose value the facts give; its low 32 bits for w 0); w 64-bit;
 * sgn signed (RFC 9669: x / 0 = 0, x % 0 = x, INT_MIN / -1 = INT_MIN,
 * INT_MIN % -1 = 0).  A known divisor needs no run-time tests. */
static void gen_div(struct xc *x, int w, int sgn, int mod, int d, int s,
		    int known, uint64_t k)
{
	struct jit_buf *b = x->b;
	unsigned W = w ? X_W : 0;
	if (!w)
		k = (uint32_t)k;
	if (known && k == 0) {
		if (!mod)
			emit_mov_imm32(b, d, 0);	/* xor d32, d32 */
		else if (!w)
			emit_mov_rr(b, 0, d, d);	/* mov d32, d32 */
		return;
	}
	if (known && sgn && (w ? k == UINT64_MAX : k == UINT32_MAX)) {
		if (mod)
			emit_mov_imm32(b, d, 0);	/* xor d32, d32 */
		else
			x86_rr(b, W, 0xf7, 3, d);	/* neg d */
		return;
	}
	if (known)
		load_imm(x, 1, X86_T1, k);		/* mov r11, k */
	else
		emit_mov_rr(b, w, X86_T1, s);		/* mov r11, s */
	emit_mov_rr(b, 1, X86_T2, RDX);			/* mov r10, rdx */
	emit_mov_rr(b, 1, X86_T3, RAX);			/* mov r9, rax */
	if (d != RAX)
		emit_mov_rr(b, 1, RAX, d);		/* mov rax, d */
	size_t zero = 0, minus1 = 0;
	if (!known) {
		x86_rr(b, W, 0x85, X86_T1, X86_T1);	/* test r11, r11 */
		zero = fwd_jcc(x, CC_E);		/* jz zero */
		if (sgn) {
			emit_alu_imm(b, w, 7, X86_T1, -1); /* cmp r11, -1 */
			minus1 = fwd_jcc(x, CC_E);	/* je minus1 */
		}
	}
	if (sgn) {
		if (w)
			jit_byte(b, 0x48);		/* cqo */
		jit_byte(b, 0x99);			/* (cdq) */
		x86_rr(b, W, 0xf7, 7, X86_T1);		/* idiv r11 */
	} else {
		emit_mov_imm32(b, RDX, 0);		/* xor edx, edx */
		x86_rr(b, W, 0xf7, 6, X86_T1);		/* div r11 */
	}
	emit_mov_rr(b, w, X86_T1, mod ? RDX : RAX);	/* mov r11, rdx/rax */
	if (!known) {
		size_t done1 = fwd_jmp(x);		/* jmp done */
		fwd_here(x, zero);
		if (mod)
			emit_mov_rr(b, w, X86_T1, RAX);	/* zero: mov r11, rax */
		else
			emit_mov_imm32(b, X86_T1, 0);	/* zero: xor r11d, r11d */
		size_t done2 = 0;
		if (sgn) {
			done2 = fwd_jmp(x);		/* jmp done */
			fwd_here(x, minus1);
			if (mod) {
				emit_mov_imm32(b, X86_T1, 0); /* xor r11d, r11d */
			} else {
				x86_rr(b, W, 0xf7, 3, RAX); /* neg rax */
				emit_mov_rr(b, w, X86_T1, RAX); /* mov r11, rax */
			}
		}
		fwd_here(x, done1);
		if (sgn)
			fwd_here(x, done2);
	}
	emit_mov_rr(b, 1, RAX, X86_T3);			/* done: mov rax, r9 */
	emit_mov_rr(b, 1, RDX, X86_T2);			/* mov rdx, r10 */
	emit_mov_rr(b, 1, d, X86_T1);			/* mov d, r11 */
}

/* dst <<= / >>= / s>>= src (register); ext as emit_shift_cl. */
static void gen_shift_x(struct xc *x, int w, int ext, int d, int s)
{
	struct jit_buf *b = x->b;
	if (s == RCX) {
		emit_shift_cl(b, w, ext, d);		/* shl d, cl */
	} else if (d == RCX) {
		emit_mov_rr(b, 1, X86_T1, RCX);		/* mov r11, rcx */
		emit_mov_rr(b, 1, RCX, s);		/* mov rcx, s */
		emit_shift_cl(b, w, ext, X86_T1);	/* shl r11, cl */
		emit_mov_rr(b, 1, RCX, X86_T1);		/* mov rcx, r11 */
	} else {
		emit_mov_rr(b, 1, X86_T1, RCX);		/* mov r11, rcx */
		emit_mov_rr(b, 1, RCX, s);		/* mov rcx, s */
		emit_shift_cl(b, w, ext, d);		/* shl d, cl */
		emit_mov_rr(b, 1, RCX, X86_T1);		/* mov rcx, r11 */
	}
}

static void gen_shift_k(struct xc *x, int w, int ext, int d, int32_t imm)
{
	unsigned n = (unsigned)imm & (w ? 63u : 31u);
	if (n)
		emit_shift_imm(x->b, w ? X_W : 0, ext, d, n); /* shl d, n */
	else if (!w)
		emit_mov_rr(x->b, 0, d, d);		/* mov d32, d32 */
}

/* ---- memory ------------------------------------------------------------- */

/* fetch-or/and/xor: a cmpxchg loop in rax (r0 is kept in r10). */
static void gen_fetch_loop(struct xc *x, int w, uint32_t op, int d, int s,
			   int16_t off)
{
	struct jit_buf *b = x->b;
	unsigned W = w ? X_W : 0;
	x86_mem(b, X_W, 0x8d, X86_T3, d, -1, off);	/* lea r9, [d + off] */
	emit_mov_rr(b, 1, X86_T2, RAX);			/* mov r10, rax */
	int sr = s == RAX ? X86_T2 : s;
	x86_mem(b, W, 0x8b, RAX, X86_T3, -1, 0);	/* mov rax, [r9] */
	size_t loop = b->len;
	emit_mov_rr(b, w, X86_T1, RAX);			/* loop: mov r11, rax */
	x86_rr(b, W, op, sr, X86_T1);			/* or/and/xor r11, s */
	x86_mem(b, W | X_LOCK, 0x0fb1, X86_T1, X86_T3, -1, 0); /* lock cmpxchg [r9], r11 */
	jump_back(x, CC_NE, loop);			/* jne loop */
	emit_mov_rr(b, w, s, RAX);			/* mov s, rax (old) */
	if (s != RAX)
		emit_mov_rr(b, 1, RAX, X86_T2);		/* mov rax, r10 */
}

/* LD_ABS / LD_IND: r0 = big-endian n bytes at data + off, or end the
 * program with r0 = 0 when they are not all inside the packet. */
static void gen_pkt(struct xc *x, int n, int s, int32_t imm)
{
	struct jit_buf *b = x->b;
	const struct bpftk_jit_env *e = x->env;
	size_t neg = 0;
	if (s < 0) {
		if (imm < 0) {
			fault(x, BPFTK_JIT_PKT);	/* always outside */
			return;
		}
		load_imm(x, 0, X86_T1, (uint32_t)imm);	/* mov r11d, imm */
	} else {
		emit_mov_rr(b, 0, X86_T1, s);		/* mov r11d, s32 */
		if (x->opts->blind) {
			load_imm(x, 0, X86_T2, (uint32_t)imm); /* mov r10d, imm */
			x86_rr(b, 0, 0x01, X86_T2, X86_T1);    /* add r11d, r10d */
		} else {
			emit_alu_imm(b, 0, 0, X86_T1, imm);    /* add r11d, imm */
		}
		x86_rr(b, X_W, 0x63, X86_T1, X86_T1);	/* movsxd r11, r11d */
		x86_rr(b, X_W, 0x85, X86_T1, X86_T1);	/* test r11, r11 */
		neg = fwd_jcc(x, CC_S);			/* js out */
	}
	x86_mem(b, X_W, 0x8d, X86_T2, X86_T1, -1, n);	/* lea r10, [r11 + n] */
	x86_mem(b, X_W, 0x3b, X86_T2, X86_CTX, -1, e->off_data_len); /* cmp r10, [ctx.data_len] */
	size_t big = fwd_jcc(x, CC_A);			/* ja out */
	emit_ld_ctx(b, 1, X86_T2, e->off_data);		/* mov r10, [ctx.data] */
	if (n == 1) {
		x86_mem(b, 0, 0x0fb6, RAX, X86_T2, X86_T1, 0); /* movzx eax, byte [r10+r11] */
	} else if (n == 2) {
		x86_mem(b, 0, 0x0fb7, RAX, X86_T2, X86_T1, 0); /* movzx eax, word [r10+r11] */
		emit_shift_imm(b, X_66, 1, RAX, 8);	/* ror ax, 8 */
	} else {
		x86_mem(b, 0, 0x8b, RAX, X86_T2, X86_T1, 0); /* mov eax, [r10+r11] */
		emit_bswap(b, 0, RAX);			/* bswap eax */
	}
	size_t ok = fwd_jmp(x);				/* jmp ok */
	if (neg)
		fwd_here(x, neg);
	fwd_here(x, big);
	fault(x, BPFTK_JIT_PKT);			/* out: r0 = 0, stop */
	fwd_here(x, ok);
}

/* mov size [d + off], imm (sign-extended for stdw). */
static int gen_st_imm(struct xc *x, enum bpftk_op op, int d, int16_t off,
		      int32_t imm)
{
	struct jit_buf *b = x->b;
	static const unsigned fl[] = {X_BYTE, X_66, 0, X_W};
	int sz = op == BPFTK_OP_STB ? 0 : op == BPFTK_OP_STH ? 1
				: op == BPFTK_OP_STW ? 2 : 3;
	if (x->opts->blind) {
		load_imm(x, 1, X86_T2, (uint64_t)(int64_t)imm);	  /* mov r10, imm */
		x86_mem(b, fl[sz], sz ? 0x89 : 0x88, X86_T2, d, -1, off); /* mov [d+off], r10 */
		return 1;
	}
	x86_mem(b, fl[sz] & ~(unsigned)X_BYTE, sz ? 0xc7 : 0xc6, 0, d, -1,
		off);					/* mov [d+off], imm */
	jit_byte(b, (uint8_t)imm);
	if (sz >= 1)
		jit_byte(b, (uint8_t)((uint32_t)imm >> 8));
	if (sz >= 2) {
		jit_byte(b, (uint8_t)((uint32_t)imm >> 16));
		jit_byte(b, (uint8_t)((uint32_t)imm >> 24));
	}
	return 1;
}

/* ---- one slot ----------------------------------------------------------- */

static int cc_of(enum bpftk_op op)
{
	switch (op) {
#define J(id, cc)                                                            \
	case BPFTK_OP_##id##64_K:                                            \
	case BPFTK_OP_##id##64_X:                                            \
	case BPFTK_OP_##id##32_K:                                            \
	case BPFTK_OP_##id##32_X:                                            \
		return cc;
		J(JEQ, CC_E)
		J(JNE, CC_NE)
		J(JGT, CC_A)
		J(JGE, CC_AE)
		J(JLT, CC_B)
		J(JLE, CC_BE)
		J(JSET, CC_NE)
		J(JSGT, CC_G)
		J(JSGE, CC_GE)
		J(JSLT, CC_L)
		J(JSLE, CC_LE)
#undef J
	default:
		return -1;
	}
}

static int is_jset(enum bpftk_op op)
{
	return op == BPFTK_OP_JSET64_K || op == BPFTK_OP_JSET64_X ||
	       op == BPFTK_OP_JSET32_K || op == BPFTK_OP_JSET32_X;
}

/* Encoding of a load row: movzx/mov/movsx r, [m]. */
static int ldx_enc(enum bpftk_op op, unsigned *flags, uint32_t *opc)
{
	switch (op) {
	case BPFTK_OP_LDXB: *flags = 0, *opc = 0x0fb6; return 1;
	case BPFTK_OP_LDXH: *flags = 0, *opc = 0x0fb7; return 1;
	case BPFTK_OP_LDXW: *flags = 0, *opc = 0x8b; return 1;
	case BPFTK_OP_LDXDW: *flags = X_W, *opc = 0x8b; return 1;
	case BPFTK_OP_LDXSB: *flags = X_W, *opc = 0x0fbe; return 1;
	case BPFTK_OP_LDXSH: *flags = X_W, *opc = 0x0fbf; return 1;
	case BPFTK_OP_LDXSW: *flags = X_W, *opc = 0x63; return 1;
	default: return 0;
	}
}

/* The compare (cmp or test) of conditional jump in, which sets the flags
 * its cc_of tests. */
static void gen_compare(struct xc *x, const struct bpftk_insn *in,
			enum bpftk_op op)
{
	struct jit_buf *b = x->b;
	const struct bpftk_opinfo *info = bpftk_isa_info(op);
	int d = in->dst < BPFTK_NREGS ? REG(in->dst) : RAX;
	int s = in->src < BPFTK_NREGS ? REG(in->src) : RAX;
	int32_t imm = in->imm;
	int w = BPFTK_CLASS(in->code) == BPFTK_CLASS_JMP;
	unsigned W = w ? X_W : 0;
	int isk = info->form == BPFTK_FORM_JCC_K;
	if (isk && x->opts->blind) {
		load_imm(x, w, X86_T2, (uint64_t)(int64_t)imm); /* mov r10, imm */
		x86_rr(b, W, is_jset(op) ? 0x85 : 0x39, X86_T2, d); /* test/cmp d, r10 */
	} else if (is_jset(op)) {
		if (isk) {
			x86_rr(b, W, 0xf7, 0, d);	/* test d, imm */
			jit_u32(b, (uint32_t)imm);
		} else {
			x86_rr(b, W, 0x85, s, d);	/* test d, s */
		}
	} else if (isk && imm == 0) {
		x86_rr(b, W, 0x85, d, d);		/* test d, d (as cmp d, 0) */
	} else if (isk) {
		emit_alu_imm(b, w, 7, d, imm);		/* cmp d, imm */
	} else {
		x86_rr(b, W, 0x39, s, d);		/* cmp d, s */
	}
}

/* May slots pc+1 .. pc+k-1 be merged into the code of slot pc?  Only when
 * no jump, call or callback enters any of them. */
static int mergeable(const struct xc *x, size_t k)
{
	if (x->pc + k > x->n || !x->env->entry)
		return 0;
	for (size_t i = 1; i < k; i++)
		if (x->env->entry[x->pc + i] ||
		    (x->facts.on && (x->facts.s[x->pc + i].what & JF_DEAD)))
			return 0;
	return 1;
}

/* ---- what the verifier proved (facts.c) --------------------------------- */

/* Is BPF register r's upper half zero on entry to this slot? */
static int upper_zero(const struct xc *x, unsigned r)
{
	return x->facts.on && r < BPFTK_NREGS &&
	       (x->facts.s[x->pc].zx >> r & 1);
}

/* The divisor register's value at this division, when the facts give it. */
static int known_divisor(const struct xc *x, uint64_t *v)
{
	if (!x->facts.on || !(x->facts.s[x->pc].what & JF_DIVISOR))
		return 0;
	*v = x->facts.s[x->pc].divisor;
	return 1;
}

/* Do slots a and t start the same code (a..t-1 or t..a-1 all dead)? */
static int same_code(const struct xc *x, size_t a, size_t t)
{
	if (a > x->n || t > x->n)
		return 0;
	if (!x->facts.on)
		return a == t;
	return x->facts.next_live[a] == x->facts.next_live[t];
}

static int gen_slot(struct xc *x);
static int gen_peephole(struct xc *x);

/* dst = value for an instruction the verifier proved always gives it,
 * when that is no more code than the instruction's own translation (so
 * that facts never make code larger: a stack fill of a constant stays a
 * load when the mov would be longer), and never where the peephole pass
 * merges the slot with others.  The translation is emitted to be measured
 * and taken back (the same in every pass, blinding keys included).
 * Returns 1 when it emitted the mov. */
static int gen_fold(struct xc *x, uint64_t value)
{
	struct jit_buf *b = x->b;
	size_t at = b->len;
	uint64_t rng = x->rng;
	int merged = gen_peephole(x);
	if (!merged)
		gen_slot(x);
	size_t orig = b->len - at;
	b->len = at;
	x->rng = rng;
	if (merged)
		return 0;
	load_imm(x, 1, REG(x->insns[x->pc].dst), value);	/* mov d, value */
	if (b->len - at <= orig)
		return 1;
	b->len = at;
	x->rng = rng;
	return 0;
}

/* What the facts change at this slot: a constant result, or a branch one
 * of whose ways no verifier path took.  Returns 1 when it emitted the
 * slot (maybe as no code), 0 to translate it as usual. */
static int gen_facts(struct xc *x)
{
	if (!x->facts.on)
		return 0;
	const struct jit_slot_facts *f = &x->facts.s[x->pc];
	enum bpftk_op op = bpftk_isa_lookup(&x->insns[x->pc]);
	if (f->what & JF_CONST)
		return gen_fold(x, f->value);
	int ja = op == BPFTK_OP_JA || op == BPFTK_OP_JA32;
	if (x->opts->no_dead_code || (cc_of(op) < 0 && !ja))
		return 0;
	size_t t = (size_t)bpftk_isa_target(x->insns, x->pc);
	if (same_code(x, x->pc + 1, t))
		return 1; /* both ways reach the same code */
	int taken = t < x->n && !(x->facts.s[t].what & JF_DEAD);
	/* off the end is not dead: it is the end fault */
	int falls = !ja && (x->pc + 1 >= x->n ||
			    !(x->facts.s[x->pc + 1].what & JF_DEAD));
	if (ja || taken == falls)
		return 0;
	if (taken)
		jump_slot(x, -1, t);			/* jmp target (always taken) */
	return 1;					/* (never taken: nothing) */
}

/* The peephole pass: sequences clang emits often, as one x86 instruction
 * each.  Returns the slots covered, 0 when nothing matches.
 *   if cond goto +1 ; goto t      if !cond goto t
 *   lsh d, 32 ; rsh d, 32          mov d32, d32
 *   lsh d, 32 ; arsh d, k          movsxd d, d32 ; shl/sar d, |32 - k|
 *   mov d, s ; lsh d, 32 ; rsh d, 32   mov d32, s32
 *   mov d, s ; add d, t ; ldx d, [d + o]   load d, [s + t + o]
 *   mov d, s ; add d, t            lea d, [s + t]
 *   mov d, s ; add d, imm          lea d, [s + imm]
 */
static int gen_peephole(struct xc *x)
{
	struct jit_buf *b = x->b;
	const struct bpftk_insn *in = &x->insns[x->pc];
	if (x->opts->no_peephole || !mergeable(x, 2))
		return 0;
	enum bpftk_op a = bpftk_isa_lookup(&in[0]);
	enum bpftk_op c = bpftk_isa_lookup(&in[1]);
	int cc = cc_of(a);
	if (cc >= 0 && (c == BPFTK_OP_JA || c == BPFTK_OP_JA32) &&
	    (size_t)bpftk_isa_target(x->insns, x->pc) == x->pc + 2) {
		/* a loop's back edge as clang writes it: one taken jump
		 * instead of two; the x86 cc with bit 0 flipped is the
		 * opposite condition */
		gen_compare(x, in, a);
		jump_slot_from(x, cc ^ 1, (size_t)bpftk_isa_target(x->insns, x->pc + 1),
			       x->pc + 2);			/* j!cc ja's target */
		return 2;
	}
	if (in[1].dst != in[0].dst || in[0].dst >= BPFTK_NREGS)
		return 0;
	int d = REG(in[0].dst);
	if (a == BPFTK_OP_LSH64_K && in[0].imm == 32) {
		int32_t k = in[1].imm;
		if (c == BPFTK_OP_RSH64_K && k == 32) {
			if (!upper_zero(x, in[0].dst))
				emit_mov_rr(b, 0, d, d);	/* mov d32, d32 */
			return 2;
		}
		if (c == BPFTK_OP_ARSH64_K && k >= 0 && k < 64) {
			x86_rr(b, X_W, 0x63, d, d);		/* movsxd d, d32 */
			if (k < 32)
				emit_shift_imm(b, X_W, 4, d, (unsigned)(32 - k)); /* shl d, 32-k */
			else if (k > 32)
				emit_shift_imm(b, X_W, 7, d, (unsigned)(k - 32)); /* sar d, k-32 */
			return 2;
		}
		return 0;
	}
	if (a != BPFTK_OP_MOV64_X || in[0].src == in[0].dst ||
	    in[0].src >= BPFTK_NREGS)
		return 0;
	int s = REG(in[0].src);
	if (c == BPFTK_OP_LSH64_K && in[1].imm == 32 && mergeable(x, 3) &&
	    bpftk_isa_lookup(&in[2]) == BPFTK_OP_RSH64_K && in[2].imm == 32 &&
	    in[2].dst == in[0].dst) {
		emit_mov_rr(b, 0, d, s);			/* mov d32, s32 */
		return 3;
	}
	if (c == BPFTK_OP_ADD64_X && in[1].src < BPFTK_NREGS) {
		/* add d, d after mov d, s adds s */
		int t = in[1].src == in[0].dst ? s : REG(in[1].src);
		unsigned fl;
		uint32_t opc;
		if (mergeable(x, 3) && ldx_enc(bpftk_isa_lookup(&in[2]), &fl, &opc) &&
		    in[2].src == in[0].dst && in[2].dst == in[0].dst) {
			x86_mem(b, fl, opc, d, s, t, in[2].off); /* load d, [s + t + off] */
			return 3;
		}
		x86_mem(b, X_W, 0x8d, d, s, t, 0);		/* lea d, [s + t] */
		return 2;
	}
	if (c == BPFTK_OP_ADD64_K && !x->opts->blind) {
		x86_mem(b, X_W, 0x8d, d, s, -1, in[1].imm);	/* lea d, [s + imm] */
		return 2;
	}
	return 0;
}

/* Emits slot pc; returns the slots it covered (2 for lddw) or 0 when the
 * instruction has no translation. */
static int gen_slot(struct xc *x)
{
	struct jit_buf *b = x->b;
	const struct bpftk_insn *in = &x->insns[x->pc];
	enum bpftk_op op = bpftk_isa_lookup(in);
	const struct bpftk_opinfo *info = bpftk_isa_info(op);
	if (!info)
		return 0;
	int d = in->dst < BPFTK_NREGS ? REG(in->dst) : RAX;
	int s = in->src < BPFTK_NREGS ? REG(in->src) : RAX;
	int32_t imm = in->imm;
	int16_t off = in->off;
	int w = BPFTK_CLASS(in->code) == BPFTK_CLASS_ALU64 ||
		BPFTK_CLASS(in->code) == BPFTK_CLASS_JMP;
	unsigned W = w ? X_W : 0;
	uint64_t kv = 0;
	int known;

	int cc = cc_of(op);
	if (cc >= 0) {
		size_t t = (size_t)bpftk_isa_target(x->insns, x->pc);
		if (t == x->pc + 1)
			return 1; /* both ways lead to the next slot */
		gen_compare(x, in, op);
		jump_slot(x, cc, t);				/* jcc target */
		return 1;
	}

	switch (op) {
	/* ---- ALU ------------------------------------------------------- */
#define ALU(id, opx, ext)                                                    \
	case BPFTK_OP_##id##64_K:                                            \
	case BPFTK_OP_##id##32_K:                                            \
		if (x->opts->blind) {                                        \
			load_imm(x, w, X86_T2, (uint64_t)(int64_t)imm);      \
			x86_rr(b, W, opx, X86_T2, d); /* op d, r10 */        \
		} else {                                                     \
			emit_alu_imm(b, w, ext, d, imm); /* op d, imm */     \
		}                                                            \
		return 1;                                                    \
	case BPFTK_OP_##id##64_X:                                            \
	case BPFTK_OP_##id##32_X:                                            \
		x86_rr(b, W, opx, s, d); /* op d, s */                       \
		return 1;
		ALU(ADD, 0x01, 0)
		ALU(SUB, 0x29, 5)
		ALU(OR, 0x09, 1)
		ALU(AND, 0x21, 4)
		ALU(XOR, 0x31, 6)
#undef ALU
	case BPFTK_OP_MUL64_K:
	case BPFTK_OP_MUL32_K:
		if (x->opts->blind) {
			load_imm(x, w, X86_T2, (uint64_t)(int64_t)imm);
			x86_rr(b, W, 0x0faf, d, X86_T2); /* imul d, r10 */
			return 1;
		}
		x86_rr(b, W, 0x69, d, d);	/* imul d, d, imm */
		jit_u32(b, (uint32_t)imm);
		return 1;
	case BPFTK_OP_MUL64_X:
	case BPFTK_OP_MUL32_X:
		x86_rr(b, W, 0x0faf, d, s);	/* imul d, s */
		return 1;
#define DIV(id, sgn, mod)                                                    \
	case BPFTK_OP_##id##64_K:                                            \
	case BPFTK_OP_##id##32_K:                                            \
		gen_div(x, w, sgn, mod, d, -1, 1, (uint64_t)(int64_t)imm);   \
		return 1;                                                    \
	case BPFTK_OP_##id##64_X:                                            \
	case BPFTK_OP_##id##32_X:                                            \
		known = known_divisor(x, &kv);                               \
		gen_div(x, w, sgn, mod, d, s, known, kv);                    \
		return 1;
		DIV(DIV, 0, 0)
		DIV(SDIV, 1, 0)
		DIV(MOD, 0, 1)
		DIV(SMOD, 1, 1)
#undef DIV
#define SHIFT(id, ext)                                                       \
	case BPFTK_OP_##id##64_K:                                            \
	case BPFTK_OP_##id##32_K:                                            \
		gen_shift_k(x, w, ext, d, imm);                              \
		return 1;                                                    \
	case BPFTK_OP_##id##64_X:                                            \
	case BPFTK_OP_##id##32_X:                                            \
		gen_shift_x(x, w, ext, d, s);                                \
		return 1;
		SHIFT(LSH, 4)
		SHIFT(RSH, 5)
		SHIFT(ARSH, 7)
#undef SHIFT
	case BPFTK_OP_NEG64:
	case BPFTK_OP_NEG32:
		x86_rr(b, W, 0xf7, 3, d);	/* neg d */
		return 1;
	case BPFTK_OP_MOV64_K:
		load_imm(x, 1, d, (uint64_t)(int64_t)imm); /* mov d, imm */
		return 1;
	case BPFTK_OP_MOV32_K:
		load_imm(x, 0, d, (uint32_t)imm); /* mov d32, imm */
		return 1;
	case BPFTK_OP_MOV64_X:
		if (d != s)
			emit_mov_rr(b, 1, d, s); /* mov d, s */
		return 1;
	case BPFTK_OP_MOV32_X:
		if (in->src != in->dst || !upper_zero(x, in->dst))
			emit_mov_rr(b, 0, d, s); /* mov d32, s32 */
		return 1;
	case BPFTK_OP_MOVSX64_8:
		x86_rr(b, X_W | X_BYTE, 0x0fbe, d, s); /* movsx d, s8 */
		return 1;
	case BPFTK_OP_MOVSX64_16:
		x86_rr(b, X_W, 0x0fbf, d, s);	/* movsx d, s16 */
		return 1;
	case BPFTK_OP_MOVSX64_32:
		x86_rr(b, X_W, 0x63, d, s);	/* movsxd d, s32 */
		return 1;
	case BPFTK_OP_MOVSX32_8:
		x86_rr(b, X_BYTE, 0x0fbe, d, s); /* movsx d32, s8 */
		return 1;
	case BPFTK_OP_MOVSX32_16:
		x86_rr(b, 0, 0x0fbf, d, s);	/* movsx d32, s16 */
		return 1;

	/* ---- byte order (the host is little-endian) -------------------- */
	case BPFTK_OP_LE16:
		x86_rr(b, 0, 0x0fb7, d, d);	/* movzx d32, d16 */
		return 1;
	case BPFTK_OP_LE32:
		if (!upper_zero(x, in->dst))
			emit_mov_rr(b, 0, d, d); /* mov d32, d32 */
		return 1;
	case BPFTK_OP_LE64:
		return 1;
	case BPFTK_OP_BE16:
	case BPFTK_OP_BSWAP16:
		emit_shift_imm(b, X_66, 1, d, 8); /* ror d16, 8 */
		x86_rr(b, 0, 0x0fb7, d, d);	/* movzx d32, d16 */
		return 1;
	case BPFTK_OP_BE32:
	case BPFTK_OP_BSWAP32:
		emit_bswap(b, 0, d);		/* bswap d32 */
		return 1;
	case BPFTK_OP_BE64:
	case BPFTK_OP_BSWAP64:
		emit_bswap(b, 1, d);		/* bswap d */
		return 1;

	/* ---- lddw: pseudo forms load their plain value, as in the vm ---- */
	case BPFTK_OP_LDDW:
	case BPFTK_OP_LDDW_MAP_FD:
	case BPFTK_OP_LDDW_MAP_VALUE:
	case BPFTK_OP_LDDW_BTF_ID:
	case BPFTK_OP_LDDW_FUNC:
	case BPFTK_OP_LDDW_MAP_IDX:
	case BPFTK_OP_LDDW_MAP_IDX_VALUE:
		load_imm(x, 1, d, (uint32_t)imm |
				       (uint64_t)(uint32_t)x->insns[x->pc + 1].imm
					       << 32); /* mov d, imm64 */
		return 2;

	case BPFTK_OP_LDABSB:
		gen_pkt(x, 1, -1, imm);
		return 1;
	case BPFTK_OP_LDABSH:
		gen_pkt(x, 2, -1, imm);
		return 1;
	case BPFTK_OP_LDABSW:
		gen_pkt(x, 4, -1, imm);
		return 1;
	case BPFTK_OP_LDINDB:
		gen_pkt(x, 1, s, imm);
		return 1;
	case BPFTK_OP_LDINDH:
		gen_pkt(x, 2, s, imm);
		return 1;
	case BPFTK_OP_LDINDW:
		gen_pkt(x, 4, s, imm);
		return 1;

	/* ---- loads and stores ------------------------------------------ */
#define MEM(id, flags, opc, reg, base)                                       \
	case BPFTK_OP_##id:                                                  \
		x86_mem(b, flags, opc, reg, base, -1, off);                  \
		return 1;
		MEM(LDXB, 0, 0x0fb6, d, s)	  /* movzx d32, byte [s+off] */
		MEM(LDXH, 0, 0x0fb7, d, s)	  /* movzx d32, word [s+off] */
		MEM(LDXW, 0, 0x8b, d, s)	  /* mov d32, [s+off] */
		MEM(LDXDW, X_W, 0x8b, d, s)	  /* mov d, [s+off] */
		MEM(LDXSB, X_W, 0x0fbe, d, s)	  /* movsx d, byte [s+off] */
		MEM(LDXSH, X_W, 0x0fbf, d, s)	  /* movsx d, word [s+off] */
		MEM(LDXSW, X_W, 0x63, d, s)	  /* movsxd d, [s+off] */
		MEM(STXB, X_BYTE, 0x88, s, d)	  /* mov [d+off], s8 */
		MEM(STXH, X_66, 0x89, s, d)	  /* mov [d+off], s16 */
		MEM(STXW, 0, 0x89, s, d)	  /* mov [d+off], s32 */
		MEM(STXDW, X_W, 0x89, s, d)	  /* mov [d+off], s */
		MEM(ATOMIC64_ADD, X_W | X_LOCK, 0x01, s, d) /* lock add [d+off], s */
		MEM(ATOMIC64_OR, X_W | X_LOCK, 0x09, s, d)  /* lock or */
		MEM(ATOMIC64_AND, X_W | X_LOCK, 0x21, s, d) /* lock and */
		MEM(ATOMIC64_XOR, X_W | X_LOCK, 0x31, s, d) /* lock xor */
		MEM(ATOMIC64_FETCH_ADD, X_W | X_LOCK, 0x0fc1, s, d) /* lock xadd */
		MEM(ATOMIC64_XCHG, X_W, 0x87, s, d) /* xchg [d+off], s */
		MEM(ATOMIC32_ADD, X_LOCK, 0x01, s, d)
		MEM(ATOMIC32_OR, X_LOCK, 0x09, s, d)
		MEM(ATOMIC32_AND, X_LOCK, 0x21, s, d)
		MEM(ATOMIC32_XOR, X_LOCK, 0x31, s, d)
		MEM(ATOMIC32_FETCH_ADD, X_LOCK, 0x0fc1, s, d)
		MEM(ATOMIC32_XCHG, 0, 0x87, s, d)
		MEM(ATOMIC64_CMPXCHG, X_W | X_LOCK, 0x0fb1, s, d) /* lock cmpxchg [d+off], s */
#undef MEM
	case BPFTK_OP_ATOMIC32_CMPXCHG:
		x86_mem(b, X_LOCK, 0x0fb1, s, d, -1, off); /* lock cmpxchg [d+off], s32 */
		emit_mov_rr(b, 0, RAX, RAX);	/* mov eax, eax */
		return 1;
	case BPFTK_OP_ATOMIC64_FETCH_OR:
	case BPFTK_OP_ATOMIC32_FETCH_OR:
		gen_fetch_loop(x, op == BPFTK_OP_ATOMIC64_FETCH_OR, 0x09, d, s, off);
		return 1;
	case BPFTK_OP_ATOMIC64_FETCH_AND:
	case BPFTK_OP_ATOMIC32_FETCH_AND:
		gen_fetch_loop(x, op == BPFTK_OP_ATOMIC64_FETCH_AND, 0x21, d, s, off);
		return 1;
	case BPFTK_OP_ATOMIC64_FETCH_XOR:
	case BPFTK_OP_ATOMIC32_FETCH_XOR:
		gen_fetch_loop(x, op == BPFTK_OP_ATOMIC64_FETCH_XOR, 0x31, d, s, off);
		return 1;
	case BPFTK_OP_STB:
	case BPFTK_OP_STH:
	case BPFTK_OP_STW:
	case BPFTK_OP_STDW:
		return gen_st_imm(x, op, d, off, imm);

	/* ---- control flow ---------------------------------------------- */
	case BPFTK_OP_JA:
	case BPFTK_OP_JA32: {
		size_t t = (size_t)bpftk_isa_target(x->insns, x->pc);
		if (t != x->pc + 1)
			jump_slot(x, -1, t);		/* jmp target */
		return 1;
	}
	case BPFTK_OP_CALL:
		gen_call(x, in);
		return 1;
	case BPFTK_OP_CALLX:
		gen_callx(x, d);
		return 1;
	case BPFTK_OP_CALL_LOCAL:
		gen_call_local(x, (size_t)bpftk_isa_target(x->insns, x->pc));
		return 1;
	case BPFTK_OP_EXIT:
		emit_ret(b);				/* ret */
		return 1;
	default:
		return 0; /* kfunc calls, and any row added to the table later */
	}
}

/* One pass over the whole program into b; fills x->cur. */
static int gen_pass(struct xc *x, char *why, size_t whylen)
{
	x->b->len = 0;
	x->rng = x->seed;
	x->ncold = 0;
	gen_entry(x);
	for (x->pc = 0; x->pc < x->n;) {
		x->cur[x->pc] = (uint32_t)x->b->len;
		if (x->facts.on && (x->facts.s[x->pc].what & JF_DEAD)) {
			x->pc++; /* no code: the slot starts where the next does */
			continue;
		}
		int k = gen_facts(x);
		if (!k)
			k = gen_peephole(x);
		if (k) {
			/* merged slots have no code of their own */
			for (int i = 1; i < k; i++)
				x->cur[x->pc + (size_t)i] = (uint32_t)x->b->len;
			x->pc += (size_t)k;
			continue;
		}
		k = gen_slot(x);
		if (!k) {
			const struct bpftk_opinfo *info =
				bpftk_isa_info(bpftk_isa_lookup(&x->insns[x->pc]));
			snprintf(why, whylen, "insn %zu: %s has no x86-64 translation",
				 x->pc, info ? info->name : "invalid instruction");
			return -EOPNOTSUPP;
		}
		if (k == 2)
			x->cur[x->pc + 1] = (uint32_t)x->b->len;
		x->pc += (size_t)k;
		if (x->b->len > INT32_MAX / 2) {
			snprintf(why, whylen, "code larger than 1 GiB");
			return -E2BIG;
		}
	}
	x->cur[x->n] = (uint32_t)x->b->len;
	fault(x, BPFTK_JIT_END); /* pc is n: ran past the last slot */
	gen_cold(x);
	if (x->b->oom) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void free_cold(struct xc *x)
{
	bpftk_free(x->cold_pc);
	bpftk_free(x->cold_ret);
	bpftk_free(x->cold_prev);
	bpftk_free(x->cold_cur);
	bpftk_free(x->cold_kind);
	x->cold_pc = x->cold_ret = x->cold_prev = x->cold_cur = NULL;
	x->cold_kind = NULL;
}

static int x86_compile(const struct bpftk_insn *insns, size_t n,
		       const struct bpftk_jit_env *env,
		       const struct bpftk_jit_opts *opts, struct jit_image *img,
		       char *why, size_t whylen)
{
	uint32_t *a = bpftk_calloc(n + 1, sizeof(*a));
	uint32_t *c = bpftk_calloc(n + 1, sizeof(*c));
	if (!a || !c) {
		bpftk_free(a);
		bpftk_free(c);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	struct xc x = {.b = &img->code, .insns = insns, .n = n, .env = env,
		       .opts = opts, .cur = a};
	if (opts->blind)
		x.seed = blind_seed(insns, n);
	x.clobbers = analyse_calls(insns, n);
	/* without memory for them the facts are not used */
	(void)bpftk_jit_facts_new(insns, n, env, opts, &x.facts);
	/* at most two cold sites per slot; without the arrays (no memory)
	 * the slow paths stay inline */
	size_t ncap = 2 * (n + 1);
	x.cold_pc = bpftk_malloc(ncap * sizeof(uint32_t));
	x.cold_ret = bpftk_malloc(ncap * sizeof(uint32_t));
	x.cold_prev = bpftk_malloc(ncap * sizeof(uint32_t));
	x.cold_cur = bpftk_malloc(ncap * sizeof(uint32_t));
	x.cold_kind = bpftk_malloc(ncap);
	if (!x.cold_pc || !x.cold_ret || !x.cold_prev || !x.cold_cur ||
	    !x.cold_kind) {
		free_cold(&x);
	}
	int err = 0;
	for (int pass = 0;; pass++) {
		if (pass == MAX_PASSES) {
			snprintf(why, whylen,
				 "jump offsets did not settle in %d passes",
				 MAX_PASSES);
			err = -E2BIG;
			break;
		}
		err = gen_pass(&x, why, whylen);
		if (err)
			break;
		if (x.prev && !memcmp(x.prev, x.cur, (n + 1) * sizeof(*a)) &&
		    (!x.ncold || !memcmp(x.cold_prev, x.cold_cur,
					 x.ncold * sizeof(uint32_t))))
			break;
		if (x.cold_pc) {
			uint32_t *ct = x.cold_cur;
			x.cold_cur = x.cold_prev;
			x.cold_prev = ct;
		}
		/* this pass's offsets guide the next one */
		uint32_t *t = x.cur;
		x.cur = (uint32_t *)(x.prev ? x.prev : c);
		x.prev = t;
	}
	bpftk_free(x.clobbers);
	bpftk_jit_facts_free(&x.facts);
	free_cold(&x);
	if (err) {
		bpftk_free(a);
		bpftk_free(c);
		return err;
	}
	img->offsets = x.cur;
	bpftk_free(x.cur == a ? c : a);
	img->entry = 0;
	return 0;
}

const struct jit_arch_ops bpftk_jit_x86_64 = {"x86-64", x86_compile};
