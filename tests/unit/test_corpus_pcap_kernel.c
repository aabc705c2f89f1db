/* test_corpus_pcap_kernel.c — every XDP, tc and socket-filter program of
 * ../shared/corpus/ebpf-samples that the live kernel accepts runs over
 * every capture of ../shared/pcaps in bpftk's checked mode without a
 * single runtime fault (the strict form of issue 3's proof; it replaces
 * the "faults are findings" part of tests/run_pcap.sh).
 *
 * Program types: the section's, as libbpf reads it.  Where the section
 * implies none, the loader each project uses decides, and that is what
 * type_of_file() encodes: Cilium's bpf_lxc/bpf_netdev/bpf_overlay/bpf_lb
 * are attached by tc (`tc filter ... bpf da obj F sec S`: sched_cls)
 * and its bpf_xdp* objects by `ip link set dev D xdp obj F sec S` (xdp);
 * the kernel samples tc_l2_redirect_kern, tcbpf1_kern, test_cgrp2_tc_kern
 * and prototype-kernel's tc_bench01_redirect_kern go through tc too;
 * Suricata's filter, bypass_filter, lb and vlan_filter are attached with
 * SO_ATTACH_BPF (socket_filter).  The kernel then judges each program as
 * that type (tests/unit/kernel_accept.h); the verdict is the filter.
 *
 * For each accepted program: bpftk_run_new in checked mode, then
 * bpftk_pcap_run over every capture (XDP and tc only over Ethernet ones,
 * as in the kernel; socket filters over all).  Fails on: a kernel-accepted
 * program bpftk cannot load, any runtime fault, a packet count that
 * differs from INDEX.tsv (tcpdump's count), any error of the run.
 * Prints the counts.  Without bpf() every program bpftk loads runs, the
 * kernel filter is skipped and the output says so (faults then only
 * counted, since the kernel might reject the faulting program).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/hooks.h>
#include <bpftk/object.h>
#include <bpftk/run.h>

#include "test.h"
#include "test_corpus_walk.h"

#ifdef BPFTK_HAVE_LIBBPF
/* gcc sees a possible truncation in the header's snprintf of a log tail
 * (a tail is what is wanted there) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "kernel_accept.h"
#endif

/* ---- the captures (INDEX.tsv: file, link type, dlt, packets, ...) ---- */

struct cap {
	char file[128];
	int dlt;
	long packets;
};
static struct cap caps[128];
static size_t ncaps;

static void read_index(void)
{
	char path[4096], line[4096];
	FILE *f = NULL;
	if (snprintf(path, sizeof(path), "%s/pcaps/INDEX.tsv", test_shared) <
	    (int)sizeof(path))
		f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && ncaps < 128) {
		char *file = strtok(line, "\t"), *lt = strtok(NULL, "\t");
		char *dlt = strtok(NULL, "\t"), *pk = strtok(NULL, "\t");
		if (!file || !lt || !dlt || !pk || !strcmp(file, "file"))
			continue;
		snprintf(caps[ncaps].file, sizeof(caps[ncaps].file), "%s",
			 file);
		caps[ncaps].dlt = atoi(dlt);
		caps[ncaps].packets = atol(pk);
		ncaps++;
	}
	fclose(f);
}

/* ---- program types ---- */

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* The type the project's loader gives programs whose section names none
 * (see the header); 0 when there is none to justify. */
