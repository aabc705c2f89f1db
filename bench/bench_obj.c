/* bench_obj.c — object benchmarks: real XDP programs (bench/objs, built
 * with clang -target bpf -O2 -g) through bpftk_run_test and through the
 * kernel's BPF_PROG_TEST_RUN, side by side, in ns per run:
 *  - map_hash: 64 hash lookups/inserts per packet;
 *  - map_percpu: 64 per-CPU array counter updates;
 *  - map_lpm: 32 longest-prefix lookups in a trie of 256 prefixes (filled
 *    the same way on both sides before timing);
 *  - xdp_parse: a parser over the real packets of the Ethernet captures
 *    of ../shared/pcaps (the mean over all packets).
 * Both sides return the same verdict for every packet or the row says how
 * many differ.  Times are the best of several rounds per side (bpftk's
 * wall time is not shielded from preemption on a loaded machine).  bpftk runs in its fast engine when the program loads
 * verified for it, else checked (the column says which).
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
	struct bpftk_run *run;
	const char *engine;
	struct bench_kobj *k;
};

static int open_bpftk(struct side *s, const char *path, const char *prog)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_object_open_file(path, NULL, &s->obj, d);
	static const enum bpftk_vm_mode modes[] = {BPFTK_VM_FAST,
						   BPFTK_VM_CHECKED};
	for (int m = 0; !err && m < 2; m++) {
		struct bpftk_run_opts ro;
		memset(&ro, 0, sizeof(ro));
		ro.sz = sizeof(ro);
		ro.prog_name = prog;
		ro.mode = modes[m];
		/* fast needs the program verified; checked runs it as is */
		ro.flags = m ? BPFTK_RUN_NO_VERIFY : 0;
		err = bpftk_run_new(s->obj, &ro, &s->run, d);
		if (!err) {
			s->engine = m ? "checked" : "fast";
			break;
		}
		if (!m)
			err = 0;
	}
	if (err) {
		char line[512] = "";
		if (bpftk_diags_count(d))
			bpftk_diag_format(bpftk_diags_get(d, 0), line,
					  sizeof(line));
		fprintf(stderr, "bench: %s: bpftk cannot run it: %s\n", prog,
			line);
	}
	bpftk_diags_free(d);
	return err;
}

static int run_bpftk(struct side *s, const struct pkt *p, int repeat,
		     double *ns, unsigned *ret)
{
	struct bpftk_test_run_opts t;
	memset(&t, 0, sizeof(t));
	t.sz = sizeof(t);
	t.data_in = p->data;
	t.data_size_in = p->len;
	t.repeat = repeat;
	if (bpftk_run_test(s->run, &t, NULL))
		return -1;
	*ns = (double)t.duration;
	*ret = t.retval;
	return 0;
}

static void fill_lpm(struct side *s)
{
	struct bpftk_map *m = bpftk_run_map(s->run, "routes");
	for (int i = 0; m && i < 256; i++) {
		struct lpm_key k;
		uint32_t v;
		lpm_prefix(i, &k, &v);
		bpftk_map_update_elem(m, &k, &v, 0);
	}
	for (int i = 0; s->k && i < 256; i++) {
		struct lpm_key k;
		uint32_t v;
		lpm_prefix(i, &k, &v);
		bench_kobj_update(s->k, "routes", &k, &v);
	}
}

int bench_obj_main(int quick, int kernel)
{
	static const char *const progs[] = {"map_hash", "map_percpu",
					    "map_lpm", "xdp_parse"};
	static struct pkt pkts[4096];
	size_t npk = load_packets(pkts, quick ? 300 : 1000);
	int repeat = quick ? 20 : 200, bad = 0;
	printf("\n%-11s %8s %12s %12s %9s %s\n", "object", "bpftk", "bpftk ns",
	       "kernel ns", "bpftk/k", "packets");
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
		if (kernel && bench_kobj_open(path, progs[i], &s.k, why,
					      sizeof(why)))
			s.k = NULL;
		if (!strcmp(progs[i], "map_lpm"))
			fill_lpm(&s);
		int parse = !strcmp(progs[i], "xdp_parse");
		struct pkt one = synthetic();
		const struct pkt *set = parse ? pkts : &one;
		size_t n = parse ? npk : 1;
		/* both sides report wall time; bpftk's is not shielded from
		 * preemption like the kernel's, so each side keeps the best
		 * of several rounds */
		int reps = parse ? repeat / 4 : repeat * 10, rounds = parse ? 3 : 7;
		double tb = 0, tk = 0;
		size_t differ = 0, done = 0;
		for (size_t k = 0; k < n; k++) {
			double bb = 0, bk = 0;
			unsigned rb = 0, rk = 0;
			int okb = 0;
			for (int rd = 0; rd < rounds; rd++) {
				double nb, nk;
				if (!run_bpftk(&s, &set[k], reps, &nb, &rb)) {
					okb = 1;
					if (!bb || nb < bb)
						bb = nb;
				}
				if (s.k && bench_kobj_run(s.k, set[k].data,
							  set[k].len, reps, &nk,
							  &rk)) {
					snprintf(why, sizeof(why),
						 "test run failed");
					bench_kobj_close(s.k);
					s.k = NULL;
				} else if (s.k && (!bk || nk < bk)) {
					bk = nk;
				}
			}
			if (!okb)
				continue;
			tb += bb;
			tk += bk;
			differ += s.k && rb != rk;
			done++;
		}
		if (!done) {
			printf("%-11s %8s %12s %12s %9s %s\n", progs[i], s.engine,
			       "n/a", "n/a", "", parse ? "no packets" : "failed");
			bad++;
		} else {
			printf("%-11s %8s %12.1f", progs[i], s.engine,
			       tb / (double)done);
			if (s.k)
				printf(" %12.1f %8.2fx", tk / (double)done,
				       tb / tk);
			else
				printf(" %12s %9s", "n/a", "");
			printf(" %zu%s", done, parse ? " real" : " synthetic");
			if (differ)
				printf(", %zu verdicts differ!", differ);
			if (!s.k && kernel)
				printf(" (kernel: %s)", why);
			printf("\n");
			if (differ)
				bad++;
		}
		bench_kobj_close(s.k);
		bpftk_run_free(s.run);
		bpftk_object_close(s.obj);
	}
	for (size_t k = 0; k < npk; k++)
		free(pkts[k].data);
	return bad ? -1 : 0;
}
