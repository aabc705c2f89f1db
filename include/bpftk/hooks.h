/* bpftk/hooks.h — runs of an object's program over real traffic: every
 * packet of a pcap capture goes through bpftk_run_test, verdicts are
 * counted, passing packets (as the program left them) can be written to
 * a new capture.
 *
 *     struct bpftk_pcap_stats st = {.sz = sizeof(st)};
 *     struct bpftk_pcap_opts o = {.sz = sizeof(o), .out_path = "out.pcap"};
 *     bpftk_pcap_run(run, "in.pcap", &o, &st, diags);
 *     // st.packets, st.verdicts[i].retval/.count, st.faults ...
 *
 * Link types: XDP and tc programs expect Ethernet frames, so a capture of
 * another link type is refused for them (-EPROTONOSUPPORT, with a
 * diagnostic naming the link type).  Socket filters take any capture:
 * their data starts at the network header, so a non-Ethernet packet is
 * given to them behind a 14-byte stand-in Ethernet header (ethertype
 * IPv4/IPv6 for raw-IP link types, 0 otherwise) and they see the captured
 * bytes as is; that header is removed again before writing.
 *
 * What passes: XDP_PASS; TC_ACT_OK (and TC_ACT_UNSPEC, the default
 * action); a socket filter's non-zero return, which also trims the packet
 * to that many bytes of network data, as sk_filter_trim_cap does.
 *
 * Faults (bad memory access, budget...) are counted per packet; the
 * diagnostics of the first one go to d, prefixed by a note naming the
 * packet number, later ones are only counted.  Packets bpftk_run_test
 * refuses (shorter than an Ethernet header, larger than the frame) are
 * counted as skipped.  Maps keep what every packet did.
 *
 * Errors: -EINVAL (bad sz, NULL arguments), -EIO (the capture cannot be
 * read or the output written; diagnostic with libpcap's message),
 * -EPROTONOSUPPORT (link type), -ENOMEM.  Faults are not errors: the call
 * returns 0 and st->faults says how many.
 */
#ifndef BPFTK_HOOKS_H
#define BPFTK_HOOKS_H

#include <bpftk/common.h>
#include <bpftk/run.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpftk_pcap_opts {
	size_t sz;	      /* sizeof(struct bpftk_pcap_opts) */
	const char *out_path; /* capture of the passing packets; NULL = none */
	/* Called every progress_every packets (0 = never). */
	uint64_t progress_every;
	void (*progress)(void *ctx, uint64_t packets);
	void *progress_ctx;
	unsigned cpu; /* CPU the program sees */
};

#define BPFTK_PCAP_MAX_VERDICTS 32

struct bpftk_pcap_verdict {
	uint32_t retval;
	uint64_t count;
};

struct bpftk_pcap_stats {
	size_t sz;	   /* set by the caller: sizeof(struct bpftk_pcap_stats) */
	int link_type;	   /* DLT_ of the capture */
	uint64_t packets;  /* read from the capture */
	uint64_t run;	   /* given to the program (packets - skipped) */
	uint64_t skipped;  /* refused by the test run (size) */
	uint64_t faults;   /* runs that faulted */
	uint64_t first_fault; /* 1-based packet number of the first fault */
	uint64_t passed;   /* packets that pass (see above) */
	uint64_t written;  /* packets written to out_path */
	/* Distinct return values in order of first appearance; values past
	 * BPFTK_PCAP_MAX_VERDICTS distinct ones are counted in other. */
	size_t nverdicts;
	struct bpftk_pcap_verdict verdicts[BPFTK_PCAP_MAX_VERDICTS];
	uint64_t other;
};

/* Runs r's program over every packet of the capture in_path. */
BPFTK_API int bpftk_pcap_run(struct bpftk_run *r, const char *in_path,
			     const struct bpftk_pcap_opts *opts,
			     struct bpftk_pcap_stats *st, struct bpftk_diags *d);

/* Name of a pcap link type ("EN10MB"), or NULL when libpcap has none. */
BPFTK_API const char *bpftk_pcap_link_name(int link_type);

#ifdef __cplusplus
}
#endif
#endif
