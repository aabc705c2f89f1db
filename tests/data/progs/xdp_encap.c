/* xdp_encap.c — moves packet bounds: IPv4 UDP packets are encapsulated in
 * an outer IPv4 header (IPIP, bpf_xdp_adjust_head with a negative delta),
 * IPIP packets are decapsulated (positive delta), TCP packets are trimmed
 * to 60 bytes or grown by 16 (bpf_xdp_adjust_tail).  xdp_meta: ICMP
 * packets get 8 bytes of metadata (bpf_xdp_adjust_meta) that the program
 * then reads; a program of its own because some kernels (a 6.18 build
 * here) do not offer that helper to XDP, and the rest must still be
 * compared with the kernel there. */
#include "pkt.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} results SEC(".maps");

static __always_inline void note(__u32 k, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&results, &k);
	if (p)
		*p = v;
}

static __always_inline __u16 csum16(struct iphdr *ip)
{
	__u32 s = 0;
	__u16 *w = (__u16 *)ip;
#pragma unroll
	for (int i = 0; i < 10; i++)
		s += w[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static __always_inline int encap(struct xdp_md *ctx)
{
	int err = bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr));
	note(0, err);
	if (err)
		return XDP_ABORTED;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ethhdr *old = data + sizeof(struct iphdr);
	struct iphdr *outer = data + sizeof(*eth);
	struct iphdr *inner = (void *)(outer + 1);
	if ((void *)(inner + 1) > end || (void *)(old + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, old, sizeof(*eth));
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(bpf_ntohs(inner->tot_len) + 20);
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = bpf_htonl(0xc0a80001);
	outer->daddr = inner->daddr;
	outer->check = csum16(outer);
	return XDP_TX;
}

static __always_inline int decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr eth;
	if (data + sizeof(eth) > end)
		return XDP_ABORTED;
	__builtin_memcpy(&eth, data, sizeof(eth));
	int err = bpf_xdp_adjust_head(ctx, (int)sizeof(struct iphdr));
	note(1, err);
	if (err)
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(eth) > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, &eth, sizeof(eth));
	return XDP_PASS;
}

SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct flow f = {};
	if (parse(data, end, &f) < 0 || f.l3 != ETH_P_IP || f.vlans)
		return XDP_PASS;
	if (f.l4 == IPPROTO_UDP)
		return encap(ctx);
	if (f.l4 == IPPROTO_IPIP)
		return decap(ctx);
	if (f.l4 == IPPROTO_TCP) {
		int len = end - data;
		int err = bpf_xdp_adjust_tail(ctx, len > 60 ? 60 - len : 16);
		note(2, err);
		note(3, (long)ctx->data_end - (long)ctx->data);
		return XDP_TX;
	}
	return XDP_PASS;
}

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct flow f = {};
	if (parse(data, end, &f) < 0 || f.l3 != ETH_P_IP || f.vlans)
		return XDP_PASS;
	if (f.l4 == IPPROTO_ICMP) {
		int err = bpf_xdp_adjust_meta(ctx, -8);
		note(4, err);
		void *meta = (void *)(long)ctx->data_meta;
		data = (void *)(long)ctx->data;
		if (meta + 8 > data)
			return XDP_DROP;
		*(__u64 *)meta = 0x1122334455667788ULL;
		note(5, *(__u32 *)meta);
		note(6, bpf_xdp_adjust_meta(ctx, -40));
		note(7, bpf_xdp_adjust_meta(ctx, 2));
		return XDP_PASS;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
