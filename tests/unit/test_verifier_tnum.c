/* test_verifier_tnum.c — the verifier's abstract domains against every
 * concrete value: tracked bits (tnum) exhaustively at 4 bits, bounds
 * (tnum + unsigned + signed ranges) at 4 bits over a family of
 * descriptions for every ALU operation and every comparison refinement,
 * samples at 8 bits, and the 64/32-bit scalar coupling on random values.
 *
 * The property checked everywhere is soundness: every concrete result of
 * concrete inputs described by the operands is described by the result
 * (and a refinement keeps every pair of values that makes the comparison
 * true).  A few precision checks make sure the domain is not trivially
 * sound by answering "unknown".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "verifier/verifier_int.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- tnum ----------------------------------------------------------------- */

#define W4 4u
#define N4 16u

static struct tnum tnum_nth(unsigned w, unsigned idx)
{
	/* idx in base 3: digit 0 = known 0, 1 = known 1, 2 = unknown */
	struct tnum t = {0, 0};
	for (unsigned i = 0; i < w; i++, idx /= 3) {
		if (idx % 3 == 1)
			t.value |= 1ULL << i;
		else if (idx % 3 == 2)
			t.mask |= 1ULL << i;
	}
	return t;
}

static int tnum_members(struct tnum t, unsigned w, uint64_t *out)
{
	int n = 0;
	for (uint64_t v = 0; v < (1ULL << w); v++)
		if (vtn_contains(t, v))
			out[n++] = v;
	return n;
}

static int64_t sx(unsigned w, uint64_t v)
{
	return vbnd_sext(w, v);
}

enum { T_ADD, T_SUB, T_MUL, T_AND, T_OR, T_XOR, T_NOPS };

static uint64_t conc(int op, uint64_t x, uint64_t y)
{
	switch (op) {
	case T_ADD: return x + y;
	case T_SUB: return x - y;
	case T_MUL: return x * y;
	case T_AND: return x & y;
	case T_OR: return x | y;
	default: return x ^ y;
	}
}

static struct tnum tabs(int op, unsigned w, struct tnum a, struct tnum b)
{
	switch (op) {
	case T_ADD: return vtn_add(w, a, b);
	case T_SUB: return vtn_sub(w, a, b);
	case T_MUL: return vtn_mul(w, a, b);
	case T_AND: return vtn_and(a, b);
	case T_OR: return vtn_or(a, b);
	default: return vtn_xor(a, b);
	}
}

