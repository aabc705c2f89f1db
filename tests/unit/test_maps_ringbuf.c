/* test_maps_ringbuf.c — the ring buffer's kernel semantics: record headers
 * (length, BUSY and DISCARD bits, 8-byte alignment), positions, the
 * "size - 1" space rule, consumers stopping at busy records, discarded
 * records skipped, wraparound with records read contiguously, wakeups,
 * and several producer threads against one consumer. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <bpftk/maps.h>

#include "test.h"

static struct bpftk_map *ring(uint32_t size)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_RINGBUF,
					  .max_entries = size};
	struct bpftk_map *m = NULL;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), 0);
	return m;
}

struct seen {
	int n;
	size_t sizes[64];
	unsigned char first[64];
	int stop_at; /* return -1 at this record (0: never) */
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	CHECK(((uintptr_t)data & 7) == 0);
	if (s->n < 64) {
		s->sizes[s->n] = size;
		s->first[s->n] = size ? *(unsigned char *)data : 0;
	}
	s->n++;
	if (s->stop_at && s->n == s->stop_at)
		return -42;
	return 0;
}

static uint32_t hdr_len(void *sample)
{
	uint32_t h;
	memcpy(&h, (unsigned char *)sample - 8, 4);
	return h;
}

static void test_records(void)
{
	struct bpftk_map *m = ring(4096);
	struct seen s = {0};
	CHECK_EQ_U64(bpftk_ringbuf_query(m, BPFTK_RB_RING_SIZE), 4096);
	unsigned char *a = bpftk_ringbuf_reserve(m, 10, 0);
	CHECK(a && ((uintptr_t)a & 7) == 0);
	/* header: the length with the busy bit while reserved */
	CHECK_EQ_U64(hdr_len(a), 10u | BPFTK_RINGBUF_BUSY_BIT);
	/* a record takes round_up(8 + len, 8) bytes */
	CHECK_EQ_U64(bpftk_ringbuf_query(m, BPFTK_RB_PROD_POS), 24);
	CHECK_EQ_U64(bpftk_ringbuf_query(m, BPFTK_RB_AVAIL_DATA), 24);
	memset(a, 0xa1, 10);
	unsigned char *b = bpftk_ringbuf_reserve(m, 3, 0);
	CHECK(b == a + 24);
	b[0] = 0xb2;
	/* the consumer stops at the first busy record */
	bpftk_ringbuf_submit(b, 0);
	CHECK_EQ_U64(hdr_len(b), 3);
	CHECK_EQ_U64(bpftk_ringbuf_consume(m, on_sample, &s), 0);
	CHECK_EQ_U64(bpftk_ringbuf_query(m, BPFTK_RB_CONS_POS), 0);
	bpftk_ringbuf_submit(a, 0);
	CHECK_EQ_U64(bpftk_ringbuf_consume(m, on_sample, &s), 2);
	CHECK(s.sizes[0] == 10 && s.first[0] == 0xa1);
	CHECK(s.sizes[1] == 3 && s.first[1] == 0xb2);
	CHECK_EQ_U64(bpftk_ringbuf_query(m, BPFTK_RB_CONS_POS), 40);
	CHECK_EQ_U64(bpftk_ringbuf_query(m, BPFTK_RB_AVAIL_DATA), 0);
	/* discarded records are skipped but consumed */
	unsigned char *c = bpftk_ringbuf_reserve(m, 1, 0);
	bpftk_ringbuf_discard(c, 0);
	CHECK_EQ_U64(hdr_len(c), 1u | BPFTK_RINGBUF_DISCARD_BIT);
	CHECK_EQ_U64(bpftk_ringbuf_output(m, "xyz", 3, 0), 0);
	s.n = 0;
	CHECK_EQ_U64(bpftk_ringbuf_consume(m, on_sample, &s), 1);
	CHECK(s.first[0] == 'x');
	CHECK_EQ_U64(bpftk_ringbuf_query(m, BPFTK_RB_CONS_POS), 40 + 16 + 16);
	/* flags: reserve takes none, output only the wakeup ones */
	CHECK(bpftk_ringbuf_reserve(m, 8, 1) == NULL);
	CHECK_EQ_U64(bpftk_ringbuf_output(m, "x", 1, 4), (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_ringbuf_query(m, 99), 0);
	/* a zero-length record is legal */
	CHECK_EQ_U64(bpftk_ringbuf_output(m, NULL, 0, 0), 0);
	s.n = 0;
	CHECK_EQ_U64(bpftk_ringbuf_consume(m, on_sample, &s), 1);
	CHECK_EQ_U64(s.sizes[0], 0);
	bpftk_map_free(m);
}

static void test_space(void)
{
	struct bpftk_map *m = ring(4096);
	struct seen s = {0};
	/* the producer may run at most size - 1 bytes ahead: a record of
	 * 4080 bytes takes 4088, one of 4081 bytes would take 4096 */
	CHECK(bpftk_ringbuf_reserve(m, 4081, 0) == NULL);
	void *r = bpftk_ringbuf_reserve(m, 4080, 0);
	CHECK(r != NULL);
	CHECK(bpftk_ringbuf_reserve(m, 0, 0) == NULL);
	CHECK_EQ_U64(bpftk_ringbuf_output(m, "x", 1, 0), (uint64_t)-EAGAIN);
	bpftk_ringbuf_submit(r, BPFTK_RB_NO_WAKEUP);
	/* still full until consumed */
	CHECK(bpftk_ringbuf_reserve(m, 0, 0) == NULL);
	CHECK_EQ_U64(bpftk_ringbuf_consume(m, on_sample, &s), 1);
	CHECK(bpftk_ringbuf_reserve(m, 1ULL << 40, 0) == NULL);
	bpftk_map_free(m);
}

struct wrap {
	uint32_t next_seq;
	int bad;
};

static int on_wrap(void *ctx, void *data, size_t size)
{
	struct wrap *w = ctx;
	uint32_t seq;
	memcpy(&seq, data, 4);
	if (seq != w->next_seq)
		w->bad++;
	/* every byte after the sequence number is derived from it */
	for (size_t i = 4; i < size; i++)
		if (((unsigned char *)data)[i] != (unsigned char)(seq + i))
			w->bad++;
	w->next_seq++;
	return 0;
}

static void test_wraparound(void)
{
	struct bpftk_map *m = ring(8192);
	struct wrap w = {0, 0};
	uint32_t seq = 0;
	uint64_t state = 7, last_prod = 0;
	unsigned char buf[3000];
	for (int round = 0; round < 2000; round++) {
		/* produce until full, consume a part: positions wrap many
		 * times and records straddle the end of the ring */
		for (;;) {
			state = state * 6364136223846793005ULL + 1;
			size_t size = 4 + (size_t)(state >> 40) % 2000;
			memcpy(buf, &seq, 4);
			for (size_t i = 4; i < size; i++)
				buf[i] = (unsigned char)(seq + i);
			if (bpftk_ringbuf_output(m, buf, size, 0))
				break;
			seq++;
		}
		uint64_t prod = bpftk_ringbuf_query(m, BPFTK_RB_PROD_POS);
		CHECK(prod >= last_prod);
		last_prod = prod;
		bpftk_ringbuf_consume(m, on_wrap, &w);
	}
	CHECK_EQ_U64(w.bad, 0);
	CHECK_EQ_U64(w.next_seq, seq);
	CHECK(last_prod > 100 * 8192);
	bpftk_map_free(m);
}

static void test_stop_and_resume(void)
{
	struct bpftk_map *m = ring(4096);
	struct seen s = {0};
	for (unsigned char i = 1; i <= 3; i++)
		bpftk_ringbuf_output(m, &i, 1, 0);
	s.stop_at = 2;
	CHECK_EQ_U64(bpftk_ringbuf_consume(m, on_sample, &s), (uint64_t)-42);
	s.stop_at = 0;
	s.n = 0;
	/* the record that returned the error counts as consumed */
	CHECK_EQ_U64(bpftk_ringbuf_consume(m, on_sample, &s), 1);
	CHECK_EQ_U64(s.first[0], 3);
	/* poll does not wait when data is there, times out when not */
	bpftk_ringbuf_output(m, "p", 1, BPFTK_RB_NO_WAKEUP);
	s.n = 0;
	CHECK_EQ_U64(bpftk_ringbuf_poll(m, on_sample, &s, -1), 1);
	CHECK_EQ_U64(bpftk_ringbuf_poll(m, on_sample, &s, 0), 0);
	CHECK_EQ_U64(bpftk_ringbuf_poll(m, on_sample, &s, 1), 0);
	CHECK_EQ_U64(bpftk_ringbuf_consume(NULL, on_sample, &s),
		     (uint64_t)-EINVAL);
	/* no map commands on ring buffers (the kernel's ENOTSUPP) */
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, NULL, NULL, 0),
		     (uint64_t)-BPFTK_ENOTSUPP);
	CHECK_EQ_U64(bpftk_map_update_elem(m, NULL, NULL, 0),
		     (uint64_t)-BPFTK_ENOTSUPP);
	bpftk_map_free(m);
}

