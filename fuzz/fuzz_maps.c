/* fuzz_maps.c — libFuzzer target for src/maps: the input is a sequence of
 * map commands (userspace and program side) on one map of every type,
 * keys, values and flags taken from the input.  A hash map and a queue
 * are also checked against small reference models (return codes and
 * values), so wrong answers abort like crashes do.  A last pass replays
 * the input with one allocation failing (chosen by the input): every
 * command must then succeed or fail cleanly, and nothing may leak. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/maps.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_alloc.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static void bytes(struct in *in, void *dst, size_t n)
{
	unsigned char *d = dst;
	for (size_t i = 0; i < n; i++)
		d[i] = byte(in);
}

enum { M_HASH, M_LRU, M_PCPU, M_ARRAY, M_LPM, M_QUEUE, M_STACK, M_RING,
       M_BLOOM, M_HOM, M_AOM, M_PROG, NMAPS };

static const struct {
	enum bpftk_map_type t;
	uint32_t ks, vs, max, flags;
} spec[NMAPS] = {
	[M_HASH] = {BPFTK_MAP_TYPE_HASH, 1, 8, 6, 0},
	[M_LRU] = {BPFTK_MAP_TYPE_LRU_HASH, 4, 4, 4, 0},
	[M_PCPU] = {BPFTK_MAP_TYPE_PERCPU_HASH, 2, 3, 6, 0},
	[M_ARRAY] = {BPFTK_MAP_TYPE_ARRAY, 4, 5, 7, 0},
	[M_LPM] = {BPFTK_MAP_TYPE_LPM_TRIE, 6, 4, 16, BPFTK_F_NO_PREALLOC},
	[M_QUEUE] = {BPFTK_MAP_TYPE_QUEUE, 0, 3, 5, 0},
	[M_STACK] = {BPFTK_MAP_TYPE_STACK, 0, 2, 3, 0},
	[M_RING] = {BPFTK_MAP_TYPE_RINGBUF, 0, 0, 4096, 0},
	[M_BLOOM] = {BPFTK_MAP_TYPE_BLOOM_FILTER, 0, 4, 8, 0},
	[M_HOM] = {BPFTK_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4, 0},
	[M_AOM] = {BPFTK_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0},
	[M_PROG] = {BPFTK_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0},
};

static int progs[3];
static void *prog_by_id(void *ctx, uint32_t id)
{
	(void)ctx;
	return id < 3 ? &progs[id] : NULL;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	unsigned sum = 0;
	(void)ctx;
	/* read every byte: the sanitizers check the record's bounds */
	for (size_t i = 0; i < size; i++)
		sum += ((unsigned char *)data)[i];
	return sum == 0xffffffffu ? -1 : 0;
}

/* the reference of M_HASH: 1-byte keys */
struct model {
	int present[256];
	uint64_t value[256];
	int count;
	int exact; /* no allocation failure injected */
	/* the reference of M_QUEUE */
	unsigned char q[5][3];
	int qhead, qlen;
};

/* a broken promise: say which one, then crash like a sanitizer would */
#define expect(cond)                                                       \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "fuzz_maps.c:%d: expected %s\n",    \
				__LINE__, #cond);                          \
			abort();                                           \
		}                                                          \
	} while (0)

static int model_update(struct model *m, uint8_t k, uint64_t v, uint64_t f)
{
	if ((f & ~BPFTK_F_LOCK) > BPFTK_EXIST || (f & BPFTK_F_LOCK))
		return -EINVAL;
	if (m->present[k] && f == BPFTK_NOEXIST)
		return -EEXIST;
	if (!m->present[k] && f == BPFTK_EXIST)
		return -ENOENT;
	if (!m->present[k]) {
		if (m->count == 6)
			return -E2BIG;
		m->present[k] = 1;
		m->count++;
	}
	m->value[k] = v;
	return 0;
}

