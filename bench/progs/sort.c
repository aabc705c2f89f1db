/* sort.c — insertion sort of 64 32-bit integers.  The input stays intact
 * (the first 256 bytes of memory); each run copies it to the next 256
 * bytes and sorts the copy, then returns a position-weighted sum. */
#include "prog.h"

#define N 64

BENCH_PROG(sort)
{
	u32 *in = (u32 *)mem, *a = in + N;
	if (len < 2 * N * sizeof(u32))
		return 0;
	for (int i = 0; i < N; i++)
		a[i] = in[i];
	for (int i = 1; i < N; i++) {
		u32 v = a[i];
		int j = i;
		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
	u64 s = 0;
	for (int i = 0; i < N; i++)
		s = s * 31 + a[i];
	return s;
}

#ifndef __bpf__
BENCH_INPUT(sort, 2 * N * 4)
{
	bench_fill(mem, len, 0x5eed);
}
#endif
