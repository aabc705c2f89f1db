/* test_maps_alloc.c — allocation failure injection: every scenario runs
 * again and again with an allocator that fails at the Nth call, N = 1, 2,
 * ... until it succeeds.  Each run must report -ENOMEM (never crash, never
 * claim success with missing memory) and, once everything is freed, leave
 * no allocation behind. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/maps.h>

#include "test.h"
#include "test_alloc.h"

#define TRY(x)                                                             \
	do {                                                               \
		int e_ = (x);                                              \
		if (e_) {                                                  \
			err = e_;                                          \
			goto out;                                          \
		}                                                          \
	} while (0)

static struct bpftk_map_create_opts opts(enum bpftk_map_type t, uint32_t ks,
					 uint32_t vs, uint32_t max,
					 uint32_t flags)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = t,
					  .key_size = ks,
					  .value_size = vs,
					  .max_entries = max,
					  .map_flags = flags,
					  .name = "m"};
	return o;
}

/* every type: create in a set, a few commands, free */
static int sc_create_all(void)
{
	static const struct {
		enum bpftk_map_type t;
		uint32_t ks, vs, max, flags;
	} ty[] = {
		{BPFTK_MAP_TYPE_HASH, 4, 8, 8, 0},
		{BPFTK_MAP_TYPE_ARRAY, 4, 8, 8, 0},
		{BPFTK_MAP_TYPE_PROG_ARRAY, 4, 4, 8, 0},
		{BPFTK_MAP_TYPE_PERCPU_HASH, 4, 8, 8, 0},
		{BPFTK_MAP_TYPE_PERCPU_ARRAY, 4, 8, 8, 0},
		{BPFTK_MAP_TYPE_LRU_HASH, 4, 8, 8, 0},
		{BPFTK_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 8, 0},
		{BPFTK_MAP_TYPE_LPM_TRIE, 8, 8, 8, BPFTK_F_NO_PREALLOC},
		{BPFTK_MAP_TYPE_QUEUE, 0, 300, 8, 0},
		{BPFTK_MAP_TYPE_STACK, 0, 8, 8, 0},
		{BPFTK_MAP_TYPE_RINGBUF, 0, 0, 4096, 0},
		{BPFTK_MAP_TYPE_BLOOM_FILTER, 0, 8, 8, 0},
		{BPFTK_MAP_TYPE_DEVMAP, 4, 4, 8, 0},
		{BPFTK_MAP_TYPE_DEVMAP_HASH, 4, 8, 8, 0},
		{BPFTK_MAP_TYPE_CPUMAP, 4, 4, 1, 0},
		{BPFTK_MAP_TYPE_XSKMAP, 4, 4, 8, 0},
		{BPFTK_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 8, 0},
		{BPFTK_MAP_TYPE_CGROUP_ARRAY, 4, 4, 8, 0},
	};
	struct bpftk_map_set *s = NULL;
	struct bpftk_diags *d = NULL;
	int err = 0;
	TRY(bpftk_map_set_new(NULL, &s));
	d = bpftk_diags_new();
	if (!d) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < sizeof(ty) / sizeof(ty[0]); i++) {
		struct bpftk_map_create_opts o =
			opts(ty[i].t, ty[i].ks, ty[i].vs, ty[i].max,
			     ty[i].flags);
		struct bpftk_map *m;
		unsigned char key[8] = {32, 0, 0, 0, 1, 2, 3, 4},
			      val[512] = {0};
		TRY(bpftk_map_create(s, &o, &m, d));
		if (ty[i].t == BPFTK_MAP_TYPE_RINGBUF) {
			TRY(bpftk_ringbuf_output(m, val, 16, 0));
			continue;
		}
		if (ty[i].t == BPFTK_MAP_TYPE_PROG_ARRAY ||
		    ty[i].t == BPFTK_MAP_TYPE_XSKMAP ||
		    ty[i].t == BPFTK_MAP_TYPE_PERF_EVENT_ARRAY ||
		    ty[i].t == BPFTK_MAP_TYPE_CGROUP_ARRAY)
			continue; /* no values userspace can store */
		if (ty[i].t != BPFTK_MAP_TYPE_LPM_TRIE)
			key[0] = 1; /* an index below max_entries */
		if (ty[i].t == BPFTK_MAP_TYPE_CPUMAP)
			key[0] = 0; /* CPU 0 is possible everywhere */
		/* devmaps: ifindex 1 (lo); cpumap: a queue size of 1 */
		if (ty[i].t == BPFTK_MAP_TYPE_DEVMAP ||
		    ty[i].t == BPFTK_MAP_TYPE_DEVMAP_HASH ||
		    ty[i].t == BPFTK_MAP_TYPE_CPUMAP)
			val[0] = 1;
		const void *k = ty[i].ks ? key : NULL;
		TRY(bpftk_map_update_elem(m, k, val, 0));
		TRY(bpftk_map_lookup_elem(m, k, val, 0));
	}
	/* a refused creation with a diagnostic to record */
	struct bpftk_map_create_opts bad = opts(BPFTK_MAP_TYPE_ARRAY, 3, 4, 1,
						0);
	struct bpftk_map *m;
	if (bpftk_map_create(s, &bad, &m, d) != -EINVAL)
		err = -EFAULT;
