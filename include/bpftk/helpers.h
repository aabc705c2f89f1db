/* bpftk/helpers.h — BPF helper functions: one descriptor per helper (the
 * kernel's id and name, argument and return kinds for the verifier, the
 * program types that may call it, the implementation), and the environment
 * the implementations run in.
 *
 * Ids and names are the kernel's (enum bpf_func_id, BPF_FUNC_*).  The
 * implementations follow the kernel's semantics and error codes; where a
 * program passes something the kernel's verifier would have refused (a bad
 * map pointer, memory it may not touch), the helper stops the program with
 * a diagnostic instead (bpftk_vm_call_fail), because nothing verifies
 * programs yet.
 *
 * The environment (struct bpftk_helper_env) is what a run hands to its
 * helpers as the vm's ctx: the maps bound to the program, the values
 * bpf_get_current_*() return, the sink of bpf_trace_printk, memory that
 * bpf_probe_read*() may read, the CPU number, the clock, the random state,
 * the packet context, and what the program asked for (a tail call, a
 * redirect).  In checked mode bpftk_helper_env_mem_check lets the program
 * touch memory that helpers handed out (map values, ring buffer samples,
 * global data) and the packet between its current bounds.
 *
 * Map pointers: a 64-bit load of a map (src = BPFTK_PSEUDO_MAP_IDX) is
 * rewritten by the loader to load the struct bpftk_map * of the bound map,
 * as the kernel loads a struct bpf_map *; helpers accept only maps the
 * environment knows (bound ones, and inner maps a lookup handed out).
 * A callback (src = BPFTK_PSEUDO_FUNC) loads BPFTK_HELPER_FUNC_TAG | slot.
 *
 * Threads: an environment belongs to one run at a time.
 */
#ifndef BPFTK_HELPERS_H
#define BPFTK_HELPERS_H

#include <bpftk/common.h>
#include <bpftk/maps.h>
#include <bpftk/object.h>
#include <bpftk/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel helper ids (enum bpf_func_id) of the helpers bpftk implements. */
enum bpftk_func_id {
	BPFTK_FUNC_map_lookup_elem = 1,
	BPFTK_FUNC_map_update_elem = 2,
	BPFTK_FUNC_map_delete_elem = 3,
	BPFTK_FUNC_probe_read = 4,
	BPFTK_FUNC_ktime_get_ns = 5,
	BPFTK_FUNC_trace_printk = 6,
	BPFTK_FUNC_get_prandom_u32 = 7,
	BPFTK_FUNC_get_smp_processor_id = 8,
	BPFTK_FUNC_skb_store_bytes = 9,
	BPFTK_FUNC_l3_csum_replace = 10,
	BPFTK_FUNC_l4_csum_replace = 11,
	BPFTK_FUNC_tail_call = 12,
	BPFTK_FUNC_clone_redirect = 13,
	BPFTK_FUNC_get_current_pid_tgid = 14,
	BPFTK_FUNC_get_current_uid_gid = 15,
	BPFTK_FUNC_get_current_comm = 16,
	BPFTK_FUNC_get_cgroup_classid = 17,
	BPFTK_FUNC_skb_vlan_push = 18,
	BPFTK_FUNC_skb_vlan_pop = 19,
	BPFTK_FUNC_skb_get_tunnel_key = 20,
	BPFTK_FUNC_skb_set_tunnel_key = 21,
	BPFTK_FUNC_perf_event_read = 22,
	BPFTK_FUNC_redirect = 23,
	BPFTK_FUNC_perf_event_output = 25,
	BPFTK_FUNC_skb_load_bytes = 26,
	BPFTK_FUNC_get_stackid = 27,
	BPFTK_FUNC_csum_diff = 28,
	BPFTK_FUNC_skb_change_proto = 31,
	BPFTK_FUNC_skb_under_cgroup = 33,
	BPFTK_FUNC_get_hash_recalc = 34,
	BPFTK_FUNC_current_task_under_cgroup = 37,
	BPFTK_FUNC_skb_change_tail = 38,
	BPFTK_FUNC_get_numa_node_id = 42,
	BPFTK_FUNC_xdp_adjust_head = 44,
	BPFTK_FUNC_probe_read_str = 45,
	BPFTK_FUNC_setsockopt = 49,
	BPFTK_FUNC_redirect_map = 51,
	BPFTK_FUNC_xdp_adjust_meta = 54,
	BPFTK_FUNC_perf_event_read_value = 55,
	BPFTK_FUNC_perf_prog_read_value = 56,
	BPFTK_FUNC_getsockopt = 57,
	BPFTK_FUNC_sock_ops_cb_flags_set = 59,
	BPFTK_FUNC_xdp_adjust_tail = 65,
	BPFTK_FUNC_fib_lookup = 69,
	BPFTK_FUNC_map_push_elem = 87,
	BPFTK_FUNC_map_pop_elem = 88,
	BPFTK_FUNC_map_peek_elem = 89,
	BPFTK_FUNC_spin_lock = 93,
	BPFTK_FUNC_spin_unlock = 94,
	BPFTK_FUNC_probe_read_user = 112,
	BPFTK_FUNC_probe_read_kernel = 113,
	BPFTK_FUNC_probe_read_user_str = 114,
	BPFTK_FUNC_probe_read_kernel_str = 115,
	BPFTK_FUNC_jiffies64 = 118,
	BPFTK_FUNC_ktime_get_boot_ns = 125,
	BPFTK_FUNC_ringbuf_output = 130,
	BPFTK_FUNC_ringbuf_reserve = 131,
	BPFTK_FUNC_ringbuf_submit = 132,
	BPFTK_FUNC_ringbuf_discard = 133,
	BPFTK_FUNC_ringbuf_query = 134,
	BPFTK_FUNC_snprintf = 165,
	BPFTK_FUNC_loop = 181,
	BPFTK_FUNC_strncmp = 182,
	BPFTK_FUNC_map_lookup_percpu_elem = 195,
};

