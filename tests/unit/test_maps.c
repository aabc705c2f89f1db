/* test_maps.c — map semantics that the kernel documents (and that the
 * kernel differential test cannot see because they are bpftk-only): sets
 * and ids, info, names and diagnostics, the per-CPU value layout,
 * program-side lookups returning stable pointers, BPF_F_LOCK copies,
 * maps of maps with references, prog arrays for tail calls, LRU eviction,
 * and argument errors. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bpftk/maps.h>

#include "test.h"

static struct bpftk_map *mk(struct bpftk_map_set *s, enum bpftk_map_type t,
			    uint32_t ks, uint32_t vs, uint32_t max,
			    uint32_t flags, const char *name)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = t,
					  .key_size = ks,
					  .value_size = vs,
					  .max_entries = max,
					  .map_flags = flags,
					  .name = name};
	struct bpftk_map *m = NULL;
	int err = bpftk_map_create(s, &o, &m, NULL);
	CHECK_EQ_U64(err, 0);
	return m;
}

static void test_types_and_names(void)
{
	/* numbers are the kernel's BPF_MAP_TYPE_* (include/uapi/linux/bpf.h) */
	CHECK_EQ_U64(BPFTK_MAP_TYPE_HASH, 1);
	CHECK_EQ_U64(BPFTK_MAP_TYPE_LPM_TRIE, 11);
	CHECK_EQ_U64(BPFTK_MAP_TYPE_QUEUE, 22);
	CHECK_EQ_U64(BPFTK_MAP_TYPE_RINGBUF, 27);
	CHECK_EQ_U64(BPFTK_MAP_TYPE_BLOOM_FILTER, 30);
	CHECK_STR(bpftk_map_type_name(BPFTK_MAP_TYPE_LRU_PERCPU_HASH),
		  "lru_percpu_hash");
	CHECK_EQ_U64(bpftk_map_type_from_name("lpm_trie"),
		     BPFTK_MAP_TYPE_LPM_TRIE);
	CHECK_EQ_U64(bpftk_map_type_from_name("nope"), (uint64_t)-EINVAL);
	CHECK(bpftk_map_type_name((enum bpftk_map_type)7) == NULL); /* stack trace */
}

static void test_set_ids_and_info(void)
{
	struct bpftk_map_set *s;
	struct bpftk_map_set_opts so = {.sz = sizeof(so), .ncpus = 3};
	CHECK_EQ_U64(bpftk_map_set_new(&so, &s), 0);
	CHECK_EQ_U64(bpftk_map_set_ncpus(s), 3);
	struct bpftk_map *a = mk(s, BPFTK_MAP_TYPE_HASH, 4, 8, 4, 0, "first");
	struct bpftk_map *b = mk(s, BPFTK_MAP_TYPE_PERCPU_ARRAY, 4, 12, 4, 0,
				 "second");
	CHECK(bpftk_map_id(a) != 0 && bpftk_map_id(b) != bpftk_map_id(a));
	CHECK(bpftk_map_set_find(s, bpftk_map_id(b)) == b);
	CHECK(bpftk_map_set_find_name(s, "first") == a);
	CHECK(bpftk_map_set_find_name(s, "third") == NULL);
	struct bpftk_map_info info = {.sz = sizeof(info)};
	CHECK_EQ_U64(bpftk_map_get_info(b, &info), 0);
	CHECK_EQ_U64(info.type, BPFTK_MAP_TYPE_PERCPU_ARRAY);
	CHECK_EQ_U64(info.ncpus, 3);
	/* per-CPU: round_up(12, 8) = 16 bytes per CPU */
	CHECK_EQ_U64(info.user_value_size, 48);
	CHECK_STR(info.name, "second");
	/* freeing one map removes it from the set */
	uint32_t id = bpftk_map_id(a);
	bpftk_map_free(a);
	CHECK(bpftk_map_set_find(s, id) == NULL);
	bpftk_map_set_free(s); /* frees b */
	CHECK(bpftk_map_possible_cpus() >= 1);
}

