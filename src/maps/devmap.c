/* devmap.c — the maps bpf_redirect_map sends packets through: devmap,
 * devmap_hash (devices by index or by key), cpumap (CPUs) and xskmap
 * (AF_XDP sockets); the kernel's devmap.c, cpumap.c and xskmap.c.
 *
 * bpftk has no network devices, CPUs to steer to or AF_XDP sockets; what
 * it keeps is what programs and the syscall commands can observe: which
 * slots hold an entry and the value the kernel reports for it (struct
 * bpf_devmap_val {ifindex, prog id}, struct bpf_cpumap_val {qsize, prog
 * id}, struct bpf_xdp_sock {queue_id}).  A redirect is recorded by the
 * helper as the verdict, with the map and key; nothing is transmitted.
 *
 * Invariants:
 *  - every value is one 8-byte slot preallocated with the map, so a
 *    pointer a program got from a lookup stays valid for the map's life
 *    (an update writes the slot in place, see maps.h);
 *  - array types keep a present byte per index; devmap_hash chains slots
 *    in n_buckets = roundup_pow_of_two(max_entries) buckets, newest first,
 *    like the kernel's hlist_add_head, so get_next_key walks in the
 *    kernel's order; free slots are kept on a free list;
 *  - all writes and the hash's lookups hold the map's lock; array lookups
 *    read the present byte with acquire ordering after the writer stored
 *    the value.
 *
 * The userspace checks follow the kernel: a devmap entry's ifindex must
 * name an interface of the host (as dev_get_by_index in the caller's
 * network namespace), a cpumap key must be a possible CPU of the set, an
 * xskmap takes no socket from userspace (-EOPNOTSUPP: there are no AF_XDP
 * sockets here; embedders attach queues with bpftk_map_xsk_attach).
 */
#include <net/if.h>

#include "maps_int.h"

#define DEV_FLAGS (BPFTK_F_NUMA_NODE | BPFTK_F_RDONLY | BPFTK_F_WRONLY)
#define CPUMAP_MAX_QSIZE 16384u /* cpu_map_update_elem's sanity limit */
#define CPUMAP_NR_CPUS 8192u	/* CONFIG_NR_CPUS of distribution kernels */
#define NIL UINT32_MAX

struct redir {
	struct bpftk_map map;
	struct maps_spin lock;
	uint32_t (*vals)[2]; /* max_entries slots of 8 bytes */
	uint8_t *present;    /* array types: per index */
	/* devmap_hash */
	uint32_t n_buckets, items, free_head;
	uint32_t *heads; /* n_buckets slot numbers, NIL: empty */
	uint32_t *next;	 /* per slot: the chain, or the free list */
	uint32_t *keys;	 /* per slot */
};

static struct redir *rd(struct bpftk_map *m)
{
	return (struct redir *)m;
}

static uint32_t key_u32(const void *key)
{
	uint32_t k;
	memcpy(&k, key, 4);
	return k;
}

static int is_hash(const struct bpftk_map *m)
{
	return m->type == BPFTK_MAP_TYPE_DEVMAP_HASH;
}

/* ---- creation ---- */

static uint32_t roundup_pow2(uint32_t n)
{
	uint32_t p = 1;
	while (p < n && p)
		p <<= 1;
	return p; /* 0 on overflow, as the kernel's check expects */
}

/* dev_map_alloc_check / dev_map_init_map */
static int dev_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		     struct bpftk_diags *d)
{
	(void)ncpus;
	if (!o->max_entries || o->key_size != 4 ||
	    (o->value_size != 4 && o->value_size != 8) ||
	    (o->map_flags & ~DEV_FLAGS))
		return maps_reject(d, o, -EINVAL,
				   "%s maps need max_entries > 0, 4-byte keys, "
				   "4- or 8-byte values (ifindex, program) and "
				   "no flags but NUMA/RDONLY/WRONLY",
				   bpftk_map_type_name(o->type));
	if (o->type == BPFTK_MAP_TYPE_DEVMAP_HASH &&
	    !roundup_pow2(o->max_entries))
		return maps_reject(d, o, -EINVAL, "max_entries %u too large",
				   o->max_entries);
	return 0;
}

