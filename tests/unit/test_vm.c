/* test_vm.c — interpreter semantics, instruction by instruction, on all four
 * engines (checked/fast x goto/switch), which must agree.
 *
 * Expected values are RFC 9669 facts written out by hand (INT_MIN / -1 =
 * INT_MIN, x % 0 = x, shift amounts masked, 32-bit results zero-extended,
 * ...) or computed here with plain C arithmetic on the same operands; none
 * is copied from the interpreter's own output.  Random differential testing
 * against native C lives in test_vm_diff.c, faults and limits in
 * test_vm_faults.c, calls and threads in test_vm_calls.c. */
#include "test.h"
#include "test_vm_util.h"

#define M64 0xffffffffffffffffull
#define IMIN64 0x8000000000000000ull
#define IMIN32 0x80000000ull

/* One ALU case: dst starts as a, the operand is b (a register, or the imm
 * when k), the result must be want. */
struct alu_case {
	enum bpftk_op op;
	int k;
	uint64_t a;
	uint64_t b;
	uint64_t want;
};

static const struct alu_case alu_cases[] = {
	/* division and modulo by zero, unsigned */
	{BPFTK_OP_DIV64_X, 0, 10, 0, 0},
	{BPFTK_OP_DIV64_K, 1, 10, 0, 0},
	{BPFTK_OP_MOD64_X, 0, 10, 0, 10},
	{BPFTK_OP_MOD64_K, 1, 10, 0, 10},
	{BPFTK_OP_DIV32_X, 0, 0xffffffff0000000aull, 0x100000000ull, 0},
	{BPFTK_OP_DIV32_K, 1, 0xffffffff0000000aull, 0, 0},
	{BPFTK_OP_MOD32_X, 0, 0xffffffff0000000aull, 0x100000000ull, 0xa},
	{BPFTK_OP_MOD32_K, 1, 0xffffffff0000000aull, 0, 0xa},
	{BPFTK_OP_DIV32_X, 0, 0x1000000064ull, 0x300000005ull, 20},
	{BPFTK_OP_MOD32_K, 1, 0x10000000aull, 3, 1},
	/* 64-bit immediates are sign-extended, even for unsigned ops */
	{BPFTK_OP_DIV64_K, 1, M64, (uint64_t)-1, 1},
	{BPFTK_OP_DIV64_K, 1, 10, (uint64_t)-1, 0},
	{BPFTK_OP_MOD64_K, 1, 10, (uint64_t)-1, 10},
	{BPFTK_OP_ADD64_K, 1, 0, (uint64_t)-1, M64},
	{BPFTK_OP_AND64_K, 1, M64, IMIN32 | 0xffffffff00000000ull,
	 0xffffffff80000000ull},
	{BPFTK_OP_MOV64_K, 1, 5, (uint64_t)-1, M64},
	{BPFTK_OP_MOV64_K, 1, 5, 0x7fffffff, 0x7fffffff},
	{BPFTK_OP_OR64_K, 1, 0, (uint64_t)-2, 0xfffffffffffffffeull},
	/* signed division and modulo */
	{BPFTK_OP_SDIV64_X, 0, IMIN64, M64, IMIN64},
	{BPFTK_OP_SDIV64_K, 1, IMIN64, (uint64_t)-1, IMIN64},
	{BPFTK_OP_SMOD64_X, 0, IMIN64, M64, 0},
	{BPFTK_OP_SMOD64_K, 1, IMIN64, (uint64_t)-1, 0},
	{BPFTK_OP_SDIV64_X, 0, (uint64_t)-7, 2, (uint64_t)-3},
	{BPFTK_OP_SDIV64_K, 1, 7, (uint64_t)-2, (uint64_t)-3},
	{BPFTK_OP_SDIV64_X, 0, (uint64_t)-7, (uint64_t)-2, 3},
	{BPFTK_OP_SDIV64_X, 0, (uint64_t)-7, 0, 0},
	{BPFTK_OP_SDIV64_K, 1, (uint64_t)-7, 0, 0},
	{BPFTK_OP_SMOD64_X, 0, (uint64_t)-7, 2, (uint64_t)-1},
	{BPFTK_OP_SMOD64_K, 1, 7, (uint64_t)-2, 1},
	{BPFTK_OP_SMOD64_X, 0, (uint64_t)-7, (uint64_t)-2, (uint64_t)-1},
	{BPFTK_OP_SMOD64_X, 0, (uint64_t)-5, 0, (uint64_t)-5},
	{BPFTK_OP_SMOD64_K, 1, (uint64_t)-5, 0, (uint64_t)-5},
	{BPFTK_OP_SDIV32_X, 0, IMIN32, 0xffffffff, IMIN32},
	{BPFTK_OP_SDIV32_K, 1, IMIN32, (uint64_t)-1, IMIN32},
	{BPFTK_OP_SDIV32_K, 1, 0x12345678fffffff9ull, 2, 0xfffffffd},
	{BPFTK_OP_SDIV32_X, 0, 0xfffffff9, 0, 0},
	{BPFTK_OP_SMOD32_X, 0, IMIN32, 0xffffffff, 0},
	{BPFTK_OP_SMOD32_K, 1, IMIN32, (uint64_t)-1, 0},
	{BPFTK_OP_SMOD32_K, 1, 0xfffffff9, 2, 0xffffffff},
	{BPFTK_OP_SMOD32_X, 0, 0xaaaaaaaafffffffbull, 0, 0xfffffffb},
	{BPFTK_OP_SMOD32_K, 1, 0xaaaaaaaafffffffbull, 0, 0xfffffffb},
	{BPFTK_OP_SMOD32_X, 0, 7, 0xfffffffe, 1},
	/* multiplication wraps */
	{BPFTK_OP_MUL64_X, 0, M64, M64, 1},
	{BPFTK_OP_MUL64_K, 1, IMIN64, (uint64_t)-1, IMIN64},
	{BPFTK_OP_MUL32_X, 0, 0x100000002ull, 3, 6},
	{BPFTK_OP_MUL32_K, 1, IMIN32, (uint64_t)-1, IMIN32},
	{BPFTK_OP_MUL32_X, 0, 0x10000, 0x10000, 0},
	/* shifts: amounts masked to 6 (64-bit) or 5 (32-bit) bits */
	{BPFTK_OP_LSH64_K, 1, 1, 63, IMIN64},
	{BPFTK_OP_LSH64_X, 0, 1, 64, 1},
	{BPFTK_OP_LSH64_X, 0, 1, M64, IMIN64},
	{BPFTK_OP_LSH64_K, 1, 1, (uint64_t)-1, IMIN64},
	{BPFTK_OP_RSH64_X, 0, IMIN64, 63, 1},
	{BPFTK_OP_RSH64_X, 0, IMIN64, 64, IMIN64},
	{BPFTK_OP_RSH64_K, 1, M64, 60, 0xf},
	{BPFTK_OP_ARSH64_K, 1, IMIN64, 63, M64},
	{BPFTK_OP_ARSH64_X, 0, IMIN64, 64, IMIN64},
	{BPFTK_OP_ARSH64_X, 0, 0x4000000000000000ull, 62, 1},
	{BPFTK_OP_ARSH64_K, 1, 0xfffffffffffffff0ull, 2, 0xfffffffffffffffcull},
	{BPFTK_OP_LSH32_K, 1, 1, 31, IMIN32},
	{BPFTK_OP_LSH32_X, 0, 1, 32, 1},
	{BPFTK_OP_LSH32_X, 0, 1, 33, 2},
	{BPFTK_OP_LSH32_K, 1, 0xffffffff00000001ull, 0, 1},
	{BPFTK_OP_LSH32_K, 1, 3, (uint64_t)-1, IMIN32},
	{BPFTK_OP_RSH32_X, 0, 0xffffffff80000000ull, 31, 1},
	{BPFTK_OP_RSH32_X, 0, 0xffffffff80000000ull, 32, IMIN32},
	{BPFTK_OP_ARSH32_K, 1, IMIN32, 31, 0xffffffff},
	{BPFTK_OP_ARSH32_X, 0, 0x180000000ull, 32, IMIN32},
	{BPFTK_OP_ARSH32_K, 1, 0x40000000, 30, 1},
	/* 32-bit results are zero-extended */
	{BPFTK_OP_ADD32_K, 1, M64, 1, 0},
	{BPFTK_OP_ADD32_K, 1, 0, (uint64_t)-1, 0xffffffff},
	{BPFTK_OP_SUB32_X, 0, 0, 1, 0xffffffff},
	{BPFTK_OP_OR32_K, 1, 0, (uint64_t)-1, 0xffffffff},
	{BPFTK_OP_AND32_X, 0, M64, M64, 0xffffffff},
	{BPFTK_OP_XOR32_K, 1, 0xffffffff00000000ull, 5, 5},
	{BPFTK_OP_MOV32_X, 0, 0, 0xffffffff12345678ull, 0x12345678},
	{BPFTK_OP_MOV32_K, 1, M64, (uint64_t)-1, 0xffffffff},
	{BPFTK_OP_SUB64_X, 0, 0, 1, M64},
	{BPFTK_OP_XOR64_X, 0, M64, 0xf0, 0xffffffffffffff0full},
	/* sign extension */
	{BPFTK_OP_MOVSX64_8, 0, 0, 0x180, 0xffffffffffffff80ull},
	{BPFTK_OP_MOVSX64_8, 0, 0, 0x7f, 0x7f},
	{BPFTK_OP_MOVSX64_16, 0, 0, 0x8000, 0xffffffffffff8000ull},
	{BPFTK_OP_MOVSX64_32, 0, 0, IMIN32, 0xffffffff80000000ull},
	{BPFTK_OP_MOVSX64_32, 0, 0, 0x17fffffffull, 0x7fffffff},
	{BPFTK_OP_MOVSX32_8, 0, M64, 0x80, 0xffffff80},
	{BPFTK_OP_MOVSX32_16, 0, M64, 0x18000, 0xffff8000},
	{BPFTK_OP_MOVSX32_16, 0, M64, 0x7fff, 0x7fff},
};

