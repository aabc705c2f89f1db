/* vm_int.h — what only the files of src/vm share: the pre-decoded program,
 * the vm handle, the per-run state and the engines' entry points.
 *
 * Invariants:
 *  - a loaded vm is never written again (runs may share it across threads);
 *    everything a run changes lives in its struct vm_run;
 *  - ops has n + 1 entries: ops[i] is slot i of the program, ops[n] the
 *    VM_HID_END sentinel that stops a program running off its end;
 *  - handler indexes are the BPFTK_OP_* values of opcodes.def, followed by
 *    the internal handlers of VM_XOPS; the goto engines store the label
 *    address of that index in each op instead of the index.
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
	vm_exec_fn exec;
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
	int err;
	char msg[256];
};

#define VM_STACK_BYTES (BPFTK_STACK_SIZE * BPFTK_MAX_CALL_DEPTH)

/* Per-run state: lives on the C stack of bpftk_vm_run. */
struct vm_run {
	const struct bpftk_vm *vm;
	const struct bpftk_vm_region *regions; /* the run's own regions */
	size_t nregions;
	const uint8_t *data; /* LD_ABS / LD_IND packet */
	size_t data_len;
	void *ctx;
	uint64_t args[5];
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
