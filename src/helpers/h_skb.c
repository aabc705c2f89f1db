/* h_skb.c — helpers of tc programs that change an skb's shape or its
 * metadata (VLAN tags, protocol, length, flow hash, tunnel keys), the FIB
 * lookup, clone_redirect, and bpf_perf_event_output for every type.
 *
 * Invariants: the packet is the run's struct bpftk_ctx as in h_pkt.c, and
 * its user-visible __sk_buff mirror is kept in step: every helper that
 * moves data or data_end rewrites len (offset 0), and helpers that change
 * metadata the kernel reflects in __sk_buff (protocol, vlan_*, hash) write
 * those fields, so later context loads read what they would in Linux.
 * The argument checks and error codes are net/core/filter.c's.
 *
 * What userspace cannot have, on purpose: there is no routing table
 * (bpf_fib_lookup answers BPF_FIB_LKUP_RET_NOT_FWDED, the kernel's answer
 * for a destination it does not forward), no tunnel metadata on incoming
 * packets (get_tunnel_key fails as for a packet without it), and clones
 * are not sent anywhere.  The flow hash is computed over the addresses
 * and ports like skb_get_hash, with bpftk's own mixing (the kernel's seed
 * is random per boot, so no value could match it anyway).
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "helpers_int.h"

#define ETH_HLEN 14
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define SKB_OFF_LEN 0
#define SKB_OFF_PROTOCOL 16
#define SKB_OFF_VLAN_PRESENT 20
#define SKB_OFF_VLAN_TCI 24
#define SKB_OFF_VLAN_PROTO 28
#define SKB_OFF_HASH 68
#define BPF_F_INGRESS 1ULL
#define BPF_F_CTXLEN_MASK (0xfffffULL << 32)
#define BPF_FIB_LKUP_RET_NOT_FWDED 4
#define BPF_FIB_LOOKUP_MASK 0x3fULL /* DIRECT|OUTPUT|SKIP_NEIGH|TBID|SRC|MARK */
#define FIB_PARAMS_SIZE 64	    /* sizeof(struct bpf_fib_lookup) */
#define TUNNEL_KEY_SIZE 44	    /* sizeof(struct bpf_tunnel_key) */
#define BPF_F_TUNINFO_IPV6 1ULL
#define BPF_F_ZERO_CSUM_TX (1ULL << 1)
#define BPF_F_DONT_FRAGMENT (1ULL << 2)
#define BPF_F_SEQ_NUMBER (1ULL << 3)
#define BPF_F_NO_TUNNEL_KEY (1ULL << 4)
#define BPF_F_TUNINFO_FLAGS (1ULL << 4)
#define IPV6_IPV4_DIFF 20 /* sizeof(ipv6hdr) - sizeof(iphdr) */
#define AF_INET_ 2
#define AF_INET6_ 10
#define ERR(e) ((uint64_t)(int64_t)(e))

/* the types whose context is an __sk_buff with a packet here */
#define SKB_TYPES (BPFTK_PT_TC | BPFTK_PT_SOCKET)

static int is_skb(const struct bpftk_ctx *c)
{
	return (unsigned)c->type < 64 && (SKB_TYPES & BPFTK_PT_BIT(c->type));
}

/* r1 must be the run's skb context. */
static struct bpftk_ctx *skb_arg(struct bpftk_vm_call *call, uint64_t r1)
{
	return bpftk_henv_ctx(call, r1, SKB_TYPES, "__sk_buff");
}

static uint32_t get32(const struct bpftk_ctx *c, unsigned off)
{
	uint32_t v;
	memcpy(&v, c->user.bytes + off, 4);
	return v;
}

static void put32(struct bpftk_ctx *c, unsigned off, uint32_t v)
{
	memcpy(c->user.bytes + off, &v, 4);
}

static uint8_t *pkt(const struct bpftk_ctx *c)
{
	return (uint8_t *)(uintptr_t)c->data;
}

