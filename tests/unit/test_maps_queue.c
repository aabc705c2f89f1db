/* test_maps_queue.c — queue and stack order and fullness (BPF_EXIST drops
 * the oldest element), the helpers' pop/peek of an empty map, and the
 * bloom filter: no false negatives whatever the seed, a false-positive
 * rate near what its size promises, and the kernel's sizing rules. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bpftk/maps.h>

#include "test.h"

static struct bpftk_map *mk(enum bpftk_map_type t, uint32_t vs, uint32_t max,
			    uint32_t flags, uint64_t extra)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = t,
					  .value_size = vs,
					  .max_entries = max,
					  .map_flags = flags,
					  .map_extra = extra};
	struct bpftk_map *m = NULL;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), 0);
	return m;
}

static void test_queue(void)
{
	struct bpftk_map *q = mk(BPFTK_MAP_TYPE_QUEUE, 4, 3, 0, 0);
	uint32_t v, i;
	for (i = 1; i <= 3; i++)
		CHECK_EQ_U64(bpftk_map_update_elem(q, NULL, &i, 0), 0);
	/* full: -E2BIG, unless BPF_EXIST makes room by dropping the oldest */
	i = 4;
	CHECK_EQ_U64(bpftk_map_update_elem(q, NULL, &i, 0), (uint64_t)-E2BIG);
	CHECK_EQ_U64(bpftk_map_update_elem(q, NULL, &i, BPFTK_EXIST), 0);
	CHECK_EQ_U64(bpftk_map_lookup_elem(q, NULL, &v, 0), 0); /* peek */
	CHECK_EQ_U64(v, 2);
	for (i = 2; i <= 4; i++) {
		CHECK_EQ_U64(bpftk_map_lookup_and_delete_elem(q, NULL, &v, 0),
			     0);
		CHECK_EQ_U64(v, i); /* first in, first out */
	}
	v = 77;
	CHECK_EQ_U64(bpftk_map_lookup_and_delete_elem(q, NULL, &v, 0),
		     (uint64_t)-ENOENT);
	CHECK_EQ_U64(v, 77); /* the syscall copies nothing back */
	/* the helpers zero the value of a failed pop/peek */
	CHECK_EQ_U64(bpftk_map_prog_pop(q, &v), (uint64_t)-ENOENT);
	CHECK_EQ_U64(v, 0);
	/* flags: BPF_NOEXIST and unknown bits are -EINVAL; no keys */
	CHECK_EQ_U64(bpftk_map_update_elem(q, NULL, &v, BPFTK_NOEXIST),
		     (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_map_update_elem(q, NULL, &v, 3), (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_map_update_elem(q, &v, &v, 0), (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_map_delete_elem(q, NULL), (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_map_get_next_key(q, NULL, &v), (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_map_lookup_and_delete_elem(q, NULL, &v, 1),
		     (uint64_t)-EINVAL);
	/* program side */
	v = 9;
	CHECK_EQ_U64(bpftk_map_prog_push(q, &v, 0), 0);
	CHECK_EQ_U64(bpftk_map_prog_peek(q, &i), 0);
	CHECK_EQ_U64(i, 9);
	CHECK(bpftk_map_prog_lookup(q, NULL, 0) == NULL);
	bpftk_map_free(q);
}

static void test_stack(void)
{
	struct bpftk_map *s = mk(BPFTK_MAP_TYPE_STACK, 2, 4, 0, 0);
	uint16_t v, i;
	/* wrap the ring a few times */
	for (int round = 0; round < 5; round++) {
		for (i = 1; i <= 4; i++)
			CHECK_EQ_U64(bpftk_map_prog_push(s, &i, 0), 0);
		/* full: BPF_EXIST drops the oldest (the bottom) */
		i = 5;
		CHECK_EQ_U64(bpftk_map_prog_push(s, &i, 0), (uint64_t)-E2BIG);
		CHECK_EQ_U64(bpftk_map_prog_push(s, &i, BPFTK_EXIST), 0);
		for (i = 5; i >= 2; i--) {
			CHECK_EQ_U64(bpftk_map_prog_pop(s, &v), 0);
			CHECK_EQ_U64(v, i); /* last in, first out */
		}
		CHECK_EQ_U64(bpftk_map_prog_peek(s, &v), (uint64_t)-ENOENT);
	}
	bpftk_map_free(s);
}

static uint64_t seed = 99;
static uint64_t rnd64(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void test_bloom(uint32_t vs, uint32_t n, uint64_t k, uint32_t flags)
{
	struct bpftk_map *b = mk(BPFTK_MAP_TYPE_BLOOM_FILTER, vs, n, flags, k);
	unsigned char v[64];
	uint64_t start = seed;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < vs; j++)
			v[j] = (unsigned char)rnd64();
		CHECK_EQ_U64(bpftk_map_update_elem(b, NULL, v, 0), 0);
	}
	/* no false negatives: every pushed value answers "maybe" */
	seed = start;
	uint32_t found = 0;
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < vs; j++)
			v[j] = (unsigned char)rnd64();
		found += bpftk_map_lookup_elem(b, NULL, v, 0) == 0;
		found += bpftk_map_prog_peek(b, v) == 0;
	}
	CHECK_EQ_U64(found, 2 * n);
	/* false positives: n*k/ln2 bits rounded up to a power of two, so at
	 * most about 0.5^k * 2 of other values pass; allow a wide margin */
	uint32_t fp = 0, tries = 20000;
	for (uint32_t i = 0; i < tries; i++) {
		for (uint32_t j = 0; j < vs; j++)
			v[j] = (unsigned char)rnd64();
		fp += bpftk_map_lookup_elem(b, NULL, v, 0) == 0;
	}
	unsigned kk = k ? (unsigned)k : 5;
	double bound = 1.0;
	for (unsigned i = 0; i < kk; i++)
		bound *= 0.5;
	CHECK(fp <= (uint32_t)(tries * bound * 4) + 20);
	printf("bloom value %u, %u entries, %u hashes: %u/%u false "
	       "positives\n", vs, n, kk, fp, tries);
	/* what bloom filters do not do */
	CHECK_EQ_U64(bpftk_map_update_elem(b, NULL, v, BPFTK_EXIST),
		     (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_map_delete_elem(b, NULL), (uint64_t)-EOPNOTSUPP);
	CHECK_EQ_U64(bpftk_map_get_next_key(b, NULL, v),
		     (uint64_t)-EOPNOTSUPP);
	CHECK_EQ_U64(bpftk_map_lookup_and_delete_elem(b, NULL, v, 0),
		     (uint64_t)-BPFTK_ENOTSUPP);
	CHECK_EQ_U64(bpftk_map_prog_pop(b, v), (uint64_t)-EOPNOTSUPP);
	bpftk_map_free(b);
}

static void test_bloom_create(void)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_BLOOM_FILTER,
					  .value_size = 4,
					  .max_entries = 10,
					  .map_extra = 16};
	struct bpftk_map *m;
	/* only the low 4 bits of map_extra: at most 15 hash functions */
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), (uint64_t)-EINVAL);
	o.map_extra = 15;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), 0);
	bpftk_map_free(m);
	/* map_extra belongs to bloom filters only */
	o.type = BPFTK_MAP_TYPE_QUEUE;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), (uint64_t)-EINVAL);
}

TEST_MAIN({
	test_queue();
	test_stack();
	test_bloom(8, 1000, 0, 0);
	test_bloom(6, 500, 3, 0);
	test_bloom(4, 2000, 1, BPFTK_F_ZERO_SEED);
	test_bloom(33, 100, 7, 0);
	test_bloom_create();
})