/* Argument kinds (the kernel's enum bpf_arg_type, for the verifier). */
enum bpftk_arg_kind {
	BPFTK_ARG_NONE = 0,
	BPFTK_ARG_ANYTHING,	    /* any scalar */
	BPFTK_ARG_CONST_MAP_PTR,    /* a map loaded with lddw */
	BPFTK_ARG_PTR_TO_MAP_KEY,   /* key_size readable bytes */
	BPFTK_ARG_PTR_TO_MAP_VALUE, /* value_size readable bytes */
	BPFTK_ARG_PTR_TO_UNINIT_MAP_VALUE, /* value_size writable bytes */
	BPFTK_ARG_PTR_TO_MEM,	    /* readable, size in the next argument */
	BPFTK_ARG_PTR_TO_UNINIT_MEM, /* writable, size in the next argument */
	BPFTK_ARG_CONST_SIZE,	    /* size of the previous memory argument */
	BPFTK_ARG_CONST_SIZE_OR_ZERO,
	BPFTK_ARG_PTR_TO_CTX,	    /* the program's context */
	BPFTK_ARG_PTR_TO_CONST_STR, /* NUL-terminated read-only string */
	BPFTK_ARG_PTR_TO_RINGBUF_MEM, /* a reserved ring buffer sample */
	BPFTK_ARG_PTR_TO_FUNC,	    /* a callback (lddw src=BPFTK_PSEUDO_FUNC) */
	BPFTK_ARG_PTR_TO_STACK_OR_NULL,
	BPFTK_ARG_PTR_TO_SPIN_LOCK, /* struct bpf_spin_lock in a map value */
	BPFTK_ARG_CONST_ALLOC_SIZE_OR_ZERO,
	BPFTK_ARG_PTR_TO_LONG,	    /* 8 writable bytes */
};

/* Return kinds (the kernel's enum bpf_return_type). */
enum bpftk_ret_kind {
	BPFTK_RET_INTEGER = 0,
	BPFTK_RET_VOID,
	BPFTK_RET_PTR_TO_MAP_VALUE_OR_NULL,
	BPFTK_RET_PTR_TO_RINGBUF_MEM_OR_NULL,
};

/* Sets of program types (bit 1 << enum bpftk_prog_type). */
#define BPFTK_PT_BIT(t) (1ULL << (t))
#define BPFTK_PT_RAW BPFTK_PT_BIT(BPFTK_PROG_TYPE_UNSPEC)
#define BPFTK_PT_XDP BPFTK_PT_BIT(BPFTK_PROG_TYPE_XDP)
#define BPFTK_PT_TC                                                          \
	(BPFTK_PT_BIT(BPFTK_PROG_TYPE_SCHED_CLS) |                           \
	 BPFTK_PT_BIT(BPFTK_PROG_TYPE_SCHED_ACT))
#define BPFTK_PT_SOCKET BPFTK_PT_BIT(BPFTK_PROG_TYPE_SOCKET_FILTER)
#define BPFTK_PT_PERF_EVENT BPFTK_PT_BIT(BPFTK_PROG_TYPE_PERF_EVENT)
#define BPFTK_PT_RAW_TRACEPOINT BPFTK_PT_BIT(BPFTK_PROG_TYPE_RAW_TRACEPOINT)
/* the types of the kernel's is_tracing_prog_type that bpftk knows: their
 * helpers come from bpf_tracing_func_proto, and they may not take spin
 * locks */
#define BPFTK_PT_TRACING                                                     \
	(BPFTK_PT_BIT(BPFTK_PROG_TYPE_KPROBE) |                              \
	 BPFTK_PT_BIT(BPFTK_PROG_TYPE_TRACEPOINT) | BPFTK_PT_PERF_EVENT |    \
	 BPFTK_PT_RAW_TRACEPOINT)
