/* bench_vm.c — the VM benchmark: each program of bench/progs runs
 * natively (clang -O2) and as BPF bytecode (clang -target bpf -O2 -mcpu=v3)
 * in the fast and the checked interpreter, bpftk's JIT (BPFTK_VM_JIT; n/a
 * with the JIT's own reason when the load fell back to the interpreter)
 * and the live kernel's JIT (BPF_PROG_TEST_RUN, see bench_kern.c for how
 * r1/r2 reach it; n/a with the reason where bpf() is not permitted or the
 * verifier refuses the program); one table of ns per run, ratios to
 * native and bpftk's JIT against the kernel's, with geometric means.
 * Then the JIT's compile time: bpftk_vm_load in JIT mode (validation,
 * pre-decode and translation, code pages made executable) per instruction
 * slot, beside the fast interpreter's load for scale.  Then the object
 * benchmarks (bench_obj.c): map-heavy and packet-parsing XDP programs
 * through bpftk_run_test (interpreter and JIT) and the kernel's test run
 * side by side.
 *
 * Every engine first runs on freshly prepared memory and must return the
 * native result, so a wrong interpreter or JIT cannot post a time.  Times
 * are the thread's CPU time (so other load on the machine does not count,
 * only its effect on caches), the best of several batches of at least
 * ~20 ms each, with the engines interleaved batch by batch.  The kernel's
 * numbers are its own (test run duration, the best of several ~20 ms
 * runs), wall time inside the kernel with preemption off.  Load times are
 * the best of many loads (thread CPU time, which counts the system calls
 * that map and protect the code pages), each into a fresh vm.
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

static enum bpftk_vm_mode engine_mode(int engine)
{
	if (engine == E_JIT)
		return BPFTK_VM_JIT;
	return engine == E_FAST || engine == E_FAST_SWITCH ? BPFTK_VM_FAST
							   : BPFTK_VM_CHECKED;
}

static struct bpftk_vm *new_vm(const struct bench_prog *p, int engine)
{
	struct bpftk_vm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.mode = engine_mode(engine);
	o.flags = engine >= E_FAST_SWITCH ? BPFTK_VM_SWITCH_DISPATCH : 0;
	o.name = p->name;
	struct bpftk_vm *vm = NULL;
	return bpftk_vm_new(&o, &vm) ? NULL : vm;
}

/* The program's slots, decoded once; NULL when the bytecode does not
 * decode (the diagnostics then say why). */
static struct bpftk_insn *decode(const struct bench_prog *p, size_t *n,
				 struct bpftk_diags *d)
{
	*n = p->bpf_len / 8;
	struct bpftk_insn *insns = malloc((*n ? *n : 1) * sizeof(*insns));
	if (insns &&
	    bpftk_isa_decode(p->bpf, p->bpf_len, 0, insns, d, p->name) < 0) {
		free(insns);
		insns = NULL;
	}
	return insns;
}

static void first_diag(struct bpftk_diags *d, char *why, size_t cap)
{
	if (d && bpftk_diags_count(d))
		bpftk_diag_format(bpftk_diags_get(d, 0), why, cap);
	else
		snprintf(why, cap, "load failed");
}

/* A vm of the engine with the program loaded.  The JIT's load succeeds
 * even when it falls back to the fast interpreter, so a JIT vm without
 * native code is refused here (NULL, the JIT's warning in why): its
 * times would be the interpreter's under the JIT's name. */
static struct bpftk_vm *make_vm(const struct bench_prog *p, int engine,
				char *why, size_t cap)
{
	size_t n;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_insn *insns = d ? decode(p, &n, d) : NULL;
	struct bpftk_vm *vm = insns ? new_vm(p, engine) : NULL;
	int err = vm ? bpftk_vm_load(vm, insns, n, d) : -1;
	if (!err && engine == E_JIT &&
	    bpftk_vm_jit_code(vm, NULL, NULL, NULL, NULL))
		err = -1;
	if (err) {
		first_diag(d, why, cap);
		bpftk_vm_free(vm);
		vm = NULL;
	}
	free(insns);
	bpftk_diags_free(d);
	return vm;
}

