/* obj_sectype.c — program types from section names, and the names of
 * program and map types.
 *
 * The table holds facts from libbpf's section_defs (1.1 and the entries
 * added up to 1.5), with the kernel's numbers for enum bpf_prog_type and
 * enum bpf_attach_type.  A pattern ending in '+' matches the bare name or
 * the name followed by '/' and anything ("kprobe+": "kprobe",
 * "kprobe/sys_write"); any other pattern matches exactly.  That is how
 * libbpf >= 1.0 matches.  Older objects name sections "xdp1" or "socket1"
 * (libbpf < 1.0 and the kernel samples' loader matched name prefixes); when
 * nothing matches exactly, the longest pattern that is a prefix of the name
 * gives the type and the match is reported as legacy.
 *
 * tests/unit/test_object.c checks every row against libbpf's own
 * libbpf_prog_type_by_name() where libbpf knows the name.
 */
#include <string.h>

#include "obj_int.h"

#define NO_ATTACH -1

struct secdef {
	const char *pat;
	enum bpftk_prog_type type;
	int attach;
};

#define T(x) BPFTK_PROG_TYPE_##x
static const struct secdef secdefs[] = {
	{"socket", T(SOCKET_FILTER), NO_ATTACH},
	{"sk_reuseport/migrate", T(SK_REUSEPORT), 40},
	{"sk_reuseport", T(SK_REUSEPORT), 39},
	{"kprobe+", T(KPROBE), NO_ATTACH},
	{"uprobe+", T(KPROBE), NO_ATTACH},
	{"uprobe.s+", T(KPROBE), NO_ATTACH},
	{"kretprobe+", T(KPROBE), NO_ATTACH},
	{"uretprobe+", T(KPROBE), NO_ATTACH},
	{"uretprobe.s+", T(KPROBE), NO_ATTACH},
	{"kprobe.multi+", T(KPROBE), 42},
	{"kretprobe.multi+", T(KPROBE), 42},
	{"kprobe.session+", T(KPROBE), 56},
	{"uprobe.multi+", T(KPROBE), 48},
	{"uretprobe.multi+", T(KPROBE), 48},
	{"uprobe.multi.s+", T(KPROBE), 48},
	{"uretprobe.multi.s+", T(KPROBE), 48},
	{"ksyscall+", T(KPROBE), NO_ATTACH},
	{"kretsyscall+", T(KPROBE), NO_ATTACH},
	{"usdt+", T(KPROBE), NO_ATTACH},
	{"usdt.s+", T(KPROBE), NO_ATTACH},
	{"tc/ingress", T(SCHED_CLS), 46},
	{"tc/egress", T(SCHED_CLS), 47},
	{"tcx/ingress", T(SCHED_CLS), 46},
	{"tcx/egress", T(SCHED_CLS), 47},
	{"netkit/primary", T(SCHED_CLS), 54},
	{"netkit/peer", T(SCHED_CLS), 55},
	{"tc", T(SCHED_CLS), NO_ATTACH},
	{"classifier", T(SCHED_CLS), NO_ATTACH},
	{"action", T(SCHED_ACT), NO_ATTACH},
	{"tracepoint+", T(TRACEPOINT), NO_ATTACH},
	{"tp+", T(TRACEPOINT), NO_ATTACH},
	{"raw_tracepoint+", T(RAW_TRACEPOINT), NO_ATTACH},
	{"raw_tp+", T(RAW_TRACEPOINT), NO_ATTACH},
	{"raw_tracepoint.w+", T(RAW_TRACEPOINT_WRITABLE), NO_ATTACH},
	{"raw_tp.w+", T(RAW_TRACEPOINT_WRITABLE), NO_ATTACH},
	{"tp_btf+", T(TRACING), 23},
	{"fentry+", T(TRACING), 24},
	{"fmod_ret+", T(TRACING), 26},
	{"fexit+", T(TRACING), 25},
	{"fentry.s+", T(TRACING), 24},
	{"fmod_ret.s+", T(TRACING), 26},
	{"fexit.s+", T(TRACING), 25},
	{"freplace+", T(EXT), NO_ATTACH},
	{"lsm+", T(LSM), 27},
	{"lsm.s+", T(LSM), 27},
	{"lsm_cgroup+", T(LSM), 43},
	{"iter+", T(TRACING), 28},
	{"iter.s+", T(TRACING), 28},
	{"syscall", T(SYSCALL), NO_ATTACH},
	{"xdp.frags/devmap", T(XDP), 33},
	{"xdp/devmap", T(XDP), 33},
	{"xdp.frags/cpumap", T(XDP), 35},
	{"xdp/cpumap", T(XDP), 35},
	{"xdp.frags", T(XDP), 37},
	{"xdp", T(XDP), 37},
	{"perf_event", T(PERF_EVENT), NO_ATTACH},
	{"lwt_in", T(LWT_IN), NO_ATTACH},
	{"lwt_out", T(LWT_OUT), NO_ATTACH},
	{"lwt_xmit", T(LWT_XMIT), NO_ATTACH},
	{"lwt_seg6local", T(LWT_SEG6LOCAL), NO_ATTACH},
	{"sockops", T(SOCK_OPS), 3},
	{"sk_skb/stream_parser", T(SK_SKB), 4},
	{"sk_skb/stream_verdict", T(SK_SKB), 5},
	{"sk_skb/verdict", T(SK_SKB), 38},
	{"sk_skb", T(SK_SKB), NO_ATTACH},
	{"sk_msg", T(SK_MSG), 7},
	{"lirc_mode2", T(LIRC_MODE2), 16},
	{"flow_dissector", T(FLOW_DISSECTOR), 17},
	{"cgroup_skb/ingress", T(CGROUP_SKB), 0},
	{"cgroup_skb/egress", T(CGROUP_SKB), 1},
	{"cgroup/skb", T(CGROUP_SKB), NO_ATTACH},
	{"cgroup/sock_create", T(CGROUP_SOCK), 2},
	{"cgroup/sock_release", T(CGROUP_SOCK), 34},
	{"cgroup/sock", T(CGROUP_SOCK), 2},
	{"cgroup/post_bind4", T(CGROUP_SOCK), 12},
	{"cgroup/post_bind6", T(CGROUP_SOCK), 13},
	{"cgroup/bind4", T(CGROUP_SOCK_ADDR), 8},
	{"cgroup/bind6", T(CGROUP_SOCK_ADDR), 9},
	{"cgroup/connect4", T(CGROUP_SOCK_ADDR), 10},
	{"cgroup/connect6", T(CGROUP_SOCK_ADDR), 11},
	{"cgroup/connect_unix", T(CGROUP_SOCK_ADDR), 49},
	{"cgroup/sendmsg4", T(CGROUP_SOCK_ADDR), 14},
	{"cgroup/sendmsg6", T(CGROUP_SOCK_ADDR), 15},
	{"cgroup/sendmsg_unix", T(CGROUP_SOCK_ADDR), 50},
	{"cgroup/recvmsg4", T(CGROUP_SOCK_ADDR), 19},
	{"cgroup/recvmsg6", T(CGROUP_SOCK_ADDR), 20},
	{"cgroup/recvmsg_unix", T(CGROUP_SOCK_ADDR), 51},
	{"cgroup/getpeername4", T(CGROUP_SOCK_ADDR), 29},
	{"cgroup/getpeername6", T(CGROUP_SOCK_ADDR), 30},
	{"cgroup/getpeername_unix", T(CGROUP_SOCK_ADDR), 52},
	{"cgroup/getsockname4", T(CGROUP_SOCK_ADDR), 31},
	{"cgroup/getsockname6", T(CGROUP_SOCK_ADDR), 32},
	{"cgroup/getsockname_unix", T(CGROUP_SOCK_ADDR), 53},
	{"cgroup/sysctl", T(CGROUP_SYSCTL), 18},
	{"cgroup/getsockopt", T(CGROUP_SOCKOPT), 21},
	{"cgroup/setsockopt", T(CGROUP_SOCKOPT), 22},
	{"cgroup/dev", T(CGROUP_DEVICE), 6},
	{"struct_ops+", T(STRUCT_OPS), NO_ATTACH},
	{"struct_ops.s+", T(STRUCT_OPS), NO_ATTACH},
	{"sk_lookup", T(SK_LOOKUP), 36},
	{"netfilter", T(NETFILTER), 45},
};
#undef T

