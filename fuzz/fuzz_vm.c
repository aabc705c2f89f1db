/* fuzz_vm.c — libFuzzer target for the interpreter.
 *
 * Input: byte 0 holds options, bytes 1..64 the memory the program gets
 * (r1, 64 bytes, writable; also the LD_ABS packet), the rest the program:
 * raw slots, or (option bit 1) slots built from table rows so that most
 * inputs pass validation.  Whatever loads runs in CHECKED mode with a small
 * budget, on both dispatch engines, which must agree exactly (error, r0,
 * fault location, memory).  A run that ends without a fault touched only
 * memory it may touch, so it is replayed in FAST mode (with its
 * superinstructions), which must give the same r0 and memory.  Last, one
 * load with a failing allocation must end in -ENOMEM or success.
 *
 * All runs use one static memory buffer, so addresses are the same in each;
 * a program that reads r10 as a value (rather than as a base address) may
 * see a different stack address per run, so only its errors are compared.
 *
 * Never a crash, a sanitizer report or a leak; any disagreement aborts.
 * Helpers: 1 reads or writes memory through bpftk_vm_call_mem, 2 fails when
 * its argument is odd, 5 returns its first argument.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/isa.h>
#include <bpftk/vm.h>

#include "fuzz_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM 64
#define HDR (1 + MEM)
#define MAX_SLOTS 4096

static const uint8_t rodata[16] = {1, 2, 3, 4, 5, 6, 7, 8,
				   9, 10, 11, 12, 13, 14, 15, 16};

/* Set when a checked run refused a helper's pointer: fast mode would trust
 * it, so such a run is not replayed there. */
static int refused;

static uint64_t h_mem(uint64_t addr, uint64_t len, uint64_t write,
		      uint64_t d, uint64_t e, struct bpftk_vm_call *call)
{
	(void)d, (void)e;
	len &= 63;
	uint8_t *p = bpftk_vm_call_mem(call, addr, (size_t)len, (int)(write & 1));
	if (!p) {
		refused = 1;
		return (uint64_t)-1;
	}
	uint64_t sum = 0;
	for (uint64_t i = 0; i < len; i++) {
		sum += p[i];
		if (write & 1)
			p[i] = 0x5a;
	}
	return sum;
}

static uint64_t h_fail(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e;
	if (a & 1)
		bpftk_vm_call_fail(call, -EPERM, "odd argument %llu",
				   (unsigned long long)a);
	return a / 2;
}

static uint64_t h_first(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e, (void)call;
	return a;
}

/* Slots from table rows: byte 0 picks the row, the others fill the fields
 * (registers mostly valid, small offsets so jumps often land inside; base
 * registers of memory accesses are often r10 or r1, values rarely r10). */
