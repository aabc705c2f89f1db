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