/* cpu_map_alloc */
static int cpu_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		     struct bpftk_diags *d)
{
	(void)ncpus;
	if (!o->max_entries || o->key_size != 4 ||
	    (o->value_size != 4 && o->value_size != 8) ||
	    (o->map_flags & ~BPFTK_F_NUMA_NODE))
		return maps_reject(d, o, -EINVAL,
				   "cpumap maps need max_entries > 0, 4-byte "
				   "keys, 4- or 8-byte values (qsize, program) "
				   "and no flags but NUMA");
	if (o->max_entries > CPUMAP_NR_CPUS)
		return maps_reject(d, o, -E2BIG,
				   "cpumap max_entries %u > NR_CPUS (%u)",
				   o->max_entries, CPUMAP_NR_CPUS);
	return 0;
}

/* xsk_map_alloc */
static int xsk_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		     struct bpftk_diags *d)
{
	(void)ncpus;
	if (!o->max_entries || o->key_size != 4 || o->value_size != 4 ||
	    (o->map_flags & ~DEV_FLAGS))
		return maps_reject(d, o, -EINVAL,
				   "xskmap maps need max_entries > 0, 4-byte "
				   "keys and values, no flags but "
				   "NUMA/RDONLY/WRONLY");
	return 0;
}

static void redir_free(struct bpftk_map *m)
{
	struct redir *r = rd(m);
	bpftk_free(r->vals);
	bpftk_free(r->present);
	bpftk_free(r->heads);
	bpftk_free(r->next);
	bpftk_free(r->keys);
	bpftk_free(r);
}

static int redir_alloc(const struct bpftk_map *proto, struct bpftk_map **out)
{
	struct redir *r = bpftk_calloc(1, sizeof(*r));
	uint32_t n = proto->max_entries;
	if (!r)
		return -ENOMEM;
	r->map = *proto;
	/* devmap lookups hand out the value read-only: the kernel adds the
	 * flag (xskmap lookups give a socket, read-only by its type) */
	if (proto->type == BPFTK_MAP_TYPE_DEVMAP ||
	    proto->type == BPFTK_MAP_TYPE_DEVMAP_HASH)
		r->map.map_flags |= BPFTK_F_RDONLY_PROG;
	r->vals = bpftk_calloc(n, sizeof(*r->vals));
	if (!r->vals)
		goto nomem;
	if (!is_hash(proto)) {
		r->present = bpftk_calloc(n, 1);
		if (!r->present)
			goto nomem;
	} else {
		r->n_buckets = roundup_pow2(n);
		r->heads = bpftk_calloc(r->n_buckets, sizeof(uint32_t));
		r->next = bpftk_calloc(n, sizeof(uint32_t));
		r->keys = bpftk_calloc(n, sizeof(uint32_t));
		if (!r->heads || !r->next || !r->keys)
			goto nomem;
		for (uint32_t i = 0; i < r->n_buckets; i++)
			r->heads[i] = NIL;
		for (uint32_t i = 0; i < n; i++)
			r->next[i] = i + 1 < n ? i + 1 : NIL;
		r->free_head = 0;
	}
	*out = &r->map;
	return 0;
nomem:
	redir_free(&r->map);
	return -ENOMEM;
}

/* ---- slots ---- */

static void slot_write(struct redir *r, uint32_t s, uint32_t a, uint32_t b)
{
	__atomic_store_n(&r->vals[s][0], a, __ATOMIC_RELAXED);
	__atomic_store_n(&r->vals[s][1], b, __ATOMIC_RELAXED);
}

static void slot_read(struct redir *r, uint32_t s, void *value, uint32_t n)
{
	uint32_t v[2];
	v[0] = __atomic_load_n(&r->vals[s][0], __ATOMIC_RELAXED);
	v[1] = __atomic_load_n(&r->vals[s][1], __ATOMIC_RELAXED);
	memcpy(value, v, n);
}

static int is_present(struct redir *r, uint32_t i)
{
	return __atomic_load_n(&r->present[i], __ATOMIC_ACQUIRE) != 0;
}

