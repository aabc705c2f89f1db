/* test_jit_facts.c — the JIT with what the verifier proved
 * (bpftk_vm_opts.facts, src/jit/facts.c): no code for slots no path
 * reaches, a mov for results that are constants, divisions by a known
 * register without their tests, no zero extension of a register already
 * zero-extended.  Each use is switched off by its own flag
 * (BPFTK_VM_JIT_NO_*); every program here runs with all of them, all but
 * one, one alone, none, and all with the peephole pass off or with
 * constant blinding, and must give the fast interpreter's error, r0 and
 * memory in every one, with no more code than without facts (the uses
 * only take code away):
 *  - the shared conformance suite, each program the verifier accepts as a
 *    raw program over its memory (also with the file's r0);
 *  - random programs built to pass the verifier (constants, branches the
 *    verifier decides, loops, spills and fills, divisions by constants in
 *    registers, 32-bit zero extensions, local calls), on several memory
 *    contents;
 *  - one program per use where it must make the code smaller: the code of
 *    its slots (bpftk_vm_jit_code) is smaller with the use on than with it
 *    off, the other uses on;
 *  - the corpus (SHARED/corpus/ebpf-samples): every program the verifier
 *    accepts compiles with its facts, to no more code than without (the
 *    sizes are printed: clang -O2 leaves little for the facts to take);
 *  - facts for another slot count are refused (-EINVAL), facts without a
 *    count too, and other modes ignore them;
 *  - every allocation of a load with facts failing in turn: -ENOMEM, or
 *    the right result, with all the facts' uses or (the analysis without
 *    memory) with fewer, nothing leaked.
 * BPFTK_JIT_FACTS_N=<programs> (default 2000) and BPFTK_JIT_FACTS_SEED for
 * long runs.
 */
#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>

#include <bpftk/asm.h>
#include <bpftk/helpers.h>
#include <bpftk/object.h>
#include <bpftk/verifier.h>

#include "test.h"
#include "test_conf_case.h"
#include "test_alloc.h"
#include "test_vm_util.h"

#define MEMSZ 256
#define RUNS 6
#define MAXP 700

#define F_DEAD BPFTK_VM_JIT_NO_DEAD_CODE
#define F_CONST BPFTK_VM_JIT_NO_CONST_FOLD
#define F_DIV BPFTK_VM_JIT_NO_DIV_FACTS
#define F_ZEXT BPFTK_VM_JIT_NO_ZEXT
#define F_ALL (F_DEAD | F_CONST | F_DIV | F_ZEXT)

static const struct {
	unsigned flags;
	const char *name;
} sets[] = {
	{0, "all"},
	{F_DEAD, "all but dead code"},
	{F_CONST, "all but constants"},
	{F_DIV, "all but divisors"},
	{F_ZEXT, "all but zero extension"},
	{F_ALL & ~F_DEAD, "dead code alone"},
	{F_ALL & ~F_CONST, "constants alone"},
	{F_ALL & ~F_DIV, "divisors alone"},
	{F_ALL & ~F_ZEXT, "zero extension alone"},
	{F_ALL, "none"},
	{BPFTK_VM_JIT_NO_PEEPHOLE, "all, no peephole"},
	{BPFTK_VM_JIT_BLIND, "all, blinded"},
};
#define NSETS (sizeof(sets) / sizeof(sets[0]))

/* ---- one program in every configuration ---------------------------------- */

static unsigned char region[MEMSZ]; /* one address for every engine */

static uint64_t h_first(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e, (void)call;
	return a;
}

/* What bpftk_verify proved about p as a raw program over len bytes
 * (malloc'ed), or NULL when it rejects p (the reason in why). */
static struct bpftk_verify_insn_facts *
verify(const struct bpftk_insn *p, size_t n, size_t len, char *why,
       size_t whylen)
{
	struct bpftk_verify_opts vo = {.sz = sizeof(vo),
				       .raw_mem_size = (uint32_t)len};
	struct bpftk_verify_result *res = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_verify_insn_facts *f = NULL;
	int err = bpftk_verify(p, n, &vo, &res, d);
	if (!err && (f = malloc(n * sizeof(*f)))) {
		for (size_t pc = 0; pc < n; pc++)
			f[pc] = bpftk_verify_result_facts(res, pc);
	} else if (why) {
		why[0] = '\0';
		if (bpftk_diags_count(d))
			bpftk_diag_format(bpftk_diags_get(d, 0), why, whylen);
	}
	bpftk_verify_result_free(res);
	bpftk_diags_free(d);
	return f;
}

struct out {
	int load_err, err, warned;
	uint64_t r0;
	size_t size; /* bytes of code of the slots; 0: not compiled */
	unsigned char mem[MEMSZ];
};