/* libbpf's rule: "name+" matches "name" and "name/...", others exactly. */
static int matches(const char *pat, const char *sec)
{
	size_t len = strlen(pat);
	if (pat[len - 1] != '+')
		return strcmp(pat, sec) == 0;
	len--;
	if (strncmp(sec, pat, len))
		return 0;
	return sec[len] == '\0' || sec[len] == '/';
}

enum bpftk_sec_match bpftk_object_sec_type(const char *section,
					   enum bpftk_prog_type *type,
					   int *attach_type)
{
	const struct secdef *best = NULL;
	enum bpftk_sec_match how = BPFTK_SEC_MATCH_NONE;
	size_t n = sizeof(secdefs) / sizeof(secdefs[0]);
	for (size_t i = 0; section && i < n && !best; i++)
		if (matches(secdefs[i].pat, section)) {
			best = &secdefs[i];
			how = BPFTK_SEC_MATCH_EXACT;
		}
	/* legacy: the longest pattern (without its '+') that prefixes the
	 * name, so "xdp_devmap" is not taken for "xdp" when both exist */
	size_t best_len = 0;
	if (section && how == BPFTK_SEC_MATCH_NONE) {
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(secdefs[i].pat);
			if (secdefs[i].pat[len - 1] == '+')
				len--;
			if (len > best_len && !strncmp(section, secdefs[i].pat, len)) {
				best = &secdefs[i];
				best_len = len;
			}
		}
		if (best)
			how = BPFTK_SEC_MATCH_LEGACY;
	}
	if (type)
		*type = best ? best->type : BPFTK_PROG_TYPE_UNSPEC;
	if (attach_type)
		*attach_type = best ? best->attach : NO_ATTACH;
	return how;
}

