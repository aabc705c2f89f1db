/* bench_vm.c — the interpreter benchmark: each program of bench/progs runs
 * natively (clang -O2) and as BPF bytecode (clang -target bpf -O2 -mcpu=v3)
 * in the fast and the checked interpreter; one table of ns per run and
 * ratios to native, with the geometric mean.
 *
 * Every engine first runs on freshly prepared memory and must return the
 * native result, so a wrong interpreter cannot post a time.  Times are the
 * thread's CPU time (so other load on the machine does not count, only its
 * effect on caches), the best of several batches of at least ~20 ms each,
 * with the engines interleaved batch by batch.  The kernel column
 * (BPF_PROG_TEST_RUN) is not measured yet and shows n/a.
 *
 *   bench_vm [--quick] [--switch] [NAME...]
 *     --quick   shorter batches (a smoke run)
 *     --switch  also time the portable switch dispatch
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpftk/isa.h>
#include <bpftk/vm.h>

#include "bench_vm.h"

enum { E_FAST, E_CHECKED, E_FAST_SWITCH, E_CHECKED_SWITCH, E_COUNT };

struct job {
	const struct bench_prog *p;
	unsigned char *mem;
	unsigned long long len;
	struct bpftk_vm *vm; /* NULL: native */
	int failed;
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile unsigned long long sink;

static unsigned long long run_once(struct job *j)
{
	if (!j->vm)
		return j->p->native(j->mem, j->len);
	uint64_t r0 = 0;
	if (bpftk_vm_run_mem(j->vm, j->mem, (size_t)j->len, &r0, NULL))
		j->failed = 1;
	return r0;
}

/* Runs per batch so that one batch takes at least min_ns. */
static unsigned long calibrate(struct job *j, double min_ns)
{
	for (unsigned long n = 1;; n *= 2) {
		double t0 = now_ns();
		for (unsigned long k = 0; k < n; k++)
			sink = run_once(j);
		if (now_ns() - t0 >= min_ns)
			return n;
	}
}

/* ns per run of one batch of n runs. */
static double batch(struct job *j, unsigned long n)
{
	double t0 = now_ns();
	for (unsigned long k = 0; k < n; k++)
		sink = run_once(j);
	return (now_ns() - t0) / (double)n;
}

static struct bpftk_vm *make_vm(const struct bench_prog *p, int engine)
{
	struct bpftk_vm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.mode = (engine == E_FAST || engine == E_FAST_SWITCH) ? BPFTK_VM_FAST
								 : BPFTK_VM_CHECKED;
	o.flags = engine >= E_FAST_SWITCH ? BPFTK_VM_SWITCH_DISPATCH : 0;
	o.name = p->name;
	size_t n = p->bpf_len / 8;
	struct bpftk_insn *insns = malloc((n ? n : 1) * sizeof(*insns));
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_vm *vm = NULL;
	int err = -1;
	if (insns && d && bpftk_isa_decode(p->bpf, p->bpf_len, 0, insns, d,
					   p->name) >= 0 &&
	    bpftk_vm_new(&o, &vm) == 0)
		err = bpftk_vm_load(vm, insns, n, d);
	if (err) {
		char line[512];
		fprintf(stderr, "bench: %s: cannot load the bytecode\n", p->name);
		for (size_t i = 0; i < bpftk_diags_count(d); i++) {
			bpftk_diag_format(bpftk_diags_get(d, i), line,
					  sizeof(line));
			fprintf(stderr, "  %s\n", line);
		}
		bpftk_vm_free(vm);
		vm = NULL;
	}
	free(insns);
	bpftk_diags_free(d);
	return vm;
}

static int wanted(const char *name, int argc, char **argv)
{
	int any = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		if (!strcmp(argv[i], name))
			return 1;
	}
	return !any;
}

int main(int argc, char **argv)
{
	int quick = 0, with_switch = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--switch"))
			with_switch = 1;
		else if (argv[i][0] == '-') {
			fprintf(stderr,
				"usage: bench_vm [--quick] [--switch] [NAME...]\n");
			return 2;
		}
	}
	double min_ns = quick ? 2e6 : 2e7;
	int reps = quick ? 3 : 7;
	int engines = with_switch ? E_COUNT : 2;
	static const char *const ename[E_COUNT] = {"fast", "checked",
						   "fast-sw", "checked-sw"};

	printf("%-10s %11s", "program", "native ns");
	for (int e = 0; e < engines; e++)
		printf(" %11s %8s", e == E_FAST	     ? "fast ns"
				    : e == E_CHECKED ? "checked ns"
				    : e == E_FAST_SWITCH ? "fast-sw ns"
							 : "chk-sw ns",
		       e == E_FAST ? "fast/nat" : e == E_CHECKED ? "chk/nat" : "/nat");
	printf(" %10s\n", "kernel ns");

	double logsum[E_COUNT] = {0};
	int counted = 0, bad = 0;
	for (size_t i = 0; i < bench_nprogs; i++) {
		const struct bench_prog *p = &bench_progs[i];
		if (!wanted(p->name, argc, argv))
			continue;
		unsigned long long len = *p->size;
		unsigned char *mem = malloc(len);
		if (!mem)
			return 1;
		/* job 0 is native, job 1 + e the interpreter engine e */
		struct job jobs[1 + E_COUNT];
		unsigned long runs[1 + E_COUNT];
		double best[1 + E_COUNT];
		memset(jobs, 0, sizeof(jobs));
		jobs[0].p = p;
		jobs[0].mem = mem;
		jobs[0].len = len;
		p->input(mem, len);
		unsigned long long want = run_once(&jobs[0]);
		int ok = 1;
		for (int e = 0; e < engines && ok; e++) {
			struct job *j = &jobs[1 + e];
			*j = jobs[0];
			j->vm = make_vm(p, e);
			if (!j->vm) {
				ok = 0;
				break;
			}
			p->input(mem, len);
			unsigned long long got = run_once(j);
			if (j->failed || got != want) {
				fprintf(stderr,
					"bench: %s: %s interpreter returned %#llx, "
					"native %#llx%s\n",
					p->name, ename[e], got, want,
					j->failed ? " (fault)" : "");
				ok = 0;
			}
		}
		/* Rounds interleave the engines, so that a change of machine
		 * load hits all of them alike; each keeps its best batch. */
		for (int k = 0; ok && k <= engines; k++) {
			runs[k] = calibrate(&jobs[k], min_ns);
			best[k] = batch(&jobs[k], runs[k]);
		}
		for (int r = 1; ok && r < reps; r++)
			for (int k = 0; k <= engines; k++) {
				double t = batch(&jobs[k], runs[k]);
				if (t < best[k])
					best[k] = t;
			}
		for (int e = 0; e < engines; e++)
			bpftk_vm_free(jobs[1 + e].vm);
		double tn = best[0];
		double *te = best + 1;
		free(mem);
		if (!ok) {
			bad++;
			continue;
		}
		printf("%-10s %11.1f", p->name, tn);
		for (int e = 0; e < engines; e++) {
			printf(" %11.1f %7.1fx", te[e], te[e] / tn);
			logsum[e] += log(te[e] / tn);
		}
		printf(" %10s\n", "n/a");
		counted++;
	}
	if (counted) {
		printf("%-10s %11s", "geomean", "");
		for (int e = 0; e < engines; e++)
			printf(" %11s %7.1fx", "", exp(logsum[e] / counted));
		printf(" %10s\n", "n/a");
	}
	printf("(kernel column: BPF_PROG_TEST_RUN is not wired up yet)\n");
	return bad ? 1 : 0;
}
