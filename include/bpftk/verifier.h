/* bpftk/verifier.h — the static verifier: proves a program safe for its
 * program type before it runs (the security boundary of the runtime), or
 * explains why it is not.
 *
 *     struct bpftk_verify_opts o = {.sz = sizeof(o), .type = ..., .maps = ...};
 *     struct bpftk_verify_result *res;
 *     int err = bpftk_verify(insns, n, &o, &res, diags);
 *     // err == 0: accepted; facts about the program in res
 *     bpftk_verify_result_free(res);
 *
 * The program is checked as the kernel receives it from libbpf: map
 * references are still pseudo loads (lddw src = BPFTK_PSEUDO_MAP_FD or
 * BPFTK_PSEUDO_MAP_IDX with imm = an index into opts->maps, or the _VALUE
 * forms with the offset in the second slot's imm), callbacks are
 * BPFTK_PSEUDO_FUNC loads, context accesses are not rewritten yet.  A
 * program that is accepted and then bound and rewritten (run.h) may run in
 * BPFTK_VM_FAST mode.
 *
 * A rejection adds one error diagnostic naming the instruction (index,
 * disassembly and, when opts->prog has .BTF.ext line info, the source
 * file:line), the rule broken, the registers involved with their kinds and
 * ranges, followed by notes giving the branch decisions of the path that
 * reaches it.
 *
 * What is checked (as the kernel checks a privileged loader, see below):
 * every path, with registers typed (number, context, stack, map, map
 * value, packet, packet end, packet metadata, ring buffer sample,
 * function) and numbers tracked as known bits plus signed/unsigned 64-
 * and 32-bit ranges learnt from comparisons on both branches; stack
 * slots (spilled registers, written bytes) per frame; NULL checks; packet
 * bounds from comparisons with data_end; context fields per program type
 * (progtype.h descriptors); helper arguments and returns (helpers.h
 * descriptors); bpf-to-bpf calls (8 frames, 512 bytes of stack per call
 * chain, checked on every chain including dead code); tail calls; ring
 * buffer references and spin locks; unreachable code; loops, which are
 * walked iteration by iteration (a loop that comes back in the same state
 * is infinite and rejected); the return value range of the program type.
 *
 * Privileged semantics (the kernel's root rules, which its selftests'
 * verdicts assume): reading stack bytes never written gives an unknown
 * number, pointers may be compared, subtracted, stored to memory and
 * passed as plain arguments.  BPFTK_VERIFY_UNPRIV turns on the few
 * unprivileged rules implemented (uninitialized stack, variable stack
 * offsets, pointer leaks into memory, helpers and the return value).
 * bpf_loop's callback (a BPFTK_PSEUDO_FUNC load passed as its second
 * argument) is walked as a call from bpf_loop with r1 = the iteration
 * index (below 2^23) and r2 = bpf_loop's third argument, and must return
 * 0 or 1; its return leads back to the bpf_loop call, which may call it
 * again, until the state there stops changing (numbers on the caller's
 * stack that keep changing are widened to unknown after 32 rounds),
 * so whatever any number of iterations leaves behind is checked after
 * the call.  Not supported (rejected with a message saying so): program
 * types without a progtype.h descriptor (-EOPNOTSUPP), kfuncs, BTF-typed
 * pointers, other helpers' callbacks, indirect calls (callx), helpers
 * neither in helpers.h's table nor given in opts->helpers.
 *
 * Errors: -EACCES (the program is unsafe: rejected), -E2BIG (a complexity
 * limit was hit: also a rejection, with its own message), -EINVAL (bad
 * arguments, or a program that does not even decode), -EOPNOTSUPP (a
 * program type bpftk has no descriptor for; nothing was checked), -ENOMEM,
 * or an error of bpftk_verify_check_helpers for bad opts->helpers
 * (-EINVAL, -ERANGE, -EEXIST; nothing was checked).  An internal
 * inconsistency is reported as -EFAULT with a message that says so, never
 * as a rejection.
 */
#ifndef BPFTK_VERIFIER_H
#define BPFTK_VERIFIER_H

#include <bpftk/common.h>
#include <bpftk/isa.h>
#include <bpftk/object.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpftk_helper; /* helpers.h */