static const char *const prog_names[] = {
	"unspec",	  "socket_filter",	   "kprobe",
	"sched_cls",	  "sched_act",		   "tracepoint",
	"xdp",		  "perf_event",		   "cgroup_skb",
	"cgroup_sock",	  "lwt_in",		   "lwt_out",
	"lwt_xmit",	  "sock_ops",		   "sk_skb",
	"cgroup_device",  "sk_msg",		   "raw_tracepoint",
	"cgroup_sock_addr", "lwt_seg6local",	   "lirc_mode2",
	"sk_reuseport",	  "flow_dissector",	   "cgroup_sysctl",
	"raw_tracepoint_writable", "cgroup_sockopt", "tracing",
	"struct_ops",	  "ext",		   "lsm",
	"sk_lookup",	  "syscall",		   "netfilter",
};

const char *bpftk_object_prog_type_name(enum bpftk_prog_type t)
{
	if ((unsigned)t >= sizeof(prog_names) / sizeof(prog_names[0]))
		return NULL;
	return prog_names[t];
}

static const char *const map_names[] = {
	"unspec",	  "hash",	      "array",
	"prog_array",	  "perf_event_array", "percpu_hash",
	"percpu_array",	  "stack_trace",      "cgroup_array",
	"lru_hash",	  "lru_percpu_hash",  "lpm_trie",
	"array_of_maps",  "hash_of_maps",     "devmap",
	"sockmap",	  "cpumap",	      "xskmap",
	"sockhash",	  "cgroup_storage",   "reuseport_sockarray",
	"percpu_cgroup_storage", "queue",     "stack",
	"sk_storage",	  "devmap_hash",      "struct_ops",
	"ringbuf",	  "inode_storage",    "task_storage",
	"bloom_filter",	  "user_ringbuf",     "cgrp_storage",
	"arena",
};

const char *bpftk_object_map_type_name(uint32_t map_type)
{
	if (map_type >= sizeof(map_names) / sizeof(map_names[0]))
		return NULL;
	return map_names[map_type];
}
