/* vm_load.c — turns a validated program into the engines' pre-decoded form,
 * once, so that no run ever decodes an instruction again.
 *
 * Per slot: the handler (label address for goto engines, index for switch
 * engines) found through the opcode table, registers, the offset, the
 * immediate sign-extended to 64 bits, and for jumps and local calls the pc
 * delta of the target.  lddw becomes one op holding the whole constant (its
 * second slot gets a handler that is never reached).  After the last slot a
 * sentinel stops a program that would run off its end.
 *
 * Handlers are chosen in passes over a plan: the table row of each slot,
 * then superinstructions for the fast engines (vm_fuse.c), then forwarded
 * variants (vm_forward.c); only then are label addresses filled in.
 *
 * Beyond bpftk_isa_validate, the interpreter refuses what it cannot run:
 * constant calls to unregistered helpers and kfunc calls.  (Fetch atomics
 * that would write r10 are refused by bpftk_isa_validate.)
 */
#include <errno.h>

#include "vm_int.h"

#define MAX_SLOTS (1u << 30)

/* Checks what only the interpreter cares about; reports every problem. */
static int check_runnable(const struct bpftk_vm *vm,
			  const struct bpftk_insn *in, enum bpftk_op op,
			  long pc, struct bpftk_diags *d)
{
	if (op == BPFTK_OP_CALL) {
		uint32_t id = (uint32_t)in->imm;
		if (in->imm < 0 || id >= vm->nhelpers || !vm->helpers[id].fn) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, vm->name,
					pc,
					"call to helper id %d, which is not "
					"registered with the vm",
					in->imm);
			return -EINVAL;
		}
	} else if (op == BPFTK_OP_CALL_KFUNC) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, vm->name, pc,
				"kfunc calls (BTF id %d) cannot run in the "
				"interpreter",
				in->imm);
		return -EINVAL;
	}
	return 0;
}

int bpftk_vm_load(struct bpftk_vm *vm, const struct bpftk_insn *insns,
		  size_t n, struct bpftk_diags *d)
{
	if (!vm || (!insns && n))
		return -EINVAL;
	if (vm->loaded)
		return -EBUSY;
	if (n > MAX_SLOTS) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, vm->name, -1,
				"program of %zu slots is larger than the "
				"interpreter's limit of %u",
				n, MAX_SLOTS);
		return -E2BIG;
	}
	/* the options' facts are borrowed for this call only */
	const struct bpftk_verify_insn_facts *facts = vm->facts;
	vm->facts = NULL;
	if (facts && vm->nfacts != n) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, vm->name, -1,
				"the verifier's facts given with the vm "
				"options are for %zu slots, the program has "
				"%zu",
				vm->nfacts, n);
		return -EINVAL;
	}
	int err = bpftk_isa_validate(insns, n, d, vm->name);
	if (err)
		return err;
	/* the plan's arrays: rows and handlers (uint16), lengths in one block;
	 * the targets stay with the vm as its entry points */
	struct vm_op *ops = bpftk_calloc(n + 1, sizeof(*ops));
	uint16_t *opv = bpftk_calloc(n, 2 * sizeof(uint16_t) + 1);
	uint8_t *target = bpftk_calloc(n, 1);
	if (!ops || !opv || !target) {
		bpftk_free(ops);
		bpftk_free(opv);
		bpftk_free(target);
		return -ENOMEM;
	}
	uint16_t *hv = opv + n;
	uint8_t *len = (uint8_t *)(hv + n);
	target[0] = 1;
	int bad = 0;
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpftk_insn *in = &insns[pc];
		enum bpftk_op op = bpftk_isa_lookup(in);
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (check_runnable(vm, in, op, (long)pc, d))
			bad = 1;
		struct vm_op *o = &ops[pc];
		opv[pc] = hv[pc] = (uint16_t)op;
		len[pc] = 1;
		o->dst = in->dst;
		o->src = in->src;
		o->off = in->off;
		o->imm = (uint64_t)(int64_t)in->imm;
		if ((bpftk_isa_form_uses(r->form) & BPFTK_IS_JUMP) ||
		    op == BPFTK_OP_CALL_LOCAL) {
			long t = bpftk_isa_target(insns, pc); /* validated */
			o->jmp = (int32_t)(t - (long)pc);
			target[t] = 1;
		}
		if (op == BPFTK_OP_CALL)
			o->imm = (uint32_t)in->imm;
		/* entries of functions reached other than by a call (callbacks
		 * run through bpftk_vm_call_sub): what follows a slot that never
		 * falls through, and the target of a function pointer */
		if ((op == BPFTK_OP_EXIT || op == BPFTK_OP_JA ||
		     op == BPFTK_OP_JA32) && pc + 1 < n)
			target[pc + 1] = 1;
		if (op == BPFTK_OP_LDDW_FUNC)
			target[bpftk_isa_target(insns, pc)] = 1;
		if (r->form == BPFTK_FORM_LDDW) {
			/* validated: the second slot exists */
			o->imm = (uint32_t)in->imm |
				 (uint64_t)(uint32_t)insns[pc + 1].imm << 32;
			len[pc++] = 2;
			opv[pc] = 0;
			hv[pc] = VM_HID_SLOT2;
			len[pc] = 1;
		}
	}
	if (bad) {
		bpftk_free(ops);
		bpftk_free(opv);
		bpftk_free(target);
		return -EINVAL;
	}
	struct vm_plan plan = {insns, n, opv, target, hv, len};
	if (vm->mode == BPFTK_VM_FAST || vm->mode == BPFTK_VM_JIT)
		bpftk_vm_fuse(&plan);
	bpftk_vm_forward(&plan);
	const void *const *labels = NULL;
	vm->exec(NULL, &labels);
	for (size_t pc = 0; pc <= n; pc++) {
		unsigned h = pc < n ? hv[pc] : VM_HID_END;
		if (labels)
			ops[pc].h.addr = labels[h];
		else
			ops[pc].h.idx = h;
	}
	bpftk_free(opv);
	vm->ops = ops;
	vm->entry = target;
	vm->n = n;
	vm->loaded = 1;
	if (vm->mode == BPFTK_VM_JIT)
		bpftk_vm_jit_load(vm, insns, facts, d);
	return 0;
}