static uint64_t pkt_len(const struct bpftk_ctx *c)
{
	return c->data_end - c->data;
}

static void sync_len(struct bpftk_ctx *c)
{
	put32(c, SKB_OFF_LEN, (uint32_t)pkt_len(c));
}

static uint16_t be16(uint16_t host)
{
	return (uint16_t)((host >> 8) | (host << 8));
}

static int is_vlan_proto(uint16_t be)
{
	return be == be16(ETH_P_8021Q) || be == be16(ETH_P_8021AD);
}

/* Inserts len zero bytes at offset off of the packet by moving the first
 * off bytes down (skb_push + memmove, bpf_skb_net_hdr_push). */
static int hdr_push(struct bpftk_ctx *c, uint64_t off, uint64_t len)
{
	uint64_t start = (uint64_t)(uintptr_t)c->hard_start + c->min_head;
	if (off > pkt_len(c) || c->data < start + len)
		return -ENOMEM; /* no headroom left to expand into */
	uint8_t *p = pkt(c);
	memmove(p - len, p, off);
	memset(p - len + off, 0, len);
	c->data -= len;
	c->data_meta = c->data;
	sync_len(c);
	return 0;
}

/* Removes len bytes at offset off (bpf_skb_net_hdr_pop). */
static int hdr_pop(struct bpftk_ctx *c, uint64_t off, uint64_t len)
{
	if (off + len > pkt_len(c))
		return -EINVAL;
	uint8_t *p = pkt(c);
	memmove(p + len, p, off);
	c->data += len;
	c->data_meta = c->data;
	sync_len(c);
	return 0;
}

/* bpf_skb_vlan_push(skb, vlan_proto, vlan_tci): the tag goes to the
 * skb's hardware-accelerated tag; one already there is first written into
 * the packet behind the MAC addresses (skb_vlan_push). */
uint64_t bpftk_h_skb_vlan_push(uint64_t r1, uint64_t r2, uint64_t r3,
			       uint64_t r4, uint64_t r5,
			       struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	struct bpftk_ctx *c = skb_arg(call, r1);
	if (!c)
		return 0;
	uint16_t proto = (uint16_t)r2;
	if (!is_vlan_proto(proto))
		proto = be16(ETH_P_8021Q);
	if (get32(c, SKB_OFF_VLAN_PRESENT)) {
		if (pkt_len(c) < 2 * ETH_ALEN)
			return ERR(-EINVAL);
		int err = hdr_push(c, 2 * ETH_ALEN, 4);
		if (err)
			return ERR(err);
		uint16_t tag[2] = {(uint16_t)get32(c, SKB_OFF_VLAN_PROTO),
				   be16((uint16_t)get32(c, SKB_OFF_VLAN_TCI))};
		memcpy(pkt(c) + 2 * ETH_ALEN, tag, 4);
		put32(c, SKB_OFF_PROTOCOL, tag[0]);
	}
	put32(c, SKB_OFF_VLAN_PRESENT, 1);
	put32(c, SKB_OFF_VLAN_PROTO, proto);
	put32(c, SKB_OFF_VLAN_TCI, (uint16_t)r3);
	return 0;
}

/* __skb_vlan_pop: the tag in the packet behind the MAC addresses leaves
 * it; returns its TCI in *tci. */
static int vlan_pop_data(struct bpftk_ctx *c, uint16_t *tci)
{
	uint16_t t[2];
	if (pkt_len(c) < ETH_HLEN + 4)
		return -EINVAL; /* skb_ensure_writable fails */
	memcpy(t, pkt(c) + 2 * ETH_ALEN, 4);
	*tci = be16(t[1]);
	int err = hdr_pop(c, 2 * ETH_ALEN, 4);
	if (err)
		return err;
	uint16_t inner;
	memcpy(&inner, pkt(c) + 2 * ETH_ALEN, 2);
	put32(c, SKB_OFF_PROTOCOL, inner);
	return 0;
}

