/* checksum.c — the internet checksum (RFC 1071) of a 1500-byte packet:
 * 16-bit big-endian words summed, carries folded, complemented. */
#include "prog.h"

BENCH_PROG(checksum)
{
	u64 sum = 0, i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (u64)mem[i] << 8 | mem[i + 1];
	if (i < len)
		sum += (u64)mem[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

#ifndef __bpf__
BENCH_INPUT(checksum, 1500)
{
	bench_fill(mem, len, 0x1234);
}
#endif
