/* value.c — how the library reads and writes map values, and the spin locks.
 *
 * Programs hold pointers into value storage and may write it at any time
 * (plain stores, atomics, bpf_spin_lock), while userspace commands copy
 * values in and out.  The library therefore touches storage only with
 * relaxed atomic loads and stores of the widest aligned unit (8, 4 or 1
 * bytes): no word is ever torn, and the library itself has no data race.
 * Storage is 8-byte aligned; the caller's buffers may be unaligned.
 *
 * A value may hold a struct bpf_spin_lock (4 bytes at lock_off).  Like the
 * kernel's copy_map_value, copies never write those bytes in storage and
 * return them as zeros (check_and_init_map_value); BPF_F_LOCK copies happen
 * with that lock held.
 */
#include <sched.h>

#include "maps_int.h"

void maps_lock_word(uint32_t *w)
{
	unsigned spins = 0;
	while (__atomic_exchange_n(w, 1u, __ATOMIC_ACQUIRE)) {
		/* wait on a plain load so the cache line is not bounced */
		while (__atomic_load_n(w, __ATOMIC_RELAXED)) {
			if (++spins >= 64) {
				sched_yield();
				spins = 0;
			}
		}
	}
}

void maps_unlock_word(uint32_t *w)
{
	__atomic_store_n(w, 0u, __ATOMIC_RELEASE);
}

void bpftk_map_spin_lock(void *lock)
{
	if (lock)
		maps_lock_word(lock);
}

void bpftk_map_spin_unlock(void *lock)
{
	if (lock)
		maps_unlock_word(lock);
}

/* Storage bytes [a, b) <- src + a (dir 0), or dst + a <- storage (dir 1). */
static void copy_range(unsigned char *store, unsigned char *user, uint32_t a,
		       uint32_t b, int out)
{
	while (a < b) {
		if (!(a & 7) && b - a >= 8) {
			uint64_t v;
			if (out) {
				v = __atomic_load_n((uint64_t *)(void *)(store + a),
						    __ATOMIC_RELAXED);
				memcpy(user + a, &v, 8);
			} else {
				memcpy(&v, user + a, 8);
				__atomic_store_n((uint64_t *)(void *)(store + a),
						 v, __ATOMIC_RELAXED);
			}
			a += 8;
		} else if (!(a & 3) && b - a >= 4) {
			uint32_t v;
			if (out) {
				v = __atomic_load_n((uint32_t *)(void *)(store + a),
						    __ATOMIC_RELAXED);
				memcpy(user + a, &v, 4);
			} else {
				memcpy(&v, user + a, 4);
				__atomic_store_n((uint32_t *)(void *)(store + a),
						 v, __ATOMIC_RELAXED);
			}
			a += 4;
		} else {
			if (out)
				user[a] = __atomic_load_n(store + a,
							  __ATOMIC_RELAXED);
			else
				__atomic_store_n(store + a, user[a],
						 __ATOMIC_RELAXED);
			a++;
		}
	}
}

static void copy_value(unsigned char *store, unsigned char *user, uint32_t n,
		       int lock_off, int locked, int out)
{
	uint32_t *lock = NULL;
	if (lock_off < 0 || (uint32_t)lock_off + 4 > n) {
		copy_range(store, user, 0, n, out);
		return;
	}
	if (locked) {
		lock = (uint32_t *)(void *)(store + lock_off);
		maps_lock_word(lock);
	}
	copy_range(store, user, 0, (uint32_t)lock_off, out);
	copy_range(store, user, (uint32_t)lock_off + 4, n, out);
	if (lock)
		maps_unlock_word(lock);
	if (out)
		memset(user + lock_off, 0, 4);
}

void maps_value_in(void *dst, const void *src, uint32_t n, int lock_off,
		   int locked)
{
	copy_value(dst, (unsigned char *)(uintptr_t)src, n, lock_off, locked, 0);
}

void maps_value_out(void *dst, const void *src, uint32_t n, int lock_off,
		    int locked)
{
	copy_value((unsigned char *)(uintptr_t)src, dst, n, lock_off, locked, 1);
}

void maps_value_zero(void *dst, uint32_t n, int lock_off)
{
	unsigned char *p = dst;
	uint32_t a = 0;
	while (a < n) {
		if (lock_off >= 0 && a == (uint32_t)lock_off && a + 4 <= n) {
			a += 4;
		} else if (!(a & 7) && n - a >= 8 &&
			   (lock_off < 0 || (uint32_t)lock_off < a ||
			    (uint32_t)lock_off >= a + 8)) {
			__atomic_store_n((uint64_t *)(void *)(p + a), 0,
					 __ATOMIC_RELAXED);
			a += 8;
		} else if (!(a & 3) && n - a >= 4) {
			__atomic_store_n((uint32_t *)(void *)(p + a), 0,
					 __ATOMIC_RELAXED);
			a += 4;
		} else {
			__atomic_store_n(p + a, 0, __ATOMIC_RELAXED);
			a++;
		}
	}
}