/* bpf_skb_vlan_pop(skb): skb_vlan_pop — drop the accelerated tag (or the
 * one in the packet), then promote the next tag in the packet. */
uint64_t bpftk_h_skb_vlan_pop(uint64_t r1, uint64_t r2, uint64_t r3,
			      uint64_t r4, uint64_t r5,
			      struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct bpftk_ctx *c = skb_arg(call, r1);
	uint16_t tci;
	int err;
	if (!c)
		return 0;
	if (get32(c, SKB_OFF_VLAN_PRESENT)) {
		put32(c, SKB_OFF_VLAN_PRESENT, 0);
		put32(c, SKB_OFF_VLAN_TCI, 0);
		put32(c, SKB_OFF_VLAN_PROTO, 0);
	} else {
		if (!is_vlan_proto((uint16_t)get32(c, SKB_OFF_PROTOCOL)))
			return 0;
		if ((err = vlan_pop_data(c, &tci)))
			return ERR(err);
	}
	uint16_t proto = (uint16_t)get32(c, SKB_OFF_PROTOCOL);
	if (!is_vlan_proto(proto))
		return 0;
	if ((err = vlan_pop_data(c, &tci)))
		return ERR(err);
	put32(c, SKB_OFF_VLAN_PRESENT, 1);
	put32(c, SKB_OFF_VLAN_PROTO, proto);
	put32(c, SKB_OFF_VLAN_TCI, tci);
	return 0;
}

/* bpf_skb_change_proto(skb, proto, flags): IPv4 <-> IPv6 by making room
 * for (or removing) the 20 bytes the IPv6 header needs more, right behind
 * the MAC header; the headers themselves are the program's to write. */
uint64_t bpftk_h_skb_change_proto(uint64_t r1, uint64_t r2, uint64_t r3,
				  uint64_t r4, uint64_t r5,
				  struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	struct bpftk_ctx *c = skb_arg(call, r1);
	if (!c)
		return 0;
	if (r3)
		return ERR(-EINVAL);
	uint16_t from = (uint16_t)get32(c, SKB_OFF_PROTOCOL);
	uint16_t to = (uint16_t)r2;
	int err;
	if (from == be16(ETH_P_IP) && to == be16(ETH_P_IPV6))
		err = hdr_push(c, ETH_HLEN, IPV6_IPV4_DIFF);
	else if (from == be16(ETH_P_IPV6) && to == be16(ETH_P_IP))
		err = hdr_pop(c, ETH_HLEN, IPV6_IPV4_DIFF);
	else
		return ERR(-BPFTK_ENOTSUPP);
	if (err)
		return ERR(err);
	put32(c, SKB_OFF_PROTOCOL, to);
	return 0;
}

/* bpf_skb_change_tail(skb, len, flags): trims or grows (with zeros) the
 * packet to len bytes, at least the MAC header, at most what the frame
 * holds (the kernel's limit is the device MTU, or SKB_MAX_ALLOC). */
uint64_t bpftk_h_skb_change_tail(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	struct bpftk_ctx *c = skb_arg(call, r1);
	if (!c)
		return 0;
	uint64_t end = (uint64_t)(uintptr_t)c->hard_start + c->frame_sz -
		       c->tailroom;
	if (r3 || r2 < ETH_HLEN || r2 > end - c->data)
		return ERR(-EINVAL);
	if (r2 > pkt_len(c))
		memset(pkt(c) + pkt_len(c), 0, (size_t)(r2 - pkt_len(c)));
	c->data_end = c->data + r2;
	sync_len(c);
	return 0;
}

/* ---- flow hash ---- */

static uint32_t mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

/* Addresses and ports of an IPv4/IPv6 packet, hashed; 0 when the packet
 * has no flow the dissector would find. */
