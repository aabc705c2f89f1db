/* pcap.c — bpftk_pcap_run (hooks.h): a run's program over every packet of
 * a pcap capture, through bpftk_run_test, with libpcap for reading and
 * writing captures.
 *
 * Invariants: one packet buffer (the captured bytes, behind a stand-in
 * Ethernet header for socket filters on other link types) and one output
 * buffer live for the whole call; the output buffer is larger than any
 * frame bpftk_run_test builds, so -ENOSPC cannot happen; every pcap
 * handle opened here is closed on every path.  Only the first fault's
 * diagnostics reach the caller's list: later ones go to a scratch list
 * that is cleared per packet, so a capture of a million faulting packets
 * does not grow memory.
 */
#include <errno.h>
#include <string.h>

#include <pcap/pcap.h>

#include <bpftk/hooks.h>

#include "../util/util_int.h"

#define ETH_HLEN 14
#define OUT_CAP (64 * 1024 + 8192) /* > the 4096-byte XDP frame, skb too */
#define OUT_SNAPLEN 262144	   /* libpcap's MAXIMUM_SNAPLEN */

enum kind { K_XDP, K_TC, K_SOCKET };

const char *bpftk_pcap_link_name(int link_type)
{
	return pcap_datalink_val_to_name(link_type);
}

/* Ethertype for a stand-in Ethernet header in front of a non-Ethernet
 * packet: raw-IP link types say which IP version they carry. */
static uint16_t stand_in_proto(int dlt, const unsigned char *p, uint32_t n)
{
	switch (dlt) {
	case DLT_IPV4:
		return 0x0800;
	case DLT_IPV6:
		return 0x86dd;
	case DLT_RAW:
		if (n && (p[0] >> 4) == 4)
			return 0x0800;
		if (n && (p[0] >> 4) == 6)
			return 0x86dd;
		return 0;
	default:
		return 0;
	}
}

static int passes(enum kind k, uint32_t retval)
{
	switch (k) {
	case K_XDP:
		return retval == 2; /* XDP_PASS */
	case K_TC:
		return retval == 0 || (int32_t)retval == -1; /* OK, UNSPEC */
	case K_SOCKET:
	default:
		return retval != 0;
	}
}

static void count_verdict(struct bpftk_pcap_stats *st, uint32_t retval)
{
	for (size_t i = 0; i < st->nverdicts; i++) {
		if (st->verdicts[i].retval == retval) {
			st->verdicts[i].count++;
			return;
		}
	}
	if (st->nverdicts < BPFTK_PCAP_MAX_VERDICTS) {
		st->verdicts[st->nverdicts].retval = retval;
		st->verdicts[st->nverdicts].count = 1;
		st->nverdicts++;
		return;
	}
	st->other++;
}

/* Copies the diagnostics of a fault to d behind a note naming the packet. */
static int first_fault(struct bpftk_diags *d, const char *in_path,
		       uint64_t pkt, const struct bpftk_diags *scratch)
{
	int err = bpftk_diags_add(d, BPFTK_SEV_NOTE, in_path, 0, 0, NULL, -1,
				  "first runtime fault at packet %llu:",
				  (unsigned long long)pkt);
	for (size_t i = 0; !err && i < bpftk_diags_count(scratch); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(scratch, i);
		err = bpftk_diags_add(d, g->severity, g->file, g->line, g->col,
				      g->prog, g->insn, "%s", g->msg);
	}
	return err;
}

int bpftk_pcap_run(struct bpftk_run *r, const char *in_path,
		   const struct bpftk_pcap_opts *opts,
		   struct bpftk_pcap_stats *st, struct bpftk_diags *d)
{
	if (!r || !in_path || !st || st->sz != sizeof(*st) ||
	    (opts && opts->sz != sizeof(*opts)))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->sz = sizeof(*st);

