/* h_pkt.c — packet helpers: checksums, XDP head/tail/metadata moves, skb
 * byte loads and stores, checksum fix-ups, redirects.
 *
 * Invariants: the packet is described by the run's struct bpftk_ctx
 * (data_meta <= data <= data_end inside [hard_start + min_head,
 * hard_start + frame_sz - tailroom]); every move keeps that, with the
 * kernel's checks and error codes (bpf_xdp_adjust_head and friends in
 * net/core/filter.c).  Ones'-complement sums are taken over host-order
 * words, as the kernel's csum_partial does on a little-endian machine.
 */
#include <errno.h>
#include <string.h>

#include "helpers_int.h"

#define ETH_HLEN 14
#define XDP_ABORTED 0
#define XDP_REDIRECT 4
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
#define BPF_F_INGRESS 1ULL
#define BPF_F_HDR_FIELD_MASK 0xfULL
#define BPF_F_PSEUDO_HDR (1ULL << 4)
#define BPF_F_MARK_MANGLED_0 (1ULL << 5)
#define BPF_F_MARK_ENFORCE (1ULL << 6)
#define BPF_F_IPV6 (1ULL << 7)
#define BPF_F_RECOMPUTE_CSUM 1ULL
#define BPF_F_INVALIDATE_HASH 2ULL
#define BPF_F_BROADCAST (1ULL << 3)
#define BPF_F_EXCLUDE_INGRESS (1ULL << 4)

/* ---- ones'-complement arithmetic --------------------------------------- */

static uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;
	return s + (s < b);
}

static uint16_t csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* csum_partial: 32-bit words, then a 16-bit and an 8-bit tail, each
 * added with end-around carry (the x86-64 implementation's order). */
static uint32_t csum_partial(const uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t s = seed;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		uint32_t w;
		memcpy(&w, p + i, 4);
		s = csum_add(s, w);
	}
	if (n - i >= 2) {
		uint16_t h;
		memcpy(&h, p + i, 2);
		s = csum_add(s, h);
		i += 2;
	}
	if (n - i == 1)
		s = csum_add(s, p[i]);
	return s;
}

/* csum_from32to16 of the kernel: the 16-bit fold, not complemented. */
static uint16_t fold16(uint32_t s)
{
	return (uint16_t)~csum_fold(s);
}

/* bpf_csum_diff(from, from_size, to, to_size, seed): the sum of to minus
 * the sum of from, plus seed, folded to 16 bits, with the case split of
 * Linux 6.13+ (which also made the result 16 bits on every architecture
 * and accepts any sizes). */
uint64_t bpftk_h_csum_diff(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, struct bpftk_vm_call *call)
{
	const uint8_t *from = bpftk_henv_mem(call, r1, r2, 0, 1);
	if (!from && r2)
		return 0;
	const uint8_t *to = bpftk_henv_mem(call, r3, r4, 0, 3);
	if (!to && r4)
		return 0;
	uint32_t seed = (uint32_t)r5, ret;
	if (r2 && r4)
		ret = csum_add(csum_partial(to, r4, seed),
			       ~csum_partial(from, r2, 0));
	else if (r4)
		ret = csum_partial(to, r4, seed);
	else if (r2)
		ret = ~csum_partial(from, r2, ~seed);
	else
		ret = seed;
	return fold16(ret);
}

/* ---- the packet context ------------------------------------------------- */

static struct bpftk_ctx *ctx_arg(struct bpftk_vm_call *call, uint64_t r1)
{
	return bpftk_henv_ctx(call, r1, 0, "context");
}

static uint64_t frame_end(const struct bpftk_ctx *c)
{
	return (uint64_t)(uintptr_t)c->hard_start + c->frame_sz - c->tailroom;
}

static uint64_t frame_start(const struct bpftk_ctx *c)
{
	return (uint64_t)(uintptr_t)c->hard_start + c->min_head;
}

