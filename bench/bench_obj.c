/* bench_obj.c — object benchmarks: real XDP programs (bench/objs, built
 * with clang -target bpf -O2 -g) through bpftk_run_test, in bpftk's
 * interpreter and in its JIT, and through the kernel's BPF_PROG_TEST_RUN,
 * side by side, in ns per run:
 *  - map_hash: 64 hash lookups/inserts per packet;
 *  - map_percpu: 64 per-CPU array counter updates;
 *  - map_lpm: 32 longest-prefix lookups in a trie of 256 prefixes (filled
 *    the same way on every side before timing);
 *  - xdp_parse: a parser over the real packets of the Ethernet captures
 *    of ../shared/pcaps (the mean over all packets).
 * Every side returns the same verdict for every packet or the row says
 * how many differ.  Times are the best of several rounds per side
 * (bpftk's wall time is not shielded from preemption on a loaded
 * machine).  The interpreter column runs the fast engine when the program
 * loads verified for it, else checked (the column says which); the JIT
 * column is n/a, with the JIT's reason, when the program does not verify
 * or its load fell back to the interpreter.  Each bpftk side has its own
 * run, so its own maps, as the kernel has.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/object.h>
#include <bpftk/run.h>

#include "bench_kern.h"
#include "bench_obj.h"

#ifndef BENCH_OBJ_DIR
#define BENCH_OBJ_DIR "."
#endif
#ifndef BENCH_SHARED
#define BENCH_SHARED "../shared"
#endif

struct pkt {
	unsigned char *data;
	uint32_t len;
};

/* The packets of every Ethernet capture listed in INDEX.tsv (classic
 * pcap files of either byte order), at most max of them.  The shared
 * directory is BENCH_SHARED, or $BENCH_SHARED when set. */
static size_t load_packets(struct pkt *out, size_t max)
{
	char path[4096], line[4096];
	size_t n = 0;
	const char *shared = getenv("BENCH_SHARED");
	if (!shared)
		shared = BENCH_SHARED;
	snprintf(path, sizeof(path), "%s/pcaps/INDEX.tsv", shared);
	FILE *ix = fopen(path, "r");
	if (!ix)
		return 0;
	while (n < max && fgets(line, sizeof(line), ix)) {
		char *file = strtok(line, "\t");
		strtok(NULL, "\t");
		char *dlt = strtok(NULL, "\t");
		if (!file || !dlt || atoi(dlt) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/pcaps/%s", shared, file);
		FILE *f = fopen(path, "rb");
		unsigned char h[24];
		if (!f)
			continue;
		if (fread(h, 1, 24, f) != 24) {
			fclose(f);
			continue;
		}
		uint32_t magic = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
		int swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
		if (!swap && magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
			fclose(f);
			continue; /* pcapng: not read here */
		}
		unsigned char r[16];
		while (n < max && fread(r, 1, 16, f) == 16) {
			uint32_t cap = swap ? (uint32_t)r[8] << 24 | r[9] << 16 |
						      r[10] << 8 | r[11]
					    : r[8] | r[9] << 8 | r[10] << 16 |
						      (uint32_t)r[11] << 24;
			if (cap > 65535)
				break;
			unsigned char *d = malloc(cap ? cap : 1);
			if (!d || fread(d, 1, cap, f) != cap) {
				free(d);
				break;
			}
			if (cap < 14 || cap > 3000) { /* test runs refuse them */
				free(d);
				continue;
			}
			out[n].data = d;
			out[n].len = cap;
			n++;
		}
		fclose(f);
	}
	fclose(ix);
	return n;
}

/* One synthetic IPv4/UDP packet for the map benchmarks. */
static struct pkt synthetic(void)
{
	static unsigned char p[64] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0,
		10, 1, 2, 3, 192, 168, 7, 9};
	struct pkt k = {p, sizeof(p)};
	return k;
}

/* 256 prefixes: 10.x.0.0/16 for x < 128 and 10.128.x.y/32 style routes */
struct lpm_key {
	uint32_t prefixlen;
	unsigned char addr[4];
};

static void lpm_prefix(int i, struct lpm_key *k, uint32_t *v)
{
	k->prefixlen = 8 + (uint32_t)(i % 25);
	k->addr[0] = 10;
	k->addr[1] = (unsigned char)(i * 37);
	k->addr[2] = (unsigned char)(i * 11);
	k->addr[3] = (unsigned char)i;
	*v = (uint32_t)i;
}

