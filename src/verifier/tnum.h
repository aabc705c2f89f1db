/* tnum.h — tracked numbers: what is known bit by bit about an integer.
 * Value type, pure functions, no allocation (see tnum.c for the idea). */
#ifndef BPFTK_VERIFIER_TNUM_H
#define BPFTK_VERIFIER_TNUM_H

#include <stdint.h>

#include "../util/util_int.h"

/* A bit is known when its mask bit is 0 (then it equals the value bit);
 * invariant: value & mask == 0.  Every operation takes the width w in bits
 * (1..64); bits at and above w are zero in both fields. */
struct tnum {
	uint64_t value;
	uint64_t mask;
};

BPFTK_INTERNAL uint64_t vtn_wmask(unsigned w);
BPFTK_INTERNAL struct tnum vtn_const(unsigned w, uint64_t v);
BPFTK_INTERNAL struct tnum vtn_unknown(unsigned w);
/* The smallest tnum holding every value of [min, max] (unsigned). */
BPFTK_INTERNAL struct tnum vtn_range(unsigned w, uint64_t min, uint64_t max);
BPFTK_INTERNAL int vtn_is_const(struct tnum a);
BPFTK_INTERNAL int vtn_contains(struct tnum a, uint64_t v);
/* Every value of b is a value of a. */
BPFTK_INTERNAL int vtn_subset(struct tnum a, struct tnum b);
/* Values in both; *empty set when the two contradict. */
BPFTK_INTERNAL struct tnum vtn_intersect(struct tnum a, struct tnum b,
					int *empty);
/* Values in either. */
BPFTK_INTERNAL struct tnum vtn_union(struct tnum a, struct tnum b);
BPFTK_INTERNAL struct tnum vtn_trunc(unsigned w, struct tnum a);

BPFTK_INTERNAL struct tnum vtn_add(unsigned w, struct tnum a, struct tnum b);
BPFTK_INTERNAL struct tnum vtn_sub(unsigned w, struct tnum a, struct tnum b);
BPFTK_INTERNAL struct tnum vtn_mul(unsigned w, struct tnum a, struct tnum b);
BPFTK_INTERNAL struct tnum vtn_and(struct tnum a, struct tnum b);
BPFTK_INTERNAL struct tnum vtn_or(struct tnum a, struct tnum b);
BPFTK_INTERNAL struct tnum vtn_xor(struct tnum a, struct tnum b);
/* Shifts by a known amount k < w. */
BPFTK_INTERNAL struct tnum vtn_lsh(unsigned w, struct tnum a, unsigned k);
BPFTK_INTERNAL struct tnum vtn_rsh(struct tnum a, unsigned k);
BPFTK_INTERNAL struct tnum vtn_arsh(unsigned w, struct tnum a, unsigned k);

#endif