static enum bpftk_prog_type type_of_file(const char *rel)
{
	static const struct {
		const char *suffix;
		enum bpftk_prog_type type;
	} map[] = {
		{"cilium/bpf_lxc.o", BPFTK_PROG_TYPE_SCHED_CLS},
		{"cilium/bpf_netdev.o", BPFTK_PROG_TYPE_SCHED_CLS},
		{"cilium/bpf_overlay.o", BPFTK_PROG_TYPE_SCHED_CLS},
		{"cilium/bpf_lb.o", BPFTK_PROG_TYPE_SCHED_CLS},
		{"linux/tc_l2_redirect_kern.o", BPFTK_PROG_TYPE_SCHED_CLS},
		{"linux/tcbpf1_kern.o", BPFTK_PROG_TYPE_SCHED_CLS},
		{"linux/test_cgrp2_tc_kern.o", BPFTK_PROG_TYPE_SCHED_CLS},
		{"prototype-kernel/tc_bench01_redirect_kern.o",
		 BPFTK_PROG_TYPE_SCHED_CLS},
		{"suricata/filter.o", BPFTK_PROG_TYPE_SOCKET_FILTER},
		{"suricata/bypass_filter.o", BPFTK_PROG_TYPE_SOCKET_FILTER},
		{"suricata/lb.o", BPFTK_PROG_TYPE_SOCKET_FILTER},
		{"suricata/vlan_filter.o", BPFTK_PROG_TYPE_SOCKET_FILTER},
	};
	if (strstr(rel, "cilium/bpf_xdp"))
		return BPFTK_PROG_TYPE_XDP;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ends_with(rel, map[i].suffix))
			return map[i].type;
	return BPFTK_PROG_TYPE_UNSPEC;
}

static int runnable_type(enum bpftk_prog_type t)
{
	return t == BPFTK_PROG_TYPE_XDP || t == BPFTK_PROG_TYPE_SCHED_CLS ||
	       t == BPFTK_PROG_TYPE_SCHED_ACT ||
	       t == BPFTK_PROG_TYPE_SOCKET_FILTER;
}

/* ---- the run ---- */

static int have_kernel;
static long n_candidates, n_accepted, n_rejected, n_unloadable, n_ran;
static long n_noload, n_runs, n_faults, n_faulty_progs;
static unsigned long long n_packets;

/* The first error of d (else its first message). */
static void first_diag(struct bpftk_diags *d, char *out, size_t cap)
{
	out[0] = '\0';
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < bpftk_diags_count(d); i++) {
			const struct bpftk_diag *g = bpftk_diags_get(d, i);
			if ((pass || g->severity == BPFTK_SEV_ERROR) &&
			    bpftk_diag_format(g, out, cap) >= 0 && out[0])
				return;
		}
}

static void run_prog(const char *path, const char *rel,
		     const struct bpftk_object *o,
		     const struct bpftk_object_prog *p,
		     enum bpftk_prog_type type)
{
	const char *name = bpftk_object_prog_name(p);
	char msg[1024];
	n_candidates++;
#ifdef BPFTK_HAVE_LIBBPF
	if (have_kernel) {
		struct kacc_result k;
		if (kacc_load(path, o, p, (int)type, -1, &k)) {
			CHECK(0);
			return;
		}
		if (k.verdict == KACC_REJECTED) {
			n_rejected++;
			return;
		}
		if (k.verdict == KACC_UNLOADABLE) {
			n_unloadable++;
			return;
		}
		n_accepted++;
	}
#else
	(void)path;
#endif
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_run_opts ro;
	struct bpftk_run *r = NULL;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.prog_name = name;
	ro.mode = BPFTK_VM_CHECKED;
	ro.flags = BPFTK_RUN_NO_VERIFY; /* checked runs, as the kernel judged */
	ro.type = type;
	int err = bpftk_run_new(o, &ro, &r, d);
	if (err) {
		first_diag(d, msg, sizeof(msg));
		n_noload++;
		printf("%s %s %s: %s\n", have_kernel ? "FAIL: kernel-accepted"
						    : "not loadable:",
		       rel, name, msg[0] ? msg : "(no diagnostic)");
		if (have_kernel)
			CHECK(err == 0);
		bpftk_diags_free(d);
		return;
	}
	n_ran++;
	long faults = 0;
	for (size_t i = 0; i < ncaps; i++) {
		char cpath[4096];
		if (type != BPFTK_PROG_TYPE_SOCKET_FILTER && caps[i].dlt != 1)
			continue;
		if (snprintf(cpath, sizeof(cpath), "%s/pcaps/%s", test_shared,
			     caps[i].file) >= (int)sizeof(cpath))
			continue;
		struct bpftk_pcap_opts po;
		struct bpftk_pcap_stats st;
		memset(&po, 0, sizeof(po));
		po.sz = sizeof(po);
		memset(&st, 0, sizeof(st));
		st.sz = sizeof(st);
		bpftk_diags_clear(d);
		err = bpftk_pcap_run(r, cpath, &po, &st, d);
		first_diag(d, msg, sizeof(msg));
		if (err) {
			printf("FAIL: %s %s over %s: error %d: %s\n", rel, name,
			       caps[i].file, err, msg);
			CHECK(err == 0);
			continue;
		}
		n_runs++;
		n_packets += st.packets;
		if ((long)st.packets != caps[i].packets) {
			printf("FAIL: %s %s over %s: %llu packets, INDEX.tsv "
			       "says %ld\n",
			       rel, name, caps[i].file,
			       (unsigned long long)st.packets,
			       caps[i].packets);
			CHECK(0);
		}
		if (st.faults) {
			faults += (long)st.faults;
			printf("%s: %s %s over %s: %llu of %llu packets fault; "
			       "first (packet %llu): %s\n",
			       have_kernel ? "FAIL" : "fault", rel, name,
			       caps[i].file, (unsigned long long)st.faults,
			       (unsigned long long)st.packets,
			       (unsigned long long)st.first_fault, msg);
		}
	}
	if (faults) {
		n_faults += faults;
		n_faulty_progs++;
		if (have_kernel)
			CHECK(faults == 0);
	}
	bpftk_run_free(r);
	bpftk_diags_free(d);
}

