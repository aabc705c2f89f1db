/* test_alloc.h — a counting allocator for bpftk_set_allocator that fails
 * the fail_at-th call (1-based; 0 = never) and tracks live blocks, so a test
 * can fail every allocation in turn and check for -ENOMEM and no leak.
 * Include once per test program. */
#ifndef BPFTK_TEST_ALLOC_H
#define BPFTK_TEST_ALLOC_H

#include <stdlib.h>

static long fail_at, calls, live;

static void *t_malloc(size_t n)
{
	if (++calls == fail_at)
		return NULL;
	void *p = malloc(n);
	if (p)
		live++;
	return p;
}

static void *t_realloc(void *p, size_t n)
{
	if (++calls == fail_at)
		return NULL;
	void *q = realloc(p, n);
	if (q && !p)
		live++;
	return q;
}

static void t_free(void *p)
{
	if (p)
		live--;
	free(p);
}

#endif
