/* facts.c — what the JIT may assume at each slot, from what the verifier
 * proved (struct bpftk_verify_insn_facts, one per slot) and what the
 * instructions themselves guarantee.  Architecture-independent: a backend
 * reads the answers (struct jit_facts) and decides what to leave out.
 *
 * Three kinds of answer, each switched off by its own option:
 *  - JF_DEAD: no verifier path reached the slot, so no run does either
 *    (a jump into it cannot happen in a verified program);
 *  - JF_CONST: the slot is an ALU or load instruction whose destination
 *    holds the same value after it on every path the verifier walked
 *    (dst_known; the verifier clears it when a second value is seen);
 *    such an instruction has no other effect, so `dst = value` replaces it;
 *  - JF_DIVISOR and zx: register values on entry to a slot, found by a
 *    forward data flow over the program: each register is unreached, one
 *    constant, "upper 32 bits zero" or unknown; an instruction sets its
 *    destination from its fact (a constant) or its own semantics (32-bit
 *    results are zero-extended; a copy copies), calls forget r0..r5, and
 *    where paths join the values meet.  A division by a register whose
 *    value is known needs no divide-by-zero or -1 test; a zero extension
 *    of a register whose upper half is already zero is no code.
 *
 * Invariants: the data flow runs over segments, the runs of slots between
 * two slots that env->entry marks as entered other than by falling
 * through (jump and call targets, callbacks, slots after exit and ja), so
 * a slot inside a segment is reached only from the slot before it.
 * Function entries (slot 0, local call targets, function pointer targets)
 * and segments nothing falls or jumps into start with every register
 * unknown.  Without env->entry, for a program with very many segments or
 * without memory for the data flow, only JF_DEAD and JF_CONST are given;
 * without memory for those, nothing (the code is then what it would be
 * without facts).
 */
#include <string.h>

#include "jit_int.h"

#define NTRACK 10	      /* r0..r9: r10 is never a number */
#define MAX_SEGS (1u << 17)   /* data flow beyond this: not worth memory */

enum { K_NONE, K_CONST, K_ZX, K_ANY }; /* unreached < ... < unknown */

struct rstate {
	uint8_t k[NTRACK];
	uint64_t v[NTRACK];
};

struct flow {
	const struct bpftk_insn *insns;
	size_t n;
	const struct bpftk_verify_insn_facts *facts;
	uint32_t *seg;	     /* slot -> its segment */
	uint32_t *start;     /* segment -> first slot; start[nseg] = n */
	uint32_t nseg;
	struct rstate *in;   /* segment -> registers on entry */
	uint32_t *queue;
	uint8_t *queued;
	uint32_t qhead, qlen;
};

static int upper_zero(uint8_t k, uint64_t v)
{
	return k == K_ZX || (k == K_CONST && v <= UINT32_MAX);
}

/* a = a meet b; returns whether a changed */
static int meet(struct rstate *a, const struct rstate *b)
{
	int changed = 0;
	for (int r = 0; r < NTRACK; r++) {
		uint8_t k = a->k[r];
		uint64_t v = a->v[r];
		if (b->k[r] == K_NONE || k == K_ANY)
			continue;
		if (k == K_NONE) {
			k = b->k[r];
			v = b->v[r];
		} else if (k == K_CONST && b->k[r] == K_CONST && v == b->v[r]) {
			continue;
		} else if (upper_zero(k, v) && upper_zero(b->k[r], b->v[r])) {
			k = K_ZX;
			v = 0;
		} else {
			k = K_ANY;
			v = 0;
		}
		if (k != a->k[r] || v != a->v[r]) {
			a->k[r] = k;
			a->v[r] = v;
			changed = 1;
		}
	}
	return changed;
}

static void set_all(struct rstate *s, uint8_t k)
{
	memset(s->k, k, sizeof(s->k));
	memset(s->v, 0, sizeof(s->v));
}

static void forget(struct rstate *s, int lo, int hi)
{
	for (int r = lo; r <= hi; r++) {
		s->k[r] = K_ANY;
		s->v[r] = 0;
	}
}