struct side {
	struct bpftk_object *obj;
	struct bpftk_run *run;	  /* interpreter */
	const char *engine;	  /* which: "fast" or "checked" */
	struct bpftk_run *jit;	  /* NULL: n/a, jwhy says why */
	char jwhy[200];
	struct bench_kobj *k;
};

static void first_diag(struct bpftk_diags *d, char *why, size_t cap)
{
	why[0] = '\0';
	if (bpftk_diags_count(d))
		bpftk_diag_format(bpftk_diags_get(d, 0), why, cap);
}

/* The JIT's fallback is a warning of a successful load (vm.h); the run
 * hides its vm, so the warning is the only sign that the column would
 * time the interpreter. */
static const struct bpftk_diag *jit_fallback(struct bpftk_diags *d,
					     const char *prog)
{
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		if (g->severity == BPFTK_SEV_WARNING && g->msg &&
		    !strncmp(g->msg, "JIT:", 4) &&
		    (!g->prog || !strcmp(g->prog, prog)))
			return g;
	}
	return NULL;
}

static int new_run(struct side *s, const char *prog, enum bpftk_vm_mode mode,
		   unsigned flags, struct bpftk_run **out,
		   struct bpftk_diags *d)
{
	struct bpftk_run_opts ro;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.prog_name = prog;
	ro.mode = mode;
	ro.flags = flags;
	bpftk_diags_clear(d);
	return bpftk_run_new(s->obj, &ro, out, d);
}

static int open_bpftk(struct side *s, const char *path, const char *prog)
{
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d)
		return -1;
	int err = bpftk_object_open_file(path, NULL, &s->obj, d);
	/* fast needs the program verified; checked runs it as is */
	if (!err && !new_run(s, prog, BPFTK_VM_FAST, 0, &s->run, d))
		s->engine = "fast";
	else if (!err && !(err = new_run(s, prog, BPFTK_VM_CHECKED,
					  BPFTK_RUN_NO_VERIFY, &s->run, d)))
		s->engine = "checked";
	if (err) {
		char line[512];
		first_diag(d, line, sizeof(line));
		fprintf(stderr, "bench: %s: bpftk cannot run it: %s\n", prog,
			line);
		bpftk_diags_free(d);
		return err;
	}
	if (new_run(s, prog, BPFTK_VM_JIT, 0, &s->jit, d)) {
		first_diag(d, s->jwhy, sizeof(s->jwhy));
		s->jit = NULL;
	} else {
		const struct bpftk_diag *g = jit_fallback(d, prog);
		if (g) {
			bpftk_diag_format(g, s->jwhy, sizeof(s->jwhy));
			bpftk_run_free(s->jit);
			s->jit = NULL;
		}
	}
	bpftk_diags_free(d);
	return 0;
}

static int run_bpftk(struct bpftk_run *r, const struct pkt *p, int repeat,
		     double *ns, unsigned *ret)
{
	struct bpftk_test_run_opts t;
	memset(&t, 0, sizeof(t));
	t.sz = sizeof(t);
	t.data_in = p->data;
	t.data_size_in = p->len;
	t.repeat = repeat;
	if (bpftk_run_test(r, &t, NULL))
		return -1;
	*ns = (double)t.duration;
	*ret = t.retval;
	return 0;
}

static void fill_lpm_run(struct bpftk_run *r)
{
	struct bpftk_map *m = r ? bpftk_run_map(r, "routes") : NULL;
	for (int i = 0; m && i < 256; i++) {
		struct lpm_key k;
		uint32_t v;
		lpm_prefix(i, &k, &v);
		bpftk_map_update_elem(m, &k, &v, 0);
	}
}

static void fill_lpm(struct side *s)
{
	fill_lpm_run(s->run);
	fill_lpm_run(s->jit);
	for (int i = 0; s->k && i < 256; i++) {
		struct lpm_key k;
		uint32_t v;
		lpm_prefix(i, &k, &v);
		bench_kobj_update(s->k, "routes", &k, &v);
	}
}

/* Keeps the smaller of *best (0: none yet) and t. */
static void keep_best(double *best, double t)
{
	if (!*best || t < *best)
		*best = t;
}

