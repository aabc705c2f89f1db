/* maps_int.h — what only the files of src/maps share: the map header every
 * family embeds, the ops table that describes a map type once, the kernel's
 * limits, value copying, locks and hashing.
 *
 * Invariants:
 *  - every family struct starts with a struct bpftk_map, so a map pointer is
 *    a pointer to the family struct;
 *  - a type is described by exactly one struct map_ops (allowed flags, which
 *    commands exist, the functions); map.c dispatches through it and does the
 *    checks the kernel's syscall layer does before it reaches the type;
 *  - value storage is 8-byte aligned and padded to 8 bytes, and is only
 *    ever read or written by the library through maps_value_in/out (atomic
 *    word copies), so concurrent programs see no torn words and the library
 *    has no data races of its own;
 *  - memory a program may hold a pointer into is freed only with the map.
 */
#ifndef BPFTK_MAPS_INT_H
#define BPFTK_MAPS_INT_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bpftk/maps.h>

#include "../util/util_int.h"

/* Limits of the kernel this mirrors (x86-64, 4 KiB pages, SLUB): larger
 * sizes fail there with the errors the check functions return. */
#define MAPS_KMALLOC_MAX (1u << 22)	 /* KMALLOC_MAX_SIZE */
#define MAPS_PCPU_MIN_UNIT_SIZE 32768u /* PCPU_MIN_UNIT_SIZE */
#define MAPS_HTAB_ELEM_SIZE 48u	 /* sizeof(struct htab_elem) */
#define MAPS_LPM_NODE_SIZE 24u	 /* sizeof(struct lpm_trie_node) */
#define MAPS_PAGE_SIZE 4096u

/* The kernel's BPF_F_ACCESS_MASK and the flags every type accepts. */
#define MAPS_F_ACCESS                                                      \
	(BPFTK_F_RDONLY | BPFTK_F_RDONLY_PROG | BPFTK_F_WRONLY |           \
	 BPFTK_F_WRONLY_PROG)

#define MAPS_ROUND8(x) (((uint64_t)(x) + 7) & ~(uint64_t)7)

/* What map-in-map compares (the kernel's inner_map_meta). */
struct map_meta {
	enum bpftk_map_type type;
	uint32_t key_size, value_size, map_flags, max_entries;
	int lock_off;
};

struct map_ops;

struct bpftk_map {
	const struct map_ops *ops;
	struct bpftk_map_set *set;
	struct bpftk_map *set_next; /* the set's list, under its lock */
	enum bpftk_map_type type;
	uint32_t key_size, value_size, max_entries, map_flags;
	uint64_t map_extra;
	uint32_t id;
	unsigned ncpus;
	uint32_t stride;   /* round_up(value_size, 8): one (per-CPU) value */
	int lock_off;	   /* offset of the bpf_spin_lock in values, -1: none */
	int frozen;	   /* atomic */
	int refs;	   /* atomic: the creator's + map-in-map slots */
	int has_inner;	   /* map of maps: inner describes the template */
	struct map_meta inner;
	char name[BPFTK_MAP_NAME_LEN];
};

/* Bits of map_ops.traits. */
enum {
	MAPS_T_PERCPU = 1u << 0,   /* userspace values are per-CPU arrays */
	MAPS_T_FD = 1u << 1,	   /* values are maps or programs (4-byte ids) */
	MAPS_T_INNER_OK = 1u << 2, /* may be an inner map (has map_meta_equal) */
	MAPS_T_META_MAX = 1u << 3, /* inner match compares max_entries */
	MAPS_T_LOCK_OK = 1u << 4,  /* values may hold a bpf_spin_lock */
	MAPS_T_KEYLESS = 1u << 5,  /* key_size 0: keys must be NULL */
};

/* One map type, described once.  A NULL command means the kernel has none
 * for this type; map.c then returns the error the kernel returns. */
struct map_ops {
	enum bpftk_map_type type;
	const char *name;
	unsigned traits;
	/* The kernel's map_alloc_check and the checks of map_alloc that come
	 * before any allocation: returns 0 or the error, with a diagnostic. */
	int (*check)(const struct bpftk_map_create_opts *o, unsigned ncpus,
		     struct bpftk_diags *d);
	/* Allocates the family struct (first member: a copy of *proto) and
	 * its storage.  Returns 0 or -ENOMEM / -E2BIG. */
	int (*alloc)(const struct bpftk_map *proto, struct bpftk_map **out);
	void (*free)(struct bpftk_map *m);
	/* Maps holding maps: empty every slot; drop the references when drop. */
	void (*release_slots)(struct bpftk_map *m, int drop);

	/* userspace commands (map.c already checked access and flags) */
	int (*sys_lookup)(struct bpftk_map *m, const void *key, void *value,
			  uint64_t flags);
	int (*sys_update)(struct bpftk_map *m, const void *key,
			  const void *value, uint64_t flags);
	int (*delete)(struct bpftk_map *m, const void *key);
	int (*get_next_key)(struct bpftk_map *m, const void *key, void *next);
	int (*sys_lookup_and_delete)(struct bpftk_map *m, const void *key,
				     void *value, uint64_t flags);
	/* maps of maps and prog arrays: stores ptr (a map whose reference the
	 * caller took, or a program) like sys_update would store the object
	 * an id names. */
	int (*update_ptr)(struct bpftk_map *m, const void *key, void *ptr,
			  uint64_t flags);

