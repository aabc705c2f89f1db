/* ringbuf.c — the BPF ring buffer (BPF_MAP_TYPE_RINGBUF): producers reserve,
 * submit and discard records; one consumer reads them in order.
 *
 * Positions and records are the kernel's: consumer_pos, producer_pos and
 * pending_pos only grow; a record is an 8-byte header (u32 len with
 * BUSY_BIT while reserved and DISCARD_BIT when discarded, u32 pg_off) and
 * the sample, padded to 8 bytes; a reservation fails when the producer would
 * run more than size - 1 bytes ahead of the consumer or of the oldest
 * record still busy.
 *
 * The kernel maps the data pages twice in a row so a record that wraps past
 * the end reads contiguously.  Here the data area is simply 2 * size bytes
 * long and a record is written contiguously from its header's offset: only
 * this file's consumer reads records, always from their header, so the
 * bytes past `size` are never needed at their wrapped place.  The area
 * starts zeroed, as the kernel's pages do.
 *
 * pg_off locates the ring from a sample, as in the kernel: the data follows
 * one header page (page aligned) whose first word points back to the ring,
 * and pg_off is the header's page index from that page.
 *
 * Wakeups: a commit notifies waiting consumers when it commits the record
 * the consumer is at (or with BPF_RB_FORCE_WAKEUP, never with
 * BPF_RB_NO_WAKEUP), like the kernel's irq_work; bpftk_ringbuf_poll waits
 * for data like epoll does on a kernel ring buffer.
 */
#include <pthread.h>
#include <time.h>

#include "maps_int.h"

#define RB_MAX_RECORD (UINT32_MAX / 4)
#define RB_LEN_BITS (BPFTK_RINGBUF_BUSY_BIT | BPFTK_RINGBUF_DISCARD_BIT)

struct rb_hdr {
	uint32_t len;
	uint32_t pg_off;
};

struct ringbuf {
	struct bpftk_map map;
	struct maps_spin lock; /* producers */
	uint64_t mask;
	uint64_t consumer_pos, producer_pos, pending_pos;
	unsigned char *alloc; /* as allocated */
	unsigned char *meta;  /* page aligned, starts with the back pointer */
	unsigned char *data;  /* meta + one page, 2 * size bytes */
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	pthread_mutex_t consume_lock; /* one consumer at a time */
};

static struct ringbuf *rbuf(struct bpftk_map *m)
{
	return (struct ringbuf *)m;
}

static uint64_t rec_len(uint32_t len)
{
	return MAPS_ROUND8((uint64_t)(len & ~RB_LEN_BITS) + BPFTK_RINGBUF_HDR_SZ);
}

/* ---- creation ---- */

static int rb_check(const struct bpftk_map_create_opts *o, unsigned ncpus,
		    struct bpftk_diags *d)
{
	(void)ncpus;
	if (o->map_flags & ~BPFTK_F_NUMA_NODE)
		return maps_reject(d, o, -EINVAL,
				   "map_flags 0x%x not allowed for ring "
				   "buffers", o->map_flags);
	if (o->key_size || o->value_size || !o->max_entries ||
	    (o->max_entries & (o->max_entries - 1)) ||
	    (o->max_entries % MAPS_PAGE_SIZE))
		return maps_reject(d, o, -EINVAL,
				   "ring buffers need key_size 0, value_size 0 "
				   "and max_entries a power of 2 multiple of "
				   "%u", MAPS_PAGE_SIZE);
	return 0;
}

static int rb_alloc(const struct bpftk_map *proto, struct bpftk_map **out)
{
	struct ringbuf *rb = bpftk_calloc(1, sizeof(*rb));
	uint64_t size = proto->max_entries;
	uint64_t bytes = 2 * size + 2 * MAPS_PAGE_SIZE;
	if (!rb)
		return -ENOMEM;
	rb->map = *proto;
	rb->mask = size - 1;
	if (bytes > SIZE_MAX / 2 ||
	    !(rb->alloc = bpftk_calloc(1, (size_t)bytes)))
		goto nomem;
	rb->meta = (unsigned char *)(((uintptr_t)rb->alloc + MAPS_PAGE_SIZE - 1) &
				     ~(uintptr_t)(MAPS_PAGE_SIZE - 1));
	rb->data = rb->meta + MAPS_PAGE_SIZE;
	memcpy(rb->meta, &rb, sizeof(rb));
	if (pthread_mutex_init(&rb->wait_lock, NULL))
		goto nomem_data;
	if (pthread_cond_init(&rb->wait_cond, NULL)) {
		pthread_mutex_destroy(&rb->wait_lock);
		goto nomem_data;
	}
	if (pthread_mutex_init(&rb->consume_lock, NULL)) {
		pthread_cond_destroy(&rb->wait_cond);
		pthread_mutex_destroy(&rb->wait_lock);
		goto nomem_data;
	}
	*out = &rb->map;
	return 0;
nomem_data:
	bpftk_free(rb->alloc);
nomem:
	bpftk_free(rb);
	return -ENOMEM;
}

