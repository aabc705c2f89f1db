/* fuzz_jit.c — libFuzzer target for the JIT: differential against the
 * checked interpreter.
 *
 * Input: the format of fuzz_vm.c (byte 0 options, 64 bytes of memory, then
 * the program, raw or built from table rows), whose generator, helpers and
 * run function this file reuses by including it.
 *
 * Every program that loads is also loaded in JIT mode, which must compile
 * it (no fallback warning: every row of the table has a translation).  A
 * program whose checked run ends without touching memory it may not touch
 * (r0 at exit, or a fault the JIT reports too: call depth, callx to an
 * unregistered id, a failing helper, running off the end) is run in JIT
 * mode, which must give the same error, fault location, r0 and memory.
 * Programs that fault on memory or exhaust the budget are not run natively:
 * JIT mode trusts the program as FAST mode does.
 */
#define LLVMFuzzerTestOneInput bpftk_fuzz_vm_one
#include "fuzz_vm.c"
#undef LLVMFuzzerTestOneInput

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the inputs reached (read by the unit test that replays this). */
static unsigned long jit_inputs, jit_compiled, jit_compared, jit_faults;

/* Is the checked run's outcome one the JIT must reproduce? */
static int comparable(const struct outcome *a, size_t n)
{
	if (a->load_err)
		return 0;
	switch (a->err) {
	case 0:
	case -E2BIG:  /* local calls too deep */
	case -ENOENT: /* callx to an unregistered helper */
	case -EPERM:  /* helper 2 failed */
		return 1;
	case -EFAULT: /* only running off the end, not a memory fault */
		return a->insn == (long)n;
	default:
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR + 8)
		return 0;
	const uint8_t *mem = data + 1;
	size_t n;
	struct bpftk_insn *insns = input_program(data, size, &n);
	if (!insns)
		return 0;
	jit_inputs++;
	struct outcome a, b;
	refused = 0;
	run(insns, n, mem, BPFTK_VM_CHECKED, 0, &a);
	if (!a.load_err) {
		/* compile only: the load must not fall back */
		struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_JIT};
		struct bpftk_vm *vm = NULL;
		struct bpftk_diags *d = bpftk_diags_new();
		if (bpftk_vm_new(&o, &vm) || register_helpers(vm) ||
		    bpftk_vm_load(vm, insns, n, d) || bpftk_diags_count(d) ||
		    bpftk_vm_jit_code(vm, NULL, NULL, NULL, NULL))
			abort(); /* the JIT could not compile a valid program */
		bpftk_diags_free(d);
		bpftk_vm_free(vm);
		jit_compiled++;
	}
	if (comparable(&a, n) && !refused && !reads_fp_value(insns, n)) {
		run(insns, n, mem, BPFTK_VM_JIT, 0, &b);
		if (b.load_err || b.err != a.err || b.insn != a.insn ||
		    (!a.err && b.r0 != a.r0) || memcmp(a.mem, b.mem, MEM))
			abort(); /* the JIT disagrees with the interpreter */
		jit_compared++;
		jit_faults += a.err != 0;
	}
	free(insns);
	return 0;
}
