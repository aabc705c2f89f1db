/* hash.c — hash, per-CPU hash, LRU hash, LRU per-CPU hash and hash of maps
 * (the kernel's hashtab.c family).
 *
 * Layout as in Linux: n_buckets = roundup_pow_of_two(max_entries) chains,
 * keys hashed with jhash/jhash2 and a per-map seed (0 with
 * BPF_F_ZERO_SEED), new elements pushed at the head of their chain.  An
 * update of an existing key moves it to the head as the kernel's
 * replace-by-new-element does (except for per-CPU maps and BPF_F_LOCK
 * updates, which Linux also updates in place), so iteration order
 * (get_next_key: bucket by bucket, chain order) is the kernel's whenever
 * the seeds agree.
 *
 * Elements: preallocated in one block (the default) or, with
 * BPF_F_NO_PREALLOC, allocated one by one; either way a deleted element goes
 * to a free list and its memory is released only with the map, so a
 * pointer a program obtained never dangles.  bpftk updates the value of an
 * existing key in place (Linux swaps in a new element), so such a pointer
 * keeps seeing its key's value.
 *
 * Locking: one spin lock per bucket guards its chain and the copies of its
 * values made by userspace commands; the free list has its own lock.  LRU
 * maps add one lock for the recency list and an element state (FREE, LIVE,
 * EVICTING) changed only under it; lock order is bucket -> LRU -> free
 * list, and an evictor never holds the LRU lock while taking a bucket lock.
 *
 * LRU, compared with Linux: eviction takes the least recently used element
 * with a second chance for elements looked up by programs since they were
 * last considered (Linux keeps active/inactive lists with reference bits
 * and evicts in batches per CPU, possibly before the map is full).  bpftk
 * evicts only when every element is in use, and never for an update of an
 * existing key or an update that fails; BPF_F_NO_COMMON_LRU is accepted
 * (max_entries rounded to a multiple of ncpus as in Linux) but the list is
 * shared.  Userspace lookups do not count as use, as in Linux.
 */
#include "maps_int.h"

enum { E_FREE = 0, E_LIVE = 1, E_EVICTING = 2 };

struct elem {
	struct elem *next; /* chain, or free list */
	struct elem *lru_prev, *lru_next;
	uint32_t hash;
	uint8_t ref;   /* LRU: used by a program since last considered */
	uint8_t state; /* LRU: E_*, under lru_lock */
};
#define KEY_OFF ((uint32_t)MAPS_ROUND8(sizeof(struct elem)))

struct bucket {
	struct elem *head;
	struct maps_spin lock;
};

struct htab {
	struct bpftk_map map;
	struct bucket *buckets;
	uint32_t n_buckets;
	uint32_t seed;
	uint32_t val_off;   /* from the element start */
	uint32_t val_bytes; /* value storage per element */
	size_t elem_size;
	int percpu, is_lru, fd, prealloc;
	unsigned char *pool; /* preallocated elements */
	struct maps_spin free_lock;
	struct elem *free;
	uint32_t count; /* elements in use (atomic) */
	struct maps_spin lru_lock;
	struct elem lru; /* sentinel: lru.lru_next is the most recent */
};

#define HTAB_FLAGS                                                         \
	(BPFTK_F_NO_PREALLOC | BPFTK_F_NO_COMMON_LRU | BPFTK_F_NUMA_NODE | \
	 MAPS_F_ACCESS | BPFTK_F_ZERO_SEED)

static struct htab *ht(struct bpftk_map *m)
{
	return (struct htab *)m;
}

static unsigned char *ekey(struct elem *e)
{
	return (unsigned char *)e + KEY_OFF;
}

static unsigned char *evalue(struct htab *h, struct elem *e)
{
	return (unsigned char *)e + h->val_off;
}

static int is_percpu_type(enum bpftk_map_type t)
{
	return t == BPFTK_MAP_TYPE_PERCPU_HASH ||
	       t == BPFTK_MAP_TYPE_LRU_PERCPU_HASH;
}

static int is_lru_type(enum bpftk_map_type t)
{
	return t == BPFTK_MAP_TYPE_LRU_HASH ||
	       t == BPFTK_MAP_TYPE_LRU_PERCPU_HASH;
}