static struct out run1(enum bpftk_vm_mode mode, unsigned flags,
		       const struct bpftk_insn *p, size_t n,
		       const struct bpftk_verify_insn_facts *facts,
		       const unsigned char *mem, size_t len)
{
	struct out o;
	memset(&o, 0, sizeof(o));
	struct bpftk_vm_opts vo = {.sz = sizeof(vo), .mode = mode,
				   .flags = flags,
				   .budget = BPFTK_VM_UNLIMITED,
				   .facts = facts, .nfacts = facts ? n : 0};
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	o.load_err = bpftk_vm_new(&vo, &vm);
	if (!o.load_err)
		o.load_err = bpftk_vm_register_helper(vm, 5, "first", h_first);
	if (!o.load_err)
		o.load_err = bpftk_vm_load(vm, p, n, d);
	o.warned = bpftk_diags_count(d) > 0;
	const uint32_t *off;
	if (!o.load_err && !bpftk_vm_jit_code(vm, NULL, NULL, &off, NULL))
		o.size = off[n] - off[0];
	if (!o.load_err) {
		memcpy(region, mem, len);
		o.err = bpftk_vm_run_mem(vm, len ? region : NULL, len, &o.r0,
					 NULL);
		memcpy(o.mem, region, len);
	}
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	return o;
}

/* Runs verified p in the fast interpreter, the JIT without facts and the
 * JIT in every set; all must agree and the JIT must not fall back.
 * Adds the code sizes to size[] (size[NSETS]: without facts).  Returns
 * the number of disagreements (printed). */
static int all_sets(const char *what, const struct bpftk_insn *p, size_t n,
		    const struct bpftk_verify_insn_facts *facts,
		    const unsigned char *mem, size_t len, size_t *size)
{
	struct out ref = run1(BPFTK_VM_FAST, 0, p, n, NULL, mem, len);
	struct out plain = run1(BPFTK_VM_JIT, 0, p, n, NULL, mem, len);
	int bad = 0;
	if (size)
		size[NSETS] += plain.size;
	for (size_t s = 0; s < NSETS; s++) {
		struct out j = run1(BPFTK_VM_JIT, sets[s].flags, p, n, facts,
				    mem, len);
		if (size)
			size[s] += j.size;
		/* every use only ever takes code away */
		int smaller = (sets[s].flags & ~F_ALL) || j.size <= plain.size;
		int same = !j.load_err && !j.warned && j.size && smaller &&
			   j.load_err == ref.load_err && j.err == ref.err &&
			   j.r0 == ref.r0 && !memcmp(j.mem, ref.mem, len);
		if (!same && bad++ < 3)
			fprintf(stderr,
				"%s [%s]: jit/fast load %d/%d err %d/%d r0 "
				"%#" PRIx64 "/%#" PRIx64 " warned %d%s, %zu "
				"bytes (%zu without facts)\n",
				what, sets[s].name, j.load_err, ref.load_err,
				j.err, ref.err, j.r0, ref.r0, j.warned,
				memcmp(j.mem, ref.mem, len) ? " memory differs"
							    : "",
				j.size, plain.size);
	}
	return bad;
}

static void print_sizes(const char *what, const size_t *size)
{
	printf("%s: code of the slots without facts %zu bytes; with them:",
	       what, size[NSETS]);
	for (size_t s = 0; s < NSETS; s++)
		printf("%s %s %zu", s ? ";" : "", sets[s].name, size[s]);
	printf("\n");
}

/* ---- the conformance suite ------------------------------------------------ */

struct conf_stats {
	size_t size[NSETS + 1];
	int verified, bad;
};

static void conf_one(const struct conf_case *c, void *arg)
{
	struct conf_stats *st = arg;
	struct bpftk_verify_insn_facts *facts =
		verify(c->insns, c->n, c->memlen, NULL, 0);
	if (facts) {
		st->verified++;
		st->bad += all_sets(c->name, c->insns, c->n, facts, c->mem,
				    c->memlen, st->size);
		struct out j = run1(BPFTK_VM_JIT, 0, c->insns, c->n, facts,
				    c->mem, c->memlen);
		if (j.load_err || j.err || j.r0 != c->want) {
			fprintf(stderr, "%s: r0 %#" PRIx64 ", want %#" PRIx64 "\n",
				c->name, j.r0, c->want);
			st->bad++;
		}
	}
	free(facts);
}

static void conformance(void)
{
	struct conf_stats st = {{0}, 0, 0};
	int files = for_each_conf_case(test_shared, conf_one, &st);
	if (files < 0)
		return;
	printf("conformance: %d programs, %d verified, each run in %zu sets "
	       "of the facts' uses: %d differ\n",
	       files, st.verified, NSETS, st.bad);
	print_sizes("conformance", st.size);
	CHECK(st.bad == 0);
	CHECK(files > 300);
	CHECK(st.verified > files / 2);
	CHECK(st.size[0] < st.size[NSETS]);
}

/* ---- random verified programs --------------------------------------------- */

static uint64_t state = 0x3c6ef372fe94f82bull;

static uint64_t rnd(void)
{
	return vt_xorshift(&state);
}

static uint64_t value(void)
{
	static const uint64_t edge[] = {
		0, 1, 2, 3, 7, 31, 32, 63, 0x7f, 0x80, 0xff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
		0x8000000000000000ull, UINT64_MAX, 0xffffffff80000000ull};
	return vt_value(&state, edge, sizeof(edge) / sizeof(edge[0]));
}

