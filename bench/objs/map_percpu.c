/* map_percpu.c — per-CPU counters: 64 array slots updated per packet
 * (packets and bytes), as in the kernel's xdp1/xdp_rxq_info samples. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

SEC("xdp") int map_percpu(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	for (__u32 i = 0; i < 64; i++) {
		__u32 key = (i * 7 + (__u32)len) & 255;
		__u64 *v = bpf_map_lookup_elem(&stats, &key);
		if (v)
			*v += len;
	}
	return XDP_PASS;
}
