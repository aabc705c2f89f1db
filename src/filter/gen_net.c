/* gen_net.c — network and transport layer primitives: IPv4/ARP/RARP and
 * IPv6 hosts and networks, protocol abbreviations ('tcp', 'icmp6',
 * 'isis'...), 'proto N', ports and port ranges, the IPv4 fragment test.
 *
 * Facts followed (libpcap gencode): 'tcp'/'udp'/'sctp'/'pim'/'ah'/'esp'
 * match IPv4 and IPv6, the IPv6 test also looking behind one fragment
 * header; ports are only tested on the first IPv4 fragment, and on IPv6
 * only when the next header is the transport (no extension headers);
 * 'host' without a protocol means IPv4, ARP or RARP (not under MPLS).
 */
#include "filter_int.h"

#define ET_IP 0x0800
#define ET_IPV6 0x86dd
#define ET_ARP 0x0806
#define ET_RARP 0x8035

static _Noreturn void bad_qual(struct fl_state *st, int col, int proto,
			       int addrq, int v6, const char *what)
{
	fl_fail(st, col, "'%s' is not a valid qualifier for '%s <IPv%c %s>'",
		fl_proto_name(proto), addrq == A_NET ? "net" : "host",
		v6 ? '6' : '4', what ? what : "address");
}

struct fl_cond *fl_ipfrag(struct fl_state *st)
{
	struct fl_stmts s = {0};

	fl_load(st, &s, OR_LINKPL, 6, 2);
	return fl_not(st, fl_leaf(st, &s, BPF_JMP | BPF_JSET | BPF_K, 0x1fff));
}

static struct fl_cond *hostop(struct fl_state *st, uint32_t addr,
			      uint32_t mask, int dir, uint32_t et,
			      uint32_t src_off, uint32_t dst_off, int col)
{
	struct fl_cond *c;

	switch (dir) {
	case D_SRC:
		c = fl_mcmp(st, OR_LINKPL, src_off, 4, addr, mask);
		break;
	case D_DST:
		c = fl_mcmp(st, OR_LINKPL, dst_off, 4, addr, mask);
		break;
	case D_AND:
		return fl_and(st, hostop(st, addr, mask, D_SRC, et, src_off, dst_off, col),
			      hostop(st, addr, mask, D_DST, et, src_off, dst_off, col));
	case D_DEFAULT:
	case D_OR:
		return fl_or(st, hostop(st, addr, mask, D_SRC, et, src_off, dst_off, col),
			     hostop(st, addr, mask, D_DST, et, src_off, dst_off, col));
	default:
		fl_fail(st, col, "'%s' is valid for 802.11 syntax only",
			fl_dir_name(dir));
	}
	return fl_and(st, fl_linktype(st, et), c);
}

struct fl_cond *fl_host4(struct fl_state *st, uint32_t addr, uint32_t mask,
			 int proto, int dir, int addrq, int col,
			 const char *what)
{
	st->errcol = col;
	switch (proto) {
	case P_DEFAULT: {
		struct fl_cond *c = hostop(st, addr, mask, dir, ET_IP, 12, 16, col);

		if (st->label_depth == 0) {
			c = fl_or(st, c, hostop(st, addr, mask, dir, ET_ARP, 14, 24, col));
			c = fl_or(st, c, hostop(st, addr, mask, dir, ET_RARP, 14, 24, col));
		}
		return c;
	}
	case P_IP:
		return hostop(st, addr, mask, dir, ET_IP, 12, 16, col);
	case P_ARP:
		return hostop(st, addr, mask, dir, ET_ARP, 14, 24, col);
	case P_RARP:
		return hostop(st, addr, mask, dir, ET_RARP, 14, 24, col);
	default:
		bad_qual(st, col, proto, addrq, 0, what);
	}
}

