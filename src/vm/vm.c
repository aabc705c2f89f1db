/* vm.c — the vm handle: creation, helpers, regions, and one run.
 *
 * Invariants: setup (helpers, regions, load) happens before the program is
 * loaded and never after, so a loaded vm is read-only and runs can share it
 * across threads.  A run keeps all it writes (registers, stack, fault
 * report) in a struct vm_run on its own C stack.  Loading and pre-decoding
 * live in vm_load.c, the engines in vm_exec_*.c, memory rules in vm_mem.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../jit/jit.h"
#include "vm_int.h"

/* One entry of the loaded program into its engine (or its native code). */
static int exec_run(const struct bpftk_vm *vm, struct vm_run *run)
{
	return vm->jit ? bpftk_vm_exec_jit(run) : vm->exec(run, NULL);
}

static vm_exec_fn pick_engine(enum bpftk_vm_mode mode, unsigned flags)
{
	int sw = (flags & BPFTK_VM_SWITCH_DISPATCH) != 0;
	/* JIT: the fast engine runs what the JIT cannot compile */
	if (mode == BPFTK_VM_FAST || mode == BPFTK_VM_JIT)
		return sw ? bpftk_vm_exec_fast_switch : bpftk_vm_exec_fast_goto;
	return sw ? bpftk_vm_exec_checked_switch : bpftk_vm_exec_checked_goto;
}

int bpftk_vm_new(const struct bpftk_vm_opts *opts, struct bpftk_vm **out)
{
	struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_CHECKED};
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (opts && bpftk_opts_copy(&o, sizeof(o), opts))
		return -EINVAL;
	if ((o.mode != BPFTK_VM_CHECKED && o.mode != BPFTK_VM_FAST &&
	     o.mode != BPFTK_VM_JIT) ||
	    (o.flags & ~(unsigned)(BPFTK_VM_SWITCH_DISPATCH |
				   BPFTK_VM_JIT_NO_PEEPHOLE |
				   BPFTK_VM_JIT_BLIND |
				   BPFTK_VM_JIT_NO_DEAD_CODE |
				   BPFTK_VM_JIT_NO_CONST_FOLD |
				   BPFTK_VM_JIT_NO_DIV_FACTS |
				   BPFTK_VM_JIT_NO_ZEXT)) ||
	    (o.nfacts && !o.facts))
		return -EINVAL;
	struct bpftk_vm *vm = bpftk_calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->mode = o.mode;
	vm->flags = o.flags;
	vm->budget = o.budget ? o.budget : BPFTK_VM_DEFAULT_BUDGET;
	vm->exec = pick_engine(o.mode, o.flags);
	if (o.mode == BPFTK_VM_JIT) {
		vm->facts = o.facts;
		vm->nfacts = o.nfacts;
	}
	if (o.name && !(vm->name = bpftk_strdup(o.name))) {
		bpftk_free(vm);
		return -ENOMEM;
	}
	*out = vm;
	return 0;
}

void bpftk_vm_free(struct bpftk_vm *vm)
{
	if (!vm)
		return;
	for (uint32_t i = 0; i < vm->nhelpers; i++)
		bpftk_free(vm->helpers[i].name);
	bpftk_free(vm->helpers);
	bpftk_free(vm->regions);
	bpftk_free(vm->ops);
	bpftk_free(vm->entry);
	bpftk_jit_free(vm->jit);
	bpftk_free(vm->name);
	bpftk_free(vm);
}

int bpftk_vm_register_helper(struct bpftk_vm *vm, uint32_t id,
			     const char *name, bpftk_vm_helper_fn fn)
{
	if (!vm || !fn)
		return -EINVAL;
	if (id >= BPFTK_VM_MAX_HELPERS)
		return -ERANGE;
	if (vm->loaded)
		return -EBUSY;
	char *copy = NULL;
	if (name && !(copy = bpftk_strdup(name)))
		return -ENOMEM;
	if (id >= vm->nhelpers) {
		struct vm_helper *h = bpftk_realloc(
			vm->helpers, ((size_t)id + 1) * sizeof(*h));
		if (!h) {
			bpftk_free(copy);
			return -ENOMEM;
		}
		memset(h + vm->nhelpers, 0,
		       ((size_t)id + 1 - vm->nhelpers) * sizeof(*h));
		vm->helpers = h;
		vm->nhelpers = id + 1;
	}
	bpftk_free(vm->helpers[id].name);
	vm->helpers[id].fn = fn;
	vm->helpers[id].name = copy;
	return 0;
}

