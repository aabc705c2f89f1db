/* queue.c — queue (FIFO) and stack (LIFO) maps (the kernel's
 * queue_stack_maps.c).
 *
 * A ring of max_entries + 1 value slots with head (next push) and tail
 * (oldest element); empty when head == tail, full when head + 1 == tail.
 * Push with BPF_EXIST on a full map drops the oldest element (the tail),
 * for both kinds.  There are no keys: lookup is peek, lookup_and_delete is
 * pop, update is push, and delete / get_next_key fail with -EINVAL as in
 * Linux.  Values are only ever copied, so one spin lock guards everything.
 */
#include "maps_int.h"

struct qs {
	struct bpftk_map map;
	struct maps_spin lock;
	uint32_t head, tail, size;
	unsigned char *elements;
};

static struct qs *q(struct bpftk_map *m)
{
	return (struct qs *)m;
}

/* queue_stack_map_alloc_check */
static int qs_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		    struct bpftk_diags *d)
{
	(void)ncpus;
	if (!o->max_entries || o->key_size || !o->value_size ||
	    (o->map_flags & ~(BPFTK_F_NUMA_NODE | MAPS_F_ACCESS)) ||
	    !maps_access_ok(o->map_flags))
		return maps_reject(d, o, -EINVAL,
				   "%s maps need key_size 0, value_size > 0, "
				   "max_entries > 0 and no flags but access "
				   "and NUMA", bpftk_map_type_name(o->type));
	if (o->value_size > MAPS_KMALLOC_MAX)
		return maps_reject(d, o, -E2BIG, "value_size %u too large",
				   o->value_size);
	return 0;
}

static int qs_alloc(const struct bpftk_map *proto, struct bpftk_map **out)
{
	struct qs *s = bpftk_calloc(1, sizeof(*s));
	uint64_t bytes;
	if (!s)
		return -ENOMEM;
	s->map = *proto;
	s->size = proto->max_entries + 1;
	bytes = (uint64_t)(proto->max_entries + (uint64_t)1) * proto->value_size;
	if (proto->max_entries == UINT32_MAX || bytes > SIZE_MAX / 2 ||
	    !(s->elements = bpftk_malloc((size_t)bytes))) {
		bpftk_free(s);
		return -ENOMEM;
	}
	*out = &s->map;
	return 0;
}

static void qs_free(struct bpftk_map *m)
{
	bpftk_free(q(m)->elements);
	bpftk_free(m);
}

static unsigned char *slot(struct qs *s, uint32_t i)
{
	return s->elements + (size_t)i * s->map.value_size;
}

/* Copies the element pop/peek would return; -ENOENT when empty (value
 * then zeroed, as the helpers do). */
static int get(struct bpftk_map *m, void *value, int del)
{
	struct qs *s = q(m);
	int err = 0;
	maps_spin_lock(&s->lock);
	if (s->head == s->tail) {
		memset(value, 0, m->value_size);
		err = -ENOENT;
	} else if (m->type == BPFTK_MAP_TYPE_QUEUE) {
		memcpy(value, slot(s, s->tail), m->value_size);
		if (del && ++s->tail >= s->size)
			s->tail = 0;
	} else {
		uint32_t i = s->head ? s->head - 1 : s->size - 1;
		memcpy(value, slot(s, i), m->value_size);
		if (del)
			s->head = i;
	}
	maps_spin_unlock(&s->lock);
	return err;
}

static int qs_pop(struct bpftk_map *m, void *value)
{
	return get(m, value, 1);
}

static int qs_peek(struct bpftk_map *m, void *value)
{
	return get(m, value, 0);
}

static int qs_push(struct bpftk_map *m, const void *value, uint64_t flags)
{
	struct qs *s = q(m);
	int err = 0;
	if ((flags & BPFTK_NOEXIST) || flags > BPFTK_EXIST)
		return -EINVAL;
	maps_spin_lock(&s->lock);
	uint32_t next = s->head + 1 >= s->size ? 0 : s->head + 1;
	if (next == s->tail) {
		if (!(flags & BPFTK_EXIST)) {
			err = -E2BIG;
			goto out;
		}
		/* make room by dropping the oldest element */
		if (++s->tail >= s->size)
			s->tail = 0;
	}
	memcpy(slot(s, s->head), value, m->value_size);
	s->head = next;
out:
	maps_spin_unlock(&s->lock);
	return err;
}

/* Userspace: the syscall copies nothing back on failure. */
static int qs_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			 uint64_t flags)
{
	(void)key;
	(void)flags;
	unsigned char buf[256];
	void *tmp = m->value_size <= sizeof(buf) ? buf
						 : bpftk_malloc(m->value_size);
	if (!tmp)
		return -ENOMEM;
	int err = qs_peek(m, tmp);
	if (!err)
		memcpy(value, tmp, m->value_size);
	if (tmp != buf)
		bpftk_free(tmp);
	return err;
}

static int qs_sys_pop(struct bpftk_map *m, const void *key, void *value,
		      uint64_t flags)
{
	(void)key;
	(void)flags;
	unsigned char buf[256];
	void *tmp = m->value_size <= sizeof(buf) ? buf
						 : bpftk_malloc(m->value_size);
	if (!tmp)
		return -ENOMEM;
	int err = qs_pop(m, tmp);
	if (!err)
		memcpy(value, tmp, m->value_size);
	if (tmp != buf)
		bpftk_free(tmp);
	return err;
}

static int qs_sys_update(struct bpftk_map *m, const void *key,
			 const void *value, uint64_t flags)
{
	(void)key;
	return qs_push(m, value, flags);
}

static int qs_update(struct bpftk_map *m, const void *key, const void *value,
		     uint64_t flags, unsigned cpu)
{
	(void)m;
	(void)key;
	(void)value;
	(void)flags;
	(void)cpu;
	return -EINVAL;
}

static int qs_delete(struct bpftk_map *m, const void *key)
{
	(void)m;
	(void)key;
	return -EINVAL;
}

static int qs_get_next_key(struct bpftk_map *m, const void *key, void *next)
{
	(void)m;
	(void)key;
	(void)next;
	return -EINVAL;
}

#define QS_COMMON                                                          \
	.traits = MAPS_T_INNER_OK | MAPS_T_KEYLESS, .check = qs_check,     \
	.alloc = qs_alloc, .free = qs_free, .sys_lookup = qs_sys_lookup,   \
	.sys_update = qs_sys_update, .delete = qs_delete,                  \
	.get_next_key = qs_get_next_key,                                   \
	.sys_lookup_and_delete = qs_sys_pop, .update = qs_update,          \
	.push = qs_push, .pop = qs_pop, .peek = qs_peek

const struct map_ops maps_queue_ops = {
	.type = BPFTK_MAP_TYPE_QUEUE,
	.name = "queue",
	QS_COMMON,
};

const struct map_ops maps_stack_ops = {
	.type = BPFTK_MAP_TYPE_STACK,
	.name = "stack",
	QS_COMMON,
};
