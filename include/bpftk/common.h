/* bpftk/common.h — what every subsystem shares: error codes, the allocation
 * hook, and diagnostics as values.
 *
 * Conventions for the whole API:
 *  - functions return 0 (or a count) on success and a negative errno value on
 *    failure (-EINVAL bad input, -ENOMEM allocation failed, -ERANGE a value
 *    did not fit, -ENOENT not found, -E2BIG a limit was hit);
 *  - details of a failure go to a `struct bpftk_diags` the caller passes in
 *    (may be NULL when the caller does not care); the library never prints
 *    and never exits;
 *  - every `_new`/`_open` has a `_free`/`_close` that accepts NULL.
 */
#ifndef BPFTK_COMMON_H
#define BPFTK_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define BPFTK_API __attribute__((visibility("default")))
#define BPFTK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BPFTK_API
#define BPFTK_PRINTF(a, b)
#endif

#define BPFTK_VERSION_MAJOR 0
#define BPFTK_VERSION_MINOR 1
#define BPFTK_VERSION_PATCH 0

/* "0.1.0"; static storage. */
BPFTK_API const char *bpftk_version(void);

/* ---- allocation hook ----------------------------------------------------
 * Every allocation of the library goes through these three functions.  Tests
 * install a failing allocator to prove that out-of-memory is reported as
 * -ENOMEM and never crashes or leaks.  Passing NULLs restores libc. */
typedef void *(*bpftk_malloc_fn)(size_t size);
typedef void *(*bpftk_realloc_fn)(void *ptr, size_t size);
typedef void (*bpftk_free_fn)(void *ptr);
BPFTK_API void bpftk_set_allocator(bpftk_malloc_fn m, bpftk_realloc_fn r,
				   bpftk_free_fn f);

/* ---- diagnostics --------------------------------------------------------- */
enum bpftk_severity {
	BPFTK_SEV_ERROR = 0,
	BPFTK_SEV_WARNING = 1,
	BPFTK_SEV_NOTE = 2,
};

/* One diagnostic.  Location fields that do not apply are 0 / -1 / NULL:
 * text inputs fill file/line/col, bytecode fills prog/insn. */
struct bpftk_diag {
	enum bpftk_severity severity;
	const char *file; /* owned by the diags list */
	int line;	  /* 1-based, 0 = none */
	int col;	  /* 1-based, 0 = none */
	const char *prog; /* program or section name, owned by the list */
	long insn;	  /* instruction index, -1 = none */
	const char *msg;  /* owned by the list */
};

struct bpftk_diags;

/* New empty list; NULL on allocation failure.  Free with bpftk_diags_free. */
BPFTK_API struct bpftk_diags *bpftk_diags_new(void);
BPFTK_API void bpftk_diags_free(struct bpftk_diags *d);
BPFTK_API void bpftk_diags_clear(struct bpftk_diags *d);
BPFTK_API size_t bpftk_diags_count(const struct bpftk_diags *d);
BPFTK_API size_t bpftk_diags_errors(const struct bpftk_diags *d);
/* Borrowed pointer, valid until the list is cleared or freed. */
BPFTK_API const struct bpftk_diag *bpftk_diags_get(const struct bpftk_diags *d,
						   size_t i);
/* Formats one diagnostic the way compilers do:
 *   "file:line:col: error: msg"  or  "prog 'name' insn 12: error: msg".
 * Returns the length snprintf would have written. */
BPFTK_API int bpftk_diag_format(const struct bpftk_diag *g, char *buf,
				size_t size);

/* Adds a diagnostic (used by every subsystem, and by embedders who want to
 * report in the same stream).  Strings are copied.  A NULL list is a no-op.
 * Returns 0 or -ENOMEM. */
BPFTK_API int bpftk_diags_add(struct bpftk_diags *d, enum bpftk_severity sev,
			      const char *file, int line, int col,
			      const char *prog, long insn, const char *fmt, ...)
	BPFTK_PRINTF(8, 9);
BPFTK_API int bpftk_diags_vadd(struct bpftk_diags *d, enum bpftk_severity sev,
			       const char *file, int line, int col,
			       const char *prog, long insn, const char *fmt,
			       va_list ap) BPFTK_PRINTF(8, 0);

#ifdef __cplusplus
}
#endif
#endif
