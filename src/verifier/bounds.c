/* bounds.c — ranges of w-bit integers, the verifier's numeric knowledge.
 *
 * The idea: one value is seen three ways at once — as tracked bits (tnum),
 * as an unsigned interval and as a signed interval — because programs test
 * it all three ways (masks, `if r1 > 10`, `if r1 s< 0`).  Each view alone
 * loses what the others know (x & 7 is a tnum fact; 0 <= x <= 7 is a range
 * fact), so after every change vbnd_sync lets each view tighten the others
 * until they agree.  Everything here is a sound over-approximation: the
 * concrete set of a result is always inside its description; precision is
 * the only thing that may be lost.  An empty description means a path no
 * execution can take (used to prune impossible branches).
 *
 * Widths: the same code serves 64-bit registers (w = 64), their 32-bit
 * halves (w = 32), and the 8-bit analogues the unit tests enumerate
 * exhaustively.  Arithmetic is done in uint64_t and reduced to w bits;
 * signed values are kept sign-extended in int64_t.
 */
#include "bounds.h"

static uint64_t umaxw(unsigned w)
{
	return vtn_wmask(w);
}

static int64_t smaxw(unsigned w)
{
	return (int64_t)(vtn_wmask(w) >> 1);
}

static int64_t sminw(unsigned w)
{
	return -smaxw(w) - 1;
}

static uint64_t u_of(unsigned w, int64_t s)
{
	return (uint64_t)s & vtn_wmask(w);
}

int64_t vbnd_sext(unsigned w, uint64_t v)
{
	v &= vtn_wmask(w);
	if (w < 64 && (v >> (w - 1) & 1))
		v |= ~vtn_wmask(w);
	return (int64_t)v;
}

