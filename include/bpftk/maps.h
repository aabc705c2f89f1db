/* bpftk/maps.h — BPF maps with the semantics of the Linux kernel, in
 * userspace and thread safe.
 *
 * Types, flags and error codes use the kernel's numbers, so a map created
 * here behaves like the one BPF_MAP_CREATE would give for the same
 * attributes: the same creation checks, the same results and errors for
 * every command, the same iteration order where Linux defines one.  Where
 * bpftk differs on purpose the comment at the type says so.
 *
 * Two faces:
 *  - the userspace side mirrors the bpf() syscall commands
 *    (bpftk_map_lookup_elem, _update_elem, _delete_elem, _get_next_key,
 *    _lookup_and_delete_elem, _freeze): values are copied in and out, per-CPU
 *    maps use the kernel's layout of round_up(value_size, 8) bytes per CPU;
 *  - the program side is what helpers use (bpftk_map_prog_*,
 *    bpftk_ringbuf_*): lookups return a pointer into the map's own value
 *    storage.  Such a pointer never dangles while the map lives: elements
 *    are preallocated or recycled through a free list, and their memory is
 *    released only with the map (a deleted element may be reused for another
 *    key, exactly as in the kernel's preallocated maps).
 *
 * Map sets: maps live in a set (or stand alone when the set is NULL).  A set
 * gives each map an id (like the kernel's map ids, used as the "fd" values of
 * map-in-map updates from userspace), fixes the number of CPUs of its per-CPU
 * maps and knows how to turn program ids into programs for prog arrays.
 *
 * Threads: every function may be called from any number of threads at once
 * on the same map, except bpftk_map_free / bpftk_map_set_free, which must not
 * race with other use of the map.  Lookups that return pointers do not hold
 * any lock once they return.
 *
 * Errors are negative errno values as the kernel returns them, including
 * BPFTK_ENOTSUPP (524, the kernel-internal ENOTSUPP that bpf() passes to
 * userspace) and -EOPNOTSUPP where the kernel uses that one.
 *
 * Differences from Linux, on purpose:
 *  - an update of an existing key writes its value in place (Linux swaps in
 *    a new element), so a program's pointer keeps seeing its key's value;
 *    the iteration order is still the kernel's;
 *  - LRU maps evict the least recently used element with a second chance
 *    for elements programs looked up, only when the map is full, and never
 *    for a failed update; Linux's LRU is approximate (per-CPU free lists,
 *    batch eviction, possibly before the map is full).  BPF_F_NO_COMMON_LRU
 *    rounds max_entries like Linux but keeps one shared list;
 *  - memory: creation fails with -ENOMEM only when the host allocator does
 *    (Linux also has memcg and vmalloc limits); only NUMA node 0 exists;
 *  - BPF_F_MMAPABLE is accepted but there is no mmap view; ring buffers are
 *    read through bpftk_ringbuf_consume/poll, not through mmap;
 *  - prog arrays do not check that programs are compatible (type, owner):
 *    that is the loader's job; BPF_F_ZERO_SEED needs no privilege;
 *  - redirect maps (devmap, devmap_hash, cpumap, xskmap) hold only the
 *    values the kernel reports, nothing is sent anywhere.  A devmap entry's
 *    ifindex must name an interface of the host (the kernel checks its
 *    caller's network namespace); xskmap, perf event array and cgroup
 *    array slots cannot be filled from userspace (there are no AF_XDP
 *    sockets, perf event or cgroup fds: updates fail with -EOPNOTSUPP /
 *    -EBADF as for such a wrong fd; cgroup arrays stay empty),
 *    embedders fill them with bpftk_map_xsk_attach and
 *    bpftk_perf_event_array_attach.
 */
#ifndef BPFTK_MAPS_H
#define BPFTK_MAPS_H

#include <bpftk/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Map types: the kernel's BPF_MAP_TYPE_* numbers. */
enum bpftk_map_type {
	BPFTK_MAP_TYPE_HASH = 1,
	BPFTK_MAP_TYPE_ARRAY = 2,
	BPFTK_MAP_TYPE_PROG_ARRAY = 3,
	BPFTK_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPFTK_MAP_TYPE_PERCPU_HASH = 5,
	BPFTK_MAP_TYPE_PERCPU_ARRAY = 6,
	BPFTK_MAP_TYPE_CGROUP_ARRAY = 8,
	BPFTK_MAP_TYPE_LRU_HASH = 9,
	BPFTK_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPFTK_MAP_TYPE_LPM_TRIE = 11,
	BPFTK_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPFTK_MAP_TYPE_HASH_OF_MAPS = 13,
	BPFTK_MAP_TYPE_DEVMAP = 14,
	BPFTK_MAP_TYPE_CPUMAP = 16,
	BPFTK_MAP_TYPE_XSKMAP = 17,
	BPFTK_MAP_TYPE_QUEUE = 22,
	BPFTK_MAP_TYPE_STACK = 23,
	BPFTK_MAP_TYPE_DEVMAP_HASH = 25,
	BPFTK_MAP_TYPE_RINGBUF = 27,
	BPFTK_MAP_TYPE_BLOOM_FILTER = 30,
};