static void test_create_diagnostics(void)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_ARRAY,
					  .key_size = 8,
					  .value_size = 4,
					  .max_entries = 1,
					  .name = "arr"};
	struct bpftk_map *m = (struct bpftk_map *)1;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, d), (uint64_t)-EINVAL);
	CHECK(m == NULL);
	CHECK_EQ_U64(bpftk_diags_errors(d), 1);
	char buf[256];
	bpftk_diag_format(bpftk_diags_get(d, 0), buf, sizeof(buf));
	CHECK(strstr(buf, "map 'arr'") && strstr(buf, "4 bytes"));
	/* names: at most 15 of [A-Za-z0-9_.] (bpf_obj_name_cpy) */
	o.key_size = 4;
	o.name = "sixteen_chars_xx";
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, d), (uint64_t)-EINVAL);
	o.name = "fifteen_chars_x";
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, d), 0);
	CHECK_STR(bpftk_map_name(m), "fifteen_chars_x");
	bpftk_map_free(m);
	/* options structs from newer callers: extra bytes must be zero */
	struct {
		struct bpftk_map_create_opts o;
		uint64_t more;
	} big;
	memset(&big, 0, sizeof(big));
	big.o = o;
	big.o.name = NULL;
	big.o.sz = sizeof(big);
	CHECK_EQ_U64(bpftk_map_create(NULL, &big.o, &m, NULL), 0);
	bpftk_map_free(m);
	big.more = 1;
	CHECK_EQ_U64(bpftk_map_create(NULL, &big.o, &m, NULL),
		     (uint64_t)-EINVAL);
	/* unsupported type */
	o.type = (enum bpftk_map_type)7; /* stack trace */
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), (uint64_t)-EINVAL);
	/* the spin lock must fit a 4-aligned slot of the value */
	o.type = BPFTK_MAP_TYPE_HASH;
	o.name = NULL;
	o.value_size = 8;
	o.has_spin_lock = 1;
	o.spin_lock_off = 6;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), (uint64_t)-EINVAL);
	o.spin_lock_off = 8;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), (uint64_t)-EINVAL);
	o.type = BPFTK_MAP_TYPE_QUEUE;
	o.key_size = 0;
	o.spin_lock_off = 4;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL),
		     (uint64_t)-EOPNOTSUPP);
	bpftk_diags_free(d);
}

static void test_percpu_layout(void)
{
	struct bpftk_map_set *s;
	struct bpftk_map_set_opts so = {.sz = sizeof(so), .ncpus = 4};
	bpftk_map_set_new(&so, &s);
	struct bpftk_map *a = mk(s, BPFTK_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0,
				 NULL);
	struct bpftk_map *h = mk(s, BPFTK_MAP_TYPE_PERCPU_HASH, 4, 4, 2, 0,
				 NULL);
	uint32_t k = 1;
	/* userspace writes all CPUs: 4 slots of round_up(4, 8) = 8 bytes */
	uint32_t in[8] = {10, 0, 11, 0, 12, 0, 13, 0}, out[8];
	CHECK_EQ_U64(bpftk_map_user_value_size(a), 32);
	CHECK_EQ_U64(bpftk_map_update_elem(a, &k, in, 0), 0);
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		uint32_t *p = bpftk_map_prog_lookup(a, &k, cpu);
		CHECK(p && *p == 10 + cpu);
		CHECK(bpftk_map_prog_lookup_percpu(a, &k, cpu) == p);
	}
	CHECK(bpftk_map_prog_lookup(a, &k, 4) == NULL);
	/* a program writes only its own CPU's copy */
	uint32_t v = 99;
	CHECK_EQ_U64(bpftk_map_prog_update(a, &k, &v, 0, 2), 0);
	CHECK_EQ_U64(bpftk_map_lookup_elem(a, &k, out, 0), 0);
	CHECK(out[0] == 10 && out[2] == 11 && out[4] == 99 && out[6] == 13);
	/* a new per-CPU hash element from a program: other CPUs read 0 */
	CHECK_EQ_U64(bpftk_map_prog_update(h, &k, &v, 0, 1), 0);
	memset(out, 0xff, sizeof(out));
	CHECK_EQ_U64(bpftk_map_lookup_elem(h, &k, out, 0), 0);
	CHECK(out[0] == 0 && out[2] == 99 && out[4] == 0 && out[6] == 0);
	/* lookup_percpu is for per-CPU maps only */
	struct bpftk_map *plain = mk(s, BPFTK_MAP_TYPE_ARRAY, 4, 4, 2, 0, NULL);
	CHECK(bpftk_map_prog_lookup_percpu(plain, &k, 0) == NULL);
	CHECK(bpftk_map_prog_lookup(plain, &k, 0) != NULL);
	bpftk_map_set_free(s);
}