static void set_present(struct redir *r, uint32_t i, int on)
{
	__atomic_store_n(&r->present[i], (uint8_t)(on != 0), __ATOMIC_RELEASE);
}

/* devmap_hash: the slot holding key k, or NIL (lock held) */
static uint32_t hash_find(struct redir *r, uint32_t k, uint32_t **link)
{
	uint32_t *l = &r->heads[k & (r->n_buckets - 1)];
	while (*l != NIL && r->keys[*l] != k)
		l = &r->next[*l];
	if (link)
		*link = l;
	return *l;
}

/* The entry's 8 value bytes (ifindex, program id) from the caller's
 * value_size bytes: what __dev_map_alloc_node checks.  -EINVAL for an
 * unknown interface or program. */
static int dev_value(struct bpftk_map *m, const void *value, uint32_t v[2])
{
	char name[IF_NAMESIZE];
	int32_t fd;
	v[0] = v[1] = 0;
	memcpy(v, value, m->value_size);
	if (!if_indextoname(v[0], name))
		return -EINVAL;
	memcpy(&fd, &v[1], 4);
	if (fd > 0) {
		void *prog = maps_prog_by_id(m, (uint32_t)fd);
		if (!prog)
			return -EINVAL;
		v[1] = maps_prog_id(m, prog);
	} else {
		v[1] = 0;
	}
	return 0;
}

/* ---- devmap, cpumap, xskmap: by index ---- */

static int arr_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			  uint64_t flags)
{
	uint32_t i = key_u32(key);
	(void)flags;
	if (m->type == BPFTK_MAP_TYPE_XSKMAP)
		return -EOPNOTSUPP; /* xsk_map_lookup_elem_sys_only */
	if (i >= m->max_entries || !is_present(rd(m), i))
		return -ENOENT;
	slot_read(rd(m), i, value, m->value_size);
	return 0;
}

/* Stores v (or clears the index when v is NULL) under the lock. */
static void arr_store(struct redir *r, uint32_t i, const uint32_t *v)
{
	maps_spin_lock(&r->lock);
	if (v) {
		set_present(r, i, 0);
		slot_write(r, i, v[0], v[1]);
	}
	set_present(r, i, v != NULL);
	maps_spin_unlock(&r->lock);
}

/* __dev_map_update_elem */
static int devmap_sys_update(struct bpftk_map *m, const void *key,
			     const void *value, uint64_t flags)
{
	uint32_t i = key_u32(key), v[2] = {0, 0};
	int32_t fd;
	int err;
	if (flags > BPFTK_EXIST)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags == BPFTK_NOEXIST)
		return -EEXIST;
	memcpy(v, value, m->value_size);
	if (!v[0]) {
		memcpy(&fd, &v[1], 4);
		if (fd > 0)
			return -EINVAL; /* no program without a device */
		arr_store(rd(m), i, NULL);
		return 0;
	}
	if ((err = dev_value(m, value, v)))
		return err;
	arr_store(rd(m), i, v);
	return 0;
}

/* cpu_map_update_elem */
static int cpumap_sys_update(struct bpftk_map *m, const void *key,
			     const void *value, uint64_t flags)
{
	uint32_t i = key_u32(key), v[2] = {0, 0};
	int32_t fd;
	memcpy(v, value, m->value_size);
	if (flags > BPFTK_EXIST)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags == BPFTK_NOEXIST)
		return -EEXIST;
	if (v[0] > CPUMAP_MAX_QSIZE)
		return -EOVERFLOW;
	if (i >= m->ncpus)
		return -ENODEV; /* not a possible CPU */
	if (!v[0]) {
		arr_store(rd(m), i, NULL); /* same as deleting */
		return 0;
	}
	memcpy(&fd, &v[1], 4);
	if (fd > 0) {
		void *prog = maps_prog_by_id(m, (uint32_t)fd);
		if (!prog)
			return -ENOMEM; /* __cpu_map_entry_alloc failed */
		v[1] = maps_prog_id(m, prog);
	} else {
		v[1] = 0;
	}
	arr_store(rd(m), i, v);
	return 0;
}