struct gen {
	struct bpftk_insn p[MAXP];
	uint8_t inner[MAXP]; /* no jump lands here: inside a pattern */
	size_t n;
	const int *regs; /* the registers numbers may be in */
	int nregs;
};

static const int main_regs[] = {0, 2, 3, 4, 5, 6, 7, 8};
/* in a local function r6..r9 are not set, r1 is the memory */
static const int fn_regs[] = {0, 2, 3, 4, 5};

static int reg(const struct gen *g)
{
	return g->regs[rnd() % (unsigned)g->nregs];
}

static void put(struct gen *g, struct bpftk_insn i)
{
	if (g->n < MAXP)
		g->p[g->n++] = vt_unreserved(i);
}

/* A row of one of the forms in mask, of class ALU or ALU64 when alu. */
static enum bpftk_op pick(unsigned mask, int alu)
{
	for (;;) {
		enum bpftk_op op = (enum bpftk_op)(1 + rnd() % (BPFTK_OP__COUNT - 1));
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (!r || !(mask & (1u << r->form)))
			continue;
		int cls = BPFTK_CLASS(r->code);
		if (alu && cls != BPFTK_CLASS_ALU && cls != BPFTK_CLASS_ALU64)
			continue;
		return op;
	}
}

static void alu(struct gen *g, int d)
{
	enum bpftk_op op = pick(1u << BPFTK_FORM_ALU_K | 1u << BPFTK_FORM_ALU_X |
					1u << BPFTK_FORM_NEG | 1u << BPFTK_FORM_END,
				1);
	int32_t imm = (int32_t)value();
	if (rnd() % 3 == 0)
		imm = (int32_t)(rnd() % 70) - 3;
	put(g, vt_ins(op, d, reg(g), 0, imm));
}

static void constant(struct gen *g, int d)
{
	uint64_t v = value();
	switch (rnd() % 3) {
	case 0:
		put(g, MOVK(d, (int32_t)v));
		break;
	case 1:
		put(g, I(MOV32_K, d, 0, 0, (int32_t)v));
		break;
	default:
		put(g, I(LDDW, d, 0, 0, vt_lo(v)));
		put(g, vt_raw(0, 0, 0, 0, vt_hi(v)));
		g->inner[g->n - 1] = 1;
	}
}

/* A memory access through base (r9 or r1: the memory; r10: the stack)
 * at an in-bounds offset aligned for size sz. */
static int mem_off(int base, unsigned sz)
{
	if (base == 10)
		return -(int)(sz * (1 + rnd() % (256 / sz)));
	return (int)(sz * (rnd() % (MEMSZ / 2 / sz)));
}

static void memory(struct gen *g, int base)
{
	unsigned k = (unsigned)(rnd() % 10);
	if (k < 4) {
		enum bpftk_op op = pick(1u << BPFTK_FORM_LDX, 0);
		unsigned sz = BPFTK_MEM_BYTES(bpftk_isa_info(op)->code);
		put(g, vt_ins(op, reg(g), base, mem_off(base, sz), 0));
	} else if (k < 7) {
		enum bpftk_op op = pick(1u << BPFTK_FORM_ST | 1u << BPFTK_FORM_STX, 0);
		unsigned sz = BPFTK_MEM_BYTES(bpftk_isa_info(op)->code);
		put(g, vt_ins(op, base, reg(g), mem_off(base, sz), (int32_t)value()));
	} else if (k < 8) {
		enum bpftk_op op = pick(1u << BPFTK_FORM_ATOMIC, 0);
		unsigned sz = BPFTK_MEM_BYTES(bpftk_isa_info(op)->code);
		put(g, vt_ins(op, base, reg(g), mem_off(base, sz), 0));
	} else { /* spill and fill: the verifier knows what comes back */
		static const enum bpftk_op st[] = {BPFTK_OP_STXDW, BPFTK_OP_STXW,
						   BPFTK_OP_STXH, BPFTK_OP_STXB};
		static const enum bpftk_op ld[] = {BPFTK_OP_LDXDW, BPFTK_OP_LDXW,
						   BPFTK_OP_LDXH, BPFTK_OP_LDXB};
		unsigned w = (unsigned)(rnd() % 4);
		int off = -8 * (int)(1 + rnd() % 8);
		put(g, vt_ins(st[w], 10, reg(g), off, 0));
		put(g, vt_ins(ld[w], reg(g), 10, off, 0));
		g->inner[g->n - 1] = rnd() & 1;
	}
}

