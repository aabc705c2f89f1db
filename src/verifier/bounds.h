/* bounds.h — what is known about a w-bit integer: tracked bits plus
 * unsigned and signed ranges, kept consistent with each other.  Value
 * type, pure functions, no allocation (see bounds.c for the idea). */
#ifndef BPFTK_VERIFIER_BOUNDS_H
#define BPFTK_VERIFIER_BOUNDS_H

#include "tnum.h"

/* For width w: umin..umax within [0, 2^w - 1], smin..smax within
 * [-2^(w-1), 2^(w-1) - 1] (held sign-extended in int64_t), t of width w.
 * A value v (w bits) belongs when it is in t, in [umin, umax], and its
 * signed reading is in [smin, smax]. */
struct bounds {
	uint64_t umin, umax;
	int64_t smin, smax;
	struct tnum t;
};

/* ALU operations on bounds. */
enum bnd_op {
	BND_ADD, BND_SUB, BND_MUL, BND_DIV, BND_MOD, BND_SDIV, BND_SMOD,
	BND_AND, BND_OR, BND_XOR, BND_LSH, BND_RSH, BND_ARSH,
};
/* Comparisons (the true outcome of "a OP b"). */
enum bnd_cmp {
	BND_EQ, BND_NE, BND_GT, BND_GE, BND_LT, BND_LE,
	BND_SGT, BND_SGE, BND_SLT, BND_SLE, BND_SET, BND_NSET,
};

BPFTK_INTERNAL struct bounds vbnd_unknown(unsigned w);
BPFTK_INTERNAL struct bounds vbnd_const(unsigned w, uint64_t v);
/* Signed reading of the w-bit value v. */
BPFTK_INTERNAL int64_t vbnd_sext(unsigned w, uint64_t v);
BPFTK_INTERNAL int vbnd_contains(unsigned w, const struct bounds *b,
				uint64_t v);
BPFTK_INTERNAL int vbnd_is_const(const struct bounds *b);
/* Every value of b is a value of a. */
BPFTK_INTERNAL int vbnd_subset(const struct bounds *a, const struct bounds *b);
/* Tightens each of the three views from the others; returns 0, or -1
 * when they contradict (no value fits: the path is impossible). */
BPFTK_INTERNAL int vbnd_sync(unsigned w, struct bounds *b);
/* Intersection; -1 when empty. */
BPFTK_INTERNAL int vbnd_meet(unsigned w, struct bounds *a,
			    const struct bounds *b);
/* Union (for joins). */
BPFTK_INTERNAL struct bounds vbnd_join(const struct bounds *a,
				      const struct bounds *b);
/* The bounds of a OP b with the ISA's semantics (division by zero gives
 * 0, modulo by zero gives a, shifts by w or more: unknown). */
BPFTK_INTERNAL struct bounds vbnd_alu(unsigned w, enum bnd_op op,
				     const struct bounds *a,
				     const struct bounds *b);
/* Narrows a and b to the values that can make "a OP b" true; -1 when
 * none can (then a and b are unspecified). */
BPFTK_INTERNAL int vbnd_refine(unsigned w, enum bnd_cmp op, struct bounds *a,
			      struct bounds *b);
/* The opposite comparison (what holds when "a OP b" is false). */
BPFTK_INTERNAL enum bnd_cmp vbnd_negate(enum bnd_cmp op);
/* The low n bits of a w-bit value (n < w), zero-extended to n bits. */
BPFTK_INTERNAL struct bounds vbnd_truncate(unsigned w, const struct bounds *a,
					  unsigned n);

#endif