/* Update flags (BPF_ANY ...). */
#define BPFTK_ANY 0ULL
#define BPFTK_NOEXIST 1ULL /* create only */
#define BPFTK_EXIST 2ULL   /* update only; queue/stack: overwrite the oldest */
#define BPFTK_F_LOCK 4ULL  /* copy the value under its bpf_spin_lock */

/* Creation flags (map_flags), kernel numbering. */
#define BPFTK_F_NO_PREALLOC (1U << 0)
#define BPFTK_F_NO_COMMON_LRU (1U << 1)
#define BPFTK_F_NUMA_NODE (1U << 2)
#define BPFTK_F_RDONLY (1U << 3) /* userspace may not write */
#define BPFTK_F_WRONLY (1U << 4) /* userspace may not read */
#define BPFTK_F_ZERO_SEED (1U << 6)
#define BPFTK_F_RDONLY_PROG (1U << 7)
#define BPFTK_F_WRONLY_PROG (1U << 8)
#define BPFTK_F_MMAPABLE (1U << 10)
#define BPFTK_F_PRESERVE_ELEMS (1U << 11)
#define BPFTK_F_INNER_MAP (1U << 12)

/* The kernel's ENOTSUPP (not in userspace errno.h). */
#define BPFTK_ENOTSUPP 524

/* Ring buffer flags and queries (BPF_RB_*), record header bits. */
#define BPFTK_RB_NO_WAKEUP 1ULL
#define BPFTK_RB_FORCE_WAKEUP 2ULL
#define BPFTK_RB_AVAIL_DATA 0ULL
#define BPFTK_RB_RING_SIZE 1ULL
#define BPFTK_RB_CONS_POS 2ULL
#define BPFTK_RB_PROD_POS 3ULL
#define BPFTK_RINGBUF_BUSY_BIT (1U << 31)
#define BPFTK_RINGBUF_DISCARD_BIT (1U << 30)
#define BPFTK_RINGBUF_HDR_SZ 8

#define BPFTK_MAP_NAME_LEN 16 /* including the NUL: names are <= 15 chars */

struct bpftk_map;
struct bpftk_map_set;

/* ---- map sets ------------------------------------------------------------ */

struct bpftk_map_set_opts {
	size_t sz; /* sizeof(struct bpftk_map_set_opts) */
	/* CPUs of per-CPU maps; 0 = the possible CPUs of this machine, like
	 * libbpf_num_possible_cpus(). */
	unsigned ncpus;
	/* Prog arrays take program ids as values from userspace (the kernel
	 * takes program fds): prog_by_id turns an id into the opaque program
	 * pointer stored in the slot (NULL: no such program, -EBADF), prog_id
	 * turns it back for lookups.  Both optional. */
	void *(*prog_by_id)(void *ctx, uint32_t id);
	uint32_t (*prog_id)(void *ctx, void *prog);
	void *prog_ctx;
};

/* New empty set; opts may be NULL.  Free with bpftk_map_set_free.
 * Errors: -EINVAL (bad sz), -ENOMEM. */
BPFTK_API int bpftk_map_set_new(const struct bpftk_map_set_opts *opts,
				struct bpftk_map_set **out);
/* Frees the set and every map still in it, whatever references remain.
 * NULL is a no-op. */
BPFTK_API void bpftk_map_set_free(struct bpftk_map_set *set);
/* Map with that id, or NULL; borrowed. */
BPFTK_API struct bpftk_map *bpftk_map_set_find(struct bpftk_map_set *set,
					       uint32_t id);
/* First map with that name (in creation order), or NULL; borrowed. */
BPFTK_API struct bpftk_map *
bpftk_map_set_find_name(struct bpftk_map_set *set, const char *name);
BPFTK_API unsigned bpftk_map_set_ncpus(const struct bpftk_map_set *set);