/* dst op= src with src just set to a constant (mostly nonzero) */
static void division(struct gen *g)
{
	static const enum bpftk_op ops[] = {
		BPFTK_OP_DIV64_X, BPFTK_OP_DIV32_X, BPFTK_OP_SDIV64_X,
		BPFTK_OP_SDIV32_X, BPFTK_OP_MOD64_X, BPFTK_OP_MOD32_X,
		BPFTK_OP_SMOD64_X, BPFTK_OP_SMOD32_X};
	int d = reg(g), s = reg(g);
	if (s == d)
		s = d == 0 ? 2 : 0;
	static const int32_t k[] = {1, 3, 7, 10, -1, -7, 0, 256, 0x7fffffff,
				    (int32_t)0x80000000};
	int32_t v = k[rnd() % (sizeof(k) / sizeof(k[0]))];
	size_t first = g->n;
	if (rnd() % 3 == 0) {
		put(g, I(LDDW, s, 0, 0, v));
		put(g, vt_raw(0, 0, 0, 0, (int32_t)rnd()));
		g->inner[g->n - 1] = 1;
	} else {
		put(g, MOVK(s, v));
	}
	if (rnd() % 4 == 0) /* the dividend unknown */
		put(g, vt_ins(BPFTK_OP_LDXDW, d, g->regs == fn_regs ? 1 : 9,
			      mem_off(9, 8), 0));
	put(g, vt_ins(ops[rnd() % 8], d, s, 0, 0));
	/* half of them may be entered in the middle (by a path where the
	 * divisor is something else) */
	if (rnd() & 1)
		for (size_t i = first + 1; i < g->n; i++)
			g->inner[i] = 1;
}

/* The ways programs zero-extend, after a 32-bit or a 64-bit result. */
static void zext(struct gen *g)
{
	int d = reg(g);
	if (rnd() & 1)
		put(g, vt_ins(pick(1u << BPFTK_FORM_ALU_K | 1u << BPFTK_FORM_ALU_X, 1),
			      d, reg(g), 0, (int32_t)value()));
	else
		put(g, vt_ins(BPFTK_OP_LDXW, d, g->regs == fn_regs ? 1 : 9,
			      mem_off(9, 4), 0));
	switch (rnd() % 3) {
	case 0:
		put(g, I(MOV32_X, d, d, 0, 0));
		break;
	case 1:
		put(g, I(LSH64_K, d, 0, 0, 32));
		put(g, I(RSH64_K, d, 0, 0, 32));
		g->inner[g->n - 1] = 1;
		break;
	default:
		put(g, I(LE32, d, 0, 0, 32));
	}
}

/* r8 = k; do { body } while (--r8) */
static void loop(struct gen *g)
{
	size_t head = g->n + 1;
	put(g, MOVK(8, (int32_t)(1 + rnd() % 5)));
	int nb = 1 + (int)(rnd() % 3);
	for (int i = 0; i < nb; i++) {
		int d;
		do
			d = reg(g);
		while (d == 8);
		if (rnd() % 3)
			alu(g, d);
		else
			put(g, vt_ins(BPFTK_OP_ADD64_K, d, 0, 0, (int32_t)value()));
		g->p[g->n - 1].src = g->p[g->n - 1].src == 8 ? 0 : g->p[g->n - 1].src;
	}
	put(g, I(SUB64_K, 8, 0, 0, 1));
	put(g, I(JNE64_K, 8, 0, (int)head - (int)g->n - 1, 0));
	for (size_t i = head; i < g->n; i++)
		g->inner[i] = 1;
}

static void one(struct gen *g, size_t end, int fn)
{
	unsigned k = (unsigned)(rnd() % 100);
	int base = g->regs == fn_regs ? 1 : 9;
	if (k < 32) {
		alu(g, reg(g));
	} else if (k < 44) {
		memory(g, rnd() % 3 ? base : 10);
	} else if (k < 58) { /* forward branch */
		size_t room = end > g->n + 1 ? end - g->n - 1 : 0;
		int off = room ? (int)(rnd() % (room < 20 ? room : 20)) : 0;
		enum bpftk_op op = pick(1u << BPFTK_FORM_JCC_K | 1u << BPFTK_FORM_JCC_X, 0);
		put(g, vt_ins(op, reg(g), reg(g), off, (int32_t)value()));
	} else if (k < 62) { /* if / else */
		size_t room = end > g->n + 2 ? end - g->n - 2 : 0;
		enum bpftk_op op = pick(1u << BPFTK_FORM_JCC_K | 1u << BPFTK_FORM_JCC_X, 0);
		put(g, vt_ins(op, reg(g), reg(g), 1, (int32_t)value()));
		put(g, I(JA, 0, 0, room ? (int)(rnd() % (room < 10 ? room : 10)) : 0, 0));
	} else if (k < 72) {
		constant(g, reg(g));
	} else if (k < 80) {
		division(g);
	} else if (k < 88) {
		zext(g);
	} else if (k < 92 && g->regs == main_regs) {
		loop(g);
	} else if (k < 95 && fn) {
		/* the function gets the memory in r1; a call leaves
		 * r1..r5 unset for the verifier */
		put(g, MOVX(1, 9));
		put(g, I(CALL_LOCAL, 0, 0, 0, 0));
		g->inner[g->n - 1] = 1;
		for (int r = 2; r <= 5; r++)
			constant(g, r);
	} else {
		alu(g, reg(g));
	}
}