/* xsk_map_update_elem: sockfd_lookup can find no AF_XDP socket here */
static int xsk_sys_update(struct bpftk_map *m, const void *key,
			  const void *value, uint64_t flags)
{
	(void)value;
	if (flags > BPFTK_EXIST)
		return -EINVAL;
	if (key_u32(key) >= m->max_entries)
		return -E2BIG;
	return -EOPNOTSUPP;
}

/* dev_map_delete_elem, cpu_map_delete_elem, xsk_map_delete_elem: an
 * empty index deletes fine */
static int arr_delete(struct bpftk_map *m, const void *key)
{
	uint32_t i = key_u32(key);
	if (i >= m->max_entries)
		return -EINVAL;
	arr_store(rd(m), i, NULL);
	return 0;
}

static int arr_get_next_key(struct bpftk_map *m, const void *key, void *next)
{
	return maps_index_next_key(m->max_entries, key, next);
}

/* dev_map_lookup_elem / xsk_map_lookup_elem from a program */
static void *arr_lookup(struct bpftk_map *m, const void *key, unsigned cpu)
{
	uint32_t i = key_u32(key);
	(void)cpu;
	if (i >= m->max_entries || !is_present(rd(m), i))
		return NULL;
	return rd(m)->vals[i];
}

/* ---- devmap_hash ---- */

static int hash_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			   uint64_t flags)
{
	struct redir *r = rd(m);
	int err = -ENOENT;
	(void)flags;
	maps_spin_lock(&r->lock);
	uint32_t s = hash_find(r, key_u32(key), NULL);
	if (s != NIL) {
		slot_read(r, s, value, m->value_size);
		err = 0;
	}
	maps_spin_unlock(&r->lock);
	return err;
}

/* __dev_map_hash_update_elem: BPF_EXIST does not require the key; an
 * update moves the entry to the head of its bucket. */
static int hash_sys_update(struct bpftk_map *m, const void *key,
			   const void *value, uint64_t flags)
{
	struct redir *r = rd(m);
	uint32_t k = key_u32(key), v[2] = {0, 0}, *link, s;
	int err;
	memcpy(v, value, m->value_size);
	if (flags > BPFTK_EXIST || !v[0])
		return -EINVAL;
	maps_spin_lock(&r->lock);
	s = hash_find(r, k, &link);
	if (s != NIL && (flags & BPFTK_NOEXIST)) {
		err = -EEXIST;
		goto out;
	}
	if ((err = dev_value(m, value, v)))
		goto out;
	if (s != NIL) {
		*link = r->next[s]; /* unlink; re-added at the head */
	} else {
		if (r->items >= m->max_entries) {
			err = -E2BIG;
			goto out;
		}
		s = r->free_head;
		r->free_head = r->next[s];
		r->keys[s] = k;
		r->items++;
	}
	slot_write(r, s, v[0], v[1]);
	uint32_t *head = &r->heads[k & (r->n_buckets - 1)];
	r->next[s] = *head;
	*head = s;
out:
	maps_spin_unlock(&r->lock);
	return err;
}

static int hash_delete(struct bpftk_map *m, const void *key)
{
	struct redir *r = rd(m);
	uint32_t *link, s;
	int err = -ENOENT;
	maps_spin_lock(&r->lock);
	s = hash_find(r, key_u32(key), &link);
	if (s != NIL) {
		*link = r->next[s];
		r->next[s] = r->free_head;
		r->free_head = s;
		r->items--;
		err = 0;
	}
	maps_spin_unlock(&r->lock);
	return err;
}

/* dev_map_hash_get_next_key */
static int hash_get_next_key(struct bpftk_map *m, const void *key, void *next)
{
	struct redir *r = rd(m);
	uint32_t b = 0, s = NIL;
	int err = -ENOENT;
	maps_spin_lock(&r->lock);
	if (key) {
		uint32_t k = key_u32(key);
		s = hash_find(r, k, NULL);
		if (s != NIL) {
			s = r->next[s];
			b = (k & (r->n_buckets - 1)) + 1;
		}
	}
	for (; s == NIL && b < r->n_buckets; b++)
		s = r->heads[b];
	if (s != NIL) {
		memcpy(next, &r->keys[s], 4);
		err = 0;
	}
	maps_spin_unlock(&r->lock);
	return err;
}