uint64_t bpftk_h_xdp_adjust_head(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	struct bpftk_ctx *c = ctx_arg(call, r1);
	if (!c)
		return 0;
	int64_t off = (int32_t)r2;
	uint64_t metalen = c->data - c->data_meta;
	uint64_t data = c->data + (uint64_t)off;
	if (data < frame_start(c) + metalen || c->data_end < ETH_HLEN ||
	    data > c->data_end - ETH_HLEN)
		return (uint64_t)(int64_t)-EINVAL;
	if (metalen)
		memmove((void *)(uintptr_t)(c->data_meta + (uint64_t)off),
			(void *)(uintptr_t)c->data_meta, metalen);
	c->data_meta += (uint64_t)off;
	c->data = data;
	return 0;
}

uint64_t bpftk_h_xdp_adjust_tail(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	struct bpftk_ctx *c = ctx_arg(call, r1);
	if (!c)
		return 0;
	int64_t off = (int32_t)r2;
	uint64_t end = c->data_end + (uint64_t)off;
	if (end > frame_end(c) || end < c->data + ETH_HLEN)
		return (uint64_t)(int64_t)-EINVAL;
	if (off > 0) /* the kernel clears what it grows into */
		memset((void *)(uintptr_t)c->data_end, 0, (size_t)off);
	c->data_end = end;
	return 0;
}

uint64_t bpftk_h_xdp_adjust_meta(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	struct bpftk_ctx *c = ctx_arg(call, r1);
	if (!c)
		return 0;
	uint64_t meta = c->data_meta + (uint64_t)(int64_t)(int32_t)r2;
	if (meta < frame_start(c) || meta > c->data)
		return (uint64_t)(int64_t)-EINVAL;
	uint64_t metalen = c->data - meta;
	if ((metalen & 3) || metalen > 255)
		return (uint64_t)(int64_t)-EACCES;
	c->data_meta = meta;
	return 0;
}

uint64_t bpftk_h_skb_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct bpftk_vm_call *call)
{
	(void)r5;
	struct bpftk_ctx *c = ctx_arg(call, r1);
	if (!c)
		return 0;
	uint8_t *to = bpftk_henv_mem(call, r3, r4, 1, 3);
	if (!to)
		return 0;
	uint64_t len = c->data_end - c->data;
	if (r2 > INT32_MAX || r4 > len || r2 > len - r4) {
		memset(to, 0, r4);
		return (uint64_t)(int64_t)-EFAULT;
	}
	memmove(to, (const void *)(uintptr_t)(c->data + r2), r4);
	return 0;
}

uint64_t bpftk_h_skb_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	struct bpftk_ctx *c = ctx_arg(call, r1);
	if (!c)
		return 0;
	if (r5 & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH))
		return (uint64_t)(int64_t)-EINVAL;
	if (r2 > 0xffff)
		return (uint64_t)(int64_t)-EFAULT;
	const uint8_t *from = bpftk_henv_mem(call, r3, r4, 0, 3);
	if (!from && r4)
		return 0;
	uint64_t len = c->data_end - c->data;
	if (r4 > len || r2 > len - r4)
		return (uint64_t)(int64_t)-EFAULT;
	memmove((void *)(uintptr_t)(c->data + r2), from, r4);
	return 0;
}

/* The 16-bit checksum at offset, or NULL (-EFAULT) when outside. */
static uint8_t *csum_ptr(const struct bpftk_ctx *c, uint64_t off)
{
	uint64_t len = c->data_end - c->data;
	if (off > 0xffff || len < 2 || off > len - 2)
		return NULL;
	return (uint8_t *)(uintptr_t)(c->data + off);
}

/* csum_replace2/4/by_diff: *sum = fold(~*sum - from + to). */
static void replace(uint8_t *p, uint64_t from, uint64_t to, unsigned size)
{
	uint16_t sum;
	memcpy(&sum, p, 2);
	uint32_t s = (uint16_t)~sum;
	if (size == 2) {
		s = csum_add(s, (uint16_t)~(uint16_t)from);
		s = csum_add(s, (uint16_t)to);
	} else if (size == 4) {
		s = csum_add(s, ~(uint32_t)from);
		s = csum_add(s, (uint32_t)to);
	} else { /* 0: to is a diff (bpf_csum_diff's result) */
		s = csum_add(s, (uint32_t)to);
	}
	sum = csum_fold(s);
	memcpy(p, &sum, 2);
}

