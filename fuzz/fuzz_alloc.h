/* fuzz_alloc.h — the failing allocator the fuzz targets install with
 * bpftk_set_allocator to check out-of-memory paths: allocation number
 * `fail_at` (counted in `calls`, both reset by the target before its
 * failing run) returns NULL, every other one goes to the C library.
 * Included by one fuzz target per program, so the state is per target. */
#ifndef BPFTK_FUZZ_ALLOC_H
#define BPFTK_FUZZ_ALLOC_H

#include <stdlib.h>

static unsigned long fail_at, calls;

static void *failing_malloc(size_t n)
{
	return ++calls == fail_at ? NULL : malloc(n);
}

static void *failing_realloc(void *p, size_t n)
{
	return ++calls == fail_at ? NULL : realloc(p, n);
}

#endif