static void check_file(const char *root, const char *rel)
{
	char path[4096];
	struct bpftk_object *o = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >=
		    (int)sizeof(path) ||
	    bpftk_object_open_file(path, NULL, &o, NULL))
		return; /* test_object_corpus covers what does not open */
	enum bpftk_prog_type ft = type_of_file(rel);
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, i);
		enum bpftk_prog_type t = bpftk_object_prog_type(p);
		if (t == BPFTK_PROG_TYPE_UNSPEC)
			t = ft;
		if (runnable_type(t))
			run_prog(path, rel, o, p, t);
	}
	bpftk_object_close(o);
}

static void run(void)
{
	char root[4096], why[256] = "libbpf not found at build time";
	if (snprintf(root, sizeof(root), "%s/corpus/ebpf-samples",
		     test_shared) >= (int)sizeof(root))
		return;
#ifdef BPFTK_HAVE_LIBBPF
	have_kernel = kacc_probe(why, sizeof(why)) == 0;
#endif
	if (!have_kernel)
		printf("skip: kernel filter (%s): every program bpftk loads "
		       "runs; faults are counted, not failed\n",
		       why);
	read_index();
	CHECK(ncaps > 50);
	DIR *dd = opendir(root);
	CHECK(dd != NULL);
	if (!dd)
		return;
	char *subs[64];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dd)) && n < 64)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "invalid"))
			subs[n++] = strdup(de->d_name);
	closedir(dd);
	qsort(subs, n, sizeof(subs[0]), corpus_cmp_str);
	for (size_t i = 0; i < n; i++) {
		corpus_walk(root, subs[i], 0, check_file);
		free(subs[i]);
	}
	if (have_kernel)
		printf("kernel: %ld XDP/tc/socket programs judged: %ld "
		       "accepted, %ld rejected, %ld never reached the "
		       "verifier\n",
		       n_candidates, n_accepted, n_rejected, n_unloadable);
	printf("corpus: %ld programs run (%ld not loadable by bpftk) x %zu "
	       "captures (Ethernet only for XDP/tc): %ld runs, %llu packets, "
	       "%ld runtime faults in %ld programs\n",
	       n_ran, n_noload, ncaps, n_runs, n_packets, n_faults,
	       n_faulty_progs);
	CHECK(n_ran > 30);
}

TEST_MAIN(run())
