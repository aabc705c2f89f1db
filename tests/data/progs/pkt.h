/* pkt.h — header parsing shared by the test programs: Ethernet (with one
 * or two VLAN tags), IPv4, IPv6, TCP, UDP, every access bounds-checked
 * against data_end as the verifier demands. */
#ifndef BPFTK_TEST_PKT_H
#define BPFTK_TEST_PKT_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct flow {
	__u32 l3;     /* ETH_P_IP / ETH_P_IPV6 (host order), 0 other */
	__u32 l4;     /* IPPROTO_*, 0 none */
	__u32 saddr;  /* IPv4 only */
	__u32 daddr;
	__u16 sport, dport;
	__u32 l3_off; /* offset of the IP header */
	__u32 l4_off;
	__u32 vlans;
};

/* Fills f; returns 0, or -1 when the packet is truncated. */
static __always_inline int parse(void *data, void *end, struct flow *f)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	if ((void *)(eth + 1) > end)
		return -1;
	__u16 proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		struct vlan_hdr *v = data + off;
		if ((void *)(v + 1) > end)
			return -1;
		proto = bpf_ntohs(v->proto);
		off += sizeof(*v);
		f->vlans++;
	}
	f->l3_off = off;
	if (proto == ETH_P_IP) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) > end)
			return -1;
		if (ip->ihl < 5)
			return -1;
		f->l3 = ETH_P_IP;
		f->l4 = ip->protocol;
		f->saddr = ip->saddr;
		f->daddr = ip->daddr;
		off += ip->ihl * 4;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) > end)
			return -1;
		f->l3 = ETH_P_IPV6;
		f->l4 = ip6->nexthdr;
		off += sizeof(*ip6);
	} else {
		return 0;
	}
	f->l4_off = off;
	if (f->l4 == IPPROTO_TCP || f->l4 == IPPROTO_UDP) {
		/* both start with the two ports */
		__be16 *ports = data + off;
		if ((void *)(ports + 2) > end)
			return -1;
		f->sport = bpf_ntohs(ports[0]);
		f->dport = bpf_ntohs(ports[1]);
	}
	return 0;
}

#endif
