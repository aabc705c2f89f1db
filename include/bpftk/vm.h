/* bpftk/vm.h — the interpreter: runs eBPF programs with the exact semantics
 * of RFC 9669 (division by zero gives 0, modulo by zero leaves dst, shift
 * amounts masked, 32-bit results zero-extended, ...).
 *
 * Life cycle:
 *
 *     struct bpftk_vm *vm;
 *     bpftk_vm_new(&opts, &vm);                      // mode, budget, name
 *     bpftk_vm_register_helper(vm, 5, "f", fn);      // helpers, before load
 *     bpftk_vm_add_region(vm, buf, len, writable);   // shared memory, before load
 *     bpftk_vm_load(vm, insns, n, diags);            // validate + pre-decode once
 *     bpftk_vm_run(vm, &run_opts, &r0, diags);       // any number of times,
 *                                                    // from any number of threads
 *     bpftk_vm_free(vm);
 *
 * Two memory modes (chosen when the vm is created):
 *  - BPFTK_VM_CHECKED: every load, store and atomic is checked against the
 *    active stack frames and the registered regions (read-only regions
 *    refuse stores); a bad access, a runaway loop (instruction budget) or a
 *    call nested too deep stops the program with a diagnostic naming the
 *    instruction, the address, the size and the kind of access.  For
 *    programs nobody verified.
 *  - BPFTK_VM_FAST: no memory checks and no budget, for programs a verifier
 *    approved.  A bad program in fast mode can crash the process.
 *  - BPFTK_VM_JIT: like FAST (no checks, no budget), but bpftk_vm_load
 *    compiles the program to native code (x86-64 hosts) and runs call it;
 *    given the verifier's facts (bpftk_vm_opts.facts), it leaves out code
 *    they prove unnecessary.
 *    When the host has no JIT or compilation fails, the load still
 *    succeeds: it adds a warning diagnostic and the fast interpreter runs
 *    the program.  Code pages are never writable and executable at once.
 * All modes give identical results for programs that do not fault.
 *
 * Memory model: BPF addresses are host addresses.  r10 points to the top of
 * a 512-byte stack frame; each local call gets a new frame below its
 * caller's.  A frame reads as zeros the first time a run reaches it (later
 * calls at the same depth see what earlier ones left, as in the kernel).
 * r1..r5 come from the run options, r0 and r6..r9 start at 0.
 *
 * Threads: after bpftk_vm_load the vm is immutable; bpftk_vm_run only reads
 * it and keeps registers and stack in per-run storage, so one loaded vm may
 * run in several threads at once.  Setup calls (register, add_region, load,
 * free) must not run concurrently with anything else on the same vm.
 *
 * Errors (negative errno):
 *   -EINVAL  bad arguments or an invalid program (details in diagnostics)
 *   -ENOMEM  allocation failed
 *   -EBUSY   setup call after bpftk_vm_load
 *   -ERANGE  helper id too large (>= BPFTK_VM_MAX_HELPERS)
 *   run time, with a diagnostic naming the instruction:
 *   -EFAULT     bad memory access (checked mode)
 *   -ETIMEDOUT  instruction budget exhausted (checked mode)
 *   -E2BIG      local call nested deeper than BPFTK_MAX_CALL_DEPTH frames
 *   -ENOENT     callx to a helper id that is not registered
 *   -EFAULT     the program ran past its last instruction
 *   or the error a helper reported through bpftk_vm_call_fail().
 */
#ifndef BPFTK_VM_H
#define BPFTK_VM_H

#include <bpftk/common.h>
#include <bpftk/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

enum bpftk_vm_mode {
	BPFTK_VM_CHECKED = 0, /* memory checks and budget (the default) */
	BPFTK_VM_FAST = 1,    /* trusts the program: no checks */
	/* Compiled to native code (x86-64); trusts the program like FAST.
	 * Where there is no JIT for the host, or it cannot compile the
	 * program, loading falls back to FAST with a warning diagnostic. */
	BPFTK_VM_JIT = 2,
};

