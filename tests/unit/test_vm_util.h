/* test_vm_util.h — shared by the test_vm*.c programs: instructions built from
 * table rows (so tests name operations, not opcode numbers), and one program
 * run on every engine (checked/fast x goto/switch dispatch) with the
 * outcomes compared: same error, same r0, same fault location, same memory
 * afterwards.  Include after test.h. */
#ifndef BPFTK_TEST_VM_UTIL_H
#define BPFTK_TEST_VM_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/vm.h>

/* The random streams of the differential tests: xorshift64 on a state
 * each test keeps (so each replays its own sequence). */
static inline uint64_t vt_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* An operand: a quarter of the time one of edge[] (the values where
 * arithmetic wraps or changes sign), a quarter a shift-sized number,
 * else a random number of random width. */
static inline uint64_t vt_value(uint64_t *s, const uint64_t *edge,
				size_t nedge)
{
	uint64_t r = vt_xorshift(s);
	switch (r & 3) {
	case 0:
		return edge[(r >> 8) % nedge];
	case 1:
		return (r >> 8) & 0x3f;
	default:
		return vt_xorshift(s) >> (r >> 8) % 64;
	}
}

static inline struct bpftk_insn vt_raw(int code, int dst, int src, int off,
				       int32_t imm)
{
	struct bpftk_insn i;
	i.code = (uint8_t)code;
	i.dst = (uint8_t)dst;
	i.src = (uint8_t)src;
	i.off = (int16_t)off;
	i.imm = imm;
	return i;
}

/* The instruction of table row op; its selector field gets the row's
 * value, the other fields what the caller gives. */
static inline struct bpftk_insn vt_ins(enum bpftk_op op, int dst, int src,
				       int off, int32_t imm)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	struct bpftk_insn i = vt_raw(r->code, dst, src, off, imm);
	if (r->sel == BPFTK_SEL_OFF)
		i.off = (int16_t)r->selval;
	else if (r->sel == BPFTK_SEL_IMM)
		i.imm = r->selval;
	else if (r->sel == BPFTK_SEL_SRC)
		i.src = (uint8_t)r->selval;
	return i;
}

/* i with the fields its form does not use zeroed (the validator refuses
 * them otherwise); an empty slot (code 0, lddw's second half) is kept. */
static inline struct bpftk_insn vt_unreserved(struct bpftk_insn i)
{
	const struct bpftk_opinfo *r =
		i.code ? bpftk_isa_info(bpftk_isa_lookup(&i)) : NULL;
	if (!r)
		return i;
	unsigned uses = bpftk_isa_form_uses(r->form);
	if (!(uses & BPFTK_USES_DST))
		i.dst = 0;
	if (!(uses & BPFTK_USES_SRC) && r->sel != BPFTK_SEL_SRC)
		i.src = 0;
	if (!(uses & BPFTK_USES_OFF) && r->sel != BPFTK_SEL_OFF)
		i.off = 0;
	if (!(uses & BPFTK_USES_IMM) && r->sel != BPFTK_SEL_IMM &&
	    r->form != BPFTK_FORM_LDDW)
		i.imm = 0;
	return i;
}

static inline int32_t vt_lo(uint64_t v)
{
	return (int32_t)(uint32_t)v;
}
static inline int32_t vt_hi(uint64_t v)
{
	return (int32_t)(uint32_t)(v >> 32);
}

#define I(id, d, s, o, imm) vt_ins(BPFTK_OP_##id, d, s, o, imm)
#define MOVK(d, imm) I(MOV64_K, d, 0, 0, imm)
#define MOVX(d, s) I(MOV64_X, d, s, 0, 0)
#define EXIT() I(EXIT, 0, 0, 0, 0)
/* lddw: two slots */
#define LD64(d, v) I(LDDW, d, 0, 0, vt_lo(v)), vt_raw(0, 0, 0, 0, vt_hi(v))
#define NINSN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	VT_CHECKED_GOTO,
	VT_CHECKED_SWITCH,
	VT_FAST_GOTO,
	VT_FAST_SWITCH,
	VT_NENGINES
};
#define VT_ALL 0xf
#define VT_CHECKED 0x3 /* faulting programs only run checked */