static void test_stable_pointers(void)
{
	struct bpftk_map *h = mk(NULL, BPFTK_MAP_TYPE_HASH, 4, 8, 4, 0, NULL);
	uint32_t k = 7;
	uint64_t v = 1, out;
	CHECK_EQ_U64(bpftk_map_update_elem(h, &k, &v, 0), 0);
	uint64_t *p = bpftk_map_prog_lookup(h, &k, 0);
	CHECK(p && *p == 1);
	/* a program's atomic add lands in the map */
	__atomic_fetch_add(p, 41, __ATOMIC_RELAXED);
	CHECK_EQ_U64(bpftk_map_lookup_elem(h, &k, &out, 0), 0);
	CHECK_EQ_U64(out, 42);
	/* an update of the key keeps the pointer on the key's value */
	v = 5;
	CHECK_EQ_U64(bpftk_map_update_elem(h, &k, &v, BPFTK_EXIST), 0);
	CHECK_EQ_U64(__atomic_load_n(p, __ATOMIC_RELAXED), 5);
	/* after delete the memory stays valid (reused by the next key) */
	CHECK_EQ_U64(bpftk_map_delete_elem(h, &k), 0);
	CHECK(bpftk_map_prog_lookup(h, &k, 0) == NULL);
	__atomic_store_n(p, 3, __ATOMIC_RELAXED); /* must not crash (ASan) */
	bpftk_map_free(h);

	/* without preallocation too */
	h = mk(NULL, BPFTK_MAP_TYPE_HASH, 4, 8, 4, BPFTK_F_NO_PREALLOC, NULL);
	CHECK_EQ_U64(bpftk_map_update_elem(h, &k, &v, 0), 0);
	p = bpftk_map_prog_lookup(h, &k, 0);
	CHECK_EQ_U64(bpftk_map_delete_elem(h, &k), 0);
	__atomic_store_n(p, 3, __ATOMIC_RELAXED);
	k = 8;
	CHECK_EQ_U64(bpftk_map_update_elem(h, &k, &v, 0), 0);
	CHECK(bpftk_map_prog_lookup(h, &k, 0) == p); /* recycled */
	bpftk_map_free(h);
}

static void test_prog_side_flags(void)
{
	struct bpftk_map *h = mk(NULL, BPFTK_MAP_TYPE_HASH, 4, 4, 2, 0, NULL);
	uint32_t k = 1, v = 1;
	CHECK_EQ_U64(bpftk_map_prog_update(h, &k, &v, BPFTK_EXIST, 0),
		     (uint64_t)-ENOENT);
	CHECK_EQ_U64(bpftk_map_prog_update(h, &k, &v, BPFTK_NOEXIST, 0), 0);
	CHECK_EQ_U64(bpftk_map_prog_update(h, &k, &v, BPFTK_NOEXIST, 0),
		     (uint64_t)-EEXIST);
	k = 2;
	CHECK_EQ_U64(bpftk_map_prog_update(h, &k, &v, 0, 0), 0);
	k = 3; /* full: the kernel's -E2BIG */
	CHECK_EQ_U64(bpftk_map_prog_update(h, &k, &v, 0, 0), (uint64_t)-E2BIG);
	CHECK_EQ_U64(bpftk_map_prog_delete(h, &k), (uint64_t)-ENOENT);
	k = 2;
	CHECK_EQ_U64(bpftk_map_prog_delete(h, &k), 0);
	CHECK_EQ_U64(bpftk_map_prog_update(h, &k, &v, 4 | 1, 0),
		     (uint64_t)-EINVAL); /* BPF_F_LOCK without a lock */
	/* argument errors */
	CHECK_EQ_U64(bpftk_map_lookup_elem(h, NULL, &v, 0), (uint64_t)-EFAULT);
	CHECK_EQ_U64(bpftk_map_lookup_elem(h, &k, NULL, 0), (uint64_t)-EFAULT);
	CHECK_EQ_U64(bpftk_map_lookup_elem(NULL, &k, &v, 0), (uint64_t)-EBADF);
	CHECK_EQ_U64(bpftk_map_lookup_elem(h, &k, &v, 2), (uint64_t)-EINVAL);
	CHECK(bpftk_map_prog_lookup(h, NULL, 0) == NULL);
	CHECK_EQ_U64(bpftk_map_prog_push(h, &v, 0), (uint64_t)-EINVAL);
	bpftk_map_free(h);
}

