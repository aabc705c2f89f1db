/* jit_int.h — what only the files of src/jit share: the backend ops struct
 * every architecture fills in, and the byte buffer code is emitted into.
 *
 * Invariants: a backend's compile writes into a plain heap buffer (never
 * executable); jit.c alone maps it, copies it and flips the pages to
 * read+execute, so no page is writable and executable at once.
 */
#ifndef BPFTK_JIT_INT_H
#define BPFTK_JIT_INT_H

#include "jit.h"

/* Growing code buffer; on allocation failure `oom` is set and further
 * bytes are dropped (checked once at the end of a pass). */
struct jit_buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

BPFTK_INTERNAL void bpftk_jit_buf_grow(struct jit_buf *b, size_t need);

static inline void jit_byte(struct jit_buf *b, unsigned v)
{
	if (b->len >= b->cap)
		bpftk_jit_buf_grow(b, 1);
	if (b->oom)
		return;
	b->p[b->len++] = (uint8_t)v;
}

static inline void jit_u32(struct jit_buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		jit_byte(b, (v >> (8 * i)) & 0xff);
}

static inline void jit_u64(struct jit_buf *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		jit_byte(b, (unsigned)(v >> (8 * i)) & 0xff);
}

/* The result of a backend: code in a heap buffer and slot offsets. */
struct jit_image {
	struct jit_buf code;
	uint32_t *offsets; /* n + 1 entries */
	size_t entry;	   /* offset of the entry function */
};

/* What a backend may assume at one slot (facts.c). */
enum {
	JF_DEAD = 1 << 0,    /* never runs: no code */
	JF_CONST = 1 << 1,   /* an ALU or load instruction, and dst is always
			      * `value` after it: may become dst = value */
	JF_DIVISOR = 1 << 2, /* a division by src, which is `divisor` */
};

struct jit_slot_facts {
	uint8_t what;	  /* JF_* */
	uint16_t zx;	  /* bit r: r's upper 32 bits are zero on entry */
	uint64_t value;	  /* JF_CONST */
	uint64_t divisor; /* JF_DIVISOR: all 64 bits of src */
};

struct jit_facts {
	int on;			    /* 0: no facts, s and next_live NULL */
	struct jit_slot_facts *s;   /* n + 1 entries */
	uint32_t *next_live;	    /* n + 1: first slot >= i not JF_DEAD */
};

/* Fills f from opts->facts, leaving out what the options switch off;
 * with no facts (or every option off) f->on is 0.  Returns 0, or -1 when
 * memory is short (f->on is 0: the facts are an optimisation). */
BPFTK_INTERNAL int bpftk_jit_facts_new(const struct bpftk_insn *insns, size_t n,
				       const struct bpftk_jit_env *env,
				       const struct bpftk_jit_opts *opts,
				       struct jit_facts *f);
BPFTK_INTERNAL void bpftk_jit_facts_free(struct jit_facts *f);

/* One architecture. */
struct jit_arch_ops {
	const char *name;
	/* Fills img (offsets allocated by the backend with bpftk_malloc);
	 * errors as bpftk_jit_compile, reason in why. */
	int (*compile)(const struct bpftk_insn *insns, size_t n,
		       const struct bpftk_jit_env *env,
		       const struct bpftk_jit_opts *opts,
		       struct jit_image *img, char *why, size_t whylen);
};

#if defined(__x86_64__) || defined(_M_X64)
BPFTK_INTERNAL extern const struct jit_arch_ops bpftk_jit_x86_64;
#endif

#endif