/* The number of possible CPUs (/sys/devices/system/cpu/possible), at
 * least 1. */
BPFTK_API unsigned bpftk_map_possible_cpus(void);

/* ---- creation ------------------------------------------------------------ */

struct bpftk_map_create_opts {
	size_t sz; /* sizeof(struct bpftk_map_create_opts) */
	enum bpftk_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags; /* BPFTK_F_* */
	const char *name;   /* <= 15 chars of [A-Za-z0-9_.]; NULL = "" */
	uint64_t map_extra; /* bloom filter: number of hash functions (0 = 5) */
	uint32_t numa_node; /* with BPFTK_F_NUMA_NODE: must be 0 here */
	/* Map-in-map: the inner map template (the kernel's inner_map_fd).
	 * Inner maps stored later must match its type, sizes and flags (and
	 * max_entries for arrays without BPFTK_F_INNER_MAP). */
	const struct bpftk_map *inner_map;
	/* Values hold a struct bpf_spin_lock (4 bytes, 4-aligned) at
	 * spin_lock_off (what BTF tells the kernel); hash and array maps only. */
	int has_spin_lock;
	uint32_t spin_lock_off;
};

/* Creates a map with the kernel's checks (bpf_map_create): the same
 * attributes are accepted and refused with the same error as in Linux,
 * -EINVAL mostly, -E2BIG for sizes past the kernel's limits, BPFTK_ENOTSUPP
 * (LRU without prealloc), -EOPNOTSUPP (spin lock in a type that cannot hold
 * one), -ENOMEM.  The reason also goes to d (may be NULL) as a diagnostic
 * naming the map.  set may be NULL (a standalone map).  On success *out is
 * the map holding one reference: release it with bpftk_map_free. */
BPFTK_API int bpftk_map_create(struct bpftk_map_set *set,
			       const struct bpftk_map_create_opts *opts,
			       struct bpftk_map **out, struct bpftk_diags *d);
/* Drops the caller's reference; the map is freed when no map-in-map slot
 * holds it any more.  NULL is a no-op. */
BPFTK_API void bpftk_map_free(struct bpftk_map *map);

struct bpftk_map_info {
	size_t sz; /* set by the caller to sizeof(struct bpftk_map_info) */
	enum bpftk_map_type type;
	uint32_t id; /* 0 for standalone maps */
	uint32_t key_size, value_size;
	uint32_t max_entries; /* as the kernel reports it (LRU per-CPU lists
				 round it to a multiple of ncpus) */
	uint32_t map_flags;
	uint64_t map_extra;
	unsigned ncpus;
	uint32_t user_value_size; /* value bytes of the userspace commands */
	char name[BPFTK_MAP_NAME_LEN];
};
/* Errors: -EINVAL (NULL or bad sz). */
BPFTK_API int bpftk_map_get_info(const struct bpftk_map *map,
				 struct bpftk_map_info *info);
BPFTK_API enum bpftk_map_type bpftk_map_type(const struct bpftk_map *map);
BPFTK_API const char *bpftk_map_name(const struct bpftk_map *map);
BPFTK_API uint32_t bpftk_map_id(const struct bpftk_map *map);
/* Bytes of the value buffer of the userspace commands: value_size, or
 * round_up(value_size, 8) * ncpus for per-CPU maps, 4 for prog arrays and
 * maps of maps. */
BPFTK_API uint32_t bpftk_map_user_value_size(const struct bpftk_map *map);
/* "hash", "array", "lpm_trie", ... (bpftool's names); NULL if unknown. */
BPFTK_API const char *bpftk_map_type_name(enum bpftk_map_type type);
/* The type with that name, or -EINVAL. */
BPFTK_API int bpftk_map_type_from_name(const char *name);

/* ---- userspace side: the bpf() commands ----------------------------------- */

/* BPF_MAP_LOOKUP_ELEM.  Copies the value out (user_value_size bytes).
 * Queue/stack: peek; bloom filter: value is the input, 0 means "maybe
 * present"; prog arrays and maps of maps return the stored id.  Keys of
 * key_size 0 maps must be NULL.  flags: 0 or BPFTK_F_LOCK. */
BPFTK_API int bpftk_map_lookup_elem(struct bpftk_map *map, const void *key,
				    void *value, uint64_t flags);
/* BPF_MAP_UPDATE_ELEM.  Queue/stack/bloom: push.  Prog arrays take a
 * program id, maps of maps a map id of the same set. */
