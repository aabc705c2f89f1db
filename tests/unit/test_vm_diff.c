/* test_vm_diff.c — differential test against native C: every ALU, byte-order
 * and conditional-jump row of the table, 10^5 operand pairs each
 * (deterministic seed, biased towards edge values), on all four engines.
 *
 * The reference below is written independently of the interpreter: signed
 * operations spell out their special cases, arithmetic shifts and sign
 * extension use only unsigned bit operations, byte swaps walk bytes, and
 * the host byte order is probed at run time.  Operands go in as lddw
 * constants and immediates; results come out through a memory region, a
 * thousand operations per program.
 *
 * Second part: random programs made of the sequences the interpreter
 * fuses into superinstructions or forwards through a host register (copy
 * then operate, indexed loads and stores, counter then branch), with few
 * registers so that operands alias often, checked against a reference
 * interpreter written here from the same native reference. */
#include "test.h"
#include "test_vm_util.h"

#define PER_OP 100000
#define BATCH 1000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const uint64_t specials[] = {
	0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 0x7fff,
	0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xffffffffffffffffull, 0xfffffffffffffffeull, 0xffffffff80000000ull,
	0xffffffff7fffffffull, 0x80000000ffffffffull,
};

/* Edge values a quarter of the time, small numbers (shift amounts, small
 * divisors) another quarter, otherwise random values of random width. */
static uint64_t operand(void)
{
	uint64_t r = rnd();
	switch (r & 3) {
	case 0:
		return specials[(r >> 8) %
				(sizeof(specials) / sizeof(specials[0]))];
	case 1:
		return (r >> 8) & 1 ? (r >> 16) % 70 : 0 - (r >> 16) % 70;
	default: {
		unsigned bits = 1 + (unsigned)((r >> 8) % 64);
		uint64_t v = rnd();
		return bits == 64 ? v : v & ((1ull << bits) - 1);
	}
	}
}

static int host_is_little(void)
{
	const union {
		uint16_t u;
		uint8_t b[2];
	} probe = {0x0102};
	return probe.b[0] == 0x02;
}

static uint64_t swap_bytes(uint64_t v, int n)
{
	uint64_t r = 0;
	for (int i = 0; i < n; i++)
		r |= ((v >> (8 * i)) & 0xff) << (8 * (n - 1 - i));
	return r;
}

static uint64_t low(uint64_t v, int bits)
{
	return bits == 64 ? v : v & ((1ull << bits) - 1);
}

/* two's complement sign extension of the low `bits` bits, without shifts of
 * negative values */
static uint64_t sext(uint64_t v, int bits)
{
	uint64_t m = 1ull << (bits - 1);
	v = low(v, bits);
	return (v ^ m) - m;
}

static uint64_t ashr(uint64_t v, unsigned n, int bits)
{
	v = low(v, bits);
	uint64_t r = v >> n;
	if (v >> (bits - 1)) /* negative: fill with ones from the top */
		r |= low(~0ull << (bits - 1 - n), bits);
	return r;
}

static int64_t as_signed(uint64_t v, int bits)
{
	uint64_t s = sext(v, bits);
	/* the value of s as a 64-bit two's complement integer */
	return s >> 63 ? -(int64_t)(~s) - 1 : (int64_t)s;
}

static uint64_t sdiv(uint64_t a, uint64_t b, int bits)
{
	int64_t x = as_signed(a, bits), y = as_signed(b, bits);
	int64_t min = bits == 64 ? INT64_MIN : INT32_MIN;
	if (y == 0)
		return 0;
	if (x == min && y == -1)
		return low((uint64_t)x, bits);
	return low((uint64_t)(x / y), bits);
}

static uint64_t smod(uint64_t a, uint64_t b, int bits)
{
	int64_t x = as_signed(a, bits), y = as_signed(b, bits);
	int64_t min = bits == 64 ? INT64_MIN : INT32_MIN;
	if (y == 0)
		return low(a, bits);
	if (x == min && y == -1)
		return 0;
	return low((uint64_t)(x % y), bits);
}