static int is_div_x(enum bpftk_op op)
{
	switch (op) {
	case BPFTK_OP_DIV64_X: case BPFTK_OP_DIV32_X:
	case BPFTK_OP_SDIV64_X: case BPFTK_OP_SDIV32_X:
	case BPFTK_OP_MOD64_X: case BPFTK_OP_MOD32_X:
	case BPFTK_OP_SMOD64_X: case BPFTK_OP_SMOD32_X:
		return 1;
	default:
		return 0;
	}
}

/* Slots an instruction takes (lddw: 2). */
static size_t width(const struct bpftk_insn *in)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(bpftk_isa_lookup(in));
	return r && r->form == BPFTK_FORM_LDDW ? 2 : 1;
}

static void push(struct flow *f, uint32_t s)
{
	if (f->queued[s])
		return;
	f->queued[s] = 1;
	f->queue[(f->qhead + f->qlen++) % f->nseg] = s;
}

static void flow_into(struct flow *f, size_t t, const struct rstate *s)
{
	if (t >= f->n)
		return; /* off the end: a fault, nothing to learn */
	uint32_t g = f->seg[t];
	if (f->start[g] == t && meet(&f->in[g], s))
		push(f, g);
}

/* Registers after slot pc (executed with s on entry); flows into jump
 * targets.  Returns 0 when nothing falls through to the next slot. */
static int step(struct flow *f, size_t pc, struct rstate *s)
{
	const struct bpftk_insn *in = &f->insns[pc];
	const struct bpftk_verify_insn_facts *fa = &f->facts[pc];
	enum bpftk_op op = bpftk_isa_lookup(in);
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	if (!r || !fa->reachable) {
		set_all(s, K_NONE); /* never runs: nothing flows on */
		return 0;
	}
	unsigned uses = bpftk_isa_form_uses(r->form);
	int d = in->dst < NTRACK ? in->dst : -1;
	switch (r->form) {
	case BPFTK_FORM_LDDW:
		if (d < 0)
			return 1;
		/* after binding every form is a plain constant in the code,
		 * but only src 0 is one the program chose */
		if (in->src == 0 && pc + 1 < f->n) {
			s->k[d] = K_CONST;
			s->v[d] = (uint32_t)in->imm |
				  (uint64_t)(uint32_t)in[1].imm << 32;
		} else {
			forget(s, d, d);
		}
		return 1;
	case BPFTK_FORM_LDABS:
	case BPFTK_FORM_LDIND:
	case BPFTK_FORM_CALL:
	case BPFTK_FORM_CALLX:
		/* r0 is the result; r1..r5 are scratch for the verifier
		 * (a local call's callee restores r6..r9) */
		forget(s, 0, 5);
		return 1;
	case BPFTK_FORM_ATOMIC:
		/* fetch forms write src, cmpxchg writes r0 */
		if (in->imm & 1) {
			if (in->src < NTRACK)
				forget(s, in->src, in->src);
			forget(s, 0, 0);
		}
		return 1;
	case BPFTK_FORM_JA:
	case BPFTK_FORM_JA32:
		flow_into(f, (size_t)bpftk_isa_target(f->insns, pc), s);
		return 0;
	case BPFTK_FORM_JCC_K:
	case BPFTK_FORM_JCC_X:
		flow_into(f, (size_t)bpftk_isa_target(f->insns, pc), s);
		return 1;
	case BPFTK_FORM_EXIT:
		return 0;
	default:
		break;
	}
	if (!(uses & BPFTK_WRITES_DST) || d < 0)
		return 1;
	/* zero extension from the verifier's fact, but only where the
	 * instruction compiled is narrow: the context rewrite turns 32-bit
	 * loads of packet pointers into 64-bit ones, and the fact is also
	 * set for le64 and be64, whose class is ALU but whose result is not
	 * 32 bits */
	int narrow = (BPFTK_CLASS(in->code) == BPFTK_CLASS_ALU &&
		      !(r->form == BPFTK_FORM_END && in->imm == 64)) ||
		     op == BPFTK_OP_LDXB || op == BPFTK_OP_LDXH ||
		     op == BPFTK_OP_LDXW;
	if (fa->dst_known) {
		s->k[d] = K_CONST;
		s->v[d] = fa->dst_value;
	} else if (op == BPFTK_OP_MOV64_X && in->src < NTRACK) {
		s->k[d] = s->k[in->src];
		s->v[d] = s->v[in->src];
	} else if (fa->zext_done && narrow) {
		s->k[d] = K_ZX;
		s->v[d] = 0;
	} else {
		forget(s, d, d);
	}
	return 1;
}

