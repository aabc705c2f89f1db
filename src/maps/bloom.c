/* bloom.c — the bloom filter map (BPF_MAP_TYPE_BLOOM_FILTER).
 *
 * As in Linux: nr_hash_funcs = map_extra & 0xf (0 means 5); the bit array
 * has max_entries * nr_hash_funcs * 7 / 5 bits (about n*k/ln 2) rounded up
 * to a power of two (at least 64, at most 2^32); hash i of a value is
 * jhash2 (values whose size is a multiple of 4) or jhash with seed + i,
 * masked to the array.  The seed is random, or 0 with BPF_F_ZERO_SEED, in
 * which case the filter answers exactly as the kernel's.  Push sets bits,
 * peek tests them: no false negatives, some false positives.  Bits are set
 * and read with atomics, so no lock is needed.
 */
#include "maps_int.h"

struct bloom {
	struct bpftk_map map;
	uint32_t nr_hash_funcs;
	uint32_t seed;
	uint32_t mask; /* bits - 1 */
	uint32_t aligned_words;
	uint64_t *bits;
};

#define BLOOM_FLAGS (BPFTK_F_NUMA_NODE | BPFTK_F_ZERO_SEED | MAPS_F_ACCESS)

static struct bloom *bl(struct bpftk_map *m)
{
	return (struct bloom *)m;
}

/* bloom_map_alloc_check and the attribute checks of bloom_map_alloc */
static int bloom_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		       struct bpftk_diags *d)
{
	(void)ncpus;
	if (o->value_size > MAPS_KMALLOC_MAX)
		return maps_reject(d, o, -E2BIG, "value_size %u too large",
				   o->value_size);
	if (o->key_size || !o->value_size || !o->max_entries ||
	    (o->map_flags & ~BLOOM_FLAGS) || !maps_access_ok(o->map_flags) ||
	    (o->map_extra & ~(uint64_t)0xf))
		return maps_reject(d, o, -EINVAL,
				   "bloom filters need key_size 0, value_size "
				   "> 0, max_entries > 0, at most 15 hash "
				   "functions in map_extra");
	return 0;
}

static int bloom_alloc(const struct bpftk_map *proto, struct bpftk_map **out)
{
	struct bloom *b = bpftk_calloc(1, sizeof(*b));
	uint64_t nr_bits, bytes;
	if (!b)
		return -ENOMEM;
	b->map = *proto;
	b->nr_hash_funcs = (uint32_t)proto->map_extra;
	if (!b->nr_hash_funcs)
		b->nr_hash_funcs = 5;
	/* the kernel's arithmetic, overflow of u32 meaning "2^32 bits" */
	nr_bits = (uint64_t)proto->max_entries * b->nr_hash_funcs;
	if (nr_bits > UINT32_MAX || (nr_bits / 5) * 7 > UINT32_MAX ||
	    (nr_bits / 5) * 7 > (1ULL << 31)) {
		nr_bits = 1ULL << 32;
	} else {
		nr_bits = (nr_bits / 5) * 7;
		if (nr_bits <= 64) {
			nr_bits = 64;
		} else {
			uint64_t p = 1;
			while (p < nr_bits)
				p <<= 1;
			nr_bits = p;
		}
	}
	b->mask = (uint32_t)(nr_bits - 1);
	bytes = nr_bits / 8;
	if (bytes > SIZE_MAX / 2 ||
	    !(b->bits = bpftk_calloc(1, (size_t)bytes))) {
		bpftk_free(b);
		return -ENOMEM;
	}
	if (!(proto->value_size & 3))
		b->aligned_words = proto->value_size / 4;
	b->seed = (proto->map_flags & BPFTK_F_ZERO_SEED) ? 0
							 : maps_random_u32();
	*out = &b->map;
	return 0;
}

static void bloom_free(struct bpftk_map *m)
{
	bpftk_free(bl(m)->bits);
	bpftk_free(m);
}

static uint32_t bit_of(struct bloom *b, const void *value, uint32_t i)
{
	uint32_t h;
	if (b->aligned_words)
		h = maps_jhash2(value, b->aligned_words, b->seed + i);
	else
		h = maps_jhash(value, b->map.value_size, b->seed + i);
	return h & b->mask;
}

static int bloom_push(struct bpftk_map *m, const void *value, uint64_t flags)
{
	struct bloom *b = bl(m);
	if (flags != BPFTK_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < b->nr_hash_funcs; i++) {
		uint32_t h = bit_of(b, value, i);
		__atomic_fetch_or(&b->bits[h / 64], 1ULL << (h % 64),
				  __ATOMIC_RELAXED);
	}
	return 0;
}

static int bloom_peek(struct bpftk_map *m, void *value)
{
	struct bloom *b = bl(m);
	for (uint32_t i = 0; i < b->nr_hash_funcs; i++) {
		uint32_t h = bit_of(b, value, i);
		if (!(__atomic_load_n(&b->bits[h / 64], __ATOMIC_RELAXED) &
		      (1ULL << (h % 64))))
			return -ENOENT;
	}
	return 0;
}

static int bloom_pop(struct bpftk_map *m, void *value)
{
	(void)m;
	(void)value;
	return -EOPNOTSUPP;
}

/* Userspace lookup: the value is the input. */
static int bloom_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			    uint64_t flags)
{
	(void)key;
	(void)flags;
	return bloom_peek(m, value);
}

static int bloom_sys_update(struct bpftk_map *m, const void *key,
			    const void *value, uint64_t flags)
{
	(void)key;
	return bloom_push(m, value, flags);
}

static int bloom_update(struct bpftk_map *m, const void *key,
			const void *value, uint64_t flags, unsigned cpu)
{
	(void)m;
	(void)key;
	(void)value;
	(void)flags;
	(void)cpu;
	return -EINVAL;
}

static int bloom_delete(struct bpftk_map *m, const void *key)
{
	(void)m;
	(void)key;
	return -EOPNOTSUPP;
}

static int bloom_get_next_key(struct bpftk_map *m, const void *key,
			      void *next)
{
	(void)m;
	(void)key;
	(void)next;
	return -EOPNOTSUPP;
}

const struct map_ops maps_bloom_ops = {
	.type = BPFTK_MAP_TYPE_BLOOM_FILTER,
	.name = "bloom_filter",
	.traits = MAPS_T_INNER_OK | MAPS_T_KEYLESS,
	.check = bloom_check,
	.alloc = bloom_alloc,
	.free = bloom_free,
	.sys_lookup = bloom_sys_lookup,
	.sys_update = bloom_sys_update,
	.delete = bloom_delete,
	.get_next_key = bloom_get_next_key,
	.update = bloom_update,
	.push = bloom_push,
	.pop = bloom_pop,
	.peek = bloom_peek,
};