static void test_tnum_exhaustive(void)
{
	unsigned ntn = 81; /* 3^4 */
	uint64_t xs[N4], ys[N4];
	long bad = 0, checks = 0, consts_exact = 1;
	for (unsigned i = 0; i < ntn; i++) {
		struct tnum a = tnum_nth(W4, i);
		int na = tnum_members(a, W4, xs);
		for (unsigned j = 0; j < ntn; j++) {
			struct tnum b = tnum_nth(W4, j);
			int nb = tnum_members(b, W4, ys);
			for (int op = 0; op < T_NOPS; op++) {
				struct tnum r = tabs(op, W4, a, b);
				if (r.value & r.mask)
					bad++;
				for (int x = 0; x < na; x++)
					for (int y = 0; y < nb; y++) {
						uint64_t v = conc(op, xs[x],
								  ys[y]) &
							     15;
						checks++;
						if (!vtn_contains(r, v))
							bad++;
					}
				if (vtn_is_const(a) && vtn_is_const(b) &&
				    !vtn_is_const(r))
					consts_exact = 0;
			}
			/* union and intersection */
			struct tnum u = vtn_union(a, b);
			int empty = 0;
			struct tnum in = vtn_intersect(a, b, &empty);
			for (uint64_t v = 0; v < N4; v++) {
				int ia = vtn_contains(a, v), ib = vtn_contains(b, v);
				if ((ia || ib) && !vtn_contains(u, v))
					bad++;
				if (ia && ib && (empty || !vtn_contains(in, v)))
					bad++;
				if (!empty && vtn_contains(in, v) && !(ia && ib))
					bad++; /* intersection is exact */
			}
			/* subset agrees with the member sets */
			int sub = 1;
			for (int y = 0; y < nb; y++)
				if (!vtn_contains(a, ys[y]))
					sub = 0;
			if (vtn_subset(a, b) != sub)
				bad++;
		}
		/* shifts by every amount */
		for (unsigned k = 0; k < W4; k++) {
			struct tnum l = vtn_lsh(W4, a, k), r = vtn_rsh(a, k),
				    s = vtn_arsh(W4, a, k);
			for (int x = 0; x < na; x++) {
				checks += 3;
				bad += !vtn_contains(l, (xs[x] << k) & 15);
				bad += !vtn_contains(r, xs[x] >> k);
				bad += !vtn_contains(
					s, (uint64_t)(sx(W4, xs[x]) >> k) & 15);
			}
		}
	}
	/* vtn_range holds its interval, for every interval */
	for (uint64_t lo = 0; lo < N4; lo++)
		for (uint64_t hi = lo; hi < N4; hi++) {
			struct tnum t = vtn_range(W4, lo, hi);
			for (uint64_t v = lo; v <= hi; v++)
				bad += !vtn_contains(t, v);
		}
	printf("tnum: %ld concrete checks at 4 bits\n", checks);
	CHECK(bad == 0);
	CHECK(consts_exact);
	CHECK(checks > 300000);
}

static void test_tnum_samples(void)
{
	long bad = 0;
	for (int i = 0; i < 200000; i++) {
		unsigned w = i & 1 ? 64 : 8;
		uint64_t m = vtn_wmask(w);
		struct tnum a = {rnd() & m, rnd() & rnd() & m};
		struct tnum b = {rnd() & m, rnd() & rnd() & rnd() & m};
		a.value &= ~a.mask;
		b.value &= ~b.mask;
		uint64_t x = (a.value | (rnd() & a.mask)) & m;
		uint64_t y = (b.value | (rnd() & b.mask)) & m;
		for (int op = 0; op < T_NOPS; op++)
			bad += !vtn_contains(tabs(op, w, a, b), conc(op, x, y) & m);
	}
	CHECK(bad == 0);
	/* precision: (x & 0xf0) + 4 keeps the low nibble known */
	struct tnum t = vtn_add(64, vtn_and(vtn_unknown(64), vtn_const(64, 0xf0)),
			       vtn_const(64, 4));
	CHECK_EQ_U64(t.value, 4);
	CHECK_EQ_U64(t.mask, 0xf0);
}

/* ---- bounds --------------------------------------------------------------- */

static struct bounds *family;
static int nfamily;

static void fam_add(unsigned w, struct bounds b)
{
	if (vbnd_sync(w, &b))
		return;
	family[nfamily++] = b;
}

/* Unsigned intervals, signed intervals, tnums and a few mixtures. */
static void build_family(unsigned w)
{
	uint64_t n = 1ULL << w;
	family = calloc(4 * n * n + 3 * 81 + 64, sizeof(*family));
	nfamily = 0;
	for (uint64_t lo = 0; lo < n; lo++)
		for (uint64_t hi = lo; hi < n; hi++) {
			struct bounds b = vbnd_unknown(w);
			b.umin = lo;
			b.umax = hi;
			fam_add(w, b);
			b = vbnd_unknown(w);
			b.smin = sx(w, lo + n / 2) ;
			b.smax = sx(w, hi + n / 2);
			if (b.smin <= b.smax)
				fam_add(w, b);
		}
	for (unsigned i = 0; i < 81; i++) {
		struct bounds b = vbnd_unknown(w);
		b.t = tnum_nth(w, i);
		fam_add(w, b);
		b.umin = 2; /* a range and bits together */
		fam_add(w, b);
		b = vbnd_unknown(w);
		b.t = tnum_nth(w, i);
		b.smax = -1;
		fam_add(w, b);
	}
}

