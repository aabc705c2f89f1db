/* test_jit_diff.c — differential test of the JIT against both interpreters
 * on random programs that always load and always terminate, so that every
 * one of them runs natively (fuzz_jit.c's programs mostly fault first).
 *
 * A program: r0, r2..r8 start from lddw constants biased to edge values;
 * r9 = r1 = a 256-byte memory region that is also the LD_ABS packet; then
 * random instructions of every row kind except calls to unknown helpers:
 * ALU64/ALU32 with immediates and registers (division, shifts, sign
 * extension, byte swaps included), loads/stores/atomics at in-bounds
 * offsets of r9 or r10, LD_ABS/LD_IND (sometimes out of the packet, which
 * ends the program), forward conditional and unconditional jumps, helper
 * calls, and local calls to a function appended at the end; last, r0 and
 * r2..r8 are stored to memory.  No register but r9 and r10 holds an
 * address, r9 and r10 are never written, and r10 is never read as a value
 * (its value differs between runs), so results are reproducible.
 *
 * Some instructions come as the idioms the JIT's peephole pass merges
 * (copy-add-load, 32-bit extension by shift pairs, copy-add).  Each
 * program runs with several memory contents in the JIT with its default
 * options and with another combination (peephole pass off, constant
 * blinding on, or both), the fast and the checked interpreter: same
 * error, r0 and memory.
 *
 * BPFTK_JIT_DIFF_N=<programs> (default 3000) and BPFTK_JIT_DIFF_SEED for
 * long runs; each program runs RUNS times.
 */
#include <inttypes.h>

#include "test.h"
#include "test_vm_util.h"

#define MEMSZ 256
#define RUNS 8
#define MAXP 600

static uint64_t state = 0x452821e638d01377ull;

static uint64_t rnd(void)
{
	return vt_xorshift(&state);
}

static uint64_t value(void)
{
	static const uint64_t edge[] = {
		0, 1, 2, 7, 8, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000,
		0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
		0x7fffffffffffffffull, 0x8000000000000000ull, UINT64_MAX,
		UINT64_MAX - 1, 0xffffffff80000000ull};
	return vt_value(&state, edge, sizeof(edge) / sizeof(edge[0]));
}

/* A writable register (never r1, r9, r10). */
static int wreg(void)
{
	static const int regs[] = {0, 2, 3, 4, 5, 6, 7, 8};
	return regs[rnd() % 8];
}

/* A register read as a value (r1 and r9 hold the region's address, which
 * is the same in every run; r10 is excluded). */
static int rreg(void)
{
	return (int)(rnd() % 10);
}

/* The rows of a group, from the table: form and class. */
static enum bpftk_op pick(unsigned form_mask, int alu_only, int mem)
{
	for (;;) {
		enum bpftk_op op = (enum bpftk_op)(1 + rnd() % (BPFTK_OP__COUNT - 1));
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (!(form_mask & (1u << r->form)))
			continue;
		int cls = BPFTK_CLASS(r->code);
		if (alu_only && cls != BPFTK_CLASS_ALU && cls != BPFTK_CLASS_ALU64)
			continue;
		(void)mem;
		return op;
	}
}

struct gen {
	struct bpftk_insn p[MAXP];
	uint8_t inner[MAXP]; /* not a jump target: inside lddw or an idiom */
	size_t n;
};

static void put(struct gen *g, struct bpftk_insn i)
{
	if (g->n < MAXP)
		g->p[g->n++] = vt_unreserved(i);
}

/* One random instruction (or two for lddw) at g->n; jumps go forward at
 * most `room` slots; fn >= 0 is the slot of the local function. */
