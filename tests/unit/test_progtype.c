/* test_progtype.c — program-type descriptors and the context data-flow
 * pass.
 *
 * Oracles: the kernel's uapi headers (offsetof / sizeof on struct xdp_md,
 * struct __sk_buff and x86-64 struct pt_regs give every field offset and
 * size), and the kernel's access rules as documented in net/core/filter.c
 * (read-only XDP context, writable mark/cb of tc, no packet pointers for
 * socket filters).  The flow pass is tested on hand-written programs whose
 * answer is evident from their text.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__)
#include <asm/ptrace.h>
#endif

#include <bpftk/progtype.h>

#include "test.h"

static const struct bpftk_ctx_field *field(const struct bpftk_progtype *pt,
					   const char *name)
{
	for (size_t i = 0; i < pt->nfields; i++)
		if (!strcmp(pt->fields[i].name, name))
			return &pt->fields[i];
	return NULL;
}

#define CHECK_FIELD(pt, st, name)                                            \
	do {                                                                 \
		const struct bpftk_ctx_field *f_ = field(pt, #name);         \
		CHECK(f_ != NULL);                                           \
		if (f_) {                                                    \
			CHECK_EQ_U64(f_->off, offsetof(st, name));           \
			CHECK_EQ_U64((size_t)f_->size * f_->count,           \
				     sizeof(((st *)0)->name));               \
		}                                                            \
	} while (0)

static void test_layouts(void)
{
	const struct bpftk_progtype *x = bpftk_progtype_get(BPFTK_PROG_TYPE_XDP);
	CHECK(x && x->ctx_size == sizeof(struct xdp_md));
	CHECK_FIELD(x, struct xdp_md, data);
	CHECK_FIELD(x, struct xdp_md, data_end);
	CHECK_FIELD(x, struct xdp_md, data_meta);
	CHECK_FIELD(x, struct xdp_md, ingress_ifindex);
	CHECK_FIELD(x, struct xdp_md, rx_queue_index);
	const struct bpftk_progtype *t =
		bpftk_progtype_get(BPFTK_PROG_TYPE_SCHED_CLS);
	CHECK(t && t->ctx_size == sizeof(struct __sk_buff));
	CHECK_FIELD(t, struct __sk_buff, len);
	CHECK_FIELD(t, struct __sk_buff, pkt_type);
	CHECK_FIELD(t, struct __sk_buff, mark);
	CHECK_FIELD(t, struct __sk_buff, queue_mapping);
	CHECK_FIELD(t, struct __sk_buff, protocol);
	CHECK_FIELD(t, struct __sk_buff, vlan_present);
	CHECK_FIELD(t, struct __sk_buff, vlan_tci);
	CHECK_FIELD(t, struct __sk_buff, vlan_proto);
	CHECK_FIELD(t, struct __sk_buff, priority);
	CHECK_FIELD(t, struct __sk_buff, ingress_ifindex);
	CHECK_FIELD(t, struct __sk_buff, ifindex);
	CHECK_FIELD(t, struct __sk_buff, tc_index);
	CHECK_FIELD(t, struct __sk_buff, cb);
	CHECK_FIELD(t, struct __sk_buff, hash);
	CHECK_FIELD(t, struct __sk_buff, tc_classid);
	CHECK_FIELD(t, struct __sk_buff, data);
	CHECK_FIELD(t, struct __sk_buff, data_end);
	CHECK_FIELD(t, struct __sk_buff, napi_id);
	CHECK_FIELD(t, struct __sk_buff, data_meta);
	CHECK_FIELD(t, struct __sk_buff, tstamp);
	CHECK_FIELD(t, struct __sk_buff, wire_len);
	CHECK_FIELD(t, struct __sk_buff, gso_segs);
	CHECK_FIELD(t, struct __sk_buff, gso_size);
	CHECK_FIELD(t, struct __sk_buff, hwtstamp);
	const struct bpftk_progtype *s =
		bpftk_progtype_get(BPFTK_PROG_TYPE_SOCKET_FILTER);
	CHECK(s && s->ctx_size == sizeof(struct __sk_buff));
	CHECK_FIELD(s, struct __sk_buff, len);
	CHECK_FIELD(s, struct __sk_buff, cb);
	CHECK(field(s, "data") == NULL && field(s, "data_end") == NULL);
#if defined(__x86_64__)
	const struct bpftk_progtype *k =
		bpftk_progtype_get(BPFTK_PROG_TYPE_KPROBE);
	CHECK(k && k->ctx_size == sizeof(struct pt_regs));
	CHECK_FIELD(k, struct pt_regs, r15);
	CHECK_FIELD(k, struct pt_regs, ss);
	/* the uapi spells the kernel's di, ip, ax as rdi, rip, rax */
	CHECK(field(k, "di")->off == offsetof(struct pt_regs, rdi));
	CHECK(field(k, "ip")->off == offsetof(struct pt_regs, rip));
	CHECK(field(k, "ax")->off == offsetof(struct pt_regs, rax));
	CHECK(field(k, "orig_ax")->off == offsetof(struct pt_regs, orig_rax));
