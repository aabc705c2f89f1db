/* util_int.h — library-internal helpers every subsystem may use: the
 * allocation hook and a growable byte buffer.  Not installed. */
#ifndef BPFTK_UTIL_INT_H
#define BPFTK_UTIL_INT_H

#include <bpftk/common.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define BPFTK_INTERNAL __attribute__((visibility("hidden")))
#else
#define BPFTK_INTERNAL
#endif

/* All library allocation goes through these (see bpftk_set_allocator). */
BPFTK_INTERNAL void *bpftk_malloc(size_t n);
BPFTK_INTERNAL void *bpftk_calloc(size_t n, size_t size);
BPFTK_INTERNAL void *bpftk_realloc(void *p, size_t n);
BPFTK_INTERNAL void bpftk_free(void *p);
BPFTK_INTERNAL char *bpftk_strdup(const char *s);
BPFTK_INTERNAL char *bpftk_strndup(const char *s, size_t n);

/* Copies a caller's options struct (first member: its size in bytes) into
 * dst of dst_sz bytes: shorter structs are zero-extended, longer ones are
 * accepted when their unknown tail is zero.  Returns 0 or -EINVAL. */
BPFTK_INTERNAL int bpftk_opts_copy(void *dst, size_t dst_sz, const void *src);

/* Growable buffer; on allocation failure `failed` is set and later appends
 * are ignored, so callers check once at the end. */
struct bpftk_buf {
	char *data;
	size_t len, cap;
	int failed;
};
BPFTK_INTERNAL int bpftk_buf_append(struct bpftk_buf *b, const void *p,
				    size_t n);
BPFTK_INTERNAL int bpftk_buf_printf(struct bpftk_buf *b, const char *fmt, ...)
	BPFTK_PRINTF(2, 3);
BPFTK_INTERNAL void bpftk_buf_free(struct bpftk_buf *b);

#endif