static void rb_free(struct bpftk_map *m)
{
	struct ringbuf *rb = rbuf(m);
	pthread_mutex_destroy(&rb->consume_lock);
	pthread_cond_destroy(&rb->wait_cond);
	pthread_mutex_destroy(&rb->wait_lock);
	bpftk_free(rb->alloc);
	bpftk_free(rb);
}

/* ---- producers ---- */

static struct rb_hdr *hdr_at(struct ringbuf *rb, uint64_t pos)
{
	return (struct rb_hdr *)(void *)(rb->data + (pos & rb->mask));
}

void *bpftk_ringbuf_reserve(struct bpftk_map *m, uint64_t size,
			    uint64_t flags)
{
	struct ringbuf *rb;
	uint64_t len, cons, pend, prod, nprod;
	struct rb_hdr *h;
	if (!m || m->type != BPFTK_MAP_TYPE_RINGBUF || flags ||
	    size > RB_MAX_RECORD)
		return NULL;
	rb = rbuf(m);
	len = MAPS_ROUND8(size + BPFTK_RINGBUF_HDR_SZ);
	if (len > rb->mask + 1)
		return NULL;
	cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
	maps_spin_lock(&rb->lock);
	pend = rb->pending_pos;
	prod = rb->producer_pos;
	nprod = prod + len;
	/* move past records already committed to find the oldest busy one */
	while (pend < prod) {
		uint32_t l = __atomic_load_n(&hdr_at(rb, pend)->len,
					     __ATOMIC_ACQUIRE);
		if (l & BPFTK_RINGBUF_BUSY_BIT)
			break;
		pend += rec_len(l);
	}
	rb->pending_pos = pend;
	if (nprod - cons > rb->mask || nprod - pend > rb->mask) {
		maps_spin_unlock(&rb->lock);
		return NULL;
	}
	h = hdr_at(rb, prod);
	__atomic_store_n(&h->len, (uint32_t)size | BPFTK_RINGBUF_BUSY_BIT,
			 __ATOMIC_RELAXED);
	h->pg_off = (uint32_t)(((unsigned char *)h - rb->meta) / MAPS_PAGE_SIZE);
	__atomic_store_n(&rb->producer_pos, nprod, __ATOMIC_RELEASE);
	maps_spin_unlock(&rb->lock);
	return h + 1;
}

static void wake(struct ringbuf *rb)
{
	pthread_mutex_lock(&rb->wait_lock);
	pthread_cond_broadcast(&rb->wait_cond);
	pthread_mutex_unlock(&rb->wait_lock);
}

static void commit(void *sample, uint64_t flags, int discard)
{
	struct rb_hdr *h = (struct rb_hdr *)sample - 1;
	unsigned char *meta = (unsigned char *)((uintptr_t)h &
						~(uintptr_t)(MAPS_PAGE_SIZE - 1)) -
			      (size_t)h->pg_off * MAPS_PAGE_SIZE;
	struct ringbuf *rb;
	uint32_t len;
	uint64_t rec_pos, cons;
	memcpy(&rb, meta, sizeof(rb));
	len = __atomic_load_n(&h->len, __ATOMIC_RELAXED) ^
	      BPFTK_RINGBUF_BUSY_BIT;
	if (discard)
		len |= BPFTK_RINGBUF_DISCARD_BIT;
	__atomic_exchange_n(&h->len, len, __ATOMIC_ACQ_REL);
	rec_pos = (uint64_t)((unsigned char *)h - rb->data);
	cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE) & rb->mask;
	if ((flags & BPFTK_RB_FORCE_WAKEUP) ||
	    (cons == rec_pos && !(flags & BPFTK_RB_NO_WAKEUP)))
		wake(rb);
}

void bpftk_ringbuf_submit(void *sample, uint64_t flags)
{
	if (sample)
		commit(sample, flags, 0);
}

void bpftk_ringbuf_discard(void *sample, uint64_t flags)
{
	if (sample)
		commit(sample, flags, 1);
}