/* The reference for dst = a, operand b (for immediates: sign-extended). */
static uint64_t ref_alu(enum bpftk_op op, uint64_t a, uint64_t b)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	int bits = BPFTK_CLASS(r->code) == BPFTK_CLASS_ALU64 ? 64 : 32;
	uint64_t x = low(a, bits), y = low(b, bits);
	unsigned sh = (unsigned)(y & (uint64_t)(bits - 1));
	int le = host_is_little();
	switch (op) {
#define BOTH(name) case BPFTK_OP_##name##_K: case BPFTK_OP_##name##_X
	BOTH(ADD64): BOTH(ADD32): return low(x + y, bits);
	BOTH(SUB64): BOTH(SUB32): return low(x - y, bits);
	BOTH(MUL64): BOTH(MUL32): return low(x * y, bits);
	BOTH(DIV64): BOTH(DIV32): return y ? x / y : 0;
	BOTH(MOD64): BOTH(MOD32): return y ? x % y : x;
	BOTH(SDIV64): BOTH(SDIV32): return sdiv(x, y, bits);
	BOTH(SMOD64): BOTH(SMOD32): return smod(x, y, bits);
	BOTH(OR64): BOTH(OR32): return x | y;
	BOTH(AND64): BOTH(AND32): return x & y;
	BOTH(XOR64): BOTH(XOR32): return x ^ y;
	BOTH(LSH64): BOTH(LSH32): return low(x << sh, bits);
	BOTH(RSH64): BOTH(RSH32): return x >> sh;
	BOTH(ARSH64): BOTH(ARSH32): return ashr(x, sh, bits);
	BOTH(MOV64): BOTH(MOV32): return y;
#undef BOTH
	case BPFTK_OP_MOVSX64_8: return sext(b, 8);
	case BPFTK_OP_MOVSX64_16: return sext(b, 16);
	case BPFTK_OP_MOVSX64_32: return sext(b, 32);
	case BPFTK_OP_MOVSX32_8: return low(sext(b, 8), 32);
	case BPFTK_OP_MOVSX32_16: return low(sext(b, 16), 32);
	case BPFTK_OP_NEG64: return 0 - a;
	case BPFTK_OP_NEG32: return low(0 - a, 32);
	case BPFTK_OP_LE16: return le ? low(a, 16) : swap_bytes(a, 2);
	case BPFTK_OP_LE32: return le ? low(a, 32) : swap_bytes(a, 4);
	case BPFTK_OP_LE64: return le ? a : swap_bytes(a, 8);
	case BPFTK_OP_BE16: return le ? swap_bytes(a, 2) : low(a, 16);
	case BPFTK_OP_BE32: return le ? swap_bytes(a, 4) : low(a, 32);
	case BPFTK_OP_BE64: return le ? swap_bytes(a, 8) : a;
	case BPFTK_OP_BSWAP16: return swap_bytes(a, 2);
	case BPFTK_OP_BSWAP32: return swap_bytes(a, 4);
	case BPFTK_OP_BSWAP64: return swap_bytes(a, 8);
	default:
		fprintf(stderr, "no reference for %s\n", r->name);
		CHECK(0);
		return 0;
	}
}

