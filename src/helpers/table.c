/* table.c — THE helper table: one row per helper (kernel id and name,
 * argument kinds, return kind, program types allowed, implementation).
 * Every other part (vm registration, the verifier later, `bpftk` listings)
 * reads these rows; adding a helper is adding a row.
 *
 * Invariants: rows are sorted by id and ids are unique (the unit test
 * checks both, and the ids against <linux/bpf.h>).
 */
#include <errno.h>
#include <string.h>

#include "helpers_int.h"

#define A(k) BPFTK_ARG_##k
#define R(k) BPFTK_RET_##k
#define NONE BPFTK_ARG_NONE
#define ROW(id_, name_, a1, a2, a3, a4, a5, ret_, types_, fn_)               \
	{BPFTK_FUNC_##id_, name_, {a1, a2, a3, a4, a5}, ret_, types_,        \
	 bpftk_h_##fn_},

/* Program types: base helpers for all; probe reads and task identity for
 * tracing (and raw test programs); packet helpers for their hooks. */
#define PT_ALL BPFTK_PT_ALL
#define PT_TRACE (BPFTK_PT_TRACING | BPFTK_PT_RAW)
#define PT_PKT (BPFTK_PT_XDP | BPFTK_PT_TC)
#define PT_SKB                                                               \
	(BPFTK_PT_TC | BPFTK_PT_SOCKET | BPFTK_PT_CGROUP_SKB | BPFTK_PT_SK_SKB)
/* task identity for cgroup socket hooks (sock_filter_func_proto) */
#define PT_TASK                                                              \
	(PT_TRACE | BPFTK_PT_CGROUP_SOCK | BPFTK_PT_CGROUP_SOCK_ADDR)
/* "tracing progs cannot use bpf_spin_lock yet" */
#define PT_NOTRACE (BPFTK_PT_ALL & ~BPFTK_PT_TRACING)

static const struct bpftk_helper table[] = {
	ROW(map_lookup_elem, "map_lookup_elem", A(CONST_MAP_PTR),
	    A(PTR_TO_MAP_KEY), NONE, NONE, NONE, R(PTR_TO_MAP_VALUE_OR_NULL),
	    PT_ALL, map_lookup_elem)
	ROW(map_update_elem, "map_update_elem", A(CONST_MAP_PTR),
	    A(PTR_TO_MAP_KEY), A(PTR_TO_MAP_VALUE), A(ANYTHING), NONE,
	    R(INTEGER), PT_ALL, map_update_elem)
	ROW(map_delete_elem, "map_delete_elem", A(CONST_MAP_PTR),
	    A(PTR_TO_MAP_KEY), NONE, NONE, NONE, R(INTEGER), PT_ALL,
	    map_delete_elem)
	ROW(probe_read, "probe_read", A(PTR_TO_UNINIT_MEM),
	    A(CONST_SIZE_OR_ZERO), A(ANYTHING), NONE, NONE, R(INTEGER),
	    PT_TRACE, probe_read)
	ROW(ktime_get_ns, "ktime_get_ns", NONE, NONE, NONE, NONE, NONE,
	    R(INTEGER), PT_ALL, ktime_get_ns)
	ROW(trace_printk, "trace_printk", A(PTR_TO_MEM), A(CONST_SIZE),
	    A(ANYTHING), A(ANYTHING), A(ANYTHING), R(INTEGER), PT_ALL,
	    trace_printk)
	ROW(get_prandom_u32, "get_prandom_u32", NONE, NONE, NONE, NONE, NONE,
	    R(INTEGER), PT_ALL, get_prandom_u32)
	ROW(get_smp_processor_id, "get_smp_processor_id", NONE, NONE, NONE,
	    NONE, NONE, R(INTEGER), PT_ALL, get_smp_processor_id)
	ROW(skb_store_bytes, "skb_store_bytes", A(PTR_TO_CTX), A(ANYTHING),
	    A(PTR_TO_MEM), A(CONST_SIZE), A(ANYTHING), R(INTEGER),
	    BPFTK_PT_TC | BPFTK_PT_SK_SKB, skb_store_bytes)
	ROW(l3_csum_replace, "l3_csum_replace", A(PTR_TO_CTX), A(ANYTHING),
	    A(ANYTHING), A(ANYTHING), A(ANYTHING), R(INTEGER), BPFTK_PT_TC,
	    l3_csum_replace)
	ROW(l4_csum_replace, "l4_csum_replace", A(PTR_TO_CTX), A(ANYTHING),
	    A(ANYTHING), A(ANYTHING), A(ANYTHING), R(INTEGER), BPFTK_PT_TC,
	    l4_csum_replace)
	ROW(tail_call, "tail_call", A(PTR_TO_CTX), A(CONST_MAP_PTR),
	    A(ANYTHING), NONE, NONE, R(VOID), PT_ALL, tail_call)
	ROW(clone_redirect, "clone_redirect", A(PTR_TO_CTX), A(ANYTHING),
	    A(ANYTHING), NONE, NONE, R(INTEGER), BPFTK_PT_TC, clone_redirect)
	ROW(get_current_pid_tgid, "get_current_pid_tgid", NONE, NONE, NONE,
	    NONE, NONE, R(INTEGER), PT_TASK, get_current_pid_tgid)
	ROW(get_current_uid_gid, "get_current_uid_gid", NONE, NONE, NONE,
	    NONE, NONE, R(INTEGER), PT_TASK, get_current_uid_gid)
	ROW(get_current_comm, "get_current_comm", A(PTR_TO_UNINIT_MEM),
	    A(CONST_SIZE), NONE, NONE, NONE, R(INTEGER), PT_TASK,
	    get_current_comm)
	ROW(get_cgroup_classid, "get_cgroup_classid", A(PTR_TO_CTX), NONE,
	    NONE, NONE, NONE, R(INTEGER), BPFTK_PT_TC, get_cgroup_classid)
	ROW(skb_vlan_push, "skb_vlan_push", A(PTR_TO_CTX), A(ANYTHING),
	    A(ANYTHING), NONE, NONE, R(INTEGER), BPFTK_PT_TC, skb_vlan_push)
	ROW(skb_vlan_pop, "skb_vlan_pop", A(PTR_TO_CTX), NONE, NONE, NONE,
	    NONE, R(INTEGER), BPFTK_PT_TC, skb_vlan_pop)
	ROW(skb_get_tunnel_key, "skb_get_tunnel_key", A(PTR_TO_CTX),
	    A(PTR_TO_UNINIT_MEM), A(CONST_SIZE), A(ANYTHING), NONE,
	    R(INTEGER), BPFTK_PT_TC, skb_get_tunnel_key)
	ROW(skb_set_tunnel_key, "skb_set_tunnel_key", A(PTR_TO_CTX),
	    A(PTR_TO_MEM), A(CONST_SIZE), A(ANYTHING), NONE, R(INTEGER),
	    BPFTK_PT_TC, skb_set_tunnel_key)
	ROW(perf_event_read, "perf_event_read", A(CONST_MAP_PTR), A(ANYTHING),
	    NONE, NONE, NONE, R(INTEGER), BPFTK_PT_TRACING, perf_event_read)
	ROW(redirect, "redirect", A(ANYTHING), A(ANYTHING), NONE, NONE, NONE,
	    R(INTEGER), PT_PKT, redirect)
	ROW(perf_event_output, "perf_event_output", A(PTR_TO_CTX),
	    A(CONST_MAP_PTR), A(ANYTHING), A(PTR_TO_MEM),
	    A(CONST_SIZE_OR_ZERO), R(INTEGER), PT_ALL, perf_event_output)
	ROW(skb_load_bytes, "skb_load_bytes", A(PTR_TO_CTX), A(ANYTHING),
	    A(PTR_TO_UNINIT_MEM), A(CONST_SIZE), NONE, R(INTEGER), PT_SKB,
	    skb_load_bytes)
	ROW(get_stackid, "get_stackid", A(PTR_TO_CTX), A(CONST_MAP_PTR),
	    A(ANYTHING), NONE, NONE, R(INTEGER), BPFTK_PT_TRACING, get_stackid)
	ROW(csum_diff, "csum_diff", A(PTR_TO_MEM), A(CONST_SIZE_OR_ZERO),
	    A(PTR_TO_MEM), A(CONST_SIZE_OR_ZERO), A(ANYTHING), R(INTEGER),
	    PT_PKT | BPFTK_PT_RAW, csum_diff)
	ROW(skb_change_proto, "skb_change_proto", A(PTR_TO_CTX), A(ANYTHING),
	    A(ANYTHING), NONE, NONE, R(INTEGER), BPFTK_PT_TC, skb_change_proto)
	ROW(skb_under_cgroup, "skb_under_cgroup", A(PTR_TO_CTX),
	    A(CONST_MAP_PTR), A(ANYTHING), NONE, NONE, R(INTEGER),
	    BPFTK_PT_TC, skb_under_cgroup)
	ROW(get_hash_recalc, "get_hash_recalc", A(PTR_TO_CTX), NONE, NONE,
	    NONE, NONE, R(INTEGER), BPFTK_PT_TC, get_hash_recalc)
	ROW(current_task_under_cgroup, "current_task_under_cgroup",
	    A(CONST_MAP_PTR), A(ANYTHING), NONE, NONE, NONE, R(INTEGER),
	    BPFTK_PT_TRACING, current_task_under_cgroup)
	ROW(skb_change_tail, "skb_change_tail", A(PTR_TO_CTX), A(ANYTHING),
	    A(ANYTHING), NONE, NONE, R(INTEGER), BPFTK_PT_TC | BPFTK_PT_SK_SKB,
	    skb_change_tail)
	ROW(get_numa_node_id, "get_numa_node_id", NONE, NONE, NONE, NONE,
	    NONE, R(INTEGER), PT_ALL, get_numa_node_id)
	ROW(xdp_adjust_head, "xdp_adjust_head", A(PTR_TO_CTX), A(ANYTHING),
	    NONE, NONE, NONE, R(INTEGER), BPFTK_PT_XDP, xdp_adjust_head)
	ROW(probe_read_str, "probe_read_str", A(PTR_TO_UNINIT_MEM),
	    A(CONST_SIZE_OR_ZERO), A(ANYTHING), NONE, NONE, R(INTEGER),
	    PT_TRACE, probe_read_str)
	ROW(setsockopt, "setsockopt", A(PTR_TO_CTX), A(ANYTHING), A(ANYTHING),
	    A(PTR_TO_MEM), A(CONST_SIZE), R(INTEGER), BPFTK_PT_SOCK_OPS,
	    setsockopt)
	ROW(redirect_map, "redirect_map", A(CONST_MAP_PTR), A(ANYTHING),
	    A(ANYTHING), NONE, NONE, R(INTEGER), BPFTK_PT_XDP, redirect_map)
	ROW(xdp_adjust_meta, "xdp_adjust_meta", A(PTR_TO_CTX), A(ANYTHING),
	    NONE, NONE, NONE, R(INTEGER), BPFTK_PT_XDP, xdp_adjust_meta)
	ROW(perf_event_read_value, "perf_event_read_value", A(CONST_MAP_PTR),
	    A(ANYTHING), A(PTR_TO_UNINIT_MEM), A(CONST_SIZE), NONE, R(INTEGER),
	    BPFTK_PT_TRACING, perf_event_read_value)
	ROW(perf_prog_read_value, "perf_prog_read_value", A(PTR_TO_CTX),
	    A(PTR_TO_UNINIT_MEM), A(CONST_SIZE), NONE, NONE, R(INTEGER),
	    BPFTK_PT_PERF_EVENT, perf_prog_read_value)
	ROW(getsockopt, "getsockopt", A(PTR_TO_CTX), A(ANYTHING), A(ANYTHING),
	    A(PTR_TO_UNINIT_MEM), A(CONST_SIZE), R(INTEGER), BPFTK_PT_SOCK_OPS,
	    getsockopt)
	ROW(sock_ops_cb_flags_set, "sock_ops_cb_flags_set", A(PTR_TO_CTX),
	    A(ANYTHING), NONE, NONE, NONE, R(INTEGER), BPFTK_PT_SOCK_OPS,
	    sock_ops_cb_flags_set)
	ROW(xdp_adjust_tail, "xdp_adjust_tail", A(PTR_TO_CTX), A(ANYTHING),
	    NONE, NONE, NONE, R(INTEGER), BPFTK_PT_XDP, xdp_adjust_tail)
	ROW(fib_lookup, "fib_lookup", A(PTR_TO_CTX), A(PTR_TO_MEM),
	    A(CONST_SIZE), A(ANYTHING), NONE, R(INTEGER), PT_PKT, fib_lookup)
	ROW(map_push_elem, "map_push_elem", A(CONST_MAP_PTR),
	    A(PTR_TO_MAP_VALUE), A(ANYTHING), NONE, NONE, R(INTEGER), PT_ALL,
	    map_push_elem)
	ROW(map_pop_elem, "map_pop_elem", A(CONST_MAP_PTR),
	    A(PTR_TO_UNINIT_MAP_VALUE), NONE, NONE, NONE, R(INTEGER), PT_ALL,
	    map_pop_elem)
	ROW(map_peek_elem, "map_peek_elem", A(CONST_MAP_PTR),
	    A(PTR_TO_UNINIT_MAP_VALUE), NONE, NONE, NONE, R(INTEGER), PT_ALL,
	    map_peek_elem)
	ROW(spin_lock, "spin_lock", A(PTR_TO_SPIN_LOCK), NONE, NONE, NONE,
	    NONE, R(VOID), PT_NOTRACE, spin_lock)
	ROW(spin_unlock, "spin_unlock", A(PTR_TO_SPIN_LOCK), NONE, NONE, NONE,
	    NONE, R(VOID), PT_NOTRACE, spin_unlock)
	ROW(probe_read_user, "probe_read_user", A(PTR_TO_UNINIT_MEM),
	    A(CONST_SIZE_OR_ZERO), A(ANYTHING), NONE, NONE, R(INTEGER),
	    PT_TRACE, probe_read)
	ROW(probe_read_kernel, "probe_read_kernel", A(PTR_TO_UNINIT_MEM),
	    A(CONST_SIZE_OR_ZERO), A(ANYTHING), NONE, NONE, R(INTEGER), PT_ALL,
	    probe_read)
	ROW(probe_read_user_str, "probe_read_user_str", A(PTR_TO_UNINIT_MEM),
	    A(CONST_SIZE_OR_ZERO), A(ANYTHING), NONE, NONE, R(INTEGER),
	    PT_TRACE, probe_read_str)
	ROW(probe_read_kernel_str, "probe_read_kernel_str",
	    A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO), A(ANYTHING), NONE,
	    NONE, R(INTEGER), PT_ALL, probe_read_str)
	ROW(jiffies64, "jiffies64", NONE, NONE, NONE, NONE, NONE, R(INTEGER),
	    PT_ALL, jiffies64)
	ROW(ktime_get_boot_ns, "ktime_get_boot_ns", NONE, NONE, NONE, NONE,
	    NONE, R(INTEGER), PT_ALL, ktime_get_boot_ns)
	ROW(ringbuf_output, "ringbuf_output", A(CONST_MAP_PTR), A(PTR_TO_MEM),
	    A(CONST_SIZE_OR_ZERO), A(ANYTHING), NONE, R(INTEGER), PT_ALL,
	    ringbuf_output)
	ROW(ringbuf_reserve, "ringbuf_reserve", A(CONST_MAP_PTR),
	    A(CONST_ALLOC_SIZE_OR_ZERO), A(ANYTHING), NONE, NONE,
	    R(PTR_TO_RINGBUF_MEM_OR_NULL), PT_ALL, ringbuf_reserve)
	ROW(ringbuf_submit, "ringbuf_submit", A(PTR_TO_RINGBUF_MEM),
	    A(ANYTHING), NONE, NONE, NONE, R(VOID), PT_ALL, ringbuf_submit)
	ROW(ringbuf_discard, "ringbuf_discard", A(PTR_TO_RINGBUF_MEM),
	    A(ANYTHING), NONE, NONE, NONE, R(VOID), PT_ALL, ringbuf_discard)
	ROW(ringbuf_query, "ringbuf_query", A(CONST_MAP_PTR), A(ANYTHING),
	    NONE, NONE, NONE, R(INTEGER), PT_ALL, ringbuf_query)
	ROW(snprintf, "snprintf", A(PTR_TO_UNINIT_MEM), A(CONST_SIZE_OR_ZERO),
	    A(PTR_TO_CONST_STR), A(PTR_TO_MEM), A(CONST_SIZE_OR_ZERO),
	    R(INTEGER), PT_ALL, snprintf)
	ROW(loop, "loop", A(ANYTHING), A(PTR_TO_FUNC),
	    A(PTR_TO_STACK_OR_NULL), A(ANYTHING), NONE, R(INTEGER), PT_ALL,
	    loop)
	ROW(strncmp, "strncmp", A(PTR_TO_MEM), A(CONST_SIZE),
	    A(PTR_TO_CONST_STR), NONE, NONE, R(INTEGER), PT_ALL, strncmp)
	ROW(map_lookup_percpu_elem, "map_lookup_percpu_elem",
	    A(CONST_MAP_PTR), A(PTR_TO_MAP_KEY), A(ANYTHING), NONE, NONE,
	    R(PTR_TO_MAP_VALUE_OR_NULL), PT_ALL, map_lookup_percpu_elem)
};

#define NROWS (sizeof(table) / sizeof(table[0]))

const struct bpftk_helper *bpftk_helper_get(uint32_t id)
{
	size_t lo = 0, hi = NROWS;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (table[mid].id == id)
			return &table[mid];
		if (table[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct bpftk_helper *bpftk_helper_find(const char *name)
{
	if (!name)
		return NULL;
	if (!strncmp(name, "bpf_", 4))
		name += 4;
	for (size_t i = 0; i < NROWS; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const struct bpftk_helper *bpftk_helper_table(size_t *n)
{
	if (n)
		*n = NROWS;
	return table;
}

int bpftk_helper_register_all(struct bpftk_vm *vm, enum bpftk_prog_type type)
{
	if (!vm || (unsigned)type >= 64)
		return -EINVAL;
	for (size_t i = 0; i < NROWS; i++) {
		if (!(table[i].prog_types & BPFTK_PT_BIT(type)))
			continue;
		int err = bpftk_vm_register_helper(vm, table[i].id,
						   table[i].name, table[i].fn);
		if (err)
			return err;
	}
	return 0;
}