/* max_entries after the kernel's per-CPU LRU rounding */
static uint64_t real_max_entries(const struct bpftk_map_create_opts *o,
				 unsigned ncpus)
{
	uint64_t n = o->max_entries;
	if (o->map_flags & BPFTK_F_NO_COMMON_LRU) {
		n = (n + ncpus - 1) / ncpus * ncpus;
		if (n > UINT32_MAX)
			n = (uint64_t)o->max_entries / ncpus * ncpus;
	}
	return n;
}

static uint32_t roundup_pow2(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/* ---- creation ---- */

/* htab_map_alloc_check and the size checks of htab_map_alloc */
static int htab_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		      struct bpftk_diags *d)
{
	int percpu = is_percpu_type(o->type), lru = is_lru_type(o->type);
	int percpu_lru = (o->map_flags & BPFTK_F_NO_COMMON_LRU) != 0;
	int prealloc = !(o->map_flags & BPFTK_F_NO_PREALLOC);
	const char *tn = bpftk_map_type_name(o->type);

	if ((o->map_flags & ~HTAB_FLAGS) || !maps_access_ok(o->map_flags))
		return maps_reject(d, o, -EINVAL,
				   "map_flags 0x%x not allowed for %s maps",
				   o->map_flags, tn);
	if (!lru && percpu_lru)
		return maps_reject(d, o, -EINVAL,
				   "BPF_F_NO_COMMON_LRU is for LRU maps");
	if (lru && !prealloc)
		return maps_reject(d, o, -BPFTK_ENOTSUPP,
				   "LRU maps are always preallocated");
	if ((o->map_flags & BPFTK_F_NUMA_NODE) && (percpu || percpu_lru))
		return maps_reject(d, o, -EINVAL,
				   "per-CPU maps cannot choose a NUMA node");
	if (!o->max_entries || !o->key_size || !o->value_size)
		return maps_reject(d, o, -EINVAL,
				   "max_entries, key_size and value_size must "
				   "be > 0");
	if ((uint64_t)o->key_size + o->value_size >=
	    MAPS_KMALLOC_MAX - MAPS_HTAB_ELEM_SIZE)
		return maps_reject(d, o, -E2BIG, "key and value too large");
	if (percpu && MAPS_ROUND8(o->value_size) > MAPS_PCPU_MIN_UNIT_SIZE)
		return maps_reject(d, o, -E2BIG,
				   "per-CPU values are at most %u bytes",
				   MAPS_PCPU_MIN_UNIT_SIZE);
	uint64_t max = real_max_entries(o, ncpus);
	/* the kernel's bucket array must stay below 4 GiB of 16-byte
	 * buckets */
	if (max > (1u << 31) ||
	    (uint64_t)roundup_pow2((uint32_t)max) > UINT32_MAX / 16)
		return maps_reject(d, o, -E2BIG, "max_entries %u too large",
				   o->max_entries);
	return 0;
}

static int fd_htab_check(const struct bpftk_map_create_opts *o,
			 unsigned ncpus, struct bpftk_diags *d)
{
	if (o->value_size != 4)
		return maps_reject(d, o, -EINVAL,
				   "values of hash of maps are 4-byte ids");
	return htab_check(o, ncpus, d);
}

static void push_free(struct htab *h, struct elem *e)
{
	maps_spin_lock(&h->free_lock);
	e->next = h->free;
	h->free = e;
	maps_spin_unlock(&h->free_lock);
}

static struct elem *pop_free(struct htab *h)
{
	maps_spin_lock(&h->free_lock);
	struct elem *e = h->free;
	if (e)
		h->free = e->next;
	maps_spin_unlock(&h->free_lock);
	return e;
}

static void htab_free(struct bpftk_map *m)
{
	struct htab *h = ht(m);
	if (!h->prealloc) {
		struct elem *e, *n;
		for (uint32_t b = 0; h->buckets && b < h->n_buckets; b++)
			for (e = h->buckets[b].head; e; e = n) {
				n = e->next;
				bpftk_free(e);
			}
		for (e = h->free; e; e = n) {
			n = e->next;
			bpftk_free(e);
		}
	}
	bpftk_free(h->pool);
	bpftk_free(h->buckets);
	bpftk_free(h);
}