/* Does the conditional jump op take its branch for dst = a, operand b? */
static int ref_jcc(enum bpftk_op op, uint64_t a, uint64_t b)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	int bits = BPFTK_CLASS(r->code) == BPFTK_CLASS_JMP ? 64 : 32;
	uint64_t x = low(a, bits), y = low(b, bits);
	int64_t sx = as_signed(x, bits), sy = as_signed(y, bits);
	/* the row's name without "32": jeq, jgt, ... */
	char name[16];
	snprintf(name, sizeof(name), "%s", r->name);
	char *p = strstr(name, "32");
	if (p)
		*p = '\0';
	if (!strcmp(name, "jeq")) return x == y;
	if (!strcmp(name, "jne")) return x != y;
	if (!strcmp(name, "jgt")) return x > y;
	if (!strcmp(name, "jge")) return x >= y;
	if (!strcmp(name, "jlt")) return x < y;
	if (!strcmp(name, "jle")) return x <= y;
	if (!strcmp(name, "jset")) return (x & y) != 0;
	if (!strcmp(name, "jsgt")) return sx > sy;
	if (!strcmp(name, "jsge")) return sx >= sy;
	if (!strcmp(name, "jslt")) return sx < sy;
	if (!strcmp(name, "jsle")) return sx <= sy;
	fprintf(stderr, "no reference for %s\n", r->name);
	CHECK(0);
	return 0;
}

/* Builds and runs one batch for op; returns the number of mismatches. */
static long run_batch(enum bpftk_op op, struct bpftk_insn *prog,
		      uint64_t *a, uint64_t *b, uint64_t *out)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	int k = r->form == BPFTK_FORM_ALU_K || r->form == BPFTK_FORM_JCC_K;
	int jump = r->form == BPFTK_FORM_JCC_K || r->form == BPFTK_FORM_JCC_X;
	int unary = r->form == BPFTK_FORM_NEG || r->form == BPFTK_FORM_END;
	size_t n = 0;
	prog[n++] = MOVX(6, 1);
	for (int i = 0; i < BATCH; i++) {
		if (k) /* immediates are 32 bits, sign-extended */
			b[i] = (uint64_t)(int64_t)(int32_t)(uint32_t)b[i];
		struct bpftk_insn ld[] = {LD64(3, a[i]), LD64(2, b[i])};
		memcpy(&prog[n], ld, sizeof(ld));
		n += 4;
		int32_t imm = k ? (int32_t)(uint32_t)b[i] : 0;
		if (jump) {
			prog[n++] = MOVK(0, 1);
			prog[n++] = vt_ins(op, 3, k ? 0 : 2, 1, imm);
			prog[n++] = MOVK(0, 0);
		} else {
			prog[n++] = vt_ins(op, 3, (k || unary) ? 0 : 2, 0, imm);
			prog[n++] = MOVX(0, 3);
		}
		/* r6 steps through the output so offsets stay small */
		prog[n++] = I(STXDW, 6, 0, 0, 0);
		prog[n++] = I(ADD64_K, 6, 0, 0, 8);
	}
	prog[n++] = MOVK(0, 0);
	prog[n++] = EXIT();
	memset(out, 0, BATCH * sizeof(*out));
	struct vt_out o = vt_run_on(r->name, prog, n, out, BATCH * sizeof(*out),
				    NULL, VT_ALL, 0);
	CHECK(o.load_err == 0 && o.err == 0);
	long bad = 0;
	for (int i = 0; i < BATCH; i++) {
		uint64_t want = jump ? (uint64_t)ref_jcc(op, a[i], b[i])
				     : ref_alu(op, a[i], b[i]);
		if (out[i] != want) {
			if (bad++ < 3)
				fprintf(stderr, "%s 0x%" PRIx64 ", 0x%" PRIx64
						": vm 0x%" PRIx64 ", native 0x%" PRIx64
						"\n",
					r->name, a[i], b[i], out[i], want);
		}
	}
	return bad;
}

/* ---- random programs against a reference interpreter ------------------ */