/* struct { u32 counter; struct bpf_spin_lock lock; u32 a, b; } */
static void test_spin_lock_values(void)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_ARRAY,
					  .key_size = 4,
					  .value_size = 16,
					  .max_entries = 1,
					  .has_spin_lock = 1,
					  .spin_lock_off = 4};
	struct bpftk_map *m;
	CHECK_EQ_U64(bpftk_map_create(NULL, &o, &m, NULL), 0);
	uint32_t k = 0, in[4] = {1, 0xdead, 2, 3}, out[4];
	CHECK_EQ_U64(bpftk_map_update_elem(m, &k, in, BPFTK_F_LOCK), 0);
	uint32_t *p = bpftk_map_prog_lookup(m, &k, 0);
	/* the lock word is never written by copies */
	CHECK_EQ_U64(__atomic_load_n(&p[1], __ATOMIC_RELAXED), 0);
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, out, BPFTK_F_LOCK), 0);
	CHECK(out[0] == 1 && out[1] == 0 && out[2] == 2 && out[3] == 3);
	/* a program holding the lock: bpf_spin_lock/unlock on the word */
	bpftk_map_spin_lock(&p[1]);
	CHECK_EQ_U64(__atomic_load_n(&p[1], __ATOMIC_RELAXED), 1);
	/* a plain copy (no BPF_F_LOCK) does not wait and reports 0 */
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, out, 0), 0);
	CHECK_EQ_U64(out[1], 0);
	bpftk_map_spin_unlock(&p[1]);
	CHECK_EQ_U64(bpftk_map_freeze(m), (uint64_t)-BPFTK_ENOTSUPP);
	bpftk_map_free(m);
}

static struct bpftk_map_set *cb_set;
static int fake_progs[3];
static void *prog_by_id(void *ctx, uint32_t id)
{
	(void)ctx;
	return id >= 1 && id <= 2 ? &fake_progs[id] : NULL;
}
static uint32_t prog_id(void *ctx, void *prog)
{
	(void)ctx;
	return (uint32_t)((int *)prog - fake_progs);
}

static void test_prog_array(void)
{
	struct bpftk_map_set_opts so = {.sz = sizeof(so),
					.prog_by_id = prog_by_id,
					.prog_id = prog_id};
	bpftk_map_set_new(&so, &cb_set);
	struct bpftk_map *pa = mk(cb_set, BPFTK_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0,
				  "jmp");
	uint32_t k = 1, id = 2, out = 0;
	CHECK(bpftk_map_tail_call_target(pa, 1) == NULL);
	CHECK_EQ_U64(bpftk_map_update_elem(pa, &k, &id, 0), 0);
	CHECK(bpftk_map_tail_call_target(pa, 1) == &fake_progs[2]);
	CHECK_EQ_U64(bpftk_map_lookup_elem(pa, &k, &out, 0), 0);
	CHECK_EQ_U64(out, 2);
	id = 9; /* no such program: the kernel's bad fd */
	CHECK_EQ_U64(bpftk_map_update_elem(pa, &k, &id, 0), (uint64_t)-EBADF);
	CHECK_EQ_U64(bpftk_map_prog_array_update(pa, 3, &fake_progs[1]), 0);
	CHECK(bpftk_map_tail_call_target(pa, 3) == &fake_progs[1]);
	CHECK_EQ_U64(bpftk_map_prog_array_update(pa, 4, &fake_progs[1]),
		     (uint64_t)-E2BIG);
	CHECK(bpftk_map_tail_call_target(pa, 4) == NULL);
	CHECK_EQ_U64(bpftk_map_delete_elem(pa, &k), 0);
	CHECK(bpftk_map_tail_call_target(pa, 1) == NULL);
	/* programs cannot look into prog arrays */
	CHECK(bpftk_map_prog_lookup(pa, &k, 0) == NULL);
	bpftk_map_set_free(cb_set);
}