static struct fl_cond *hostop6(struct fl_state *st, const uint8_t *a,
			       const uint8_t *m, int dir, uint32_t off, int col)
{
	struct fl_cond *c = NULL;

	switch (dir) {
	case D_SRC:
	case D_DST:
		off = dir == D_SRC ? 8 : 24;
		for (int w = 0; w < 4; w++) {
			const uint8_t *p = a + 4 * w, *q = m + 4 * w;
			uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				     (uint32_t)p[2] << 8 | p[3];
			uint32_t mk = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
				      (uint32_t)q[2] << 8 | q[3];

			c = fl_and(st, c, fl_mcmp(st, OR_LINKPL, off + 4 * (uint32_t)w,
						  4, v, mk));
		}
		return fl_and(st, fl_linktype(st, ET_IPV6), c);
	case D_AND:
		return fl_and(st, hostop6(st, a, m, D_SRC, off, col),
			      hostop6(st, a, m, D_DST, off, col));
	case D_DEFAULT:
	case D_OR:
		return fl_or(st, hostop6(st, a, m, D_SRC, off, col),
			     hostop6(st, a, m, D_DST, off, col));
	default:
		fl_fail(st, col, "'%s' is valid for 802.11 syntax only",
			fl_dir_name(dir));
	}
}

struct fl_cond *fl_host6(struct fl_state *st, const uint8_t addr[16],
			 const uint8_t mask[16], int proto, int dir,
			 int addrq, int col, const char *what)
{
	st->errcol = col;
	if (proto != P_DEFAULT && proto != P_IPV6)
		bad_qual(st, col, proto, addrq, 1, what ? what : "address");
	return hostop6(st, addr, mask, dir, 0, col);
}

static struct fl_cond *proto_ip(struct fl_state *st, uint32_t v)
{
	return fl_and(st, fl_linktype(st, ET_IP),
		      fl_cmp(st, OR_LINKPL, 9, 1, v));
}

static struct fl_cond *proto_ip6(struct fl_state *st, uint32_t v)
{
	struct fl_cond *frag = fl_and(st, fl_cmp(st, OR_LINKPL, 6, 1, 44),
				      fl_cmp(st, OR_LINKPL, 40, 1, v));
	struct fl_cond *c = fl_or(st, fl_cmp(st, OR_LINKPL, 6, 1, v), frag);

	return fl_and(st, fl_linktype(st, ET_IPV6), c);
}

static struct fl_cond *proto_any_ip(struct fl_state *st, uint32_t v)
{
	return fl_or(st, proto_ip(st, v), proto_ip6(st, v));
}

static struct fl_cond *proto_iso(struct fl_state *st, uint32_t v)
{
	return fl_and(st, fl_linktype(st, 0xfe),
		      fl_cmp(st, OR_LINKPL_NOSNAP, 0, 1, v));
}

static struct fl_cond *proto_isis(struct fl_state *st, uint32_t v)
{
	/* the PDU type is 4 bytes after the NLPID; libpcap 1.10 reads it one
	 * byte earlier on Cisco HDLC, and so do we */
	uint32_t off = st->linktype == DLT_C_HDLC ? 3 : 4;

	return fl_and(st, proto_iso(st, 0x83),
		      fl_cmp(st, OR_LINKPL_NOSNAP, off, 1, v));
}

static struct fl_cond *isis_any(struct fl_state *st, const uint8_t *types,
				size_t n)
{
	struct fl_cond *c = proto_isis(st, types[0]);

	for (size_t i = 1; i < n; i++)
		c = fl_or(st, c, proto_isis(st, types[i]));
	return c;
}

struct fl_cond *fl_proto_abbrev(struct fl_state *st, int proto, int col)
{
	static const uint8_t l1[] = {15, 17, 18, 24, 26};
	static const uint8_t l2[] = {16, 17, 20, 25, 27};
	static const uint8_t iih[] = {15, 16, 17};
	static const uint8_t lsp[] = {18, 20};
	static const uint8_t snp[] = {24, 25, 26, 27};
	static const uint8_t csnp[] = {24, 25};
	static const uint8_t psnp[] = {26, 27};