BPFTK_API int bpftk_map_update_elem(struct bpftk_map *map, const void *key,
				    const void *value, uint64_t flags);
/* BPF_MAP_DELETE_ELEM. */
BPFTK_API int bpftk_map_delete_elem(struct bpftk_map *map, const void *key);
/* BPF_MAP_GET_NEXT_KEY.  key NULL (or not in the map) gives the first key;
 * -ENOENT after the last. */
BPFTK_API int bpftk_map_get_next_key(struct bpftk_map *map, const void *key,
				     void *next_key);
/* BPF_MAP_LOOKUP_AND_DELETE_ELEM: queue/stack pop, hash lookup+delete. */
BPFTK_API int bpftk_map_lookup_and_delete_elem(struct bpftk_map *map,
					       const void *key, void *value,
					       uint64_t flags);
/* BPF_MAP_FREEZE: userspace writes fail with -EPERM from now on.
 * Errors: BPFTK_ENOTSUPP (values with a spin lock), -EPERM (created
 * BPFTK_F_RDONLY, or already frozen: userspace may not write). */
BPFTK_API int bpftk_map_freeze(struct bpftk_map *map);

/* ---- program side: what the helpers do ------------------------------------ */

/* bpf_map_lookup_elem from a program running on `cpu` (< ncpus; used by
 * per-CPU maps): a pointer into the map's value storage, or NULL.  Maps of
 * maps return the inner struct bpftk_map *.  LRU maps mark the element as
 * recently used.  Queue, stack, ring buffer, bloom filter, prog array:
 * NULL. */
BPFTK_API void *bpftk_map_prog_lookup(struct bpftk_map *map, const void *key,
				      unsigned cpu);
/* bpf_map_lookup_percpu_elem: this CPU's copy; NULL for other maps. */
BPFTK_API void *bpftk_map_prog_lookup_percpu(struct bpftk_map *map,
					     const void *key, unsigned cpu);
/* bpf_map_update_elem from a program: per-CPU maps write only `cpu`'s
 * copy (other CPUs of a new element read zeros). */
BPFTK_API int bpftk_map_prog_update(struct bpftk_map *map, const void *key,
				    const void *value, uint64_t flags,
				    unsigned cpu);
BPFTK_API int bpftk_map_prog_delete(struct bpftk_map *map, const void *key);
/* bpf_map_push_elem / pop / peek: queue, stack (push, pop, peek) and bloom
 * filter (push, peek).  Pop/peek of an empty map zero value and return
 * -ENOENT, like the helpers. */
BPFTK_API int bpftk_map_prog_push(struct bpftk_map *map, const void *value,
				  uint64_t flags);
BPFTK_API int bpftk_map_prog_pop(struct bpftk_map *map, void *value);
BPFTK_API int bpftk_map_prog_peek(struct bpftk_map *map, void *value);

/* bpf_spin_lock / bpf_spin_unlock on the lock word of a value (the address
 * spin_lock_off bytes into a value returned by bpftk_map_prog_lookup). */
BPFTK_API void bpftk_map_spin_lock(void *lock);
BPFTK_API void bpftk_map_spin_unlock(void *lock);

/* Prog arrays: stores an opaque program pointer (borrowed: the caller keeps
 * it alive while it is in the map) at index, replacing what was there
 * (bpftk_map_delete_elem clears a slot).  Errors: -EINVAL (not a prog
 * array, prog NULL), -E2BIG (index out of range). */
BPFTK_API int bpftk_map_prog_array_update(struct bpftk_map *map,
					  uint32_t index, void *prog);
/* The program a tail call through index reaches, or NULL. */
BPFTK_API void *bpftk_map_tail_call_target(struct bpftk_map *map,
					   uint32_t index);

/* Maps of maps: stores inner (which must match the template and must not be
 * a map of maps itself) under key, taking a reference.  flags as for
 * update_elem.  Errors: -EINVAL (mismatch, different set), -E2BIG,
 * -EEXIST, -ENOENT, -ENOMEM. */
BPFTK_API int bpftk_map_inner_update(struct bpftk_map *outer, const void *key,
				     struct bpftk_map *inner, uint64_t flags);

/* ---- redirect maps and perf event arrays ---------------------------------- */

/* bpf_redirect_map's lookup in a devmap, devmap_hash, cpumap or xskmap:
 * 0 when key has an entry (value, when not NULL, gets its two 32-bit
 * words: ifindex or qsize or queue_id, then the program id), -ENOENT when
 * not, -EINVAL for other maps. */