/* Unary cases: dst = a, op, want. */
struct un_case {
	enum bpftk_op op;
	uint64_t a;
	uint64_t want;
};

static const struct un_case un_cases[] = {
	{BPFTK_OP_NEG64, IMIN64, IMIN64},
	{BPFTK_OP_NEG64, 1, M64},
	{BPFTK_OP_NEG64, 0, 0},
	{BPFTK_OP_NEG32, IMIN32, IMIN32},
	{BPFTK_OP_NEG32, 1, 0xffffffff},
	{BPFTK_OP_NEG32, 0x100000000ull, 0},
	{BPFTK_OP_LE16, 0x1122334455667788ull, 0x7788},
	{BPFTK_OP_LE32, 0x1122334455667788ull, 0x55667788},
	{BPFTK_OP_LE64, 0x1122334455667788ull, 0x1122334455667788ull},
	{BPFTK_OP_BE16, 0x1122334455667788ull, 0x8877},
	{BPFTK_OP_BE32, 0x1122334455667788ull, 0x88776655},
	{BPFTK_OP_BE64, 0x1122334455667788ull, 0x8877665544332211ull},
	{BPFTK_OP_BSWAP16, 0x1122334455667788ull, 0x8877},
	{BPFTK_OP_BSWAP32, 0x1122334455667788ull, 0x88776655},
	{BPFTK_OP_BSWAP64, 0x1122334455667788ull, 0x8877665544332211ull},
};

