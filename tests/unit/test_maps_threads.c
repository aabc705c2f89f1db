/* test_maps_threads.c — many threads on the same maps at once: userspace
 * updates, deletes and lookups mixed with program-side lookups whose
 * pointers take atomic adds.  The counters must come out exact (no lost
 * add: a pointer stays on its key's value while the key lives), every
 * value read must be one some thread wrote (no torn words), and nothing
 * may crash; run under ASan and TSan too.  Covers hash (preallocated and
 * not), LRU hash, per-CPU hash, array and LPM trie; then queue and stack
 * (every value pushed comes out exactly once, however pushes and pops of
 * the threads interleave) and the bloom filter (no false negative while
 * others push). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <bpftk/maps.h>

#include "test.h"

#define THREADS 6
#define ITERS 100000
#define COUNTERS 4	/* keys 0..3: counters, never deleted */
#define CHURN 64	/* keys 100..163: updated and deleted */

struct shared {
	struct bpftk_map *m;
	int keyed_u32; /* 4-byte keys (all but LPM) */
	int evicting;  /* a small LRU map: keys come and go */
	long bad;	/* torn or unexpected values (atomic) */
	long errors;	/* unexpected error codes (atomic) */
};

struct arg {
	struct shared *s;
	unsigned id;
};

static uint64_t next(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/* a value whose two halves agree: a torn read shows up */
static uint64_t stamp(uint32_t x)
{
	return ((uint64_t)x << 32) | (uint32_t)~x;
}

static int stamp_ok(uint64_t v)
{
	return (uint32_t)(v >> 32) == (uint32_t)~(uint32_t)v;
}

static void make_key(struct shared *s, uint32_t k, unsigned char *key)
{
	if (s->keyed_u32) {
		memcpy(key, &k, 4);
	} else {
		uint32_t plen = 32;
		memcpy(key, &plen, 4);
		uint32_t be = (10u << 24) | k; /* 10.0.x.y/32 */
		key[4] = (unsigned char)(be >> 24);
		key[5] = (unsigned char)(be >> 16);
		key[6] = (unsigned char)(be >> 8);
		key[7] = (unsigned char)be;
	}
}

static void *worker(void *p)
{
	struct arg *a = p;
	struct shared *s = a->s;
	uint64_t st = 0x1234567 + a->id * 7919;
	unsigned char key[8];
	for (int i = 0; i < ITERS; i++) {
		uint64_t r = next(&st);
		unsigned op = (unsigned)(r % 100);
		if (op < 40) {
			/* a program's atomic add on a counter */
			make_key(s, (uint32_t)(r >> 8) % COUNTERS, key);
			uint64_t *v = bpftk_map_prog_lookup(s->m, key,
							    a->id % 2);
			if (v)
				__atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
			else if (!s->evicting)
				__atomic_fetch_add(&s->errors, 1,
						   __ATOMIC_RELAXED);
		} else if (op < 65) {
			uint32_t k = 100 + (uint32_t)(r >> 8) % CHURN;
			/* 32 bytes: enough for the per-CPU layout too */
			uint64_t x = stamp((uint32_t)(r >> 20));
			uint64_t v[4] = {x, x, x, x};
			make_key(s, k, key);
			int err = bpftk_map_update_elem(s->m, key, v, 0);
			if (err && err != -E2BIG && err != -ENOSPC)
				__atomic_fetch_add(&s->errors, 1,
						   __ATOMIC_RELAXED);
		} else if (op < 80) {
			make_key(s, 100 + (uint32_t)(r >> 8) % CHURN, key);
			int err = bpftk_map_delete_elem(s->m, key);
			if (err && err != -ENOENT && err != -EINVAL)
				__atomic_fetch_add(&s->errors, 1,
						   __ATOMIC_RELAXED);
		} else if (op < 95) {
			uint64_t v[4] = {0, 0, 0, 0};
			make_key(s, 100 + (uint32_t)(r >> 8) % CHURN, key);
			int err = bpftk_map_lookup_elem(s->m, key, v, 0);
			if (!err && (!stamp_ok(v[0]) || !stamp_ok(v[1])) &&
			    (v[0] || v[1]))
				__atomic_fetch_add(&s->bad, 1,
						   __ATOMIC_RELAXED);
		} else {
			unsigned char n[8];
			make_key(s, 100 + (uint32_t)(r >> 8) % CHURN, key);
			int err = bpftk_map_get_next_key(s->m, key, n);
			if (err && err != -ENOENT)
				__atomic_fetch_add(&s->errors, 1,
						   __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void run(const char *what, enum bpftk_map_type type, uint32_t flags,
		uint32_t max)
{
	struct bpftk_map_set *set;
	struct bpftk_map_set_opts so = {.sz = sizeof(so), .ncpus = 2};
	struct shared s;
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = type,
					  .key_size = 4,
					  .value_size = 16,
					  .max_entries = 48,
					  .map_flags = flags};
	memset(&s, 0, sizeof(s));
	s.keyed_u32 = type != BPFTK_MAP_TYPE_LPM_TRIE;
	if (!s.keyed_u32)
		o.key_size = 8;
	if (type == BPFTK_MAP_TYPE_ARRAY)
		o.max_entries = 200;
	if (max)
		o.max_entries = max;
	s.evicting = type == BPFTK_MAP_TYPE_LRU_HASH && max < 100;
	bpftk_map_set_new(&so, &set);
	CHECK_EQ_U64(bpftk_map_create(set, &o, &s.m, NULL), 0);
	unsigned char key[8];
	uint64_t zero[4] = {0, 0, 0, 0};
	for (uint32_t k = 0; k < COUNTERS; k++) {
		make_key(&s, k, key);
		CHECK_EQ_U64(bpftk_map_update_elem(s.m, key, zero, 0), 0);
	}
	pthread_t th[THREADS];
	struct arg a[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		a[i].s = &s;
		a[i].id = i;
		pthread_create(&th[i], NULL, worker, &a[i]);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	/* every add landed: recompute the expected count per counter */
	uint64_t want[COUNTERS] = {0}, got = 0, total = 0;
	for (unsigned t = 0; t < THREADS; t++) {
		uint64_t st = 0x1234567 + t * 7919;
		for (int i = 0; i < ITERS; i++) {
			uint64_t r = next(&st);
			if (r % 100 < 40)
				want[(r >> 8) % COUNTERS]++;
		}
	}
	int exact = 1;
	for (uint32_t k = 0; k < COUNTERS; k++) {
		uint64_t v[4] = {0, 0, 0, 0};
		make_key(&s, k, key);
		if (s.evicting)
			continue;
		CHECK_EQ_U64(bpftk_map_lookup_elem(s.m, key, v, 0), 0);
		/* per-CPU: the adds are spread over the CPUs' copies */
		got = type == BPFTK_MAP_TYPE_PERCPU_HASH ? v[0] + v[2] : v[0];
		total += got;
		exact &= got == want[k];
	}
	CHECK(exact || s.evicting);
	CHECK_EQ_U64(s.bad, 0);
	CHECK_EQ_U64(s.errors, 0);
	if (s.evicting)
		printf("%s: %d threads, evicting, no torn value, no error\n",
		       what, THREADS);
	else
		printf("%s: %d threads, %lu atomic adds, all counted: %s\n",
		       what, THREADS, (unsigned long)total,
		       exact ? "yes" : "NO");
	bpftk_map_set_free(set);
}

#define QVALS 20000 /* values each thread pushes into a queue/stack */

/* A map of 8-byte values in a set of its own (*set: free it), or NULL. */
static struct bpftk_map *value_map(struct bpftk_map_set **set,
				   enum bpftk_map_type type, uint32_t max)
{
	struct bpftk_map_set_opts so = {.sz = sizeof(so), .ncpus = 2};
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = type,
					  .value_size = 8,
					  .max_entries = max};
	struct bpftk_map *m = NULL;
	bpftk_map_set_new(&so, set);
	CHECK_EQ_U64(bpftk_map_create(*set, &o, &m, NULL), 0);
	return m;
}

struct qarg {
	struct bpftk_map *m;
	unsigned id;
	uint8_t *seen; /* THREADS * QVALS counters, shared */
	long errors;
};

static void take(struct qarg *a, uint64_t v)
{
	uint32_t x = (uint32_t)(v >> 32);
	if (!stamp_ok(v) || (x >> 24) >= THREADS || (x & 0xffffff) >= QVALS) {
		__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&a->seen[(x >> 24) * QVALS + (x & 0xffffff)], 1,
			   __ATOMIC_RELAXED);
}

/* pushes its values (program side), popping one after every second push
 * (userspace side every fourth pop), retrying a push while the map is
 * full */
static void *qworker(void *p)
{
	struct qarg *a = p;
	for (uint32_t i = 0; i < QVALS; i++) {
		uint64_t v = stamp(a->id << 24 | i), out;
		int err;
		while ((err = bpftk_map_prog_push(a->m, &v, 0)) == -E2BIG)
			if (bpftk_map_prog_pop(a->m, &out) == 0)
				take(a, out);
		if (err)
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
		if (i % 2)
			continue;
		err = i % 8 ? bpftk_map_prog_pop(a->m, &out)
			    : bpftk_map_lookup_and_delete_elem(a->m, NULL,
							       &out, 0);
		if (err == 0)
			take(a, out);
		else if (err != -ENOENT)
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void run_queue(const char *what, enum bpftk_map_type type)
{
	struct bpftk_map_set *set;
	static uint8_t seen[THREADS * QVALS];
	memset(seen, 0, sizeof(seen));
	struct bpftk_map *m = value_map(&set, type, 64);
	if (!m) {
		bpftk_map_set_free(set);
		return;
	}
	pthread_t th[THREADS];
	struct qarg a[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		a[i] = (struct qarg){m, i, seen, 0};
		pthread_create(&th[i], NULL, qworker, &a[i]);
	}
	long errors = 0;
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		errors += a[i].errors;
	}
	uint64_t out;
	long before = a[0].errors;
	while (bpftk_map_prog_pop(m, &out) == 0)
		take(&a[0], out);
	errors += a[0].errors - before; /* bad values left in the map */
	size_t once = 0;
	for (size_t i = 0; i < sizeof(seen); i++)
		once += seen[i] == 1;
	CHECK_EQ_U64(once, (uint64_t)THREADS * QVALS);
	CHECK_EQ_U64(errors, 0);
	printf("%s: %d threads, %zu of %d values popped exactly once\n", what,
	       THREADS, once, THREADS * QVALS);
	bpftk_map_set_free(set);
}

struct barg {
	struct bpftk_map *m;
	unsigned id;
	long missing, errors;
};

/* a pushed value must be found at once and ever after, whatever the
 * other threads push meanwhile */
static void *bworker(void *p)
{
	struct barg *a = p;
	for (uint32_t i = 0; i < QVALS; i++) {
		uint64_t v = stamp(a->id << 24 | i);
		if (bpftk_map_prog_push(a->m, &v, 0))
			a->errors++;
		if (bpftk_map_prog_peek(a->m, &v))
			a->missing++;
		uint64_t old = stamp(a->id << 24 | (i / 2));
		if (bpftk_map_lookup_elem(a->m, NULL, &old, 0))
			a->missing++;
	}
	return NULL;
}

static void run_bloom(void)
{
	struct bpftk_map_set *set;
	struct bpftk_map *m =
		value_map(&set, BPFTK_MAP_TYPE_BLOOM_FILTER, THREADS * QVALS);
	if (!m) {
		bpftk_map_set_free(set);
		return;
	}
	pthread_t th[THREADS];
	struct barg a[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		a[i] = (struct barg){m, i, 0, 0};
		pthread_create(&th[i], NULL, bworker, &a[i]);
	}
	long missing = 0, errors = 0;
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		missing += a[i].missing;
		errors += a[i].errors;
	}
	for (unsigned t = 0; t < THREADS; t++)
		for (uint32_t i = 0; i < QVALS; i++) {
			uint64_t v = stamp(t << 24 | i);
			missing += bpftk_map_prog_peek(m, &v) != 0;
		}
	CHECK_EQ_U64(missing, 0);
	CHECK_EQ_U64(errors, 0);
	printf("bloom filter: %d threads, %d values pushed, %ld false "
	       "negatives\n",
	       THREADS, THREADS * QVALS, missing);
	bpftk_map_set_free(set);
}

TEST_MAIN({
	run("hash", BPFTK_MAP_TYPE_HASH, 0, 0);
	run("hash no prealloc", BPFTK_MAP_TYPE_HASH, BPFTK_F_NO_PREALLOC, 0);
	/* LRU: big enough that counters stay, then small enough to evict */
	run("lru hash", BPFTK_MAP_TYPE_LRU_HASH, 0, 1000);
	run("lru hash 16", BPFTK_MAP_TYPE_LRU_HASH, 0, 16);
	run("percpu hash", BPFTK_MAP_TYPE_PERCPU_HASH, 0, 0);
	run("array", BPFTK_MAP_TYPE_ARRAY, 0, 0);
	run("lpm trie", BPFTK_MAP_TYPE_LPM_TRIE, BPFTK_F_NO_PREALLOC, 0);
	run_queue("queue", BPFTK_MAP_TYPE_QUEUE);
	run_queue("stack", BPFTK_MAP_TYPE_STACK);
	run_bloom();
})