/* Runs p (no calls) on registers r[] and host memory; returns r0. */
static uint64_t ref_run(const struct bpftk_insn *p, size_t n, uint64_t *r)
{
	for (size_t pc = 0; pc < n;) {
		const struct bpftk_insn *in = &p[pc];
		enum bpftk_op op = bpftk_isa_lookup(in);
		const struct bpftk_opinfo *info = bpftk_isa_info(op);
		uint64_t *d = &r[in->dst], s = r[in->src];
		uint64_t imm = (uint64_t)(int64_t)in->imm;
		uint8_t *addr;
		switch (info->form) {
		case BPFTK_FORM_ALU_K:
		case BPFTK_FORM_ALU_X: {
			uint64_t b = info->form == BPFTK_FORM_ALU_K ? imm : s;
			*d = ref_alu(op, *d, b);
			pc++;
			break;
		}
		case BPFTK_FORM_LDDW:
			*d = (uint32_t)in->imm | (uint64_t)(uint32_t)p[pc + 1].imm << 32;
			pc += 2;
			break;
		case BPFTK_FORM_LDX: {
			unsigned n8 = BPFTK_MEM_BYTES(in->code);
			uint64_t v = 0;
			addr = (uint8_t *)(uintptr_t)(s + (uint64_t)(int64_t)in->off);
			for (unsigned k = 0; k < n8; k++) /* little-endian host */
				v |= (uint64_t)addr[k] << (8 * k);
			*d = v;
			pc++;
			break;
		}
		case BPFTK_FORM_STX:
		case BPFTK_FORM_ST: {
			unsigned n8 = BPFTK_MEM_BYTES(in->code);
			uint64_t v = info->form == BPFTK_FORM_STX ? s : imm;
			addr = (uint8_t *)(uintptr_t)(*d + (uint64_t)(int64_t)in->off);
			for (unsigned k = 0; k < n8; k++)
				addr[k] = (uint8_t)(v >> (8 * k));
			pc++;
			break;
		}
		case BPFTK_FORM_JA:
			pc += 1 + (size_t)(int64_t)in->off;
			break;
		case BPFTK_FORM_JCC_K:
		case BPFTK_FORM_JCC_X: {
			uint64_t b = info->form == BPFTK_FORM_JCC_K ? imm : s;
			pc += ref_jcc(op, *d, b) ? 1 + (size_t)(int64_t)in->off
						 : 1;
			break;
		}
		case BPFTK_FORM_EXIT:
			return r[0];
		default:
			fprintf(stderr, "reference: no %s\n", info->name);
			CHECK(0);
			return 0;
		}
	}
	return r[0];
}

/* ALU rows the generator draws from (all rows are fine; these make longer
 * dependent chains without collapsing values to 0 too fast). */
static const enum bpftk_op gen_alu[] = {
	BPFTK_OP_ADD64_X, BPFTK_OP_ADD64_K, BPFTK_OP_SUB64_X, BPFTK_OP_XOR64_X,
	BPFTK_OP_OR64_K,  BPFTK_OP_AND64_K, BPFTK_OP_LSH64_K, BPFTK_OP_RSH64_X,
	BPFTK_OP_MUL64_K, BPFTK_OP_ARSH64_K, BPFTK_OP_ADD32_X, BPFTK_OP_XOR32_K,
	BPFTK_OP_LSH32_X, BPFTK_OP_SUB32_K, BPFTK_OP_MUL32_X, BPFTK_OP_SDIV64_X,
	BPFTK_OP_MOD32_X, BPFTK_OP_RSH32_K, BPFTK_OP_OR32_X,  BPFTK_OP_DIV64_K,
};
static const enum bpftk_op gen_jcc[] = {
	BPFTK_OP_JEQ64_K, BPFTK_OP_JNE64_X, BPFTK_OP_JGT64_K, BPFTK_OP_JSLT64_X,
	BPFTK_OP_JLE32_K, BPFTK_OP_JSGE32_X, BPFTK_OP_JSET64_K, BPFTK_OP_JNE32_K,
};
static const enum bpftk_op gen_ldx[] = {BPFTK_OP_LDXB, BPFTK_OP_LDXH,
					BPFTK_OP_LDXW, BPFTK_OP_LDXDW};
static const enum bpftk_op gen_stx[] = {BPFTK_OP_STXB, BPFTK_OP_STXH,
					BPFTK_OP_STXW, BPFTK_OP_STXDW};
#define PICK(a) (a)[rnd() % (sizeof(a) / sizeof((a)[0]))]