static void test_alu(void)
{
	char what[96];
	for (size_t i = 0; i < NINSN(alu_cases); i++) {
		const struct alu_case *c = &alu_cases[i];
		struct bpftk_insn p[] = {
			LD64(0, c->a),
			LD64(1, c->b),
			vt_ins(c->op, 0, c->k ? 0 : 1, 0, c->k ? (int32_t)c->b : 0),
			EXIT(),
		};
		snprintf(what, sizeof(what), "%s%s 0x%" PRIx64 ", 0x%" PRIx64,
			 bpftk_isa_info(c->op)->name, c->k ? " imm" : "", c->a,
			 c->b);
		uint64_t r0 = vt_eval(what, p, NINSN(p), NULL, 0, NULL);
		if (r0 != c->want)
			fprintf(stderr, "%s: got 0x%" PRIx64 ", want 0x%" PRIx64
					"\n",
				what, r0, c->want);
		CHECK_EQ_U64(r0, c->want);
	}
	for (size_t i = 0; i < NINSN(un_cases); i++) {
		const struct un_case *c = &un_cases[i];
		struct bpftk_insn p[] = {LD64(3, c->a), vt_ins(c->op, 3, 0, 0, 0),
					 MOVX(0, 3), EXIT()};
		snprintf(what, sizeof(what), "%s 0x%" PRIx64,
			 bpftk_isa_info(c->op)->name, c->a);
		CHECK_EQ_U64(vt_eval(what, p, NINSN(p), NULL, 0, NULL),
			     c->want);
	}
}

