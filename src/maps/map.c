/* map.c — map sets, creation and the dispatch of every command through the
 * type's ops table.
 *
 * This file plays the kernel's syscall layer (kernel/bpf/syscall.c): the
 * checks common to all types happen here in the kernel's order (command
 * flags, access rights from BPF_F_RDONLY/WRONLY and freezing, BPF_F_LOCK on
 * maps without a lock, NULL pointers that copy_from_user would fault on),
 * then the type's own function runs.  Adding a type means one ops table in
 * its family file and one line in `types` below.
 *
 * Lifetime: a map holds references (the creator's, and one per map-in-map
 * slot that stores it); the last bpftk_map_free / slot release frees it.  A
 * set frees whatever is left when it goes.  The set's mutex guards its list
 * and ids only; maps do their own locking.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "maps_int.h"

struct bpftk_map_set {
	pthread_mutex_t lock;
	struct bpftk_map *head, *tail;
	uint32_t next_id;
	struct bpftk_map_set_opts opts;
};

static const struct map_ops *const types[] = {
	&maps_hash_ops,		&maps_array_ops,	&maps_prog_array_ops,
	&maps_percpu_hash_ops,	&maps_percpu_array_ops, &maps_lru_hash_ops,
	&maps_lru_percpu_hash_ops, &maps_lpm_ops,	&maps_array_of_maps_ops,
	&maps_hash_of_maps_ops, &maps_queue_ops,	&maps_stack_ops,
	&maps_ringbuf_ops,	&maps_bloom_ops,	&maps_perf_event_array_ops,
	&maps_devmap_ops,	&maps_devmap_hash_ops,	&maps_cpumap_ops,
	&maps_xskmap_ops,	&maps_cgroup_array_ops,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static const struct map_ops *find_ops(uint32_t type)
{
	for (size_t i = 0; i < NTYPES; i++)
		if ((uint32_t)types[i]->type == type)
			return types[i];
	return NULL;
}

const char *bpftk_map_type_name(enum bpftk_map_type type)
{
	const struct map_ops *ops = find_ops((uint32_t)type);
	return ops ? ops->name : NULL;
}

int bpftk_map_type_from_name(const char *name)
{
	for (size_t i = 0; name && i < NTYPES; i++)
		if (!strcmp(types[i]->name, name))
			return (int)types[i]->type;
	return -EINVAL;
}

/* ---- possible CPUs -------------------------------------------------------- */

/* Counts the CPUs of a list like "0-3,8,10-11" (the kernel's cpulist
 * format); 0 when malformed. */
static unsigned count_cpulist(const char *s)
{
	unsigned n = 0;
	while (*s && *s != '\n') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			return 0;
		s = end;
		if (*s == '-') {
			b = strtoul(s + 1, &end, 10);
			if (end == s + 1 || b < a)
				return 0;
			s = end;
		}
		n += (unsigned)(b - a + 1);
		if (*s == ',')
			s++;
	}
	return n;
}

unsigned bpftk_map_possible_cpus(void)
{
	static unsigned cached;
	unsigned n = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (n)
		return n;
	char buf[256];
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			n = count_cpulist(buf);
		fclose(f);
	}
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_CONF);
		n = c > 0 ? (unsigned)c : 1;
	}
	__atomic_store_n(&cached, n, __ATOMIC_RELAXED);
	return n;
}

/* ---- sets ----------------------------------------------------------------- */

int bpftk_map_set_new(const struct bpftk_map_set_opts *opts,
		      struct bpftk_map_set **out)
{
	struct bpftk_map_set_opts o;
	if (!out)
		return -EINVAL;
	*out = NULL;
	memset(&o, 0, sizeof(o));
	if (opts && bpftk_opts_copy(&o, sizeof(o), opts))
		return -EINVAL;
	o.sz = sizeof(o);
	if (!o.ncpus)
		o.ncpus = bpftk_map_possible_cpus();
	struct bpftk_map_set *s = bpftk_calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (pthread_mutex_init(&s->lock, NULL)) {
		bpftk_free(s);
		return -ENOMEM;
	}
	s->opts = o;
	s->next_id = 1;
	*out = s;
	return 0;
}