/* Flags of struct bpftk_vm_opts. */
enum {
	/* Use the portable switch-based dispatch loop even where computed goto
	 * is available (it always is the engine elsewhere).  Slower; exists so
	 * both engines are tested and can be compared. */
	BPFTK_VM_SWITCH_DISPATCH = 1u << 0,
	/* BPFTK_VM_JIT: translate each instruction on its own, without the
	 * peephole pass that merges common sequences (copy-and-add into lea,
	 * indexed loads, the shift pairs of 32-bit extension).  For testing
	 * and comparing; the results are the same. */
	BPFTK_VM_JIT_NO_PEEPHOLE = 1u << 1,
	/* BPFTK_VM_JIT: constant blinding.  No immediate of the program
	 * appears in the machine code as given: each is loaded xored with a
	 * random key, then xored back (against JIT spraying, when programs
	 * come from untrusted users).  A little slower; same results. */
	BPFTK_VM_JIT_BLIND = 1u << 2,
	/* BPFTK_VM_JIT with facts (bpftk_vm_opts.facts), each flag switching
	 * off one use of them; for testing and comparing, the results are
	 * the same.  With facts the JIT by default emits no code for slots
	 * no verifier path reached (nor branches to them), ... */
	BPFTK_VM_JIT_NO_DEAD_CODE = 1u << 3,
	/* ... a mov of the value for an ALU instruction or load whose result
	 * the verifier proved to be one constant, ... */
	BPFTK_VM_JIT_NO_CONST_FOLD = 1u << 4,
	/* ... divisions by a register whose value is known without their
	 * divide-by-zero and INT_MIN / -1 tests, ... */
	BPFTK_VM_JIT_NO_DIV_FACTS = 1u << 5,
	/* ... and no zero extension (w = w, le32, <<32 >>32) of a register
	 * whose upper 32 bits are known to be zero. */
	BPFTK_VM_JIT_NO_ZEXT = 1u << 6,
};

#define BPFTK_VM_DEFAULT_BUDGET 1000000000ULL /* instructions per run */
#define BPFTK_VM_UNLIMITED UINT64_MAX
#define BPFTK_VM_MAX_HELPERS 65536u /* helper ids are 0..65535 */

/* verifier.h: what the verifier proved about one slot */
struct bpftk_verify_insn_facts;

struct bpftk_vm_opts {
	size_t sz;		 /* sizeof(struct bpftk_vm_opts) */
	enum bpftk_vm_mode mode; /* BPFTK_VM_CHECKED (0), _FAST or _JIT */
	unsigned flags;		 /* BPFTK_VM_* flags */
	/* Checked mode: instructions one run may execute; 0 means
	 * BPFTK_VM_DEFAULT_BUDGET, BPFTK_VM_UNLIMITED means no limit.  Fast
	 * mode ignores it. */
	uint64_t budget;
	const char *name; /* program name used in diagnostics; copied; NULL ok */
	/* BPFTK_VM_JIT: the facts of each slot (bpftk_verify_result_facts)
	 * from bpftk_verify accepting exactly the program this vm loads,
	 * nfacts = its slot count (else bpftk_vm_load fails with -EINVAL);
	 * the JIT then leaves out what they prove unnecessary (the
	 * BPFTK_VM_JIT_NO_* flags).  A context rewrite (progtype.h), which
	 * keeps the slots and changes only loads of pointers, may come in
	 * between.  Facts of another program give wrong results.  Borrowed
	 * until the first bpftk_vm_load returns; other modes ignore them.
	 * NULL: none (nfacts must then be 0). */
	const struct bpftk_verify_insn_facts *facts;
	size_t nfacts;
};

/* A block of host memory a checked run may access. */
struct bpftk_vm_region {
	void *ptr;
	size_t len;
	int writable; /* 0: loads and nothing else */
};

struct bpftk_vm;

/* Creates a vm.  opts may be NULL (checked mode, default budget).  Options
 * structs from newer headers are accepted when their extra bytes are zero.
 * On success *out is the handle (free with bpftk_vm_free).  Errors: -EINVAL
 * (bad sz, mode or flags, nfacts without facts), -ENOMEM. */
BPFTK_API int bpftk_vm_new(const struct bpftk_vm_opts *opts,
			   struct bpftk_vm **out);
/* Frees the vm and its pre-decoded program; NULL is a no-op.  Regions and
 * run memory stay owned by the caller. */
BPFTK_API void bpftk_vm_free(struct bpftk_vm *vm);

/* ---- helpers ------------------------------------------------------------- */

/* The per-call context a helper receives.  Valid only during the call. */
struct bpftk_vm_call;