static int htab_alloc(const struct bpftk_map *proto, struct bpftk_map **out)
{
	struct htab *h = bpftk_calloc(1, sizeof(*h));
	uint64_t vb;
	if (!h)
		return -ENOMEM;
	h->map = *proto;
	h->percpu = is_percpu_type(proto->type);
	h->is_lru = is_lru_type(proto->type);
	h->fd = proto->type == BPFTK_MAP_TYPE_HASH_OF_MAPS;
	h->prealloc = !(proto->map_flags & BPFTK_F_NO_PREALLOC);
	if (proto->map_flags & BPFTK_F_NO_COMMON_LRU) {
		struct bpftk_map_create_opts o;
		memset(&o, 0, sizeof(o));
		o.max_entries = proto->max_entries;
		o.map_flags = proto->map_flags;
		h->map.max_entries = (uint32_t)real_max_entries(&o,
							       proto->ncpus);
	}
	h->seed = (proto->map_flags & BPFTK_F_ZERO_SEED) ? 0 : maps_random_u32();
	h->n_buckets = roundup_pow2(h->map.max_entries);
	h->val_off = KEY_OFF + (uint32_t)MAPS_ROUND8(proto->key_size);
	vb = h->fd ? sizeof(void *) : proto->stride;
	if (h->percpu)
		vb *= proto->ncpus;
	if (vb > UINT32_MAX / 2)
		goto nomem;
	h->val_bytes = (uint32_t)vb;
	h->elem_size = h->val_off + h->val_bytes;
	h->lru.lru_next = h->lru.lru_prev = &h->lru;
	h->buckets = bpftk_calloc(h->n_buckets, sizeof(struct bucket));
	if (!h->buckets)
		goto nomem;
	if (h->prealloc) {
		h->pool = bpftk_calloc(h->map.max_entries, h->elem_size);
		if (!h->pool)
			goto nomem;
		/* the free list hands out elements in address order */
		for (uint32_t i = h->map.max_entries; i-- > 0;) {
			struct elem *e =
				(struct elem *)(h->pool + i * h->elem_size);
			e->next = h->free;
			h->free = e;
		}
	}
	*out = &h->map;
	return 0;
nomem:
	htab_free(&h->map);
	return -ENOMEM;
}

/* ---- elements ---- */

static struct bucket *bucket_of(struct htab *h, uint32_t hash)
{
	return &h->buckets[hash & (h->n_buckets - 1)];
}

static struct elem *find(struct htab *h, struct bucket *b, uint32_t hash,
			 const void *key)
{
	for (struct elem *e = b->head; e; e = e->next)
		if (e->hash == hash && !memcmp(ekey(e), key, h->map.key_size))
			return e;
	return NULL;
}

static void unlink_chain(struct bucket *b, struct elem *e)
{
	struct elem **p;
	for (p = &b->head; *p && *p != e; p = &(*p)->next)
		;
	if (*p)
		*p = e->next;
}

static void move_to_head(struct bucket *b, struct elem *e)
{
	if (b->head == e)
		return;
	unlink_chain(b, e);
	e->next = b->head;
	b->head = e;
}

/* A new element for a hash map that is not LRU: from the free list, or
 * allocated when not preallocating.  -E2BIG when full. */
static int alloc_elem(struct htab *h, struct elem **out)
{
	struct elem *e;
	if (h->prealloc) {
		e = pop_free(h);
		if (!e)
			return -E2BIG;
		__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED);
	} else {
		if (__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED) >
		    h->map.max_entries) {
			__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
			return -E2BIG;
		}
		e = pop_free(h);
		if (!e)
			e = bpftk_calloc(1, h->elem_size);
		if (!e) {
			__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
			return -ENOMEM;
		}
	}
	*out = e;
	return 0;
}

static void lru_link_head(struct htab *h, struct elem *e)
{
	e->lru_next = h->lru.lru_next;
	e->lru_prev = &h->lru;
	h->lru.lru_next->lru_prev = e;
	h->lru.lru_next = e;
}

static void lru_unlink(struct elem *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
	e->lru_next = e->lru_prev = NULL;
}

/* Releases an element unlinked from its chain (bucket lock held). */
static void release_elem(struct htab *h, struct elem *e)
{
	if (h->is_lru) {
		int mine;
		maps_spin_lock(&h->lru_lock);
		mine = e->state == E_LIVE;
		if (mine) {
			lru_unlink(e);
			e->state = E_FREE;
		}
		maps_spin_unlock(&h->lru_lock);
		if (!mine)
			return; /* an evictor owns it now */
	}
	__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
	push_free(h, e);
}

/* LRU: a free element, evicting the least recently used one (with a
 * second chance for referenced ones) when none is free.  No lock held. */
