/* bpftk/run.h — BPF_PROG_TEST_RUN in userspace: load a program of an
 * opened object with its maps and helpers, run it on a packet (or context)
 * any number of times, and look at what it did.
 *
 *     struct bpftk_run *r;
 *     bpftk_run_new(obj, &opts, &r, diags);   // maps created, programs loaded
 *     struct bpftk_test_run_opts t = {.sz = sizeof(t), .data_in = pkt, ...};
 *     bpftk_run_test(r, &t, diags);           // t.retval, t.data_out, ...
 *     bpftk_map_lookup_elem(bpftk_run_map(r, "counts"), &k, &v, 0);
 *     bpftk_run_free(r);
 *
 * What bpftk_run_new does, as libbpf + the kernel would: creates every map
 * of the object in a fresh map set (global data initialised from the
 * object, maps of maps and prog arrays filled from their BTF `values`),
 * verifies each program with the object's maps (verifier.h; a rejected
 * program is not loaded: the one asked for fails the run with -EACCES and
 * the verifier's diagnostics, others are left out of prog arrays), binds
 * the relocations (a map load gets the struct bpftk_map *, a global
 * data load the address of its value + offset, a callback load
 * BPFTK_HELPER_FUNC_TAG | slot), rewrites context accesses for the
 * program's type (progtype.h) and loads every program of a type bpftk runs
 * into its own vm with the helpers its type may call.  Programs are
 * numbered 1..n in object order: these are the ids prog arrays take from
 * userspace (bpftk_map_update_elem on a prog array stores program id).
 *
 * A test run follows bpf_prog_test_run_opts: for XDP the packet gets 256
 * bytes of headroom in a 4096-byte frame of which 320 bytes at the end are
 * reserved (so bpf_xdp_adjust_tail can grow it like the kernel), metadata
 * starts empty, data_out is [data_meta, data_end) and ctx_out an xdp_md;
 * tc and socket filters see a __sk_buff (socket filters see data from the
 * network header; data_out always starts at the Ethernet header); raw
 * programs get r1 = a copy of data_in, r2 = its length; kprobe/tracepoint
 * programs get ctx_in as their read-only context.  As in the kernel the
 * packet is not reset between repetitions, tail calls go through prog
 * arrays (33 at most per run), and retval is the low 32 bits of r0.
 *
 * Errors: -EINVAL (details in diagnostics: unknown program, a type bpftk
 * cannot run, a packet shorter than 14 bytes for packet types, rejected
 * context access...), -E2BIG (packet larger than the frame), -ENOSPC
 * (data_out or ctx_out too small: filled as far as it goes, sizes set),
 * -ENOMEM, or the fault of a run (-EFAULT, -ETIMEDOUT, ...).
 */
#ifndef BPFTK_RUN_H
#define BPFTK_RUN_H

#include <bpftk/common.h>
#include <bpftk/helpers.h>
#include <bpftk/maps.h>
#include <bpftk/object.h>
#include <bpftk/progtype.h>
#include <bpftk/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpftk_run;

/* Flags of struct bpftk_run_opts. */
enum {
	/* Load programs without verifying them.  They then run only in
	 * BPFTK_VM_CHECKED mode (mode FAST or JIT is -EINVAL). */
	BPFTK_RUN_NO_VERIFY = 1u << 0,
	/* Keep the checks of BPFTK_VM_CHECKED on verified programs too. */
	BPFTK_RUN_CHECKED = 1u << 1,
};

