/* ctx_flow.c — which loads and stores go through the context pointer.
 *
 * The idea: a forward data-flow analysis over the program with one small
 * abstract value per register and per 8-byte stack slot, a set of what it
 * may hold: OTHER (anything that is not the context), CTX (the context
 * pointer r1 had at entry, unchanged) and MOD (the context pointer plus or
 * minus something).  States are joined by union at control-flow merges, so
 * the analysis is monotone over a finite lattice and ends.  An access whose
 * base register is exactly {CTX} is a context access; any other set that
 * contains CTX or MOD is refused, because one instruction cannot be
 * rewritten for two kinds of memory (the kernel refuses it too, as a type
 * mismatch or "dereference of modified ctx ptr").
 *
 * Calls: each function (entry 0, targets of local calls, callbacks loaded
 * with lddw src=4) has its own stack slots; a local call passes r1..r5 and
 * gets back the union of r0 at the callee's exits; helper calls clobber
 * r0..r5.  Spills are tracked only as 8-byte aligned stores through r10.
 * A context pointer stored through another register (into the context, a
 * map value, or the stack through a copy of r10, all of which the kernel
 * accepts) is not followed: what was stored is added to `mem`, which every
 * stack slot and every later load through a register other than the
 * context pointer may then hold, so a reload that is dereferenced is
 * refused rather than missed.  Callbacks start with nothing known to be
 * the context.
 *
 * This is a stand-in for the verifier's register types, which will make
 * the same decision with more precision.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/progtype.h>

#include "../util/util_int.h"

enum { K_OTHER = 1, K_CTX = 2, K_MOD = 4 };

#define NSLOTS (BPFTK_STACK_SIZE / 8)

struct st {
	uint8_t reg[BPFTK_NREGS];
	uint8_t slot[NSLOTS];
	uint8_t mem; /* kinds stored through registers other than r10 */
};

struct flow {
	const struct bpftk_insn *in;
	size_t n;
	struct st *s;	   /* state at entry of each slot */
	uint8_t *reached;
	uint8_t *reported; /* an error was reported at this slot */
	size_t *work;
	size_t nwork;
	uint8_t *queued;
	size_t *entries; /* function entries, sorted */
	size_t nentries;
	uint8_t *ret; /* per function: union of r0 at exits */
	uint8_t *marks;
	const char *prog;
	struct bpftk_diags *d;
	int bad;
};

static void push(struct flow *f, size_t pc)
{
	if (pc < f->n && !f->queued[pc]) {
		f->queued[pc] = 1;
		f->work[f->nwork++] = pc;
	}
}

static void merge(struct flow *f, size_t pc, const struct st *s)
{
	if (pc >= f->n)
		return;
	struct st *t = &f->s[pc];
	int changed = !f->reached[pc];
	f->reached[pc] = 1;
	for (int i = 0; i < BPFTK_NREGS; i++)
		if ((t->reg[i] | s->reg[i]) != t->reg[i]) {
			t->reg[i] |= s->reg[i];
			changed = 1;
		}
	for (int i = 0; i < NSLOTS; i++)
		if ((t->slot[i] | s->slot[i]) != t->slot[i]) {
			t->slot[i] |= s->slot[i];
			changed = 1;
		}
	if ((t->mem | s->mem) != t->mem) {
		t->mem |= s->mem;
		changed = 1;
	}
	if (changed)
		push(f, pc);
}

static void error(struct flow *f, size_t pc, const char *msg, int reg)
{
	f->bad = 1;
	if (f->reported[pc])
		return;
	f->reported[pc] = 1;
	bpftk_diags_add(f->d, BPFTK_SEV_ERROR, NULL, 0, 0, f->prog, (long)pc,
			msg, reg);
}

