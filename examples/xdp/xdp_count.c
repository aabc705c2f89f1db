/* xdp_count.c — an XDP program for bpftk's example: parses Ethernet,
 * IPv4/IPv6 and TCP/UDP, counts packets per class in a hash map, and drops
 * UDP to port 9 (discard), passing everything else.
 *
 * Classes (the map key): 0 not IP, 1 IPv4 TCP, 2 IPv4 UDP, 3 IPv4 other,
 * 4 IPv6 TCP, 5 IPv6 UDP, 6 IPv6 other, 7 truncated headers.
 * Built with: clang -target bpf -O2 -g -c xdp_count.c (no libbpf headers
 * needed: the few definitions are below).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key,
				   const void *value, __u64 flags) = (void *)2;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

enum { C_OTHER, C4_TCP, C4_UDP, C4_OTHER, C6_TCP, C6_UDP, C6_OTHER, C_SHORT };

static void count(__u32 class)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &class);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &class, &one, BPF_NOEXIST);
}

/* The verdict for an L4 header at l4 with protocol proto. */
static int l4(void *l4p, void *end, __u8 proto, __u32 base)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *t = l4p;
		if ((void *)(t + 1) > end) {
			count(C_SHORT);
			return XDP_PASS;
		}
		count(base + 0);
		return XDP_PASS;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *u = l4p;
		if ((void *)(u + 1) > end) {
			count(C_SHORT);
			return XDP_PASS;
		}
		count(base + 1);
		return u->dest == __builtin_bswap16(9) ? XDP_DROP : XDP_PASS;
	}
	count(base + 2);
	return XDP_PASS;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end) {
		count(C_SHORT);
		return XDP_PASS;
	}
	if (eth->h_proto == __builtin_bswap16(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end || ip->ihl < 5) {
			count(C_SHORT);
			return XDP_PASS;
		}
		return l4((char *)ip + ip->ihl * 4, end, ip->protocol, C4_TCP);
	}
	if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end) {
			count(C_SHORT);
			return XDP_PASS;
		}
		return l4(ip6 + 1, end, ip6->nexthdr, C6_TCP);
	}
	count(C_OTHER);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