/* Loads and stores of every width, on the stack and in a memory region. */
static void test_load_store(void)
{
	uint64_t v = 0x1122334455667788ull;
	struct bpftk_insn p[] = {
		LD64(2, v),
		I(STXDW, 10, 2, -8, 0),
		I(LDXW, 3, 10, -8, 0),	/* low half on a little-endian host */
		I(STXDW, 1, 3, 0, 0),
		I(LDXH, 3, 10, -4, 0),
		I(STXDW, 1, 3, 8, 0),
		I(LDXB, 3, 10, -1, 0),
		I(STXDW, 1, 3, 16, 0),
		I(LDXDW, 3, 10, -8, 0),
		I(STXDW, 1, 3, 24, 0),
		/* sign-extending loads */
		MOVK(4, 0x80),
		I(STXB, 10, 4, -16, 0),
		I(LDXSB, 3, 10, -16, 0),
		I(STXDW, 1, 3, 32, 0),
		I(LDXB, 3, 10, -16, 0),
		I(STXDW, 1, 3, 40, 0),
		MOVK(4, 0x8000),
		I(STXH, 10, 4, -16, 0),
		I(LDXSH, 3, 10, -16, 0),
		I(STXDW, 1, 3, 48, 0),
		LD64(4, 0x80000000),
		I(STXW, 10, 4, -16, 0),
		I(LDXSW, 3, 10, -16, 0),
		I(STXDW, 1, 3, 56, 0),
		I(LDXW, 3, 10, -16, 0),
		I(STXDW, 1, 3, 64, 0),
		/* immediates are truncated to the store width; stdw sign-extends */
		I(STDW, 1, 0, 72, -1),
		I(STW, 1, 0, 80, -2),
		I(STH, 1, 0, 84, 0x12345),
		I(STB, 1, 0, 86, 0x1ff),
		I(STB, 1, 0, 87, 0x7),
		/* stxb/stxh/stxw store the low bytes of a register */
		LD64(5, 0xa1a2a3a4a5a6a7a8ull),
		I(STXB, 1, 5, 88, 0),
		I(STXH, 1, 5, 90, 0),
		I(STXW, 1, 5, 92, 0),
		/* negative offsets from a region pointer */
		MOVX(6, 1),
		I(ADD64_K, 6, 0, 0, 104),
		I(STDW, 6, 0, -8, 0x5a5a),
		I(LDXDW, 0, 6, -8, 0),
		EXIT(),
	};
	uint64_t mem[13] = {0};
	uint64_t r0 = vt_eval("loads and stores", p, NINSN(p), mem, sizeof(mem),
			      NULL);
	CHECK_EQ_U64(r0, 0x5a5a);
	CHECK_EQ_U64(mem[0], 0x55667788);
	CHECK_EQ_U64(mem[1], 0x3344);
	CHECK_EQ_U64(mem[2], 0x11);
	CHECK_EQ_U64(mem[3], v);
	CHECK_EQ_U64(mem[4], 0xffffffffffffff80ull);
	CHECK_EQ_U64(mem[5], 0x80);
	CHECK_EQ_U64(mem[6], 0xffffffffffff8000ull);
	CHECK_EQ_U64(mem[7], 0xffffffff80000000ull);
	CHECK_EQ_U64(mem[8], 0x80000000);
	CHECK_EQ_U64(mem[9], M64);
	/* bytes 80..87: fe ff ff ff | 45 23 | ff | 07 */
	CHECK_EQ_U64(mem[10], 0x07ff2345fffffffeull);
	/* bytes 88..95: a8 ? | a8 a7 | a8 a7 a6 a5 ; byte 89 untouched (0) */
	CHECK_EQ_U64(mem[11], 0xa5a6a7a8a7a800a8ull);
	CHECK_EQ_U64(mem[12], 0x5a5a);
}

/* Every atomic, 64- and 32-bit, with and without fetch: the memory result,
 * the register result, and that 32-bit forms leave the upper half of the
 * word alone and zero-extend what they fetch. */