static void one(struct gen *g, size_t end, long fn)
{
	unsigned k = (unsigned)(rnd() % 100);
	size_t here = g->n;
	if (k < 45) { /* ALU */
		enum bpftk_op op = pick(1u << BPFTK_FORM_ALU_K | 1u << BPFTK_FORM_ALU_X |
						1u << BPFTK_FORM_NEG | 1u << BPFTK_FORM_END,
					1, 0);
		int32_t imm = (int32_t)value();
		if (rnd() % 3 == 0)
			imm = (int32_t)(rnd() % 70) - 3;
		put(g, vt_ins(op, wreg(), rreg(), 0, imm));
	} else if (k < 60) { /* load / store through r9 or r10 */
		enum bpftk_op op = pick(1u << BPFTK_FORM_LDX | 1u << BPFTK_FORM_ST |
						1u << BPFTK_FORM_STX,
					0, 1);
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		unsigned sz = BPFTK_MEM_BYTES(r->code);
		int stack = rnd() & 1;
		int off = stack ? -(int)(sz + rnd() % (512 - sz + 1))
				: (int)(rnd() % (MEMSZ - sz + 1));
		int base = stack ? 10 : 9;
		if (r->form == BPFTK_FORM_LDX)
			put(g, vt_ins(op, wreg(), base, off, 0));
		else
			put(g, vt_ins(op, base, rreg(), off, (int32_t)value()));
	} else if (k < 67) { /* atomic, aligned */
		enum bpftk_op op = pick(1u << BPFTK_FORM_ATOMIC, 0, 1);
		unsigned sz = BPFTK_MEM_BYTES(bpftk_isa_info(op)->code);
		int stack = rnd() & 1;
		int off = stack ? -(int)(sz * (1 + rnd() % (512 / sz)))
				: (int)(sz * (rnd() % (MEMSZ / sz)));
		/* fetch forms write src: never r9 */
		put(g, vt_ins(op, stack ? 10 : 9, wreg(), off, 0));
	} else if (k < 82) { /* forward jump */
		size_t room = end > here + 1 ? end - here - 1 : 0;
		int off = room ? (int)(rnd() % (room < 30 ? room : 30)) : 0;
		if (rnd() % 8 == 0) {
			put(g, I(JA, 0, 0, off, 0));
		} else {
			enum bpftk_op op = pick(1u << BPFTK_FORM_JCC_K |
							1u << BPFTK_FORM_JCC_X,
						0, 0);
			int32_t imm = (int32_t)value();
			put(g, vt_ins(op, rreg(), rreg(), off, imm));
		}
	} else if (k < 86) { /* lddw */
		uint64_t v = value();
		put(g, I(LDDW, wreg(), 0, 0, vt_lo(v)));
		put(g, vt_raw(0, 0, 0, 0, vt_hi(v)));
	} else if (k < 90) { /* packet loads, sometimes out of it */
		static const enum bpftk_op pk[] = {
			BPFTK_OP_LDABSB, BPFTK_OP_LDABSH, BPFTK_OP_LDABSW,
			BPFTK_OP_LDINDB, BPFTK_OP_LDINDH, BPFTK_OP_LDINDW};
		enum bpftk_op op = pk[rnd() % 6];
		int32_t imm = (int32_t)(rnd() % (MEMSZ + 8));
		int src = rreg();
		if (op >= BPFTK_OP_LDINDW && op <= BPFTK_OP_LDINDB)
			imm = (int32_t)(rnd() % 64);
		put(g, vt_ins(op, 0, src, 0, imm));
	} else if (k < 93) { /* idioms the JIT's peephole pass merges */
		int d = wreg(), t = wreg(), kind = (int)(rnd() % 4);
		if (t == d)
			t = d == 0 ? 2 : 0;
		if (kind == 0) { /* base + index, then a load through it */
			static const enum bpftk_op ld[] = {
				BPFTK_OP_LDXB, BPFTK_OP_LDXH, BPFTK_OP_LDXW,
				BPFTK_OP_LDXDW, BPFTK_OP_LDXSB, BPFTK_OP_LDXSH,
				BPFTK_OP_LDXSW};
			put(g, MOVK(t, (int32_t)(rnd() % 128)));
			put(g, MOVX(d, 9));
			put(g, I(ADD64_X, d, t, 0, 0));
			put(g, vt_ins(ld[rnd() % 7], rnd() % 4 ? d : t, d,
				      (int)(rnd() % 120), 0));
		} else if (kind == 1) { /* 32-bit zero / sign extension */
			put(g, I(LSH64_K, d, 0, 0, 32));
			if (rnd() & 1)
				put(g, I(RSH64_K, d, 0, 0, 32));
			else
				put(g, I(ARSH64_K, d, 0, 0, (int32_t)(rnd() % 64)));
		} else { /* copy and add */
			put(g, MOVX(d, rreg()));
			if (kind == 2)
				put(g, I(ADD64_K, d, 0, 0, (int32_t)value()));
			else
				put(g, I(ADD64_X, d, rreg(), 0, 0));
		}
	} else if (k < 96) { /* helper 5: r0 = r1 */
		put(g, I(CALL, 0, 0, 0, 5));
	} else if (fn >= 0) { /* local call */
		put(g, I(CALL_LOCAL, 0, 0, 0, 0)); /* target set by generate */
	}
	for (size_t i = here + 1; i < g->n; i++)
		g->inner[i] = 1;
}

