/* helpers.c — one small program per group of helpers; each writes what
 * the helpers returned into the array map `out` (slot numbers are named
 * in test_helpers.c).  The record of a tracepoint run is the context: word
 * 0 is an address registered as probe memory, word 1 a bad address. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __s64);
} out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 2);
	__type(value, __u32);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct locked {
	__u32 n;
	struct bpf_spin_lock lock; /* not at 0: its offset comes from BTF */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} lk SEC(".maps");

static __always_inline void put(__u32 k, __s64 v)
{
	bpf_map_update_elem(&out, &k, &v, BPF_ANY);
}

SEC("tp/test/maps")
int t_maps(void *ctx)
{
	__u32 k = 1, k2 = 2, k3 = 3;
	__u64 v = 10, *p;
	put(0, bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST));
	put(1, bpf_map_update_elem(&h, &k, &v, BPF_NOEXIST)); /* -EEXIST */
	put(2, bpf_map_update_elem(&h, &k2, &v, BPF_ANY));
	put(3, bpf_map_update_elem(&h, &k3, &v, BPF_ANY)); /* -E2BIG: full */
	p = bpf_map_lookup_elem(&h, &k);
	put(4, p ? (__s64)*p : -1);
	if (p)
		*p = 77; /* writes through the pointer stay */
	put(5, bpf_map_delete_elem(&h, &k2));
	put(6, bpf_map_delete_elem(&h, &k2)); /* -ENOENT */
	put(7, bpf_map_lookup_elem(&h, &k2) == 0);
	__u32 a = 5, b = 6, c = 7, got = 0;
	put(8, bpf_map_push_elem(&q, &a, 0));
	put(9, bpf_map_push_elem(&q, &b, 0));
	put(10, bpf_map_push_elem(&q, &c, 0)); /* -E2BIG */
	put(11, bpf_map_push_elem(&q, &c, BPF_EXIST)); /* overwrites 5 */
	put(12, bpf_map_peek_elem(&q, &got));
	put(13, got);
	bpf_map_pop_elem(&q, &got);
	bpf_map_pop_elem(&q, &got);
	put(14, got);
	put(15, bpf_map_pop_elem(&q, &got)); /* -ENOENT */
	return 0;
}

SEC("tp/test/task")
int t_task(void *ctx)
{
	char comm[16];
	put(0, bpf_get_current_pid_tgid());
	put(1, bpf_get_current_uid_gid());
	bpf_get_current_comm(comm, sizeof(comm));
	put(2, *(__s64 *)comm);
	put(3, bpf_get_smp_processor_id());
	put(4, bpf_ktime_get_ns());
	put(5, bpf_ktime_get_boot_ns());
	__u32 r1 = bpf_get_prandom_u32(), r2 = bpf_get_prandom_u32();
	put(6, r1 != r2);
	return 0;
}

SEC("tp/test/probe")
int t_probe(__u64 *ctx)
{
	__u64 good = ctx[0], bad = ctx[1];
	__u64 v = 0xdead;
	char s[8];
	put(0, bpf_probe_read_kernel(&v, 8, (void *)good));
	put(1, v);
	v = 0xdead;
	put(2, bpf_probe_read_kernel(&v, 8, (void *)bad)); /* -EFAULT */
	put(3, v); /* zeroed */
	put(4, bpf_probe_read_kernel_str(s, sizeof(s), (void *)good));
	put(5, *(__s64 *)s);
	put(6, bpf_probe_read_user_str(s, 4, (void *)good)); /* cut: 4 */
	put(7, *(__s64 *)s);
	put(8, bpf_probe_read_user_str(s, sizeof(s), (void *)bad));
	return 0;
}

static long cb(__u64 i, __u64 *acc)
{
	*acc += i;
	return i == 9; /* stop after the 10th call */
}

SEC("tp/test/misc")
int t_misc(void *ctx)
{
	char buf[32];
	/* built at run time: a pointer inside initialised data would need a
	 * relocation neither libbpf nor the kernel performs */
	const char *volatile str = "str";
	__u64 args[3] = {42, 0, 0xff};
	args[1] = (__u64)str;
	__u64 acc = 0;
	put(0, bpf_snprintf(buf, sizeof(buf), "n=%d s=%s x=%04x", args,
			    sizeof(args)));
	put(1, *(__s64 *)buf);
	__u64 nums[2] = {42, 7};
	put(2, bpf_snprintf(buf, 4, "%d-%d", nums, 16)); /* truncated */
	put(3, *(__s32 *)buf);
	put(4, bpf_snprintf(buf, sizeof(buf), "%d %d", args, 8)); /* -EINVAL */
	static const char f[] = "v=%lld %s|";
	put(5, bpf_trace_printk(f, sizeof(f), -5LL, "str"));
	put(6, bpf_strncmp(buf, 0, "abc"));
	char abd[4] = "abd";
	put(7, bpf_strncmp(abd, 3, "abc"));
	put(8, bpf_strncmp(abd, 2, "abc"));
	put(9, bpf_loop(100, cb, &acc, 0));
	put(10, acc);
	put(11, bpf_loop(5, cb, &acc, 1)); /* flags: -EINVAL */
	void *r = bpf_ringbuf_reserve(&rb, 16, 0);
	if (r) {
		*(__u64 *)r = 0x1234;
		bpf_ringbuf_submit(r, 0);
	}
	r = bpf_ringbuf_reserve(&rb, 8, 0);
	if (r)
		bpf_ringbuf_discard(r, 0);
	put(12, bpf_ringbuf_output(&rb, &acc, 8, 0));
	put(13, bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA));
	put(14, bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE));
	return 0;
}

SEC("xdp")
int t_csum(struct xdp_md *ctx)
{
	__u32 a[2] = {0x11223344, 0x55667788}, b[1] = {0x01020304};
	put(0, bpf_csum_diff(0, 0, a, 8, 0));
	put(1, bpf_csum_diff(b, 4, a, 8, 0));
	put(2, bpf_csum_diff(b, 3, a, 8, 0)); /* odd sizes: Linux 6.13+ */
	put(8, bpf_csum_diff(b, 4, 0, 0, 0x1234));
	put(9, bpf_csum_diff(a, 6, b, 2, 7));
	put(3, bpf_xdp_adjust_head(ctx, -300)); /* past the headroom */
	put(4, bpf_xdp_adjust_tail(ctx, 4000));
	put(6, bpf_redirect(3, 0));
	/* tracing programs may not take spin locks (a kernel rule) */
	__u32 zero = 0;
	struct locked *l = bpf_map_lookup_elem(&lk, &zero);
	if (l) {
		bpf_spin_lock(&l->lock);
		l->n += 3;
		bpf_spin_unlock(&l->lock);
		put(7, l->n);
	}
	return XDP_PASS;
}

/* apart from t_csum: not every kernel offers adjust_meta to XDP */
SEC("xdp")
int t_meta(struct xdp_md *ctx)
{
	put(5, bpf_xdp_adjust_meta(ctx, 4)); /* past data */
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