#define BPFTK_PT_CGROUP_SKB BPFTK_PT_BIT(BPFTK_PROG_TYPE_CGROUP_SKB)
#define BPFTK_PT_CGROUP_SOCK BPFTK_PT_BIT(BPFTK_PROG_TYPE_CGROUP_SOCK)
#define BPFTK_PT_SOCK_OPS BPFTK_PT_BIT(BPFTK_PROG_TYPE_SOCK_OPS)
#define BPFTK_PT_SK_SKB BPFTK_PT_BIT(BPFTK_PROG_TYPE_SK_SKB)
#define BPFTK_PT_CGROUP_SOCK_ADDR                                            \
	BPFTK_PT_BIT(BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR)
#define BPFTK_PT_SK_LOOKUP BPFTK_PT_BIT(BPFTK_PROG_TYPE_SK_LOOKUP)
#define BPFTK_PT_ALL                                                         \
	(BPFTK_PT_RAW | BPFTK_PT_XDP | BPFTK_PT_TC | BPFTK_PT_SOCKET |        \
	 BPFTK_PT_TRACING | BPFTK_PT_CGROUP_SKB | BPFTK_PT_CGROUP_SOCK |     \
	 BPFTK_PT_SK_SKB | BPFTK_PT_CGROUP_SOCK_ADDR | BPFTK_PT_SK_LOOKUP |  \
	 BPFTK_PT_SOCK_OPS)

struct bpftk_helper {
	uint32_t id;	  /* kernel helper id */
	const char *name; /* "map_lookup_elem" (bpf_ prefix left out) */
	uint8_t args[5];  /* enum bpftk_arg_kind, BPFTK_ARG_NONE past the end */
	uint8_t ret;	  /* enum bpftk_ret_kind */
	uint64_t prog_types; /* BPFTK_PT_* set allowed to call it */
	bpftk_vm_helper_fn fn; /* expects bpftk_vm_call_ctx() == the env */
};

/* The descriptor of helper id, or NULL.  Static storage. */
BPFTK_API const struct bpftk_helper *bpftk_helper_get(uint32_t id);
/* By name, with or without the "bpf_" prefix; NULL when unknown. */
BPFTK_API const struct bpftk_helper *bpftk_helper_find(const char *name);
/* All descriptors in id order; *n gets their count. */
BPFTK_API const struct bpftk_helper *bpftk_helper_table(size_t *n);
/* Registers every helper programs of type `type` may call with vm
 * (before bpftk_vm_load).  Errors as bpftk_vm_register_helper. */
BPFTK_API int bpftk_helper_register_all(struct bpftk_vm *vm,
					enum bpftk_prog_type type);

/* ---- environment ---------------------------------------------------------- */

#define BPFTK_HELPER_FUNC_TAG 0xbf00000000000000ULL /* | slot of a callback */
#define BPFTK_COMM_LEN 16

struct bpftk_helper_env;
struct bpftk_ctx; /* progtype.h */

/* Output of bpf_trace_printk: one formatted message (no NUL, no newline
 * added), called during the run. */
typedef void (*bpftk_trace_fn)(void *arg, const char *text, size_t len);
/* A clock for ktime helpers: nanoseconds. */
typedef uint64_t (*bpftk_clock_fn)(void *arg, int clock_id);
#define BPFTK_CLOCK_MONO 0
#define BPFTK_CLOCK_BOOT 1

/* New environment: pid/tgid/uid/gid/comm of the calling process, CPU 0, the
 * host's clocks, printk output dropped.  Free with bpftk_helper_env_free.
 * Errors: -ENOMEM. */
BPFTK_API int bpftk_helper_env_new(struct bpftk_helper_env **out);
BPFTK_API void bpftk_helper_env_free(struct bpftk_helper_env *env);

/* Maps the program may name; borrowed (must outlive the env).  Errors:
 * -EINVAL, -ENOMEM. */
BPFTK_API int bpftk_helper_env_add_map(struct bpftk_helper_env *env,
				       struct bpftk_map *map);
/* Memory the program may access directly besides the stack (global data
 * values); borrowed.  Errors: -EINVAL, -ENOMEM. */
BPFTK_API int bpftk_helper_env_add_mem(struct bpftk_helper_env *env,
				       void *ptr, size_t len, int writable);
/* Memory bpf_probe_read*() may read (the "kernel" or "user" memory of a
 * tracing program); borrowed.  Errors: -EINVAL, -ENOMEM. */
BPFTK_API int bpftk_helper_env_add_probe_mem(struct bpftk_helper_env *env,
					     const void *ptr, size_t len);