static size_t generate(struct gen *g)
{
	g->n = 0;
	memset(g->inner, 0, sizeof(g->inner));
	static const int init[] = {0, 2, 3, 4, 5, 6, 7, 8};
	for (int i = 0; i < 8; i++) {
		uint64_t v = value();
		put(g, I(LDDW, init[i], 0, 0, vt_lo(v)));
		put(g, vt_raw(0, 0, 0, 0, vt_hi(v)));
	}
	put(g, MOVX(9, 1));
	size_t body = 20 + rnd() % 200, fnlen = 5 + rnd() % 20;
	size_t main_end = g->n + body; /* jumps land at most here */
	int with_fn = rnd() % 3 == 0;
	while (g->n < main_end)
		one(g, main_end, with_fn ? 0 : -1);
	for (int i = 0; i < 8; i++)
		put(g, I(STXDW, 9, init[i], 192 + 8 * (i & 7), 0));
	put(g, EXIT());
	for (size_t i = 0; i < g->n; i++) /* calls go to the function */
		if (!g->inner[i] && bpftk_isa_lookup(&g->p[i]) == BPFTK_OP_CALL_LOCAL)
			g->p[i].imm = (int32_t)(g->n - i - 1);
	if (with_fn) {
		size_t fend = g->n + fnlen;
		while (g->n < fend)
			one(g, fend, -1);
		put(g, EXIT());
	}
	/* a jump into lddw or an idiom goes to its start instead */
	for (size_t i = 0; i < g->n; i++) {
		if (g->inner[i])
			continue;
		const struct bpftk_opinfo *r =
			bpftk_isa_info(bpftk_isa_lookup(&g->p[i]));
		if (!r || !(bpftk_isa_form_uses(r->form) & BPFTK_IS_JUMP))
			continue;
		size_t t = (size_t)bpftk_isa_target(g->p, i);
		while (t < g->n && g->inner[t]) {
			g->p[i].off--;
			t--;
		}
	}
	return g->n;
}

struct res {
	int err, warned;
	uint64_t r0;
	unsigned char mem[MEMSZ];
};

static unsigned char region[MEMSZ]; /* one address for every engine */

static uint64_t h_first(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e, (void)call;
	return a * 3 + 1;
}

static struct bpftk_vm *load(enum bpftk_vm_mode mode, unsigned flags,
			     const struct gen *g, int *warned)
{
	struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = mode,
				  .flags = flags,
				  .budget = BPFTK_VM_UNLIMITED};
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	if (bpftk_vm_new(&o, &vm) ||
	    bpftk_vm_register_helper(vm, 5, "f", h_first) ||
	    bpftk_vm_load(vm, g->p, g->n, d)) {
		char line[512] = "";
		if (bpftk_diags_count(d))
			bpftk_diag_format(bpftk_diags_get(d, 0), line, sizeof(line));
		fprintf(stderr, "load failed: %s\n", line);
		bpftk_vm_free(vm);
		vm = NULL;
	}
	*warned = bpftk_diags_count(d) > 0;
	bpftk_diags_free(d);
	return vm;
}

static void run(const struct bpftk_vm *vm, const unsigned char *init,
		struct res *r)
{
	memcpy(region, init, MEMSZ);
	r->err = bpftk_vm_run_mem(vm, region, MEMSZ, &r->r0, NULL);
	memcpy(r->mem, region, MEMSZ);
}