/* Notes what slot pc may assume on entry (state s). */
static void record(const struct flow *f, size_t pc, const struct rstate *s,
		   const struct bpftk_jit_opts *o, struct jit_slot_facts *out)
{
	const struct bpftk_insn *in = &f->insns[pc];
	if (!o->no_zext) {
		uint16_t zx = 0;
		for (int r = 0; r < NTRACK; r++)
			if (upper_zero(s->k[r], s->v[r]))
				zx |= (uint16_t)(1u << r);
		out->zx = zx;
	}
	if (!o->no_div_facts && is_div_x(bpftk_isa_lookup(in)) &&
	    in->src < NTRACK && s->k[in->src] == K_CONST) {
		out->what |= JF_DIVISOR;
		out->divisor = s->v[in->src];
	}
}

static void flow_free(struct flow *f)
{
	bpftk_free(f->seg);
	bpftk_free(f->start);
	bpftk_free(f->in);
	bpftk_free(f->queue);
	bpftk_free(f->queued);
}

/* Registers on entry to each slot: fills zx and JF_DIVISOR of out.
 * Returns 0, or -1 when it could not run (nothing filled in). */
static int data_flow(const struct bpftk_insn *insns, size_t n,
		     const struct bpftk_jit_env *env,
		     const struct bpftk_verify_insn_facts *facts,
		     const struct bpftk_jit_opts *o, struct jit_slot_facts *out)
{
	struct flow f;
	memset(&f, 0, sizeof(f));
	f.insns = insns;
	f.n = n;
	f.facts = facts;
	size_t nseg = 0;
	for (size_t pc = 0; pc < n; pc++)
		nseg += pc == 0 || env->entry[pc];
	if (nseg > MAX_SEGS)
		return -1;
	f.nseg = (uint32_t)nseg;
	f.seg = bpftk_malloc(n * sizeof(*f.seg));
	f.start = bpftk_malloc((nseg + 1) * sizeof(*f.start));
	f.in = bpftk_malloc(nseg * sizeof(*f.in));
	f.queue = bpftk_malloc(nseg * sizeof(*f.queue));
	f.queued = bpftk_calloc(nseg, 1);
	/* external[g]: entered from outside the flow, registers unknown */
	uint8_t *external = bpftk_calloc(nseg, 1);
	uint8_t *fed = bpftk_calloc(nseg, 1); /* something flows into it */
	if (!f.seg || !f.start || !f.in || !f.queue || !f.queued ||
	    !external || !fed) {
		flow_free(&f);
		bpftk_free(external);
		bpftk_free(fed);
		return -1;
	}
	uint32_t g = 0;
	for (size_t pc = 0; pc < n; pc++) {
		if (pc && env->entry[pc])
			g++;
		if (pc == 0 || env->entry[pc])
			f.start[g] = (uint32_t)pc;
		f.seg[pc] = g;
	}
	f.start[nseg] = (uint32_t)n;
	external[0] = 1;
	for (size_t pc = 0; pc < n; pc += width(&insns[pc])) {
		enum bpftk_op op = bpftk_isa_lookup(&insns[pc]);
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (!r)
			continue;
		size_t next = pc + width(&insns[pc]);
		if (op != BPFTK_OP_EXIT && op != BPFTK_OP_JA &&
		    op != BPFTK_OP_JA32 && next < n)
			fed[f.seg[next]] = 1;
		int jump = bpftk_isa_form_uses(r->form) & BPFTK_IS_JUMP;
		if (!jump && op != BPFTK_OP_CALL_LOCAL && op != BPFTK_OP_LDDW_FUNC)
			continue;
		long t = bpftk_isa_target(insns, pc);
		if (t < 0 || (size_t)t >= n)
			continue;
		if (jump)
			fed[f.seg[t]] = 1;
		else
			external[f.seg[t]] = 1; /* a function's entry */
	}
	for (uint32_t i = 0; i < nseg; i++) {
		set_all(&f.in[i], external[i] || !fed[i] ? K_ANY : K_NONE);
		push(&f, i);
	}
	struct rstate s;
	while (f.qlen) {
		uint32_t i = f.queue[f.qhead];
		f.qhead = (f.qhead + 1) % f.nseg;
		f.qlen--;
		f.queued[i] = 0;
		s = f.in[i];
		int reached = 0;
		for (int r = 0; r < NTRACK; r++)
			reached |= s.k[r] != K_NONE;
		if (!reached)
			continue; /* until something flows in */
		size_t pc = f.start[i];
		int falls = 1;
		while (pc < f.start[i + 1] && falls) {
			falls = step(&f, pc, &s);
			pc += width(&insns[pc]);
		}
		if (falls && pc < n)
			flow_into(&f, pc, &s);
	}
	for (uint32_t i = 0; i < nseg; i++) {
		s = f.in[i];
		for (size_t pc = f.start[i]; pc < f.start[i + 1];
		     pc += width(&insns[pc])) {
			record(&f, pc, &s, o, &out[pc]);
			step(&f, pc, &s);
		}
	}
	flow_free(&f);
	bpftk_free(external);
	bpftk_free(fed);
	return 0;
}