static struct elem *lru_alloc(struct htab *h)
{
	struct elem *v = pop_free(h);
	if (v) {
		__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED);
		return v;
	}
	maps_spin_lock(&h->lru_lock);
	for (uint64_t n = 2 * (uint64_t)h->map.max_entries + 1; n; n--) {
		v = h->lru.lru_prev;
		if (v == &h->lru) {
			v = NULL;
			break;
		}
		lru_unlink(v);
		if (__atomic_exchange_n(&v->ref, 0, __ATOMIC_RELAXED)) {
			lru_link_head(h, v);
			v = NULL;
			continue;
		}
		v->state = E_EVICTING;
		break;
	}
	maps_spin_unlock(&h->lru_lock);
	if (!v)
		return NULL;
	struct bucket *b = bucket_of(h, v->hash);
	maps_spin_lock(&b->lock);
	unlink_chain(b, v);
	maps_spin_unlock(&b->lock);
	return v;
}

/* LRU: gives back an element lru_alloc returned and nobody used. */
static void lru_unuse(struct htab *h, struct elem *e)
{
	maps_spin_lock(&h->lru_lock);
	e->state = E_FREE;
	maps_spin_unlock(&h->lru_lock);
	__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
	push_free(h, e);
}

/* ---- values ---- */

enum src { FROM_USER, FROM_PROG, FROM_PTR };

/* Writes an existing element's value (bucket lock held). */
static void write_value(struct htab *h, struct elem *e, const void *value,
			enum src src, unsigned cpu, uint64_t flags,
			void **old_ptr)
{
	unsigned char *v = evalue(h, e);
	if (h->fd) {
		*old_ptr = __atomic_exchange_n((void **)(void *)v,
					       *(void *const *)value,
					       __ATOMIC_ACQ_REL);
	} else if (!h->percpu) {
		maps_value_in(v, value, h->map.value_size, h->map.lock_off,
			      (flags & BPFTK_F_LOCK) != 0);
	} else if (src == FROM_USER) {
		maps_value_in(v, value, h->val_bytes, -1, 0);
	} else {
		maps_value_in(v + (size_t)cpu * h->map.stride, value,
			      h->map.value_size, -1, 0);
	}
}

/* Fills a new element's value (not yet visible). */
static void init_value(struct htab *h, struct elem *e, const void *value,
		       enum src src, unsigned cpu)
{
	unsigned char *v = evalue(h, e);
	if (h->percpu && src == FROM_PROG) {
		maps_value_zero(v, h->val_bytes, -1);
		maps_value_in(v + (size_t)cpu * h->map.stride, value,
			      h->map.value_size, -1, 0);
	} else if (h->fd) {
		__atomic_store_n((void **)(void *)v, *(void *const *)value,
				 __ATOMIC_RELEASE);
	} else if (h->percpu) {
		maps_value_in(v, value, h->val_bytes, -1, 0);
	} else {
		maps_value_in(v, value, h->map.value_size, h->map.lock_off, 0);
	}
}

static void copy_out(struct htab *h, struct elem *e, void *value,
		     uint64_t flags)
{
	unsigned char *v = evalue(h, e);
	if (h->fd) {
		struct bpftk_map *inner =
			__atomic_load_n((void **)(void *)v, __ATOMIC_ACQUIRE);
		uint32_t id = inner ? inner->id : 0;
		memcpy(value, &id, 4);
	} else if (h->percpu) {
		maps_value_out(value, v, h->val_bytes, -1, 0);
	} else {
		maps_value_out(value, v, h->map.value_size, h->map.lock_off,
			       (flags & BPFTK_F_LOCK) != 0);
	}
}

/* The kernel's check_flags. */
static int check_flags(struct elem *old, uint64_t f)
{
	if (old && f == BPFTK_NOEXIST)
		return -EEXIST;
	if (!old && f == BPFTK_EXIST)
		return -ENOENT;
	return 0;
}

/* ---- update ---- */

