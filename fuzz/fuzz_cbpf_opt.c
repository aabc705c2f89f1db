/* fuzz_cbpf_opt.c — libFuzzer target for the classic optimizer.  The input
 * drives a generator of programs that are valid by construction (forward
 * jumps inside the program, scratch words read only after the entry stores
 * them, no division by a constant zero, shifts by constants below 32, a
 * return at the end) and of packets shaped by the program's own offsets and
 * constants.  The program is optimized; the result must pass libpcap's
 * bpf_validate(), be no longer, and give libpcap's bpf_filter() result of
 * the original on every packet and every truncation tried (and our own
 * interpreter must agree).  Then a seccomp filter the same way, run by
 * our interpreter on random seccomp data.  Any difference aborts.
 * test_cbpf_opt_random.c runs this same target over fixed random inputs. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/cbpf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct gen {
	const uint8_t *d;
	size_t n, i;
	uint64_t rng;
};

/* the next input byte while there are some, then a PRNG seeded by them */
static uint32_t take(struct gen *g, uint32_t bound)
{
	uint32_t v;
	if (g->i + 2 <= g->n) {
		v = (uint32_t)g->d[g->i] | (uint32_t)g->d[g->i + 1] << 8;
		g->i += 2;
		g->rng = g->rng * 6364136223846793005ull + v + 1;
	} else {
		g->rng = g->rng * 6364136223846793005ull + 1442695040888963407ull;
		v = (uint32_t)(g->rng >> 33);
	}
	return bound ? v % bound : v;
}

static const uint32_t consts[] = {0, 1, 2, 4, 6, 17, 0x800, 0x86dd, 0xff,
				  0x1fff, 0xffff, 0xffffffff, 0x80000000};

static uint32_t konst(struct gen *g)
{
	uint32_t r = take(g, 4);
	if (r == 0) {
		/* one statement each: operand order is unspecified in C and
		 * must not make gcc and clang builds read an input apart */
		uint32_t lo = take(g, 0);
		return lo | take(g, 0) << 16;
	}
	if (r == 1)
		return take(g, 64);
	return consts[take(g, sizeof(consts) / sizeof(consts[0]))];
}

static struct bpf_insn mk(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	struct bpf_insn x;
	x.code = code;
	x.jt = jt;
	x.jf = jf;
	x.k = k;
	return x;
}

#define NINIT 4 /* M[0..3] are stored at entry; only they are read */