int bench_obj_main(int quick, int kernel)
{
	static const char *const progs[] = {"map_hash", "map_percpu",
					    "map_lpm", "xdp_parse"};
	static struct pkt pkts[4096];
	size_t npk = load_packets(pkts, quick ? 300 : 1000);
	int repeat = quick ? 20 : 200, bad = 0;
	char notes[8][300];
	int nnotes = 0;
	printf("\n%-11s %8s %12s %12s %12s %9s %9s %s\n", "object", "interp",
	       "interp ns", "jit ns", "kernel ns", "interp/k", "jit/k",
	       "packets");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char path[4096], why[256] = "";
		struct side s;
		memset(&s, 0, sizeof(s));
		snprintf(path, sizeof(path), "%s/%s.bpf.o", BENCH_OBJ_DIR,
			 progs[i]);
		if (open_bpftk(&s, path, progs[i])) {
			bad++;
			bpftk_object_close(s.obj);
			continue;
		}
		if (!s.jit && nnotes < 8)
			snprintf(notes[nnotes++], sizeof(notes[0]),
				 "%s: jit n/a: %s", progs[i], s.jwhy);
		if (kernel && bench_kobj_open(path, progs[i], &s.k, why,
					      sizeof(why)))
			s.k = NULL;
		if (!strcmp(progs[i], "map_lpm"))
			fill_lpm(&s);
		int parse = !strcmp(progs[i], "xdp_parse");
		struct pkt one = synthetic();
		const struct pkt *set = parse ? pkts : &one;
		size_t n = parse ? npk : 1;
		/* every side reports wall time; bpftk's is not shielded from
		 * preemption like the kernel's, so each side keeps the best
		 * of several rounds, the sides interleaved round by round */
		int reps = parse ? repeat / 4 : repeat * 10, rounds = parse ? 3 : 7;
		double tb = 0, tj = 0, tk = 0;
		size_t differ = 0, jdiffer = 0, done = 0;
		for (size_t k = 0; k < n; k++) {
			double bb = 0, bj = 0, bk = 0;
			unsigned rb = 0, rj = 0, rk = 0;
			int okb = 0;
			for (int rd = 0; rd < rounds; rd++) {
				double nb, nj, nk;
				if (!run_bpftk(s.run, &set[k], reps, &nb, &rb)) {
					okb = 1;
					keep_best(&bb, nb);
				}
				if (s.jit &&
				    run_bpftk(s.jit, &set[k], reps, &nj, &rj)) {
					snprintf(s.jwhy, sizeof(s.jwhy),
						 "test run failed");
					if (nnotes < 8)
						snprintf(notes[nnotes++],
							 sizeof(notes[0]),
							 "%s: jit: test run "
							 "failed",
							 progs[i]);
					bpftk_run_free(s.jit);
					s.jit = NULL;
					bad++;
				} else if (s.jit) {
					keep_best(&bj, nj);
				}
				if (s.k && bench_kobj_run(s.k, set[k].data,
							  set[k].len, reps, &nk,
							  &rk)) {
					snprintf(why, sizeof(why),
						 "test run failed");
					bench_kobj_close(s.k);
					s.k = NULL;
				} else if (s.k) {
					keep_best(&bk, nk);
				}
			}
			if (!okb)
				continue;
			tb += bb;
			tj += bj;
			tk += bk;
			differ += s.k && rb != rk;
			jdiffer += s.jit && rj != rb;
			done++;
		}
		if (!done) {
			printf("%-11s %8s %12s %12s %12s %9s %9s %s\n", progs[i],
			       s.engine, "n/a", "n/a", "n/a", "", "",
			       parse ? "no packets" : "failed");
			bad++;
		} else {
			double m = (double)done;
			printf("%-11s %8s %12.1f", progs[i], s.engine, tb / m);
			if (s.jit)
				printf(" %12.1f", tj / m);
			else
				printf(" %12s", "n/a");
			if (s.k)
				printf(" %12.1f %8.2fx", tk / m, tb / tk);
			else
				printf(" %12s %9s", "n/a", "");
			if (s.k && s.jit)
				printf(" %8.2fx", tj / tk);
			else
				printf(" %9s", "");
			printf(" %zu%s", done, parse ? " real" : " synthetic");
			if (differ)
				printf(", %zu kernel verdicts differ!", differ);
			if (jdiffer)
				printf(", %zu jit verdicts differ!", jdiffer);
			if (!s.k && kernel)
				printf(" (kernel: %s)", why);
			printf("\n");
			if (differ || jdiffer)
				bad++;
		}
		bench_kobj_close(s.k);
		bpftk_run_free(s.jit);
		bpftk_run_free(s.run);
		bpftk_object_close(s.obj);
	}
	for (int i = 0; i < nnotes; i++)
		printf("  %s\n", notes[i]);
	for (size_t k = 0; k < npk; k++)
		free(pkts[k].data);
	return bad ? -1 : 0;
}
