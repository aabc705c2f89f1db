/* vm_int.h — what only the files of src/vm share: the pre-decoded program,
 * the vm handle, the per-run state and the engines' entry points.
 *
 * Invariants:
 *  - a loaded vm is never written again (runs may share it across threads);
 *    everything a run changes lives in its struct vm_run;
 *  - ops has n + 1 entries: ops[i] is slot i of the program, ops[n] the
 *    VM_HID_END sentinel that stops a program running off its end;
 *  - handler indexes are the BPFTK_OP_* values of opcodes.def, followed by
 *    the internal handlers of VM_XOPS, the superinstructions of
 *    VM_FUSED_ALL and the forwarded variants of VM_FWD_ALL; the goto engines
 *    store the label address of that index in each op instead of the index;
 *  - a handler covering several slots (lddw, superinstructions) sits in the
 *    first of them; the others keep their own handlers but are never
 *    entered, since no jump, call or callback starts there (entry[]).
 */
#ifndef BPFTK_VM_INT_H
#define BPFTK_VM_INT_H

#include <stdint.h>
#include <string.h>

#include <bpftk/vm.h>

#include "../util/util_int.h"

/* Computed goto needs GNU C; BPFTK_VM_NO_COMPUTED_GOTO forces the portable
 * switch engine everywhere (to build and test the fallback on gcc/clang). */
#if (defined(__GNUC__) || defined(__clang__)) && \
	!defined(BPFTK_VM_NO_COMPUTED_GOTO)
#define VM_HAVE_GOTO 1
#else
#define VM_HAVE_GOTO 0
#endif

/* The semantics of the ALU and conditional-jump rows, once, as expressions
 * of a (dst) and b (the operand: register or sign-extended imm).  The
 * engines build the plain handlers of these table rows and their fused
 * variants from these lists.  ALU32 expressions see 32-bit a and b and are
 * zero-extended by the engine; jump expressions see 64-bit a and b. */
#define VM_ALU64_ROWS(X)                                                     \
	X(ADD64, a + b)                                                      \
	X(SUB64, a - b)                                                      \
	X(MUL64, a * b)                                                      \
	X(DIV64, b ? a / b : 0)                                              \
	X(SDIV64, vm_sdiv64(a, b))                                           \
	X(OR64, a | b)                                                       \
	X(AND64, a & b)                                                      \
	X(LSH64, a << (b & 63))                                              \
	X(RSH64, a >> (b & 63))                                              \
	X(MOD64, b ? a % b : a)                                              \
	X(SMOD64, vm_smod64(a, b))                                           \
	X(XOR64, a ^ b)                                                      \
	X(ARSH64, vm_asr64(a, (unsigned)(b & 63)))
#define VM_ALU32_ROWS(X)                                                     \
	X(ADD32, a + b)                                                      \
	X(SUB32, a - b)                                                      \
	X(MUL32, a * b)                                                      \
	X(DIV32, b ? a / b : 0)                                              \
	X(SDIV32, vm_sdiv32(a, b))                                           \
	X(OR32, a | b)                                                       \
	X(AND32, a & b)                                                      \
	X(LSH32, a << (b & 31))                                              \
	X(RSH32, a >> (b & 31))                                              \
	X(MOD32, b ? a % b : a)                                              \
	X(SMOD32, vm_smod32(a, b))                                           \
	X(XOR32, a ^ b)                                                      \
	X(ARSH32, vm_asr32(a, b & 31))
#define VM_JCC_ROWS(X)                                                       \
	X(JEQ64, a == b)                                                     \
	X(JNE64, a != b)                                                     \
	X(JGT64, a > b)                                                      \
	X(JGE64, a >= b)                                                     \
	X(JLT64, a < b)                                                      \
	X(JLE64, a <= b)                                                     \
	X(JSET64, (a & b) != 0)                                              \
	X(JSGT64, (int64_t)a > (int64_t)b)                                   \
	X(JSGE64, (int64_t)a >= (int64_t)b)                                  \
	X(JSLT64, (int64_t)a < (int64_t)b)                                   \
	X(JSLE64, (int64_t)a <= (int64_t)b)                                  \
	X(JEQ32, (uint32_t)a == (uint32_t)b)                                 \
	X(JNE32, (uint32_t)a != (uint32_t)b)                                 \
	X(JGT32, (uint32_t)a > (uint32_t)b)                                  \
	X(JGE32, (uint32_t)a >= (uint32_t)b)                                 \
	X(JLT32, (uint32_t)a < (uint32_t)b)                                  \
	X(JLE32, (uint32_t)a <= (uint32_t)b)                                 \
	X(JSET32, ((uint32_t)a & (uint32_t)b) != 0)                          \
	X(JSGT32, (int32_t)(uint32_t)a > (int32_t)(uint32_t)b)               \
	X(JSGE32, (int32_t)(uint32_t)a >= (int32_t)(uint32_t)b)              \
	X(JSLT32, (int32_t)(uint32_t)a < (int32_t)(uint32_t)b)               \
	X(JSLE32, (int32_t)(uint32_t)a <= (int32_t)(uint32_t)b)

