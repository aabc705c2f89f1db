/* seccomp_int.h — what the files of src/seccomp share: the parsed policy.
 *
 * A policy is a list of rules in source order; each rule names one syscall
 * (its number on each architecture, -1 where it does not exist), an action
 * and a conjunction of argument conditions.  The first rule whose syscall
 * and conditions match decides; no rule matching gives the default action;
 * a call from an architecture outside `arches` (or, on x86_64, an x32 call
 * or any number from 0x40000000 up but -1) gets badarch_action.  parse.c builds it, compile.c and eval.c read it.
 */
#ifndef BPFTK_SECCOMP_INT_H
#define BPFTK_SECCOMP_INT_H

#include <string.h>

#include <bpftk/seccomp.h>

#include "../util/util_int.h"

enum sc_op { SC_EQ, SC_NE, SC_LT, SC_LE, SC_GT, SC_GE };

/* (args[arg] & mask) OP val, unsigned, 64 bits (32 on 32-bit arches). */
struct sc_cond {
	uint8_t arg;
	uint8_t op; /* enum sc_op */
	uint64_t mask;
	uint64_t val;
};

struct sc_rule {
	int nr[BPFTK_SECCOMP_NARCH]; /* -1: not on that architecture */
	uint32_t action;
	size_t cond0, ncond; /* conds[cond0 .. cond0 + ncond) */
	int line, col;	     /* of the syscall name, for messages */
};

struct bpftk_seccomp_policy {
	unsigned arches; /* bit set of 1u << enum bpftk_seccomp_arch */
	uint32_t default_action;
	uint32_t badarch_action;
	struct sc_rule *rules;
	size_t nrules;
	struct sc_cond *conds;
	size_t nconds;
};

/* Makes the array *pp (whose element is elem bytes) hold at least need
 * elements, doubling *cap; pp points to the array pointer.  Returns 0, or
 * -1 with the array unchanged when out of memory. */
static inline int sc_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void *v;
	size_t ncap = *cap ? *cap : 16;
	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	memcpy(&v, pp, sizeof(v));
	v = bpftk_realloc(v, ncap * elem);
	if (!v)
		return -1;
	memcpy(pp, &v, sizeof(v));
	*cap = ncap;
	return 0;
}

/* Whether a 32-bit architecture (arguments compared on their low half). */
BPFTK_INTERNAL int sc_arch_is32(enum bpftk_seccomp_arch a);

#endif