static void test_map_in_map_refs(void)
{
	struct bpftk_map_set *s;
	bpftk_map_set_new(NULL, &s);
	struct bpftk_map *tmpl = mk(s, BPFTK_MAP_TYPE_HASH, 4, 4, 8, 0, "tmpl");
	struct bpftk_map_create_opts o = {.sz = sizeof(o),
					  .type = BPFTK_MAP_TYPE_HASH_OF_MAPS,
					  .key_size = 4,
					  .value_size = 4,
					  .max_entries = 4,
					  .inner_map = tmpl};
	struct bpftk_map *outer, *inner;
	CHECK_EQ_U64(bpftk_map_create(s, &o, &outer, NULL), 0);
	/* hash inner maps need not agree on max_entries */
	inner = mk(s, BPFTK_MAP_TYPE_HASH, 4, 4, 100, 0, "inner");
	uint32_t k = 5, iid = bpftk_map_id(inner);
	CHECK_EQ_U64(bpftk_map_update_elem(outer, &k, &iid, 0), 0);
	CHECK(bpftk_map_prog_lookup(outer, &k, 0) == inner);
	/* the slot keeps the inner map alive after its creator lets go */
	bpftk_map_free(inner);
	CHECK(bpftk_map_set_find(s, iid) == inner);
	uint32_t ik = 1, iv = 77, got = 0;
	CHECK_EQ_U64(bpftk_map_update_elem(inner, &ik, &iv, 0), 0);
	CHECK_EQ_U64(bpftk_map_lookup_elem(inner, &ik, &got, 0), 0);
	CHECK_EQ_U64(got, 77);
	/* deleting the slot drops the last reference: the map goes */
	CHECK_EQ_U64(bpftk_map_delete_elem(outer, &k), 0);
	CHECK(bpftk_map_set_find(s, iid) == NULL);
	/* typed API, and mismatches */
	struct bpftk_map *arr = mk(s, BPFTK_MAP_TYPE_ARRAY, 4, 4, 8, 0, NULL);
	CHECK_EQ_U64(bpftk_map_inner_update(outer, &k, arr, 0),
		     (uint64_t)-EINVAL);
	struct bpftk_map *other = mk(NULL, BPFTK_MAP_TYPE_HASH, 4, 4, 8, 0,
				     NULL);
	CHECK_EQ_U64(bpftk_map_inner_update(outer, &k, other, 0),
		     (uint64_t)-EINVAL); /* another set */
	bpftk_map_free(other);
	CHECK_EQ_U64(bpftk_map_inner_update(outer, &k, tmpl, BPFTK_EXIST),
		     (uint64_t)-ENOENT);
	CHECK_EQ_U64(bpftk_map_inner_update(outer, &k, tmpl, 0), 0);
	CHECK_EQ_U64(bpftk_map_inner_update(outer, &k, tmpl, BPFTK_NOEXIST),
		     (uint64_t)-EEXIST);
	/* no map of maps as a template */
	o.inner_map = outer;
	o.type = BPFTK_MAP_TYPE_ARRAY_OF_MAPS;
	struct bpftk_map *nested;
	CHECK_EQ_U64(bpftk_map_create(s, &o, &nested, NULL), (uint64_t)-EINVAL);
	o.inner_map = NULL;
	CHECK_EQ_U64(bpftk_map_create(s, &o, &nested, NULL), (uint64_t)-EINVAL);
	/* the set frees everything, references or not */
	bpftk_map_set_free(s);
}

static void test_lru_eviction(void)
{
	struct bpftk_map *m = mk(NULL, BPFTK_MAP_TYPE_LRU_HASH, 4, 4, 4, 0,
				 NULL);
	uint32_t k, v;
	for (k = 0; k < 4; k++)
		CHECK_EQ_U64(bpftk_map_update_elem(m, &k, &k, 0), 0);
	/* a program uses key 0: it gets a second chance over keys 1..3 */
	k = 0;
	CHECK(bpftk_map_prog_lookup(m, &k, 0) != NULL);
	k = 10;
	CHECK_EQ_U64(bpftk_map_update_elem(m, &k, &k, 0), 0);
	k = 0;
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, &v, 0), 0);
	k = 1; /* the least recently used one went */
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, &v, 0), (uint64_t)-ENOENT);
	k = 10;
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, &v, 0), 0);
	/* userspace lookups do not count as use (as in Linux) */
	k = 2;
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, &v, 0), 0);
	k = 11;
	CHECK_EQ_U64(bpftk_map_update_elem(m, &k, &k, 0), 0);
	k = 2;
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, &v, 0), (uint64_t)-ENOENT);
	/* a failing update evicts nothing */
	k = 12;
	CHECK_EQ_U64(bpftk_map_update_elem(m, &k, &k, BPFTK_EXIST),
		     (uint64_t)-ENOENT);
	k = 3;
	CHECK_EQ_U64(bpftk_map_lookup_elem(m, &k, &v, 0), 0);
	bpftk_map_free(m);
	/* per-CPU LRU lists: max_entries rounded up to a multiple of ncpus */
	struct bpftk_map_set *s;
	struct bpftk_map_set_opts so = {.sz = sizeof(so), .ncpus = 4};
	bpftk_map_set_new(&so, &s);
	m = mk(s, BPFTK_MAP_TYPE_LRU_HASH, 4, 4, 5, BPFTK_F_NO_COMMON_LRU,
	       NULL);
	struct bpftk_map_info info = {.sz = sizeof(info)};
	bpftk_map_get_info(m, &info);
	CHECK_EQ_U64(info.max_entries, 8);
	bpftk_map_set_free(s);
}