BPFTK_API void bpftk_helper_env_set_task(struct bpftk_helper_env *env,
					 uint32_t pid, uint32_t tgid,
					 uint32_t uid, uint32_t gid,
					 const char *comm);
BPFTK_API void bpftk_helper_env_set_cpu(struct bpftk_helper_env *env,
					unsigned cpu);
BPFTK_API unsigned bpftk_helper_env_cpu(const struct bpftk_helper_env *env);
BPFTK_API void bpftk_helper_env_set_trace(struct bpftk_helper_env *env,
					  bpftk_trace_fn fn, void *arg);
BPFTK_API void bpftk_helper_env_set_clock(struct bpftk_helper_env *env,
					  bpftk_clock_fn fn, void *arg);
BPFTK_API void bpftk_helper_env_seed(struct bpftk_helper_env *env,
				     uint64_t seed);
/* The program's context (packet helpers check r1 against it); NULL for
 * raw programs.  Borrowed. */
BPFTK_API void bpftk_helper_env_set_ctx(struct bpftk_helper_env *env,
					struct bpftk_ctx *ctx);
/* A pointer for the embedder's own helpers. */
BPFTK_API void bpftk_helper_env_set_user(struct bpftk_helper_env *env,
					 void *user);
BPFTK_API void *bpftk_helper_env_user(const struct bpftk_helper_env *env);
/* From inside a helper: the env of the run (NULL when the run's ctx is not
 * an env). */
BPFTK_API struct bpftk_helper_env *
bpftk_helper_env_of(const struct bpftk_vm_call *call);

/* Forgets what the previous run handed out and asked for (map value
 * pointers, samples, tail call, redirect); call before every run. */
BPFTK_API void bpftk_helper_env_reset_run(struct bpftk_helper_env *env);
/* For struct bpftk_vm_run_opts.mem_check with ctx = env. */
BPFTK_API int bpftk_helper_env_mem_check(void *env, uint64_t addr,
					 uint64_t size, int write);

/* After a vm run: the program that a successful bpf_tail_call() asked for
 * (the opaque pointer stored in the prog array), or NULL; taking it clears
 * it.  The runner then runs that program with the same context.  The count
 * of tail calls is kept from reset to reset: past BPFTK_MAX_TAIL_CALLS
 * (the kernel's 33) bpf_tail_call() fails and the program goes on.
 * A tail call made inside a bpf-to-bpf subprogram (or a callback) is
 * different, as in Linux (x86-64 JIT, 5.10+: the tail call unwinds only
 * the subprogram's frame): the target runs at once, through the runner's
 * tail runner, and its r0 returns to the subprogram's caller, which goes
 * on with its r6-r9 intact; the count is shared.  Without a tail runner
 * the whole program ends there as from the main function. */
#define BPFTK_MAX_TAIL_CALLS 33
BPFTK_API void *bpftk_helper_env_take_tail(struct bpftk_helper_env *env);
BPFTK_API unsigned bpftk_helper_env_tail_count(
	const struct bpftk_helper_env *env);
/* The runner's way to run a tail call's target inside a run: runs prog
 * (the opaque pointer from the prog array) with the current run's context
 * to its end, its own tail calls included, and stores its r0.  Returns 0
 * or the fault of that run (the runner reports it). */
typedef int (*bpftk_tail_run_fn)(void *arg, void *prog, uint64_t *r0);
BPFTK_API void bpftk_helper_env_set_tail_runner(struct bpftk_helper_env *env,
						bpftk_tail_run_fn fn,
						void *arg);

/* After a run: the redirect the program asked for (bpf_redirect or
 * bpf_redirect_map).  Returns 0 when there was none, 1 for an ifindex, 2
 * for a map slot. */
struct bpftk_redirect {
	uint32_t ifindex; /* bpf_redirect, or the key of redirect_map */
	uint64_t flags;
	struct bpftk_map *map; /* redirect_map */
};
BPFTK_API int bpftk_helper_env_redirect(const struct bpftk_helper_env *env,
					struct bpftk_redirect *r);

/* The kernel's formatting of bpf_snprintf / bpf_trace_printk: fmt (at most
 * fmt_size bytes, NUL-terminated within them) with nargs 64-bit args;
 * %s arguments are read through `read` (may be NULL: strings print as "").
 * Writes at most size bytes including the NUL.  Returns the formatted
 * length without the NUL, or -EINVAL for a format the kernel refuses
 * (unknown conversion, too many arguments, missing NUL), -E2BIG when
 * nargs > max_args. */
typedef int (*bpftk_str_reader)(void *arg, uint64_t addr, char *dst,
				size_t cap);
BPFTK_API int bpftk_helper_format(char *out, size_t size, const char *fmt,
				  size_t fmt_size, const uint64_t *args,
				  size_t nargs, bpftk_str_reader read,
				  void *read_arg);

#ifdef __cplusplus
}
#endif
#endif
