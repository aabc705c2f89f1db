/* popcount.c — bit counting over 2 KiB: each 64-bit word's bits are
 * cleared one at a time (x &= x - 1), so the work is a data-dependent
 * inner loop. */
#include "prog.h"

BENCH_PROG(popcount)
{
	u64 total = 0;
	for (u64 i = 0; i + 8 <= len; i += 8) {
		u64 x = *(u64 *)(mem + i);
		while (x) {
			x &= x - 1;
			total++;
		}
	}
	return total;
}

#ifndef __bpf__
BENCH_INPUT(popcount, 2048)
{
	bench_fill(mem, len, 0xb175);
}
#endif