static const char *const vt_engine_names[VT_NENGINES] = {
	"checked/goto", "checked/switch", "fast/goto", "fast/switch"};

static inline int vt_new(int engine, uint64_t budget, struct bpftk_vm **vm)
{
	struct bpftk_vm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.mode = engine >= VT_FAST_GOTO ? BPFTK_VM_FAST : BPFTK_VM_CHECKED;
	o.flags = (engine & 1) ? BPFTK_VM_SWITCH_DISPATCH : 0;
	o.budget = budget;
	o.name = "t";
	return bpftk_vm_new(&o, vm);
}

/* What one run did. */
struct vt_out {
	int load_err; /* bpftk_vm_load's result */
	int err;      /* bpftk_vm_run's result */
	uint64_t r0;
	long insn;     /* instruction of the first diagnostic, -1 none */
	char msg[512]; /* its message */
};

typedef void (*vt_setup_fn)(struct bpftk_vm *vm);

static inline struct vt_out vt_run1(int engine, const struct bpftk_insn *p,
				    size_t n, void *mem, size_t len,
				    vt_setup_fn setup, uint64_t budget)
{
	struct vt_out out;
	memset(&out, 0, sizeof(out));
	out.insn = -1;
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	if (vt_new(engine, budget, &vm)) {
		out.load_err = -ENOMEM;
		bpftk_diags_free(d);
		return out;
	}
	if (setup)
		setup(vm);
	out.load_err = bpftk_vm_load(vm, p, n, d);
	if (!out.load_err)
		out.err = bpftk_vm_run_mem(vm, mem, len, &out.r0, d);
	if (bpftk_diags_count(d)) {
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		out.insn = g->insn;
		snprintf(out.msg, sizeof(out.msg), "%s", g->msg);
	}
	bpftk_diags_free(d);
	bpftk_vm_free(vm);
	return out;
}

/* Runs p on every engine of mask, each on its own copy of mem (which ends up
 * holding the memory as the first engine left it), and checks that all
 * engines agree.  Returns the first engine's outcome. */
static inline struct vt_out vt_run_on(const char *what,
				      const struct bpftk_insn *p, size_t n,
				      void *mem, size_t len, vt_setup_fn setup,
				      int mask, uint64_t budget)
{
	struct vt_out first;
	memset(&first, 0, sizeof(first));
	unsigned char *init = len ? malloc(len) : NULL;
	unsigned char *after = len ? malloc(len) : NULL;
	unsigned char *copy = len ? malloc(len) : NULL;
	if (len)
		memcpy(init, mem, len);
	int have = 0;
	for (int e = 0; e < VT_NENGINES; e++) {
		if (!(mask & (1 << e)))
			continue;
		if (len)
			memcpy(copy, init, len);
		struct vt_out o = vt_run1(e, p, n, len ? copy : mem, len, setup,
					  budget);
		if (!have) {
			first = o;
			if (len)
				memcpy(after, copy, len);
			have = 1;
			continue;
		}
		int same = o.load_err == first.load_err && o.err == first.err &&
			   o.r0 == first.r0 && o.insn == first.insn &&
			   (!len || !memcmp(copy, after, len));
		if (!same)
			fprintf(stderr,
				"%s: %s differs from the first engine: load %d/%d "
				"err %d/%d r0 0x%" PRIx64 "/0x%" PRIx64
				" insn %ld/%ld (%s)\n",
				what, vt_engine_names[e], o.load_err,
				first.load_err, o.err, first.err, o.r0,
				first.r0, o.insn, first.insn, o.msg);
		CHECK(same);
	}
	if (len)
		memcpy(mem, after, len);
	free(init);
	free(after);
	free(copy);
	return first;
}

/* Every engine; the program must load and run without error; returns r0. */
static inline uint64_t vt_eval(const char *what, const struct bpftk_insn *p,
			       size_t n, void *mem, size_t len,
			       vt_setup_fn setup)
{
	struct vt_out o = vt_run_on(what, p, n, mem, len, setup, VT_ALL, 0);
	if (o.load_err || o.err)
		fprintf(stderr, "%s: load %d run %d: insn %ld: %s\n", what,
			o.load_err, o.err, o.insn, o.msg);
	CHECK(o.load_err == 0 && o.err == 0);
	return o.r0;
}

#endif