int bpftk_ringbuf_output(struct bpftk_map *m, const void *data, uint64_t size,
			 uint64_t flags)
{
	void *rec;
	if (!m || m->type != BPFTK_MAP_TYPE_RINGBUF)
		return -EINVAL;
	if (flags & ~(BPFTK_RB_NO_WAKEUP | BPFTK_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = bpftk_ringbuf_reserve(m, size, 0);
	if (!rec)
		return -EAGAIN;
	if (size)
		memcpy(rec, data, (size_t)size);
	commit(rec, flags, 0);
	return 0;
}

uint64_t bpftk_ringbuf_query(struct bpftk_map *m, uint64_t flags)
{
	struct ringbuf *rb;
	if (!m || m->type != BPFTK_MAP_TYPE_RINGBUF)
		return 0;
	rb = rbuf(m);
	switch (flags) {
	case BPFTK_RB_AVAIL_DATA:
		return __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE) -
		       __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
	case BPFTK_RB_RING_SIZE:
		return rb->mask + 1;
	case BPFTK_RB_CONS_POS:
		return __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
	case BPFTK_RB_PROD_POS:
		return __atomic_load_n(&rb->producer_pos, __ATOMIC_ACQUIRE);
	default:
		return 0;
	}
}

/* ---- consumer ---- */

static int consume_locked(struct ringbuf *rb, bpftk_ringbuf_sample_fn fn,
			  void *ctx)
{
	uint64_t cons = __atomic_load_n(&rb->consumer_pos, __ATOMIC_ACQUIRE);
	int cnt = 0, more;
	do {
		uint64_t prod = __atomic_load_n(&rb->producer_pos,
						__ATOMIC_ACQUIRE);
		more = 0;
		while (cons < prod) {
			struct rb_hdr *h = hdr_at(rb, cons);
			uint32_t len = __atomic_load_n(&h->len,
						       __ATOMIC_ACQUIRE);
			if (len & BPFTK_RINGBUF_BUSY_BIT)
				return cnt;
			more = 1;
			cons += rec_len(len);
			if (!(len & BPFTK_RINGBUF_DISCARD_BIT)) {
				int err = fn(ctx, h + 1, len & ~RB_LEN_BITS);
				if (err < 0) {
					__atomic_store_n(&rb->consumer_pos,
							 cons,
							 __ATOMIC_RELEASE);
					return err;
				}
				if (cnt < INT32_MAX)
					cnt++;
			}
			__atomic_store_n(&rb->consumer_pos, cons,
					 __ATOMIC_RELEASE);
		}
	} while (more);
	return cnt;
}

int bpftk_ringbuf_consume(struct bpftk_map *m, bpftk_ringbuf_sample_fn fn,
			  void *ctx)
{
	struct ringbuf *rb;
	int n;
	if (!m || m->type != BPFTK_MAP_TYPE_RINGBUF || !fn)
		return -EINVAL;
	rb = rbuf(m);
	pthread_mutex_lock(&rb->consume_lock);
	n = consume_locked(rb, fn, ctx);
	pthread_mutex_unlock(&rb->consume_lock);
	return n;
}

int bpftk_ringbuf_poll(struct bpftk_map *m, bpftk_ringbuf_sample_fn fn,
		       void *ctx, int timeout_ms)
{
	struct ringbuf *rb;
	struct timespec dl;
	if (!m || m->type != BPFTK_MAP_TYPE_RINGBUF || !fn)
		return -EINVAL;
	rb = rbuf(m);
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&rb->wait_lock);
	while (!bpftk_ringbuf_query(m, BPFTK_RB_AVAIL_DATA) && timeout_ms) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&rb->wait_cond, &rb->wait_lock);
		} else if (pthread_cond_timedwait(&rb->wait_cond,
						  &rb->wait_lock, &dl)) {
			break;
		}
	}
	pthread_mutex_unlock(&rb->wait_lock);
	return bpftk_ringbuf_consume(m, fn, ctx);
}

/* ---- map commands: none apply to ring buffers ---- */

static int rb_sys_lookup(struct bpftk_map *m, const void *key, void *value,
			 uint64_t flags)
{
	(void)m;
	(void)key;
	(void)value;
	(void)flags;
	return -BPFTK_ENOTSUPP;
}

static int rb_sys_update(struct bpftk_map *m, const void *key,
			 const void *value, uint64_t flags)
{
	(void)m;
	(void)key;
	(void)value;
	(void)flags;
	return -BPFTK_ENOTSUPP;
}

static int rb_update(struct bpftk_map *m, const void *key, const void *value,
		     uint64_t flags, unsigned cpu)
{
	(void)cpu;
	return rb_sys_update(m, key, value, flags);
}

static int rb_delete(struct bpftk_map *m, const void *key)
{
	(void)m;
	(void)key;
	return -BPFTK_ENOTSUPP;
}

static int rb_get_next_key(struct bpftk_map *m, const void *key, void *next)
{
	(void)m;
	(void)key;
	(void)next;
	return -BPFTK_ENOTSUPP;
}

const struct map_ops maps_ringbuf_ops = {
	.type = BPFTK_MAP_TYPE_RINGBUF,
	.name = "ringbuf",
	.traits = MAPS_T_INNER_OK | MAPS_T_KEYLESS,
	.check = rb_check,
	.alloc = rb_alloc,
	.free = rb_free,
	.sys_lookup = rb_sys_lookup,
	.sys_update = rb_sys_update,
	.delete = rb_delete,
	.get_next_key = rb_get_next_key,
	.update = rb_update,
};