static int update(struct htab *h, const void *key, const void *value,
		  uint64_t flags, enum src src, unsigned cpu)
{
	uint64_t f = flags & ~BPFTK_F_LOCK;
	uint32_t hash;
	struct bucket *b;
	struct elem *e, *n = NULL;
	void *old_ptr = NULL;
	int err;

	if (f > BPFTK_EXIST || (h->percpu && flags > BPFTK_EXIST))
		return -EINVAL;
	if (h->percpu && src == FROM_PROG && cpu >= h->map.ncpus)
		return -EINVAL;
	hash = maps_hash_key(key, h->map.key_size, h->seed);
	b = bucket_of(h, hash);

	maps_spin_lock(&b->lock);
	e = find(h, b, hash, key);
	if ((err = check_flags(e, f)))
		goto out;
	if (!e && h->is_lru) {
		/* eviction takes other buckets' locks: not under ours */
		maps_spin_unlock(&b->lock);
		n = lru_alloc(h);
		if (!n)
			return -ENOMEM;
		maps_spin_lock(&b->lock);
		e = find(h, b, hash, key);
		if ((err = check_flags(e, f)))
			goto out;
	}
	if (e) {
		write_value(h, e, value, src, cpu, flags, &old_ptr);
		if (!h->percpu && !(flags & BPFTK_F_LOCK))
			move_to_head(b, e);
		if (h->is_lru)
			__atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
		goto out;
	}
	if (!h->is_lru && (err = alloc_elem(h, &n)))
		goto out;
	memcpy(ekey(n), key, h->map.key_size);
	n->hash = hash;
	n->ref = 0;
	init_value(h, n, value, src, cpu);
	n->next = b->head;
	b->head = n;
	if (h->is_lru) {
		maps_spin_lock(&h->lru_lock);
		lru_link_head(h, n);
		n->state = E_LIVE;
		maps_spin_unlock(&h->lru_lock);
	}
	n = NULL;
out:
	maps_spin_unlock(&b->lock);
	if (n)
		lru_unuse(h, n);
	if (old_ptr)
		maps_ref_put(old_ptr);
	return err;
}

static int htab_sys_update(struct bpftk_map *m, const void *key,
			   const void *value, uint64_t flags)
{
	return update(ht(m), key, value, flags, FROM_USER, 0);
}

static int htab_update(struct bpftk_map *m, const void *key,
		       const void *value, uint64_t flags, unsigned cpu)
{
	return update(ht(m), key, value, flags, FROM_PROG, cpu);
}

static int htab_update_ptr(struct bpftk_map *m, const void *key, void *ptr,
			   uint64_t flags)
{
	return update(ht(m), key, &ptr, flags, FROM_PTR, 0);
}

/* bpf_fd_htab_map_update_elem: the id first, then the hash update */
static int fd_sys_update(struct bpftk_map *m, const void *key,
			 const void *value, uint64_t flags)
{
	struct bpftk_map *inner;
	uint32_t id;
	int err;
	memcpy(&id, value, 4);
	if ((err = maps_inner_get_id(m, id, &inner)))
		return err;
	err = htab_update_ptr(m, key, inner, flags);
	if (err)
		maps_ref_put(inner);
	return err;
}

/* ---- lookup, delete, iteration ---- */

static int htab_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			   uint64_t flags)
{
	struct htab *h = ht(m);
	uint32_t hash = maps_hash_key(key, m->key_size, h->seed);
	struct bucket *b = bucket_of(h, hash);
	struct elem *e;
	maps_spin_lock(&b->lock);
	e = find(h, b, hash, key);
	if (e)
		copy_out(h, e, value, flags);
	maps_spin_unlock(&b->lock);
	return e ? 0 : -ENOENT;
}

static void *htab_lookup(struct bpftk_map *m, const void *key, unsigned cpu)
{
	struct htab *h = ht(m);
	uint32_t hash = maps_hash_key(key, m->key_size, h->seed);
	struct bucket *b = bucket_of(h, hash);
	struct elem *e;
	void *p = NULL;
	if (h->percpu && cpu >= m->ncpus)
		return NULL;
	maps_spin_lock(&b->lock);
	e = find(h, b, hash, key);
	if (e) {
		p = evalue(h, e);
		if (h->percpu)
			p = (unsigned char *)p + (size_t)cpu * m->stride;
		else if (h->fd)
			p = __atomic_load_n((void **)p, __ATOMIC_ACQUIRE);
		if (h->is_lru)
			__atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
	}
	maps_spin_unlock(&b->lock);
	return p;
}

static int remove_key(struct htab *h, const void *key, void *value,
		      uint64_t flags)
{
	uint32_t hash = maps_hash_key(key, h->map.key_size, h->seed);
	struct bucket *b = bucket_of(h, hash);
	struct elem *e;
	void *inner = NULL;
	maps_spin_lock(&b->lock);
	e = find(h, b, hash, key);
	if (e) {
		if (value)
			copy_out(h, e, value, flags);
		if (h->fd)
			inner = __atomic_exchange_n((void **)(void *)evalue(h, e),
						    NULL, __ATOMIC_ACQ_REL);
		unlink_chain(b, e);
		release_elem(h, e);
	}
	maps_spin_unlock(&b->lock);
	if (inner)
		maps_ref_put(inner);
	return e ? 0 : -ENOENT;
}

