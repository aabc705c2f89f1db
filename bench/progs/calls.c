/* calls.c — a chain of bpf-to-bpf calls in a loop: step() calls mix(),
 * both kept out of line (1000 iterations, 2000 calls per run). */
#include "prog.h"

NOINLINE u64 mix(u64 a, u64 b)
{
	return (a ^ b) * 0x100000001b3ull;
}

NOINLINE u64 step(u64 h, u64 x)
{
	return mix(h, x) + (h >> 7);
}

BENCH_PROG(calls)
{
	u64 h = len;
	for (u64 i = 0; i < 1000; i++)
		h = step(h, i + mem[i & 63]);
	return h;
}

#ifndef __bpf__
BENCH_INPUT(calls, 64)
{
	bench_fill(mem, len, 0xca11);
}
#endif