out:
	bpftk_diags_free(d);
	bpftk_map_set_free(s);
	return err;
}

/* elements allocated one by one */
static int sc_noprealloc(void)
{
	struct bpftk_map_create_opts o = opts(BPFTK_MAP_TYPE_HASH, 4, 8, 32,
					      BPFTK_F_NO_PREALLOC);
	struct bpftk_map *m = NULL;
	int err = 0;
	TRY(bpftk_map_create(NULL, &o, &m, NULL));
	for (uint32_t k = 0; k < 32; k++) {
		uint64_t v = k;
		TRY(bpftk_map_update_elem(m, &k, &v, 0));
		if (k % 3 == 0)
			TRY(bpftk_map_delete_elem(m, &k));
	}
out:
	bpftk_map_free(m);
	return err;
}

/* trie nodes, intermediate nodes, walks */
static int sc_lpm(void)
{
	struct bpftk_map_create_opts o = opts(BPFTK_MAP_TYPE_LPM_TRIE, 8, 4, 64,
					      BPFTK_F_NO_PREALLOC);
	struct bpftk_map *m = NULL;
	int err = 0;
	TRY(bpftk_map_create(NULL, &o, &m, NULL));
	for (uint32_t i = 0; i < 40; i++) {
		unsigned char key[8];
		uint32_t plen = 8 + i % 25;
		memcpy(key, &plen, 4);
		key[4] = 10;
		key[5] = (unsigned char)(i * 37);
		key[6] = (unsigned char)(i * 11);
		key[7] = 0;
		TRY(bpftk_map_update_elem(m, key, &i, 0));
	}
	unsigned char k[8], n[8];
	const void *prev = NULL;
	while (!(err = bpftk_map_get_next_key(m, prev, n))) {
		memcpy(k, n, 8);
		prev = k;
	}
	if (err == -ENOENT)
		err = 0;
	TRY(err);
	while (!(err = bpftk_map_get_next_key(m, NULL, n)))
		TRY(bpftk_map_delete_elem(m, n));
	if (err == -ENOENT)
		err = 0;
out:
	bpftk_map_free(m);
	return err;
}

/* maps of maps with references across the set */
static int sc_map_in_map(void)
{
	struct bpftk_map_set *s = NULL;
	struct bpftk_map *tmpl, *outer, *inner;
	int err = 0;
	TRY(bpftk_map_set_new(NULL, &s));
	struct bpftk_map_create_opts o = opts(BPFTK_MAP_TYPE_ARRAY, 4, 4, 2, 0);
	TRY(bpftk_map_create(s, &o, &tmpl, NULL));
	TRY(bpftk_map_create(s, &o, &inner, NULL));
	o = opts(BPFTK_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4, BPFTK_F_NO_PREALLOC);
	o.inner_map = tmpl;
	TRY(bpftk_map_create(s, &o, &outer, NULL));
	for (uint32_t k = 0; k < 4; k++) {
		uint32_t id = bpftk_map_id(k & 1 ? inner : tmpl);
		TRY(bpftk_map_update_elem(outer, &k, &id, 0));
	}
	bpftk_map_free(inner); /* still referenced by the outer map */
out:
	bpftk_map_set_free(s);
	return err;
}

static void run(const char *name, int (*sc)(void))
{
	long n, enomem = 0, other = 0, leaks = 0;
	for (n = 1; n < 100000; n++) {
		calls = 0;
		fail_at = n;
		live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		int err = sc();
		bpftk_set_allocator(NULL, NULL, NULL);
		if (live)
			leaks++;
		if (!err && calls < n)
			break; /* no allocation failed: done */
		if (err == -ENOMEM)
			enomem++;
		else if (err)
			other++;
	}
	printf("%s: %ld failure points, %ld -ENOMEM, %ld other errors, %ld "
	       "leaks\n", name, n - 1, enomem, other, leaks);
	CHECK_EQ_U64(leaks, 0);
	CHECK_EQ_U64(other, 0);
	CHECK(n > 1);
}

TEST_MAIN({
	run("create every type", sc_create_all);
	run("hash without prealloc", sc_noprealloc);
	run("lpm trie", sc_lpm);
	run("map in map", sc_map_in_map);
})