static int htab_delete(struct bpftk_map *m, const void *key)
{
	return remove_key(ht(m), key, NULL, 0);
}

static int htab_lookup_and_delete(struct bpftk_map *m, const void *key,
				  void *value, uint64_t flags)
{
	return remove_key(ht(m), key, value, flags);
}

/* htab_map_get_next_key: the next element of the key's chain, else the
 * first element of the following buckets; an unknown key restarts. */
static int htab_get_next_key(struct bpftk_map *m, const void *key, void *next)
{
	struct htab *h = ht(m);
	uint32_t i = 0;
	if (key) {
		uint32_t hash = maps_hash_key(key, m->key_size, h->seed);
		struct bucket *b = bucket_of(h, hash);
		struct elem *e;
		maps_spin_lock(&b->lock);
		e = find(h, b, hash, key);
		if (e && e->next) {
			memcpy(next, ekey(e->next), m->key_size);
			maps_spin_unlock(&b->lock);
			return 0;
		}
		maps_spin_unlock(&b->lock);
		if (e)
			i = (hash & (h->n_buckets - 1)) + 1;
	}
	for (; i < h->n_buckets; i++) {
		struct bucket *b = &h->buckets[i];
		maps_spin_lock(&b->lock);
		if (b->head) {
			memcpy(next, ekey(b->head), m->key_size);
			maps_spin_unlock(&b->lock);
			return 0;
		}
		maps_spin_unlock(&b->lock);
	}
	return -ENOENT;
}

static void fd_release_slots(struct bpftk_map *m, int drop)
{
	struct htab *h = ht(m);
	for (uint32_t i = 0; i < h->n_buckets; i++) {
		struct bucket *b = &h->buckets[i];
		for (;;) {
			struct elem *e;
			void *inner = NULL;
			maps_spin_lock(&b->lock);
			e = b->head;
			if (e) {
				inner = __atomic_exchange_n(
					(void **)(void *)evalue(h, e), NULL,
					__ATOMIC_ACQ_REL);
				unlink_chain(b, e);
				release_elem(h, e);
			}
			maps_spin_unlock(&b->lock);
			if (!e)
				break;
			if (inner && drop)
				maps_ref_put(inner);
		}
	}
}

/* ---- the types ---- */

#define HTAB_COMMON                                                        \
	.check = htab_check, .alloc = htab_alloc, .free = htab_free,       \
	.sys_lookup = htab_sys_lookup, .sys_update = htab_sys_update,      \
	.delete = htab_delete, .get_next_key = htab_get_next_key,          \
	.sys_lookup_and_delete = htab_lookup_and_delete,                   \
	.lookup = htab_lookup, .update = htab_update

const struct map_ops maps_hash_ops = {
	.type = BPFTK_MAP_TYPE_HASH,
	.name = "hash",
	.traits = MAPS_T_INNER_OK | MAPS_T_LOCK_OK,
	HTAB_COMMON,
};

const struct map_ops maps_percpu_hash_ops = {
	.type = BPFTK_MAP_TYPE_PERCPU_HASH,
	.name = "percpu_hash",
	.traits = MAPS_T_PERCPU | MAPS_T_INNER_OK,
	HTAB_COMMON,
};

const struct map_ops maps_lru_hash_ops = {
	.type = BPFTK_MAP_TYPE_LRU_HASH,
	.name = "lru_hash",
	.traits = MAPS_T_INNER_OK,
	HTAB_COMMON,
};

const struct map_ops maps_lru_percpu_hash_ops = {
	.type = BPFTK_MAP_TYPE_LRU_PERCPU_HASH,
	.name = "lru_percpu_hash",
	.traits = MAPS_T_PERCPU | MAPS_T_INNER_OK,
	HTAB_COMMON,
};

const struct map_ops maps_hash_of_maps_ops = {
	.type = BPFTK_MAP_TYPE_HASH_OF_MAPS,
	.name = "hash_of_maps",
	.traits = MAPS_T_FD | MAPS_T_INNER_OK,
	.check = fd_htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.release_slots = fd_release_slots,
	.sys_lookup = htab_sys_lookup,
	.sys_update = fd_sys_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.lookup = htab_lookup,
	.update_ptr = htab_update_ptr,
};