#endif
	/* every descriptor: fields sorted, inside the struct, no overlap */
	size_t n;
	const struct bpftk_progtype *const *all = bpftk_progtype_all(&n);
	CHECK(n >= 6);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < all[i]->nfields; j++) {
			const struct bpftk_ctx_field *f = &all[i]->fields[j];
			CHECK(f->off + (uint32_t)f->size * f->count <=
			      all[i]->ctx_size);
			if (j)
				CHECK(all[i]->fields[j - 1].off +
					      all[i]->fields[j - 1].size *
						      all[i]->fields[j - 1].count <=
				      f->off);
			if (f->kind != BPFTK_CTX_PLAIN)
				CHECK(!(f->access & BPFTK_CTX_WRITE));
		}
}

static void test_rets(void)
{
	const struct bpftk_progtype *x = bpftk_progtype_get(BPFTK_PROG_TYPE_XDP);
	CHECK_STR(bpftk_progtype_ret_name(x, XDP_PASS), "XDP_PASS");
	CHECK_STR(bpftk_progtype_ret_name(x, XDP_REDIRECT), "XDP_REDIRECT");
	CHECK(bpftk_progtype_ret_name(x, 5) == NULL);
	const struct bpftk_progtype *t =
		bpftk_progtype_get(BPFTK_PROG_TYPE_SCHED_CLS);
	CHECK_STR(bpftk_progtype_ret_name(t, 2), "TC_ACT_SHOT");
	CHECK_STR(bpftk_progtype_ret_name(t, (uint32_t)-1), "TC_ACT_UNSPEC");
	CHECK_STR(bpftk_progtype_ret_name(t, 7), "TC_ACT_REDIRECT");
	CHECK(bpftk_progtype_helper_allowed(x, BPF_FUNC_xdp_adjust_head));
	CHECK(!bpftk_progtype_helper_allowed(t, BPF_FUNC_xdp_adjust_head));
	CHECK(bpftk_progtype_helper_allowed(t, BPF_FUNC_skb_store_bytes));
	CHECK(bpftk_progtype_helper_allowed(x, BPF_FUNC_map_lookup_elem));
	CHECK(bpftk_progtype_get(BPFTK_PROG_TYPE_LSM) == NULL);
	CHECK_STR(bpftk_progtype_get(BPFTK_PROG_TYPE_UNSPEC)->name, "raw");
}

/* instruction builders (codes from the uapi macros, an oracle) */
#define I(c, d, s, o, i) {(uint8_t)(c), d, s, o, i}
#define LDXW(d, s, o) I(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define LDXB(d, s, o) I(BPF_LDX | BPF_MEM | BPF_B, d, s, o, 0)
#define LDXDW(d, s, o) I(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STXW(d, s, o) I(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define STXDW(d, s, o) I(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define MOV(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVK(d, k) I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define ADDK(d, k) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define JEQK(d, k, o) I(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, k)
#define CALL(id) I(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define CALLL(o) I(BPF_JMP | BPF_CALL, 0, 1, 0, o)
#define EXIT I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int flow(const struct bpftk_insn *p, size_t n, uint8_t *m,
		const char *want)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_progtype_ctx_accesses(p, n, m, "t", d);
	if (want) {
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		CHECK(g && strstr(g->msg, want));
		if (g && !strstr(g->msg, want))
			fprintf(stderr, "got: %s\n", g->msg);
	}
	bpftk_diags_free(d);
	return err;
}