static size_t generate(struct gen *g)
{
	g->n = 0;
	memset(g->inner, 0, sizeof(g->inner));
	g->regs = main_regs;
	g->nregs = 8;
	put(g, MOVX(9, 1));
	for (int i = 0; i < 8; i++) {
		if (rnd() % 4 == 0)
			put(g, vt_ins(BPFTK_OP_LDXDW, main_regs[i], 9,
				      mem_off(9, 8), 0));
		else
			constant(g, main_regs[i]);
	}
	size_t main_end = g->n + 40 + rnd() % 200;
	int with_fn = rnd() % 3 == 0;
	while (g->n < main_end)
		one(g, main_end, with_fn);
	for (int i = 0; i < 8; i++)
		put(g, I(STXDW, 9, main_regs[i], 192 + 8 * i, 0));
	put(g, EXIT());
	size_t fn = g->n;
	for (size_t i = 0; i < fn; i++)
		if (bpftk_isa_lookup(&g->p[i]) == BPFTK_OP_CALL_LOCAL)
			g->p[i].imm = (int32_t)(fn - i - 1);
	if (with_fn) {
		g->regs = fn_regs;
		g->nregs = 5;
		constant(g, 0);
		size_t fend = g->n + 5 + rnd() % 30;
		while (g->n < fend)
			one(g, fend, 0);
		put(g, EXIT());
	}
	/* a jump into a pattern goes to its start instead */
	for (size_t i = 0; i < g->n; i++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(bpftk_isa_lookup(&g->p[i]));
		if (!r || !(bpftk_isa_form_uses(r->form) & BPFTK_IS_JUMP) ||
		    g->inner[i])
			continue;
		size_t t = (size_t)bpftk_isa_target(g->p, i);
		while (t < g->n && t > i + 1 && g->inner[t]) {
			g->p[i].off--;
			t--;
		}
	}
	return g->n;
}

static void random_programs(void)
{
	const char *env = getenv("BPFTK_JIT_FACTS_N");
	unsigned long count = env ? strtoul(env, NULL, 0) : 2000;
	if ((env = getenv("BPFTK_JIT_FACTS_SEED")))
		state ^= strtoull(env, NULL, 0) * 0x9e3779b97f4a7c15ull;
	static struct gen g;
	size_t size[NSETS + 1] = {0};
	unsigned long verified = 0, slots = 0, bad = 0;
	char why[512];
	for (unsigned long i = 0; i < count; i++) {
		generate(&g);
		struct bpftk_verify_insn_facts *facts =
			verify(g.p, g.n, MEMSZ, why, sizeof(why));
		if (getenv("BPFTK_JIT_FACTS_WHY") && !facts)
			fprintf(stderr, "rejected: %s\n", why);
		if (!facts)
			continue;
		verified++;
		slots += g.n;
		for (int k = 0; k < RUNS; k++) {
			unsigned char init[MEMSZ];
			for (size_t b = 0; b < MEMSZ; b++)
				init[b] = (uint8_t)(k == 0 ? 0 : rnd());
			char what[64];
			snprintf(what, sizeof(what), "program %lu run %d", i, k);
			int b = all_sets(what, g.p, g.n, facts, init, MEMSZ,
					 k == 0 ? size : NULL);
			if (b && bad < 3)
				for (size_t s = 0; s < g.n; s++)
					fprintf(stderr, "  %zu: %02x %u %u %d %d\n",
						s, g.p[s].code, g.p[s].dst,
						g.p[s].src, g.p[s].off, g.p[s].imm);
			bad += b != 0;
		}
		free(facts);
	}
	printf("random: %lu programs, %lu verified (%lu slots), each run %d "
	       "times in %zu sets of the facts' uses: %lu runs differ\n",
	       count, verified, slots, RUNS, NSETS, bad);
	print_sizes("random", size);
	CHECK(bad == 0);
	CHECK(verified >= count / 2);
	/* with all uses the code is smaller than with each one off */
	for (size_t s = 1; s <= 4; s++)
		CHECK(size[0] < size[s]);
	CHECK(size[0] < size[NSETS]);
}

/* ---- one program per use -------------------------------------------------- */

/* Code size of p's slots with facts in set `flags`; also checks the
 * result against the fast interpreter on memory mem. */
static size_t sized(const char *what, const struct bpftk_insn *p, size_t n,
		    unsigned flags, const unsigned char *mem, uint64_t *r0)
{
	char why[512] = "";
	struct bpftk_verify_insn_facts *facts = verify(p, n, MEMSZ, why, sizeof(why));
	if (!facts) {
		fprintf(stderr, "%s: rejected: %s\n", what, why);
		CHECK(!"a program of the size checks was rejected");
		return 0;
	}
	struct out ref = run1(BPFTK_VM_FAST, 0, p, n, NULL, mem, MEMSZ);
	struct out j = run1(BPFTK_VM_JIT, flags, p, n, facts, mem, MEMSZ);
	free(facts);
	CHECK(!j.load_err && !j.warned && j.err == ref.err && !ref.err &&
	      j.r0 == ref.r0 && !memcmp(j.mem, ref.mem, MEMSZ));
	*r0 = j.r0;
	return j.size;
}

/* p must be smaller with `use` on than off (the other uses on), and give
 * r0 = want on two memory contents (want2 on the second). */