static size_t structured(const uint8_t *p, size_t len, struct bpftk_insn *out)
{
	size_t n = 0;
	size_t total = len / 8 < MAX_SLOTS ? len / 8 : MAX_SLOTS;
	for (size_t i = 0; i + 8 <= len && n < MAX_SLOTS; i += 8) {
		const struct bpftk_opinfo *r =
			bpftk_isa_info((enum bpftk_op)(1 + p[i] % (BPFTK_OP__COUNT - 1)));
		struct bpftk_insn in;
		in.code = r->code;
		in.dst = (uint8_t)(p[i + 1] % 10);
		in.src = (uint8_t)(p[i + 2] % 10);
		in.off = (int16_t)((int8_t)p[i + 3]);
		in.imm = (int32_t)((uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 |
				   (uint32_t)(int8_t)p[i + 6] << 16);
		if (p[i + 7] & 1)
			in.imm = (int8_t)p[i + 4];
		if (p[i + 7] & 2) {
			uint8_t base = (p[i + 7] & 4) ? 10 : 1;
			if (r->form == BPFTK_FORM_LDX)
				in.src = base;
			else if (r->form == BPFTK_FORM_ST ||
				 r->form == BPFTK_FORM_STX ||
				 r->form == BPFTK_FORM_ATOMIC)
				in.dst = base;
		}
		/* jumps and local calls land on a slot of the program */
		long to = (long)(p[i + 3] % total) - (long)n - 1;
		unsigned uses = bpftk_isa_form_uses(r->form);
		if (uses & BPFTK_IS_JUMP) {
			if (r->form == BPFTK_FORM_JA32)
				in.imm = (int32_t)to;
			else
				in.off = (int16_t)to;
		}
		/* reserved fields zero, as the row's operand form says */
		if (!(uses & BPFTK_USES_DST))
			in.dst = 0;
		if (!(uses & BPFTK_USES_SRC) && r->sel != BPFTK_SEL_SRC)
			in.src = 0;
		if (!(uses & BPFTK_USES_OFF) && r->sel != BPFTK_SEL_OFF)
			in.off = 0;
		if (!(uses & BPFTK_USES_IMM) && r->sel != BPFTK_SEL_IMM &&
		    r->form != BPFTK_FORM_LDDW)
			in.imm = 0;
		if (r->sel == BPFTK_SEL_OFF)
			in.off = (int16_t)r->selval;
		else if (r->sel == BPFTK_SEL_IMM)
			in.imm = r->selval;
		else if (r->sel == BPFTK_SEL_SRC)
			in.src = (uint8_t)r->selval;
		if (r->form == BPFTK_FORM_CALL && in.src == BPFTK_CALL_HELPER)
			in.imm = (int32_t)"\1\2\5\3"[p[i + 4] & 3];
		if (r->form == BPFTK_FORM_CALL && in.src == BPFTK_CALL_LOCAL)
			in.imm = (int32_t)to;
		if (r->form == BPFTK_FORM_LDDW && in.src == BPFTK_PSEUDO_FUNC)
			in.imm = (int32_t)to;
		out[n++] = in;
		if (r->form == BPFTK_FORM_LDDW && n < MAX_SLOTS) {
			struct bpftk_insn hi = {0, 0, 0, 0, (int32_t)p[i + 5]};
			out[n++] = hi;
		}
	}
	return n;
}

/* Does the program use r10 as a value (not as the base of an access)? */
static int reads_fp_value(const struct bpftk_insn *insns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bpftk_opinfo *r =
			bpftk_isa_info(bpftk_isa_lookup(&insns[i]));
		if (!r)
			continue;
		unsigned uses = bpftk_isa_form_uses(r->form);
		if ((uses & BPFTK_USES_SRC) && insns[i].src == BPFTK_REG_FP &&
		    r->form != BPFTK_FORM_LDX)
			return 1;
		if ((r->form == BPFTK_FORM_JCC_K || r->form == BPFTK_FORM_JCC_X ||
		     r->form == BPFTK_FORM_CALLX) &&
		    insns[i].dst == BPFTK_REG_FP)
			return 1;
	}
	return 0;
}

static uint8_t membuf[MEM];

/* What the inputs reached (read by the unit test that replays this). */
static unsigned long stat_inputs, stat_loaded, stat_clean;

struct outcome {
	int load_err, err;
	uint64_t r0;
	long insn;
	size_t ndiags;
	uint8_t mem[MEM];
};

/* The helpers every program of an input may call; the first error. */
static int register_helpers(struct bpftk_vm *vm)
{
	int err = bpftk_vm_register_helper(vm, 1, "mem", h_mem);
	if (!err)
		err = bpftk_vm_register_helper(vm, 2, "fail", h_fail);
	if (!err)
		err = bpftk_vm_register_helper(vm, 5, "first", h_first);
	return err;
}

/* The program of an input of at least HDR + 8 bytes: table rows when
 * option bit 1 is set, raw slots otherwise, at most MAX_SLOTS of them.
 * Malloc'ed (MAX_SLOTS entries), NULL when out of memory. */