	const struct bpftk_progtype *pt = bpftk_run_progtype(r);
	enum kind k;
	if (pt && pt->type == BPFTK_PROG_TYPE_XDP) {
		k = K_XDP;
	} else if (pt && (pt->type == BPFTK_PROG_TYPE_SCHED_CLS ||
			  pt->type == BPFTK_PROG_TYPE_SCHED_ACT)) {
		k = K_TC;
	} else if (pt && pt->type == BPFTK_PROG_TYPE_SOCKET_FILTER) {
		k = K_SOCKET;
	} else {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, in_path, 0, 0, NULL, -1,
				"captures run XDP, tc or socket filter "
				"programs, not %s programs",
				pt ? pt->name : "raw");
		return -EINVAL;
	}

	char errbuf[PCAP_ERRBUF_SIZE];
	errbuf[0] = 0;
	pcap_t *in = pcap_open_offline(in_path, errbuf);
	if (!in) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, in_path, 0, 0, NULL, -1,
				"cannot read the capture: %s", errbuf);
		return -EIO;
	}
	int dlt = pcap_datalink(in);
	st->link_type = dlt;
	if (k != K_SOCKET && dlt != DLT_EN10MB) {
		const char *ln = pcap_datalink_val_to_name(dlt);
		bpftk_diags_add(d, BPFTK_SEV_ERROR, in_path, 0, 0, NULL, -1,
				"link type %s (%d) is not Ethernet: %s programs "
				"expect Ethernet frames",
				ln ? ln : "unknown", dlt, pt->name);
		pcap_close(in);
		return -EPROTONOSUPPORT;
	}
	/* Socket filters skip an Ethernet header that is not in the capture. */
	size_t pad = k == K_SOCKET && dlt != DLT_EN10MB ? ETH_HLEN : 0;

	int err = 0;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	unsigned char *pkt = NULL, *out = NULL;
	struct bpftk_diags *scratch = bpftk_diags_new();
	size_t pkt_cap = 0;
	if (!scratch || !(out = bpftk_malloc(OUT_CAP))) {
		err = -ENOMEM;
		goto done;
	}
	if (opts && opts->out_path) {
		dead = pcap_open_dead_with_tstamp_precision(
			dlt, OUT_SNAPLEN, pcap_get_tstamp_precision(in));
		if (dead)
			dump = pcap_dump_open(dead, opts->out_path);
		if (!dump) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, opts->out_path, 0,
					0, NULL, -1,
					"cannot write the capture: %s",
					dead ? pcap_geterr(dead)
					     : "out of memory");
			err = -EIO;
			goto done;
		}
	}

	struct pcap_pkthdr *h;
	const u_char *bytes;
	int got;
	while ((got = pcap_next_ex(in, &h, &bytes)) == 1) {
		st->packets++;
		if (opts && opts->progress && opts->progress_every &&
		    st->packets % opts->progress_every == 0)
			opts->progress(opts->progress_ctx, st->packets);
		size_t len = pad + h->caplen;
		if (len > pkt_cap) {
			bpftk_free(pkt);
			pkt_cap = len < 2048 ? 2048 : len;
			if (!(pkt = bpftk_malloc(pkt_cap))) {
				err = -ENOMEM;
				goto done;
			}
		}
		if (pad) {
			memset(pkt, 0, ETH_HLEN);
			uint16_t proto = stand_in_proto(dlt, bytes, h->caplen);
			pkt[12] = (unsigned char)(proto >> 8);
			pkt[13] = (unsigned char)proto;
		}
		memcpy(pkt + pad, bytes, h->caplen);

		struct bpftk_test_run_opts t;
		memset(&t, 0, sizeof(t));
		t.sz = sizeof(t);
		t.data_in = pkt;
		t.data_size_in = (uint32_t)len;
		t.data_out = out;
		t.data_size_out = OUT_CAP;
		t.repeat = 1;
		t.cpu = opts ? opts->cpu : 0;
		bpftk_diags_clear(scratch);
		int e = bpftk_run_test(r, &t, scratch);
		if (e == -ENOMEM) {
			err = e;
			goto done;
		}
		if (e == -EINVAL || e == -E2BIG) {
			/* the packet, not the program: too short or too big */
			st->skipped++;
			continue;
		}
		st->run++;
		if (e) {
			if (!st->faults++) {
				st->first_fault = st->packets;
				if (first_fault(d, in_path, st->packets,
						scratch)) {
					err = -ENOMEM;
					goto done;
				}
			}
			continue;
		}
		count_verdict(st, t.retval);
		if (!passes(k, t.retval))
			continue;
		st->passed++;
		if (!dump)
			continue;
		size_t olen = t.data_size_out;
		if (k == K_SOCKET) {
			/* data_out starts at the Ethernet header; the return
			 * value counts bytes from the network header */
			size_t l3 = olen > ETH_HLEN ? olen - ETH_HLEN : 0;
			if (t.retval < l3)
				olen = ETH_HLEN + t.retval;
		}
		if (olen < pad)
			olen = pad;
		struct pcap_pkthdr oh = *h;
		oh.caplen = (bpf_u_int32)(olen - pad);
		oh.len = oh.caplen + (h->len > h->caplen ? h->len - h->caplen
							 : 0);
		pcap_dump((u_char *)dump, &oh, out + pad);
		st->written++;
	}
	if (got == PCAP_ERROR) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, in_path, 0, 0, NULL, -1,
				"capture damaged after packet %llu: %s",
				(unsigned long long)st->packets,
				pcap_geterr(in));
		err = -EIO;
	}
done:
	if (dump) {
		if (pcap_dump_flush(dump) && !err) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, opts->out_path, 0,
					0, NULL, -1, "cannot write the capture");
			err = -EIO;
		}
		pcap_dump_close(dump);
	}
	if (dead)
		pcap_close(dead);
	pcap_close(in);
	bpftk_free(pkt);
	bpftk_free(out);
	bpftk_diags_free(scratch);
	return err;
}