/* Superinstructions of the fast engines (vm_fuse.c picks them at load):
 * each does the work of two or three consecutive slots, keeping the value
 * the first computes in a host register instead of a store and a reload.
 *   MOVX_<alu64 row>_K/_X   mov64 d, s ; <row> d, imm/reg  (reg != d)
 *   MOV32X_<alu32 row>_K/_X mov32 d, s ; <row> d, imm/reg  (reg != d)
 *   ADD64K_<jcc row>_K/_X   add64 d, imm ; <row> d, ...
 *   ADD32K_<jcc row>_K/_X   add32 d, imm ; <row> d, ...
 *   IDX_LDX*  mov64 d, s ; add64 d, t (t != d) ; ldx* x, [d + off]
 *   IDX_STX*  mov64 d, s ; add64 d, t (t != d) ; stx* [d + off], x
 *   MOVX_MOVX two mov64 reg, reg
 *   JA_<jcc row>_K/_X       <row> ... ; ja (a two-way branch)
 *   LSH_RSH, LSH_ARSH       lsh64 d, imm ; rsh64/arsh64 d, imm (the
 *                           zero- and sign-extension idioms)
 * VM_FUSED_ONE(name) must be defined where VM_FUSED_ALL is expanded. */
#define VM_FX_MOVX64(id, e) VM_FUSED_ONE(MOVX_##id##_K) VM_FUSED_ONE(MOVX_##id##_X)
#define VM_FX_MOVX32(id, e)                                                  \
	VM_FUSED_ONE(MOV32X_##id##_K) VM_FUSED_ONE(MOV32X_##id##_X)
#define VM_FX_JCC(id, e)                                                     \
	VM_FUSED_ONE(ADD64K_##id##_K) VM_FUSED_ONE(ADD64K_##id##_X)          \
	VM_FUSED_ONE(ADD32K_##id##_K) VM_FUSED_ONE(ADD32K_##id##_X)          \
	VM_FUSED_ONE(JA_##id##_K) VM_FUSED_ONE(JA_##id##_X)
#define VM_FUSED_ALL                                                         \
	VM_ALU64_ROWS(VM_FX_MOVX64)                                          \
	VM_ALU32_ROWS(VM_FX_MOVX32)                                          \
	VM_JCC_ROWS(VM_FX_JCC)                                               \
	VM_FUSED_ONE(IDX_LDXB) VM_FUSED_ONE(IDX_LDXH) VM_FUSED_ONE(IDX_LDXW)   \
	VM_FUSED_ONE(IDX_LDXDW) VM_FUSED_ONE(IDX_STXB) VM_FUSED_ONE(IDX_STXH) \
	VM_FUSED_ONE(IDX_STXW) VM_FUSED_ONE(IDX_STXDW)                       \
	VM_FUSED_ONE(MOVX_MOVX) VM_FUSED_ONE(LSH_RSH) VM_FUSED_ONE(LSH_ARSH)

/* Forwarded handlers (vm_forward.c picks them at load, in every engine):
 * every handler that writes a register also leaves the value in a host
 * variable t; a slot that reads that register right after (reached only by
 * falling through) reads t instead of reloading it from the register file.
 *   TD_<row>_K/_X  the dst operand comes from t (ALU and jcc rows)
 *   TS_<row>_X     the src operand comes from t
 *   TS_LDX*        the address register comes from t
 *   TD_STX*, TD_ST*  the address register comes from t
 *   TS_STX*        the stored value comes from t
 *   TS_MOV64_X, TS_MOV32_X  the source comes from t
 * VM_FWD_ONE(name) must be defined where VM_FWD_ALL is expanded. */
#define VM_FW_ROW(id, e)                                                     \
	VM_FWD_ONE(TD_##id##_K) VM_FWD_ONE(TD_##id##_X) VM_FWD_ONE(TS_##id##_X)
#define VM_FWD_MEM(X)                                                        \
	X(TS_LDXB, LDXB) X(TS_LDXH, LDXH) X(TS_LDXW, LDXW) X(TS_LDXDW, LDXDW) \
	X(TS_LDXSB, LDXSB) X(TS_LDXSH, LDXSH) X(TS_LDXSW, LDXSW)               \
	X(TD_STXB, STXB) X(TD_STXH, STXH) X(TD_STXW, STXW) X(TD_STXDW, STXDW) \
	X(TS_STXB, STXB) X(TS_STXH, STXH) X(TS_STXW, STXW) X(TS_STXDW, STXDW) \
	X(TD_STB, STB) X(TD_STH, STH) X(TD_STW, STW) X(TD_STDW, STDW)         \
	X(TS_MOV64_X, MOV64_X) X(TS_MOV32_X, MOV32_X)
#define VM_FW_MEM(name, row) VM_FWD_ONE(name)
#define VM_FWD_ALL                                                           \
	VM_ALU64_ROWS(VM_FW_ROW)                                             \
	VM_ALU32_ROWS(VM_FW_ROW)                                             \
	VM_JCC_ROWS(VM_FW_ROW)                                               \
	VM_FWD_MEM(VM_FW_MEM)

/* Internal handlers beyond the table rows: X(name, meaning). */
#define VM_XOPS(X)                                                           \
	X(SLOT2, "second slot of lddw (never executed)")                     \
	X(END, "sentinel after the last slot: the program ran off its end")

enum vm_handler {
	VM_HID_INVALID = BPFTK_OP_INVALID,
#define OP(id, ...) VM_HID_##id = BPFTK_OP_##id,
#include <bpftk/opcodes.def>
#undef OP
#define X(id, meaning) VM_HID_##id,
	VM_XOPS(X)
#undef X
#define VM_FUSED_ONE(name) VM_HID_##name,
	VM_FUSED_ALL
#undef VM_FUSED_ONE
#define VM_FWD_ONE(name) VM_HID_##name,
	VM_FWD_ALL
#undef VM_FWD_ONE
	VM_H__COUNT
};

/* One pre-decoded slot (24 bytes).  imm is sign-extended to 64 bits (the
 * whole constant for lddw; the helper id for call); jmp is the pc delta of
 * a taken jump or local call (off + 1, or imm + 1 for ja32 and calls). */
struct vm_op {
	union {
		const void *addr; /* goto engines: label of the handler */
		uintptr_t idx;	  /* switch engines: enum vm_handler */
	} h;
	uint64_t imm;
	int32_t jmp;
	int16_t off;
	uint8_t dst, src;
};

struct vm_helper {
	bpftk_vm_helper_fn fn;
	char *name;
};

struct vm_run;
struct bpftk_jit;
/* An engine.  With labels != NULL it only stores its label table there (NULL
 * for switch engines) and returns 0; otherwise it runs run->vm's program. */
typedef int (*vm_exec_fn)(struct vm_run *run, const void *const **labels);

struct bpftk_vm {
	enum bpftk_vm_mode mode;
	unsigned flags;
	uint64_t budget;
	char *name;
	struct vm_helper *helpers; /* indexed by id, nhelpers entries */
	uint32_t nhelpers;
	struct bpftk_vm_region *regions;
	size_t nregions;
	struct vm_op *ops; /* n + 1 entries once loaded */
	size_t n;
	/* n flags, 1 at slot 0, where a jump, local call or function pointer
	 * (lddw of a function) lands, and after a slot that never falls
	 * through (exit, ja): the only slots where an engine may start, since
	 * fused and forwarded handlers of other slots assume they were
	 * entered by falling through (vm_fuse.c, vm_forward.c) */
	uint8_t *entry;
	vm_exec_fn exec;
	struct bpftk_jit *jit; /* native code (BPFTK_VM_JIT), or NULL */
	/* BPFTK_VM_JIT: the verifier's facts of the program to load,
	 * borrowed from the options until bpftk_vm_load (which takes them:
	 * NULL after) */
	const struct bpftk_verify_insn_facts *facts;
	size_t nfacts;
	int loaded;
};

/* What stopped a run (besides exit). */
enum vm_fault {
	VM_F_NONE,
	VM_F_LOAD,	 /* out-of-bounds load */
	VM_F_STORE,	 /* out-of-bounds store */
	VM_F_ATOMIC,	 /* out-of-bounds atomic read-modify-write */
	VM_F_MISALIGNED, /* atomic access not aligned to its size */
	VM_F_BUDGET,	 /* instruction budget exhausted */
	VM_F_DEPTH,	 /* local call nested too deep */
	VM_F_CALLX,	 /* callx to an unregistered helper */
	VM_F_END,	 /* ran past the last instruction */
	VM_F_HELPER,	 /* a helper called bpftk_vm_call_fail */
	VM_F_INTERNAL,	 /* an impossible handler was reached */
};

struct bpftk_vm_call {
	struct vm_run *run;
	uint32_t id;
	long insn;
	uint64_t stack_lo; /* lowest stack byte visible during the call */
	unsigned depth;	   /* call depth of the calling instruction */
	int err; /* < 0: fault; VM_CALL_EXIT: end the program; VM_CALL_RETURN */
	uint64_t exit_r0;
	char msg[256];
};

/* call.err value of bpftk_vm_call_exit: stop with success. */
#define VM_CALL_EXIT 1
/* call.err value of bpftk_vm_call_return: leave the calling function. */
#define VM_CALL_RETURN 2

#define VM_STACK_BYTES (BPFTK_STACK_SIZE * BPFTK_MAX_CALL_DEPTH)

/* Per-run state: lives on the C stack of bpftk_vm_run. */
struct vm_run {
	const struct bpftk_vm *vm;
	const struct bpftk_vm_region *regions; /* the run's own regions */
	size_t nregions;
	const uint8_t *data; /* LD_ABS / LD_IND packet */
	size_t data_len;
	void *ctx;
	int (*mem_check)(void *ctx, uint64_t addr, uint64_t size, int write);
	uint64_t args[5];
	/* where the engine starts: slot and call depth (0 and 0 for a run;
	 * bpftk_vm_call_sub enters a callback deeper) */
	long entry_pc;
	unsigned entry_depth;
	uint64_t budget; /* checked engines: instructions left */
	uint64_t stack_hi; /* top of frame 0 (r10 at entry) */
	uint64_t r0;	   /* result on success */
	unsigned zeroed;   /* frames 0..zeroed-1 were cleared in this run */
	/* fault report, filled by the engine */
	enum vm_fault fault;
	int err;
	long pc;
	uint64_t addr;
	uint64_t size;
	uint64_t fault_stack_lo;
	/* the JIT's state (vm_jit.c): native stack pointer at entry, r10 at
	 * entry, lowest r10 that may make a local call, r10 at a fault, r10
	 * at or below which a call reaches an uncleared frame (kept in step
	 * with zeroed while native code runs) */
	uint64_t jit_sp, jit_fp0, jit_lim, jit_fault_fp, jit_zero_fp;
	struct bpftk_vm_call call;
	union {
		uint64_t align;
		uint8_t bytes[VM_STACK_BYTES];
	} stack;
};

/* Engines (vm_exec_checked.c, vm_exec_fast.c). */
BPFTK_INTERNAL int bpftk_vm_exec_checked_goto(struct vm_run *run,
					      const void *const **labels);
BPFTK_INTERNAL int bpftk_vm_exec_checked_switch(struct vm_run *run,
						const void *const **labels);
BPFTK_INTERNAL int bpftk_vm_exec_fast_goto(struct vm_run *run,
					   const void *const **labels);
BPFTK_INTERNAL int bpftk_vm_exec_fast_switch(struct vm_run *run,
					     const void *const **labels);

/* vm_jit.c: compiles the loaded program for BPFTK_VM_JIT (vm->jit), with
 * the verifier's facts of its slots when not NULL, or adds a warning to d
 * and leaves vm->jit NULL (the fast engine runs it). */
BPFTK_INTERNAL void bpftk_vm_jit_load(struct bpftk_vm *vm,
				      const struct bpftk_insn *insns,
				      const struct bpftk_verify_insn_facts *facts,
				      struct bpftk_diags *d);
/* vm_jit.c: runs run->vm's native code like an engine (run->entry_pc,
 * run->entry_depth, run->args), filling the same fault report. */
BPFTK_INTERNAL int bpftk_vm_exec_jit(struct vm_run *run);

/* The load-time plan: the handler of every slot, chosen in passes. */
struct vm_plan {
	const struct bpftk_insn *insns;
	size_t n;
	const uint16_t *op;    /* table row of each slot (0: lddw's 2nd slot) */
	const uint8_t *target; /* 1 where a jump or local call lands */
	uint16_t *h;	       /* enum vm_handler of each slot */
	uint8_t *len;	       /* slots the handler executes (1..3) */
};

/* vm_fuse.c: superinstructions for groups of slots (fast engines only). */
BPFTK_INTERNAL void bpftk_vm_fuse(struct vm_plan *p);
/* vm_forward.c: forwarded variants for slots reading what the handler
 * before them wrote. */
BPFTK_INTERNAL void bpftk_vm_forward(struct vm_plan *p);
/* vm_mem.c: is [addr, addr + size) inside a region of the vm or the run
 * (writable when write)?  The stack is checked inline by the engines. */
BPFTK_INTERNAL int bpftk_vm_region_ok(const struct vm_run *run, uint64_t addr,
				      uint64_t size, int write);
/* vm_mem.c: the diagnostic for run->fault (added to d). */
BPFTK_INTERNAL void bpftk_vm_report_fault(const struct vm_run *run,
					  struct bpftk_diags *d);

/* ---- value helpers shared by the engines --------------------------------- */

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VM_HOST_BIG_ENDIAN 1
#else
#define VM_HOST_BIG_ENDIAN 0
#endif

static inline uint16_t vm_bswap16(uint16_t x)
{
	return (uint16_t)((x >> 8) | (x << 8));
}

static inline uint32_t vm_bswap32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
	return __builtin_bswap32(x);
#else
	return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) |
	       (x << 24);
#endif
}

static inline uint64_t vm_bswap64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
	return __builtin_bswap64(x);
#else
	return (uint64_t)vm_bswap32((uint32_t)x) << 32 |
	       vm_bswap32((uint32_t)(x >> 32));
#endif
}

/* Signed division and modulo with the RFC 9669 rules: x / 0 = 0,
 * x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0; otherwise C's
 * truncating division (the remainder has the sign of the dividend). */
static inline uint64_t vm_sdiv64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return 0;
	if (b == UINT64_MAX) /* -1: negation, which also covers INT_MIN */
		return 0 - a;
	return (uint64_t)((int64_t)a / (int64_t)b);
}

static inline uint64_t vm_smod64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return a;
	if (b == UINT64_MAX)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint32_t vm_sdiv32(uint32_t a, uint32_t b)
{
	if (b == 0)
		return 0;
	if (b == UINT32_MAX)
		return 0 - a;
	return (uint32_t)((int32_t)a / (int32_t)b);
}

static inline uint32_t vm_smod32(uint32_t a, uint32_t b)
{
	if (b == 0)
		return a;
	if (b == UINT32_MAX)
		return 0;
	return (uint32_t)((int32_t)a % (int32_t)b);
}

/* Arithmetic right shift; n < width.  Right-shifting a negative signed value
 * is implementation-defined in C; gcc and clang (the supported compilers)
 * define it as arithmetic, and the unit tests compare against a portable
 * formula. */
static inline uint64_t vm_asr64(uint64_t x, unsigned n)
{
	return (uint64_t)((int64_t)x >> n);
}

static inline uint32_t vm_asr32(uint32_t x, unsigned n)
{
	return (uint32_t)((int32_t)x >> n);
}

/* Unaligned host-order loads and stores (memcpy compiles to one move). */
static inline uint64_t vm_ld8(uint64_t a)
{
	uint8_t v;
	memcpy(&v, (const void *)(uintptr_t)a, sizeof v);
	return v;
}
static inline uint64_t vm_ld16(uint64_t a)
{
	uint16_t v;
	memcpy(&v, (const void *)(uintptr_t)a, sizeof v);
	return v;
}
static inline uint64_t vm_ld32(uint64_t a)
{
	uint32_t v;
	memcpy(&v, (const void *)(uintptr_t)a, sizeof v);
	return v;
}
static inline uint64_t vm_ld64(uint64_t a)
{
	uint64_t v;
	memcpy(&v, (const void *)(uintptr_t)a, sizeof v);
	return v;
}
static inline void vm_st8(uint64_t a, uint64_t v)
{
	uint8_t x = (uint8_t)v;
	memcpy((void *)(uintptr_t)a, &x, sizeof x);
}
static inline void vm_st16(uint64_t a, uint64_t v)
{
	uint16_t x = (uint16_t)v;
	memcpy((void *)(uintptr_t)a, &x, sizeof x);
}
static inline void vm_st32(uint64_t a, uint64_t v)
{
	uint32_t x = (uint32_t)v;
	memcpy((void *)(uintptr_t)a, &x, sizeof x);
}
static inline void vm_st64(uint64_t a, uint64_t v)
{
	memcpy((void *)(uintptr_t)a, &v, sizeof v);
}

#endif