#define PRODUCERS 4
#define PER_PRODUCER 20000

struct mt {
	struct bpftk_map *m;
	int id;
	uint32_t next[PRODUCERS];
	long got, bad;
};

static void *producer(void *arg)
{
	struct mt *t = arg;
	for (uint32_t i = 0; i < PER_PRODUCER;) {
		uint32_t *r = bpftk_ringbuf_reserve(t->m, 8, 0);
		if (!r)
			continue; /* full: the consumer catches up */
		r[0] = (uint32_t)t->id;
		r[1] = i++;
		if (i % 7 == 0)
			bpftk_ringbuf_discard(r, 0);
		else
			bpftk_ringbuf_submit(r, 0);
	}
	return NULL;
}

static int on_mt(void *ctx, void *data, size_t size)
{
	struct mt *t = ctx;
	uint32_t v[2];
	memcpy(v, data, 8);
	if (size != 8 || v[0] >= PRODUCERS || v[1] < t->next[v[0]])
		t->bad++;
	else
		t->next[v[0]] = v[1] + 1;
	t->got++;
	return 0;
}

static void test_threads(void)
{
	struct mt t[PRODUCERS], c;
	pthread_t th[PRODUCERS];
	memset(&c, 0, sizeof(c));
	c.m = ring(16384);
	for (int i = 0; i < PRODUCERS; i++) {
		t[i].m = c.m;
		t[i].id = i;
		pthread_create(&th[i], NULL, producer, &t[i]);
	}
	long want = PRODUCERS * (PER_PRODUCER - PER_PRODUCER / 7);
	while (c.got < want)
		bpftk_ringbuf_poll(c.m, on_mt, &c, 10);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ_U64(c.got, want);
	CHECK_EQ_U64(c.bad, 0);
	CHECK_EQ_U64(bpftk_ringbuf_query(c.m, BPFTK_RB_AVAIL_DATA), 0);
	bpftk_map_free(c.m);
}

TEST_MAIN({
	test_records();
	test_space();
	test_wraparound();
	test_stop_and_resume();
	test_threads();
})
