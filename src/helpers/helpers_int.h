/* helpers_int.h — what only the files of src/helpers share: the
 * environment's layout and the implementations the table points to.
 *
 * Invariants: every map pointer a helper dereferences was found in
 * env->maps (bound or handed out by a map-of-maps lookup); every region in
 * env->handed lives at least until the next bpftk_helper_env_reset_run
 * (map values are never freed while their map lives; ring buffer samples
 * leave the list when submitted or discarded).
 */
#ifndef BPFTK_HELPERS_INT_H
#define BPFTK_HELPERS_INT_H

#include <bpftk/helpers.h>
#include <bpftk/progtype.h>

#include "../util/util_int.h"

struct env_map {
	struct bpftk_map *map;
	uint32_t type, key_size, value_size, flags;
};

struct env_mem {
	uint64_t addr, len;
	int writable;
};

struct env_vec {
	void *v;
	size_t n, cap;
};

struct bpftk_helper_env {
	struct env_vec maps;	/* struct env_map, bound first */
	size_t nbound;		/* maps[0..nbound) survive reset_run */
	struct env_vec mem;	/* struct env_mem: global data */
	struct env_vec handed;	/* struct env_mem: values given this run */
	/* open-addressing index of handed by address (slot: index + 1, 0
	 * empty; capacity a power of two, at most half full), so a program
	 * looking up many elements per run pays O(1) per lookup */
	uint32_t *hidx;
	size_t hidx_cap;
	struct env_vec probe;	/* struct env_mem: probe_read memory */
	uint32_t pid, tgid, uid, gid;
	char comm[BPFTK_COMM_LEN];
	unsigned cpu;
	bpftk_trace_fn trace;
	void *trace_arg;
	bpftk_clock_fn clock;
	void *clock_arg;
	uint64_t rnd;
	struct bpftk_ctx *ctx;
	void *user;
	void *tail;
	unsigned tail_count;
	bpftk_tail_run_fn tail_run; /* tail calls inside subprograms */
	void *tail_run_arg;
	int redirect_kind; /* 0 none, 1 ifindex, 2 map */
	struct bpftk_redirect redirect;
	int oom; /* a handed-out region could not be recorded */
};

/* env.c */
BPFTK_INTERNAL struct bpftk_helper_env *
bpftk_henv(struct bpftk_vm_call *call);
/* The known map behind a program's map pointer, or NULL after failing the
 * call with a message naming argument `arg`. */
BPFTK_INTERNAL const struct env_map *
bpftk_henv_map(struct bpftk_helper_env *env, struct bpftk_vm_call *call,
	       uint64_t ptr, int arg);
/* The run's context when r1 is it and its type is in types (BPFTK_PT_*
 * bits; 0: any type), or NULL after failing the call ("r1 = ... is not the
 * program's <what>"). */
BPFTK_INTERNAL struct bpftk_ctx *bpftk_henv_ctx(struct bpftk_vm_call *call,
						uint64_t r1, uint64_t types,
						const char *what);
/* Records memory a helper handed to the program; 0 or -ENOMEM. */
BPFTK_INTERNAL int bpftk_henv_hand(struct bpftk_helper_env *env, void *p,
				   uint64_t len, int writable);
BPFTK_INTERNAL void bpftk_henv_unhand(struct bpftk_helper_env *env, void *p);
BPFTK_INTERNAL int bpftk_henv_add_known(struct bpftk_helper_env *env,
					struct bpftk_map *m);
/* Program memory of len bytes at addr, or NULL after failing the call
 * ("argument rN: ..."). */
BPFTK_INTERNAL void *bpftk_henv_mem(struct bpftk_vm_call *call, uint64_t addr,
				    uint64_t len, int write, int arg);
/* Is [addr, addr + len) inside registered probe memory? */
BPFTK_INTERNAL int bpftk_henv_probe_ok(const struct bpftk_helper_env *env,
				       uint64_t addr, uint64_t len);

/* The implementations (h_*.c). */
#define HELPER_FN(name)                                                      \
	BPFTK_INTERNAL uint64_t bpftk_h_##name(uint64_t r1, uint64_t r2,      \
					       uint64_t r3, uint64_t r4,      \
					       uint64_t r5,                   \
					       struct bpftk_vm_call *call);
#define BPFTK_HELPER_IMPLS(X)                                                \
	X(map_lookup_elem) X(map_update_elem) X(map_delete_elem)             \
	X(map_push_elem) X(map_pop_elem) X(map_peek_elem)                    \
	X(map_lookup_percpu_elem) X(tail_call) X(ringbuf_output)             \
	X(ringbuf_reserve) X(ringbuf_submit) X(ringbuf_discard)              \
	X(ringbuf_query) X(spin_lock) X(spin_unlock) X(loop)                 \
	X(ktime_get_ns) X(ktime_get_boot_ns) X(jiffies64)                    \
	X(get_prandom_u32) X(get_smp_processor_id) X(get_numa_node_id)       \
	X(get_current_pid_tgid) X(get_current_uid_gid) X(get_current_comm)   \
	X(trace_printk) X(snprintf) X(strncmp) X(probe_read)                 \
	X(probe_read_str) X(csum_diff) X(xdp_adjust_head)                    \
	X(xdp_adjust_tail) X(xdp_adjust_meta) X(skb_load_bytes)              \
	X(skb_store_bytes) X(l3_csum_replace) X(l4_csum_replace)             \
	X(redirect) X(redirect_map) X(clone_redirect) X(skb_vlan_push)      \
	X(skb_vlan_pop) X(skb_get_tunnel_key) X(skb_set_tunnel_key)          \
	X(perf_event_output) X(skb_change_proto) X(get_hash_recalc)          \
	X(skb_change_tail) X(fib_lookup) X(skb_under_cgroup)                \
	X(get_stackid) X(perf_event_read) X(perf_event_read_value)           \
	X(current_task_under_cgroup) X(get_cgroup_classid)                   \
	X(perf_prog_read_value) X(setsockopt) X(getsockopt)                  \
	X(sock_ops_cb_flags_set)
BPFTK_HELPER_IMPLS(HELPER_FN)
#undef HELPER_FN

#endif