static void test_flow(void)
{
	uint8_t m[16];
	/* direct, through a copy, and through a stack spill */
	const struct bpftk_insn a[] = {LDXW(2, 1, 0),	MOV(6, 1),
				       STXDW(10, 1, -8), LDXW(3, 6, 4),
				       LDXDW(7, 10, -8), LDXW(4, 7, 8),
				       LDXW(5, 2, 0),	MOVK(0, 0), EXIT};
	CHECK(flow(a, 9, m, NULL) == 0);
	CHECK(m[0] == BPFTK_CTX_ACC_LOAD && m[3] == BPFTK_CTX_ACC_LOAD &&
	      m[5] == BPFTK_CTX_ACC_LOAD);
	CHECK(m[6] == 0); /* r2 holds a value loaded from the context */
	/* helper calls clobber r1..r5; r6 survives */
	const struct bpftk_insn b[] = {MOV(6, 1), CALL(5), LDXW(2, 6, 0),
				       LDXW(3, 1, 0), MOVK(0, 0), EXIT};
	CHECK(flow(b, 6, m, NULL) == 0);
	CHECK(m[2] == BPFTK_CTX_ACC_LOAD && m[3] == 0);
	/* modified context pointer */
	const struct bpftk_insn c[] = {ADDK(1, 4), LDXW(2, 1, 0), MOVK(0, 0),
				       EXIT};
	CHECK(flow(c, 4, m, "modified ctx") == -EINVAL);
	/* ctx on one path, a stack pointer on the other */
	const struct bpftk_insn e[] = {JEQK(2, 0, 2), MOV(1, 10), ADDK(1, -8),
				       LDXW(3, 1, 0), MOVK(0, 0), EXIT};
	CHECK(flow(e, 6, m, "one path") == -EINVAL);
	/* a spill overwritten by something else, then used: not ctx */
	const struct bpftk_insn f[] = {STXDW(10, 1, -8), STXDW(10, 2, -8),
				       LDXDW(3, 10, -8), LDXW(4, 3, 0),
				       MOVK(0, 0), EXIT};
	CHECK(flow(f, 6, m, NULL) == 0);
	CHECK(m[3] == 0);
	/* a partial spill is refused */
	const struct bpftk_insn g[] = {STXW(10, 1, -8), MOVK(0, 0), EXIT};
	CHECK(flow(g, 3, m, "partial") == -EINVAL);
	/* a store through a copy of r10 is accepted (the kernel's "jump test
	 * 1"), but the pass does not follow it: reloaded and dereferenced,
	 * the value may be the context or not, and is refused */
	const struct bpftk_insn h[] = {MOV(2, 10), ADDK(2, -16),
				       STXDW(2, 1, 0), MOVK(0, 0), EXIT};
	CHECK(flow(h, 5, m, NULL) == 0);
	const struct bpftk_insn h2[] = {MOV(2, 10),	 ADDK(2, -16),
					STXDW(2, 1, 0),	 LDXDW(3, 10, -16),
					LDXW(4, 3, 0),	 MOVK(0, 0),
					EXIT};
	CHECK(flow(h2, 7, m, "one path") == -EINVAL);
	/* into the context itself (the kernel's "write skb fields from
	 * socket prog"); a context field read afterwards is still one */
	const struct bpftk_insn h3[] = {STXW(1, 1, 48), LDXW(2, 1, 0),
					MOVK(0, 0), EXIT};
	CHECK(flow(h3, 4, m, NULL) == 0);
	CHECK(m[0] == BPFTK_CTX_ACC_STORE && m[1] == BPFTK_CTX_ACC_LOAD);
	/* local calls: r1 passed on, r0 returned */
	const struct bpftk_insn k[] = {CALLL(2), LDXW(2, 0, 4), EXIT,
				       LDXW(3, 1, 0), MOV(0, 1), EXIT};
	CHECK(flow(k, 6, m, NULL) == 0);
	CHECK(m[3] == BPFTK_CTX_ACC_LOAD && m[1] == BPFTK_CTX_ACC_LOAD);
	/* unreachable code is not looked at */
	const struct bpftk_insn u[] = {MOVK(0, 0), EXIT, ADDK(1, 8),
				       LDXW(2, 1, 0), EXIT};
	CHECK(flow(u, 5, m, NULL) == 0);
}

static int rewrite(enum bpftk_prog_type type, struct bpftk_insn *p, size_t n,
		   const char *want)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_progtype_rewrite(bpftk_progtype_get(type), p, n, "t", d);
	if (want) {
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		CHECK(g && strstr(g->msg, want));
		if (g && !strstr(g->msg, want))
			fprintf(stderr, "got: %s\n", g->msg);
	}
	bpftk_diags_free(d);
	return err;
}

