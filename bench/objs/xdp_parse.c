/* xdp_parse.c — a packet parser over real traffic: Ethernet, up to two
 * VLAN tags, IPv4 (options skipped) or IPv6, then TCP/UDP/ICMP ports and
 * flags; per-class packet and byte counters in an array map; drops TCP
 * SYNs to port 22 and UDP to port 9. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} classes SEC(".maps");

static __always_inline void count(__u32 k, __u64 bytes)
{
	__u64 *v = bpf_map_lookup_elem(&classes, &k);
	if (v)
		__sync_fetch_and_add(v, bytes);
}

SEC("xdp") int xdp_parse(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u64 bytes = end - data;
	unsigned char *p = data + 14;
	if (p > end)
		return XDP_DROP;
	__u16 proto = (__u16)(data[12] << 8 | data[13]);
	for (int i = 0; i < 2; i++) {
		if (proto != 0x8100 && proto != 0x88a8)
			break;
		if (p + 4 > end)
			return XDP_DROP;
		proto = (__u16)(p[2] << 8 | p[3]);
		p += 4;
	}
	__u8 l4;
	if (proto == 0x0800) {
		if (p + 20 > end)
			return XDP_DROP;
		__u32 ihl = (p[0] & 15u) * 4;
		if (ihl < 20)
			return XDP_DROP;
		l4 = p[9];
		count(1, bytes);
		p += ihl;
	} else if (proto == 0x86dd) {
		if (p + 40 > end)
			return XDP_DROP;
		l4 = p[6];
		count(2, bytes);
		p += 40;
	} else {
		count(0, bytes);
		return XDP_PASS;
	}
	if (l4 == 6) {
		if (p + 20 > end)
			return XDP_PASS;
		__u16 dport = (__u16)(p[2] << 8 | p[3]);
		count(3, bytes);
		if ((p[13] & 0x12) == 0x02 && dport == 22)
			return XDP_DROP;
	} else if (l4 == 17) {
		if (p + 8 > end)
			return XDP_PASS;
		count(4, bytes);
		if ((__u16)(p[2] << 8 | p[3]) == 9)
			return XDP_DROP;
	} else if (l4 == 1 || l4 == 58) {
		count(5, bytes);
	}
	return XDP_PASS;
}
