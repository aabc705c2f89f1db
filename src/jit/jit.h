/* jit.h — what the rest of the library (the vm) may use of the JIT.
 *
 * The JIT compiles a validated program to native code for the host.  It
 * does not know the vm's structures: the vm describes where the native code
 * finds its run state (struct bpftk_jit_env: byte offsets into the run
 * context it passes to bpftk_jit_enter, the helper table, a C function for
 * the rare slow path) and turns the status the code returns into its own
 * fault report.
 *
 * Contract of the generated code (every architecture):
 *  - bpftk_jit_enter(jit, ctx, pc) starts the program at slot pc with
 *    r1..r5 = the u64s at ctx + off_args, r10 = the u64 at ctx + off_fp0,
 *    r0 and r6..r9 = 0; it saves its stack pointer at ctx + off_sp;
 *  - on exit from the entry function it stores r0 at ctx + off_r0 and
 *    returns BPFTK_JIT_OK; other BPFTK_JIT_* values say why it stopped
 *    (the slot index at ctx + off_pc, r10 at ctx + off_fault_fp);
 *  - helper calls fill the call record at ctx + off_call (id, insn,
 *    stack_lo, depth) exactly as the interpreter does, pass its address as
 *    the sixth argument, and stop with BPFTK_JIT_HELPER when the helper set
 *    the int at off_call_err (but for env.call_return, which leaves the
 *    calling function as its exit would);
 *  - a local call refuses to go deeper when r10 is below the u64 at
 *    ctx + off_lim, and calls env.zero_frame(ctx, new r10) when r10 is not
 *    above the u64 at ctx + off_zero_fp (the frame below it was never
 *    cleared in this run; zero_frame must lower that bound);
 *  - r1..r5 survive helper calls (as in the interpreter).
 * Memory accesses are not checked: the FAST mode's trust applies.
 */
#ifndef BPFTK_JIT_H
#define BPFTK_JIT_H

#include <stddef.h>
#include <stdint.h>

#include <bpftk/isa.h>
#include <bpftk/verifier.h>

#include "../util/util_int.h"

/* Why the native code stopped (the return value of bpftk_jit_enter). */
enum bpftk_jit_status {
	BPFTK_JIT_OK = 0,     /* exit: r0 stored */
	BPFTK_JIT_HELPER = 1, /* a helper set the call record's err */
	BPFTK_JIT_DEPTH = 2,  /* local call nested too deep */
	BPFTK_JIT_CALLX = 3,  /* callx to an unregistered id (at off_addr) */
	BPFTK_JIT_END = 4,    /* ran past the last slot */
	BPFTK_JIT_PKT = 5,    /* LD_ABS/LD_IND out of the packet: r0 = 0 */
};

/* Where the generated code finds things.  Offsets are bytes from the run
 * context pointer. */
struct bpftk_jit_env {
	int32_t off_sp;	      /* u64: native stack pointer at entry */
	int32_t off_fp0;      /* u64: r10 at entry */
	int32_t off_lim;      /* u64: lowest r10 that may still call */
	int32_t off_r0;	      /* u64: r0 on exit */
	int32_t off_args;     /* u64[5]: r1..r5 at entry */
	int32_t off_stack_hi; /* u64: top of frame 0 */
	int32_t off_zero_fp;  /* u64: a call from r10 <= this clears a frame */
	int32_t off_pc;	      /* long: slot of a fault */
	int32_t off_addr;     /* u64: the callx id of BPFTK_JIT_CALLX */
	int32_t off_fault_fp; /* u64: r10 when the code stopped */
	int32_t off_data;     /* const u8 *: LD_ABS packet */
	int32_t off_data_len; /* size_t */
	int32_t off_call;     /* the call record handed to helpers */
	int32_t off_call_id;  /* u32 */
	int32_t off_call_insn; /* long */
	int32_t off_call_stack_lo; /* u64 */
	int32_t off_call_depth;	   /* unsigned */
	int32_t off_call_err;	   /* int */
	int32_t off_call_r0;	   /* u64: r0 of call_return */
	/* call.err value meaning "leave the calling BPF function with r0 at
	 * off_call_r0, as its exit would" (err reset to 0); 0: none */
	int call_return;
	/* helper table: nhelpers entries of helper_stride bytes, each
	 * starting with the function pointer (NULL: not registered); it must
	 * not move or change while the code exists */
	const void *helpers;
	size_t helper_stride;
	uint32_t nhelpers;
	/* clears the 512 bytes below fp and records the frame as cleared */
	void (*zero_frame)(void *ctx, uint64_t fp);
	/* n flags: 1 where code may be entered other than by falling through
	 * (jump and call targets, callbacks); the peephole pass never merges
	 * instructions across such a slot.  NULL: every slot. */
	const uint8_t *entry;
};

/* Options of one compilation (each optimisation can be switched off). */
struct bpftk_jit_opts {
	int no_peephole; /* translate every instruction on its own */
	int blind;	 /* constant blinding: no program constant appears
			  * in the code as given (against JIT spraying) */
	/* What bpftk_verify proved about each of the n slots when it
	 * accepted exactly this program (a context rewrite that keeps the
	 * slot count and changes only pointer loads is fine); NULL: nothing,
	 * and the options below do nothing.  Wrong facts give wrong code. */
	const struct bpftk_verify_insn_facts *facts;
	int no_dead_code;  /* code for slots no verifier path reached too */
	int no_const_fold; /* keep instructions whose result is known */
	int no_div_facts;  /* keep the zero and -1 tests of a division by a
			    * register whose value is known */
	int no_zext;	   /* keep zero extensions of registers whose upper
			    * half is known to be zero already */
};

struct bpftk_jit;

/* Compiles insns[0..n) (already validated with bpftk_isa_validate, no
 * kfunc calls, constant helper calls registered in env).  On failure
 * returns a negative errno and writes the reason to why:
 *   -EOPNOTSUPP  no JIT for this host or an instruction it cannot compile
 *   -ENOMEM      allocation or mapping of code pages failed
 *   -E2BIG       the code would not fit the jumps' range
 * env is copied; insns is not kept. */
BPFTK_INTERNAL int bpftk_jit_compile(const struct bpftk_insn *insns, size_t n,
				     const struct bpftk_jit_env *env,
				     const struct bpftk_jit_opts *opts,
				     struct bpftk_jit **out, char *why,
				     size_t whylen);
BPFTK_INTERNAL void bpftk_jit_free(struct bpftk_jit *jit);
/* Runs the code from slot pc (an entry point of the program). */
BPFTK_INTERNAL int bpftk_jit_enter(const struct bpftk_jit *jit, void *ctx,
				   size_t pc);
/* The machine code (read-only) and the native offset of each slot
 * (n + 1 entries; the last is the code after the program); the body starts
 * at offsets[0] (before it: entry and shared stubs).  Name of the
 * architecture's backend. */
BPFTK_INTERNAL const uint8_t *bpftk_jit_code(const struct bpftk_jit *jit,
					     size_t *len,
					     const uint32_t **offsets);
BPFTK_INTERNAL const char *bpftk_jit_arch(const struct bpftk_jit *jit);

#endif