static void test_rewrite(void)
{
	struct bpftk_insn a[] = {LDXW(2, 1, offsetof(struct xdp_md, data)),
				 LDXW(3, 1, offsetof(struct xdp_md, data_end)),
				 LDXW(4, 1, offsetof(struct xdp_md,
						     ingress_ifindex)),
				 MOVK(0, 2), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_XDP, a, 5, NULL) == 0);
	CHECK(a[0].code == (BPF_LDX | BPF_MEM | BPF_DW) &&
	      a[0].off == (int16_t)offsetof(struct bpftk_ctx, data));
	CHECK(a[1].code == (BPF_LDX | BPF_MEM | BPF_DW) &&
	      a[1].off == (int16_t)offsetof(struct bpftk_ctx, data_end));
	CHECK(a[2].code == (BPF_LDX | BPF_MEM | BPF_W) && a[2].off == 12);
	/* XDP: no writes, no narrow loads, nothing past the struct */
	struct bpftk_insn b[] = {STXW(1, 2, 12), MOVK(0, 2), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_XDP, b, 3, "read-only") == -EINVAL);
	struct bpftk_insn c[] = {LDXB(2, 1, 12), MOVK(0, 2), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_XDP, c, 3, "narrow") == -EINVAL);
	struct bpftk_insn e[] = {LDXW(2, 1, 24), MOVK(0, 2), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_XDP, e, 3, "off=24") == -EINVAL);
	struct bpftk_insn e2[] = {LDXW(2, 1, 20), MOVK(0, 2), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_XDP, e2, 3, "no field") == -EINVAL);
	/* tc: mark and cb[] writable, len not; narrow loads of len */
	struct bpftk_insn f[] = {
		STXW(1, 2, offsetof(struct __sk_buff, mark)),
		STXW(1, 2, offsetof(struct __sk_buff, cb[3])),
		LDXB(3, 1, offsetof(struct __sk_buff, len) + 1),
		LDXW(4, 1, offsetof(struct __sk_buff, data_meta)),
		MOVK(0, 0), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_SCHED_CLS, f, 6, NULL) == 0);
	CHECK(f[3].off == (int16_t)offsetof(struct bpftk_ctx, data_meta));
	struct bpftk_insn g[] = {STXW(1, 2, offsetof(struct __sk_buff, len)),
				 MOVK(0, 0), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_SCHED_CLS, g, 3, "read-only") == -EINVAL);
	/* socket filters: no packet pointers, mark read-only */
	struct bpftk_insn h[] = {LDXW(2, 1, offsetof(struct __sk_buff, data)),
				 MOVK(0, 0), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_SOCKET_FILTER, h, 3, "no field") ==
	      -EINVAL);
	struct bpftk_insn k[] = {STXW(1, 2, offsetof(struct __sk_buff, mark)),
				 MOVK(0, 0), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_SOCKET_FILTER, k, 3, "read-only") ==
	      -EINVAL);
	/* raw programs: r1 is memory, r1 + 4 is fine */
	struct bpftk_insn r[] = {ADDK(1, 4), LDXW(0, 1, 0), EXIT};
	CHECK(rewrite(BPFTK_PROG_TYPE_UNSPEC, r, 3, NULL) == 0);
	CHECK(r[1].code == (BPF_LDX | BPF_MEM | BPF_W));
}

/* The descriptors added for cgroup_skb, sk_skb, perf_event and
 * cgroup_sock: layouts from the uapi structs, rights from the kernel's
 * cg_skb_, sk_skb_, pe_prog_ and sock_filter_is_valid_access. */
static void test_more_layouts(void)
{
	const struct bpftk_progtype *c =
		bpftk_progtype_get(BPFTK_PROG_TYPE_CGROUP_SKB);
	CHECK(c && c->ctx_size == sizeof(struct __sk_buff));
	if (!c)
		return;
	CHECK_FIELD(c, struct __sk_buff, family);
	CHECK_FIELD(c, struct __sk_buff, remote_ip4);
	CHECK_FIELD(c, struct __sk_buff, local_ip4);
	CHECK_FIELD(c, struct __sk_buff, remote_port);
	CHECK_FIELD(c, struct __sk_buff, local_port);
	CHECK_FIELD(c, struct __sk_buff, tstamp);
	CHECK_FIELD(c, struct __sk_buff, hwtstamp);
	CHECK(field(c, "remote_ip6[3]")->off ==
	      offsetof(struct __sk_buff, remote_ip6[3]));
	CHECK(field(c, "local_ip6[0]")->off ==
	      offsetof(struct __sk_buff, local_ip6[0]));
	CHECK(field(c, "tc_classid") == NULL && field(c, "data_meta") == NULL);
	CHECK(field(c, "mark")->access & BPFTK_CTX_WRITE);
	CHECK(!(field(c, "tc_index")->access & BPFTK_CTX_WRITE));
	CHECK(c->ret_min == 0 && c->ret_max == 1 && c->direct_packet);

	const struct bpftk_progtype *k =
		bpftk_progtype_get(BPFTK_PROG_TYPE_SK_SKB);
	CHECK(k && k->ctx_size == sizeof(struct __sk_buff));
	if (!k)
		return;
	CHECK_FIELD(k, struct __sk_buff, data);
	CHECK_FIELD(k, struct __sk_buff, data_end);
	CHECK_FIELD(k, struct __sk_buff, local_port);
	CHECK(!(field(k, "mark")->access & (BPFTK_CTX_READ | BPFTK_CTX_WRITE)));
	CHECK(!(field(k, "cb")->access & BPFTK_CTX_WRITE));
	CHECK(field(k, "tc_index")->access & BPFTK_CTX_WRITE);
	CHECK(field(k, "tstamp") == NULL && field(k, "data_meta") == NULL);

	const struct bpftk_progtype *p =
		bpftk_progtype_get(BPFTK_PROG_TYPE_PERF_EVENT);
	CHECK(p && p->ctx_size == sizeof(struct bpf_perf_event_data));
	if (!p)
		return;
	CHECK_FIELD(p, struct bpf_perf_event_data, sample_period);
	CHECK_FIELD(p, struct bpf_perf_event_data, addr);
	CHECK(!(field(p, "regs.di")->access & BPFTK_CTX_NARROW));
	CHECK(bpftk_progtype_field(p, 168, 4) != NULL);

	const struct bpftk_progtype *s =
		bpftk_progtype_get(BPFTK_PROG_TYPE_CGROUP_SOCK);
	CHECK(s && s->ctx_size == sizeof(struct bpf_sock));
	if (!s)
		return;
	CHECK_FIELD(s, struct bpf_sock, bound_dev_if);
	CHECK_FIELD(s, struct bpf_sock, family);
	CHECK_FIELD(s, struct bpf_sock, type);
	CHECK_FIELD(s, struct bpf_sock, protocol);
	CHECK_FIELD(s, struct bpf_sock, mark);
	CHECK_FIELD(s, struct bpf_sock, priority);
	CHECK_FIELD(s, struct bpf_sock, dst_ip4);
	CHECK_FIELD(s, struct bpf_sock, dst_ip6);
	CHECK_FIELD(s, struct bpf_sock, state);
	CHECK_FIELD(s, struct bpf_sock, rx_queue_mapping);
	CHECK(field(s, "dst_port")->off == offsetof(struct bpf_sock, dst_port));
	CHECK(field(s, "mark")->access & BPFTK_CTX_WRITE);
	CHECK(!(field(s, "family")->access & BPFTK_CTX_WRITE));
	CHECK(s->ret_min == 0 && s->ret_max == 1 && !s->has_packet);
}