static size_t func_of(const struct flow *f, size_t pc)
{
	size_t lo = 0, hi = f->nentries;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->entries[mid] <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static size_t func_index(const struct flow *f, size_t entry)
{
	size_t i = func_of(f, entry);
	return f->entries[i] == entry ? i : f->nentries;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static void entry_state(struct st *s, int keep_args, const struct st *from)
{
	memset(s, K_OTHER, sizeof(*s));
	if (keep_args) {
		memcpy(&s->reg[1], &from->reg[1], 5);
		s->mem = from->mem;
	}
}

/* Slot index of an 8-byte aligned stack address r10 + off, or -1. */
static int slot_of(int off, unsigned size)
{
	if (off < -BPFTK_STACK_SIZE || off >= 0)
		return -1;
	if (size != 8 || (off & 7))
		return -2; /* partial: clobbers, but does not hold a pointer */
	return (off + BPFTK_STACK_SIZE) / 8;
}

static void clobber_slots(struct st *s, int off, unsigned size)
{
	for (int b = off; b < off + (int)size; b++)
		if (b >= -BPFTK_STACK_SIZE && b < 0)
			s->slot[(b + BPFTK_STACK_SIZE) / 8] = K_OTHER;
}

/* The base of a memory access: a context access, plain memory, or an
 * error. */
static void check_base(struct flow *f, size_t pc, uint8_t k, int reg,
		       uint8_t mark, int atomic)
{
	if (k == K_CTX) {
		if (atomic)
			error(f, pc, "atomic operation on the context (r%d)",
			      reg);
		else
			f->marks[pc] |= mark;
	} else if (k & K_CTX) {
		error(f, pc,
		      "r%d holds the context pointer on one path and "
		      "another value on another; the access cannot be "
		      "rewritten for both",
		      reg);
	} else if (k & K_MOD) {
		error(f, pc,
		      "dereference of modified ctx ptr r%d: context fields "
		      "are reached as r1 + constant offset",
		      reg);
	}
}

static void step(struct flow *f, size_t pc)
{
	const struct bpftk_insn *in = &f->in[pc];
	enum bpftk_op op = bpftk_isa_lookup(in);
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	struct st s = f->s[pc];
	s.reg[BPFTK_REG_FP] = K_OTHER;
	size_t next = pc + 1;
	if (!r) /* validated programs have none */
		return;
	unsigned size = BPFTK_MEM_BYTES(in->code);
	switch (r->form) {
	case BPFTK_FORM_ALU_K:
	case BPFTK_FORM_NEG:
	case BPFTK_FORM_END:
		if (BPFTK_CLASS(in->code) == BPFTK_CLASS_ALU64 &&
		    (s.reg[in->dst] & (K_CTX | K_MOD)) &&
		    op != BPFTK_OP_MOV64_K)
			s.reg[in->dst] =
				(uint8_t)((s.reg[in->dst] & K_OTHER) |
					  (op == BPFTK_OP_ADD64_K && !in->imm &&
							   !(s.reg[in->dst] &
							     K_MOD)
						   ? K_CTX
						   : K_MOD));
		else
			s.reg[in->dst] = K_OTHER;
		break;
	case BPFTK_FORM_ALU_X: {
		uint8_t a = s.reg[in->dst], b = s.reg[in->src];
		if (op == BPFTK_OP_MOV64_X)
			s.reg[in->dst] = b;
		else if (BPFTK_CLASS(in->code) == BPFTK_CLASS_ALU64 &&
			 op != BPFTK_OP_MOVSX64_8 && op != BPFTK_OP_MOVSX64_16 &&
			 op != BPFTK_OP_MOVSX64_32 &&
			 ((a | b) & (K_CTX | K_MOD)))
			s.reg[in->dst] = K_MOD;
		else
			s.reg[in->dst] = K_OTHER;
		break;
	}
	case BPFTK_FORM_LDDW:
		s.reg[in->dst] = K_OTHER;
		next = pc + 2;
		break;
	case BPFTK_FORM_LDABS:
	case BPFTK_FORM_LDIND:
		for (int i = 0; i <= 5; i++)
			s.reg[i] = K_OTHER;
		break;
	case BPFTK_FORM_LDX: {
		uint8_t v = K_OTHER;
		if (in->src == BPFTK_REG_FP) {
			int sl = slot_of(in->off, size);
			if (sl >= 0)
				v = s.slot[sl];
		} else {
			check_base(f, pc, s.reg[in->src], in->src,
				   BPFTK_CTX_ACC_LOAD, 0);
			/* context fields never give the pointer back */
			if (s.reg[in->src] != K_CTX)
				v |= s.mem;
		}
		s.reg[in->dst] = v;
		break;
	}
	case BPFTK_FORM_ST:
	case BPFTK_FORM_STX:
	case BPFTK_FORM_ATOMIC: {
		int atomic = r->form == BPFTK_FORM_ATOMIC;
		uint8_t v = r->form == BPFTK_FORM_STX ? s.reg[in->src] : K_OTHER;
		if (in->dst == BPFTK_REG_FP) {
			int sl = slot_of(in->off, size);
			if (sl >= 0 && !atomic) {
				s.slot[sl] = v;
			} else {
				if (v & (K_CTX | K_MOD))
					error(f, pc,
					      "context pointer r%d spilled "
					      "with a partial or atomic store",
					      in->src);
				clobber_slots(&s, in->off, size);
			}
		} else {
			check_base(f, pc, s.reg[in->dst], in->dst,
				   BPFTK_CTX_ACC_STORE, atomic);
			if ((v & (K_CTX | K_MOD)) && atomic)
				error(f, pc,
				      "context pointer r%d stored by an "
				      "atomic operation",
				      in->src);
			else if (v & (K_CTX | K_MOD)) {
				s.mem |= v;
				for (int i = 0; i < NSLOTS; i++)
					s.slot[i] |= v;
			}
		}
		if (atomic && (r->selval & 1)) { /* fetch: writes a register */
			s.reg[0] = K_OTHER;
			s.reg[in->src] = K_OTHER;
		}
		break;
	}
	case BPFTK_FORM_JA:
	case BPFTK_FORM_JA32:
		next = (size_t)bpftk_isa_target(f->in, pc);
		break;
	case BPFTK_FORM_JCC_K:
	case BPFTK_FORM_JCC_X:
		merge(f, (size_t)bpftk_isa_target(f->in, pc), &s);
		break;
	case BPFTK_FORM_CALL:
		if (op == BPFTK_OP_CALL_LOCAL) {
			size_t t = (size_t)bpftk_isa_target(f->in, pc);
			struct st e;
			entry_state(&e, 1, &s);
			merge(f, t, &e);
			size_t fi = func_index(f, t);
			uint8_t rk = fi < f->nentries ? f->ret[fi] : K_OTHER;
			if (!rk)
				return; /* the callee has not returned yet */
			s.reg[0] = rk;
			for (int i = 1; i <= 5; i++)
				s.reg[i] = K_OTHER;
			break;
		}
		for (int i = 0; i <= 5; i++) /* helpers and kfuncs */
			s.reg[i] = K_OTHER;
		break;
	case BPFTK_FORM_CALLX:
		for (int i = 0; i <= 5; i++)
			s.reg[i] = K_OTHER;
		break;
	case BPFTK_FORM_EXIT: {
		size_t fi = func_of(f, pc);
		if ((f->ret[fi] | s.reg[0]) != f->ret[fi]) {
			f->ret[fi] |= s.reg[0];
			/* re-run the callers' return points */
			for (size_t c = 0; c < f->n; c++)
				if (f->reached[c] &&
				    bpftk_isa_lookup(&f->in[c]) ==
					    BPFTK_OP_CALL_LOCAL &&
				    (size_t)bpftk_isa_target(f->in, c) ==
					    f->entries[fi])
					push(f, c);
		}
		return;
	}
	default:
		break;
	}
	merge(f, next, &s);
}

int bpftk_progtype_ctx_accesses(const struct bpftk_insn *insns, size_t n,
				uint8_t *marks, const char *prog,
				struct bpftk_diags *d)
{
	if ((!insns && n) || (!marks && n))
		return -EINVAL;
	if (!n)
		return 0;
	int err = bpftk_isa_validate(insns, n, d, prog);
	if (err)
		return err;
	struct flow f;
	memset(&f, 0, sizeof(f));
	f.in = insns;
	f.n = n;
	f.marks = marks;
	f.prog = prog;
	f.d = d;
	memset(marks, 0, n);
	f.s = bpftk_calloc(n, sizeof(*f.s));
	f.reached = bpftk_calloc(n, 3);
	f.work = bpftk_calloc(n, sizeof(size_t));
	f.entries = bpftk_calloc(n + 1, sizeof(size_t));
	f.ret = bpftk_calloc(n + 1, 1);
	if (!f.s || !f.reached || !f.work || !f.entries || !f.ret) {
		err = -ENOMEM;
		goto out;
	}
	f.reported = f.reached + n;
	f.queued = f.reached + 2 * n;
	/* function entries: 0, local call targets, callbacks */
	f.entries[f.nentries++] = 0;
	for (size_t pc = 0; pc < n; pc++) {
		enum bpftk_op op = bpftk_isa_lookup(&insns[pc]);
		long t = -1;
		if (op == BPFTK_OP_CALL_LOCAL)
			t = bpftk_isa_target(insns, pc);
		else if (op == BPFTK_OP_LDDW_FUNC)
			t = (long)pc + 1 + insns[pc].imm;
		if (bpftk_isa_info(op) &&
		    bpftk_isa_info(op)->form == BPFTK_FORM_LDDW)
			pc++;
		if (t > 0 && (size_t)t < n)
			f.entries[f.nentries++] = (size_t)t;
	}
	qsort(f.entries, f.nentries, sizeof(size_t), cmp_size);
	size_t k = 0;
	for (size_t i = 0; i < f.nentries; i++)
		if (!k || f.entries[k - 1] != f.entries[i])
			f.entries[k++] = f.entries[i];
	f.nentries = k;
	struct st e;
	entry_state(&e, 0, NULL);
	e.reg[1] = K_CTX;
	merge(&f, 0, &e);
	/* callbacks: reached from helpers with nothing known */
	for (size_t pc = 0; pc < n; pc++)
		if (bpftk_isa_lookup(&insns[pc]) == BPFTK_OP_LDDW_FUNC) {
			long t = (long)pc + 1 + insns[pc].imm;
			entry_state(&e, 0, NULL);
			if (t >= 0 && (size_t)t < n)
				merge(&f, (size_t)t, &e);
		}
	while (f.nwork) {
		size_t pc = f.work[--f.nwork];
		f.queued[pc] = 0;
		step(&f, pc);
	}
	err = f.bad ? -EINVAL : 0;
out:
	bpftk_free(f.s);
	bpftk_free(f.reached);
	bpftk_free(f.work);
	bpftk_free(f.entries);
	bpftk_free(f.ret);
	return err;
}
