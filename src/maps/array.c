/* array.c — array, per-CPU array, prog array, array of maps, perf event
 * array and cgroup array (the kernel's arraymap.c family).
 *
 * Invariants: every index exists from creation on (keys are 4-byte indexes
 * below max_entries), so storage is one block allocated with the map and
 * program pointers into it are stable for the map's life.  Values are
 * padded to 8 bytes (elem_size = round_up(value_size, 8)); a per-CPU
 * element is ncpus such values side by side.  Fd-style arrays (prog array,
 * array of maps) hold pointers, swapped atomically; an array of maps holds
 * a reference on every inner map it stores.  Plain copies take no lock,
 * like the kernel: BPF_F_LOCK copies take the value's own spin lock.
 * A perf event array's slots hold the caller's struct bpftk_perf_sink
 * (borrowed) where the kernel holds perf events: userspace has no perf
 * event fds to store, so its updates fail like a non-perf fd (-EBADF);
 * cgroup arrays likewise stay empty (no cgroup fds).
 */
#include "maps_int.h"

struct array {
	struct bpftk_map map;
	uint32_t elem;	       /* bytes per index */
	unsigned char *values; /* max_entries * elem (value arrays) */
	void **slots;	       /* max_entries pointers (fd arrays) */
};

#define ARRAY_FLAGS                                                        \
	(BPFTK_F_NUMA_NODE | BPFTK_F_MMAPABLE | MAPS_F_ACCESS |            \
	 BPFTK_F_PRESERVE_ELEMS | BPFTK_F_INNER_MAP)

static struct array *arr(struct bpftk_map *m)
{
	return (struct array *)m;
}

static uint32_t key_index(const void *key)
{
	uint32_t i;
	memcpy(&i, key, 4);
	return i;
}

/* ---- creation ---- */

/* array_map_alloc_check */
static int array_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		       struct bpftk_diags *d)
{
	int percpu = o->type == BPFTK_MAP_TYPE_PERCPU_ARRAY;
	(void)ncpus;
	if (!o->max_entries)
		return maps_reject(d, o, -EINVAL, "max_entries must be > 0");
	if (o->key_size != 4)
		return maps_reject(d, o, -EINVAL,
				   "array keys are 4 bytes, not %u",
				   o->key_size);
	if (!o->value_size)
		return maps_reject(d, o, -EINVAL, "value_size must be > 0");
	if ((o->map_flags & ~ARRAY_FLAGS) || !maps_access_ok(o->map_flags) ||
	    (percpu && (o->map_flags & BPFTK_F_NUMA_NODE)))
		return maps_reject(d, o, -EINVAL,
				   "map_flags 0x%x not allowed for %s maps",
				   o->map_flags, bpftk_map_type_name(o->type));
	if (o->type != BPFTK_MAP_TYPE_ARRAY &&
	    (o->map_flags & (BPFTK_F_MMAPABLE | BPFTK_F_INNER_MAP)))
		return maps_reject(d, o, -EINVAL,
				   "BPF_F_MMAPABLE and BPF_F_INNER_MAP are for "
				   "plain arrays");
	if (o->type != BPFTK_MAP_TYPE_PERF_EVENT_ARRAY &&
	    (o->map_flags & BPFTK_F_PRESERVE_ELEMS))
		return maps_reject(d, o, -EINVAL,
				   "BPF_F_PRESERVE_ELEMS is for perf event "
				   "arrays");
	if (o->value_size > 0x7fffffffu)
		return maps_reject(d, o, -E2BIG, "value_size %u too large",
				   o->value_size);
	if (percpu && MAPS_ROUND8(o->value_size) > MAPS_PCPU_MIN_UNIT_SIZE)
		return maps_reject(d, o, -E2BIG,
				   "per-CPU values are at most %u bytes",
				   MAPS_PCPU_MIN_UNIT_SIZE);
	return 0;
}

/* fd_array_map_alloc_check */
static int fd_array_check(const struct bpftk_map_create_opts *o,
			  unsigned ncpus, struct bpftk_diags *d)
{
	if (o->value_size != 4)
		return maps_reject(d, o, -EINVAL,
				   "values of %s maps are 4-byte ids",
				   bpftk_map_type_name(o->type));
	if (o->map_flags & (BPFTK_F_RDONLY_PROG | BPFTK_F_WRONLY_PROG))
		return maps_reject(d, o, -EINVAL,
				   "program access flags are not supported for "
				   "%s maps", bpftk_map_type_name(o->type));
	return array_check(o, ncpus, d);
}