/* What the verifier needs to know about one map the program refers to. */
struct bpftk_verify_map {
	uint32_t type; /* kernel map type (BPF_MAP_TYPE_*) */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;
	int32_t inner; /* map of maps: index in the same array of the inner
			* map's template; -1 none */
	int32_t spin_lock_off; /* offset of a struct bpf_spin_lock in the
				* value; -1 none */
	const char *name;      /* for messages; NULL ok */
};

/* Flags of struct bpftk_verify_opts. */
enum {
	/* Call opts->log with the abstract state at each instruction, in the
	 * kernel verifier log's notation: "12: (61) r0 = *(u32 *)(r2 + 0) ;
	 * R1=ctx() R2=pkt(r=14) R10=fp0 fp-8=mmmmmmmm", the state on entry
	 * to the instruction (the kernel prints the registers it changed). */
	BPFTK_VERIFY_LOG_STATES = 1u << 0,
	/* BPF_F_ANY_ALIGNMENT / BPF_F_STRICT_ALIGNMENT as the kernel has them. */
	BPFTK_VERIFY_ANY_ALIGNMENT = 1u << 1,
	BPFTK_VERIFY_STRICT_ALIGNMENT = 1u << 2,
	/* Check as for an unprivileged loader (no pointer leaks, ...). */
	BPFTK_VERIFY_UNPRIV = 1u << 3,
};

/* The default budget of the walk.  The kernel stops at 1,000,000
 * processed instructions; bpftk's walk costs about a tenth of the
 * kernel's per instruction but prunes less (it has no precision
 * tracking: every scalar a checkpoint holds must cover the new state's),
 * so the same worst-case time buys four times the instructions and
 * programs the kernel proves within its budget (Cilium's largest tail
 * calls need 1.2 to 2.9 million here) are proved here too. */
#define BPFTK_VERIFY_INSN_LIMIT 4000000u

struct bpftk_verify_opts {
	size_t sz;		    /* sizeof(struct bpftk_verify_opts) */
	enum bpftk_prog_type type;  /* BPFTK_PROG_TYPE_UNSPEC: raw */
	int expected_attach_type;   /* as given to BPF_PROG_LOAD */
	const struct bpftk_verify_map *maps; /* indexed by the lddw imm */
	size_t nmaps;
	/* Optional: names, functions and line info for messages. */
	const struct bpftk_object_prog *prog;
	const char *name; /* program name for diagnostics; NULL ok */
	unsigned flags;	  /* BPFTK_VERIFY_* */
	/* Instructions the walk may process before giving up; 0 =
	 * BPFTK_VERIFY_INSN_LIMIT.  1000000 gives the kernel's number. */
	uint32_t insn_limit;
	/* Receives log lines (no trailing newline); NULL = no log. */
	void (*log)(void *cookie, const char *line);
	void *log_cookie;
	/* Raw programs (BPFTK_PROG_TYPE_UNSPEC: r1 = memory, r2 = its
	 * length): bytes of that memory the program may assume; 0 = none,
	 * so every access through r1 is rejected. */
	uint32_t raw_mem_size;
	/* The embedder's own helpers (nhelpers descriptors of helpers.h;
	 * NULL, 0 = none): calls to their ids are checked against them
	 * exactly as calls to bpftk's helpers are checked against its
	 * table.  fn is not used here.  They must pass
	 * bpftk_verify_check_helpers.  Borrowed for the call. */
	const struct bpftk_helper *helpers;
	size_t nhelpers;
};

/* What a successful (or failed) verification learned; opaque. */
struct bpftk_verify_result;

/* Counters of one verification (the kernel log's last lines). */
struct bpftk_verify_stats {
	uint64_t insns_processed; /* instructions walked, as the kernel counts */
	uint64_t states_total;	  /* states stored for pruning */
	uint64_t states_peak;
	uint64_t time_ns;	  /* wall time of bpftk_verify */
	uint32_t stack_depth[8];  /* per function of the program, bytes */
	uint32_t nfuncs;
};

/* Per-instruction facts an execution engine may use (JIT: dead code,
 * constants, zero extension already done). */
struct bpftk_verify_insn_facts {
	uint8_t reachable; /* some path reaches it */
	uint8_t dst_known; /* after it, dst holds the constant dst_value */
	uint8_t zext_done; /* the upper 32 bits of dst are known zero after
			    * a 32-bit operation (no explicit zext needed) */
	uint64_t dst_value;
};

