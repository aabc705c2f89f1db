/* tc_rewrite.c — a tc classifier: reads __sk_buff fields, decrements the
 * IPv4 TTL fixing the header checksum with bpf_l3_csum_replace, rewrites
 * the UDP destination port with bpf_skb_store_bytes + bpf_l4_csum_replace,
 * copies bytes out with bpf_skb_load_bytes (also past the end), sets mark
 * and cb[], keeps per-protocol counters in an LRU hash, and loops with
 * bpf_loop over the first bytes. */
#include "pkt.h"
#include <linux/pkt_cls.h>
#include <stddef.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} info SEC(".maps");

static __always_inline void put(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&info, &k);
	if (p)
		*p = v;
}

struct sum_ctx {
	__u8 bytes[16];
	__u64 sum;
};

static long add_byte(__u64 i, struct sum_ctx *c)
{
	if (i >= 16)
		return 1;
	c->sum = c->sum * 31 + c->bytes[i];
	return 0;
}

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct flow f = {};
	put(0, skb->len);
	put(1, skb->protocol);
	put(2, skb->pkt_type);
	struct sum_ctx sc = {};
	put(3, bpf_skb_load_bytes(skb, 0, sc.bytes, sizeof(sc.bytes)));
	put(4, bpf_loop(32, add_byte, &sc, 0));
	put(5, sc.sum);
	__u8 tailb[4];
	put(6, bpf_skb_load_bytes(skb, skb->len - 2, tailb, sizeof(tailb)));
	if (parse(data, end, &f) < 0)
		return TC_ACT_SHOT;
	__u32 key = f.l4 | (f.l3 << 8);
	__u64 one = 1, *v = bpf_map_lookup_elem(&seen, &key);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&seen, &key, &one, BPF_ANY);
	skb->mark = 0x42 + f.l4;
	skb->cb[1] = f.dport;
	if (f.l3 == ETH_P_IP) {
		struct iphdr *ip = data + f.l3_off;
		if ((void *)(ip + 1) > end)
			return TC_ACT_SHOT;
		__u16 old = *(__u16 *)&ip->ttl;
		ip->ttl -= 1;
		__u16 new = *(__u16 *)&ip->ttl;
		bpf_l3_csum_replace(skb, f.l3_off + offsetof(struct iphdr, check),
				    old, new, 2);
		if (f.l4 == IPPROTO_UDP) {
			__u16 oldp = bpf_htons(f.dport), newp = bpf_htons(5353);
			__u32 off = f.l4_off + offsetof(struct udphdr, dest);
			put(7, bpf_skb_store_bytes(skb, off, &newp, 2, 0));
			bpf_l4_csum_replace(skb,
					    f.l4_off + offsetof(struct udphdr, check),
					    oldp, newp,
					    BPF_F_MARK_MANGLED_0 | 2);
		}
	}
	return f.l4 == IPPROTO_TCP ? TC_ACT_OK : TC_ACT_PIPE;
}

char _license[] SEC("license") = "GPL";
