/* bench_vm.c — the interpreter benchmark: each program of bench/progs runs
 * natively (clang -O2) and as BPF bytecode (clang -target bpf -O2 -mcpu=v3)
 * in the fast and the checked interpreter, bpftk's JIT (n/a while
 * bpftk_vm_new refuses BPFTK_VM_JIT) and the live kernel (BPF_PROG_TEST_RUN,
 * see bench_kern.c for how r1/r2 reach it; n/a with the reason where bpf()
 * is not permitted or the verifier refuses the program); one table of ns
 * per run and ratios to native, with the geometric mean.  Then the object
 * benchmarks (bench_obj.c): map-heavy and packet-parsing XDP programs
 * through bpftk_run_test and the kernel's test run side by side.
 *
 * Every engine first runs on freshly prepared memory and must return the
 * native result, so a wrong interpreter cannot post a time.  Times are the
 * thread's CPU time (so other load on the machine does not count, only its
 * effect on caches), the best of several batches of at least ~20 ms each,
 * with the engines interleaved batch by batch.  The kernel's numbers are
 * its own (test run duration, the best of several ~20 ms runs), wall time
 * inside the kernel with preemption off.
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

#include "bench_kern.h"
#include "bench_obj.h"
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

#define E_JIT (-1)

static struct bpftk_vm *make_vm(const struct bench_prog *p, int engine)
{
	struct bpftk_vm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.mode = engine == E_JIT ? BPFTK_VM_JIT
		 : (engine == E_FAST || engine == E_FAST_SWITCH) ? BPFTK_VM_FAST
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
	if (err && engine == E_JIT) {
		bpftk_vm_free(vm);
		vm = NULL;
	} else if (err) {
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
	printf(" %11s %8s %11s %8s\n", "jit ns", "jit/nat", "kernel ns",
	       "kern/nat");
	char kwhy[256];
	int kernel = bench_kern_probe(kwhy, sizeof(kwhy)) == 0;
	char notes[16][300];
	int nnotes = 0;
	double jlog = 0, klog = 0;
	int jn = 0, kn = 0;

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
		struct job jobs[2 + E_COUNT]; /* + the JIT, when it loads */
		unsigned long runs[2 + E_COUNT];
		double best[2 + E_COUNT];
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
		/* the JIT goes last, as job 1 + engines, when it loads and
		 * agrees with native */
		int njobs = 1 + engines;
		if (ok) {
			struct job *j = &jobs[njobs];
			*j = jobs[0];
			j->vm = make_vm(p, E_JIT);
			p->input(mem, len);
			if (j->vm && run_once(j) == want && !j->failed)
				njobs++;
			else
				bpftk_vm_free(j->vm);
		}
		/* Rounds interleave the engines, so that a change of machine
		 * load hits all of them alike; each keeps its best batch. */
		for (int k = 0; ok && k < njobs; k++) {
			runs[k] = calibrate(&jobs[k], min_ns);
			best[k] = batch(&jobs[k], runs[k]);
		}
		for (int r = 1; ok && r < reps; r++)
			for (int k = 0; k < njobs; k++) {
				double t = batch(&jobs[k], runs[k]);
				if (t < best[k])
					best[k] = t;
			}
		for (int e = 1; ok && e < njobs; e++)
			bpftk_vm_free(jobs[e].vm);
		double tn = best[0];
		double tk = 0;
		unsigned long long kr0 = 0;
		if (ok && kernel) {
			char why[256];
			p->input(mem, len);
			if (bench_kern_mem(p->bpf, p->bpf_len, mem, len, &kr0, &tk,
					   why, sizeof(why))) {
				tk = 0;
				if (nnotes < 16)
					snprintf(notes[nnotes++], sizeof(notes[0]),
						 "%s: kernel n/a: %s", p->name,
						 why);
			} else if (kr0 != (want & 0xffffffffu)) {
				tk = 0;
				if (nnotes < 16)
					snprintf(notes[nnotes++], sizeof(notes[0]),
						 "%s: kernel returned %#llx, native "
						 "%#llx (low 32 bits)",
						 p->name, kr0, want & 0xffffffffu);
			}
		}
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
		if (njobs > 1 + engines) {
			double tj = best[1 + engines];
			printf(" %11.1f %7.1fx", tj, tj / tn);
			jlog += log(tj / tn);
			jn++;
		} else {
			printf(" %11s %8s", "n/a", "");
		}
		if (tk > 0) {
			printf(" %11.1f %7.1fx\n", tk, tk / tn);
			klog += log(tk / tn);
			kn++;
		} else {
			printf(" %11s %8s\n", "n/a", "");
		}
		counted++;
	}
	if (counted) {
		printf("%-10s %11s", "geomean", "");
		for (int e = 0; e < engines; e++)
			printf(" %11s %7.1fx", "", exp(logsum[e] / counted));
		if (jn)
			printf(" %11s %7.1fx", "", exp(jlog / jn));
		else
			printf(" %11s %8s", "n/a", "");
		if (kn)
			printf(" %11s %7.1fx\n", "", exp(klog / kn));
		else
			printf(" %11s %8s\n", "n/a", "");
	}
	if (!jn)
		printf("jit: n/a (bpftk_vm_new/load refuses BPFTK_VM_JIT in "
		       "this build)\n");
	if (!kernel)
		printf("kernel: n/a (%s)\n", kwhy);
	else
		printf("kernel: BPF_PROG_TEST_RUN, sched_cls wrapper, memory "
		       "in an array map value (bench_kern.c); geomean over %d "
		       "programs\n",
		       kn);
	for (int i = 0; i < nnotes; i++)
		printf("  %s\n", notes[i]);
	if (bench_obj_main(quick, kernel) < 0)
		bad++;
	return bad ? 1 : 0;
}