static void smaller(const char *what, const struct bpftk_insn *p, size_t n,
		    unsigned use, uint64_t want, uint64_t want2)
{
	unsigned char m1[MEMSZ], m2[MEMSZ];
	for (size_t i = 0; i < MEMSZ; i++) {
		m1[i] = (unsigned char)i;
		m2[i] = (unsigned char)(0xff - i * 7);
	}
	uint64_t a, b, c, d;
	size_t on = sized(what, p, n, 0, m1, &a);
	size_t off = sized(what, p, n, use, m1, &b);
	sized(what, p, n, 0, m2, &c);
	sized(what, p, n, use, m2, &d);
	printf("%s: %zu bytes with it, %zu without\n", what, on, off);
	CHECK(on > 0 && on < off);
	CHECK_EQ_U64(a, want);
	CHECK_EQ_U64(b, want);
	CHECK_EQ_U64(c, want2);
	CHECK_EQ_U64(d, want2);
}

static void per_use(void)
{
	/* r0 = 1, so the verifier takes the branch: slots 2..5 never run */
	const struct bpftk_insn dead[] = {
		MOVK(0, 1),
		I(JEQ64_K, 0, 0, 4, 1),
		I(LDXDW, 0, 1, 0, 0),
		I(MUL64_K, 0, 0, 0, 7),
		I(DIV64_X, 0, 0, 0, 0),
		I(STXDW, 1, 0, 8, 0),
		EXIT(),
	};
	smaller("dead code", dead, sizeof(dead) / sizeof(dead[0]), F_DEAD, 1, 1);
	/* a chain of known results, one through a spill and fill */
	const struct bpftk_insn consts[] = {
		MOVK(3, 6),
		I(MUL64_K, 3, 0, 0, 7),
		I(ADD64_K, 3, 0, 0, 100),
		MOVK(4, 3),
		I(DIV64_X, 3, 4, 0, 0),
		I(STXDW, 10, 3, -8, 0),
		I(LDXDW, 0, 10, -8, 0),
		I(MOD64_K, 0, 0, 0, 10),
		EXIT(),
	};
	smaller("constants", consts, sizeof(consts) / sizeof(consts[0]), F_CONST,
		7, 7);
	/* divisors in registers, dividends from memory */
	const struct bpftk_insn divs[] = {
		I(LDXDW, 0, 1, 0, 0),
		I(LDXW, 2, 1, 8, 0),
		MOVK(3, 7),
		MOVK(4, -1),
		I(DIV64_X, 0, 3, 0, 0),
		I(SMOD64_X, 2, 3, 0, 0),
		I(ADD64_X, 0, 2, 0, 0),
		I(LDXDW, 2, 1, 16, 0),
		I(SDIV64_X, 2, 4, 0, 0),
		I(ADD64_X, 0, 2, 0, 0),
		I(LDXW, 2, 1, 24, 0),
		I(MOD32_X, 2, 3, 0, 0),
		I(ADD64_X, 0, 2, 0, 0),
		EXIT(),
	};
	/* memory i: bytes i; then 0xff - 7i (mod 256) */
	uint64_t w1, w2;
	{
		unsigned char m[2][MEMSZ];
		for (size_t i = 0; i < MEMSZ; i++) {
			m[0][i] = (unsigned char)i;
			m[1][i] = (unsigned char)(0xff - i * 7);
		}
		uint64_t w[2];
		for (int k = 0; k < 2; k++) {
			uint64_t a, b, c, d;
			memcpy(&a, m[k], 8);
			uint32_t b32;
			memcpy(&b32, m[k] + 8, 4);
			b = b32;
			memcpy(&c, m[k] + 16, 8);
			uint32_t d32;
			memcpy(&d32, m[k] + 24, 4);
			d = d32 % 7;
			w[k] = a / 7 + (uint64_t)((int64_t)b % 7) + (0 - c) + d;
		}
		w1 = w[0];
		w2 = w[1];
	}
	smaller("divisors", divs, sizeof(divs) / sizeof(divs[0]), F_DIV, w1, w2);
	/* 32-bit results extended again the ways clang writes it */
	const struct bpftk_insn zx[] = {
		I(LDXW, 0, 1, 0, 0),
		I(ADD32_K, 0, 0, 0, 5),
		I(MOV32_X, 0, 0, 0, 0),
		I(LSH64_K, 0, 0, 0, 32),
		I(RSH64_K, 0, 0, 0, 32),
		I(LDXH, 2, 1, 4, 0),
		I(LE32, 2, 0, 0, 32),
		I(ADD64_X, 0, 2, 0, 0),
		EXIT(),
	};
	uint64_t z[2];
	for (int k = 0; k < 2; k++) {
		unsigned char m[8];
		for (size_t i = 0; i < 8; i++)
			m[i] = (unsigned char)(k ? 0xff - i * 7 : i);
		uint32_t a;
		uint16_t b;
		memcpy(&a, m, 4);
		memcpy(&b, m + 4, 2);
		z[k] = (uint64_t)(uint32_t)(a + 5) + b;
	}
	smaller("zero extension", zx, sizeof(zx) / sizeof(zx[0]), F_ZEXT, z[0],
		z[1]);
}

