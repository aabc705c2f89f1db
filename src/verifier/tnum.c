/* tnum.c — tracked numbers (the verifier's bit-level knowledge).
 *
 * The idea: an integer of w bits is described by two words, value and
 * mask.  A mask bit of 1 means "this bit may be 0 or 1"; a mask bit of 0
 * means "this bit is known and equals the value bit".  So (value 0b100,
 * mask 0b011) is the set {4, 5, 6, 7}.  Operations compute, from the
 * descriptions of their operands, a description holding every possible
 * result: they may lose precision, never soundness.  Bits at and above the
 * width are kept zero in both words, so one implementation serves 64-bit
 * registers, their 32-bit halves, and the 8-bit analogues the unit tests
 * check against every concrete value.
 *
 * Addition: the unknown bits of a sum are those of either operand plus
 * every bit a carry may reach.  Take the sum of the smallest values (sv)
 * and the sum of the largest values (sm = sv + both masks); the bits where
 * the two sums differ are bits a carry chain may flip, and those together
 * with both masks are unknown.
 */
#include "tnum.h"

uint64_t vtn_wmask(unsigned w)
{
	return w >= 64 ? ~0ULL : (1ULL << w) - 1;
}

struct tnum vtn_const(unsigned w, uint64_t v)
{
	struct tnum t = {v & vtn_wmask(w), 0};
	return t;
}

struct tnum vtn_unknown(unsigned w)
{
	struct tnum t = {0, vtn_wmask(w)};
	return t;
}

struct tnum vtn_trunc(unsigned w, struct tnum a)
{
	a.value &= vtn_wmask(w);
	a.mask &= vtn_wmask(w);
	return a;
}

/* Bits above the highest bit where min and max differ are shared by every
 * value between them; the rest is unknown. */
struct tnum vtn_range(unsigned w, uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max;
	if (min > max)
		return vtn_unknown(w);
	if (!chi)
		return vtn_const(w, min);
	unsigned bits = 64;
	while (bits > 0 && !(chi >> (bits - 1) & 1))
		bits--;
	uint64_t delta = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	struct tnum t = {min & ~delta, delta};
	return vtn_trunc(w, t);
}

int vtn_is_const(struct tnum a)
{
	return a.mask == 0;
}

int vtn_contains(struct tnum a, uint64_t v)
{
	return (v & ~a.mask) == a.value;
}

int vtn_subset(struct tnum a, struct tnum b)
{
	/* b may not leave a bit open that a knows, and the bits a knows
	 * must agree */
	if (b.mask & ~a.mask)
		return 0;
	return (b.value & ~a.mask) == a.value;
}

struct tnum vtn_intersect(struct tnum a, struct tnum b, int *empty)
{
	uint64_t both_known = ~a.mask & ~b.mask;
	if ((a.value ^ b.value) & both_known) {
		*empty = 1;
		return a;
	}
	struct tnum t = {a.value | b.value, a.mask & b.mask};
	return t;
}

struct tnum vtn_union(struct tnum a, struct tnum b)
{
	uint64_t mask = a.mask | b.mask | (a.value ^ b.value);
	struct tnum t = {a.value & ~mask, mask};
	return t;
}

struct tnum vtn_add(unsigned w, struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask;
	uint64_t sv = a.value + b.value;
	uint64_t sigma = sm + sv;
	uint64_t chi = sigma ^ sv;
	uint64_t mu = chi | a.mask | b.mask;
	struct tnum t = {sv & ~mu, mu};
	return vtn_trunc(w, t);
}

struct tnum vtn_sub(unsigned w, struct tnum a, struct tnum b)
{
	/* largest minus smallest and smallest minus largest bound the
	 * borrow chains the same way the carries bound addition */
	uint64_t dv = a.value - b.value;
	uint64_t alpha = dv + a.mask;
	uint64_t beta = dv - b.mask;
	uint64_t chi = alpha ^ beta;
	uint64_t mu = chi | a.mask | b.mask;
	struct tnum t = {dv & ~mu, mu};
	return vtn_trunc(w, t);
}

/* Long multiplication: for each bit of a, add b shifted there when the bit
 * is known 1, or "b shifted there, or nothing" when it is unknown. */
struct tnum vtn_mul(unsigned w, struct tnum a, struct tnum b)
{
	struct tnum acc = vtn_const(w, a.value * b.value);
	struct tnum partial = vtn_const(w, 0);
	for (unsigned i = 0; i < w; i++) {
		uint64_t bit = 1ULL << i;
		if (a.value & bit) {
			/* known 1: b's unknown bits shifted here */
			struct tnum p = {0, b.mask << i};
			partial = vtn_add(w, partial, vtn_trunc(w, p));
		} else if (a.mask & bit) {
			/* unknown: anything b (value or not) might add */
			struct tnum p = {0, (b.value | b.mask) << i};
			partial = vtn_add(w, partial, vtn_trunc(w, p));
		}
	}
	return vtn_add(w, acc, partial);
}

struct tnum vtn_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask; /* bits that may be 1 */
	uint64_t beta = b.value | b.mask;
	uint64_t v = a.value & b.value;
	struct tnum t = {v, alpha & beta & ~v};
	return t;
}

struct tnum vtn_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value;
	uint64_t mu = a.mask | b.mask;
	struct tnum t = {v, mu & ~v};
	return t;
}

struct tnum vtn_xor(struct tnum a, struct tnum b)
{
	uint64_t mu = a.mask | b.mask;
	uint64_t v = (a.value ^ b.value) & ~mu;
	struct tnum t = {v, mu};
	return t;
}

struct tnum vtn_lsh(unsigned w, struct tnum a, unsigned k)
{
	struct tnum t = {a.value << k, a.mask << k};
	return vtn_trunc(w, t);
}

struct tnum vtn_rsh(struct tnum a, unsigned k)
{
	struct tnum t = {a.value >> k, a.mask >> k};
	return t;
}

/* Copies of the sign bit come in from the top: known when the sign bit is
 * known, unknown when it is not. */
struct tnum vtn_arsh(unsigned w, struct tnum a, unsigned k)
{
	uint64_t sign = 1ULL << (w - 1);
	uint64_t fill = k ? vtn_wmask(w) & ~(vtn_wmask(w) >> k) : 0;
	struct tnum t = vtn_rsh(a, k);
	if (a.mask & sign)
		t.mask |= fill;
	else if (a.value & sign)
		t.value |= fill;
	return vtn_trunc(w, t);
}