BPFTK_API int bpftk_map_redirect_lookup(struct bpftk_map *map, uint32_t key,
					uint32_t value[2]);
/* Puts an AF_XDP socket bound to queue_id at index of an xskmap (program
 * lookups see a struct bpf_xdp_sock holding queue_id).  Errors: -EINVAL
 * (not an xskmap), -E2BIG.  bpftk_map_delete_elem removes it. */
BPFTK_API int bpftk_map_xsk_attach(struct bpftk_map *map, uint32_t index,
				   uint32_t queue_id);

/* A consumer of bpf_perf_event_output samples, like one perf event
 * opened on `cpu` (libbpf's perf buffer puts CPU i's event at index i).
 * fn gets each raw sample; its return (0 or a negative error such as
 * -ENOSPC) is the helper's. */
typedef int (*bpftk_perf_output_fn)(void *ctx, unsigned cpu, const void *data,
				    size_t size);
struct bpftk_perf_sink {
	bpftk_perf_output_fn fn;
	void *ctx;
	unsigned cpu;
};
#define BPFTK_F_INDEX_MASK 0xffffffffULL
#define BPFTK_F_CURRENT_CPU BPFTK_F_INDEX_MASK
/* Attaches sink (borrowed: keep it alive while attached; NULL detaches) at
 * index of a perf event array.  Errors: -EINVAL, -E2BIG. */
BPFTK_API int bpftk_perf_event_array_attach(struct bpftk_map *map,
					    uint32_t index,
					    const struct bpftk_perf_sink *sink);
/* bpf_perf_event_output from a program running on cpu: flags is the index
 * (BPFTK_F_CURRENT_CPU: cpu's); the sample is data followed by tail (the
 * packet bytes the skb/xdp variants append).  Errors as the kernel's:
 * -EINVAL (flags, not a perf event array), -E2BIG (index), -ENOENT (no
 * sink), -EOPNOTSUPP (the sink is on another CPU), -ENOMEM, or the sink's
 * error. */
BPFTK_API int bpftk_perf_event_output(struct bpftk_map *map, unsigned cpu,
				      uint64_t flags, const void *data,
				      uint64_t size, const void *tail,
				      uint64_t tail_size);

/* ---- ring buffer ---------------------------------------------------------- */

/* bpf_ringbuf_reserve: size bytes of contiguous, 8-byte aligned space, or
 * NULL (flags != 0, size too large, not enough room).  The record stays
 * busy (consumers stop at it) until submitted or discarded. */
BPFTK_API void *bpftk_ringbuf_reserve(struct bpftk_map *map, uint64_t size,
				      uint64_t flags);
/* bpf_ringbuf_submit / bpf_ringbuf_discard of a reserved sample.  flags:
 * BPFTK_RB_NO_WAKEUP, BPFTK_RB_FORCE_WAKEUP. */
BPFTK_API void bpftk_ringbuf_submit(void *sample, uint64_t flags);
BPFTK_API void bpftk_ringbuf_discard(void *sample, uint64_t flags);
/* bpf_ringbuf_output: 0, -EINVAL (unknown flags), -EAGAIN (no room). */
BPFTK_API int bpftk_ringbuf_output(struct bpftk_map *map, const void *data,
				   uint64_t size, uint64_t flags);
/* bpf_ringbuf_query (BPFTK_RB_AVAIL_DATA, _RING_SIZE, _CONS_POS,
 * _PROD_POS); 0 for other flags. */
BPFTK_API uint64_t bpftk_ringbuf_query(struct bpftk_map *map, uint64_t flags);

/* Consumer: called once per submitted record, in order; discarded records
 * are skipped.  A negative return stops consumption and is returned. */
typedef int (*bpftk_ringbuf_sample_fn)(void *ctx, void *data, size_t size);
/* Consumes every record available now (stops at the first busy one).
 * Returns the number of records given to fn, or fn's negative return.
 * Errors: -EINVAL (not a ring buffer or fn NULL). */
BPFTK_API int bpftk_ringbuf_consume(struct bpftk_map *map,
				    bpftk_ringbuf_sample_fn fn, void *ctx);
/* Waits up to timeout_ms (-1: forever) until data is available, woken by
 * the producers' notifications like epoll on a kernel ring buffer, then
 * consumes.  Returns what bpftk_ringbuf_consume returns (0 on timeout). */
BPFTK_API int bpftk_ringbuf_poll(struct bpftk_map *map,
				 bpftk_ringbuf_sample_fn fn, void *ctx,
				 int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
