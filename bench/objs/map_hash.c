/* map_hash.c — hash map heavy: 64 lookups per packet over 1024 keys
 * derived from the packet, counting hits in place and inserting misses. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp") int map_hash(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	if (data + 16 > end)
		return XDP_ABORTED;
	__u32 seed = data[12] | (__u32)data[13] << 8 | (__u32)data[15] << 16;
	for (__u32 i = 0; i < 64; i++) {
		__u32 key = ((seed + i) * 2654435761u >> 8) & 1023;
		__u64 *v = bpf_map_lookup_elem(&counts, &key);
		if (v) {
			__sync_fetch_and_add(v, 1);
		} else {
			__u64 one = 1;
			bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
		}
	}
	return XDP_PASS;
}
