/* fuzz_alloc.h — the failing allocator the fuzz targets install with
 * bpftk_set_allocator to check out-of-memory paths: allocation number
 * `fail_at` (counted in `calls`, both reset by the target before its
 * failing run) returns NULL, every other one goes to the C library.
 * Included by one fuzz target per program, so the state is per target.
 * failing_start picks the allocation from a hash of the input, so that
 * a corpus exercises many failure points and a replay fails the same one. */
#ifndef BPFTK_FUZZ_ALLOC_H
#define BPFTK_FUZZ_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <bpftk/common.h>

static unsigned long fail_at, calls;

static void *failing_malloc(size_t n)
{
	return ++calls == fail_at ? NULL : malloc(n);
}

static void *failing_realloc(void *p, size_t n)
{
	return ++calls == fail_at ? NULL : realloc(p, n);
}

/* Installs the failing allocator: allocation 1 + hash(data) % range
 * fails.  bpftk_set_allocator(NULL, NULL, NULL) restores libc. */
static void failing_start(const uint8_t *data, size_t size,
			  unsigned long range)
{
	unsigned long h = 0;
	for (size_t i = 0; i < size; i++)
		h = h * 31 + data[i];
	fail_at = 1 + h % range;
	calls = 0;
	bpftk_set_allocator(failing_malloc, failing_realloc, free);
}

#endif