/* The best time of one bpftk_vm_load of p in the engine, each into a
 * fresh vm, over at least reps loads and min_ns of loading (creating and
 * freeing the vm are not timed).  0 when a load fails or the JIT falls
 * back; *code gets the JIT's machine code size. */
static double load_ns(const struct bench_prog *p, int engine, int reps,
		      double min_ns, size_t *code)
{
	size_t n;
	struct bpftk_insn *insns = decode(p, &n, NULL);
	double best = 0, spent = 0;
	for (long k = 0; insns && (k < reps || spent < min_ns) && k < 100000;
	     k++) {
		struct bpftk_vm *vm = new_vm(p, engine);
		if (!vm) {
			best = 0;
			break;
		}
		double t0 = now_ns();
		int err = bpftk_vm_load(vm, insns, n, NULL);
		double t = now_ns() - t0;
		if (!err && engine == E_JIT)
			err = bpftk_vm_jit_code(vm, NULL, code, NULL, NULL);
		bpftk_vm_free(vm);
		if (err) {
			best = 0;
			break;
		}
		spent += t;
		if (!best || t < best)
			best = t;
	}
	free(insns);
	return best;
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

/* One program's load times, for the compile table. */
struct loadrow {
	const char *name;
	size_t slots, code;
	double jit, fast; /* ns per load; 0: n/a */
};

#define NOTES 32

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
	int load_reps = quick ? 20 : 200;
	double load_min = quick ? 2e6 : 2e7;
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
	printf(" %11s %8s %11s %8s %8s\n", "jit ns", "jit/nat", "kernel ns",
	       "kern/nat", "jit/kern");
	char kwhy[256];
	int kernel = bench_kern_probe(kwhy, sizeof(kwhy)) == 0;
	static char notes[NOTES][300];
	int nnotes = 0;
	double jlog = 0, klog = 0, jklog = 0;
	int jn = 0, kn = 0, jkn = 0;
	struct loadrow *loads = calloc(bench_nprogs ? bench_nprogs : 1,
				       sizeof(*loads));
	size_t nloads = 0;
	if (!loads)
		return 1;

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
		/* job 0 is native, job 1 + e the interpreter engine e, then
		 * the JIT when it compiles the program and agrees */
		struct job jobs[2 + E_COUNT];
		unsigned long runs[2 + E_COUNT];
		double best[2 + E_COUNT];
		char why[256];
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
			j->vm = make_vm(p, e, why, sizeof(why));
			if (!j->vm) {
				fprintf(stderr,
					"bench: %s: cannot load the bytecode: "
					"%s\n",
					p->name, why);
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
		int njobs = 1 + engines;
		if (ok) {
			struct job *j = &jobs[njobs];
			*j = jobs[0];
			j->vm = make_vm(p, E_JIT, why, sizeof(why));
			p->input(mem, len);
			unsigned long long got = j->vm ? run_once(j) : 0;
			if (j->vm && got == want && !j->failed) {
				njobs++;
			} else if (j->vm) {
				/* a wrong JIT is a bug, not a slow engine */
				fprintf(stderr,
					"bench: %s: JIT returned %#llx, native "
					"%#llx%s\n",
					p->name, got, want,
					j->failed ? " (fault)" : "");
				bad++;
				bpftk_vm_free(j->vm);
			} else if (nnotes < NOTES) {
				snprintf(notes[nnotes++], sizeof(notes[0]),
					 "%s: jit n/a: %s", p->name, why);
			}
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
		for (int e = 1; e < njobs; e++)
			bpftk_vm_free(jobs[e].vm);
		double tn = best[0];
		double tk = 0;
		unsigned long long kr0 = 0;
		if (ok && kernel) {
			p->input(mem, len);
			if (bench_kern_mem(p->bpf, p->bpf_len, mem, len, &kr0, &tk,
					   why, sizeof(why))) {
				tk = 0;
				if (nnotes < NOTES)
					snprintf(notes[nnotes++], sizeof(notes[0]),
						 "%s: kernel n/a: %s", p->name,
						 why);
			} else if (kr0 != (want & 0xffffffffu)) {
				tk = 0;
				if (nnotes < NOTES)
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
		double tj = njobs > 1 + engines ? best[1 + engines] : 0;
		if (tj > 0) {
			printf(" %11.1f %7.2fx", tj, tj / tn);
			jlog += log(tj / tn);
			jn++;
		} else {
			printf(" %11s %8s", "n/a", "");
		}
		if (tk > 0) {
			printf(" %11.1f %7.2fx", tk, tk / tn);
			klog += log(tk / tn);
			kn++;
		} else {
			printf(" %11s %8s", "n/a", "");
		}
		if (tj > 0 && tk > 0) {
			printf(" %7.2fx\n", tj / tk);
			jklog += log(tj / tk);
			jkn++;
		} else {
			printf(" %8s\n", "n/a");
		}
		counted++;
		/* after the runs, so the loads' page mapping does not disturb
		 * their caches */
		struct loadrow *lr = &loads[nloads++];
		lr->name = p->name;
		lr->slots = p->bpf_len / 8;
		lr->jit = load_ns(p, E_JIT, load_reps, load_min, &lr->code);
		lr->fast = load_ns(p, E_FAST, load_reps, load_min, NULL);
	}
	if (counted) {
		printf("%-10s %11s", "geomean", "");
		for (int e = 0; e < engines; e++)
			printf(" %11s %7.1fx", "", exp(logsum[e] / counted));
		if (jn)
			printf(" %11s %7.2fx", "", exp(jlog / jn));
		else
			printf(" %11s %8s", "n/a", "");
		if (kn)
			printf(" %11s %7.2fx", "", exp(klog / kn));
		else
			printf(" %11s %8s", "n/a", "");
		if (jkn)
			printf(" %7.2fx\n", exp(jklog / jkn));
		else
			printf(" %8s\n", "n/a");
	}
	printf("jit: BPFTK_VM_JIT, geomean over %d programs; jit/kern over "
	       "the %d both ran\n",
	       jn, jkn);
	if (!kernel)
		printf("kernel: n/a (%s)\n", kwhy);
	else
		printf("kernel: BPF_PROG_TEST_RUN, sched_cls wrapper, memory "
		       "in an array map value (bench_kern.c); geomean over %d "
		       "programs\n",
		       kn);
	for (int i = 0; i < nnotes; i++)
		printf("  %s\n", notes[i]);

	/* compile time: what a JIT costs before its first run */
	if (nloads) {
		printf("\n%-10s %7s %8s %11s %12s %13s\n", "jit load", "insns",
		       "code B", "jit load us", "jit ns/insn", "fast ns/insn");
		double jl = 0, fl = 0;
		int jc = 0, fc = 0;
		for (size_t i = 0; i < nloads; i++) {
			const struct loadrow *lr = &loads[i];
			double per = (double)(lr->slots ? lr->slots : 1);
			printf("%-10s %7zu", lr->name, lr->slots);
			if (lr->jit > 0) {
				printf(" %8zu %11.1f %12.1f", lr->code,
				       lr->jit / 1e3, lr->jit / per);
				jl += log(lr->jit / per);
				jc++;
			} else {
				printf(" %8s %11s %12s", "n/a", "n/a", "n/a");
			}
			if (lr->fast > 0) {
				printf(" %13.1f\n", lr->fast / per);
				fl += log(lr->fast / per);
				fc++;
			} else {
				printf(" %13s\n", "n/a");
			}
		}
		printf("%-10s %7s %8s %11s", "geomean", "", "", "");
		if (jc)
			printf(" %12.1f", exp(jl / jc));
		else
			printf(" %12s", "n/a");
		if (fc)
			printf(" %13.1f\n", exp(fl / fc));
		else
			printf(" %13s\n", "n/a");
		printf("load: bpftk_vm_load into a fresh vm, best of >= %d "
		       "loads (thread CPU time); insns are instruction slots "
		       "(lddw is two); the JIT's load includes the "
		       "interpreter's validation and pre-decode\n",
		       load_reps);
	}
	free(loads);
	if (bench_obj_main(quick, kernel) < 0)
		bad++;
	return bad ? 1 : 0;
}
