/* test_maps_lpm.c — the LPM trie against a brute-force reference: a plain
 * list of prefixes searched exhaustively.  Random prefixes (clustered so
 * they nest and branch) are inserted and deleted with every flag; every
 * lookup must return the value of the longest stored prefix that matches
 * (limited by the lookup key's own prefix length, as in Linux), and a full
 * get_next_key walk must list the prefixes in the kernel's post-order:
 * more specific prefixes before the prefixes they extend, a 0 bit before a
 * 1 bit where two prefixes branch. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/maps.h>

#include "test.h"

#define MAXD 16

struct ref {
	uint32_t plen;
	unsigned char data[MAXD];
	uint32_t value;
};

static uint64_t seed = 12345;
static uint32_t rnd(uint32_t n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(seed >> 33) % n;
}

static unsigned bit(const unsigned char *d, uint32_t i)
{
	return (d[i / 8] >> (7 - i % 8)) & 1;
}

/* the first n bits of a and b agree */
static int prefix_eq(const unsigned char *a, const unsigned char *b,
		     uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (bit(a, i) != bit(b, i))
			return 0;
	return 1;
}

static int same_prefix(const struct ref *r, uint32_t plen,
		       const unsigned char *d)
{
	return r->plen == plen && prefix_eq(r->data, d, plen);
}

/* post-order: negative when a comes before b */
static int order(const struct ref *a, const struct ref *b)
{
	uint32_t n = a->plen < b->plen ? a->plen : b->plen;
	for (uint32_t i = 0; i < n; i++)
		if (bit(a->data, i) != bit(b->data, i))
			return bit(a->data, i) ? 1 : -1;
	/* one extends the other: the longer one first */
	return a->plen > b->plen ? -1 : (a->plen < b->plen ? 1 : 0);
}

static int cmp_ref(const void *a, const void *b)
{
	return order(a, b);
}

struct model {
	struct ref r[512];
	int n;
	uint32_t ds, max;
};

static int find(struct model *m, uint32_t plen, const unsigned char *d)
{
	for (int i = 0; i < m->n; i++)
		if (same_prefix(&m->r[i], plen, d))
			return i;
	return -1;
}

static int ref_update(struct model *m, uint32_t plen, const unsigned char *d,
		      uint32_t v, uint64_t flags)
{
	if (flags > BPFTK_EXIST || plen > m->ds * 8)
		return -EINVAL;
	int i = find(m, plen, d);
	if (i >= 0) {
		if (flags == BPFTK_NOEXIST)
			return -EEXIST;
		memcpy(m->r[i].data, d, m->ds);
		m->r[i].value = v;
		return 0;
	}
	if (flags == BPFTK_EXIST)
		return -ENOENT;
	if ((uint32_t)m->n == m->max)
		return -ENOSPC;
	m->r[m->n].plen = plen;
	memcpy(m->r[m->n].data, d, m->ds);
	m->r[m->n].value = v;
	m->n++;
	return 0;
}

static int ref_delete(struct model *m, uint32_t plen, const unsigned char *d)
{
	if (plen > m->ds * 8)
		return -EINVAL;
	int i = find(m, plen, d);
	if (i < 0)
		return -ENOENT;
	m->r[i] = m->r[--m->n];
	return 0;
}

static int ref_lookup(struct model *m, uint32_t plen, const unsigned char *d,
		      uint32_t *v)
{
	int best = -1;
	if (plen > m->ds * 8)
		return -ENOENT;
	for (int i = 0; i < m->n; i++)
		if (m->r[i].plen <= plen && prefix_eq(m->r[i].data, d,
						      m->r[i].plen) &&
		    (best < 0 || m->r[i].plen > m->r[best].plen))
			best = i;
	if (best < 0)
		return -ENOENT;
	*v = m->r[best].value;
	return 0;
}

static void random_key(struct model *m, uint32_t *plen, unsigned char *d)
{
	/* a few base addresses, random tails: prefixes nest and branch */
	static const unsigned char base[4][MAXD] = {
		{10, 0, 0, 0},
		{10, 0, 128, 0},
		{192, 168, 0, 0},
		{0xff, 0xff, 0, 0}};
	for (uint32_t i = 0; i < m->ds; i++)
		d[i] = (unsigned char)rnd(256);
	if (rnd(4)) {
		const unsigned char *b = base[rnd(4)];
		uint32_t keep = rnd(m->ds * 8 + 1);
		for (uint32_t i = 0; i < keep; i++) {
			unsigned mask = 1u << (7 - i % 8);
			d[i / 8] = (unsigned char)((d[i / 8] & ~mask) |
						   (b[i / 8] & mask));
		}
	}
	*plen = rnd(20) ? rnd(m->ds * 8 + 1) : m->ds * 8 + 1;
}

static void check_walk(struct model *m, struct bpftk_map *map, int step)
{
	struct ref sorted[512];
	unsigned char key[4 + MAXD], prev[4 + MAXD];
	int n = 0, err = 0, ok = 1;
	memcpy(sorted, m->r, sizeof(struct ref) * (size_t)m->n);
	qsort(sorted, (size_t)m->n, sizeof(struct ref), cmp_ref);
	const void *k = NULL;
	while (!(err = bpftk_map_get_next_key(map, k, key))) {
		uint32_t plen;
		memcpy(&plen, key, 4);
		if (n >= m->n || plen != sorted[n].plen ||
		    memcmp(key + 4, sorted[n].data, m->ds)) {
			ok = 0;
			break;
		}
		n++;
		memcpy(prev, key, sizeof(key));
		k = prev;
	}
	if (!ok || err != -ENOENT || n != m->n)
		fprintf(stderr, "walk at step %d: %d of %d keys, err %d\n", step,
			n, m->n, err);
	CHECK(ok && err == -ENOENT && n == m->n);
}

