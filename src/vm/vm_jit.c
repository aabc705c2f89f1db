/* vm_jit.c — the vm's side of BPFTK_VM_JIT: describes struct vm_run to the
 * JIT (src/jit/jit.h), compiles at load, and turns what the native code
 * returns into the same results and fault reports as the interpreter.
 *
 * Invariants: the native code reads and writes only the fields named in
 * the environment built here; run->jit_sp is per entry, so a callback
 * (bpftk_vm_call_sub entering the code again from inside a helper) saves
 * and restores it around its own run.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "../jit/jit.h"
#include "vm_int.h"

#define RUN_OFF(f) ((int32_t)offsetof(struct vm_run, f))

/* The r10 at or below which a local call reaches a frame not yet cleared
 * in this run: frames 0..zeroed-1 are clean. */
static uint64_t zero_fp(const struct vm_run *run)
{
	return run->stack_hi - (uint64_t)(run->zeroed - 1) * BPFTK_STACK_SIZE;
}

/* Clears a frame the first time a run reaches it (as the engines do). */
static void zero_frame(void *ctx, uint64_t fp)
{
	struct vm_run *run = ctx;
	unsigned depth = (unsigned)((run->stack_hi - fp) / BPFTK_STACK_SIZE);
	memset((void *)(uintptr_t)(fp - BPFTK_STACK_SIZE), 0, BPFTK_STACK_SIZE);
	if (depth >= run->zeroed)
		run->zeroed = depth + 1;
	run->jit_zero_fp = zero_fp(run);
}

void bpftk_vm_jit_load(struct bpftk_vm *vm, const struct bpftk_insn *insns,
		       const struct bpftk_verify_insn_facts *facts,
		       struct bpftk_diags *d)
{
	struct bpftk_jit_env env = {
		.off_sp = RUN_OFF(jit_sp),
		.off_fp0 = RUN_OFF(jit_fp0),
		.off_lim = RUN_OFF(jit_lim),
		.off_r0 = RUN_OFF(r0),
		.off_args = RUN_OFF(args),
		.off_stack_hi = RUN_OFF(stack_hi),
		.off_zero_fp = RUN_OFF(jit_zero_fp),
		.off_pc = RUN_OFF(pc),
		.off_addr = RUN_OFF(addr),
		.off_fault_fp = RUN_OFF(jit_fault_fp),
		.off_data = RUN_OFF(data),
		.off_data_len = RUN_OFF(data_len),
		.off_call = RUN_OFF(call),
		.off_call_id = RUN_OFF(call.id),
		.off_call_insn = RUN_OFF(call.insn),
		.off_call_stack_lo = RUN_OFF(call.stack_lo),
		.off_call_depth = RUN_OFF(call.depth),
		.off_call_err = RUN_OFF(call.err),
		.off_call_r0 = RUN_OFF(call.exit_r0),
		.call_return = VM_CALL_RETURN,
		.helpers = vm->helpers,
		.helper_stride = sizeof(struct vm_helper),
		.nhelpers = vm->nhelpers,
		.zero_frame = zero_frame,
		.entry = vm->entry,
	};
	_Static_assert(sizeof(long) == 8 && sizeof(size_t) == 8 &&
			       sizeof(unsigned) == 4 && sizeof(int) == 4,
		       "the JIT's accesses to the run assume LP64");
	_Static_assert(offsetof(struct vm_helper, fn) == 0,
		       "the JIT reads a helper's function at offset 0");
	char why[200];
	struct bpftk_jit_opts jo = {
		.no_peephole = (vm->flags & BPFTK_VM_JIT_NO_PEEPHOLE) != 0,
		.blind = (vm->flags & BPFTK_VM_JIT_BLIND) != 0,
		.facts = facts,
		.no_dead_code = (vm->flags & BPFTK_VM_JIT_NO_DEAD_CODE) != 0,
		.no_const_fold = (vm->flags & BPFTK_VM_JIT_NO_CONST_FOLD) != 0,
		.no_div_facts = (vm->flags & BPFTK_VM_JIT_NO_DIV_FACTS) != 0,
		.no_zext = (vm->flags & BPFTK_VM_JIT_NO_ZEXT) != 0};
	int err = bpftk_jit_compile(insns, vm->n, &env, &jo, &vm->jit, why,
				    sizeof(why));
	if (err)
		bpftk_diags_add(d, BPFTK_SEV_WARNING, NULL, 0, 0, vm->name, -1,
				"JIT: %s; running in the fast interpreter",
				why);
}

int bpftk_vm_exec_jit(struct vm_run *run)
{
	const struct bpftk_vm *vm = run->vm;
	uint64_t saved_sp = run->jit_sp;
	run->jit_fp0 = run->stack_hi -
		       (uint64_t)run->entry_depth * BPFTK_STACK_SIZE;
	run->jit_lim = run->stack_hi -
		       (uint64_t)(BPFTK_MAX_CALL_DEPTH - 2) * BPFTK_STACK_SIZE;
	run->jit_zero_fp = zero_fp(run); /* callbacks may have cleared more */
	int st = bpftk_jit_enter(vm->jit, run, (size_t)run->entry_pc);
	run->jit_sp = saved_sp;
	if (st == BPFTK_JIT_OK)
		return 0;
	run->fault_stack_lo = run->jit_fault_fp - BPFTK_STACK_SIZE;
	run->size = 0;
	switch (st) {
	case BPFTK_JIT_PKT:
		run->r0 = 0;
		return 0;
	case BPFTK_JIT_HELPER:
		if (run->call.err == VM_CALL_EXIT) {
			run->r0 = run->call.exit_r0;
			return 0;
		}
		run->fault = VM_F_HELPER;
		run->err = run->call.err;
		run->pc = run->call.insn;
		run->addr = 0;
		return run->err;
	case BPFTK_JIT_DEPTH:
		run->fault = VM_F_DEPTH;
		run->err = -E2BIG;
		run->addr = 0;
		return run->err;
	case BPFTK_JIT_CALLX:
		run->fault = VM_F_CALLX;
		run->err = -ENOENT;
		return run->err;
	case BPFTK_JIT_END:
		run->fault = VM_F_END;
		run->err = -EFAULT;
		run->addr = 0;
		return run->err;
	default:
		run->fault = VM_F_INTERNAL;
		run->err = -EFAULT;
		return run->err;
	}
}

int bpftk_vm_jit_code(const struct bpftk_vm *vm, const uint8_t **code,
		      size_t *len, const uint32_t **offsets, const char **arch)
{
	if (!vm)
		return -EINVAL;
	if (!vm->jit)
		return -ENOENT;
	const uint8_t *c = bpftk_jit_code(vm->jit, len, offsets);
	if (code)
		*code = c;
	if (arch)
		*arch = bpftk_jit_arch(vm->jit);
	return 0;
}