	/* program side */
	void *(*lookup)(struct bpftk_map *m, const void *key, unsigned cpu);
	int (*update)(struct bpftk_map *m, const void *key, const void *value,
		      uint64_t flags, unsigned cpu);
	int (*push)(struct bpftk_map *m, const void *value, uint64_t flags);
	int (*pop)(struct bpftk_map *m, void *value);
	int (*peek)(struct bpftk_map *m, void *value);
};

extern const struct map_ops maps_array_ops, maps_percpu_array_ops,
	maps_prog_array_ops, maps_array_of_maps_ops;
extern const struct map_ops maps_hash_ops, maps_percpu_hash_ops,
	maps_lru_hash_ops, maps_lru_percpu_hash_ops, maps_hash_of_maps_ops;
extern const struct map_ops maps_lpm_ops, maps_queue_ops, maps_stack_ops,
	maps_ringbuf_ops, maps_bloom_ops;
extern const struct map_ops maps_perf_event_array_ops, maps_devmap_ops,
	maps_devmap_hash_ops, maps_cpumap_ops, maps_xskmap_ops,
	maps_cgroup_array_ops;

/* ---- map.c: shared by the families ---- */

/* Reports why creation failed (a diagnostic naming the map) and returns
 * err. */
BPFTK_INTERNAL int maps_reject(struct bpftk_diags *d,
			       const struct bpftk_map_create_opts *o, int err,
			       const char *fmt, ...) BPFTK_PRINTF(4, 5);
/* The kernel's bpf_map_flags_access_ok. */
BPFTK_INTERNAL int maps_access_ok(uint32_t map_flags);
/* Map-in-map: the map with id `id` of outer's set, checked against the
 * template, with a new reference.  -EBADF (no such map), -EINVAL. */
BPFTK_INTERNAL int maps_inner_get_id(struct bpftk_map *outer, uint32_t id,
				     struct bpftk_map **inner);
/* Same for a map pointer. */
BPFTK_INTERNAL int maps_inner_check(struct bpftk_map *outer,
				    struct bpftk_map *inner);
BPFTK_INTERNAL void maps_ref_get(struct bpftk_map *m);
BPFTK_INTERNAL void maps_ref_put(struct bpftk_map *m);
/* get_next_key of maps indexed 0..max-1 (array_map_get_next_key): a
 * missing or out-of-range key gives 0, the last one -ENOENT. */
BPFTK_INTERNAL int maps_index_next_key(uint32_t max, const void *key,
				       void *next);
/* Prog arrays: the set's resolver (NULL: none / unknown id). */
BPFTK_INTERNAL void *maps_prog_by_id(struct bpftk_map *m, uint32_t id);
BPFTK_INTERNAL uint32_t maps_prog_id(struct bpftk_map *m, void *prog);

/* ---- value.c: copies and locks ---- */

/* Spin lock on a 32-bit word (also the bpf_spin_lock of values). */
BPFTK_INTERNAL void maps_lock_word(uint32_t *w);
BPFTK_INTERNAL void maps_unlock_word(uint32_t *w);
struct maps_spin {
	uint32_t v;
};
static inline void maps_spin_lock(struct maps_spin *l)
{
	maps_lock_word(&l->v);
}
static inline void maps_spin_unlock(struct maps_spin *l)
{
	maps_unlock_word(&l->v);
}

/* Storage (8-aligned) <- caller's bytes: n bytes, skipping the 4 lock bytes
 * at lock_off (-1: none), with the value's lock held when locked. */
BPFTK_INTERNAL void maps_value_in(void *dst, const void *src, uint32_t n,
				  int lock_off, int locked);
/* Caller's bytes <- storage; the lock bytes read as zeros. */
BPFTK_INTERNAL void maps_value_out(void *dst, const void *src, uint32_t n,
				   int lock_off, int locked);
/* Storage: n bytes of zeros (lock bytes kept). */
BPFTK_INTERNAL void maps_value_zero(void *dst, uint32_t n, int lock_off);

/* ---- jhash.c ---- */

/* The kernel's jhash / jhash2 (Bob Jenkins' lookup3), and the hash its
 * hash maps use: jhash2 when len is a multiple of 4, else jhash. */
BPFTK_INTERNAL uint32_t maps_jhash(const void *key, uint32_t len,
				   uint32_t initval);
BPFTK_INTERNAL uint32_t maps_jhash2(const void *key, uint32_t words,
				    uint32_t initval);
BPFTK_INTERNAL uint32_t maps_hash_key(const void *key, uint32_t len,
				      uint32_t seed);
/* A fresh random seed (not cryptographic). */
BPFTK_INTERNAL uint32_t maps_random_u32(void);

#endif