/* cgroup_sock_addr: one descriptor per hook (attach type constants and
 * struct bpf_sock_addr from <linux/bpf.h>) */
static void test_sock_addr(void)
{
	const struct bpftk_progtype *a = bpftk_progtype_get_attach(
		BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG);
	CHECK(a && a->ctx_size == sizeof(struct bpf_sock_addr));
	if (!a)
		return;
	CHECK_FIELD(a, struct bpf_sock_addr, user_family);
	CHECK_FIELD(a, struct bpf_sock_addr, user_ip6);
	CHECK_FIELD(a, struct bpf_sock_addr, user_port);
	CHECK_FIELD(a, struct bpf_sock_addr, family);
	CHECK_FIELD(a, struct bpf_sock_addr, type);
	CHECK_FIELD(a, struct bpf_sock_addr, protocol);
	CHECK_FIELD(a, struct bpf_sock_addr, msg_src_ip6);
	CHECK(field(a, "user_ip4")->access == 0);
	CHECK(a->ret_min == 0 && a->ret_max == 1);
	const struct bpftk_progtype *c = bpftk_progtype_get_attach(
		BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT);
	CHECK(c && field(c, "user_ip4")->off ==
			   offsetof(struct bpf_sock_addr, user_ip4));
	CHECK(c && field(c, "user_ip4")->access & BPFTK_CTX_WRITE);
	CHECK(c && field(c, "msg_src_ip4") == NULL);
	CHECK(c && !(field(c, "user_ip6")->access & BPFTK_CTX_READ));
	const struct bpftk_progtype *s4 = bpftk_progtype_get_attach(
		BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG);
	CHECK(s4 && field(s4, "msg_src_ip4")->off ==
			    offsetof(struct bpf_sock_addr, msg_src_ip4));
	const struct bpftk_progtype *r = bpftk_progtype_get_attach(
		BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG);
	CHECK(r && r->ret_min == 1 && r->ret_max == 1);
	const struct bpftk_progtype *b = bpftk_progtype_get_attach(
		BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND);
	CHECK(b && b->ret_max == 3);
	CHECK(bpftk_progtype_get_attach(BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR,
					BPF_CGROUP_INET4_GETSOCKNAME) != NULL);
	CHECK(bpftk_progtype_get_attach(BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR,
					BPF_CGROUP_INET6_GETPEERNAME) != NULL);
	/* no attach type: the kernel refuses the load */
	CHECK(bpftk_progtype_get_attach(BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR, 0) ==
	      NULL);
	CHECK(bpftk_progtype_get_attach(BPFTK_PROG_TYPE_XDP, 0) ==
	      bpftk_progtype_get(BPFTK_PROG_TYPE_XDP));
}

