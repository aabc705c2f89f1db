/* scalar.c — a register's numeric value: bounds of all 64 bits and of the
 * low 32 bits, kept consistent with each other.
 *
 * Why two: 32-bit instructions (w registers, JMP32 comparisons) read and
 * refine the low half alone, and a program that tests `w1 < 10` has learnt
 * nothing about the upper half.  vsc_sync passes what one view knows to the
 * other: the low bits of the 64-bit tnum and, when the upper 32 bits are
 * the same for every value, the ranges in both directions.
 */
#include "verifier_int.h"

struct scalar vsc_unknown(void)
{
	struct scalar s = {vbnd_unknown(64), vbnd_unknown(32)};
	return s;
}

struct scalar vsc_const(uint64_t v)
{
	struct scalar s = {vbnd_const(64, v), vbnd_const(32, v)};
	return s;
}

int vsc_is_const(const struct scalar *s)
{
	return vbnd_is_const(&s->b64);
}

struct scalar vsc_zext32(const struct bounds *b32)
{
	struct scalar s;
	s.b32 = *b32;
	s.b64.umin = b32->umin;
	s.b64.umax = b32->umax;
	s.b64.smin = (int64_t)b32->umin;
	s.b64.smax = (int64_t)b32->umax;
	s.b64.t = b32->t;
	if (vsc_sync(&s))
		return vsc_unknown_bytes(4);
	return s;
}

struct scalar vsc_unknown_bytes(unsigned n)
{
	struct scalar s = vsc_unknown();
	if (n >= 8)
		return s;
	uint64_t m = vtn_wmask(8 * n);
	s.b64.umax = m;
	s.b64.smin = 0;
	s.b64.smax = (int64_t)m;
	s.b64.t = vtn_unknown(8 * n);
	if (vsc_sync(&s))
		return vsc_unknown();
	return s;
}

int vsc_sync(struct scalar *s)
{
	struct bounds *a = &s->b64, *l = &s->b32;
	int empty = 0;
	for (int i = 0; i < 2; i++) {
		if (vbnd_sync(64, a) || vbnd_sync(32, l))
			return -1;
		/* tracked bits: the low half is the same bits */
		struct tnum lo = vtn_trunc(32, a->t);
		lo = vtn_intersect(lo, l->t, &empty);
		if (empty)
			return -1;
		l->t = lo;
		a->t.value = (a->t.value & ~0xffffffffULL) | lo.value;
		a->t.mask = (a->t.mask & ~0xffffffffULL) | lo.mask;
		/* 64-bit ranges -> low half */
		struct bounds tr = vbnd_truncate(64, a, 32);
		if (vbnd_meet(32, l, &tr))
			return -1;
		/* low half -> 64-bit ranges, when the upper half is fixed */
		if ((a->umin >> 32) == (a->umax >> 32)) {
			uint64_t hi = a->umin & ~0xffffffffULL;
			uint64_t nmin = hi | l->umin, nmax = hi | l->umax;
			if (nmin > a->umin)
				a->umin = nmin;
			if (nmax < a->umax)
				a->umax = nmax;
			if (a->umin > a->umax)
				return -1;
		}
		if ((a->smin >> 32) == (a->smax >> 32)) {
			/* same upper half: the low half read unsigned
			 * orders the values */
			int64_t hi = (int64_t)((uint64_t)a->smin &
					       ~0xffffffffULL);
			int64_t nmin = (int64_t)((uint64_t)hi | l->umin);
			int64_t nmax = (int64_t)((uint64_t)hi | l->umax);
			if (nmin > a->smin)
				a->smin = nmin;
			if (nmax < a->smax)
				a->smax = nmax;
			if (a->smin > a->smax)
				return -1;
		}
	}
	return 0;
}

int vsc_subset(const struct scalar *a, const struct scalar *b)
{
	return vbnd_subset(&a->b64, &b->b64) && vbnd_subset(&a->b32, &b->b32);
}