static void test_atomics(void)
{
	const uint64_t old = 0x0123456789abcdefull;
	const uint64_t src = 0xffffffff000000f1ull;
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (r->form != BPFTK_FORM_ATOMIC)
			continue;
		int is32 = r->group == BPFTK_GROUP_ATOMIC32;
		int fetch = (r->selval & 1) != 0;
		int cmpx = op == BPFTK_OP_ATOMIC64_CMPXCHG ||
			   op == BPFTK_OP_ATOMIC32_CMPXCHG;
		int xchg = op == BPFTK_OP_ATOMIC64_XCHG ||
			   op == BPFTK_OP_ATOMIC32_XCHG;
		/* expected, in plain C */
		uint64_t a = is32 ? (uint32_t)old : old;
		uint64_t b = is32 ? (uint32_t)src : src;
		uint64_t res;
		switch (r->selval & ~1) {
		case 0x00: res = a + b; break;
		case 0x40: res = a | b; break;
		case 0x50: res = a & b; break;
		case 0xa0: res = a ^ b; break;
		default: res = b; break; /* xchg; cmpxchg when equal */
		}
		if (is32)
			res = (old & 0xffffffff00000000ull) | (uint32_t)res;
		for (int match = 0; match <= cmpx; match++) {
			/* r0 for cmpxchg: high bits set that a 32-bit compare
			 * must ignore */
			uint64_t r0in = match ? (old | (is32 ? 0xdead000000000000ull
							      : 0))
					      : 0x77;
			struct bpftk_insn p[] = {
				LD64(2, src),
				LD64(0, r0in),
				vt_ins(op, 1, 2, 8, 0),
				I(STXDW, 1, 2, 16, 0),
				I(STXDW, 1, 0, 24, 0),
				MOVK(0, 0),
				EXIT(),
			};
			uint64_t mem[4] = {0, old, 0, 0};
			char what[64];
			snprintf(what, sizeof(what), "%s%s", r->name,
				 cmpx ? (match ? " (equal)" : " (differs)") : "");
			vt_eval(what, p, NINSN(p), mem, sizeof(mem), NULL);
			uint64_t want_mem = res, want_src = src,
				 want_r0 = r0in;
			if (cmpx) {
				want_mem = match ? res : old;
				want_r0 = a; /* old value, zero-extended */
			} else if (fetch || xchg) {
				want_src = a;
			}
			if (mem[1] != want_mem || mem[2] != want_src ||
			    mem[3] != want_r0)
				fprintf(stderr, "%s: mem 0x%" PRIx64 " src 0x%" PRIx64
						" r0 0x%" PRIx64 "\n",
					what, mem[1], mem[2], mem[3]);
			CHECK_EQ_U64(mem[1], want_mem);
			CHECK_EQ_U64(mem[2], want_src);
			CHECK_EQ_U64(mem[3], want_r0);
			CHECK_EQ_U64(mem[0], 0);
		}
	}
}

/* Jumps: ja and ja32 forwards and backwards, and the compare edge cases the
 * random differential test is unlikely to hit exactly. */