static int array_alloc(const struct bpftk_map *proto, struct bpftk_map **out)
{
	const struct map_ops *ops = proto->ops;
	struct array *a = bpftk_calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->map = *proto;
	if (ops->traits & MAPS_T_FD) {
		a->elem = sizeof(void *);
		a->slots = bpftk_calloc(proto->max_entries, sizeof(void *));
		if (!a->slots)
			goto nomem;
	} else {
		uint64_t elem = proto->stride;
		if (ops->traits & MAPS_T_PERCPU)
			elem *= proto->ncpus;
		if (elem > UINT32_MAX)
			goto nomem;
		a->elem = (uint32_t)elem;
		a->values = bpftk_calloc(proto->max_entries, a->elem);
		if (!a->values)
			goto nomem;
	}
	*out = &a->map;
	return 0;
nomem:
	bpftk_free(a);
	return -ENOMEM;
}

static void array_free(struct bpftk_map *m)
{
	bpftk_free(arr(m)->values);
	bpftk_free(arr(m)->slots);
	bpftk_free(m);
}

static unsigned char *elem_at(struct array *a, uint32_t i)
{
	return a->values + (size_t)i * a->elem;
}

/* ---- value arrays ---- */

static int array_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			    uint64_t flags)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key);
	if (i >= m->max_entries)
		return -ENOENT;
	maps_value_out(value, elem_at(a, i), m->value_size, m->lock_off,
		       (flags & BPFTK_F_LOCK) != 0);
	return 0;
}

static int array_update(struct bpftk_map *m, const void *key,
			const void *value, uint64_t flags, unsigned cpu)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key);
	(void)cpu;
	if ((flags & ~BPFTK_F_LOCK) > BPFTK_EXIST)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG; /* every element exists: none can be added */
	if (flags & BPFTK_NOEXIST)
		return -EEXIST;
	maps_value_in(elem_at(a, i), value, m->value_size, m->lock_off,
		      (flags & BPFTK_F_LOCK) != 0);
	return 0;
}

static int array_sys_update(struct bpftk_map *m, const void *key,
			    const void *value, uint64_t flags)
{
	return array_update(m, key, value, flags, 0);
}

static int array_delete(struct bpftk_map *m, const void *key)
{
	(void)m;
	(void)key;
	return -EINVAL; /* elements of arrays cannot be deleted */
}

static int array_get_next_key(struct bpftk_map *m, const void *key,
			      void *next)
{
	return maps_index_next_key(m->max_entries, key, next);
}

static void *array_lookup(struct bpftk_map *m, const void *key, unsigned cpu)
{
	uint32_t i = key_index(key);
	(void)cpu;
	return i < m->max_entries ? elem_at(arr(m), i) : NULL;
}

/* ---- per-CPU arrays ---- */

static int percpu_sys_lookup(struct bpftk_map *m, const void *key,
			     void *value, uint64_t flags)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key);
	(void)flags;
	if (i >= m->max_entries)
		return -ENOENT;
	maps_value_out(value, elem_at(a, i), a->elem, -1, 0);
	return 0;
}

static int percpu_sys_update(struct bpftk_map *m, const void *key,
			     const void *value, uint64_t flags)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key);
	if (flags > BPFTK_EXIST)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags == BPFTK_NOEXIST)
		return -EEXIST;
	maps_value_in(elem_at(a, i), value, a->elem, -1, 0);
	return 0;
}

static int percpu_update(struct bpftk_map *m, const void *key,
			 const void *value, uint64_t flags, unsigned cpu)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key);
	if ((flags & ~BPFTK_F_LOCK) > BPFTK_EXIST || cpu >= m->ncpus)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	if (flags & BPFTK_NOEXIST)
		return -EEXIST;
	maps_value_in(elem_at(a, i) + (size_t)cpu * m->stride, value,
		      m->value_size, -1, 0);
	return 0;
}

static void *percpu_lookup(struct bpftk_map *m, const void *key, unsigned cpu)
{
	uint32_t i = key_index(key);
	if (i >= m->max_entries || cpu >= m->ncpus)
		return NULL;
	return elem_at(arr(m), i) + (size_t)cpu * m->stride;
}

/* ---- fd arrays: prog array, array of maps ---- */

static int is_map_slot(const struct bpftk_map *m)
{
	return m->type == BPFTK_MAP_TYPE_ARRAY_OF_MAPS;
}

