/* gen_load.c — loads relative to the parts of a packet (link header,
 * link-layer type field, link payload, LLC header, IPv4/IPv6 transport
 * header, previous MPLS header) and the comparisons built on them.
 *
 * Offsets come from the compiler state at the time of the call, so code
 * built after 'vlan', 'mpls' or 'pppoes' sees the shifted layout.  Loads
 * of the IPv4 transport header go through X = 4 * (IHL), as libpcap's do.
 */
#include "filter_int.h"

static uint16_t size_code(uint32_t size)
{
	return size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
}

void fl_load(struct fl_state *st, struct fl_stmts *s, enum fl_rel rel,
	     uint32_t off, uint32_t size)
{
	uint32_t nl = st->off_linkpl + st->off_nl;
	uint32_t base;

	switch (rel) {
	case OR_PACKET: base = 0; break;
	case OR_LINKHDR: base = st->off_linkhdr; break;
	case OR_LINKTYPE: base = st->off_linktype; break;
	case OR_LINKPL: base = nl; break;
	case OR_LLC: base = st->off_linkpl; break;
	case OR_LINKPL_NOSNAP: base = st->off_linkpl + st->off_nl_nosnap; break;
	case OR_TRAN_IPV6: base = nl + 40; break;
	case OR_PREVMPLS: base = st->off_prevmpls; break;
	case OR_TRAN_IPV4:
		fl_emit(st, s, BPF_LDX | BPF_MSH | BPF_B, nl);
		fl_emit(st, s, BPF_LD | BPF_IND | size_code(size), nl + off);
		return;
	default:
		base = 0;
	}
	fl_emit(st, s, BPF_LD | BPF_ABS | size_code(size), base + off);
}

struct fl_cond *fl_cmp_op(struct fl_state *st, enum fl_rel rel, uint32_t off,
			  uint32_t size, uint16_t jop, uint32_t v)
{
	struct fl_stmts s = {0};

	fl_load(st, &s, rel, off, size);
	return fl_leaf(st, &s, BPF_JMP | jop | BPF_K, v);
}

struct fl_cond *fl_cmp(struct fl_state *st, enum fl_rel rel, uint32_t off,
		       uint32_t size, uint32_t v)
{
	return fl_cmp_op(st, rel, off, size, BPF_JEQ, v);
}

struct fl_cond *fl_mcmp(struct fl_state *st, enum fl_rel rel, uint32_t off,
			uint32_t size, uint32_t v, uint32_t mask)
{
	struct fl_stmts s = {0};

	fl_load(st, &s, rel, off, size);
	if (mask != 0xffffffffu)
		fl_emit(st, &s, BPF_ALU | BPF_AND | BPF_K, mask);
	return fl_leaf(st, &s, BPF_JMP | BPF_JEQ | BPF_K, v);
}

/* Compares n bytes, last word first, as libpcap's gen_bcmp does (the
 * order decides which load runs off a short packet first). */
struct fl_cond *fl_bcmp(struct fl_state *st, enum fl_rel rel, uint32_t off,
			const uint8_t *b, uint32_t n)
{
	struct fl_cond *c = NULL;

	while (n >= 4) {
		const uint8_t *p = b + n - 4;
		uint32_t w = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			     (uint32_t)p[2] << 8 | p[3];

		c = fl_and(st, c, fl_cmp(st, rel, off + n - 4, 4, w));
		n -= 4;
	}
	while (n >= 2) {
		const uint8_t *p = b + n - 2;
		uint32_t w = (uint32_t)p[0] << 8 | p[1];

		c = fl_and(st, c, fl_cmp(st, rel, off + n - 2, 2, w));
		n -= 2;
	}
	if (n)
		c = fl_and(st, c, fl_cmp(st, rel, off, 1, b[0]));
	return c;
}

struct fl_cond *fl_load_pkt_len(struct fl_state *st, uint16_t jop,
				uint32_t v)
{
	struct fl_stmts s = {0};

	fl_emit(st, &s, BPF_LD | BPF_W | BPF_LEN, 0);
	return fl_leaf(st, &s, BPF_JMP | jop | BPF_K, v);
}