/* Data registers r0..r4 (few, so operands alias), r6 = memory (64 bytes,
 * from r1 at entry), r7 = loop counter, r8/r9 = address scratch. */
static int data_reg(void)
{
	return (int)(rnd() % 5);
}

/* One random piece, appended at p[n]; returns the new length.  Forward
 * jumps skip at most the next piece, so every jump lands on a piece. */
static size_t gen_piece(struct bpftk_insn *p, size_t n)
{
	int a = data_reg(), b = data_reg(), c = data_reg();
	switch (rnd() % 8) {
	case 0: /* copy then operate: mov a, b ; op a, ... */
		p[n++] = MOVX(a, b);
		/* fall through */
	case 1: {
		enum bpftk_op op = PICK(gen_alu);
		int k = bpftk_isa_info(op)->form == BPFTK_FORM_ALU_K;
		int32_t imm = (int32_t)(rnd() % 64) - 8;
		p[n++] = vt_ins(op, a, k ? 0 : c, 0, k ? imm : 0);
		break;
	}
	case 2: /* a chain on one register */
		p[n++] = vt_ins(PICK(gen_alu), a, 0, 0, 0);
		p[n - 1] = bpftk_isa_info(bpftk_isa_lookup(&p[n - 1]))->form ==
					   BPFTK_FORM_ALU_K
				   ? vt_ins(BPFTK_OP_ADD64_K, a, 0, 0, 3)
				   : vt_ins(BPFTK_OP_ADD64_X, a, b, 0, 0);
		p[n++] = vt_ins(BPFTK_OP_LSH64_K, a, 0, 0, (int32_t)(rnd() % 9));
		p[n++] = vt_ins(BPFTK_OP_OR64_X, a, c, 0, 0);
		break;
	case 3: /* indexed load: r8 = b & 48; r9 = r6; r9 += r8; ldx a, [r9] */
	case 4: { /* indexed store */
		p[n++] = MOVX(8, b);
		p[n++] = vt_ins(BPFTK_OP_AND64_K, 8, 0, 0, 48);
		p[n++] = MOVX(9, 6);
		p[n++] = vt_ins(BPFTK_OP_ADD64_X, 9, 8, 0, 0);
		int off = (int)(rnd() % 5);
		if (rnd() & 1)
			p[n++] = vt_ins(PICK(gen_ldx), a, 9, off, 0);
		else
			p[n++] = vt_ins(PICK(gen_stx), 9, rnd() % 3 ? a : 9, off,
					0);
		break;
	}
	case 5: /* two copies */
		p[n++] = MOVX(a, b);
		p[n++] = MOVX(c, a);
		break;
	case 6: { /* a compare that may skip the next two slots */
		enum bpftk_op op = PICK(gen_jcc);
		int k = bpftk_isa_info(op)->form == BPFTK_FORM_JCC_K;
		p[n++] = vt_ins(BPFTK_OP_ADD64_K, a, 0, 0, (int32_t)(rnd() % 5));
		p[n++] = vt_ins(op, a, k ? 0 : b, 2, k ? (int32_t)(rnd() % 8) : 0);
		p[n++] = vt_ins(BPFTK_OP_XOR64_K, c, 0, 0, 0x55);
		p[n++] = vt_ins(BPFTK_OP_MOV32_X, b, c, 0, 0);
		break;
	}
	default: /* load, then use the loaded value */
		p[n++] = vt_ins(PICK(gen_ldx), a, 6, (int)(rnd() % 57), 0);
		p[n++] = vt_ins(BPFTK_OP_ADD64_X, b, a, 0, 0);
		break;
	}
	return n;
}

