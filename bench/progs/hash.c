/* hash.c — two hashes over a 1500-byte buffer: FNV-1a (64-bit) byte by
 * byte, and a Jenkins-style mix of three 32-bit lanes fed 12 bytes at a
 * time (32-bit ALU and rotations). */
#include "prog.h"

INLINE u32 rol32(u32 x, int k)
{
	return (x << k) | (x >> (32 - k));
}

BENCH_PROG(hash)
{
	u64 h = 0xcbf29ce484222325ull;
	for (u64 i = 0; i < len; i++) {
		h ^= mem[i];
		h *= 0x100000001b3ull;
	}
	u32 a = 0x9e3779b9u + (u32)len, b = a, c = a;
	for (u64 i = 0; i + 12 <= len; i += 12) {
		a += *(u32 *)(mem + i);
		b += *(u32 *)(mem + i + 4);
		c += *(u32 *)(mem + i + 8);
		a -= c; a ^= rol32(c, 4); c += b;
		b -= a; b ^= rol32(a, 6); a += c;
		c -= b; c ^= rol32(b, 8); b += a;
		a -= c; a ^= rol32(c, 16); c += b;
		b -= a; b ^= rol32(a, 19); a += c;
		c -= b; c ^= rol32(b, 4); b += a;
	}
	return h ^ ((u64)c << 32 | b);
}

#ifndef __bpf__
BENCH_INPUT(hash, 1500)
{
	bench_fill(mem, len, 0xfeed);
}
#endif