/* seccomp: loads read 32-bit words of struct seccomp_data only */
static size_t generate(struct gen *g, struct bpf_insn *p, size_t cap,
		       int seccomp)
{
	static const uint16_t alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV,
					   BPF_OR,	BPF_AND, BPF_LSH, BPF_RSH,
					   BPF_MOD, BPF_XOR};
	static const uint16_t jops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
	static const uint16_t sizes[] = {BPF_W, BPF_H, BPF_B};
	uint32_t room = (uint32_t)(cap - 2 * NINIT - 2);
	size_t n = 2 * NINIT + 2 + take(g, take(g, 4) ? 48 : room);
	size_t pc = 0;
	for (uint32_t i = 0; i < NINIT; i++) {
		p[pc++] = mk(BPF_LD | BPF_IMM, 0, 0, konst(g));
		p[pc++] = mk(BPF_ST, 0, 0, i);
	}
	for (; pc < n - 1; pc++) {
		uint32_t left = (uint32_t)(n - 2 - pc); /* insns after the next */
		uint16_t sz = sizes[take(g, 3)];
		uint16_t op;
		switch (take(g, 16)) {
		case 0:
		case 1:
			p[pc] = seccomp ? mk(BPF_LD | BPF_W | BPF_ABS, 0, 0,
					     4 * take(g, 16))
					: mk(BPF_LD | sz | BPF_ABS, 0, 0, take(g, 72));
			break;
		case 2:
			p[pc] = seccomp ? mk(BPF_LD | BPF_IMM, 0, 0, konst(g))
					: mk(BPF_LD | sz | BPF_IND, 0, 0, take(g, 40));
			break;
		case 3:
			p[pc] = mk(BPF_LD | BPF_MEM, 0, 0, take(g, NINIT));
			break;
		case 4:
			p[pc] = mk(BPF_LD | BPF_IMM, 0, 0, konst(g));
			break;
		case 5:
			p[pc] = take(g, 2) ? mk(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0)
					   : mk(BPF_LDX | BPF_W | BPF_LEN, 0, 0, 0);
			break;
		case 6:
			switch (take(g, 3)) {
			case 0:
				p[pc] = mk(BPF_LDX | BPF_IMM, 0, 0, konst(g));
				break;
			case 1:
				p[pc] = mk(BPF_LDX | BPF_MEM, 0, 0, take(g, NINIT));
				break;
			default:
				p[pc] = seccomp ? mk(BPF_LDX | BPF_IMM, 0, 0, 4)
						: mk(BPF_LDX | BPF_B | BPF_MSH, 0,
						     0, take(g, 40));
				break;
			}
			break;
		case 7:
			op = take(g, 2) ? BPF_ST : BPF_STX;
			p[pc] = mk(op, 0, 0, take(g, 16));
			break;
		case 8:
		case 9:
			op = alu_ops[take(g, 10)];
			if (seccomp && (op == BPF_MOD || op == BPF_XOR))
				op = BPF_ADD; /* not in seccomp's set */
			if (take(g, 3) == 0 && op != BPF_LSH && op != BPF_RSH) {
				p[pc] = mk(BPF_ALU | op | BPF_X, 0, 0, 0);
			} else {
				uint32_t k = konst(g);
				if (op == BPF_LSH || op == BPF_RSH)
					k &= 31;
				if ((op == BPF_DIV || op == BPF_MOD) && !k)
					k = 3;
				p[pc] = mk(BPF_ALU | op | BPF_K, 0, 0, k);
			}
			break;
		case 10:
			switch (take(g, 3)) {
			case 0:
				p[pc] = mk(BPF_ALU | BPF_NEG, 0, 0, 0);
				break;
			case 1:
				p[pc] = mk(BPF_MISC | BPF_TAX, 0, 0, 0);
				break;
			default:
				p[pc] = mk(BPF_MISC | BPF_TXA, 0, 0, 0);
				break;
			}
			break;
		case 11:
		case 12:
		case 13: {
			uint32_t lim = left < 255 ? left : 255;
			op = jops[take(g, 4)];
			op |= take(g, 4) ? BPF_K : BPF_X;
			uint8_t jt = (uint8_t)take(g, lim + 1);
			uint8_t jf = (uint8_t)take(g, lim + 1);
			p[pc] = mk(BPF_JMP | op, jt, jf, konst(g));
			break;
		}
		case 14:
			p[pc] = mk(BPF_JMP | BPF_JA, 0, 0, take(g, left + 1));
			break;
		default:
			p[pc] = take(g, 3) ? mk(BPF_RET | BPF_K, 0, 0, konst(g))
					   : mk(BPF_RET | BPF_A, 0, 0, 0);
			break;
		}
	}
	p[pc++] = take(g, 2) ? mk(BPF_RET | BPF_K, 0, 0, konst(g))
			     : mk(BPF_RET | BPF_A, 0, 0, 0);
	return pc;
}

/* random bytes, with the constants the program compares with written at
 * the offsets it loads from, half of the time */
