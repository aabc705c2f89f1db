/* bpftk/filter.h — the pcap-filter(7) language (tcpdump expressions)
 * compiled to classic BPF, as libpcap's pcap_compile() does, and to eBPF.
 *
 * The program returned accepts a packet by returning snaplen and rejects
 * it by returning 0, with libpcap's bpf_filter() semantics (a load past the
 * captured bytes rejects).  Host and network names are not resolved (no
 * DNS): hosts and networks are numeric; port and protocol names come from
 * the system's services/protocols databases and built-in tables.
 *
 * Errors (negative errno): -EINVAL (the expression was rejected: one error
 * diagnostic with file "expr", line 1 and the 1-based column of the token
 * where the problem was found, the message worded as libpcap words it),
 * -ENOTSUP (an unsupported link type or a construct this compiler does not
 * implement yet; also a diagnostic), -ENOMEM.
 */
#ifndef BPFTK_FILTER_H
#define BPFTK_FILTER_H

#include <bpftk/cbpf.h>
#include <bpftk/common.h>
#include <bpftk/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libpcap's PCAP_NETMASK_UNKNOWN: 'ip broadcast' is then an error. */
#define BPFTK_FILTER_NETMASK_UNKNOWN 0xffffffffu

enum bpftk_filter_flags {
	/* as libpcap's optimize: a filter that can never match is an error
	 * ("expression rejects all packets"), and the program goes through
	 * bpftk_cbpf_optimize */
	BPFTK_FILTER_OPTIMIZE = 1u << 0,
	/* code for a live capture on this host rather than for a savefile
	 * (libpcap's distinction): DLT_NULL/DLT_LOOP IPv6 is then the host's
	 * AF_INET6 only, not the three BSD values a savefile may hold */
	BPFTK_FILTER_LIVE = 1u << 1,
};

/* Link-layer type (DLT_* number) from its libpcap name without the DLT_
 * prefix ("EN10MB", "RAW", "LINUX_SLL"...), case-insensitive; -1 if
 * unknown.  bpftk_filter_dlt_name is the reverse (NULL if unknown). */
BPFTK_API int bpftk_filter_dlt_from_name(const char *name);
BPFTK_API const char *bpftk_filter_dlt_name(int dlt);

/* Compiles expr for link type dlt.  snaplen is what a match returns
 * (libpcap: the handle's snapshot length); netmask is the IPv4 netmask of
 * the network (host byte order) or BPFTK_FILTER_NETMASK_UNKNOWN.  An empty
 * expression accepts everything.  On success *out (free with
 * bpftk_cbpf_free) holds *n instructions, valid for BPFTK_CBPF_PCAP. */
BPFTK_API int bpftk_filter_compile(const char *expr, int dlt, uint32_t snaplen,
				   uint32_t netmask, unsigned flags,
				   struct bpftk_cbpf_insn **out, size_t *n,
				   struct bpftk_diags *d);

enum bpftk_filter_ebpf_kind {
	/* r1 = packet, r2 = captured length, r3 = wire length; r0 = snaplen
	 * on a match, 0 otherwise (the classic calling convention of
	 * bpftk_cbpf_to_ebpf) */
	BPFTK_FILTER_EBPF_RAW = 0,
	/* an XDP program: r1 = struct xdp_md *; XDP_PASS (2) on a match,
	 * XDP_DROP (1) otherwise */
	BPFTK_FILTER_EBPF_XDP = 1,
};

/* The same expression compiled to eBPF of the given kind; *out (free with
 * bpftk_cbpf_free) holds *n instruction slots.  Errors as above. */
BPFTK_API int bpftk_filter_compile_ebpf(const char *expr, int dlt,
					uint32_t snaplen, uint32_t netmask,
					unsigned flags,
					enum bpftk_filter_ebpf_kind kind,
					struct bpftk_insn **out, size_t *n,
					struct bpftk_diags *d);

#ifdef __cplusplus
}
#endif
#endif
