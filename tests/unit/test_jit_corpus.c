/* test_jit_corpus.c — every XDP, tc and socket-filter program of the shared
 * corpus (../shared/corpus/ebpf-samples) over every capture of
 * ../shared/pcaps (Ethernet captures only for XDP and tc, as
 * tests/run_pcap.sh does), through the public run API: first with every
 * access checked (BPFTK_RUN_CHECKED where the run API has it, else mode
 * CHECKED), then, where that run ended without a single fault, in JIT mode
 * (bpftk_run_opts.mode = BPFTK_VM_JIT).  Both must agree on the packets
 * given to the program, the verdict counts, the packets that pass and the
 * faults (none).  A program that faulted in checked mode is not run
 * natively: the JIT trusts programs as the fast interpreter does.  The
 * checked run is done twice; where the two disagree the program's verdicts
 * are not reproducible, and the capture is counted, not compared.
 * Programs calling the clock or random helpers are not compared either
 * (bpf_get_prandom_u32 is seeded per run: equal streams are luck).
 * Programs the run API does not load in JIT mode (a verifier rejection,
 * say) are counted, not failed; a load that falls back to the interpreter
 * is counted and listed. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <sys/stat.h>

#include <bpftk/hooks.h>
#include <bpftk/isa.h>
#include <bpftk/object.h>
#include <bpftk/run.h>

#include "test.h"

#define MAX_CAPS 256

static char caps[MAX_CAPS][1300];
static int cap_eth[MAX_CAPS];
static int ncaps;

/* Captures and whether they are Ethernet (INDEX.tsv column 3 is the DLT). */
static void read_index(const char *dir)
{
	char path[1024], line[4096];
	if (snprintf(path, sizeof(path), "%s/INDEX.tsv", dir) >= (int)sizeof(path))
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && ncaps < MAX_CAPS) {
		char name[256], type[256];
		int dlt;
		if (sscanf(line, "%255[^\t]\t%255[^\t]\t%d", name, type, &dlt) != 3)
			continue;
		if (snprintf(caps[ncaps], sizeof(caps[0]), "%s/%s", dir, name) >=
		    (int)sizeof(caps[0]))
			continue;
		cap_eth[ncaps++] = dlt == 1;
	}
	fclose(f);
}

static int objects(const char *dir, char (*out)[1024], int max, int n)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return n;
	struct dirent *e;
	while ((e = readdir(dp)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue;
		struct stat st;
		if (stat(path, &st))
			continue;
		size_t l = strlen(e->d_name);
		if (S_ISDIR(st.st_mode))
			n = objects(path, out, max, n);
		else if (l > 2 && !strcmp(e->d_name + l - 2, ".o"))
			memcpy(out[n++], path, sizeof(path));
	}
	closedir(dp);
	return n;
}

static int has_jit_warning(const struct bpftk_diags *d)
{
	for (size_t i = 0; i < bpftk_diags_count(d); i++)
		if (strstr(bpftk_diags_get(d, i)->msg, "JIT"))
			return 1;
	return 0;
}

/* Does p call a helper whose result changes from run to run?  Kernel ids:
 * ktime_get_ns 5, get_prandom_u32 7, jiffies64 118, ktime_get_boot_ns 125,
 * ktime_get_coarse_ns 160, ktime_get_tai_ns 208. */
static int nondeterministic(const struct bpftk_object_prog *p)
{
	size_t n = 0;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	for (size_t i = 0; in && i < n; i++) {
		if (bpftk_isa_lookup(&in[i]) != BPFTK_OP_CALL)
			continue;
		switch (in[i].imm) {
		case 5: case 7: case 118: case 125: case 160: case 208:
			return 1;
		}
	}
	return 0;
}

static int same_stats(const struct bpftk_pcap_stats *a,
		      const struct bpftk_pcap_stats *b)
{
	if (a->packets != b->packets || a->run != b->run ||
	    a->skipped != b->skipped || a->faults != b->faults ||
	    a->passed != b->passed || a->nverdicts != b->nverdicts ||
	    a->other != b->other)
		return 0;
	for (size_t i = 0; i < a->nverdicts; i++)
		if (a->verdicts[i].retval != b->verdicts[i].retval ||
		    a->verdicts[i].count != b->verdicts[i].count)
			return 0;
	return 1;
}

