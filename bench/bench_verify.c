/* bench_verify.c — how long bpftk's verifier takes against the kernel's,
 * over the programs of the corpus (SHARED/corpus/ebpf-samples) that the
 * live kernel accepts.
 *
 * The kernel's time is what its verifier log reports at log_level 4
 * ("verification time N usec": bpf_check from start to end, wall clock,
 * microseconds), the best of KERNEL_REPS loads through libbpf
 * (tests/unit/kernel_accept.h).  Ours is bpftk_verify_object_prog on the
 * same program with the same type, wall clock, the best of OUR_REPS runs
 * (fewer once they add up to 2 s):
 * both sides measure the verifier alone, not opening the object or
 * creating maps.  Programs bpftk rejects are listed and left out of the
 * means.  The table gives both times and instruction counts side by side;
 * the summary the geometric mean of bpftk/kernel over all programs (the
 * kernel's whole microseconds clamped to at least 1) and over those the
 * kernel needs at least 10 us for.
 *
 * Usage: bench_verify [SHARED_DIR] [-v]   (needs bpf(): root)
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <bpftk/object.h>
#include <bpftk/verifier.h>

#include "kernel_accept.h"

#define KERNEL_REPS 3
#define OUR_REPS 5

static double sum_log_all, sum_log_big;
static unsigned n_all, n_big, n_rejected, n_kernel;
static double k_total_us, b_total_us;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void bench_prog(const char *path, const char *rel,
		       const struct bpftk_object *o,
		       const struct bpftk_object_prog *p)
{
	struct kacc_result k;
	int type;
	long k_us = -1, k_insns = -1;
	for (int i = 0; i < KERNEL_REPS; i++) {
		if (kacc_load_any(path, o, p, &type, &k) ||
		    k.verdict != KACC_ACCEPTED)
			return;
		if (k.verify_us >= 0 && (k_us < 0 || k.verify_us < k_us))
			k_us = k.verify_us;
		k_insns = k.insns;
	}
	n_kernel++;
	struct bpftk_verify_opts vo;
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.type = (enum bpftk_prog_type)type;
	vo.expected_attach_type = bpftk_object_prog_attach_type(p);
	double best = -1;
	uint64_t insns = 0;
	int err = 0;
	double spent = 0;
	/* programs that take long are timed fewer times */
	for (int i = 0; i < OUR_REPS && !err && spent < 2e6; i++) {
		struct bpftk_verify_result *res = NULL;
		double t0 = now_us();
		err = bpftk_verify_object_prog(o, p, &vo, &res, NULL);
		double t = now_us() - t0;
		spent += t;
		if (res)
			insns = bpftk_verify_result_stats(res)->insns_processed;
		bpftk_verify_result_free(res);
		if (best < 0 || t < best)
			best = t;
	}
	const char *name = bpftk_object_prog_name(p);
	size_t n = 0;
	bpftk_object_prog_insns(p, &n);
	if (err) {
		n_rejected++;
		printf("%-44.44s %-22.22s %6zu %8ld %8ld %9s %9s   (bpftk "
		       "rejects: %d)\n",
		       rel, name, n, k_insns, k_us, "-", "-", err);
		return;
	}
	double kk = k_us < 1 ? 1.0 : (double)k_us;
	double ratio = best / kk;
	printf("%-44.44s %-22.22s %6zu %8ld %8ld %9llu %9.1f %7.3f\n", rel,
	       name, n, k_insns, k_us, (unsigned long long)insns, best, ratio);
	sum_log_all += log(ratio);
	n_all++;
	k_total_us += kk;
	b_total_us += best;
	if (k_us >= 10) {
		sum_log_big += log(ratio);
		n_big++;
	}
}

static void bench_file(const char *root, const char *rel)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	    (int)sizeof(path))
		return;
	struct bpftk_object *o = NULL;
	if (bpftk_object_open_file(path, NULL, &o, NULL))
		return;
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++)
		bench_prog(path, rel, o, bpftk_object_prog_at(o, i));
	bpftk_object_close(o);
}

int main(int argc, char **argv)
{
	const char *shared = argc > 1 ? argv[1] : "../shared";
	char why[256];
	if (kacc_probe(why, sizeof(why))) {
		printf("bench_verify: skipped: %s\n", why);
		return 0;
	}
	char root[4096];
	snprintf(root, sizeof(root), "%s/corpus/ebpf-samples", shared);
	printf("verification time, kernel (log_level 4, best of %d loads) vs "
	       "bpftk (best of %d runs)\n",
	       KERNEL_REPS, OUR_REPS);
	printf("%-44s %-22s %6s %8s %8s %9s %9s %7s\n", "object", "program",
	       "insns", "k.insns", "k.us", "b.insns", "b.us", "b/k");
	kacc_walk(root, "", bench_file);
	printf("\n%u programs the kernel accepts; bpftk rejects %u of them\n",
	       n_kernel, n_rejected);
	if (n_all)
		printf("geometric mean bpftk/kernel time: %.3f over %u programs "
		       "(kernel us clamped to >= 1); total %.0f us vs %.0f us\n",
		       exp(sum_log_all / n_all), n_all, b_total_us, k_total_us);
	if (n_big)
		printf("geometric mean bpftk/kernel time: %.3f over the %u "
		       "programs the kernel needs >= 10 us for\n",
		       exp(sum_log_big / n_big), n_big);
	return 0;
}