static uint32_t flow_hash(const uint8_t *p, uint64_t len)
{
	uint64_t off = 2 * ETH_ALEN;
	uint16_t proto;
	uint32_t h = 0x2545f491u, w;
	uint8_t l4;
	if (len < ETH_HLEN)
		return 0;
	memcpy(&proto, p + off, 2);
	off += 2;
	while (is_vlan_proto(proto) && off + 4 <= len) {
		memcpy(&proto, p + off + 2, 2);
		off += 4;
	}
	if (proto == be16(ETH_P_IP) && off + 20 <= len) {
		unsigned ihl = (p[off] & 15u) * 4;
		for (unsigned i = 12; i < 20; i += 4) {
			memcpy(&w, p + off + i, 4);
			h = mix(h, w);
		}
		l4 = p[off + 9];
		/* fragments hash without ports */
		if ((p[off + 6] & 0x3f) || p[off + 7])
			return mix(h, l4);
		off += ihl < 20 ? 20 : ihl;
	} else if (proto == be16(ETH_P_IPV6) && off + 40 <= len) {
		for (unsigned i = 8; i < 40; i += 4) {
			memcpy(&w, p + off + i, 4);
			h = mix(h, w);
		}
		l4 = p[off + 6];
		off += 40;
	} else {
		return 0;
	}
	h = mix(h, l4);
	if ((l4 == 6 || l4 == 17 || l4 == 132) && off + 4 <= len) {
		memcpy(&w, p + off, 4);
		h = mix(h, w);
	}
	return h ? h : 1;
}

/* bpf_get_hash_recalc(skb): skb->hash, computed now (and kept) */
uint64_t bpftk_h_get_hash_recalc(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	struct bpftk_ctx *c = skb_arg(call, r1);
	if (!c)
		return 0;
	uint32_t h = get32(c, SKB_OFF_HASH);
	if (!h) {
		h = flow_hash(pkt(c), pkt_len(c));
		put32(c, SKB_OFF_HASH, h);
	}
	return h;
}

/* ---- tunnels, FIB, clones ---- */

/* bpf_skb_get_tunnel_key(skb, key, size, flags): test packets carry no
 * tunnel metadata: the kernel clears key and fails with -EINVAL. */
uint64_t bpftk_h_skb_get_tunnel_key(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	struct bpftk_ctx *c = skb_arg(call, r1);
	if (!c)
		return 0;
	uint8_t *to = bpftk_henv_mem(call, r2, r3, 1, 2);
	if (!to && r3)
		return 0;
	if (r3)
		memset(to, 0, (size_t)r3);
	return ERR(-EINVAL);
}

/* bpf_skb_set_tunnel_key(skb, key, size, flags): the checks; the metadata
 * itself has no reader in a test run. */
uint64_t bpftk_h_skb_set_tunnel_key(uint64_t r1, uint64_t r2, uint64_t r3,
				    uint64_t r4, uint64_t r5,
				    struct bpftk_vm_call *call)
{
	(void)r5;
	struct bpftk_ctx *c = skb_arg(call, r1);
	if (!c)
		return 0;
	if (!bpftk_henv_mem(call, r2, r3, 0, 2) && r3)
		return 0;
	if (r4 & ~(BPF_F_TUNINFO_IPV6 | BPF_F_ZERO_CSUM_TX |
		   BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER |
		   BPF_F_NO_TUNNEL_KEY))
		return ERR(-EINVAL);
	/* the full struct, or an older one: up to local_ipv4, tunnel_label,
	 * tunnel_ext, or remote_ipv6[1] without IPv6 */
	if (r3 != TUNNEL_KEY_SIZE && r3 != 28 && r3 != 24 && r3 != 22 &&
	    !(r3 == 8 && !(r4 & BPF_F_TUNINFO_IPV6)))
		return ERR(-EINVAL);
	return 0;
}