static int is_perf(const struct bpftk_map *m)
{
	return m->type == BPFTK_MAP_TYPE_PERF_EVENT_ARRAY;
}

/* fd arrays whose objects userspace cannot name here */
static int is_foreign(const struct bpftk_map *m)
{
	return is_perf(m) || m->type == BPFTK_MAP_TYPE_CGROUP_ARRAY;
}

static void *slot_load(struct array *a, uint32_t i)
{
	return __atomic_load_n(&a->slots[i], __ATOMIC_ACQUIRE);
}

static int fd_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			 uint64_t flags)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key), id;
	void *p;
	(void)flags;
	if (is_foreign(m))
		return -BPFTK_ENOTSUPP; /* no map_fd_sys_lookup_elem */
	if (i >= m->max_entries || !(p = slot_load(a, i)))
		return -ENOENT;
	id = is_map_slot(m) ? ((struct bpftk_map *)p)->id : maps_prog_id(m, p);
	memcpy(value, &id, 4);
	return 0;
}

static int fd_update_ptr(struct bpftk_map *m, const void *key, void *ptr,
			 uint64_t flags)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key);
	void *old;
	if (flags != BPFTK_ANY)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	old = __atomic_exchange_n(&a->slots[i], ptr, __ATOMIC_ACQ_REL);
	if (old && is_map_slot(m))
		maps_ref_put(old);
	return 0;
}

/* bpf_fd_array_map_update_elem: flags and index first, then the id */
static int fd_sys_update(struct bpftk_map *m, const void *key,
			 const void *value, uint64_t flags)
{
	uint32_t i = key_index(key), id;
	void *ptr;
	int err;
	if (flags != BPFTK_ANY)
		return -EINVAL;
	if (i >= m->max_entries)
		return -E2BIG;
	memcpy(&id, value, 4);
	if (is_foreign(m))
		return -EBADF; /* not a perf event / cgroup fd */
	if (is_map_slot(m)) {
		struct bpftk_map *inner;
		if ((err = maps_inner_get_id(m, id, &inner)))
			return err;
		ptr = inner;
	} else if (!(ptr = maps_prog_by_id(m, id))) {
		return -EBADF;
	}
	err = fd_update_ptr(m, key, ptr, flags);
	if (err && is_map_slot(m))
		maps_ref_put(ptr);
	return err;
}

static int fd_delete(struct bpftk_map *m, const void *key)
{
	struct array *a = arr(m);
	uint32_t i = key_index(key);
	void *old;
	if (i >= m->max_entries)
		return -E2BIG;
	old = __atomic_exchange_n(&a->slots[i], NULL, __ATOMIC_ACQ_REL);
	if (!old)
		return -ENOENT;
	if (is_map_slot(m))
		maps_ref_put(old);
	return 0;
}

static void *of_maps_lookup(struct bpftk_map *m, const void *key,
			    unsigned cpu)
{
	uint32_t i = key_index(key);
	(void)cpu;
	return i < m->max_entries ? slot_load(arr(m), i) : NULL;
}

static void fd_release_slots(struct bpftk_map *m, int drop)
{
	struct array *a = arr(m);
	for (uint32_t i = 0; i < m->max_entries; i++) {
		void *old = __atomic_exchange_n(&a->slots[i], NULL,
						__ATOMIC_ACQ_REL);
		if (old && drop && is_map_slot(m))
			maps_ref_put(old);
	}
}

void *bpftk_map_tail_call_target(struct bpftk_map *m, uint32_t index)
{
	if (!m || m->type != BPFTK_MAP_TYPE_PROG_ARRAY ||
	    index >= m->max_entries)
		return NULL;
	return slot_load(arr(m), index);
}

int bpftk_perf_event_array_attach(struct bpftk_map *m, uint32_t index,
				  const struct bpftk_perf_sink *sink)
{
	if (!m || !is_perf(m))
		return -EINVAL;
	if (index >= m->max_entries)
		return -E2BIG;
	__atomic_store_n(&arr(m)->slots[index], (void *)(uintptr_t)sink,
			 __ATOMIC_RELEASE);
	return 0;
}

/* __bpf_perf_event_output: the slot (BPF_F_CURRENT_CPU: this CPU's), an
 * attached sink, and the sink's CPU must be the caller's. */
