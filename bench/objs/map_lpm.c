/* map_lpm.c — longest-prefix match: 32 route lookups per packet in a
 * trie the bench fills with 256 prefixes of /8../32 (bench_obj.c). */
#include "common.h"

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} routes SEC(".maps");

SEC("xdp") int map_lpm(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 hits = 0;
	if (data + 34 > end)
		return XDP_ABORTED;
	__u32 base = (__u32)data[26] << 24 | (__u32)data[27] << 16 |
		     (__u32)data[28] << 8 | data[29];
	for (__u32 i = 0; i < 32; i++) {
		struct lpm_key k = {32, __builtin_bswap32(base + i * 0x01010101u)};
		__u32 *v = bpf_map_lookup_elem(&routes, &k);
		if (v)
			hits += *v;
	}
	return hits & 1 ? XDP_PASS : XDP_DROP;
}