static uint64_t umin2(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t umax2(uint64_t a, uint64_t b) { return a > b ? a : b; }
static int64_t smin2(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t smax2(int64_t a, int64_t b) { return a > b ? a : b; }

struct bounds vbnd_unknown(unsigned w)
{
	struct bounds b = {0, umaxw(w), sminw(w), smaxw(w), vtn_unknown(w)};
	return b;
}

struct bounds vbnd_const(unsigned w, uint64_t v)
{
	v &= vtn_wmask(w);
	struct bounds b = {v, v, vbnd_sext(w, v), vbnd_sext(w, v),
			   vtn_const(w, v)};
	return b;
}

int vbnd_contains(unsigned w, const struct bounds *b, uint64_t v)
{
	v &= vtn_wmask(w);
	int64_t s = vbnd_sext(w, v);
	return v >= b->umin && v <= b->umax && s >= b->smin &&
	       s <= b->smax && vtn_contains(b->t, v);
}

int vbnd_is_const(const struct bounds *b)
{
	return vtn_is_const(b->t) && b->umin == b->umax;
}

int vbnd_subset(const struct bounds *a, const struct bounds *b)
{
	return a->umin <= b->umin && b->umax <= a->umax &&
	       a->smin <= b->smin && b->smax <= a->smax &&
	       vtn_subset(a->t, b->t);
}

static int sync_once(unsigned w, struct bounds *b)
{
	uint64_t sign = 1ULL << (w - 1);
	int empty = 0;

	/* tnum -> unsigned */
	b->umin = umax2(b->umin, b->t.value);
	b->umax = umin2(b->umax, b->t.value | b->t.mask);
	/* tnum -> signed: the sign bit decides which end is which */
	if (b->t.mask & sign) {
		b->smin = smax2(b->smin, vbnd_sext(w, b->t.value | sign));
		b->smax = smin2(b->smax,
				vbnd_sext(w, (b->t.value | b->t.mask) & ~sign));
	} else {
		b->smin = smax2(b->smin, vbnd_sext(w, b->t.value));
		b->smax = smin2(b->smax, vbnd_sext(w, b->t.value | b->t.mask));
	}
	/* signed <-> unsigned, when the interval does not wrap in the
	 * other reading */
	if (b->smin >= 0 || b->smax < 0) {
		b->umin = umax2(b->umin, u_of(w, b->smin));
		b->umax = umin2(b->umax, u_of(w, b->smax));
	}
	if (b->umax <= (uint64_t)smaxw(w) || b->umin > (uint64_t)smaxw(w)) {
		b->smin = smax2(b->smin, vbnd_sext(w, b->umin));
		b->smax = smin2(b->smax, vbnd_sext(w, b->umax));
	}
	if (b->umin > b->umax || b->smin > b->smax)
		return -1;
	/* unsigned -> tnum */
	b->t = vtn_intersect(b->t, vtn_range(w, b->umin, b->umax), &empty);
	return empty ? -1 : 0;
}

int vbnd_sync(unsigned w, struct bounds *b)
{
	for (int i = 0; i < 3; i++)
		if (sync_once(w, b))
			return -1;
	return 0;
}

int vbnd_meet(unsigned w, struct bounds *a, const struct bounds *b)
{
	int empty = 0;
	a->umin = umax2(a->umin, b->umin);
	a->umax = umin2(a->umax, b->umax);
	a->smin = smax2(a->smin, b->smin);
	a->smax = smin2(a->smax, b->smax);
	a->t = vtn_intersect(a->t, b->t, &empty);
	if (empty || a->umin > a->umax || a->smin > a->smax)
		return -1;
	return vbnd_sync(w, a);
}

struct bounds vbnd_join(const struct bounds *a, const struct bounds *b)
{
	struct bounds r = {umin2(a->umin, b->umin), umax2(a->umax, b->umax),
			   smin2(a->smin, b->smin), smax2(a->smax, b->smax),
			   vtn_union(a->t, b->t)};
	return r;
}

/* ---- overflow-checked arithmetic in w bits -------------------------------
 * Each returns nonzero when the exact result does not fit. */

static int uadd_ovf(unsigned w, uint64_t x, uint64_t y, uint64_t *r)
{
	*r = x + y;
	return *r < x || *r > umaxw(w);
}

static int sfits(unsigned w, int64_t v)
{
	return v >= sminw(w) && v <= smaxw(w);
}

static int sadd_ovf(unsigned w, int64_t x, int64_t y, int64_t *r)
{
	int64_t s = (int64_t)((uint64_t)x + (uint64_t)y);
	if ((x >= 0 && y >= 0 && s < 0) || (x < 0 && y < 0 && s >= 0))
		return 1;
	*r = s;
	return !sfits(w, s);
}

static int ssub_ovf(unsigned w, int64_t x, int64_t y, int64_t *r)
{
	int64_t s = (int64_t)((uint64_t)x - (uint64_t)y);
	if ((x >= 0 && y < 0 && s < 0) || (x < 0 && y >= 0 && s >= 0))
		return 1;
	*r = s;
	return !sfits(w, s);
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

static int umul_ovf(unsigned w, uint64_t x, uint64_t y, uint64_t *r)
{
	if (x && y > umaxw(w) / x)
		return 1;
	*r = x * y;
	return 0;
}

static int smul_ovf(unsigned w, int64_t x, int64_t y, int64_t *r)
{
	uint64_t mx = magnitude(x), my = magnitude(y), p;
	int neg = (x < 0) != (y < 0);
	if (mx && my > ~0ULL / mx)
		return 1;
	p = mx * my;
	uint64_t limit = (uint64_t)smaxw(w) + (neg ? 1 : 0);
	if (p > limit)
		return 1;
	*r = neg ? (int64_t)(0 - p) : (int64_t)p;
	return 0;
}

static int64_t asr(int64_t x, unsigned k)
{
	return x >= 0 ? x >> k : ~((~x) >> k);
}

/* The ISA's result for known operands; returns -1 where the result is
 * left unknown (shifts out of range, signed division overflow). */
static int exec_const(unsigned w, enum bnd_op op, uint64_t x, uint64_t y,
		      uint64_t *r)
{
	uint64_t m = umaxw(w);
	int64_t sx = vbnd_sext(w, x), sy = vbnd_sext(w, y);
	switch (op) {
	case BND_ADD: *r = x + y; break;
	case BND_SUB: *r = x - y; break;
	case BND_MUL: *r = x * y; break;
	case BND_DIV: *r = y ? x / y : 0; break;
	case BND_MOD: *r = y ? x % y : x; break;
	case BND_SDIV:
		if (sx == sminw(w) && sy == -1)
			return -1;
		*r = sy ? (uint64_t)(sx / sy) : 0;
		break;
	case BND_SMOD:
		if (sx == sminw(w) && sy == -1)
			return -1;
		*r = sy ? (uint64_t)(sx % sy) : x;
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
	case BND_ARSH:
		if (y >= w)
			return -1;
		*r = (uint64_t)asr(sx, (unsigned)y);
		break;
	default:
		return -1;
	}
	*r &= m;
	return 0;
}

static struct bounds shift(unsigned w, enum bnd_op op, const struct bounds *a,
			   const struct bounds *b)
{
	struct bounds r = vbnd_unknown(w);
	if (b->umax >= w)
		return r; /* the amount may reach the width: anything */
	unsigned lo = (unsigned)b->umin, hi = (unsigned)b->umax;
	struct tnum t = {0, 0};
	for (unsigned k = lo; k <= hi; k++) {
		struct tnum tk = op == BND_LSH	 ? vtn_lsh(w, a->t, k)
				 : op == BND_RSH ? vtn_rsh(a->t, k)
						 : vtn_arsh(w, a->t, k);
		t = k == lo ? tk : vtn_union(t, tk);
	}
	r.t = t;
	if (op == BND_LSH) {
		if (hi == 0 || (a->umax >> (w - hi)) == 0) {
			r.umin = a->umin << lo;
			r.umax = a->umax << hi;
		}
	} else if (op == BND_RSH) {
		r.umin = a->umin >> hi;
		r.umax = a->umax >> lo;
	} else {
		r.smin = smin2(asr(a->smin, lo), asr(a->smin, hi));
		r.smax = smax2(asr(a->smax, lo), asr(a->smax, hi));
	}
	return r;
}

struct bounds vbnd_alu(unsigned w, enum bnd_op op, const struct bounds *a,
		      const struct bounds *b)
{
	struct bounds r = vbnd_unknown(w);
	uint64_t lo, hi;
	int64_t slo, shi;

	if (vbnd_is_const(a) && vbnd_is_const(b)) {
		uint64_t v;
		if (!exec_const(w, op, a->umin, b->umin, &v))
			return vbnd_const(w, v);
		return r;
	}
	switch (op) {
	case BND_ADD:
		r.t = vtn_add(w, a->t, b->t);
		if (!uadd_ovf(w, a->umin, b->umin, &lo) &&
		    !uadd_ovf(w, a->umax, b->umax, &hi)) {
			r.umin = lo;
			r.umax = hi;
		}
		if (!sadd_ovf(w, a->smin, b->smin, &slo) &&
		    !sadd_ovf(w, a->smax, b->smax, &shi)) {
			r.smin = slo;
			r.smax = shi;
		}
		break;
	case BND_SUB:
		r.t = vtn_sub(w, a->t, b->t);
		if (a->umin >= b->umax) {
			r.umin = a->umin - b->umax;
			r.umax = a->umax - b->umin;
		}
		if (!ssub_ovf(w, a->smin, b->smax, &slo) &&
		    !ssub_ovf(w, a->smax, b->smin, &shi)) {
			r.smin = slo;
			r.smax = shi;
		}
		break;
	case BND_MUL: {
		r.t = vtn_mul(w, a->t, b->t);
		if (!umul_ovf(w, a->umax, b->umax, &hi)) {
			r.umin = a->umin * b->umin;
			r.umax = hi;
		}
		int64_t c[4];
		if (!smul_ovf(w, a->smin, b->smin, &c[0]) &&
		    !smul_ovf(w, a->smin, b->smax, &c[1]) &&
		    !smul_ovf(w, a->smax, b->smin, &c[2]) &&
		    !smul_ovf(w, a->smax, b->smax, &c[3])) {
			r.smin = smin2(smin2(c[0], c[1]), smin2(c[2], c[3]));
			r.smax = smax2(smax2(c[0], c[1]), smax2(c[2], c[3]));
		}
		break;
	}
	case BND_DIV:
		if (b->umin > 0) {
			r.umin = a->umin / b->umax;
			r.umax = a->umax / b->umin;
		} else {
			r.umax = a->umax; /* x / 0 = 0, x / y <= x */
		}
		break;
	case BND_MOD:
		if (b->umax == 0)
			return *a; /* x % 0 = x */
		if (b->umin > 0 && a->umax < b->umin)
			return *a;
		r.umax = b->umin > 0 ? umin2(a->umax, b->umax - 1) : a->umax;
		break;
	case BND_SDIV:
	case BND_SMOD:
		break;
	case BND_AND:
		r.t = vtn_and(a->t, b->t);
		r.umax = umin2(a->umax, b->umax);
		if (a->smin >= 0 || b->smin >= 0) {
			r.smin = 0;
			r.smax = a->smin >= 0 && b->smin >= 0
					 ? smin2(a->smax, b->smax)
				 : a->smin >= 0 ? a->smax
						: b->smax;
		}
		break;
	case BND_OR:
		r.t = vtn_or(a->t, b->t);
		r.umin = umax2(a->umin, b->umin);
		if (a->smax < 0 || b->smax < 0)
			r.smax = -1; /* a negative operand keeps its sign */
		break;
	case BND_XOR:
		r.t = vtn_xor(a->t, b->t);
		break;
	case BND_LSH:
	case BND_RSH:
	case BND_ARSH:
		r = shift(w, op, a, b);
		break;
	}
	if (vbnd_sync(w, &r))
		return vbnd_unknown(w); /* cannot happen for sound inputs */
	return r;
}

enum bnd_cmp vbnd_negate(enum bnd_cmp op)
{
	static const enum bnd_cmp neg[] = {
		[BND_EQ] = BND_NE,   [BND_NE] = BND_EQ,	  [BND_GT] = BND_LE,
		[BND_GE] = BND_LT,   [BND_LT] = BND_GE,	  [BND_LE] = BND_GT,
		[BND_SGT] = BND_SLE, [BND_SGE] = BND_SLT, [BND_SLT] = BND_SGE,
		[BND_SLE] = BND_SGT, [BND_SET] = BND_NSET, [BND_NSET] = BND_SET,
	};
	return neg[op];
}

/* a != c for a constant c: only the ends of the intervals can move. */
static void exclude(unsigned w, struct bounds *a, uint64_t c)
{
	int64_t sc = vbnd_sext(w, c);
	if (a->umin == c && a->umin < a->umax)
		a->umin++;
	else if (a->umax == c && a->umin < a->umax)
		a->umax--;
	if (a->smin == sc && a->smin < a->smax)
		a->smin++;
	else if (a->smax == sc && a->smin < a->smax)
		a->smax--;
}

static int refine_set(unsigned w, struct bounds *a, const struct bounds *b,
		      int set)
{
	uint64_t may_a = a->t.value | a->t.mask;
	uint64_t may_b = b->t.value | b->t.mask;
	if (set) {
		if (!(may_a & may_b))
			return -1;
		if (a->umin == 0)
			a->umin = 1; /* a & b != 0 needs a != 0 */
		if (vbnd_is_const(b) && !(b->umin & (b->umin - 1)))
			a->t.value |= b->umin, a->t.mask &= ~b->umin;
	} else if (vbnd_is_const(b)) {
		uint64_t c = b->umin;
		if (a->t.value & c)
			return -1;
		a->t.mask &= ~c;
	}
	(void)w;
	return 0;
}

int vbnd_refine(unsigned w, enum bnd_cmp op, struct bounds *a,
	       struct bounds *b)
{
	uint64_t m = umaxw(w);
	switch (op) {
	case BND_EQ: {
		if (vbnd_meet(w, a, b))
			return -1;
		*b = *a;
		break;
	}
	case BND_NE:
		if (vbnd_is_const(a) && vbnd_is_const(b) && a->umin == b->umin)
			return -1;
		if (vbnd_is_const(b))
			exclude(w, a, b->umin);
		if (vbnd_is_const(a))
			exclude(w, b, a->umin);
		break;
	case BND_GT:
		if (b->umin == m || a->umax == 0)
			return -1;
		a->umin = umax2(a->umin, b->umin + 1);
		b->umax = umin2(b->umax, a->umax - 1);
		break;
	case BND_GE:
		a->umin = umax2(a->umin, b->umin);
		b->umax = umin2(b->umax, a->umax);
		break;
	case BND_LT:
		return vbnd_refine(w, BND_GT, b, a);
	case BND_LE:
		return vbnd_refine(w, BND_GE, b, a);
	case BND_SGT:
		if (b->smin == smaxw(w) || a->smax == sminw(w))
			return -1;
		a->smin = smax2(a->smin, b->smin + 1);
		b->smax = smin2(b->smax, a->smax - 1);
		break;
	case BND_SGE:
		a->smin = smax2(a->smin, b->smin);
		b->smax = smin2(b->smax, a->smax);
		break;
	case BND_SLT:
		return vbnd_refine(w, BND_SGT, b, a);
	case BND_SLE:
		return vbnd_refine(w, BND_SGE, b, a);
	case BND_SET:
	case BND_NSET:
		if (refine_set(w, a, b, op == BND_SET) ||
		    refine_set(w, b, a, op == BND_SET))
			return -1;
		break;
	}
	if (a->umin > a->umax || a->smin > a->smax || b->umin > b->umax ||
	    b->smin > b->smax)
		return -1;
	if (vbnd_sync(w, a) || vbnd_sync(w, b))
		return -1;
	return 0;
}

struct bounds vbnd_truncate(unsigned w, const struct bounds *a, unsigned n)
{
	struct bounds r = vbnd_unknown(n);
	uint64_t mn = umaxw(n);
	(void)w;
	r.t = vtn_trunc(n, a->t);
	if (a->umax - a->umin <= mn && (a->umin >> n) == (a->umax >> n)) {
		r.umin = a->umin & mn;
		r.umax = a->umax & mn;
	}
	if (a->smin >= sminw(n) && a->smax <= smaxw(n)) {
		r.smin = a->smin;
		r.smax = a->smax;
	}
	if (vbnd_sync(n, &r))
		return vbnd_unknown(n);
	return r;
}
