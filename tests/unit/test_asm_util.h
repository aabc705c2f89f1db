/* test_asm_util.h — helpers shared by the assembler tests: assemble a string
 * into its first section, compare instruction slots as wire bytes, look at
 * the first diagnostic. */
#ifndef BPFTK_TEST_ASM_UTIL_H
#define BPFTK_TEST_ASM_UTIL_H

#include <errno.h>
#include <stdint.h>

#include <bpftk/asm.h>
#include <bpftk/isa.h>

#include "test.h"

#define MAXSLOTS 64

struct asm_out {
	int err;
	struct bpftk_insn insns[MAXSLOTS];
	size_t n;     /* slots of the first section */
	size_t nsecs; /* sections in the result */
	char first[512]; /* first error (or first diagnostic), formatted */
};

static inline struct bpftk_insn mk(uint8_t code, uint8_t dst, uint8_t src,
				   int16_t off, int32_t imm)
{
	struct bpftk_insn i = {code, dst, src, off, imm};
	return i;
}

/* Assembles text in dialect dl; fills o (first section only). */
static inline int assemble(const char *text, enum bpftk_asm_dialect dl,
			   struct asm_out *o)
{
	memset(o, 0, sizeof(*o));
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_asm_opts opts = {.sz = sizeof(opts), .dialect = dl,
				      .filename = "t.s"};
	struct bpftk_asm_result *r = NULL;
	o->err = bpftk_asm_assemble(text, strlen(text), &opts, &r, d);
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		if (g->severity == BPFTK_SEV_ERROR || i == 0) {
			bpftk_diag_format(g, o->first, sizeof(o->first));
			if (g->severity == BPFTK_SEV_ERROR)
				break;
		}
	}
	if (!o->err) {
		o->nsecs = bpftk_asm_result_nsections(r);
		const struct bpftk_asm_section *s = bpftk_asm_result_section(r, 0);
		if (s) {
			o->n = s->n < MAXSLOTS ? s->n : MAXSLOTS;
			memcpy(o->insns, s->insns, o->n * sizeof(*s->insns));
		}
	}
	bpftk_asm_result_free(r);
	bpftk_diags_free(d);
	return o->err;
}

/* Slots compared as their little-endian wire bytes. */
static inline int same_slots(const struct bpftk_insn *a,
			     const struct bpftk_insn *b, size_t n)
{
	unsigned char x[8 * MAXSLOTS], y[8 * MAXSLOTS];
	if (n > MAXSLOTS)
		return 0;
	bpftk_isa_encode(a, n, 0, x);
	bpftk_isa_encode(b, n, 0, y);
	return !memcmp(x, y, n * 8);
}

static inline void dump_slots(const char *what, const struct bpftk_insn *a,
			      size_t n)
{
	fprintf(stderr, "  %s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " {%02x %u %u %d %d}", a[i].code, a[i].dst,
			a[i].src, a[i].off, a[i].imm);
	fprintf(stderr, "\n");
}

#endif