/* May slot pc's instruction become `dst = dst_value`?  Only an ALU
 * instruction or a plain load: they write dst and nothing else, and
 * cannot fault in a verified program.  lddw is a constant already (and
 * its pseudo forms are bound to other values after verification). */
static int foldable(const struct bpftk_insn *in,
		    const struct bpftk_verify_insn_facts *fa)
{
	if (!fa->reachable || !fa->dst_known || in->dst >= NTRACK)
		return 0;
	enum bpftk_op op = bpftk_isa_lookup(in);
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	if (!r)
		return 0;
	switch (r->form) {
	case BPFTK_FORM_ALU_K:
	case BPFTK_FORM_ALU_X:
	case BPFTK_FORM_NEG:
	case BPFTK_FORM_END:
	case BPFTK_FORM_LDX:
		return 1;
	default:
		return 0;
	}
}

int bpftk_jit_facts_new(const struct bpftk_insn *insns, size_t n,
			const struct bpftk_jit_env *env,
			const struct bpftk_jit_opts *o, struct jit_facts *out)
{
	memset(out, 0, sizeof(*out));
	const struct bpftk_verify_insn_facts *fa = o->facts;
	if (!fa || !n || (o->no_dead_code && o->no_const_fold &&
			  o->no_div_facts && o->no_zext))
		return 0;
	out->s = bpftk_calloc(n + 1, sizeof(*out->s));
	out->next_live = bpftk_malloc((n + 1) * sizeof(*out->next_live));
	if (!out->s || !out->next_live) {
		bpftk_jit_facts_free(out);
		return -1;
	}
	int dead_ok = !o->no_dead_code;
	/* a function pointer to code the verifier never walked: its
	 * reachability says nothing about how the code is entered */
	for (size_t pc = 0; dead_ok && pc < n; pc++)
		if (bpftk_isa_lookup(&insns[pc]) == BPFTK_OP_LDDW_FUNC) {
			long t = bpftk_isa_target(insns, pc);
			if (t >= 0 && (size_t)t < n && !fa[t].reachable)
				dead_ok = 0;
		}
	for (size_t pc = 0; pc < n; pc += width(&insns[pc])) {
		/* the verifier goes from lddw to the slot after its second,
		 * which is dead exactly when the lddw is */
		if (dead_ok && !fa[pc].reachable)
			for (size_t i = pc; i < pc + width(&insns[pc]) && i < n; i++)
				out->s[i].what |= JF_DEAD;
		if (!o->no_const_fold && foldable(&insns[pc], &fa[pc])) {
			out->s[pc].what |= JF_CONST;
			out->s[pc].value = fa[pc].dst_value;
		}
	}
	out->next_live[n] = (uint32_t)n;
	for (size_t pc = n; pc-- > 0;)
		out->next_live[pc] = out->s[pc].what & JF_DEAD
					     ? out->next_live[pc + 1]
					     : (uint32_t)pc;
	if ((!o->no_div_facts || !o->no_zext) && env->entry)
		(void)data_flow(insns, n, env, fa, o, out->s);
	out->on = 1;
	return 0;
}

void bpftk_jit_facts_free(struct jit_facts *f)
{
	bpftk_free(f->s);
	bpftk_free(f->next_live);
	memset(f, 0, sizeof(*f));
}