static void test_jumps(void)
{
	/* a countdown loop closed by ja (-off) and a ja32 over a trap */
	struct bpftk_insn loop[] = {
		MOVK(0, 0),
		MOVK(1, 10),
		I(JEQ64_K, 1, 0, 3, 0), /* 2: done? -> 6 */
		I(ADD64_K, 0, 0, 0, 3),
		I(SUB64_K, 1, 0, 0, 1),
		I(JA, 0, 0, -4, 0),	/* -> 2 */
		I(JA32, 0, 0, 0, 1),	/* 6: -> 8 */
		MOVK(0, -1),
		EXIT(),
	};
	CHECK_EQ_U64(vt_eval("ja loop", loop, NINSN(loop), NULL, 0, NULL), 30);
	struct bpftk_insn back[] = {
		I(JA32, 0, 0, 0, 2),	/* -> 3 */
		MOVK(0, 7),
		EXIT(),
		I(JA32, 0, 0, 0, -3),	/* -> 1 */
	};
	CHECK_EQ_U64(vt_eval("ja32 back", back, NINSN(back), NULL, 0, NULL),
		     7);
	struct jc {
		enum bpftk_op op;
		uint64_t a, b;
		int taken;
	} cases[] = {
		{BPFTK_OP_JSGT64_X, M64, 1, 0},
		{BPFTK_OP_JGT64_X, M64, 1, 1},
		{BPFTK_OP_JEQ64_K, M64, (uint64_t)-1, 1}, /* imm sign-extended */
		{BPFTK_OP_JEQ32_K, 0x100000005ull, 5, 1},
		{BPFTK_OP_JEQ64_K, 0x100000005ull, 5, 0},
		{BPFTK_OP_JEQ32_K, 0xffffffff, (uint64_t)-1, 1},
		{BPFTK_OP_JGT32_K, 0xffffffff, 1, 1},
		{BPFTK_OP_JSGT32_K, 0xffffffff, 1, 0},
		{BPFTK_OP_JSLT32_X, 0x1ffffffffull, 0, 1},
		{BPFTK_OP_JSLT64_X, 0x1ffffffffull, 0, 0},
		{BPFTK_OP_JSET64_K, 0x100000000ull, (uint64_t)-1, 1},
		{BPFTK_OP_JSET32_K, 0x100000000ull, (uint64_t)-1, 0},
		{BPFTK_OP_JLE64_K, 0x80000000ull, (uint64_t)(int64_t)INT32_MIN, 1},
		{BPFTK_OP_JSGE64_K, 0, (uint64_t)(int64_t)INT32_MIN, 1},
		{BPFTK_OP_JNE32_X, 0x1234500000000ull, 0, 0},
	};
	for (size_t i = 0; i < NINSN(cases); i++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(cases[i].op);
		int k = r->form == BPFTK_FORM_JCC_K;
		struct bpftk_insn p[] = {
			LD64(1, cases[i].a),
			LD64(2, cases[i].b),
			MOVK(0, 1),
			vt_ins(cases[i].op, 1, k ? 0 : 2, 1, k ? (int32_t)cases[i].b : 0),
			MOVK(0, 0),
			EXIT(),
		};
		char what[64];
		snprintf(what, sizeof(what), "%s 0x%" PRIx64 ", 0x%" PRIx64,
			 r->name, cases[i].a, cases[i].b);
		uint64_t got = vt_eval(what, p, NINSN(p), NULL, 0, NULL);
		if (got != (uint64_t)cases[i].taken)
			fprintf(stderr, "%s: taken %d\n", what, (int)got);
		CHECK_EQ_U64(got, cases[i].taken);
	}
}

/* lddw and every pseudo form load the 64-bit value of their two imms; a
 * jump can skip the whole pair. */
static void test_lddw(void)
{
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (r->form != BPFTK_FORM_LDDW)
			continue;
		uint64_t v = 0x89abcdef01234567ull ^ (uint64_t)op;
		if (op == BPFTK_OP_LDDW_FUNC) /* imm must name a slot */
			v = 0x89abcdef00000000ull | (uint32_t)-3;
		struct bpftk_insn p[] = {
			I(JA, 0, 0, 2, 0),
			vt_ins(op, 0, 0, 0, 1), vt_raw(0, 0, 0, 0, 2),
			vt_ins(op, 0, 0, 0, vt_lo(v)), vt_raw(0, 0, 0, 0, vt_hi(v)),
			EXIT(),
		};
		CHECK_EQ_U64(vt_eval(r->name, p, NINSN(p), NULL, 0, NULL), v);
	}
}

/* Legacy packet loads: big-endian; out of bounds ends the program with
 * r0 = 0, also from inside a local call. */