	st->errcol = col;
	switch (proto) {
	case P_SCTP: return proto_any_ip(st, 132);
	case P_TCP: return proto_any_ip(st, 6);
	case P_UDP: return proto_any_ip(st, 17);
	case P_ICMP: return proto_ip(st, 1);
	case P_IGMP: return proto_ip(st, 2);
	case P_IGRP: return proto_ip(st, 9);
	case P_PIM: return proto_any_ip(st, 103);
	case P_VRRP: return proto_ip(st, 112);
	case P_CARP: return proto_ip(st, 112);
	case P_IP: return fl_linktype(st, ET_IP);
	case P_ARP: return fl_linktype(st, ET_ARP);
	case P_RARP: return fl_linktype(st, ET_RARP);
	case P_LINK: fl_fail(st, col, "link layer applied in wrong context");
	case P_ATALK: return fl_linktype(st, 0x809b);
	case P_AARP: return fl_linktype(st, 0x80f3);
	case P_DECNET: return fl_linktype(st, 0x6003);
	case P_LAT: return fl_linktype(st, 0x6004);
	case P_SCA: return fl_linktype(st, 0x6007);
	case P_MOPDL: return fl_linktype(st, 0x6001);
	case P_MOPRC: return fl_linktype(st, 0x6002);
	case P_IPV6: return fl_linktype(st, ET_IPV6);
	case P_ICMPV6: return proto_ip6(st, 58);
	case P_AH: return proto_any_ip(st, 51);
	case P_ESP: return proto_any_ip(st, 50);
	case P_ISO: return fl_linktype(st, 0xfe);
	case P_ESIS: return proto_iso(st, 0x82);
	case P_ISIS: return proto_iso(st, 0x83);
	case P_CLNP: return proto_iso(st, 0x81);
	case P_L1: return isis_any(st, l1, sizeof(l1));
	case P_L2: return isis_any(st, l2, sizeof(l2));
	case P_IIH: return isis_any(st, iih, sizeof(iih));
	case P_LSP: return isis_any(st, lsp, sizeof(lsp));
	case P_SNP: return isis_any(st, snp, sizeof(snp));
	case P_CSNP: return isis_any(st, csnp, sizeof(csnp));
	case P_PSNP: return isis_any(st, psnp, sizeof(psnp));
	case P_STP: return fl_linktype(st, 0x42);
	case P_IPX: return fl_linktype(st, 0xe0);
	case P_NETBEUI: return fl_linktype(st, 0xf0);
	case P_RADIO: fl_fail(st, col, "'radio' is not a valid protocol type");
	default: fl_fail(st, col, "unknown protocol qualifier");
	}
}

struct fl_cond *fl_proto(struct fl_state *st, uint32_t v, int proto, int dir,
			 int col)
{
	st->errcol = col;
	if (dir != D_DEFAULT)
		fl_fail(st, col, "direction applied to 'proto'");
	switch (proto) {
	case P_DEFAULT:
	case P_IP:
	case P_IPV6:
		if (v > 255)
			fl_fail(st, col, "protocol number %u greater than maximum 255", v);
		if (proto == P_IP)
			return proto_ip(st, v);
		if (proto == P_IPV6)
			return proto_ip6(st, v);
		return proto_any_ip(st, v);
	case P_LINK:
		if (v > 65535)
			fl_fail(st, col, "EtherType %u greater than maximum 65535", v);
		return fl_linktype(st, v);
	case P_ISO:
		if (v > 255)
			fl_fail(st, col, "ISO protocol %u greater than maximum 255", v);
		return proto_iso(st, v);
	case P_ISIS:
		if (v > 31)
			fl_fail(st, col, "IS-IS PDU type %u greater than maximum 31", v);
		return proto_isis(st, v);
	default:
		fl_fail(st, col, "'%s' is not a valid qualifier for 'proto'",
			fl_proto_name(proto));
	}
}

static struct fl_cond *port_atom(struct fl_state *st, enum fl_rel rel,
				 uint32_t off, uint32_t lo, uint32_t hi,
				 int range)
{
	if (!range)
		return fl_cmp(st, rel, off, 2, lo);
	if (lo > hi) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	return fl_and(st, fl_cmp_op(st, rel, off, 2, BPF_JGE, lo),
		      fl_not(st, fl_cmp_op(st, rel, off, 2, BPF_JGT, hi)));
}

static struct fl_cond *port_dir(struct fl_state *st, enum fl_rel rel,
				uint32_t lo, uint32_t hi, int dir, int range)
{
	switch (dir) {
	case D_SRC:
		return port_atom(st, rel, 0, lo, hi, range);
	case D_DST:
		return port_atom(st, rel, 2, lo, hi, range);
	case D_AND:
		return fl_and(st, port_atom(st, rel, 0, lo, hi, range),
			      port_atom(st, rel, 2, lo, hi, range));
	default:
		return fl_or(st, port_atom(st, rel, 0, lo, hi, range),
			     port_atom(st, rel, 2, lo, hi, range));
	}
}

static struct fl_cond *portop4(struct fl_state *st, uint32_t lo, uint32_t hi,
			       int ipp, int dir, int range)
{
	struct fl_cond *c = fl_and(st, fl_cmp(st, OR_LINKPL, 9, 1, (uint32_t)ipp),
				   fl_ipfrag(st));

	return fl_and(st, c, port_dir(st, OR_TRAN_IPV4, lo, hi, dir, range));
}

