/* maps.c — BTF-defined maps of most shapes: __type and __uint key/value,
 * flags, pinning, numa_node, map_extra, a ring buffer, maps of maps with a
 * named inner map type and initial slots, an anonymous inner definition,
 * and a program array whose initial slots are programs.  Each program
 * references exactly one map, so the test knows which map every 64-bit
 * load must name after relocation. */
#include "obj_test.h"

struct key {
	__u32 a;
	__u16 b;
};

struct val {
	__u64 x[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct key);
	__type(value, struct val);
	__uint(max_entries, 1000);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 12);
	__uint(max_entries, 7);
} sized_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NUMA_NODE);
	__uint(numa_node, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = {[0] = &inner_a, [2] = &inner_b},
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__type(key, __u32);
		__type(value, __u32);
		__uint(max_entries, 8);
	});
} outer_hash SEC(".maps");

int tail_a(void *ctx);
int tail_b(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = {[1] = (void *)&tail_a, [3] = (void *)&tail_b},
};

/* two programs in one section */
SEC("tc")
int tail_a(void *ctx)
{
	return 1;
}

SEC("tc")
int tail_b(void *ctx)
{
	return 2;
}

SEC("tc")
int use_hash(void *ctx)
{
	struct key k = {1, 2};
	struct val *v = bpf_map_lookup_elem(&hash_map, &k);
	return v ? (int)v->x[1] : 0;
}

SEC("tc")
int use_sized_array(void *ctx)
{
	__u32 k = 3;
	int *v = bpf_map_lookup_elem(&sized_array, &k);
	return v ? *v : 0;
}

SEC("kprobe/do_sys_open")
int use_events(void *ctx)
{
	int *e = bpf_ringbuf_reserve(&events, sizeof(int), 0);
	if (!e)
		return 0;
	*e = 1;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("cgroup_skb/ingress")
int use_pinned(void *ctx)
{
	__u64 k = 7;
	__u32 *v = bpf_map_lookup_elem(&pinned, &k);
	return v ? 1 : 0;
}

SEC("xdp")
int use_outer(void *ctx)
{
	__u32 k = 0;
	void *in = bpf_map_lookup_elem(&outer, &k);
	return in ? 1 : 2;
}

SEC("tc")
int use_jumps(void *ctx)
{
	bpf_tail_call(ctx, &jumps, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