/* queue push: the expected result, and the model updated */
static int model_push(struct model *m, const unsigned char *val,
		      uint64_t flags)
{
	if (flags != 0 && flags != BPFTK_EXIST)
		return -EINVAL;
	if (m->qlen == 5) {
		if (flags != BPFTK_EXIST)
			return -E2BIG;
		m->qhead = (m->qhead + 1) % 5;
		m->qlen--;
	}
	memcpy(m->q[(m->qhead + m->qlen) % 5], val, 3);
	m->qlen++;
	return 0;
}

/* queue pop: the expected result; checks the value popped into out */
static int model_pop(struct model *m, const unsigned char *out)
{
	if (!m->qlen)
		return -ENOENT;
	expect(!memcmp(out, m->q[m->qhead], 3));
	m->qhead = (m->qhead + 1) % 5;
	m->qlen--;
	return 0;
}

static void run(struct in in, int failing)
{
	struct bpftk_map_set *set = NULL;
	struct bpftk_map_set_opts so = {.sz = sizeof(so), .ncpus = 3,
					.prog_by_id = prog_by_id};
	struct bpftk_map *m[NMAPS] = {0}, *tmpl = NULL;
	struct model *ref = calloc(1, sizeof(*ref));
	uint8_t mode = byte(&in);
	if (!ref)
		return;
	ref->exact = !failing;
	if (bpftk_map_set_new(&so, &set))
		goto out;
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_ARRAY,
					  .key_size = 4,
					  .value_size = 4,
					  .max_entries = 2};
	if (bpftk_map_create(set, &o, &tmpl, NULL))
		goto out;
	for (int i = 0; i < NMAPS; i++) {
		o.type = spec[i].t;
		o.key_size = spec[i].ks;
		o.value_size = spec[i].vs;
		o.max_entries = spec[i].max;
		o.map_flags = spec[i].flags;
		o.inner_map = tmpl;
		/* the mode byte picks variants: no prealloc, zero seed */
		if (i == M_HASH && (mode & 1))
			o.map_flags |= BPFTK_F_NO_PREALLOC;
		if ((i == M_HASH || i == M_BLOOM) && (mode & 2))
			o.map_flags |= BPFTK_F_ZERO_SEED;
		if (bpftk_map_create(set, &o, &m[i], NULL))
			goto out;
	}
	void *held[NMAPS] = {0};
	while (in.n) {
		uint8_t op = byte(&in), cmd = op >> 4, flagb = byte(&in);
		int which = (op & 15) % NMAPS;
		struct bpftk_map *map = m[which];
		uint64_t flags = flagb & 7;
		unsigned char key[8], val[32], out[32]; /* >= 3 CPUs x 8 */
		bytes(&in, key, sizeof(key));
		bytes(&in, val, sizeof(val));
		const void *k = spec[which].ks ? key : NULL;
		int err = 0;
		if (which == M_HOM || which == M_AOM || which == M_PROG) {
			/* ids: 0 none, 1 = the template, 2+ other maps */
			uint32_t id = val[0] % 4;
			memcpy(val, &id, 4);
		}
		switch (cmd % 12) {
		case 0:
			err = bpftk_map_update_elem(map, k, val, flags);
			if (which == M_HASH && ref->exact) {
				uint64_t v;
				memcpy(&v, val, 8);
				expect(err == model_update(ref, key[0], v,
							   flags));
			}
			if (which == M_QUEUE && ref->exact)
				expect(err == model_push(ref, val, flags));
			break;
		case 1:
			err = bpftk_map_lookup_elem(map, k, out, flags & 4);
			if (which == M_HASH && ref->exact) {
				expect(err == (flags & 4 ? -EINVAL
					       : ref->present[key[0]] ? 0
								      : -ENOENT));
				if (!err)
					expect(!memcmp(out, &ref->value[key[0]],
						       8));
			}
			break;
		case 2:
			err = bpftk_map_delete_elem(map, k);
			if (which == M_HASH && ref->exact) {
				expect(err == (ref->present[key[0]] ? 0
								    : -ENOENT));
				if (!err) {
					ref->present[key[0]] = 0;
					ref->count--;
				}
			}
			break;
		case 3:
			err = bpftk_map_get_next_key(map, flagb & 8 ? NULL : k,
						     out);
			if (which == M_HASH && ref->exact && !err)
				expect(ref->present[out[0]]);
			if (which == M_HASH && ref->exact && (flagb & 8))
				expect(err == (ref->count ? 0 : -ENOENT));
			break;
		case 4:
			err = bpftk_map_lookup_and_delete_elem(map, k, out,
							       flags & 4);
			if (which == M_HASH && ref->exact) {
				expect(err == (flags & 4 ? -EINVAL
					       : ref->present[key[0]] ? 0
								      : -ENOENT));
				if (!err) {
					expect(!memcmp(out, &ref->value[key[0]],
						       8));
					ref->present[key[0]] = 0;
					ref->count--;
				}
			}
			if (which == M_QUEUE && ref->exact)
				expect(err == (flags & 4 ? -EINVAL
					       : model_pop(ref, out)));
			break;
		case 5: {
			void *p = bpftk_map_prog_lookup(map, k, flagb % 4);
			if (p && which != M_HOM && which != M_AOM) {
				/* programs write through the pointer */
				__atomic_fetch_add((unsigned char *)p, 1,
						   __ATOMIC_RELAXED);
				if (which == M_HASH)
					((unsigned char *)&ref->value[key[0]])[0]++;
				held[which] = p;
			}
			break;
		}
		case 6:
			err = bpftk_map_prog_update(map, k, val, flags,
						    flagb % 4);
			if (which == M_HASH && ref->exact) {
				uint64_t v;
				memcpy(&v, val, 8);
				expect(err == model_update(ref, key[0], v,
							   flags));
			}
			break;
		case 7:
			err = bpftk_map_prog_delete(map, k);
			if (which == M_HASH && ref->exact && !err) {
				ref->present[key[0]] = 0;
				ref->count--;
			}
			break;
		case 8:
			err = bpftk_map_prog_push(map, val, flags);
			if (which == M_QUEUE && ref->exact)
				expect(err == model_push(ref, val, flags));
			err = bpftk_map_prog_pop(map, out);
			if (which == M_QUEUE && ref->exact)
				expect(err == model_pop(ref, out));
			err = bpftk_map_prog_peek(map, out);
			break;
		case 9: {
			void *r = bpftk_ringbuf_reserve(m[M_RING], val[0] * 9u,
							flags & 1);
			if (r) {
				memset(r, val[1], val[0] * 9u);
				if (flagb & 8)
					bpftk_ringbuf_discard(r, flags);
				else
					bpftk_ringbuf_submit(r, flags);
			}
			err = bpftk_ringbuf_output(m[M_RING], val, val[2] % 17,
						   flags);
			break;
		}
		case 10:
			bpftk_ringbuf_query(m[M_RING], flags & 3);
			err = bpftk_ringbuf_consume(m[M_RING], on_sample, NULL);
			if (err > 0)
				err = 0;
			break;
		default:
			/* stale pointers stay writable while the map lives
			 * (not the hash map: its model would lose track) */
			if (held[which] && which != M_HASH)
				__atomic_store_n((unsigned char *)held[which],
						 val[0], __ATOMIC_RELAXED);
			bpftk_map_tail_call_target(m[M_PROG], key[0]);
			break;
		}
		/* errors are negative errno values, never positive */
		expect(err <= 0);
		if (failing)
			continue;
		/* without injected failures nothing runs out of memory */
		expect(err != -ENOMEM);
	}
out:
	/* the set frees every map, references or not */
	bpftk_map_set_free(set);
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	run(in, 0);
	failing_start(data, size, 64);
	run(in, 1);
	bpftk_set_allocator(NULL, NULL, NULL);
	return 0;
}
