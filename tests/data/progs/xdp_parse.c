/* xdp_parse.c — an XDP filter: parses every packet, counts by protocol in
 * a hash map and in a per-CPU array, drops destinations found in an LPM
 * trie and ports listed in .rodata, counts in .bss/.data, emits a ring
 * buffer record for UDP, and keeps a helper function out of line (a
 * bpf-to-bpf call). */
#include "pkt.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} by_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u32 len;
};

const volatile __u16 drop_port = 9;
__u64 total_bytes = 0;
__u32 last_len = 7;

static __noinline int count(__u32 proto, __u64 len)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&by_proto, &proto);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&by_proto, &proto, &one, BPF_NOEXIST);
	__u32 k = proto == IPPROTO_TCP ? 1 : proto == IPPROTO_UDP ? 2 : 0;
	__u64 *s = bpf_map_lookup_elem(&stats, &k);
	if (s)
		*s += len;
	return 0;
}

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct flow f = {};
	__u64 len = end - data;
	total_bytes += len;
	last_len = len;
	if (parse(data, end, &f) < 0) {
		__u32 k = 3;
		__u64 *s = bpf_map_lookup_elem(&stats, &k);
		if (s)
			*s += 1;
		return XDP_ABORTED;
	}
	count(f.l4 | (f.l3 == ETH_P_IPV6 ? 0x100 : 0), len);
	if (f.l3 == ETH_P_IP) {
		struct lpm_key key = {32, f.daddr};
		__u32 *hit = bpf_map_lookup_elem(&blocked, &key);
		if (hit) {
			*hit += 1;
			return XDP_DROP;
		}
	}
	if (f.dport == drop_port)
		return XDP_DROP;
	if (f.l4 == IPPROTO_UDP) {
		struct event e = {f.saddr, f.daddr, f.sport, f.dport, len};
		bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	}
	if (f.vlans)
		return XDP_TX;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
