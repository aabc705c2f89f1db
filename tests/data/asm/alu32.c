/* alu32.c — 32-bit arithmetic and compares; built with -mcpu=v3 it gives
 * w registers and JMP32 jumps, and atomics with fetch (v3 only).
 * cpus: v3 */
typedef unsigned int u32;
typedef int s32;

static __attribute__((noinline)) u32 rot(u32 x, u32 k)
{
	return (x << (k & 31)) | (x >> ((32 - k) & 31));
}

u32 hash(const unsigned char *p, u32 n)
{
	u32 h = 2166136261u;
	for (u32 i = 0; i < n && i < 64; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	if ((s32)h < -7)
		h = rot(h, 13);
	if (h % 3 == 1)
		h /= 5;
	return h - rot(h, n);
}

s32 fetch(s32 *counter, long *total)
{
	s32 old = __sync_fetch_and_add(counter, 3);
	long t = __sync_fetch_and_or(total, 8);
	__sync_fetch_and_and(total, ~1L);
	__sync_fetch_and_xor(counter, 0x55);
	long prev = __sync_val_compare_and_swap(total, t, 100);
	return old + (s32)prev;
}