static void destroy(struct bpftk_map *m)
{
	m->ops->free(m);
}

void bpftk_map_set_free(struct bpftk_map_set *set)
{
	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	struct bpftk_map *list = set->head;
	set->head = set->tail = NULL;
	pthread_mutex_unlock(&set->lock);
	/* first empty every map-in-map slot without dropping references (the
	 * inner maps die here anyway), then free */
	for (struct bpftk_map *m = list; m; m = m->set_next)
		if (m->ops->release_slots)
			m->ops->release_slots(m, 0);
	while (list) {
		struct bpftk_map *next = list->set_next;
		destroy(list);
		list = next;
	}
	pthread_mutex_destroy(&set->lock);
	bpftk_free(set);
}

struct bpftk_map *bpftk_map_set_find(struct bpftk_map_set *set, uint32_t id)
{
	struct bpftk_map *m;
	if (!set || !id)
		return NULL;
	pthread_mutex_lock(&set->lock);
	for (m = set->head; m && m->id != id; m = m->set_next)
		;
	pthread_mutex_unlock(&set->lock);
	return m;
}

struct bpftk_map *bpftk_map_set_find_name(struct bpftk_map_set *set,
					  const char *name)
{
	struct bpftk_map *m;
	if (!set || !name)
		return NULL;
	pthread_mutex_lock(&set->lock);
	for (m = set->head; m && strcmp(m->name, name); m = m->set_next)
		;
	pthread_mutex_unlock(&set->lock);
	return m;
}

unsigned bpftk_map_set_ncpus(const struct bpftk_map_set *set)
{
	return set ? set->opts.ncpus : bpftk_map_possible_cpus();
}

static void set_add(struct bpftk_map_set *set, struct bpftk_map *m)
{
	pthread_mutex_lock(&set->lock);
	m->id = set->next_id++;
	m->set_next = NULL;
	if (set->tail)
		set->tail->set_next = m;
	else
		set->head = m;
	set->tail = m;
	pthread_mutex_unlock(&set->lock);
}

static void set_remove(struct bpftk_map_set *set, struct bpftk_map *m)
{
	struct bpftk_map *prev = NULL, *p;
	pthread_mutex_lock(&set->lock);
	for (p = set->head; p && p != m; p = p->set_next)
		prev = p;
	if (p) {
		if (prev)
			prev->set_next = m->set_next;
		else
			set->head = m->set_next;
		if (set->tail == m)
			set->tail = prev;
	}
	pthread_mutex_unlock(&set->lock);
}

/* ---- references ----------------------------------------------------------- */