/* A helper gets r1..r5 and returns the new r0.  Helpers may run in several
 * threads at once when the vm does. */
typedef uint64_t (*bpftk_vm_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct bpftk_vm_call *call);

/* Registers fn as helper `id` (kernel helper numbering; < BPFTK_VM_MAX_HELPERS)
 * under name (copied; used in diagnostics; NULL ok).  Registering an id again
 * replaces it.  Must happen before bpftk_vm_load: `call id` is bound at load
 * time, and a constant call to an unregistered id makes the load fail.
 * Errors: -EINVAL (fn NULL), -ERANGE, -EBUSY, -ENOMEM. */
BPFTK_API int bpftk_vm_register_helper(struct bpftk_vm *vm, uint32_t id,
				       const char *name, bpftk_vm_helper_fn fn);
/* Name given at registration, or NULL when id is not registered. */
BPFTK_API const char *bpftk_vm_helper_name(const struct bpftk_vm *vm,
					   uint32_t id);

/* Inside a helper: the ctx pointer of the run options. */
BPFTK_API void *bpftk_vm_call_ctx(const struct bpftk_vm_call *call);
/* Inside a helper: the helper id and the index of the calling instruction. */
BPFTK_API uint32_t bpftk_vm_call_id(const struct bpftk_vm_call *call);
BPFTK_API long bpftk_vm_call_insn(const struct bpftk_vm_call *call);
/* Inside a helper: turns a BPF address into a host pointer to len bytes the
 * program may access (stack frames of the run and regions; write != 0 also
 * needs a writable region).  Checked mode returns NULL when the access is
 * not allowed; fast mode trusts the program and returns the address. */
BPFTK_API void *bpftk_vm_call_mem(const struct bpftk_vm_call *call,
				  uint64_t addr, size_t len, int write);
/* Inside a helper: the same check in every mode, for addresses no verifier
 * vouched for (bpf_probe_read's source may be any address; the kernel
 * copies it without faulting, bpftk refuses what is not accessible). */
BPFTK_API void *bpftk_vm_call_mem_strict(const struct bpftk_vm_call *call,
					 uint64_t addr, size_t len, int write);
/* Inside a helper: stops the program once the helper returns.  bpftk_vm_run
 * then fails with err (a negative errno; -EINVAL when err >= 0) and adds the
 * message to its diagnostics, located at the calling instruction.  fmt NULL
 * keeps the message bpftk_vm_call_sub() wrote for a failed callback. */
BPFTK_API void bpftk_vm_call_fail(struct bpftk_vm_call *call, int err,
				  const char *fmt, ...) BPFTK_PRINTF(3, 4);

/* Inside a helper: ends the whole program successfully once the helper
 * returns, with r0 = r0 (how a tail call leaves the calling program: the
 * embedder then runs the target). */
BPFTK_API void bpftk_vm_call_exit(struct bpftk_vm_call *call, uint64_t r0);
/* Inside a helper: ends the BPF function that made the call once the
 * helper returns, as if it executed exit with r0 = r0: its caller goes on
 * (its r6-r9 restored); in the function a run or a callback started in,
 * the run or callback ends with r0.  (How a tail call made inside a
 * subprogram leaves it.)  Every engine, the JIT included. */
BPFTK_API void bpftk_vm_call_return(struct bpftk_vm_call *call, uint64_t r0);
/* Inside a helper: the call depth of the calling function, 0 for the
 * program's main function (subprograms and callbacks are deeper). */
BPFTK_API unsigned bpftk_vm_call_depth(const struct bpftk_vm_call *call);
/* Inside a helper: runs the BPF function starting at slot pc of the loaded
 * program (a callback such as bpf_loop's) with r1..r5 = args, in a new
 * stack frame below the caller's (whose stack stays accessible), and stores
 * its r0 in *r0.  Counts against the run's budget and call depth.
 * pc must start a function: slot 0, a jump or call target, a function
 * pointer's target or a slot after exit or ja (where every function of a
 * valid program starts).
 * Errors: -EINVAL (pc is not such a slot), or the fault of the
 * callback (-EFAULT, -ETIMEDOUT, -E2BIG, ...); the helper should then end
 * the program with bpftk_vm_call_fail(), whose message this function has
 * already filled in (returning without calling it keeps the message but
 * not the error). */