static void packet(struct gen *g, const struct bpf_insn *p, size_t n,
		   uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)take(g, 256);
	for (size_t i = 0; i < n; i++) {
		if (BPF_CLASS(p[i].code) != BPF_LD || BPF_MODE(p[i].code) != BPF_ABS ||
		    take(g, 2))
			continue;
		size_t j = take(g, (uint32_t)n);
		if (BPF_CLASS(p[j].code) != BPF_JMP)
			continue;
		uint32_t sz = BPF_SIZE(p[i].code) == BPF_W ? 4
			      : BPF_SIZE(p[i].code) == BPF_H ? 2 : 1;
		for (uint32_t b = 0; b < sz && p[i].k + b < len; b++)
			buf[p[i].k + b] = (uint8_t)(p[j].k >> (8 * (sz - 1 - b)));
	}
}

/* The same for a seccomp filter, run on random struct seccomp_data by our
 * interpreter (libpcap has no seccomp runner): both programs must agree,
 * and the optimized one must pass the seccomp validator. */
static void seccomp_pass(struct gen *g, struct bpf_insn *p,
			 struct bpftk_cbpf_insn *o, size_t cap)
{
	size_t n = generate(g, p, cap, 1), no;
	struct bpftk_cbpf_insn *orig = malloc(n * sizeof(*orig));
	if (!orig)
		return;
	for (size_t i = 0; i < n; i++) {
		orig[i].code = p[i].code;
		orig[i].jt = p[i].jt;
		orig[i].jf = p[i].jf;
		orig[i].k = p[i].k;
	}
	if (bpftk_cbpf_validate(orig, n, BPFTK_CBPF_SECCOMP, NULL) != 0)
		abort(); /* the generator's promise */
	memcpy(o, orig, n * sizeof(*o));
	no = n;
	if (bpftk_cbpf_optimize(&o, &no, BPFTK_CBPF_SECCOMP, NULL) != 0 ||
	    no > n || bpftk_cbpf_validate(o, no, BPFTK_CBPF_SECCOMP, NULL) != 0)
		abort();
	for (int t = 0; t < 16; t++) {
		struct bpftk_seccomp_data sd;
		uint32_t w[16];
		for (size_t i = 0; i < 16; i++)
			w[i] = take(g, 3) ? konst(g) : take(g, 0);
		memcpy(&sd, w, sizeof(sd));
		if (bpftk_cbpf_run_seccomp(orig, n, &sd) !=
		    bpftk_cbpf_run_seccomp(o, no, &sd))
			abort();
	}
	free(orig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { CAP = 600, PKT = 96 };
	struct gen g = {data, size, 0, 0x2545f4914f6cdd1dull};
	struct bpf_insn p[CAP], q[CAP];
	struct bpftk_cbpf_insn *o = malloc(CAP * sizeof(*o));
	uint8_t buf[PKT];
	if (!o)
		return 0;
	size_t n = generate(&g, p, CAP, 0), no = n;
	if (!bpf_validate(p, (int)n)) /* the generator's promise */
		abort();
	for (size_t i = 0; i < n; i++) {
		o[i].code = p[i].code;
		o[i].jt = p[i].jt;
		o[i].jf = p[i].jf;
		o[i].k = p[i].k;
	}
	if (bpftk_cbpf_optimize(&o, &no, BPFTK_CBPF_PCAP, NULL) != 0 || no > n)
		abort();
	for (size_t i = 0; i < no; i++)
		q[i] = mk(o[i].code, o[i].jt, o[i].jf, o[i].k);
	if (!bpf_validate(q, (int)no))
		abort();
	for (int t = 0; t < 16; t++) {
		packet(&g, p, n, buf, PKT);
		uint32_t caplen = t < 4 ? (uint32_t)t * 7 : take(&g, PKT + 1);
		uint32_t wire = caplen + take(&g, 64);
		u_int a = bpf_filter(p, buf, wire, caplen);
		u_int b = bpf_filter(q, buf, wire, caplen);
		if (a != b || bpftk_cbpf_run(o, no, BPFTK_CBPF_PCAP, buf, wire,
					     caplen) != b)
			abort();
	}
	seccomp_pass(&g, p, o, CAP);
	free(o);
	return 0;
}