/* sk_lookup: struct bpf_sk_lookup, read-only, sk read whole only */
static void test_sk_lookup(void)
{
	const struct bpftk_progtype *l =
		bpftk_progtype_get(BPFTK_PROG_TYPE_SK_LOOKUP);
	CHECK(l && l->ctx_size == sizeof(struct bpf_sk_lookup));
	if (!l)
		return;
	CHECK_FIELD(l, struct bpf_sk_lookup, family);
	CHECK_FIELD(l, struct bpf_sk_lookup, protocol);
	CHECK_FIELD(l, struct bpf_sk_lookup, remote_ip4);
	CHECK_FIELD(l, struct bpf_sk_lookup, remote_ip6);
	CHECK_FIELD(l, struct bpf_sk_lookup, local_ip4);
	CHECK_FIELD(l, struct bpf_sk_lookup, local_ip6);
	CHECK_FIELD(l, struct bpf_sk_lookup, local_port);
	CHECK_FIELD(l, struct bpf_sk_lookup, ingress_ifindex);
	CHECK(field(l, "remote_port")->off ==
	      offsetof(struct bpf_sk_lookup, remote_port));
	CHECK(field(l, "sk")->off == offsetof(struct bpf_sk_lookup, sk));
	CHECK(field(l, "sk")->size == 8 &&
	      !(field(l, "sk")->access & BPFTK_CTX_NARROW));
	for (size_t i = 0; i < l->nfields; i++)
		CHECK(!(l->fields[i].access & BPFTK_CTX_WRITE));
	CHECK(l->ret_min == 0 && l->ret_max == 1);
}

#define LDXH(d, s, o) I(BPF_LDX | BPF_MEM | BPF_H, d, s, o, 0)
#define STXB(d, s, o) I(BPF_STX | BPF_MEM | BPF_B, d, s, o, 0)

/* A one-access program (access, r0 = 0, exit) through the rewrite. */
static int one_insn(enum bpftk_prog_type type, struct bpftk_insn a,
		    const char *want)
{
	struct bpftk_insn p[] = {a, MOVK(0, 0), EXIT};
	return rewrite(type, p, 3, want);
}
#define ONE(t, ins, want) one_insn(t, (struct bpftk_insn)ins, want)