/* A loop of random pieces run a few times, then a fold of r0..r4. */
static size_t gen_program(struct bpftk_insn *p)
{
	size_t n = 0;
	p[n++] = MOVX(6, 1);
	for (int r = 0; r < 5; r++) {
		uint64_t v = operand();
		struct bpftk_insn ld[] = {LD64(r, v)};
		p[n++] = ld[0];
		p[n++] = ld[1];
	}
	p[n++] = MOVK(7, (int32_t)(1 + rnd() % 4));
	size_t top = n;
	int pieces = 3 + (int)(rnd() % 10);
	for (int k = 0; k < pieces; k++)
		n = gen_piece(p, n);
	/* counter then branch back: a fused pair */
	p[n++] = vt_ins(BPFTK_OP_ADD64_K, 7, 0, 0, -1);
	p[n] = vt_ins(BPFTK_OP_JNE64_K, 7, 0, 0, 0);
	p[n].off = (int16_t)((long)top - (long)n - 1);
	n++;
	for (int r = 1; r < 5; r++)
		p[n++] = vt_ins(BPFTK_OP_XOR64_X, 0, r, 0, 0);
	p[n++] = EXIT();
	return n;
}

/* Every engine runs on the same buffer as the reference did (programs may
 * store addresses), starting from the same bytes. */
static void random_programs(void)
{
	struct bpftk_insn p[256];
	uint8_t init[64], buf[64], ref_mem[64];
	long mismatches = 0;
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = gen_program(p);
		for (size_t k = 0; k < sizeof(init); k++)
			init[k] = (uint8_t)rnd();
		memcpy(buf, init, sizeof(buf));
		uint64_t r[11] = {0};
		r[1] = (uint64_t)(uintptr_t)buf;
		r[2] = sizeof(buf);
		uint64_t want = ref_run(p, n, r);
		memcpy(ref_mem, buf, sizeof(buf));
		for (int e = 0; e < VT_NENGINES; e++) {
			memcpy(buf, init, sizeof(buf));
			struct vt_out o =
				vt_run1(e, p, n, buf, sizeof(buf), NULL, 0);
			int ok = o.load_err == 0 && o.err == 0 && o.r0 == want &&
				 !memcmp(buf, ref_mem, sizeof(buf));
			if (!ok && mismatches++ < 3)
				fprintf(stderr, "random program %d (%zu slots) on "
						"%s: vm 0x%" PRIx64
						" (load %d run %d %s), reference "
						"0x%" PRIx64 "%s\n",
					iter, n, vt_engine_names[e], o.r0,
					o.load_err, o.err, o.msg, want,
					memcmp(buf, ref_mem, sizeof(buf))
						? ", memory differs"
						: "");
			CHECK(ok);
		}
	}
	printf("3000 random programs agree with the reference interpreter "
	       "on %d engines\n",
	       VT_NENGINES);
}

static void diff_all(void)
{
	struct bpftk_insn *prog = malloc((BATCH * 9 + 4) * sizeof(*prog));
	uint64_t *a = malloc(BATCH * sizeof(*a));
	uint64_t *b = malloc(BATCH * sizeof(*b));
	uint64_t *out = malloc(BATCH * sizeof(*out));
	int nops = 0;
	long total = 0;
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		switch (r->form) {
		case BPFTK_FORM_ALU_K:
		case BPFTK_FORM_ALU_X:
		case BPFTK_FORM_NEG:
		case BPFTK_FORM_END:
		case BPFTK_FORM_JCC_K:
		case BPFTK_FORM_JCC_X:
			break;
		default:
			continue;
		}
		long bad = 0;
		for (int done = 0; done < PER_OP; done += BATCH) {
			for (int i = 0; i < BATCH; i++) {
				a[i] = operand();
				b[i] = operand();
			}
			bad += run_batch(op, prog, a, b, out);
		}
		if (bad)
			fprintf(stderr, "%s: %ld of %d differ from native C\n",
				r->name, bad, PER_OP);
		CHECK(bad == 0);
		total += PER_OP;
		nops++;
	}
	printf("%d rows, %ld operations each checked against native C on %d "
	       "engines\n",
	       nops, total, VT_NENGINES);
	free(prog);
	free(a);
	free(b);
	free(out);
}

TEST_MAIN({
	diff_all();
	random_programs();
})