const char *bpftk_vm_helper_name(const struct bpftk_vm *vm, uint32_t id)
{
	if (!vm || id >= vm->nhelpers || !vm->helpers[id].fn)
		return NULL;
	return vm->helpers[id].name;
}

int bpftk_vm_add_region(struct bpftk_vm *vm, void *ptr, size_t len,
			int writable)
{
	if (!vm || !ptr || !len)
		return -EINVAL;
	if (vm->loaded)
		return -EBUSY;
	struct bpftk_vm_region *r = bpftk_realloc(
		vm->regions, (vm->nregions + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	r[vm->nregions].ptr = ptr;
	r[vm->nregions].len = len;
	r[vm->nregions].writable = writable != 0;
	vm->regions = r;
	vm->nregions++;
	return 0;
}

void *bpftk_vm_call_ctx(const struct bpftk_vm_call *call)
{
	return call ? call->run->ctx : NULL;
}

uint32_t bpftk_vm_call_id(const struct bpftk_vm_call *call)
{
	return call ? call->id : 0;
}

long bpftk_vm_call_insn(const struct bpftk_vm_call *call)
{
	return call ? call->insn : -1;
}

void bpftk_vm_call_fail(struct bpftk_vm_call *call, int err, const char *fmt,
			...)
{
	if (!call)
		return;
	call->err = err < 0 ? err : -EINVAL;
	if (fmt) { /* NULL keeps a message bpftk_vm_call_sub left */
		call->msg[0] = '\0';
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(call->msg, sizeof(call->msg), fmt, ap);
		va_end(ap);
	}
}

void bpftk_vm_call_exit(struct bpftk_vm_call *call, uint64_t r0)
{
	if (!call)
		return;
	call->err = VM_CALL_EXIT;
	call->exit_r0 = r0;
}

void bpftk_vm_call_return(struct bpftk_vm_call *call, uint64_t r0)
{
	if (!call)
		return;
	call->err = VM_CALL_RETURN;
	call->exit_r0 = r0;
}

unsigned bpftk_vm_call_depth(const struct bpftk_vm_call *call)
{
	return call ? call->depth : 0;
}

/* A callback runs in the same struct vm_run as its caller, entered at pc one
 * frame deeper; what the nested engine changes in the run (the call record
 * of its own helper calls, entry point, arguments) is put back afterwards. */
int bpftk_vm_call_sub(struct bpftk_vm_call *call, uint64_t pc,
		      const uint64_t args[5], uint64_t *r0)
{
	if (!call || !args)
		return -EINVAL;
	struct vm_run *run = call->run;
	const struct bpftk_vm *vm = run->vm;
	const void *const *labels = NULL;
	vm->exec(NULL, &labels);
	const void *slot2 = labels ? labels[VM_HID_SLOT2] : NULL;
	/* only at an entry point: a handler chosen for a slot reached by
	 * falling through may rely on state the slot before left */
	if (pc >= vm->n || !vm->entry[pc] ||
	    (labels ? vm->ops[pc].h.addr == slot2
		    : vm->ops[pc].h.idx == VM_HID_SLOT2)) {
		snprintf(call->msg, sizeof(call->msg),
			 "callback at %" PRIu64 " is not a function entry of "
			 "the program (a jump or call target or a function "
			 "pointer)",
			 pc);
		return -EINVAL;
	}
	unsigned depth = call->depth + 1;
	if (depth >= BPFTK_MAX_CALL_DEPTH) {
		snprintf(call->msg, sizeof(call->msg),
			 "callback nested too deep: the limit is %d frames",
			 BPFTK_MAX_CALL_DEPTH);
		return -E2BIG;
	}
	struct bpftk_vm_call saved = *call;
	long saved_pc = run->entry_pc;
	unsigned saved_depth = run->entry_depth;
	uint64_t saved_args[5];
	memcpy(saved_args, run->args, sizeof(saved_args));
	if (depth >= run->zeroed) {
		memset((void *)(uintptr_t)(run->stack_hi -
					   (uint64_t)(depth + 1) *
						   BPFTK_STACK_SIZE),
		       0, BPFTK_STACK_SIZE);
		run->zeroed = depth + 1;
	}
	run->entry_pc = (long)pc;
	run->entry_depth = depth;
	memcpy(run->args, args, sizeof(run->args));
	int err = exec_run(vm, run);
	run->entry_pc = saved_pc;
	run->entry_depth = saved_depth;
	memcpy(run->args, saved_args, sizeof(saved_args));
	char msg[sizeof(call->msg)];
	msg[0] = '\0';
	if (err) {
		struct bpftk_diags *d = bpftk_diags_new();
		bpftk_vm_report_fault(run, d);
		const struct bpftk_diag *g = d ? bpftk_diags_get(d, 0) : NULL;
		snprintf(msg, sizeof(msg), "in callback at insn %ld: %s",
			 run->pc, g ? g->msg : "fault");
		bpftk_diags_free(d);
		run->fault = VM_F_NONE;
	} else if (r0) {
		*r0 = run->r0;
	}
	*call = saved;
	if (err)
		memcpy(call->msg, msg, sizeof(msg));
	return err;
}

int bpftk_vm_run(const struct bpftk_vm *vm,
		 const struct bpftk_vm_run_opts *opts, uint64_t *r0,
		 struct bpftk_diags *d)
{
	struct bpftk_vm_run_opts o;
	if (!vm)
		return -EINVAL;
	if (!vm->loaded) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, vm->name, -1,
				"no program loaded");
		return -EINVAL;
	}
	if (!opts)
		memset(&o, 0, sizeof(o));
	else if (bpftk_opts_copy(&o, sizeof(o), opts) ||
		 (o.nregions && !o.regions)) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, vm->name, -1,
				"malformed run options");
		return -EINVAL;
	}
	/* Only the fields and the first stack frame are cleared here: deeper
	 * frames are cleared by the engines when a call first reaches them, so
	 * results never depend on leftovers and short runs stay cheap. */
	struct vm_run run;
	run.vm = vm;
	run.regions = o.regions;
	run.nregions = o.nregions;
	run.data = o.data;
	run.data_len = o.data ? o.data_len : 0;
	run.ctx = o.ctx;
	run.mem_check = o.mem_check;
	run.entry_pc = 0;
	run.entry_depth = 0;
	memcpy(run.args, o.args, sizeof(run.args));
	run.budget = vm->budget;
	run.stack_hi = (uint64_t)(uintptr_t)(run.stack.bytes + VM_STACK_BYTES);
	run.r0 = 0;
	run.zeroed = 1;
	run.fault = VM_F_NONE;
	run.err = 0;
	run.pc = -1;
	run.addr = run.size = run.fault_stack_lo = 0;
	run.jit_sp = run.jit_fp0 = run.jit_lim = run.jit_fault_fp = 0;
	run.jit_zero_fp = 0;
	memset(&run.call, 0, sizeof(run.call));
	run.call.run = &run;
	memset(run.stack.bytes + VM_STACK_BYTES - BPFTK_STACK_SIZE, 0,
	       BPFTK_STACK_SIZE);
	int err = exec_run(vm, &run);
	if (err) {
		bpftk_vm_report_fault(&run, d);
		return err;
	}
	if (r0)
		*r0 = run.r0;
	return 0;
}

int bpftk_vm_run_mem(const struct bpftk_vm *vm, void *mem, size_t len,
		     uint64_t *r0, struct bpftk_diags *d)
{
	struct bpftk_vm_region region = {mem, len, 1};
	struct bpftk_vm_run_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	if (mem) {
		o.args[0] = (uint64_t)(uintptr_t)mem;
		o.args[1] = len;
		if (len) {
			o.regions = &region;
			o.nregions = 1;
		}
		o.data = mem;
		o.data_len = len;
	}
	return bpftk_vm_run(vm, &o, r0, d);
}