/* sock_ops: struct bpf_sock_ops, the rights of sock_ops_is_valid_access */
static void test_sock_ops(void)
{
	const struct bpftk_progtype *o =
		bpftk_progtype_get(BPFTK_PROG_TYPE_SOCK_OPS);
	CHECK(o != NULL);
	if (!o)
		return;
	typedef struct bpf_sock_ops so;
	/* skb_hwtstamp (Linux 6.2) is the last field; older uapi headers
	 * end before it, where the 8-aligned u64 would start */
	const struct bpftk_ctx_field *hw = field(o, "skb_hwtstamp");
	CHECK(hw != NULL);
	if (!hw)
		return;
	CHECK_EQ_U64(hw->off, (offsetof(so, skb_tcp_flags) + 4 + 7) / 8 * 8);
	CHECK(hw->size == 8 && o->ctx_size == hw->off + 8u);
	CHECK(sizeof(so) == o->ctx_size || sizeof(so) == hw->off);
	CHECK_FIELD(o, so, op);
	CHECK_FIELD(o, so, reply);
	CHECK_FIELD(o, so, family);
	CHECK_FIELD(o, so, remote_ip4);
	CHECK_FIELD(o, so, local_ip4);
	CHECK_FIELD(o, so, remote_port);
	CHECK_FIELD(o, so, local_port);
	CHECK_FIELD(o, so, is_fullsock);
	CHECK_FIELD(o, so, snd_cwnd);
	CHECK_FIELD(o, so, srtt_us);
	CHECK_FIELD(o, so, bpf_sock_ops_cb_flags);
	CHECK_FIELD(o, so, state);
	CHECK_FIELD(o, so, rtt_min);
	CHECK_FIELD(o, so, snd_ssthresh);
	CHECK_FIELD(o, so, rcv_nxt);
	CHECK_FIELD(o, so, snd_nxt);
	CHECK_FIELD(o, so, snd_una);
	CHECK_FIELD(o, so, mss_cache);
	CHECK_FIELD(o, so, ecn_flags);
	CHECK_FIELD(o, so, rate_delivered);
	CHECK_FIELD(o, so, rate_interval_us);
	CHECK_FIELD(o, so, packets_out);
	CHECK_FIELD(o, so, retrans_out);
	CHECK_FIELD(o, so, total_retrans);
	CHECK_FIELD(o, so, segs_in);
	CHECK_FIELD(o, so, data_segs_in);
	CHECK_FIELD(o, so, segs_out);
	CHECK_FIELD(o, so, data_segs_out);
	CHECK_FIELD(o, so, lost_out);
	CHECK_FIELD(o, so, sacked_out);
	CHECK_FIELD(o, so, sk_txhash);
	CHECK_FIELD(o, so, bytes_received);
	CHECK_FIELD(o, so, bytes_acked);
	CHECK_FIELD(o, so, sk);
	CHECK_FIELD(o, so, skb_data);
	CHECK_FIELD(o, so, skb_data_end);
	CHECK_FIELD(o, so, skb_len);
	CHECK_FIELD(o, so, skb_tcp_flags);
	/* the u32 arrays, one field per element */
	static const char *const ip6[2][4] = {
		{"remote_ip6[0]", "remote_ip6[1]", "remote_ip6[2]",
		 "remote_ip6[3]"},
		{"local_ip6[0]", "local_ip6[1]", "local_ip6[2]",
		 "local_ip6[3]"}};
	static const char *const args[4] = {"reply", "args[1]", "args[2]",
					    "args[3]"};
	for (int i = 0; i < 4; i++) {
		const struct bpftk_ctx_field *r = field(o, ip6[0][i]);
		const struct bpftk_ctx_field *l = field(o, ip6[1][i]);
		const struct bpftk_ctx_field *a = field(o, args[i]);
		CHECK(r && l && a);
		if (!r || !l || !a)
			continue;
		CHECK_EQ_U64(r->off, offsetof(so, remote_ip6) + 4 * (size_t)i);
		CHECK_EQ_U64(l->off, offsetof(so, local_ip6) + 4 * (size_t)i);
		CHECK_EQ_U64(a->off, offsetof(so, args) + 4 * (size_t)i);
		CHECK(r->size == 4 && l->size == 4 && a->size == 4);
	}
	CHECK_EQ_U64(offsetof(so, reply), offsetof(so, args));
	/* the struct has no hole: every aligned word is some field's */
	for (uint32_t off = 0; off < o->ctx_size; off += 4)
		CHECK(bpftk_progtype_field(o, off, 4) != NULL);
	/* writable: reply and sk_txhash, nothing else */
	for (size_t i = 0; i < o->nfields; i++) {
		const char *n = o->fields[i].name;
		int w = !strcmp(n, "reply") || !strcmp(n, "sk_txhash");
		CHECK(!!(o->fields[i].access & BPFTK_CTX_WRITE) == w);
	}
	enum bpftk_prog_type t = BPFTK_PROG_TYPE_SOCK_OPS;
	CHECK(ONE(t, LDXW(2, 1, offsetof(so, op)), NULL) == 0);
	CHECK(ONE(t, STXW(1, 2, offsetof(so, reply)), NULL) == 0);
	CHECK(ONE(t, STXW(1, 2, offsetof(so, sk_txhash)), NULL) == 0);
	CHECK(ONE(t, STXW(1, 2, offsetof(so, args[1])), "read-only") ==
	      -EINVAL);
	CHECK(ONE(t, STXW(1, 2, offsetof(so, op)), "read-only") == -EINVAL);
	CHECK(ONE(t, STXB(1, 2, offsetof(so, reply)), "whole") == -EINVAL);
	/* no narrow loads but of skb_tcp_flags */
	CHECK(ONE(t, LDXB(2, 1, offsetof(so, op)), "narrow") == -EINVAL);
	CHECK(ONE(t, LDXH(2, 1, offsetof(so, local_port)), "narrow") ==
	      -EINVAL);
	CHECK(ONE(t, LDXB(2, 1, offsetof(so, skb_tcp_flags) + 1), NULL) == 0);
	CHECK(ONE(t, LDXH(2, 1, offsetof(so, skb_tcp_flags) + 2), NULL) == 0);
	/* the u64s and pointers only whole */
	CHECK(ONE(t, LDXDW(2, 1, offsetof(so, bytes_acked)), NULL) == 0);
	CHECK(ONE(t, LDXDW(2, 1, offsetof(so, sk)), NULL) == 0);
	CHECK(ONE(t, LDXDW(2, 1, offsetof(so, skb_data_end)), NULL) == 0);
	CHECK(ONE(t, LDXDW(2, 1, hw->off), NULL) == 0);
	CHECK(ONE(t, LDXW(2, 1, hw->off), "narrow") == -EINVAL);
	CHECK(ONE(t, LDXW(2, 1, offsetof(so, bytes_received)), "narrow") ==
	      -EINVAL);
	CHECK(ONE(t, LDXW(2, 1, offsetof(so, sk) + 4), "narrow") == -EINVAL);
	CHECK(ONE(t, LDXW(2, 1, offsetof(so, skb_data)), "narrow") ==
	      -EINVAL);
	/* two u32s are not one u64 */
	CHECK(ONE(t, LDXDW(2, 1, offsetof(so, remote_ip6)), "no field") ==
	      -EINVAL);
	CHECK(ONE(t, LDXDW(2, 1, offsetof(so, args[2])), "no field") ==
	      -EINVAL);
	CHECK(ONE(t, LDXW(2, 1, o->ctx_size), "no field") == -EINVAL);
	/* the pointers are numbers to bpftk: the rewrite leaves them */
	struct bpftk_insn p[] = {LDXDW(2, 1, offsetof(so, skb_data)),
				 MOVK(0, 1), EXIT};
	CHECK(rewrite(t, p, 3, NULL) == 0);
	CHECK_EQ_U64(p[0].off, offsetof(so, skb_data));
	for (size_t i = 0; i < o->nfields; i++)
		CHECK(o->fields[i].kind == BPFTK_CTX_PLAIN);
	CHECK(o->ret_min == 0 && o->ret_max == 1 && !o->has_packet);
	CHECK(bpftk_progtype_helper_allowed(o, BPF_FUNC_setsockopt));
	CHECK(bpftk_progtype_helper_allowed(o, BPF_FUNC_getsockopt));
	CHECK(bpftk_progtype_helper_allowed(o, BPF_FUNC_sock_ops_cb_flags_set));
	CHECK(bpftk_progtype_helper_allowed(o, BPF_FUNC_map_update_elem));
	CHECK(bpftk_progtype_helper_allowed(o, BPF_FUNC_trace_printk));
	CHECK(bpftk_progtype_helper_allowed(o, BPF_FUNC_spin_lock));
	CHECK(!bpftk_progtype_helper_allowed(o, BPF_FUNC_skb_load_bytes));
	CHECK(!bpftk_progtype_helper_allowed(o, BPF_FUNC_probe_read));
	CHECK(!bpftk_progtype_helper_allowed(
		bpftk_progtype_get(BPFTK_PROG_TYPE_CGROUP_SOCK),
		BPF_FUNC_setsockopt));
}