static void test_packet(void)
{
	uint8_t pkt[5] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	struct {
		struct bpftk_insn in;
		int32_t r6;
		uint64_t want;
	} cases[] = {
		{I(LDABSW, 0, 0, 0, 0), 0, 0x12345678},
		{I(LDABSW, 0, 0, 0, 1), 0, 0x3456789a},
		{I(LDABSH, 0, 0, 0, 3), 0, 0x789a},
		{I(LDABSB, 0, 0, 0, 4), 0, 0x9a},
		{I(LDINDW, 0, 6, 0, 0), 1, 0x3456789a},
		{I(LDINDH, 0, 6, 0, 1), 2, 0x789a},
		{I(LDINDB, 0, 6, 0, 1), -1, 0x12},
		/* out of bounds: r0 = 0, the rest is not run */
		{I(LDABSW, 0, 0, 0, 2), 0, 0},
		{I(LDABSB, 0, 0, 0, 5), 0, 0},
		{I(LDABSB, 0, 0, 0, -1), 0, 0},
		{I(LDINDH, 0, 6, 0, 0), 4, 0},
		{I(LDINDB, 0, 6, 0, 0), -1, 0},
		{I(LDINDB, 0, 6, 0, 0x7fffffff), 0x7fffffff, 0},
	};
	for (size_t i = 0; i < NINSN(cases); i++) {
		struct bpftk_insn p[] = {
			MOVK(0, 99),
			MOVK(6, cases[i].r6),
			cases[i].in,
			I(JNE64_K, 0, 0, 1, 99), /* still 99: load did nothing */
			MOVK(0, 98),
			EXIT(),
		};
		char what[48];
		snprintf(what, sizeof(what), "packet load %zu", i);
		CHECK_EQ_U64(vt_eval(what, p, NINSN(p), pkt, sizeof(pkt), NULL),
			     cases[i].want);
	}
	/* out of bounds inside a subprogram ends the whole program */
	struct bpftk_insn sub[] = {
		MOVK(0, 5),
		I(CALL_LOCAL, 0, 0, 0, 2),
		MOVK(0, 77),
		EXIT(),
		I(LDABSW, 0, 0, 0, 100),
		MOVK(0, 66),
		EXIT(),
	};
	CHECK_EQ_U64(vt_eval("packet oob in call", sub, NINSN(sub), pkt,
			     sizeof(pkt), NULL),
		     0);
	/* no packet at all: every load is out of bounds */
	struct bpftk_insn none[] = {MOVK(0, 5), I(LDABSB, 0, 0, 0, 0), EXIT()};
	CHECK_EQ_U64(vt_eval("no packet", none, NINSN(none), NULL, 0, NULL), 0);
}

/* The entry convention: r1 = memory, r2 = its length, r3..r5 = 0, r10 the
 * 8-aligned top of a zeroed stack. */
static void test_entry(void)
{
	uint8_t mem[24];
	struct bpftk_insn p[] = {
		I(STXDW, 1, 1, 0, 0),
		I(STXDW, 1, 2, 8, 0),
		MOVX(0, 3), I(OR64_X, 0, 4, 0, 0), I(OR64_X, 0, 5, 0, 0),
		I(LDXDW, 3, 10, -512, 0), I(OR64_X, 0, 3, 0, 0),
		I(LDXDW, 3, 10, -8, 0), I(OR64_X, 0, 3, 0, 0),
		MOVX(3, 10), I(AND64_K, 3, 0, 0, 7), I(OR64_X, 0, 3, 0, 0),
		EXIT(),
	};
	for (int e = 0; e < VT_NENGINES; e++) {
		struct vt_out o = vt_run1(e, p, NINSN(p), mem, sizeof(mem), NULL,
					  0);
		uint64_t a, l;
		memcpy(&a, mem, 8);
		memcpy(&l, mem + 8, 8);
		CHECK(o.err == 0 && o.r0 == 0);
		CHECK_EQ_U64(a, (uint64_t)(uintptr_t)mem);
		CHECK_EQ_U64(l, sizeof(mem));
	}
}

/* exit not last; programs that use every register. */
static void test_misc(void)
{
	struct bpftk_insn p[] = {
		MOVK(0, 1), MOVK(1, 2), MOVK(2, 3), MOVK(3, 4), MOVK(4, 5),
		MOVK(5, 6), MOVK(6, 7), MOVK(7, 8), MOVK(8, 9), MOVK(9, 10),
		I(ADD64_X, 0, 1, 0, 0), I(ADD64_X, 0, 2, 0, 0),
		I(ADD64_X, 0, 3, 0, 0), I(ADD64_X, 0, 4, 0, 0),
		I(ADD64_X, 0, 5, 0, 0), I(ADD64_X, 0, 6, 0, 0),
		I(ADD64_X, 0, 7, 0, 0), I(ADD64_X, 0, 8, 0, 0),
		I(ADD64_X, 0, 9, 0, 0),
		EXIT(),
		MOVK(0, 1000),
		EXIT(),
	};
	CHECK_EQ_U64(vt_eval("registers", p, NINSN(p), NULL, 0, NULL), 55);
}

TEST_MAIN({
	test_alu();
	test_load_store();
	test_atomics();
	test_jumps();
	test_lddw();
	test_packet();
	test_entry();
	test_misc();
})