BPFTK_API int bpftk_vm_call_sub(struct bpftk_vm_call *call, uint64_t pc,
				const uint64_t args[5], uint64_t *r0);

/* ---- memory and program -------------------------------------------------- */

/* Allows checked runs to access [ptr, ptr + len) (stores only when writable).
 * The memory stays owned by the caller and must outlive every run.  Before
 * bpftk_vm_load only.  Errors: -EINVAL (NULL ptr or len 0), -EBUSY, -ENOMEM. */
BPFTK_API int bpftk_vm_add_region(struct bpftk_vm *vm, void *ptr, size_t len,
				  int writable);

/* Loads a program of n slots (lddw takes two).  Checks it with
 * bpftk_isa_validate, then what the interpreter itself needs (every constant
 * helper call registered, no kfunc calls, no fetch-atomic writing r10) and
 * pre-decodes it once.  insns is copied.  A vm holds one program: a second
 * load fails with -EBUSY.  Errors: -EINVAL (each problem reported to d with
 * its instruction index), -E2BIG (more than 2^30 slots), -EBUSY, -ENOMEM. */
BPFTK_API int bpftk_vm_load(struct bpftk_vm *vm, const struct bpftk_insn *insns,
			    size_t n, struct bpftk_diags *d);

/* The native code of a vm loaded in BPFTK_VM_JIT mode, for inspection
 * (e.g. printing it).  *code and *len: the machine code (read-only, owned
 * by the vm, valid until bpftk_vm_free); *offsets: n + 1 byte offsets into
 * it, where the code of slot i begins (lddw's second slot: where the next
 * slot begins; offsets[n]: the end of the program's code); what lies
 * before offsets[0] is the entry and shared stubs.  *arch names the
 * architecture ("x86-64").  Any output pointer may be NULL.
 * Errors: -EINVAL (vm NULL), -ENOENT (no native code: another mode, not
 * loaded, or the load fell back to the interpreter). */
BPFTK_API int bpftk_vm_jit_code(const struct bpftk_vm *vm,
				const uint8_t **code, size_t *len,
				const uint32_t **offsets, const char **arch);

/* ---- running ------------------------------------------------------------- */

struct bpftk_vm_run_opts {
	size_t sz;	  /* sizeof(struct bpftk_vm_run_opts) */
	uint64_t args[5]; /* r1..r5 at entry */
	/* Memory this run alone may also access (checked mode), in addition to
	 * the vm's regions.  Borrowed for the duration of the call. */
	const struct bpftk_vm_region *regions;
	size_t nregions;
	/* The packet of legacy LD_ABS / LD_IND loads; an access outside it ends
	 * the program with r0 = 0, like the kernel.  NULL: every such load ends
	 * the program that way. */
	const void *data;
	size_t data_len;
	void *ctx; /* handed to helpers through bpftk_vm_call_ctx() */
	/* Checked mode: consulted (with ctx) for an access outside the stack
	 * and the regions; returns nonzero to allow it.  Lets an embedder
	 * allow memory whose bounds change during a run (a packet after
	 * bpf_xdp_adjust_head, map values handed out by helpers).  NULL: no
	 * other memory. */
	int (*mem_check)(void *ctx, uint64_t addr, uint64_t size, int write);
};

/* Runs the loaded program.  On success returns 0 and stores r0 in *r0 (r0
 * may be NULL).  On a fault returns the error listed at the top of this file
 * and adds one diagnostic to d, e.g.
 *   "insn 7: out-of-bounds store of 4 bytes at 0x7ffc... (not in the stack
 *    or any registered region)".
 * -EINVAL when no program is loaded or opts is malformed. */
BPFTK_API int bpftk_vm_run(const struct bpftk_vm *vm,
			   const struct bpftk_vm_run_opts *opts, uint64_t *r0,
			   struct bpftk_diags *d);

/* The conformance convention: r1 = mem, r2 = len (both 0 when mem is NULL),
 * [mem, mem + len) is a writable region of this run and the LD_ABS packet.
 * Same results and errors as bpftk_vm_run. */
BPFTK_API int bpftk_vm_run_mem(const struct bpftk_vm *vm, void *mem,
			       size_t len, uint64_t *r0, struct bpftk_diags *d);

#ifdef __cplusplus
}
#endif
#endif