/* raw_tracepoint: u64 args[], read-only, whole aligned words only */
static void test_raw_tp(void)
{
	const struct bpftk_progtype *r =
		bpftk_progtype_get(BPFTK_PROG_TYPE_RAW_TRACEPOINT);
	CHECK(r != NULL);
	if (!r)
		return;
	/* the kernel's bound: 8 * MAX_BPF_FUNC_ARGS (12) bytes */
	CHECK_EQ_U64(r->ctx_size, 96);
	CHECK_EQ_U64(r->nfields, 12);
	for (size_t i = 0; i < r->nfields; i++) {
		const struct bpftk_ctx_field *f = &r->fields[i];
		CHECK_EQ_U64(f->off, offsetof(struct bpf_raw_tracepoint_args,
					      args) + 8 * i);
		CHECK(f->size == 8 && f->count == 1 &&
		      f->access == BPFTK_CTX_READ);
	}
	enum bpftk_prog_type t = BPFTK_PROG_TYPE_RAW_TRACEPOINT;
	CHECK(ONE(t, LDXDW(2, 1, 0), NULL) == 0);
	CHECK(ONE(t, LDXDW(2, 1, 88), NULL) == 0);
	CHECK(ONE(t, LDXDW(2, 1, 96), "no field") == -EINVAL);
	CHECK(ONE(t, LDXW(2, 1, 8), "narrow") == -EINVAL);
	CHECK(ONE(t, LDXB(2, 1, 15), "narrow") == -EINVAL);
	CHECK(ONE(t, LDXDW(2, 1, 4), NULL) == -EINVAL);
	CHECK(ONE(t, STXDW(1, 2, 0), "read-only") == -EINVAL);
	CHECK(r->ret_min == INT64_MIN && r->ret_max == INT64_MAX);
	/* a tracing type: probe reads and stacks yes, spin locks and
	 * packets no */
	CHECK(bpftk_progtype_helper_allowed(r, BPF_FUNC_probe_read_kernel));
	CHECK(bpftk_progtype_helper_allowed(r, BPF_FUNC_get_stackid));
	CHECK(bpftk_progtype_helper_allowed(r, BPF_FUNC_get_current_pid_tgid));
	CHECK(bpftk_progtype_helper_allowed(r, BPF_FUNC_perf_event_read_value));
	CHECK(!bpftk_progtype_helper_allowed(r, BPF_FUNC_spin_lock));
	CHECK(!bpftk_progtype_helper_allowed(r, BPF_FUNC_skb_load_bytes));
	CHECK(!bpftk_progtype_helper_allowed(r, BPF_FUNC_perf_prog_read_value));
	CHECK(bpftk_progtype_helper_allowed(
		bpftk_progtype_get(BPFTK_PROG_TYPE_PERF_EVENT),
		BPF_FUNC_perf_prog_read_value));
	CHECK(!bpftk_progtype_helper_allowed(
		bpftk_progtype_get(BPFTK_PROG_TYPE_KPROBE),
		BPF_FUNC_perf_prog_read_value));
}

TEST_MAIN({
	test_layouts();
	test_more_layouts();
	test_sock_addr();
	test_sk_lookup();
	test_sock_ops();
	test_raw_tp();
	test_rets();
	test_flow();
	test_rewrite();
})
