/* legacy.c — maps the pre-BTF ways: struct bpf_map_def in a "maps"
 * section (libbpf < 1.0), the kernel samples' 28-byte bpf_load_map_def
 * with inner_map_idx in "maps/samples", programs in sections named the old
 * way ("socket1", "xdp_prog"), and a "version" section.  Built without -g:
 * no BTF. */
#include "obj_test.h"

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_load_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int inner_map_idx;
	unsigned int numa_node;
};

struct bpf_map_def SEC("maps") counters = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") flows = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 16,
	.value_size = 24,
	.max_entries = 1024,
	.map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_load_map_def SEC("maps/samples") port = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 8,
};

struct bpf_load_map_def SEC("maps/samples") of_port = {
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.key_size = 4,
	.max_entries = 2,
	.inner_map_idx = 0, /* port: first by offset in its section */
	.map_flags = BPF_F_NUMA_NODE,
	.numa_node = 1,
};

SEC("socket1")
int count(void *ctx)
{
	__u32 k = 1;
	long *v = bpf_map_lookup_elem(&counters, &k);
	if (v)
		*v += 1;
	return 0;
}

SEC("xdp_prog")
int flow(void *ctx)
{
	char k[16] = {0};
	return bpf_map_lookup_elem(&flows, k) ? 1 : 2;
}

SEC("kprobe/sys_write")
int ports(void *ctx)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&of_port, &k) ? 1 : 0;
}

char _license[] SEC("license") = "GPL";
unsigned int _version SEC("version") = 0x050a00;
