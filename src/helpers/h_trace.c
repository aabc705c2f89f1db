/* h_trace.c — helpers whose answer lives in kernel state a userspace run
 * does not have: call stacks (bpf_get_stackid), perf event counters
 * (bpf_perf_event_read, bpf_perf_event_read_value, and
 * bpf_perf_prog_read_value for the event behind a perf_event program),
 * the current task's cgroups (bpf_current_task_under_cgroup,
 * bpf_get_cgroup_classid).  Sockets are h_sock.c's.
 *
 * Invariants: each returns what the kernel returns when that state is
 * absent, so a program's error paths run as they would in the kernel:
 * no stack can be taken (-EFAULT), no event is stored at the index
 * (-ENOENT, the value buffer zeroed), the program's own event cannot be
 * read here (-EINVAL, the buffer zeroed), no cgroup is stored (-EAGAIN),
 * the packet has no net_cls class (0).  Map arguments must still name a map
 * the program knows; memory it names is checked with bpftk_henv_mem.
 */
#include <errno.h>
#include <string.h>

#include "helpers_int.h"

#define ERR(e) ((uint64_t)(int64_t) - (e))

/* -err when map names a known map; 0 after failing the call otherwise */
static uint64_t absent(struct bpftk_vm_call *call, uint64_t map, int arg,
		       int err)
{
	struct bpftk_helper_env *env = bpftk_henv(call);
	if (!env || !bpftk_henv_map(env, call, map, arg))
		return 0;
	return ERR(err);
}

/* bpf_get_stackid(ctx, map, flags): the kernel fails with -EFAULT when
 * get_perf_callchain gives no stack; a userspace run has none. */
uint64_t bpftk_h_get_stackid(uint64_t r1, uint64_t r2, uint64_t r3,
			     uint64_t r4, uint64_t r5,
			     struct bpftk_vm_call *call)
{
	(void)r1, (void)r3, (void)r4, (void)r5;
	return absent(call, r2, 2, EFAULT);
}

/* bpf_perf_event_read(map, flags): no perf event is stored in any slot. */
uint64_t bpftk_h_perf_event_read(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return absent(call, r1, 1, ENOENT);
}

/* bpf_perf_event_read_value(map, flags, buf, size): as above; the kernel
 * clears buf when the read fails. */
uint64_t bpftk_h_perf_event_read_value(uint64_t r1, uint64_t r2, uint64_t r3,
				       uint64_t r4, uint64_t r5,
				       struct bpftk_vm_call *call)
{
	(void)r2, (void)r5;
	if (!bpftk_henv(call) || !bpftk_henv_map(bpftk_henv(call), call, r1, 1))
		return 0;
	void *buf = r4 ? bpftk_henv_mem(call, r3, r4, 1, 3) : NULL;
	if (r4 && !buf)
		return 0;
	if (buf)
		memset(buf, 0, r4);
	return ERR(ENOENT);
}

/* bpf_perf_prog_read_value(ctx, buf, size): the kernel clears buf and
 * fails with -EINVAL when size is not sizeof(struct bpf_perf_event_value)
 * (24), and clears it on any error of perf_event_read_local, whose answer
 * for an event this CPU and task cannot read is -EINVAL too.  A bpftk run
 * has no event behind its context, so every call takes that path. */
uint64_t bpftk_h_perf_prog_read_value(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	if (!bpftk_henv_ctx(call, r1, BPFTK_PT_PERF_EVENT,
			    "bpf_perf_event_data"))
		return 0;
	void *buf = r3 ? bpftk_henv_mem(call, r2, r3, 1, 2) : NULL;
	if (r3 && !buf)
		return 0;
	if (buf)
		memset(buf, 0, r3);
	return ERR(EINVAL);
}

/* bpf_current_task_under_cgroup(map, index): the cgroup array holds no
 * cgroup, for which the kernel answers -EAGAIN. */
uint64_t bpftk_h_current_task_under_cgroup(uint64_t r1, uint64_t r2,
					   uint64_t r3, uint64_t r4,
					   uint64_t r5,
					   struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return absent(call, r1, 1, EAGAIN);
}

/* bpf_get_cgroup_classid(skb): test packets have no socket and run
 * outside a task, so no net_cls class: 0. */
uint64_t bpftk_h_get_cgroup_classid(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)call;
	return 0;
}