/* Values that differ by path or by loop iteration are not constants, and
 * a 64-bit value is not zero-extended (be64 is of class ALU, as 32-bit
 * operations are, and its result still has 64 bits): results as the
 * interpreter's. */
static void not_known(void)
{
	const struct bpftk_insn p[] = {
		I(LDXB, 3, 1, 0, 0),
		I(JGT64_K, 3, 0, 2, 5),
		MOVK(4, 1),
		I(JA, 0, 0, 1, 0),
		MOVK(4, 2),
		MOVX(0, 4),	       /* 1 or 2 */
		MOVK(3, 0),
		MOVK(8, 4),
		I(ADD64_K, 3, 0, 0, 2), /* 2, 4, 6, 8 */
		I(SUB64_K, 8, 0, 0, 1),
		I(JNE64_K, 8, 0, -3, 0),
		MOVX(5, 3),	       /* 8: the loop ends once */
		I(LSH64_K, 0, 0, 0, 8),
		I(ADD64_X, 0, 5, 0, 0),
		I(LDXDW, 2, 1, 8, 0),
		I(MOV32_X, 2, 2, 0, 0), /* r2 was 64 bits */
		I(LSH64_K, 2, 0, 0, 16),
		I(ADD64_X, 0, 2, 0, 0),
		I(LDXDW, 6, 1, 8, 0),
		I(BE64, 6, 0, 0, 0),
		I(LE32, 6, 0, 0, 0),    /* the low half of be64 */
		I(XOR64_X, 0, 6, 0, 0),
		EXIT(),
	};
	size_t n = sizeof(p) / sizeof(p[0]);
	char why[512] = "";
	struct bpftk_verify_insn_facts *facts = verify(p, n, MEMSZ, why, sizeof(why));
	CHECK(facts != NULL);
	if (!facts) {
		fprintf(stderr, "rejected: %s\n", why);
		return;
	}
	CHECK(!facts[5].dst_known && !facts[8].dst_known);
	CHECK(facts[11].dst_known && facts[11].dst_value == 8);
	for (int k = 0; k < 2; k++) {
		unsigned char m[MEMSZ];
		memset(m, k ? 9 : 3, sizeof(m));
		m[15] = 0x80;
		uint64_t low = k ? 0x09090909u : 0x03030303u;
		/* be64 puts byte 15 (0x80) first: its low half is bytes
		 * 12..15 in reverse */
		uint64_t swapped = (uint64_t)m[15] | (uint64_t)m[14] << 8 |
				   (uint64_t)m[13] << 16 | (uint64_t)m[12] << 24;
		uint64_t want = (((uint64_t)(k ? 2 : 1) << 8) + 8 + (low << 16)) ^
				swapped;
		CHECK(all_sets("not known", p, n, facts, m, MEMSZ, NULL) == 0);
		struct out j = run1(BPFTK_VM_JIT, 0, p, n, facts, m, MEMSZ);
		CHECK_EQ_U64(j.r0, want);
	}
	free(facts);
}

/* ---- the corpus ----------------------------------------------------------- */

static size_t corpus_size[2];
static unsigned corpus_progs, corpus_bad;

static size_t compiled(const struct bpftk_insn *p, size_t n,
		       enum bpftk_prog_type type,
		       const struct bpftk_verify_insn_facts *facts)
{
	struct bpftk_vm_opts vo = {.sz = sizeof(vo), .mode = BPFTK_VM_JIT,
				   .facts = facts, .nfacts = facts ? n : 0};
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	size_t size = 0;
	const uint32_t *off;
	if (!bpftk_vm_new(&vo, &vm) && !bpftk_helper_register_all(vm, type) &&
	    !bpftk_vm_load(vm, p, n, d) && !bpftk_diags_count(d) &&
	    !bpftk_vm_jit_code(vm, NULL, NULL, &off, NULL))
		size = off[n] - off[0];
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	return size;
}

/* Every program of one object the verifier accepts, compiled (not run:
 * test_jit_corpus runs them, facts included, through the run API) with
 * and without its facts. */
static void corpus_object(const char *path)
{
	struct bpftk_object *o = NULL;
	if (bpftk_object_open_file(path, NULL, &o, NULL))
		return;
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, i);
		struct bpftk_verify_result *res = NULL;
		if (bpftk_verify_object_prog(o, p, NULL, &res, NULL)) {
			bpftk_verify_result_free(res);
			continue;
		}
		size_t n;
		const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
		struct bpftk_verify_insn_facts *f = malloc(n * sizeof(*f));
		for (size_t pc = 0; f && pc < n; pc++)
			f[pc] = bpftk_verify_result_facts(res, pc);
		bpftk_verify_result_free(res);
		enum bpftk_prog_type t = bpftk_object_prog_type(p);
		size_t with = f ? compiled(in, n, t, f) : 0;
		size_t without = compiled(in, n, t, NULL);
		free(f);
		if (!without)
			continue; /* the interpreter cannot load it either */
		corpus_progs++;
		if (!with || with > without) {
			fprintf(stderr, "%s %s: %zu bytes with facts, %zu without\n",
				path, bpftk_object_prog_name(p), with, without);
			corpus_bad++;
		}
		corpus_size[0] += with;
		corpus_size[1] += without;
	}
	bpftk_object_close(o);
}