/* Verifies insns[0..n).  out may be NULL; when not NULL it receives the
 * result (also on rejection: the stats say how far the walk went) and must
 * be freed with bpftk_verify_result_free.  Returns 0 when the program is
 * safe, else one of the errors above. */
BPFTK_API int bpftk_verify(const struct bpftk_insn *insns, size_t n,
			   const struct bpftk_verify_opts *opts,
			   struct bpftk_verify_result **out,
			   struct bpftk_diags *d);
BPFTK_API void bpftk_verify_result_free(struct bpftk_verify_result *res);
BPFTK_API const struct bpftk_verify_stats *
bpftk_verify_result_stats(const struct bpftk_verify_result *res);
/* Facts of instruction pc (zeros for pc out of range). */
BPFTK_API struct bpftk_verify_insn_facts
bpftk_verify_result_facts(const struct bpftk_verify_result *res, size_t pc);

/* Checks the descriptors of an embedder's helpers (bpftk_verify_opts and
 * bpftk_run_opts take them), so that the verifier can trust them as it
 * trusts its own table:
 *  - each has a name (given without the "bpf_" prefix, as in helpers.h;
 *    messages call it bpf_NAME) and at least one program type;
 *  - its id is in 1..65535 (BPFTK_VM_MAX_HELPERS - 1: the vm's helper
 *    numbers), else -ERANGE;
 *  - its id is not one of bpftk's helpers (bpftk_helper_get), nor used
 *    twice in the array: -EEXIST.  A collision is refused, never an
 *    override, because the verifier ties rules to the ids of its own
 *    helpers (which maps they take, which move the packet, tail calls,
 *    spin locks, callbacks) that a replacement would silently inherit, and
 *    because a later bpftk that implements a helper at that id then fails
 *    loudly instead of changing what the program calls.  Linux's ids are
 *    below 256; ids from 0x1000 up stay clear of them;
 *  - arguments are kinds the verifier can check without knowing the
 *    helper: BPFTK_ARG_NONE only after the last argument; every
 *    PTR_TO_MEM or PTR_TO_UNINIT_MEM followed by a CONST_SIZE or
 *    CONST_SIZE_OR_ZERO argument and every size preceded by one; map key
 *    and value arguments after a CONST_MAP_PTR, and at most one of those;
 *    none of the kinds whose meaning belongs to particular helpers
 *    (PTR_TO_FUNC, PTR_TO_STACK_OR_NULL: bpf_loop's callback and its
 *    context; PTR_TO_SPIN_LOCK; PTR_TO_RINGBUF_MEM and
 *    CONST_ALLOC_SIZE_OR_ZERO: ring buffer references; PTR_TO_CONST_STR,
 *    whose end only those helpers find).  Otherwise -EINVAL;
 *  - the return kind is BPFTK_RET_INTEGER, BPFTK_RET_VOID, or
 *    BPFTK_RET_PTR_TO_MAP_VALUE_OR_NULL with a CONST_MAP_PTR argument;
 *    else -EINVAL.
 * What the verifier then assumes, and the implementation must keep: it
 * changes only r0 (as its return kind says: a map value pointer must point
 * to value_size bytes of a value of the map argument, or be NULL) and the
 * bytes of its writable memory arguments (PTR_TO_UNINIT_MEM,
 * PTR_TO_UNINIT_MAP_VALUE, PTR_TO_LONG); it reads no other memory of the
 * program and does not move the packet.
 * n = 0 is fine (h may then be NULL).  Each problem adds an error to d
 * naming the helper. */
BPFTK_API int bpftk_verify_check_helpers(const struct bpftk_helper *h,
					 size_t n, struct bpftk_diags *d);

/* Verifies a program of an opened object with its maps, names and line
 * info, as libbpf would load it.  opts may be NULL (type and attach type
 * from the section); its maps/nmaps/prog fields are ignored (taken from
 * the object: map i of the object is map i here, inner-map templates
 * follow). */
BPFTK_API int bpftk_verify_object_prog(const struct bpftk_object *obj,
				       const struct bpftk_object_prog *prog,
				       const struct bpftk_verify_opts *opts,
				       struct bpftk_verify_result **out,
				       struct bpftk_diags *d);

#ifdef __cplusplus
}
#endif
#endif