static int members(unsigned w, const struct bounds *b, uint64_t *out)
{
	int k = 0;
	for (uint64_t v = 0; v < (1ULL << w); v++)
		if (vbnd_contains(w, b, v))
			out[k++] = v;
	return k;
}

/* The ISA's result in w bits, or -1 where the domain promises nothing
 * particular (shift amounts of w or more). */
static int conc_alu(unsigned w, int op, uint64_t x, uint64_t y, uint64_t *r)
{
	uint64_t m = vtn_wmask(w);
	int64_t a = sx(w, x), b = sx(w, y);
	switch (op) {
	case BND_ADD: *r = x + y; break;
	case BND_SUB: *r = x - y; break;
	case BND_MUL: *r = x * y; break;
	case BND_DIV: *r = y ? x / y : 0; break;
	case BND_MOD: *r = y ? x % y : x; break;
	case BND_SDIV:
		if (b == -1 && a == -(int64_t)(m / 2) - 1)
			return -1;
		*r = b ? (uint64_t)(a / b) : 0;
		break;
	case BND_SMOD:
		if (b == -1 && a == -(int64_t)(m / 2) - 1)
			return -1;
		*r = b ? (uint64_t)(a % b) : x;
		break;
	case BND_AND: *r = x & y; break;
	case BND_OR: *r = x | y; break;
	case BND_XOR: *r = x ^ y; break;
	case BND_LSH:
		if (y >= w)
			return -1;
		*r = x << y;
		break;
	case BND_RSH:
		if (y >= w)
			return -1;
		*r = x >> y;
		break;
	default:
		if (y >= w)
			return -1;
		*r = (uint64_t)(a >> y);
	}
	*r &= m;
	return 0;
}

static int conc_cmp(unsigned w, int op, uint64_t x, uint64_t y)
{
	int64_t a = sx(w, x), b = sx(w, y);
	switch (op) {
	case BND_EQ: return x == y;
	case BND_NE: return x != y;
	case BND_GT: return x > y;
	case BND_GE: return x >= y;
	case BND_LT: return x < y;
	case BND_LE: return x <= y;
	case BND_SGT: return a > b;
	case BND_SGE: return a >= b;
	case BND_SLT: return a < b;
	case BND_SLE: return a <= b;
	case BND_SET: return (x & y) != 0;
	default: return (x & y) == 0;
	}
}

static void test_bounds_exhaustive(unsigned w, int stride)
{
	uint64_t *xs = malloc(sizeof(uint64_t) << w);
	uint64_t *ys = malloc(sizeof(uint64_t) << w);
	long bad_alu = 0, bad_cmp = 0, checks = 0, dead_ok = 0;
	build_family(w);
	for (int i = 0; i < nfamily; i++) {
		int na = members(w, &family[i], xs);
		for (int j = 0; j < nfamily; j += stride) {
			const struct bounds *a = &family[i], *b = &family[j];
			int nb = members(w, b, ys);
			for (int op = BND_ADD; op <= BND_ARSH; op++) {
				struct bounds r = vbnd_alu(w, op, a, b);
				for (int x = 0; x < na; x++)
					for (int y = 0; y < nb; y++) {
						uint64_t v;
						if (conc_alu(w, op, xs[x],
							     ys[y], &v))
							continue;
						checks++;
						if (!vbnd_contains(w, &r, v))
							bad_alu++;
					}
			}
			for (int op = BND_EQ; op <= BND_NSET; op++) {
				struct bounds A = *a, B = *b;
				int empty = vbnd_refine(w, op, &A, &B);
				int any = 0;
				for (int x = 0; x < na; x++)
					for (int y = 0; y < nb; y++) {
						if (!conc_cmp(w, op, xs[x],
							      ys[y]))
							continue;
						any = 1;
						checks++;
						if (empty ||
						    !vbnd_contains(w, &A, xs[x]) ||
						    !vbnd_contains(w, &B, ys[y]))
							bad_cmp++;
					}
				if (!any && empty)
					dead_ok++;
			}
		}
	}
	printf("bounds (%u bits): %d descriptions, %ld concrete checks, %ld "
	       "impossible branches found\n",
	       w, nfamily, checks, dead_ok);
	CHECK(bad_alu == 0);
	CHECK(bad_cmp == 0);
	CHECK(dead_ok > 0);
	free(family);
	free(xs);
	free(ys);
}

