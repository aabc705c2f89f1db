/* progtype.c — THE program-type table: one descriptor per type (context
 * layout and access rights, packet model, return values).  Offsets and
 * sizes are the kernel's uapi facts (<linux/bpf.h>: struct xdp_md, struct
 * __sk_buff; <asm/ptrace.h>: x86-64 struct pt_regs); the unit test checks
 * them with offsetof on the real structs.  Access rights follow the
 * kernel's *_is_valid_access functions in net/core/filter.c and
 * kernel/trace/bpf_trace.c.
 *
 * Invariants: fields of a descriptor are sorted by offset and do not
 * overlap; pointer fields are read-only, exact-size u32 fields.
 */
#include <errno.h>
#include <stddef.h>

#include <bpftk/helpers.h>
#include <bpftk/progtype.h>

#define R BPFTK_CTX_READ
#define W BPFTK_CTX_WRITE
#define N BPFTK_CTX_NARROW
#define F(name, off, size, count, acc, kind)                                 \
	{name, off, size, count, acc, BPFTK_CTX_##kind}

/* ---- XDP: struct xdp_md (xdp_is_valid_access: read-only, u32 loads
 * only; egress_ifindex only for devmap programs, which bpftk does not
 * run) ---- */
static const struct bpftk_ctx_field xdp_fields[] = {
	F("data", 0, 4, 1, R, PKT_DATA),
	F("data_end", 4, 4, 1, R, PKT_END),
	F("data_meta", 8, 4, 1, R, PKT_META),
	F("ingress_ifindex", 12, 4, 1, R, PLAIN),
	F("rx_queue_index", 16, 4, 1, R, PLAIN),
};

static const char *const xdp_rets[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS",
				       "XDP_TX", "XDP_REDIRECT"};

/* ---- tc: struct __sk_buff (tc_cls_act_is_valid_access; narrow loads of
 * u32 fields; socket fields, flow_keys and sk are not provided) ---- */
/* access bits of the fields whose rights differ between types */
#define SKB_COMMON(mark, qmap, prio, tcidx, cb)                              \
	F("len", 0, 4, 1, R | N, PLAIN),                                     \
	F("pkt_type", 4, 4, 1, R | N, PLAIN),                                \
	F("mark", 8, 4, 1, mark, PLAIN),                                     \
	F("queue_mapping", 12, 4, 1, qmap, PLAIN),                           \
	F("protocol", 16, 4, 1, R | N, PLAIN),                               \
	F("vlan_present", 20, 4, 1, R | N, PLAIN),                           \
	F("vlan_tci", 24, 4, 1, R | N, PLAIN),                               \
	F("vlan_proto", 28, 4, 1, R | N, PLAIN),                             \
	F("priority", 32, 4, 1, prio, PLAIN),                                \
	F("ingress_ifindex", 36, 4, 1, R | N, PLAIN),                        \
	F("ifindex", 40, 4, 1, R | N, PLAIN),                                \
	F("tc_index", 44, 4, 1, tcidx, PLAIN),                               \
	F("cb", 48, 4, 5, cb, PLAIN),                                        \
	F("hash", 68, 4, 1, R | N, PLAIN)
#define RN (R | N)
#define RNW (R | N | W)

static const struct bpftk_ctx_field tc_fields[] = {
	SKB_COMMON(RNW, RNW, RNW, RNW, RNW),
	F("tc_classid", 72, 4, 1, R | N | W, PLAIN),
	F("data", 76, 4, 1, R, PKT_DATA),
	F("data_end", 80, 4, 1, R, PKT_END),
	F("napi_id", 84, 4, 1, R | N, PLAIN),
	F("data_meta", 140, 4, 1, R, PKT_META),
	F("tstamp", 152, 8, 1, R | N | W, PLAIN),
	F("wire_len", 160, 4, 1, R | N, PLAIN),
	F("gso_segs", 164, 4, 1, R | N, PLAIN),
	F("gso_size", 176, 4, 1, R | N, PLAIN),
	F("hwtstamp", 184, 8, 1, R | N, PLAIN),
};

/* socket filters (sk_filter_is_valid_access): no packet pointers,
 * tc_classid, tstamp, wire_len or hwtstamp; only cb[] is writable */
static const struct bpftk_ctx_field sock_fields[] = {
	SKB_COMMON(RN, RN, RN, RN, RNW),
	F("napi_id", 84, 4, 1, R | N, PLAIN),
	F("gso_segs", 164, 4, 1, R | N, PLAIN),
	F("gso_size", 176, 4, 1, R | N, PLAIN),
};

static const char *const tc_rets[] = {
	"TC_ACT_UNSPEC", "TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT",
	"TC_ACT_PIPE", "TC_ACT_STOLEN", "TC_ACT_QUEUED", "TC_ACT_REPEAT",
	"TC_ACT_REDIRECT", "TC_ACT_TRAP"};

/* ---- tracing: x86-64 struct pt_regs, read-only (kprobe_prog_is_valid_
 * access: any aligned load inside the struct) ---- */
#define REG(name, i) F(name, (i) * 8, 8, 1, R | N, PLAIN)
static const struct bpftk_ctx_field regs_fields[] = {
	REG("r15", 0),	REG("r14", 1),	 REG("r13", 2),	  REG("r12", 3),
	REG("bp", 4),	REG("bx", 5),	 REG("r11", 6),	  REG("r10", 7),
	REG("r9", 8),	REG("r8", 9),	 REG("ax", 10),	  REG("cx", 11),
	REG("dx", 12),	REG("si", 13),	 REG("di", 14),	  REG("orig_ax", 15),
	REG("ip", 16),	REG("cs", 17),	 REG("flags", 18), REG("sp", 19),
	REG("ss", 20),
};

/* tracepoints: the event record, read-only; bpftk takes up to
 * BPFTK_CTX_USER_MAX bytes of it as 8-byte words */
static const struct bpftk_ctx_field tp_fields[] = {
	F("record", 0, 8, BPFTK_CTX_USER_MAX / 8, R | N, PLAIN),
};

/* ---- cgroup_skb: struct __sk_buff (cg_skb_is_valid_access): no
 * tc_classid, data_meta, flow_keys or wire_len; packet pointers readable
 * (the packet starts at the network header); writes only to mark,
 * priority, cb[] and tstamp; the socket fields are readable, the sk
 * pointer is not provided.  The kernel takes the address fields and
 * tstamp / hwtstamp only whole. ---- */
#define SKB_PKT_FIELDS                                                       \
	F("data", 76, 4, 1, R, PKT_DATA),                                    \
	F("data_end", 80, 4, 1, R, PKT_END),                                 \
	F("napi_id", 84, 4, 1, R | N, PLAIN)
#define SKB_SOCK_FIELDS                                                      \
	F("family", 88, 4, 1, R | N, PLAIN),                                 \
	F("remote_ip4", 92, 4, 1, R, PLAIN),                                 \
	F("local_ip4", 96, 4, 1, R, PLAIN),                                  \
	F("remote_ip6[0]", 100, 4, 1, R, PLAIN),                             \
	F("remote_ip6[1]", 104, 4, 1, R, PLAIN),                             \
	F("remote_ip6[2]", 108, 4, 1, R, PLAIN),                             \
	F("remote_ip6[3]", 112, 4, 1, R, PLAIN),                             \
	F("local_ip6[0]", 116, 4, 1, R, PLAIN),                              \
	F("local_ip6[1]", 120, 4, 1, R, PLAIN),                              \
	F("local_ip6[2]", 124, 4, 1, R, PLAIN),                              \
	F("local_ip6[3]", 128, 4, 1, R, PLAIN),                              \
	F("remote_port", 132, 4, 1, R | N, PLAIN),                           \
	F("local_port", 136, 4, 1, R | N, PLAIN)

static const struct bpftk_ctx_field cgskb_fields[] = {
	SKB_COMMON(RNW, RN, RNW, RN, RNW),
	SKB_PKT_FIELDS,
	SKB_SOCK_FIELDS,
	F("tstamp", 152, 8, 1, R | W, PLAIN),
	F("gso_segs", 164, 4, 1, R | N, PLAIN),
	F("gso_size", 176, 4, 1, R | N, PLAIN),
	F("hwtstamp", 184, 8, 1, R, PLAIN),
};

/* ---- sk_skb: struct __sk_buff (sk_skb_is_valid_access): no
 * tc_classid, data_meta, tstamp, wire_len, hwtstamp, and not even a read
 * of mark; writes only to priority and tc_index (cb[] is read-only);
 * packet pointers readable and the packet writable. ---- */
static const struct bpftk_ctx_field skskb_fields[] = {
	SKB_COMMON(0, RN, RNW, RNW, RN),
	SKB_PKT_FIELDS,
	SKB_SOCK_FIELDS,
	F("gso_segs", 164, 4, 1, R | N, PLAIN),
	F("gso_size", 176, 4, 1, R | N, PLAIN),
};

static const char *const sk_rets[] = {"SK_DROP", "SK_PASS"};

/* ---- perf_event: struct bpf_perf_event_data { struct pt_regs regs;
 * u64 sample_period; u64 addr; } (pe_prog_is_valid_access): read-only;
 * registers only as whole 8-byte words, the two u64s also narrow ---- */
#define PREG(name, i) F(name, (i) * 8, 8, 1, R, PLAIN)
static const struct bpftk_ctx_field perf_fields[] = {
	PREG("regs.r15", 0),   PREG("regs.r14", 1),	PREG("regs.r13", 2),
	PREG("regs.r12", 3),   PREG("regs.bp", 4),	PREG("regs.bx", 5),
	PREG("regs.r11", 6),   PREG("regs.r10", 7),	PREG("regs.r9", 8),
	PREG("regs.r8", 9),    PREG("regs.ax", 10),	PREG("regs.cx", 11),
	PREG("regs.dx", 12),   PREG("regs.si", 13),	PREG("regs.di", 14),
	PREG("regs.orig_ax", 15), PREG("regs.ip", 16),	PREG("regs.cs", 17),
	PREG("regs.flags", 18), PREG("regs.sp", 19),	PREG("regs.ss", 20),
	F("sample_period", 168, 8, 1, R | N, PLAIN),
	F("addr", 176, 8, 1, R | N, PLAIN),
};

/* ---- cgroup_sock: struct bpf_sock (sock_filter_is_valid_access with
 * the attach type the kernel gives a program loaded without one,
 * BPF_CGROUP_INET_SOCK_CREATE): bound_dev_if, mark and priority are read
 * and written whole; src_ip4, src_ip6 and src_port exist only for the
 * post_bind attach types, so not here; the rest is read-only, narrow
 * loads allowed.  dst_port is a 16-bit field followed by 16 bits of
 * padding; bpftk takes the 32 bits as one field. ---- */
static const struct bpftk_ctx_field bsock_fields[] = {
	F("bound_dev_if", 0, 4, 1, R | W, PLAIN),
	F("family", 4, 4, 1, R | N, PLAIN),
	F("type", 8, 4, 1, R | N, PLAIN),
	F("protocol", 12, 4, 1, R | N, PLAIN),
	F("mark", 16, 4, 1, R | W, PLAIN),
	F("priority", 20, 4, 1, R | W, PLAIN),
	F("dst_port", 48, 4, 1, R | N, PLAIN),
	F("dst_ip4", 52, 4, 1, R | N, PLAIN),
	F("dst_ip6", 56, 4, 4, R | N, PLAIN),
	F("state", 72, 4, 1, R | N, PLAIN),
	F("rx_queue_mapping", 76, 4, 1, R | N, PLAIN),
};

/* ---- cgroup_sock_addr: struct bpf_sock_addr (sock_addr_is_valid_access).
 * Which address fields exist depends on the attach type: user_ip4 for the
 * IPv4 hooks, user_ip6 for the IPv6 ones, msg_src_ip4 / msg_src_ip6 only
 * for UDP sendmsg.  Address fields and user_port are read (narrow too) and
 * written whole; the ip6 arrays also as 8-byte aligned words; the other
 * scalars are read whole; the sk pointer is not provided. ---- */
#define SA_HEAD(ip4, ip6)                                                    \
	F("user_family", 0, 4, 1, R, PLAIN),                                 \
	F("user_ip4", 4, 4, 1, ip4, PLAIN),                                  \
	F("user_ip6", 8, 4, 4, ip6, PLAIN),                                  \
	F("user_port", 24, 4, 1, RNW, PLAIN),                                \
	F("family", 28, 4, 1, R, PLAIN),                                     \
	F("type", 32, 4, 1, R, PLAIN),                                       \
	F("protocol", 36, 4, 1, R, PLAIN)
static const struct bpftk_ctx_field sa4_fields[] = {SA_HEAD(RNW, 0)};
static const struct bpftk_ctx_field sa6_fields[] = {SA_HEAD(0, RNW)};
static const struct bpftk_ctx_field sa4_send_fields[] = {
	SA_HEAD(RNW, 0),
	F("msg_src_ip4", 40, 4, 1, RNW, PLAIN),
};
static const struct bpftk_ctx_field sa6_send_fields[] = {
	SA_HEAD(0, RNW),
	F("msg_src_ip6", 44, 4, 4, RNW, PLAIN),
};

/* ---- sk_lookup: struct bpf_sk_lookup (sk_lookup_is_valid_access):
 * read-only; u32 fields and the ip6 arrays also narrow; remote_port is a
 * 16-bit field the kernel also lets programs read as 32 bits, taken here
 * as one 32-bit field.  sk is the kernel's socket-or-NULL pointer: read
 * whole, and always 0 (no socket selected) in bpftk, whose verifier sees
 * it as a number. ---- */
static const struct bpftk_ctx_field lookup_fields[] = {
	F("sk", 0, 8, 1, R, PLAIN),
	F("family", 8, 4, 1, RN, PLAIN),
	F("protocol", 12, 4, 1, RN, PLAIN),
	F("remote_ip4", 16, 4, 1, RN, PLAIN),
	F("remote_ip6", 20, 4, 4, RN, PLAIN),
	F("remote_port", 36, 4, 1, RN, PLAIN),
	F("local_ip4", 40, 4, 1, RN, PLAIN),
	F("local_ip6", 44, 4, 4, RN, PLAIN),
	F("local_port", 60, 4, 1, RN, PLAIN),
	F("ingress_ifindex", 64, 4, 1, RN, PLAIN),
};

/* ---- sock_ops: struct bpf_sock_ops (sock_ops_is_valid_access).  The
 * kernel's rule for reads is "exactly 4 bytes" except where listed, so
 * even the u32 arrays (args, remote_ip6, local_ip6) are one field per
 * element here: bpftk's array fields would also take narrow and 8-byte
 * loads.  Only skb_tcp_flags may be read narrow; bytes_received,
 * bytes_acked and skb_hwtstamp only as 8 bytes.  Writes go only to reply
 * (the args / reply / replylong union at offset 4, as 4 bytes) and
 * sk_txhash.  sk, skb_data and skb_data_end are kernel pointers (socket
 * or NULL, packet, packet end): read whole, and seen by bpftk's verifier
 * as plain numbers, as sk_lookup's sk is.  That is conservative: a
 * program that dereferences them is refused, never run unchecked; their
 * value in a run is whatever the test's context holds (0 by default).
 * ---- */
#define SO(name, off) F(name, off, 4, 1, R, PLAIN)
static const struct bpftk_ctx_field sockops_fields[] = {
	SO("op", 0),
	F("reply", 4, 4, 1, R | W, PLAIN),
	SO("args[1]", 8),
	SO("args[2]", 12),
	SO("args[3]", 16),
	SO("family", 20),
	SO("remote_ip4", 24),
	SO("local_ip4", 28),
	SO("remote_ip6[0]", 32),
	SO("remote_ip6[1]", 36),
	SO("remote_ip6[2]", 40),
	SO("remote_ip6[3]", 44),
	SO("local_ip6[0]", 48),
	SO("local_ip6[1]", 52),
	SO("local_ip6[2]", 56),
	SO("local_ip6[3]", 60),
	SO("remote_port", 64),
	SO("local_port", 68),
	SO("is_fullsock", 72),
	SO("snd_cwnd", 76),
	SO("srtt_us", 80),
	SO("bpf_sock_ops_cb_flags", 84),
	SO("state", 88),
	SO("rtt_min", 92),
	SO("snd_ssthresh", 96),
	SO("rcv_nxt", 100),
	SO("snd_nxt", 104),
	SO("snd_una", 108),
	SO("mss_cache", 112),
	SO("ecn_flags", 116),
	SO("rate_delivered", 120),
	SO("rate_interval_us", 124),
	SO("packets_out", 128),
	SO("retrans_out", 132),
	SO("total_retrans", 136),
	SO("segs_in", 140),
	SO("data_segs_in", 144),
	SO("segs_out", 148),
	SO("data_segs_out", 152),
	SO("lost_out", 156),
	SO("sacked_out", 160),
	F("sk_txhash", 164, 4, 1, R | W, PLAIN),
	F("bytes_received", 168, 8, 1, R, PLAIN),
	F("bytes_acked", 176, 8, 1, R, PLAIN),
	F("sk", 184, 8, 1, R, PLAIN),
	F("skb_data", 192, 8, 1, R, PLAIN),
	F("skb_data_end", 200, 8, 1, R, PLAIN),
	SO("skb_len", 208),
	F("skb_tcp_flags", 212, 4, 1, R | N, PLAIN),
	F("skb_hwtstamp", 216, 8, 1, R, PLAIN),
};

/* ---- raw_tracepoint: struct bpf_raw_tracepoint_args { u64 args[0]; }
 * (raw_tp_prog_is_valid_access): read-only, aligned 8-byte loads of the
 * first 12 (MAX_BPF_FUNC_ARGS) words; one field per word, since array
 * fields would also take narrow loads. ---- */
#define RAWTP_ARG(i) F("args[" #i "]", (i) * 8, 8, 1, R, PLAIN)
static const struct bpftk_ctx_field rawtp_fields[] = {
	RAWTP_ARG(0), RAWTP_ARG(1), RAWTP_ARG(2),  RAWTP_ARG(3),
	RAWTP_ARG(4), RAWTP_ARG(5), RAWTP_ARG(6),  RAWTP_ARG(7),
	RAWTP_ARG(8), RAWTP_ARG(9), RAWTP_ARG(10), RAWTP_ARG(11),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct bpftk_progtype pt_raw = {
	BPFTK_PROG_TYPE_UNSPEC, "raw", BPFTK_CTX_MODEL_MEM, NULL, 0, NULL, 0,
	0, 0, 0, 0, 0, INT64_MIN, INT64_MAX, "any value", NULL, 0, 0};

static const struct bpftk_progtype pt_xdp = {
	BPFTK_PROG_TYPE_XDP, "xdp", BPFTK_CTX_MODEL_CTX, "struct xdp_md", 24,
	xdp_fields, COUNT(xdp_fields), 1, 1, 256, 0, 0, INT64_MIN, INT64_MAX,
	"the packet's fate: XDP_ABORTED, DROP, PASS, TX, REDIRECT", xdp_rets,
	COUNT(xdp_rets), 0};

static const struct bpftk_progtype pt_cls = {
	BPFTK_PROG_TYPE_SCHED_CLS, "sched_cls", BPFTK_CTX_MODEL_CTX,
	"struct __sk_buff", 192, tc_fields, COUNT(tc_fields), 1, 1, 0, 0, 1,
	INT64_MIN, INT64_MAX, "a TC_ACT_* verdict (TC_ACT_UNSPEC is -1)",
	tc_rets, COUNT(tc_rets), -1};

static const struct bpftk_progtype pt_act = {
	BPFTK_PROG_TYPE_SCHED_ACT, "sched_act", BPFTK_CTX_MODEL_CTX,
	"struct __sk_buff", 192, tc_fields, COUNT(tc_fields), 1, 1, 0, 0, 1,
	INT64_MIN, INT64_MAX, "a TC_ACT_* verdict (TC_ACT_UNSPEC is -1)",
	tc_rets, COUNT(tc_rets), -1};

static const struct bpftk_progtype pt_sock = {
	BPFTK_PROG_TYPE_SOCKET_FILTER, "socket_filter", BPFTK_CTX_MODEL_CTX,
	"struct __sk_buff", 192, sock_fields, COUNT(sock_fields), 1, 0, 0, 14,
	1, 0, UINT32_MAX, "bytes of the packet to keep (0 drops it)", NULL, 0,
	0};

static const struct bpftk_progtype pt_kprobe = {
	BPFTK_PROG_TYPE_KPROBE, "kprobe", BPFTK_CTX_MODEL_CTX,
	"struct pt_regs", 168, regs_fields, COUNT(regs_fields), 0, 0, 0, 0, 0,
	INT64_MIN, INT64_MAX, "ignored by the kernel (0 by convention)", NULL,
	0, 0};

static const struct bpftk_progtype pt_tp = {
	BPFTK_PROG_TYPE_TRACEPOINT, "tracepoint", BPFTK_CTX_MODEL_CTX,
	"the tracepoint's record", BPFTK_CTX_USER_MAX, tp_fields,
	COUNT(tp_fields), 0, 0, 0, 0, 0, INT64_MIN, INT64_MAX,
	"ignored by the kernel (0 by convention)", NULL, 0, 0};

static const struct bpftk_progtype pt_perf = {
	BPFTK_PROG_TYPE_PERF_EVENT, "perf_event", BPFTK_CTX_MODEL_CTX,
	"struct bpf_perf_event_data", 184, perf_fields, COUNT(perf_fields), 0,
	0, 0, 0, 0, INT64_MIN, INT64_MAX,
	"ignored by the kernel (0 by convention)", NULL, 0, 0};

/* cgroup programs return 0 (drop / refuse) or 1 (allow); the kernel's
 * wider egress range needs an attach type bpftk does not model */
static const char *const cg_rets[] = {"drop", "allow"};

static const struct bpftk_progtype pt_cgskb = {
	BPFTK_PROG_TYPE_CGROUP_SKB, "cgroup_skb", BPFTK_CTX_MODEL_CTX,
	"struct __sk_buff", 192, cgskb_fields, COUNT(cgskb_fields), 1, 1, 0,
	14, 1, 0, 1, "1 lets the packet through, 0 drops it", cg_rets,
	COUNT(cg_rets), 0};

static const struct bpftk_progtype pt_cgsock = {
	BPFTK_PROG_TYPE_CGROUP_SOCK, "cgroup_sock", BPFTK_CTX_MODEL_CTX,
	"struct bpf_sock", 80, bsock_fields, COUNT(bsock_fields), 0, 0, 0, 0,
	1, 0, 1, "1 allows the socket operation, 0 refuses it (-EPERM)",
	cg_rets, COUNT(cg_rets), 0};

static const struct bpftk_progtype pt_skskb = {
	BPFTK_PROG_TYPE_SK_SKB, "sk_skb", BPFTK_CTX_MODEL_CTX,
	"struct __sk_buff", 192, skskb_fields, COUNT(skskb_fields), 1, 1, 0, 0,
	1, INT64_MIN, INT64_MAX, "SK_PASS or SK_DROP (a verdict program)",
	sk_rets, COUNT(sk_rets), 0};

/* The kernel's attach types (enum bpf_attach_type) of the sock_addr
 * hooks, with the field set and the return range of each: bind may also
 * return 2 and 3 (bypass the port checks), the name and recvmsg hooks
 * must return 1. */
#define SA_PT(fields, lo, hi, what)                                          \
	{BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR, "cgroup_sock_addr",               \
	 BPFTK_CTX_MODEL_CTX, "struct bpf_sock_addr", 72, fields,             \
	 COUNT(fields), 0, 0, 0, 0, 1, lo, hi, what, NULL, 0, 0}
static const struct {
	int attach;
	struct bpftk_progtype pt;
} sock_addr_types[] = {
	{8, SA_PT(sa4_fields, 0, 3, "1 allows bind, 0 refuses it")},
	{9, SA_PT(sa6_fields, 0, 3, "1 allows bind, 0 refuses it")},
	{10, SA_PT(sa4_fields, 0, 1, "1 allows connect, 0 refuses it")},
	{11, SA_PT(sa6_fields, 0, 1, "1 allows connect, 0 refuses it")},
	{14, SA_PT(sa4_send_fields, 0, 1, "1 allows sendmsg, 0 refuses it")},
	{15, SA_PT(sa6_send_fields, 0, 1, "1 allows sendmsg, 0 refuses it")},
	{19, SA_PT(sa4_fields, 1, 1, "1 (recvmsg hooks may not refuse)")},
	{20, SA_PT(sa6_fields, 1, 1, "1 (recvmsg hooks may not refuse)")},
	{29, SA_PT(sa4_fields, 1, 1, "1 (getpeername may not refuse)")},
	{30, SA_PT(sa6_fields, 1, 1, "1 (getpeername may not refuse)")},
	{31, SA_PT(sa4_fields, 1, 1, "1 (getsockname may not refuse)")},
	{32, SA_PT(sa6_fields, 1, 1, "1 (getsockname may not refuse)")},
};

static const struct bpftk_progtype pt_lookup = {
	BPFTK_PROG_TYPE_SK_LOOKUP, "sk_lookup", BPFTK_CTX_MODEL_CTX,
	"struct bpf_sk_lookup", 72, lookup_fields, COUNT(lookup_fields), 0, 0,
	0, 0, 0, 0, 1, "SK_PASS (1) or SK_DROP (0)", sk_rets, COUNT(sk_rets),
	0};

/* The kernel runs sock_ops programs as cgroup programs: 1 by convention;
 * 0 makes the hook report -EPERM to its caller.  What the program
 * answers to the operation goes in reply, so 0 and 1 get no names. */
static const struct bpftk_progtype pt_sockops = {
	BPFTK_PROG_TYPE_SOCK_OPS, "sock_ops", BPFTK_CTX_MODEL_CTX,
	"struct bpf_sock_ops", 224, sockops_fields, COUNT(sockops_fields), 0,
	0, 0, 0, 1, 0, 1,
	"1 (0 makes the hook fail with -EPERM; the answer to the operation "
	"is the reply field)",
	NULL, 0, 0};

/* the kernel checks no return range for a raw tracepoint program loaded
 * without a BTF target, which is what this type is here */
static const struct bpftk_progtype pt_rawtp = {
	BPFTK_PROG_TYPE_RAW_TRACEPOINT, "raw_tracepoint", BPFTK_CTX_MODEL_CTX,
	"struct bpf_raw_tracepoint_args", 12 * 8, rawtp_fields,
	COUNT(rawtp_fields), 0, 0, 0, 0, 0, INT64_MIN, INT64_MAX,
	"ignored by the kernel (0 by convention)", NULL, 0, 0};

static const struct bpftk_progtype *const all[] = {
	&pt_raw,    &pt_sock,	 &pt_kprobe, &pt_cls,	&pt_act,
	&pt_tp,	    &pt_xdp,	 &pt_perf,   &pt_cgskb, &pt_cgsock,
	&pt_sockops, &pt_skskb, &pt_rawtp,  &pt_lookup};

const struct bpftk_progtype *bpftk_progtype_get(enum bpftk_prog_type type)
{
	for (size_t i = 0; i < COUNT(all); i++)
		if (all[i]->type == type)
			return all[i];
	return NULL;
}

const struct bpftk_progtype *
bpftk_progtype_get_attach(enum bpftk_prog_type type, int attach)
{
	if (type != BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR)
		return bpftk_progtype_get(type);
	for (size_t i = 0; i < COUNT(sock_addr_types); i++)
		if (sock_addr_types[i].attach == attach)
			return &sock_addr_types[i].pt;
	return NULL;
}

const struct bpftk_progtype *const *bpftk_progtype_all(size_t *n)
{
	if (n)
		*n = COUNT(all);
	return all;
}

const char *bpftk_progtype_ret_name(const struct bpftk_progtype *pt,
				    uint64_t r0)
{
	if (!pt || !pt->ret_names)
		return NULL;
	/* verdicts are ints: the kernel looks at the low 32 bits */
	int64_t v = (int32_t)(uint32_t)r0;
	if (v < pt->ret_names_base ||
	    v - pt->ret_names_base >= (int64_t)pt->nret_names)
		return NULL;
	return pt->ret_names[v - pt->ret_names_base];
}

const struct bpftk_ctx_field *
bpftk_progtype_field(const struct bpftk_progtype *pt, uint32_t off,
		     uint32_t size)
{
	if (!pt || !size)
		return NULL;
	for (size_t i = 0; i < pt->nfields; i++) {
		const struct bpftk_ctx_field *f = &pt->fields[i];
		uint32_t end = (uint32_t)f->off + (uint32_t)f->size * f->count;
		if (off >= f->off && off < end && size <= end - off)
			return f;
	}
	return NULL;
}

int bpftk_progtype_helper_allowed(const struct bpftk_progtype *pt,
				  uint32_t id)
{
	const struct bpftk_helper *h = bpftk_helper_get(id);
	return pt && h && (unsigned)pt->type < 64 &&
	       (h->prog_types & BPFTK_PT_BIT(pt->type)) != 0;
}