void maps_ref_get(struct bpftk_map *m)
{
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void maps_ref_put(struct bpftk_map *m)
{
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (m->set)
		set_remove(m->set, m);
	if (m->ops->release_slots)
		m->ops->release_slots(m, 1);
	destroy(m);
}

void bpftk_map_free(struct bpftk_map *map)
{
	if (map)
		maps_ref_put(map);
}

/* The kernel's bpf_map_meta_equal, plus array_map_meta_equal's max_entries
 * rule. */
static int meta_equal(const struct map_meta *t, const struct bpftk_map *m)
{
	if (t->type != m->type || t->key_size != m->key_size ||
	    t->value_size != m->value_size || t->map_flags != m->map_flags ||
	    t->lock_off != m->lock_off)
		return 0;
	if ((m->ops->traits & MAPS_T_META_MAX) &&
	    !(t->map_flags & BPFTK_F_INNER_MAP) &&
	    t->max_entries != m->max_entries)
		return 0;
	return 1;
}

int maps_inner_check(struct bpftk_map *outer, struct bpftk_map *inner)
{
	if (!outer->has_inner || inner->has_inner || inner->set != outer->set ||
	    !meta_equal(&outer->inner, inner))
		return -EINVAL;
	return 0;
}

int maps_inner_get_id(struct bpftk_map *outer, uint32_t id,
		      struct bpftk_map **inner)
{
	struct bpftk_map_set *set = outer->set;
	struct bpftk_map *m;
	*inner = NULL;
	if (!set || !id)
		return -EBADF;
	pthread_mutex_lock(&set->lock);
	for (m = set->head; m && m->id != id; m = m->set_next)
		;
	if (m) {
		/* take a reference unless the map is already dying */
		int r = __atomic_load_n(&m->refs, __ATOMIC_RELAXED);
		while (r > 0 && !__atomic_compare_exchange_n(
					&m->refs, &r, r + 1, 0,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			;
		if (r <= 0)
			m = NULL;
	}
	pthread_mutex_unlock(&set->lock);
	if (!m)
		return -EBADF;
	if (maps_inner_check(outer, m)) {
		maps_ref_put(m);
		return -EINVAL;
	}
	*inner = m;
	return 0;
}

int maps_index_next_key(uint32_t max, const void *key, void *next)
{
	uint32_t i = UINT32_MAX, n;
	if (key)
		memcpy(&i, key, 4);
	if (i >= max) {
		n = 0;
	} else {
		if (i == max - 1)
			return -ENOENT;
		n = i + 1;
	}
	memcpy(next, &n, 4);
	return 0;
}

void *maps_prog_by_id(struct bpftk_map *m, uint32_t id)
{
	if (!m->set || !m->set->opts.prog_by_id)
		return NULL;
	return m->set->opts.prog_by_id(m->set->opts.prog_ctx, id);
}

uint32_t maps_prog_id(struct bpftk_map *m, void *prog)
{
	if (!m->set || !m->set->opts.prog_id)
		return 0;
	return m->set->opts.prog_id(m->set->opts.prog_ctx, prog);
}

/* ---- creation ------------------------------------------------------------- */

int maps_reject(struct bpftk_diags *d, const struct bpftk_map_create_opts *o,
		int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *name = o && o->name ? o->name : "";
	bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
			"map '%.15s': %s", name, msg);
	return err;
}

int maps_access_ok(uint32_t map_flags)
{
	return (map_flags & (BPFTK_F_RDONLY_PROG | BPFTK_F_WRONLY_PROG)) !=
	       (BPFTK_F_RDONLY_PROG | BPFTK_F_WRONLY_PROG);
}

/* The kernel's bpf_obj_name_cpy: [A-Za-z0-9_.], NUL within 16 bytes. */
static int name_ok(const char *s)
{
	size_t i;
	if (!s)
		return 1;
	for (i = 0; i < BPFTK_MAP_NAME_LEN && s[i]; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return 0;
	}
	return i < BPFTK_MAP_NAME_LEN;
}

static int check_inner(const struct bpftk_map_create_opts *o,
		       struct bpftk_map *proto, struct bpftk_diags *d)
{
	const struct bpftk_map *t = o->inner_map;
	if (!t)
		return maps_reject(d, o, -EINVAL,
				   "a map of maps needs an inner map template");
	if (t->has_inner)
		return maps_reject(d, o, -EINVAL,
				   "inner map '%s' is itself a map of maps",
				   t->name);
	if (!(t->ops->traits & MAPS_T_INNER_OK))
		return maps_reject(d, o, -BPFTK_ENOTSUPP,
				   "%s maps cannot be inner maps", t->ops->name);
	proto->has_inner = 1;
	proto->inner.type = t->type;
	proto->inner.key_size = t->key_size;
	proto->inner.value_size = t->value_size;
	proto->inner.map_flags = t->map_flags;
	proto->inner.max_entries = t->max_entries;
	proto->inner.lock_off = t->lock_off;
	return 0;
}

int bpftk_map_create(struct bpftk_map_set *set,
		     const struct bpftk_map_create_opts *opts,
		     struct bpftk_map **out, struct bpftk_diags *d)
{
	struct bpftk_map_create_opts o;
	struct bpftk_map proto, *m = NULL;
	const struct map_ops *ops;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!opts || bpftk_opts_copy(&o, sizeof(o), opts))
		return maps_reject(d, NULL, -EINVAL, "bad options struct");
	unsigned ncpus = bpftk_map_set_ncpus(set);

	/* map_create() in the kernel, before the type's checks */
	if (o.map_extra && o.type != BPFTK_MAP_TYPE_BLOOM_FILTER)
		return maps_reject(d, &o, -EINVAL,
				   "map_extra is only for bloom filters");
	if ((o.map_flags & BPFTK_F_RDONLY) && (o.map_flags & BPFTK_F_WRONLY))
		return maps_reject(d, &o, -EINVAL,
				   "BPF_F_RDONLY and BPF_F_WRONLY together");
	if ((o.map_flags & BPFTK_F_NUMA_NODE) && o.numa_node != 0)
		return maps_reject(d, &o, -EINVAL, "NUMA node %u is not online",
				   o.numa_node);
	ops = find_ops((uint32_t)o.type);
	if (!ops)
		return maps_reject(d, &o, -EINVAL, "unsupported map type %u",
				   (unsigned)o.type);
	err = ops->check(&o, ncpus, d);
	if (err)
		return err;

	memset(&proto, 0, sizeof(proto));
	proto.ops = ops;
	proto.type = o.type;
	proto.key_size = o.key_size;
	proto.value_size = o.value_size;
	proto.max_entries = o.max_entries;
	proto.map_flags = o.map_flags;
	proto.map_extra = o.map_extra;
	proto.ncpus = ncpus;
	proto.stride = (uint32_t)MAPS_ROUND8(o.value_size);
	proto.lock_off = -1;
	proto.refs = 1;
	if (o.has_spin_lock)
		proto.lock_off = (int)o.spin_lock_off;
	if (o.type == BPFTK_MAP_TYPE_ARRAY_OF_MAPS ||
	    o.type == BPFTK_MAP_TYPE_HASH_OF_MAPS) {
		err = check_inner(&o, &proto, d);
		if (err)
			return err;
	}

	err = ops->alloc(&proto, &m);
	if (err)
		return maps_reject(d, &o, err, "cannot allocate %u entries of "
				   "%u+%u bytes", o.max_entries, o.key_size,
				   o.value_size);
	/* what the kernel checks after allocating: the name, then BTF */
	if (!name_ok(o.name)) {
		err = maps_reject(d, &o, -EINVAL,
				  "name must be at most 15 characters of "
				  "[A-Za-z0-9_.]");
		goto fail;
	}
	if (o.name)
		memcpy(m->name, o.name, strlen(o.name) + 1);
	if (o.has_spin_lock) {
		if (!(ops->traits & MAPS_T_LOCK_OK)) {
			err = maps_reject(d, &o, -EOPNOTSUPP,
					  "%s maps cannot hold a bpf_spin_lock",
					  ops->name);
			goto fail;
		}
		if ((o.spin_lock_off & 3) ||
		    (uint64_t)o.spin_lock_off + 4 > o.value_size) {
			err = maps_reject(d, &o, -EINVAL,
					  "bpf_spin_lock at offset %u does not "
					  "fit a 4-aligned slot of the value",
					  o.spin_lock_off);
			goto fail;
		}
	}
	m->set = set;
	if (set)
		set_add(set, m);
	*out = m;
	return 0;
fail:
	m->ops->free(m);
	return err;
}

/* ---- info ----------------------------------------------------------------- */

uint32_t bpftk_map_user_value_size(const struct bpftk_map *m)
{
	if (!m)
		return 0;
	if (m->ops->traits & MAPS_T_PERCPU)
		return m->stride * m->ncpus;
	if (m->ops->traits & MAPS_T_FD)
		return 4;
	return m->value_size;
}

int bpftk_map_get_info(const struct bpftk_map *m, struct bpftk_map_info *info)
{
	if (!m || !info || info->sz < sizeof(size_t))
		return -EINVAL;
	struct bpftk_map_info i;
	memset(&i, 0, sizeof(i));
	i.sz = sizeof(i);
	i.type = m->type;
	i.id = m->id;
	i.key_size = m->key_size;
	i.value_size = m->value_size;
	i.max_entries = m->max_entries;
	/* bpf_map_flags_retain_permanent: the access flags belong to the
	 * kernel's fd, not to the map */
	i.map_flags = m->map_flags & ~(BPFTK_F_RDONLY | BPFTK_F_WRONLY);
	i.map_extra = m->map_extra;
	i.ncpus = m->ncpus;
	i.user_value_size = bpftk_map_user_value_size(m);
	memcpy(i.name, m->name, sizeof(i.name));
	size_t n = info->sz < sizeof(i) ? info->sz : sizeof(i);
	memcpy(info, &i, n);
	info->sz = n;
	return 0;
}

enum bpftk_map_type bpftk_map_type(const struct bpftk_map *m)
{
	return m ? m->type : (enum bpftk_map_type)0;
}

const char *bpftk_map_name(const struct bpftk_map *m)
{
	return m ? m->name : NULL;
}

uint32_t bpftk_map_id(const struct bpftk_map *m)
{
	return m ? m->id : 0;
}

/* ---- userspace commands --------------------------------------------------- */

static int can_read(const struct bpftk_map *m)
{
	return !(m->map_flags & BPFTK_F_WRONLY);
}

static int can_write(struct bpftk_map *m)
{
	return !(m->map_flags & BPFTK_F_RDONLY) &&
	       !__atomic_load_n(&m->frozen, __ATOMIC_ACQUIRE);
}

/* __bpf_copy_key: keyless maps take no key, the others fault on NULL. */
static int key_arg(const struct bpftk_map *m, const void *key)
{
	if (!m->key_size)
		return key ? -EINVAL : 0;
	return key ? 0 : -EFAULT;
}

static int value_arg(const struct bpftk_map *m, const void *value)
{
	return value || !bpftk_map_user_value_size(m) ? 0 : -EFAULT;
}

int bpftk_map_lookup_elem(struct bpftk_map *m, const void *key, void *value,
			  uint64_t flags)
{
	int err;
	if (!m)
		return -EBADF;
	if (flags & ~BPFTK_F_LOCK)
		return -EINVAL;
	if (!can_read(m))
		return -EPERM;
	if ((flags & BPFTK_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	if ((err = key_arg(m, key)) || (err = value_arg(m, value)))
		return err;
	return m->ops->sys_lookup(m, key, value, flags);
}

int bpftk_map_update_elem(struct bpftk_map *m, const void *key,
			  const void *value, uint64_t flags)
{
	int err;
	if (!m)
		return -EBADF;
	if (!can_write(m))
		return -EPERM;
	if ((flags & BPFTK_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	if ((err = key_arg(m, key)) || (err = value_arg(m, value)))
		return err;
	return m->ops->sys_update(m, key, value, flags);
}

int bpftk_map_delete_elem(struct bpftk_map *m, const void *key)
{
	int err;
	if (!m)
		return -EBADF;
	if (!can_write(m))
		return -EPERM;
	if ((err = key_arg(m, key)))
		return err;
	return m->ops->delete(m, key);
}

int bpftk_map_get_next_key(struct bpftk_map *m, const void *key,
			   void *next_key)
{
	if (!m)
		return -EBADF;
	if (!can_read(m))
		return -EPERM;
	if (key && !m->key_size)
		return -EINVAL;
	if (!next_key && m->key_size)
		return -EFAULT;
	return m->ops->get_next_key(m, key, next_key);
}

int bpftk_map_lookup_and_delete_elem(struct bpftk_map *m, const void *key,
				     void *value, uint64_t flags)
{
	int err;
	if (!m)
		return -EBADF;
	if (flags & ~BPFTK_F_LOCK)
		return -EINVAL;
	if (!can_read(m) || !can_write(m))
		return -EPERM;
	if (flags && (m->type == BPFTK_MAP_TYPE_QUEUE ||
		      m->type == BPFTK_MAP_TYPE_STACK))
		return -EINVAL;
	if ((flags & BPFTK_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	if ((err = key_arg(m, key)))
		return err;
	if (!m->ops->sys_lookup_and_delete)
		return -BPFTK_ENOTSUPP;
	if ((err = value_arg(m, value)))
		return err;
	return m->ops->sys_lookup_and_delete(m, key, value, flags);
}

int bpftk_map_freeze(struct bpftk_map *m)
{
	int expect = 0;
	if (!m)
		return -EBADF;
	if (m->lock_off >= 0)
		return -BPFTK_ENOTSUPP;
	/* a frozen map is not writable any more: freezing again is -EPERM,
	 * as in Linux */
	if ((m->map_flags & BPFTK_F_RDONLY) ||
	    !__atomic_compare_exchange_n(&m->frozen, &expect, 1, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return -EPERM;
	return 0;
}

/* ---- program side --------------------------------------------------------- */

void *bpftk_map_prog_lookup(struct bpftk_map *m, const void *key, unsigned cpu)
{
	if (!m || !m->ops->lookup || (m->key_size && !key))
		return NULL;
	return m->ops->lookup(m, key, cpu);
}

void *bpftk_map_prog_lookup_percpu(struct bpftk_map *m, const void *key,
				   unsigned cpu)
{
	if (!m || !(m->ops->traits & MAPS_T_PERCPU))
		return NULL;
	return bpftk_map_prog_lookup(m, key, cpu);
}

int bpftk_map_prog_update(struct bpftk_map *m, const void *key,
			  const void *value, uint64_t flags, unsigned cpu)
{
	if (!m)
		return -EINVAL;
	if (!m->ops->update || (m->key_size && !key) || !value)
		return -EINVAL;
	if ((flags & BPFTK_F_LOCK) && m->lock_off < 0)
		return -EINVAL;
	return m->ops->update(m, key, value, flags, cpu);
}

int bpftk_map_prog_delete(struct bpftk_map *m, const void *key)
{
	if (!m || (m->ops->traits & MAPS_T_FD) || (m->key_size && !key))
		return -EINVAL;
	return m->ops->delete(m, key);
}

int bpftk_map_prog_push(struct bpftk_map *m, const void *value,
			uint64_t flags)
{
	if (!m || !m->ops->push || !value)
		return -EINVAL;
	return m->ops->push(m, value, flags);
}

int bpftk_map_prog_pop(struct bpftk_map *m, void *value)
{
	if (!m || !m->ops->pop || !value)
		return -EINVAL;
	return m->ops->pop(m, value);
}

int bpftk_map_prog_peek(struct bpftk_map *m, void *value)
{
	if (!m || !m->ops->peek || !value)
		return -EINVAL;
	return m->ops->peek(m, value);
}

int bpftk_map_prog_array_update(struct bpftk_map *m, uint32_t index,
				void *prog)
{
	if (!m || m->type != BPFTK_MAP_TYPE_PROG_ARRAY || !prog)
		return -EINVAL;
	return m->ops->update_ptr(m, &index, prog, BPFTK_ANY);
}

int bpftk_map_inner_update(struct bpftk_map *outer, const void *key,
			   struct bpftk_map *inner, uint64_t flags)
{
	int err;
	if (!outer || !inner || !key || !outer->has_inner)
		return -EINVAL;
	if ((err = maps_inner_check(outer, inner)))
		return err;
	maps_ref_get(inner);
	err = outer->ops->update_ptr(outer, key, inner, flags);
	if (err)
		maps_ref_put(inner);
	return err;
}