static void diff(void)
{
	const char *env = getenv("BPFTK_JIT_DIFF_N");
	unsigned long count = env ? strtoul(env, NULL, 0) : 3000;
	if ((env = getenv("BPFTK_JIT_DIFF_SEED")))
		state ^= strtoull(env, NULL, 0) * 0x9e3779b97f4a7c15ull;
	static struct gen g;
	unsigned long runs = 0, bad = 0, ended = 0, insns = 0;
	/* every run ends without error: programs stay in bounds, LD_ABS
	 * outside the packet ends with r0 = 0 and no error */
	for (unsigned long i = 0; i < count; i++) {
		generate(&g);
		insns += g.n;
		int wj, wp, wf, wc;
		struct bpftk_vm *j = load(BPFTK_VM_JIT, 0, &g, &wj);
		/* the JIT's options: every other program without the peephole
		 * pass, every other one with constant blinding */
		unsigned jf = (i & 1 ? BPFTK_VM_JIT_NO_PEEPHOLE : 0) |
			      (i & 2 ? BPFTK_VM_JIT_BLIND : 0);
		if (!jf)
			jf = BPFTK_VM_JIT_NO_PEEPHOLE | BPFTK_VM_JIT_BLIND;
		struct bpftk_vm *jp = load(BPFTK_VM_JIT, jf, &g, &wp);
		struct bpftk_vm *f = load(BPFTK_VM_FAST, 0, &g, &wf);
		struct bpftk_vm *c = load(BPFTK_VM_CHECKED, 0, &g, &wc);
		CHECK(j && jp && f && c && !wj && !wp);
		if (!j || !jp || !f || !c) {
			bpftk_vm_free(j), bpftk_vm_free(jp);
			bpftk_vm_free(f), bpftk_vm_free(c);
			continue;
		}
		for (int k = 0; k < RUNS; k++) {
			unsigned char init[MEMSZ];
			for (size_t b = 0; b < MEMSZ; b++)
				init[b] = (uint8_t)(k == 0 ? 0 : rnd());
			struct res a, ap, b, cc;
			run(c, init, &cc);
			if (cc.err) { /* a generator bug: do not run unchecked */
				fprintf(stderr, "program %lu faults: %d\n", i,
					cc.err);
				CHECK(0);
				continue;
			}
			run(f, init, &b);
			run(j, init, &a);
			run(jp, init, &ap);
			runs++;
			ended += cc.err == 0;
			int same = a.err == b.err && a.err == cc.err &&
				   a.err == ap.err && a.r0 == b.r0 &&
				   a.r0 == cc.r0 && a.r0 == ap.r0 &&
				   !memcmp(a.mem, b.mem, MEMSZ) &&
				   !memcmp(a.mem, cc.mem, MEMSZ) &&
				   !memcmp(a.mem, ap.mem, MEMSZ);
			if (!same && bad++ < 5) {
				fprintf(stderr,
					"program %lu run %d: jit/jit without "
					"peephole/fast/checked err %d/%d/%d/%d r0 "
					"%#" PRIx64 "/%#" PRIx64 "/%#" PRIx64
					"/%#" PRIx64 "\n",
					i, k, a.err, ap.err, b.err, cc.err, a.r0,
					ap.r0, b.r0, cc.r0);
				for (size_t s = 0; s < g.n; s++)
					fprintf(stderr, "  %zu: %02x %u %u %d %d\n", s,
						g.p[s].code, g.p[s].dst, g.p[s].src,
						g.p[s].off, g.p[s].imm);
			}
		}
		bpftk_vm_free(j);
		bpftk_vm_free(jp);
		bpftk_vm_free(f);
		bpftk_vm_free(c);
	}
	printf("%lu random programs (%lu slots), %lu runs in the JIT (default, "
	       "and without peephole and/or with constant blinding), the fast "
	       "and the checked interpreter (%lu without error): %lu differ\n",
	       count, insns, runs, ended, bad);
	CHECK(bad == 0);
	CHECK(ended == runs);
}

TEST_MAIN(diff())
