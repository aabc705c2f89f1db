/* loops.c — loops, branches of every comparison kind, and a static call.
 * cpus: v1 v2 v3 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef long s64;

static __attribute__((noinline)) u64 mix(u64 x, u64 y)
{
	return (x * 31) ^ (y >> 3) ^ (x << 7);
}

u64 sum_xor(const u32 *p, s64 n)
{
	u64 s = 0;
	for (s64 i = 0; i < n; i++)
		s += p[i] ^ (p[i] >> 3);
	if (s > 100000)
		return mix(s, (u64)n);
	return s + mix(2, s);
}

s64 compare(s64 a, s64 b, u64 c, u64 d)
{
	s64 r = 0;
	if (a < b) r += 1;
	if (a <= 7) r += 2;
	if (c > d) r += 4;
	if (c >= 0x1000) r += 8;
	if (a == -5) r += 16;
	if (b != 3) r += 32;
	if (c & 0x40) r += 64;
	if ((s64)d > -100) r += 128;
	return r * 3 - (s64)((u64)a % 7) + (s64)(c / 9);
}