struct bpftk_run_opts {
	size_t sz;	       /* sizeof(struct bpftk_run_opts) */
	const char *prog_name; /* function name; NULL = the first program */
	/* Engine.  The default (0, BPFTK_VM_CHECKED) means: BPFTK_VM_FAST
	 * for verified programs, BPFTK_VM_CHECKED for programs loaded with
	 * BPFTK_RUN_NO_VERIFY; BPFTK_RUN_CHECKED forces checks.
	 * BPFTK_VM_FAST and BPFTK_VM_JIT need verified programs. */
	enum bpftk_vm_mode mode;
	uint64_t budget;	 /* per vm run, as in bpftk_vm_opts */
	unsigned ncpus;		 /* of per-CPU maps; 0 = possible CPUs */
	/* Program type for programs whose section implies none (or to run
	 * an object's program as another type); 0 = from the section. */
	enum bpftk_prog_type type;
	unsigned flags; /* BPFTK_RUN_* */
	/* Raw programs (r1 = memory, r2 = its length): the length they are
	 * verified for; each test run of a verified raw program must then
	 * give exactly this many bytes (else -EINVAL). */
	uint32_t raw_mem_size;
	/* The embedder's own helpers (helpers.h descriptors; NULL, 0 =
	 * none), besides bpftk's: the verifier checks calls to them against
	 * these descriptors (bpftk_verify_opts.helpers; the rules they must
	 * follow, and what their fn may do, are bpftk_verify_check_helpers'),
	 * and every program whose type is in a helper's prog_types gets fn
	 * registered under its id, in every engine.  fn is called with
	 * bpftk_vm_call_ctx() == bpftk_run_env(r) (bpftk_helper_env_user
	 * gives the embedder's pointer).  An id of bpftk's own helpers is
	 * refused (-EEXIST), never overridden.  Read during bpftk_run_new
	 * only (names are copied). */
	const struct bpftk_helper *helpers;
	size_t nhelpers;
};

/* Creates maps, loads programs.  obj must outlive the run.  On failure
 * *out is NULL and d says why (naming the program, map and instruction).
 * Errors: -EACCES (the verifier rejected the program; -E2BIG when it hit
 * a complexity limit), -EINVAL (also: a helper descriptor without fn, or
 * one bpftk_verify_check_helpers refuses), -ERANGE and -EEXIST (helper
 * ids, as bpftk_verify_check_helpers), -ENOENT (no such program),
 * -ENOMEM. */
BPFTK_API int bpftk_run_new(const struct bpftk_object *obj,
			    const struct bpftk_run_opts *opts,
			    struct bpftk_run **out, struct bpftk_diags *d);
BPFTK_API void bpftk_run_free(struct bpftk_run *r);

/* The program that runs, its type descriptor, the maps (owned by the run;
 * inspect or change them between runs), the environment of its helpers
 * (task identity, printk sink, CPU, clock: set them before runs). */
BPFTK_API const struct bpftk_object_prog *
bpftk_run_prog(const struct bpftk_run *r);
BPFTK_API const struct bpftk_progtype *
bpftk_run_progtype(const struct bpftk_run *r);
BPFTK_API struct bpftk_map_set *bpftk_run_maps(struct bpftk_run *r);
/* The map created for the object's map `name`, or NULL. */
BPFTK_API struct bpftk_map *bpftk_run_map(struct bpftk_run *r,
					  const char *name);
BPFTK_API struct bpftk_helper_env *bpftk_run_env(struct bpftk_run *r);

/* The fields of libbpf's struct bpf_test_run_opts. */
struct bpftk_test_run_opts {
	size_t sz; /* sizeof(struct bpftk_test_run_opts) */
	const void *data_in;
	void *data_out;	    /* may be NULL */
	uint32_t data_size_in;
	uint32_t data_size_out; /* in: capacity of data_out; out: length */
	const void *ctx_in;	/* may be NULL */
	void *ctx_out;		/* may be NULL */
	uint32_t ctx_size_in;
	uint32_t ctx_size_out; /* in: capacity; out: length */
	uint32_t retval;       /* out: low 32 bits of r0 */
	int repeat;	       /* runs; 0 means 1 */
	uint64_t duration;     /* out: nanoseconds per run */
	uint64_t r0;	       /* out: all of r0 */
	unsigned cpu;	       /* CPU the program sees (per-CPU maps) */
};

/* One test run (repeat times).  Maps keep what the program did. */
BPFTK_API int bpftk_run_test(struct bpftk_run *r,
			     struct bpftk_test_run_opts *opts,
			     struct bpftk_diags *d);

#ifdef __cplusplus
}
#endif
#endif