static int pcap_with(const struct bpftk_object *o, const char *prog,
		     enum bpftk_vm_mode mode, const char *cap,
		     struct bpftk_pcap_stats *st, int *fell_back)
{
	struct bpftk_run_opts ro = {.sz = sizeof(ro), .prog_name = prog,
				    .mode = mode};
	struct bpftk_run *r = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_run_new(o, &ro, &r, d);
	if (!err && fell_back)
		*fell_back = has_jit_warning(d);
	if (!err) {
		memset(st, 0, sizeof(*st));
		st->sz = sizeof(*st);
		err = bpftk_pcap_run(r, cap, NULL, st, NULL);
	}
	bpftk_run_free(r);
	bpftk_diags_free(d);
	return err;
}

static void corpus(void)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/pcaps", test_shared);
	read_index(dir);
	static char objs[512][1024];
	snprintf(dir, sizeof(dir), "%s/corpus/ebpf-samples", test_shared);
	int nobj = objects(dir, objs, 512, 0);
	if (!nobj || !ncaps) {
		printf("skip: no corpus or captures under %s\n", test_shared);
		return;
	}
	long progs = 0, runs = 0, compared = 0, packets = 0, faulted = 0,
	     nojit = 0, fallbacks = 0, differ = 0, random = 0;
	for (int i = 0; i < nobj; i++) {
		struct bpftk_object *o = NULL;
		if (bpftk_object_open_file(objs[i], NULL, &o, NULL))
			continue;
		for (size_t k = 0; k < bpftk_object_prog_count(o); k++) {
			const struct bpftk_object_prog *p = bpftk_object_prog_at(o, k);
			enum bpftk_prog_type t = bpftk_object_prog_type(p);
			int sock = t == BPFTK_PROG_TYPE_SOCKET_FILTER;
			if (!sock && t != BPFTK_PROG_TYPE_XDP &&
			    t != BPFTK_PROG_TYPE_SCHED_CLS &&
			    t != BPFTK_PROG_TYPE_SCHED_ACT)
				continue;
			const char *name = bpftk_object_prog_name(p);
			int counted = 0, jit_ok = 1;
			for (int c = 0; c < ncaps && jit_ok; c++) {
				if (!sock && !cap_eth[c])
					continue;
				struct bpftk_pcap_stats a, a2, b;
				if (pcap_with(o, name, BPFTK_VM_CHECKED, caps[c], &a,
					      NULL))
					break; /* not loadable: run_pcap.sh lists it */
				if (!counted++)
					progs++;
				runs++;
				if (nondeterministic(p) ||
				    pcap_with(o, name, BPFTK_VM_CHECKED, caps[c], &a2,
					      NULL) ||
				    !same_stats(&a, &a2)) {
					random++;
					continue;
				}
				if (a.faults) {
					faulted++;
					continue;
				}
				int fb = 0;
				int err = pcap_with(o, name, BPFTK_VM_JIT, caps[c], &b,
						    &fb);
				if (err) {
					nojit++;
					jit_ok = 0;
					printf("not loaded in JIT mode (%d): %s %s\n",
					       err, objs[i] + strlen(test_shared), name);
					continue;
				}
				if (fb && !fallbacks++)
					printf("JIT fell back: %s %s\n", objs[i], name);
				compared++;
				packets += (long)a.run;
				if (!same_stats(&a, &b)) {
					differ++;
					printf("DIFFER %s %s over %s: passed %" PRIu64
					       "/%" PRIu64 " faults %" PRIu64
					       "/%" PRIu64 "\n",
					       objs[i], name, caps[c], a.passed,
					       b.passed, a.faults, b.faults);
				}
			}
		}
		bpftk_object_close(o);
	}
	printf("corpus: %ld programs x captures: %ld checked runs, %ld not "
	       "reproducible run to run (clock, random), %ld with faults (not run natively), "
	       "%ld compared with the JIT (%ld packets): %ld differ; %ld "
	       "programs not loadable in JIT mode, %ld JIT loads fell back\n",
	       progs, runs, random, faulted, compared, packets, differ, nojit,
	       fallbacks);
	CHECK(differ == 0);
	CHECK(fallbacks == 0);
	CHECK(compared > 0);
}

TEST_MAIN(corpus())