static void test_bounds_precision(void)
{
	/* [0, 10] + [5, 5] = [5, 15] exactly */
	struct bounds a = vbnd_unknown(64), b = vbnd_const(64, 5);
	a.umin = 0;
	a.umax = 10;
	CHECK(!vbnd_sync(64, &a));
	struct bounds r = vbnd_alu(64, BND_ADD, &a, &b);
	CHECK_EQ_U64(r.umin, 5);
	CHECK_EQ_U64(r.umax, 15);
	CHECK(r.smin == 5 && r.smax == 15);
	/* x & 0xff is in [0, 255] */
	struct bounds u = vbnd_unknown(64), k = vbnd_const(64, 0xff);
	r = vbnd_alu(64, BND_AND, &u, &k);
	CHECK_EQ_U64(r.umax, 0xff);
	/* if x > 7 (unsigned) is false: x in [0, 7] */
	struct bounds x = vbnd_unknown(64), c = vbnd_const(64, 7);
	CHECK(!vbnd_refine(64, BND_LE, &x, &c));
	CHECK_EQ_U64(x.umax, 7);
	CHECK(x.smin == 0);
	/* [0, 7] > 7 cannot hold */
	c = vbnd_const(64, 7);
	CHECK(vbnd_refine(64, BND_GT, &x, &c) != 0);
	/* signed: x s< 0 makes the unsigned range the upper half */
	x = vbnd_unknown(64);
	struct bounds z = vbnd_const(64, 0);
	CHECK(!vbnd_refine(64, BND_SLT, &x, &z));
	CHECK_EQ_U64(x.umin, 1ULL << 63);
}

/* ---- scalars: the 64/32-bit coupling -------------------------------------- */

static void test_scalar_random(void)
{
	long bad = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = rnd();
		if (i & 1)
			v &= 0xffffffffULL;
		uint64_t span = rnd() >> (rnd() % 64);
		struct scalar s = vsc_unknown();
		s.b64.umin = v > span ? v - span : 0;
		s.b64.umax = v + span < v ? UINT64_MAX : v + span;
		if (i % 3 == 0) {
			s.b32.umin = (uint32_t)v > 100 ? (uint32_t)v - 100 : 0;
			s.b32.umax = (uint32_t)v;
		}
		if (vsc_sync(&s)) {
			bad++;
			continue;
		}
		if (!vbnd_contains(64, &s.b64, v) ||
		    !vbnd_contains(32, &s.b32, v & 0xffffffffULL))
			bad++;
		/* a 32-bit op's result is zero-extended */
		struct scalar z = vsc_zext32(&s.b32);
		if (!vbnd_contains(64, &z.b64, v & 0xffffffffULL) ||
		    z.b64.umax > 0xffffffffULL)
			bad++;
	}
	CHECK(bad == 0);
	struct scalar b = vsc_unknown_bytes(1);
	CHECK_EQ_U64(b.b64.umax, 0xff);
	CHECK_EQ_U64(b.b32.umax, 0xff);
}

TEST_MAIN({
	test_tnum_exhaustive();
	test_tnum_samples();
	test_bounds_exhaustive(4, 1);
	test_bounds_exhaustive(6, 1999);
	test_bounds_precision();
	test_scalar_random();
})