static struct fl_cond *portop6(struct fl_state *st, uint32_t lo, uint32_t hi,
			       int ipp, int dir, int range)
{
	return fl_and(st, fl_cmp(st, OR_LINKPL, 6, 1, (uint32_t)ipp),
		      port_dir(st, OR_TRAN_IPV6, lo, hi, dir, range));
}

static struct fl_cond *ports_for(struct fl_state *st, int v6, uint32_t lo,
				 uint32_t hi, int ipp, int dir, int range)
{
	struct fl_cond *(*op)(struct fl_state *, uint32_t, uint32_t, int, int,
			      int) = v6 ? portop6 : portop4;
	struct fl_cond *c;

	if (ipp >= 0) {
		c = op(st, lo, hi, ipp, dir, range);
	} else {
		c = fl_or(st, op(st, lo, hi, 6, dir, range),
			  op(st, lo, hi, 17, dir, range));
		c = fl_or(st, c, op(st, lo, hi, 132, dir, range));
	}
	return fl_and(st, fl_linktype(st, v6 ? ET_IPV6 : ET_IP), c);
}

struct fl_cond *fl_port_one(struct fl_state *st, int v6, uint32_t port,
			    int ipproto, int dir)
{
	return ports_for(st, v6, port, port, ipproto, dir, 0);
}

struct fl_cond *fl_port(struct fl_state *st, uint32_t lo, uint32_t hi,
			int ipproto, int dir, int col, int range)
{
	st->errcol = col;
	if (lo > 65535 || hi > 65535)
		fl_fail(st, col, "port number %u greater than maximum 65535",
			lo > hi ? lo : hi);
	return fl_or(st, ports_for(st, 1, lo, hi, ipproto, dir, range),
		     ports_for(st, 0, lo, hi, ipproto, dir, range));
}

/* DECnet addresses are little-endian 16-bit words (area << 10 | node);
 * the routing header puts them at different places for short and long
 * headers, each with or without one byte of padding (pad flag 0x80 in the
 * first flags byte, whose low bits 2/6 say short/long). */
static uint32_t le16(uint32_t v)
{
	return (v & 0xff) << 8 | (v >> 8 & 0xff);
}

static struct fl_cond *dnhostop(struct fl_state *st, uint32_t addr,
				uint32_t off_sh, uint32_t off_lh)
{
	uint32_t a = le16(addr);
	struct fl_cond *c;

	c = fl_and(st, fl_mcmp(st, OR_LINKPL, 2, 1, 0x02, 0x07),
		   fl_cmp(st, OR_LINKPL, 2 + off_sh, 2, a));
	c = fl_or(st, c, fl_and(st, fl_mcmp(st, OR_LINKPL, 2, 2, le16(0x0281),
					    le16(0x07ff)),
				fl_cmp(st, OR_LINKPL, 2 + 1 + off_sh, 2, a)));
	c = fl_or(st, c, fl_and(st, fl_mcmp(st, OR_LINKPL, 2, 1, 0x06, 0x07),
				fl_cmp(st, OR_LINKPL, 2 + off_lh, 2, a)));
	c = fl_or(st, c, fl_and(st, fl_mcmp(st, OR_LINKPL, 2, 2, le16(0x0681),
					    le16(0x07ff)),
				fl_cmp(st, OR_LINKPL, 2 + 1 + off_lh, 2, a)));
	return fl_and(st, fl_linktype(st, 0x6003), c);
}

struct fl_cond *fl_dnhost(struct fl_state *st, uint32_t addr, int dir,
			  int col)
{
	st->errcol = col;
	switch (dir) {
	case D_SRC:
		return dnhostop(st, addr, 3, 15);
	case D_DST:
		return dnhostop(st, addr, 1, 7);
	case D_AND:
		return fl_and(st, dnhostop(st, addr, 3, 15),
			      dnhostop(st, addr, 1, 7));
	case D_DEFAULT:
	case D_OR:
		return fl_or(st, dnhostop(st, addr, 3, 15),
			     dnhostop(st, addr, 1, 7));
	default:
		fl_fail(st, col, "'%s' is valid for 802.11 syntax only",
			fl_dir_name(dir));
	}
}