uint64_t bpftk_h_l3_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	struct bpftk_ctx *c = ctx_arg(call, r1);
	if (!c)
		return 0;
	unsigned size = (unsigned)(r5 & BPF_F_HDR_FIELD_MASK);
	if (r5 & ~BPF_F_HDR_FIELD_MASK)
		return (uint64_t)(int64_t)-EINVAL;
	uint8_t *p = csum_ptr(c, r2);
	if (!p)
		return (uint64_t)(int64_t)-EFAULT;
	if (size != 0 && size != 2 && size != 4)
		return (uint64_t)(int64_t)-EINVAL;
	replace(p, r3, r4, size);
	return 0;
}

uint64_t bpftk_h_l4_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	struct bpftk_ctx *c = ctx_arg(call, r1);
	if (!c)
		return 0;
	unsigned size = (unsigned)(r5 & BPF_F_HDR_FIELD_MASK);
	if (r5 & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE |
		   BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6))
		return (uint64_t)(int64_t)-EINVAL;
	uint8_t *p = csum_ptr(c, r2);
	if (!p)
		return (uint64_t)(int64_t)-EFAULT;
	int mmzero = (r5 & BPF_F_MARK_MANGLED_0) != 0;
	uint16_t cur;
	memcpy(&cur, p, 2);
	if (mmzero && !(r5 & BPF_F_MARK_ENFORCE) && !cur)
		return 0;
	if (size != 0 && size != 2 && size != 4)
		return (uint64_t)(int64_t)-EINVAL;
	/* test runs have no CHECKSUM_PARTIAL skbs: the pseudo-header flag
	 * changes nothing in the sum itself */
	replace(p, r3, r4, size);
	memcpy(&cur, p, 2);
	if (mmzero && !cur) {
		cur = 0xffff; /* CSUM_MANGLED_0 */
		memcpy(p, &cur, 2);
	}
	return 0;
}

uint64_t bpftk_h_redirect(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	struct bpftk_helper_env *env = bpftk_henv(call);
	if (!env)
		return 0;
	int xdp = env->ctx && env->ctx->type == BPFTK_PROG_TYPE_XDP;
	if (xdp ? r2 != 0 : (r2 & ~BPF_F_INGRESS) != 0)
		return xdp ? XDP_ABORTED : TC_ACT_SHOT;
	env->redirect_kind = 1;
	env->redirect.ifindex = (uint32_t)r1;
	env->redirect.flags = r2;
	env->redirect.map = NULL;
	return xdp ? XDP_REDIRECT : TC_ACT_REDIRECT;
}

/* bpf_redirect_map(map, key, flags) (__bpf_xdp_redirect_map): the low two
 * bits of flags are the action when the key has no entry; devmaps also
 * take BPF_F_BROADCAST (which redirects whatever the lookup finds) and
 * BPF_F_EXCLUDE_INGRESS.  A failed lookup forgets an earlier redirect,
 * so the last call decides, as in the kernel. */
uint64_t bpftk_h_redirect_map(uint64_t r1, uint64_t r2, uint64_t r3,
			      uint64_t r4, uint64_t r5,
			      struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	struct bpftk_helper_env *env = bpftk_henv(call);
	if (!env)
		return 0;
	const struct env_map *m = bpftk_henv_map(env, call, r1, 1);
	if (!m)
		return 0;
	uint64_t allowed = 3;
	if (m->type == BPFTK_MAP_TYPE_DEVMAP ||
	    m->type == BPFTK_MAP_TYPE_DEVMAP_HASH)
		allowed |= BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
	else if (m->type != BPFTK_MAP_TYPE_CPUMAP &&
		 m->type != BPFTK_MAP_TYPE_XSKMAP) {
		bpftk_vm_call_fail(call, -EINVAL,
				   "r1: bpf_redirect_map needs a devmap, "
				   "devmap_hash, cpumap or xskmap");
		return 0;
	}
	if (r3 & ~allowed)
		return XDP_ABORTED;
	uint32_t key = (uint32_t)r2;
	if (bpftk_map_redirect_lookup(m->map, key, NULL) &&
	    !(r3 & BPF_F_BROADCAST)) {
		env->redirect_kind = 0;
		memset(&env->redirect, 0, sizeof(env->redirect));
		return r3 & 3;
	}
	env->redirect_kind = 2;
	env->redirect.ifindex = key;
	env->redirect.flags = r3;
	env->redirect.map = m->map;
	return XDP_REDIRECT;
}