static void test_array_mmap_and_iteration(void)
{
	struct bpftk_map *a = mk(NULL, BPFTK_MAP_TYPE_ARRAY, 4, 4, 3, 0, NULL);
	uint32_t k, next;
	/* index order, NULL or out-of-range key restarts at 0 */
	CHECK_EQ_U64(bpftk_map_get_next_key(a, NULL, &next), 0);
	CHECK_EQ_U64(next, 0);
	k = 1;
	CHECK_EQ_U64(bpftk_map_get_next_key(a, &k, &next), 0);
	CHECK_EQ_U64(next, 2);
	k = 2;
	CHECK_EQ_U64(bpftk_map_get_next_key(a, &k, &next), (uint64_t)-ENOENT);
	k = 99;
	CHECK_EQ_U64(bpftk_map_get_next_key(a, &k, &next), 0);
	CHECK_EQ_U64(next, 0);
	/* arrays: delete is -EINVAL, out-of-range update -E2BIG */
	CHECK_EQ_U64(bpftk_map_delete_elem(a, &k), (uint64_t)-EINVAL);
	CHECK_EQ_U64(bpftk_map_update_elem(a, &k, &k, 0), (uint64_t)-E2BIG);
	k = 0;
	CHECK_EQ_U64(bpftk_map_update_elem(a, &k, &k, BPFTK_NOEXIST),
		     (uint64_t)-EEXIST);
	CHECK_EQ_U64(bpftk_map_lookup_and_delete_elem(a, &k, &next, 0),
		     (uint64_t)-BPFTK_ENOTSUPP);
	bpftk_map_free(a);
}

static void test_access_flags(void)
{
	struct bpftk_map *r = mk(NULL, BPFTK_MAP_TYPE_HASH, 4, 4, 2,
				 BPFTK_F_RDONLY, NULL);
	uint32_t k = 1, v = 1;
	CHECK_EQ_U64(bpftk_map_update_elem(r, &k, &v, 0), (uint64_t)-EPERM);
	/* programs are not restricted by BPF_F_RDONLY */
	CHECK_EQ_U64(bpftk_map_prog_update(r, &k, &v, 0, 0), 0);
	CHECK_EQ_U64(bpftk_map_lookup_elem(r, &k, &v, 0), 0);
	bpftk_map_free(r);
	struct bpftk_map *w = mk(NULL, BPFTK_MAP_TYPE_HASH, 4, 4, 2,
				 BPFTK_F_WRONLY, NULL);
	CHECK_EQ_U64(bpftk_map_update_elem(w, &k, &v, 0), 0);
	CHECK_EQ_U64(bpftk_map_lookup_elem(w, &k, &v, 0), (uint64_t)-EPERM);
	CHECK_EQ_U64(bpftk_map_freeze(w), 0);
	CHECK_EQ_U64(bpftk_map_update_elem(w, &k, &v, 0), (uint64_t)-EPERM);
	CHECK_EQ_U64(bpftk_map_prog_update(w, &k, &v, 0, 0), 0);
	bpftk_map_free(w);
}

TEST_MAIN({
	test_types_and_names();
	test_set_ids_and_info();
	test_create_diagnostics();
	test_percpu_layout();
	test_stable_pointers();
	test_prog_side_flags();
	test_spin_lock_values();
	test_prog_array();
	test_map_in_map_refs();
	test_lru_eviction();
	test_array_mmap_and_iteration();
	test_access_flags();
})
