/* vm_mem.c — what a checked run may touch, and the words for what it touched
 * when it should not have.
 *
 * The engines test the stack inline (one compare); only accesses outside
 * the stack reach bpftk_vm_region_ok, which walks the vm's regions and then
 * the run's.  Fault reports are built here, after the engine returned, so
 * the hot loop carries no formatting code.  Every message names the access
 * kind, its size and address; the diagnostic carries the instruction index.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "vm_int.h"

/* [addr, addr + size) inside [base, base + len)?  Written so that no sum
 * can wrap around. */
static int inside(uint64_t addr, uint64_t size, uint64_t base, uint64_t len)
{
	return addr >= base && size <= len && addr - base <= len - size;
}

/* The two ranges share at least one byte. */
static int overlaps(uint64_t addr, uint64_t size, uint64_t base, uint64_t len)
{
	uint64_t end = addr + size; /* callers pass small sizes */
	return end > addr ? (addr < base + len && end > base)
			  : (base + len > addr);
}

static int region_allows(const struct bpftk_vm_region *r, uint64_t addr,
			 uint64_t size, int write)
{
	return inside(addr, size, (uint64_t)(uintptr_t)r->ptr, r->len) &&
	       (!write || r->writable);
}

int bpftk_vm_region_ok(const struct vm_run *run, uint64_t addr, uint64_t size,
		       int write)
{
	const struct bpftk_vm *vm = run->vm;
	for (size_t i = 0; i < vm->nregions; i++)
		if (region_allows(&vm->regions[i], addr, size, write))
			return 1;
	for (size_t i = 0; i < run->nregions; i++)
		if (region_allows(&run->regions[i], addr, size, write))
			return 1;
	return run->mem_check && size &&
	       run->mem_check(run->ctx, addr, size, write);
}

void *bpftk_vm_call_mem(const struct bpftk_vm_call *call, uint64_t addr,
			size_t len, int write)
{
	if (call && call->run->vm->mode == BPFTK_VM_FAST)
		return (void *)(uintptr_t)addr;
	return bpftk_vm_call_mem_strict(call, addr, len, write);
}

void *bpftk_vm_call_mem_strict(const struct bpftk_vm_call *call,
			       uint64_t addr, size_t len, int write)
{
	if (!call)
		return NULL;
	const struct vm_run *run = call->run;
	if (len == 0)
		return NULL;
	if (inside(addr, len, call->stack_lo, run->stack_hi - call->stack_lo) ||
	    bpftk_vm_region_ok(run, addr, len, write))
		return (void *)(uintptr_t)addr;
	return NULL;
}

/* Explains why [addr, addr + size) was refused.  Writes into buf. */
static void explain(const struct vm_run *run, uint64_t addr, uint64_t size,
		    int write, char *buf, size_t cap)
{
	const struct bpftk_vm *vm = run->vm;
	uint64_t lo = run->fault_stack_lo, hi = run->stack_hi;
	uint64_t all_lo = (uint64_t)(uintptr_t)run->stack.bytes;
	if (addr < 4096) {
		snprintf(buf, cap, "null pointer");
		return;
	}
	for (size_t k = 0; k < vm->nregions + run->nregions; k++) {
		const struct bpftk_vm_region *r =
			k < vm->nregions ? &vm->regions[k]
					 : &run->regions[k - vm->nregions];
		uint64_t b = (uint64_t)(uintptr_t)r->ptr;
		if (write && !r->writable && inside(addr, size, b, r->len)) {
			snprintf(buf, cap,
				 "region [0x%" PRIx64 ", 0x%" PRIx64
				 ") is read-only",
				 b, b + r->len);
			return;
		}
		if (overlaps(addr, size, b, r->len)) {
			snprintf(buf, cap,
				 "crosses the bounds of region [0x%" PRIx64
				 ", 0x%" PRIx64 ")",
				 b, b + r->len);
			return;
		}
	}
	if (overlaps(addr, size, lo, hi - lo)) {
		snprintf(buf, cap,
			 "crosses the bounds of the stack [0x%" PRIx64
			 ", 0x%" PRIx64 ")",
			 lo, hi);
	} else if (addr >= all_lo && addr < lo) {
		snprintf(buf, cap,
			 "below the current stack frame [0x%" PRIx64
			 ", 0x%" PRIx64 "): stack overflow",
			 lo, lo + BPFTK_STACK_SIZE);
	} else if (addr >= hi && addr - hi < BPFTK_STACK_SIZE) {
		snprintf(buf, cap, "above the top of the stack at 0x%" PRIx64,
			 hi);
	} else {
		snprintf(buf, cap, "not in the stack or any registered region");
	}
}

void bpftk_vm_report_fault(const struct vm_run *run, struct bpftk_diags *d)
{
	const struct bpftk_vm *vm = run->vm;
	const char *prog = vm->name;
	long pc = run->pc;
	char why[160];
	switch (run->fault) {
	case VM_F_LOAD:
	case VM_F_STORE:
	case VM_F_ATOMIC: {
		static const char *const kind[] = {"load", "store",
						   "atomic read-modify-write"};
		int write = run->fault != VM_F_LOAD;
		explain(run, run->addr, run->size, write, why, sizeof(why));
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"out-of-bounds %s of %" PRIu64
				" byte%s at 0x%" PRIx64 " (%s)",
				kind[run->fault - VM_F_LOAD], run->size,
				run->size == 1 ? "" : "s", run->addr, why);
		break;
	}
	case VM_F_MISALIGNED:
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"misaligned atomic access of %" PRIu64
				" bytes at 0x%" PRIx64
				" (atomics need %" PRIu64 "-byte alignment)",
				run->size, run->addr, run->size);
		break;
	case VM_F_BUDGET:
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"instruction budget of %" PRIu64
				" exhausted at insn %ld",
				vm->budget, pc);
		break;
	case VM_F_DEPTH:
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"local call nested too deep: the limit is %d "
				"frames",
				BPFTK_MAX_CALL_DEPTH);
		break;
	case VM_F_CALLX:
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"callx to helper id %" PRIu64
				", which is not registered",
				run->addr);
		break;
	case VM_F_END:
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"program ran past its last instruction "
				"(insn %ld) without exit",
				pc - 1);
		break;
	case VM_F_HELPER: {
		const char *name = bpftk_vm_helper_name(vm, run->call.id);
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"helper %" PRIu32 "%s%s%s failed: %s",
				run->call.id, name ? " (" : "",
				name ? name : "", name ? ")" : "",
				run->call.msg[0] ? run->call.msg
						 : "no reason given");
		break;
	}
	case VM_F_NONE:
	case VM_F_INTERNAL:
	default:
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"internal error: the interpreter reached an "
				"instruction it cannot execute");
		break;
	}
}