static void corpus_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	struct dirent *e;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		char path[2048];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue;
		struct stat st;
		size_t l = strlen(e->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			corpus_dir(path);
		else if (l > 2 && !strcmp(e->d_name + l - 2, ".o"))
			corpus_object(path);
	}
	closedir(dp);
}

static void corpus(void)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/corpus/ebpf-samples", test_shared);
	corpus_dir(dir);
	if (!corpus_progs) {
		printf("skip: no corpus at %s\n", dir);
		return;
	}
	printf("corpus: %u verified programs compiled: code of the slots %zu "
	       "bytes with the facts, %zu without (%.1f%% less)\n",
	       corpus_progs, corpus_size[0], corpus_size[1],
	       100.0 * (double)(corpus_size[1] - corpus_size[0]) /
		       (double)corpus_size[1]);
	CHECK(corpus_bad == 0);
}

/* ---- the options ---------------------------------------------------------- */

static void options(void)
{
	const struct bpftk_insn p[] = {MOVK(0, 3), I(ADD64_K, 0, 0, 0, 4), EXIT()};
	struct bpftk_verify_insn_facts *f = verify(p, 3, 0, NULL, 0);
	CHECK(f != NULL);
	if (!f)
		return;
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	/* facts for two slots of a three-slot program */
	struct bpftk_vm_opts vo = {.sz = sizeof(vo), .mode = BPFTK_VM_JIT,
				   .facts = f, .nfacts = 2};
	CHECK(!bpftk_vm_new(&vo, &vm));
	CHECK(bpftk_vm_load(vm, p, 3, d) == -EINVAL);
	CHECK(bpftk_diags_count(d) == 1 &&
	      strstr(bpftk_diags_get(d, 0)->msg, "facts"));
	bpftk_vm_free(vm);
	vm = NULL;
	/* a count without facts */
	vo.facts = NULL;
	vo.nfacts = 3;
	CHECK(bpftk_vm_new(&vo, &vm) == -EINVAL && !vm);
	/* the fast interpreter ignores them */
	vo.mode = BPFTK_VM_FAST;
	vo.facts = f;
	CHECK(!bpftk_vm_new(&vo, &vm));
	uint64_t r0 = 0;
	CHECK(!bpftk_vm_load(vm, p, 3, d) && !bpftk_vm_run_mem(vm, NULL, 0, &r0, d));
	CHECK_EQ_U64(r0, 7);
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	free(f);
}

static void alloc_failures(void)
{
	const struct bpftk_insn p[] = {
		MOVK(0, 1),
		I(JEQ64_K, 0, 0, 1, 1),
		MOVK(0, 9), /* never runs */
		MOVK(3, 7),
		I(LDXB, 2, 1, 0, 0),
		I(DIV64_X, 2, 3, 0, 0),
		I(MOV32_X, 2, 2, 0, 0),
		I(ADD64_X, 0, 2, 0, 0),
		EXIT(),
	};
	size_t n = sizeof(p) / sizeof(p[0]);
	struct bpftk_verify_insn_facts *f = verify(p, n, 1, NULL, 0);
	CHECK(f != NULL);
	if (!f)
		return;
	unsigned char mem[1] = {100};
	size_t full = run1(BPFTK_VM_JIT, 0, p, n, f, mem, 1).size;
	int nomem = 0, fewer = 0, all = 0;
	for (fail_at = 1;; fail_at++) {
		calls = 0;
		live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_JIT,
					  .facts = f, .nfacts = n};
		struct bpftk_vm *vm = NULL;
		struct bpftk_diags *d = bpftk_diags_new();
		int err = d ? bpftk_vm_new(&o, &vm) : -ENOMEM;
		if (!err)
			err = bpftk_vm_load(vm, p, n, d);
		const uint32_t *off;
		size_t size = 0;
		if (!err && !bpftk_vm_jit_code(vm, NULL, NULL, &off, NULL))
			size = off[n] - off[0];
		uint64_t r0 = 0;
		if (!err) {
			err = bpftk_vm_run_mem(vm, mem, 1, &r0, d);
			CHECK(err == 0 && r0 == 1 + 100 / 7);
			/* (size 0: the JIT itself had no memory, and the
			 * interpreter ran the program) */
			all += size == full;
			fewer += size > full;
		} else {
			CHECK(err == -ENOMEM);
			nomem++;
		}
		bpftk_vm_free(vm);
		bpftk_diags_free(d);
		bpftk_set_allocator(NULL, NULL, NULL);
		CHECK(live == 0);
		if (calls < fail_at)
			break; /* nothing failed: every allocation was tried */
	}
	printf("allocation failures with facts: %d -ENOMEM, %d compiled with "
	       "fewer of their uses, %d with all\n",
	       nomem, fewer, all);
	CHECK(nomem >= 1 && fewer >= 1 && all >= 1);
	free(f);
}

TEST_MAIN(options(); per_use(); not_known(); alloc_failures(); conformance();
	  random_programs(); corpus())