static void *hash_lookup(struct bpftk_map *m, const void *key, unsigned cpu)
{
	struct redir *r = rd(m);
	(void)cpu;
	maps_spin_lock(&r->lock);
	uint32_t s = hash_find(r, key_u32(key), NULL);
	maps_spin_unlock(&r->lock);
	return s == NIL ? NULL : r->vals[s];
}

/* ---- program side, embedders ---- */

int bpftk_map_redirect_lookup(struct bpftk_map *m, uint32_t key,
			      uint32_t value[2])
{
	uint32_t *v;
	if (!m)
		return -EINVAL;
	switch (m->type) {
	case BPFTK_MAP_TYPE_DEVMAP_HASH:
		v = hash_lookup(m, &key, 0);
		break;
	case BPFTK_MAP_TYPE_DEVMAP:
	case BPFTK_MAP_TYPE_CPUMAP:
	case BPFTK_MAP_TYPE_XSKMAP:
		v = arr_lookup(m, &key, 0);
		break;
	default:
		return -EINVAL;
	}
	if (!v)
		return -ENOENT;
	if (value) {
		value[0] = __atomic_load_n(&v[0], __ATOMIC_RELAXED);
		value[1] = __atomic_load_n(&v[1], __ATOMIC_RELAXED);
	}
	return 0;
}

int bpftk_map_xsk_attach(struct bpftk_map *m, uint32_t index,
			 uint32_t queue_id)
{
	uint32_t v[2] = {queue_id, 0};
	if (!m || m->type != BPFTK_MAP_TYPE_XSKMAP)
		return -EINVAL;
	if (index >= m->max_entries)
		return -E2BIG;
	arr_store(rd(m), index, v);
	return 0;
}

/* ---- the types ---- */

const struct map_ops maps_devmap_ops = {
	.type = BPFTK_MAP_TYPE_DEVMAP,
	.name = "devmap",
	.traits = MAPS_T_INNER_OK,
	.check = dev_check,
	.alloc = redir_alloc,
	.free = redir_free,
	.sys_lookup = arr_sys_lookup,
	.sys_update = devmap_sys_update,
	.delete = arr_delete,
	.get_next_key = arr_get_next_key,
	.lookup = arr_lookup,
};

const struct map_ops maps_devmap_hash_ops = {
	.type = BPFTK_MAP_TYPE_DEVMAP_HASH,
	.name = "devmap_hash",
	.traits = MAPS_T_INNER_OK,
	.check = dev_check,
	.alloc = redir_alloc,
	.free = redir_free,
	.sys_lookup = hash_sys_lookup,
	.sys_update = hash_sys_update,
	.delete = hash_delete,
	.get_next_key = hash_get_next_key,
	.lookup = hash_lookup,
};

/* programs may not look cpumap entries up (the verifier allows only
 * bpf_redirect_map on them): no .lookup */
const struct map_ops maps_cpumap_ops = {
	.type = BPFTK_MAP_TYPE_CPUMAP,
	.name = "cpumap",
	.traits = MAPS_T_INNER_OK,
	.check = cpu_check,
	.alloc = redir_alloc,
	.free = redir_free,
	.sys_lookup = arr_sys_lookup,
	.sys_update = cpumap_sys_update,
	.delete = arr_delete,
	.get_next_key = arr_get_next_key,
};

const struct map_ops maps_xskmap_ops = {
	.type = BPFTK_MAP_TYPE_XSKMAP,
	.name = "xskmap",
	.traits = MAPS_T_INNER_OK | MAPS_T_META_MAX,
	.check = xsk_check,
	.alloc = redir_alloc,
	.free = redir_free,
	.sys_lookup = arr_sys_lookup,
	.sys_update = xsk_sys_update,
	.delete = arr_delete,
	.get_next_key = arr_get_next_key,
	.lookup = arr_lookup,
};