static void run(uint32_t ds, uint32_t max, int steps)
{
	struct model *m = calloc(1, sizeof(*m));
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_LPM_TRIE,
					  .key_size = 4 + ds,
					  .value_size = 4,
					  .max_entries = max,
					  .map_flags = BPFTK_F_NO_PREALLOC};
	struct bpftk_map *map;
	long agree = 0, total = 0;
	m->ds = ds;
	m->max = max;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &map, NULL), 0);
	for (int s = 0; s < steps; s++) {
		unsigned char key[4 + MAXD];
		uint32_t plen, v = (uint32_t)s, got = 0, want = 0;
		int c = (int)rnd(100), e1, e2;
		random_key(m, &plen, key + 4);
		memcpy(key, &plen, 4);
		if (c < 45) {
			uint64_t f = rnd(4) ? rnd(3) : 3;
			e1 = ref_update(m, plen, key + 4, v, f);
			e2 = bpftk_map_update_elem(map, key, &v, f);
		} else if (c < 65) {
			e1 = ref_delete(m, plen, key + 4);
			e2 = bpftk_map_delete_elem(map, key);
		} else {
			/* most lookups with the full length, like packets */
			if (rnd(3)) {
				plen = ds * 8;
				memcpy(key, &plen, 4);
			}
			e1 = ref_lookup(m, plen, key + 4, &want);
			e2 = bpftk_map_lookup_elem(map, key, &got, 0);
			if (!e1 && !e2 && got != want)
				e2 = 1000; /* wrong value */
			uint32_t *p = bpftk_map_prog_lookup(map, key, 0);
			if ((p == NULL) != (e1 != 0) || (p && *p != want))
				e2 = 1001;
		}
		total++;
		if (e1 == e2)
			agree++;
		else if (total - agree < 5)
			fprintf(stderr, "lpm ds %u step %d op %d: ref %d trie %d\n",
				ds, s, c, e1, e2);
		if (s % 97 == 0)
			check_walk(m, map, s);
	}
	check_walk(m, map, steps);
	CHECK_EQ_U64(agree, total);
	printf("lpm data %u bytes: %ld operations agree with the reference\n",
	       ds, agree);
	bpftk_map_free(map);
	free(m);
}

/* Two overlapping prefixes, by hand: 10.0.0.0/8 and 10.1.0.0/16. */
static void test_basic(void)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_LPM_TRIE,
					  .key_size = 8,
					  .value_size = 4,
					  .max_entries = 2,
					  .map_flags = BPFTK_F_NO_PREALLOC};
	struct bpftk_map *t;
	struct {
		uint32_t plen;
		unsigned char a[4];
	} k8 = {8, {10, 0, 0, 0}}, k16 = {16, {10, 1, 0, 0}},
	  q = {32, {10, 1, 2, 3}}, q2 = {32, {10, 2, 0, 1}},
	  q3 = {32, {11, 0, 0, 0}}, k24 = {24, {1, 2, 3, 0}};
	uint32_t v8 = 8, v16 = 16, v;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &t, NULL), 0);
	CHECK_EQ_U64(bpftk_map_update_elem(t, &k8, &v8, 0), 0);
	CHECK_EQ_U64(bpftk_map_update_elem(t, &k16, &v16, 0), 0);
	CHECK_EQ_U64(bpftk_map_lookup_elem(t, &q, &v, 0), 0);
	CHECK_EQ_U64(v, 16);
	CHECK_EQ_U64(bpftk_map_lookup_elem(t, &q2, &v, 0), 0);
	CHECK_EQ_U64(v, 8);
	CHECK_EQ_U64(bpftk_map_lookup_elem(t, &q3, &v, 0), (uint64_t)-ENOENT);
	/* full: a new prefix is -ENOSPC, replacing one still works */
	CHECK_EQ_U64(bpftk_map_update_elem(t, &k24, &v, 0), (uint64_t)-ENOSPC);
	CHECK_EQ_U64(bpftk_map_update_elem(t, &k8, &v16, BPFTK_EXIST), 0);
	/* /16 before the /8 it extends */
	struct {
		uint32_t plen;
		unsigned char a[4];
	} n;
	CHECK_EQ_U64(bpftk_map_get_next_key(t, NULL, &n), 0);
	CHECK_EQ_U64(n.plen, 16);
	CHECK_EQ_U64(bpftk_map_get_next_key(t, &n, &n), 0);
	CHECK_EQ_U64(n.plen, 8);
	CHECK_EQ_U64(bpftk_map_get_next_key(t, &n, &n), (uint64_t)-ENOENT);
	/* flags beyond BPF_EXIST and over-long prefixes are -EINVAL */
	CHECK_EQ_U64(bpftk_map_update_elem(t, &k8, &v, 4), (uint64_t)-EINVAL);
	k8.plen = 33;
	CHECK_EQ_U64(bpftk_map_delete_elem(t, &k8), (uint64_t)-EINVAL);
	bpftk_map_free(t);
}

TEST_MAIN({
	test_basic();
	run(1, 40, 4000);
	run(4, 200, 20000);
	run(16, 300, 12000);
	run(4, 8, 4000); /* often full */
})