/* bpf_fib_lookup(ctx, params, plen, flags): see the header comment */
uint64_t bpftk_h_fib_lookup(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5,
			    struct bpftk_vm_call *call)
{
	(void)r1, (void)r5;
	uint8_t *p = bpftk_henv_mem(call, r2, r3, 1, 2);
	if (!p)
		return 0;
	if (r3 < FIB_PARAMS_SIZE || (r4 & ~BPF_FIB_LOOKUP_MASK))
		return ERR(-EINVAL);
	if (p[0] != AF_INET_ && p[0] != AF_INET6_)
		return ERR(-EAFNOSUPPORT);
	return BPF_FIB_LKUP_RET_NOT_FWDED;
}

/* bpf_clone_redirect(skb, ifindex, flags): a clone goes to the device;
 * the device must exist (here: on the host). */
uint64_t bpftk_h_clone_redirect(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	char name[IF_NAMESIZE];
	if (!skb_arg(call, r1))
		return 0;
	if (r3 & ~BPF_F_INGRESS)
		return ERR(-EINVAL);
	if (r2 > UINT32_MAX || !if_indextoname((unsigned)r2, name))
		return ERR(-EINVAL);
	return 0;
}

/* bpf_skb_under_cgroup(skb, cgroup_array, index): no cgroup can be stored
 * in bpftk's cgroup arrays, so a valid index finds an empty slot. */
uint64_t bpftk_h_skb_under_cgroup(uint64_t r1, uint64_t r2, uint64_t r3,
				  uint64_t r4, uint64_t r5,
				  struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	struct bpftk_helper_env *env = bpftk_henv(call);
	if (!env || !skb_arg(call, r1))
		return 0;
	const struct env_map *m = bpftk_henv_map(env, call, r2, 2);
	if (!m)
		return 0;
	if (m->type != BPFTK_MAP_TYPE_CGROUP_ARRAY) {
		bpftk_vm_call_fail(call, -EINVAL,
				   "r2: bpf_skb_under_cgroup needs a cgroup "
				   "array");
		return 0;
	}
	struct bpftk_map_info info;
	memset(&info, 0, sizeof(info));
	info.sz = sizeof(info);
	bpftk_map_get_info(m->map, &info);
	if ((uint32_t)r3 >= info.max_entries)
		return ERR(-E2BIG);
	return ERR(-EAGAIN);
}

/* ---- perf event output ---- */

/* bpf_perf_event_output(ctx, map, flags, data, size): for skb and XDP
 * contexts the upper 32 bits of flags ask for that many packet bytes to
 * be appended to the sample (bpf_skb_event_output, bpf_xdp_event_output). */
uint64_t bpftk_h_perf_event_output(uint64_t r1, uint64_t r2, uint64_t r3,
				   uint64_t r4, uint64_t r5,
				   struct bpftk_vm_call *call)
{
	struct bpftk_helper_env *env = bpftk_henv(call);
	if (!env)
		return 0;
	const struct env_map *m = bpftk_henv_map(env, call, r2, 2);
	if (!m)
		return 0;
	if (m->type != BPFTK_MAP_TYPE_PERF_EVENT_ARRAY) {
		bpftk_vm_call_fail(call, -EINVAL,
				   "r2: bpf_perf_event_output needs a perf "
				   "event array");
		return 0;
	}
	const void *data = bpftk_henv_mem(call, r4, r5, 0, 4);
	if (!data && r5)
		return 0;
	const struct bpftk_ctx *c = env->ctx;
	int pkt_ctx = c && (uint64_t)(uintptr_t)c == r1 &&
		      (is_skb(c) || c->type == BPFTK_PROG_TYPE_XDP);
	uint64_t tail = 0;
	if (pkt_ctx) {
		if (r3 & ~(BPFTK_F_INDEX_MASK | BPF_F_CTXLEN_MASK))
			return ERR(-EINVAL);
		tail = (r3 & BPF_F_CTXLEN_MASK) >> 32;
		if (tail > pkt_len(c))
			return ERR(-EFAULT);
		r3 &= BPFTK_F_INDEX_MASK;
	}
	return ERR(bpftk_perf_event_output(m->map, env->cpu, r3, data, r5,
					   pkt_ctx ? pkt(c) : NULL, tail));
}