int bpftk_perf_event_output(struct bpftk_map *m, unsigned cpu, uint64_t flags,
			    const void *data, uint64_t size, const void *tail,
			    uint64_t tail_size)
{
	const struct bpftk_perf_sink *s;
	uint64_t index = flags & BPFTK_F_INDEX_MASK;
	if (!m || !is_perf(m) || (flags & ~BPFTK_F_INDEX_MASK) ||
	    size + tail_size < size || (size && !data) ||
	    (tail_size && !tail))
		return -EINVAL;
	if (index == BPFTK_F_CURRENT_CPU)
		index = cpu;
	if (index >= m->max_entries)
		return -E2BIG;
	s = slot_load(arr(m), (uint32_t)index);
	if (!s || !s->fn)
		return -ENOENT;
	if (s->cpu != cpu)
		return -EOPNOTSUPP;
	if (!tail_size)
		return s->fn(s->ctx, cpu, data, (size_t)size);
	/* the kernel appends the packet bytes to the raw sample */
	if (size + tail_size > SIZE_MAX)
		return -E2BIG;
	unsigned char *buf = bpftk_malloc((size_t)(size + tail_size));
	if (!buf)
		return -ENOMEM;
	if (size)
		memcpy(buf, data, (size_t)size);
	memcpy(buf + size, tail, (size_t)tail_size);
	int err = s->fn(s->ctx, cpu, buf, (size_t)(size + tail_size));
	bpftk_free(buf);
	return err;
}

/* ---- the types ---- */

const struct map_ops maps_array_ops = {
	.type = BPFTK_MAP_TYPE_ARRAY,
	.name = "array",
	.traits = MAPS_T_INNER_OK | MAPS_T_META_MAX | MAPS_T_LOCK_OK,
	.check = array_check,
	.alloc = array_alloc,
	.free = array_free,
	.sys_lookup = array_sys_lookup,
	.sys_update = array_sys_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
	.lookup = array_lookup,
	.update = array_update,
};

const struct map_ops maps_percpu_array_ops = {
	.type = BPFTK_MAP_TYPE_PERCPU_ARRAY,
	.name = "percpu_array",
	.traits = MAPS_T_PERCPU | MAPS_T_INNER_OK | MAPS_T_META_MAX,
	.check = array_check,
	.alloc = array_alloc,
	.free = array_free,
	.sys_lookup = percpu_sys_lookup,
	.sys_update = percpu_sys_update,
	.delete = array_delete,
	.get_next_key = array_get_next_key,
	.lookup = percpu_lookup,
	.update = percpu_update,
};

const struct map_ops maps_prog_array_ops = {
	.type = BPFTK_MAP_TYPE_PROG_ARRAY,
	.name = "prog_array",
	.traits = MAPS_T_FD,
	.check = fd_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.release_slots = fd_release_slots,
	.sys_lookup = fd_sys_lookup,
	.sys_update = fd_sys_update,
	.delete = fd_delete,
	.get_next_key = array_get_next_key,
	.update_ptr = fd_update_ptr,
};

const struct map_ops maps_array_of_maps_ops = {
	.type = BPFTK_MAP_TYPE_ARRAY_OF_MAPS,
	.name = "array_of_maps",
	.traits = MAPS_T_FD | MAPS_T_INNER_OK,
	.check = fd_array_check,
	.alloc = array_alloc,
	.free = array_free,
	.release_slots = fd_release_slots,
	.sys_lookup = fd_sys_lookup,
	.sys_update = fd_sys_update,
	.delete = fd_delete,
	.get_next_key = array_get_next_key,
	.lookup = of_maps_lookup,
	.update_ptr = fd_update_ptr,
};

/* fd arrays holding what userspace cannot name here (see the top) */
#define FOREIGN_FD_ARRAY(var, type_, name_)                                  \
	const struct map_ops var = {                                         \
		.type = type_,                                               \
		.name = name_,                                               \
		.traits = MAPS_T_FD | MAPS_T_INNER_OK,                        \
		.check = fd_array_check,                                     \
		.alloc = array_alloc,                                        \
		.free = array_free,                                          \
		.release_slots = fd_release_slots,                           \
		.sys_lookup = fd_sys_lookup,                                 \
		.sys_update = fd_sys_update,                                 \
		.delete = fd_delete,                                         \
		.get_next_key = array_get_next_key,                          \
		.update_ptr = fd_update_ptr,                                 \
	};
FOREIGN_FD_ARRAY(maps_perf_event_array_ops, BPFTK_MAP_TYPE_PERF_EVENT_ARRAY,
		 "perf_event_array")
FOREIGN_FD_ARRAY(maps_cgroup_array_ops, BPFTK_MAP_TYPE_CGROUP_ARRAY,
		 "cgroup_array")

