/* parse.c — Ethernet / IPv4 / TCP header parsing of one packet, 100 times,
 * like a router: check the EtherType, the IP version, header length and
 * header checksum, read addresses, ports, flags and data offset, then
 * decrement the TTL and update the checksum incrementally (RFC 1624).  The
 * store keeps each iteration honest (nothing can be hoisted). */
#include "prog.h"

INLINE u32 be16(const u8 *p)
{
	return (u32)p[0] << 8 | p[1];
}

INLINE u32 be32(const u8 *p)
{
	return be16(p) << 16 | be16(p + 2);
}

INLINE u32 fold(u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	return (s & 0xffff) + (s >> 16);
}

BENCH_PROG(parse)
{
	u64 acc = 0;
	for (int it = 0; it < 100; it++) {
		if (len < 14 + 20 + 20)
			return 0;
		if (be16(mem + 12) != 0x0800) {
			acc += 1;
			continue;
		}
		u8 *ip = mem + 14;
		u32 ihl = (u32)(ip[0] & 0xf) * 4;
		if ((ip[0] >> 4) != 4 || ihl < 20 || 14 + ihl + 20 > len) {
			acc += 2;
			continue;
		}
		u32 sum = 0;
		for (u32 k = 0; k < ihl; k += 2)
			sum += be16(ip + k);
		if (fold(sum) != 0xffff)
			acc += 4;
		u32 saddr = be32(ip + 12), daddr = be32(ip + 16);
		if (ip[9] == 6) {
			u8 *tcp = ip + ihl;
			u32 sport = be16(tcp), dport = be16(tcp + 2);
			u32 doff = (u32)(tcp[12] >> 4) * 4;
			acc += (sport ^ dport) + tcp[13] + doff + be32(tcp + 4);
		}
		acc = acc * 33 + saddr + (daddr ^ ip[8]);
		/* TTL - 1, checksum patched: HC' = ~(~HC + ~m + m') */
		u32 m = be16(ip + 8);
		ip[8]--;
		u32 m2 = be16(ip + 8);
		u32 hc = fold((~be16(ip + 10) & 0xffff) + (~m & 0xffff) + m2);
		hc = ~hc & 0xffff;
		ip[10] = (u8)(hc >> 8);
		ip[11] = (u8)hc;
	}
	return acc;
}

#ifndef __bpf__
BENCH_INPUT(parse, 64)
{
	static const u8 pkt[54] = {
		/* Ethernet: dst, src, IPv4 */
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
		0xaa, 0xbb, 0x08, 0x00,
		/* IPv4: v4 ihl 5, len 50, id, DF, ttl 64, TCP, csum 0 */
		0x45, 0x00, 0x00, 0x32, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
		/* TCP: 443 -> 51000, seq, ack, doff 5, ACK|PSH */
		0x01, 0xbb, 0xc7, 0x38, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00,
		0x00, 0x01, 0x50, 0x18, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
	for (u64 i = 0; i < len; i++)
		mem[i] = i < sizeof(pkt) ? pkt[i] : (u8)i;
	u32 s = 0;
	for (int k = 0; k < 20; k += 2)
		s += (u32)mem[14 + k] << 8 | mem[15 + k];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	mem[24] = (u8)(~s >> 8);
	mem[25] = (u8)~s;
}
#endif