static struct bpftk_insn *input_program(const uint8_t *data, size_t size,
					size_t *n)
{
	const uint8_t *code = data + HDR;
	size_t clen = size - HDR;
	if (clen > 8 * MAX_SLOTS)
		clen = 8 * MAX_SLOTS;
	struct bpftk_insn *insns = malloc(MAX_SLOTS * sizeof(*insns));
	if (!insns)
		return NULL;
	if (data[0] & 2)
		*n = structured(code, clen, insns);
	else
		*n = (size_t)bpftk_isa_decode(code, clen & ~(size_t)7, 0, insns,
					      NULL, NULL);
	return insns;
}

static void run(const struct bpftk_insn *insns, size_t n, const uint8_t *mem,
		enum bpftk_vm_mode mode, unsigned flags, struct outcome *o)
{
	struct bpftk_vm_opts opts;
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.mode = mode;
	opts.flags = flags;
	opts.budget = 20000;
	opts.name = "fuzz";
	memset(o, 0, sizeof(*o));
	o->insn = -1;
	memcpy(membuf, mem, MEM);
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	if (bpftk_vm_new(&opts, &vm))
		abort();
	if (register_helpers(vm) || bpftk_vm_add_region(vm, (void *)rodata, sizeof(rodata), 0))
		abort();
	o->load_err = bpftk_vm_load(vm, insns, n, d);
	if (!o->load_err) {
		struct bpftk_vm_region region = {membuf, MEM, 1};
		struct bpftk_vm_run_opts ro;
		memset(&ro, 0, sizeof(ro));
		ro.sz = sizeof(ro);
		ro.args[0] = (uint64_t)(uintptr_t)membuf;
		ro.args[1] = MEM;
		ro.args[2] = (uint64_t)(uintptr_t)rodata;
		ro.args[3] = mem[0];
		ro.regions = &region;
		ro.nregions = 1;
		ro.data = membuf;
		ro.data_len = MEM;
		o->err = bpftk_vm_run(vm, &ro, &o->r0, d);
	}
	memcpy(o->mem, membuf, MEM);
	o->ndiags = bpftk_diags_count(d);
	if (o->ndiags)
		o->insn = bpftk_diags_get(d, 0)->insn;
	/* an error always comes with its reason */
	if ((o->load_err || o->err) && !o->ndiags && o->load_err != -ENOMEM)
		abort();
	bpftk_diags_free(d);
	bpftk_vm_free(vm);
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

	struct outcome a, b;
	int values = !reads_fp_value(insns, n);
	refused = 0;
	run(insns, n, mem, BPFTK_VM_CHECKED, 0, &a);
	run(insns, n, mem, BPFTK_VM_CHECKED, BPFTK_VM_SWITCH_DISPATCH, &b);
	if (a.load_err != b.load_err || a.err != b.err || a.insn != b.insn ||
	    (values && (a.r0 != b.r0 || memcmp(a.mem, b.mem, MEM))))
		abort(); /* the two dispatch engines disagree */
	stat_inputs++;
	stat_loaded += !a.load_err;
	stat_clean += !a.load_err && !a.err;
	if (!a.load_err && !a.err && !refused && values) {
		/* a clean checked run is safe to replay without checks */
		for (unsigned flags = 0; flags < 2; flags++) {
			run(insns, n, mem, BPFTK_VM_FAST,
			    flags ? BPFTK_VM_SWITCH_DISPATCH : 0, &b);
			if (b.load_err || b.err || b.r0 != a.r0 ||
			    memcmp(a.mem, b.mem, MEM))
				abort(); /* fast mode disagrees */
		}
	}

	/* one allocation fails: -ENOMEM or success, nothing else */
	failing_start(data, size, 8);
	struct bpftk_vm *vm = NULL;
	int err = bpftk_vm_new(NULL, &vm);
	if (!err)
		err = register_helpers(vm);
	if (!err)
		err = bpftk_vm_load(vm, insns, n, NULL);
	bpftk_vm_free(vm);
	bpftk_set_allocator(NULL, NULL, NULL);
	if (err && err != -ENOMEM && err != a.load_err)
		abort();
	free(insns);
	return 0;
}
