/* alloc.c — the one allocation hook of the library.  Tests swap in an
 * allocator that fails on the Nth call to prove -ENOMEM paths are clean. */
#include <stdlib.h>
#include <string.h>

#include "util_int.h"

static bpftk_malloc_fn hook_malloc = malloc;
static bpftk_realloc_fn hook_realloc = realloc;
static bpftk_free_fn hook_free = free;

void bpftk_set_allocator(bpftk_malloc_fn m, bpftk_realloc_fn r, bpftk_free_fn f)
{
	hook_malloc = m ? m : malloc;
	hook_realloc = r ? r : realloc;
	hook_free = f ? f : free;
}

void *bpftk_malloc(size_t n)
{
	return hook_malloc(n ? n : 1);
}

void *bpftk_calloc(size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return NULL;
	void *p = bpftk_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *bpftk_realloc(void *p, size_t n)
{
	return hook_realloc(p, n ? n : 1);
}

void bpftk_free(void *p)
{
	if (p)
		hook_free(p);
}

char *bpftk_strndup(const char *s, size_t n)
{
	char *p = bpftk_malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *bpftk_strdup(const char *s)
{
	return s ? bpftk_strndup(s, strlen(s)) : NULL;
}

const char *bpftk_version(void)
{
	return "0.1.0";
}
