/* gen_link.c — link layers: where each link type keeps its type field and
 * payload, how "this packet carries protocol P" is tested on it (Ethernet
 * II / 802.3 LLC / SNAP, Linux cooked v1/v2, BSD loopback, raw IP, PPP),
 * and the link-level primitives (MAC hosts, broadcast, multicast,
 * direction, interface index).
 *
 * Facts followed (libpcap gencode): EtherType values <= 1500 are 802.3
 * lengths, so LLC SAPs are tested behind a length check; DLT_NULL's
 * address family is in the capturing host's byte order (little-endian
 * here), DLT_LOOP's in network order; IPv6 has three BSD values in a
 * savefile and the host's AF_INET6 in a live capture.
 */
#include <stdio.h>
#include <strings.h>

#include <pcap/pcap.h>

#include "filter_int.h"

#define ETHERMTU 1500
#define ET_IP 0x0800
#define ET_IPV6 0x86dd
#define ET_ATALK 0x809b
#define ET_AARP 0x80f3
#define ET_IPX 0x8137
#define SAP_ISONS 0xfe
#define SAP_IP 0x06
#define SAP_NETBEUI 0xf0
#define SAP_IPX 0xe0
#define SLL_P_802_2 4

const char *fl_dlt_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

/* Links whose payload starts with an 802.2 LLC header (SNAP for IP):
 * payload offset and where the destination / source MACs are. */
static void llc_link(struct fl_state *st, uint32_t linkpl, int dst, int src)
{
	st->off_linkpl = linkpl;
	st->off_linktype = linkpl + 6;
	st->off_nl = 8;
	st->off_nl_nosnap = 3;
	st->mac_dst = dst;
	st->mac_src = src;
}

int fl_link_setup(struct fl_state *st, int dlt)
{
	st->dlt = dlt;
	st->linktype = dlt;
	st->off_linkhdr = 0;
	st->off_nl = 0;
	st->off_nl_nosnap = 0;
	st->no_linktype = 0;
	st->mac_dst = st->mac_src = -1;
	switch (dlt) {
	case DLT_EN10MB:
		st->off_linktype = 12;
		st->off_linkpl = 14;
		st->off_nl_nosnap = 3;
		st->mac_dst = 0;
		st->mac_src = 6;
		return 0;
	case DLT_NETANALYZER:
	case DLT_NETANALYZER_TRANSPARENT: {
		/* Ethernet behind a 4-byte pseudo-header (transparent: also
		 * the 7-byte preamble and the start delimiter) */
		uint32_t pre = dlt == DLT_NETANALYZER ? 4 : 12;

		st->off_linkhdr = pre;
		st->off_linktype = pre + 12;
		st->off_linkpl = pre + 14;
		st->off_nl_nosnap = 3;
		st->mac_dst = 0; /* (relative to the link header) */
		st->mac_src = 6;
		st->linktype = DLT_EN10MB;
		return 0;
	}
	case DLT_FDDI: /* frame control, dst, src */
		llc_link(st, 13, 1, 7);
		return 0;
	case DLT_IEEE802: /* token ring: access control, frame control */
		llc_link(st, 14, 2, 8);
		return 0;
	case DLT_IP_OVER_FC: /* RFC 2625 network header */
		llc_link(st, 16, 2, 10);
		return 0;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		st->no_linktype = 1;
		st->off_linktype = 0;
		st->off_linkpl = 0;
		return 0;
	case DLT_LINUX_SLL:
		st->off_linktype = 14;
		st->off_linkpl = 16;
		st->off_nl_nosnap = 3;
		return 0;
	case DLT_LINUX_SLL2:
		st->off_linktype = 0;
		st->off_linkpl = 20;
		st->off_nl_nosnap = 3;
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		st->off_linktype = 0;
		st->off_linkpl = 4;
		return 0;
	case DLT_IEEE802_11:
	case DLT_IEEE802_11_RADIO:
		fl_wlan_setup(st, dlt == DLT_IEEE802_11_RADIO);
		return 0;
	case DLT_ARCNET: /* src, dst, protocol id */
		st->off_linktype = 2;
		st->off_linkpl = 6;
		return 0;
	case DLT_ARCNET_LINUX: /* src, dst, offset (2), protocol id */
		st->off_linktype = 4;
		st->off_linkpl = 8;
		return 0;
	case DLT_SLIP: /* BSD SLIP: 16-byte direction + compressed header */
		st->off_linktype = 0;
		st->off_linkpl = 16;
		return 0;
	case DLT_PPP_PPPD:
	case DLT_PPP_SERIAL:
		st->linktype = DLT_PPP;
		/* fall through */
	case DLT_PPP:
	case DLT_C_HDLC:
		st->off_linktype = 2;
		st->off_linkpl = 4;
		/* Cisco HDLC carries OSI behind one more byte */
		st->off_nl_nosnap = dlt == DLT_C_HDLC ? 1 : 0;
		return 0;
	default:
		return fl_mtp_setup(st, dlt); /* SS7, or -1 */
	}
}

/* The SNAP header aa aa 03 <oui> <type>. */
static struct fl_cond *snap(struct fl_state *st, uint32_t oui, uint32_t type)
{
	uint8_t b[8] = {0xaa, 0xaa, 0x03, (uint8_t)(oui >> 16),
			(uint8_t)(oui >> 8), (uint8_t)oui, (uint8_t)(type >> 8),
			(uint8_t)type};

	return fl_bcmp(st, OR_LLC, 0, b, 8);
}

static struct fl_cond *is_8023(struct fl_state *st)
{
	return fl_not(st, fl_cmp_op(st, OR_LINKTYPE, 0, 2, BPF_JGT, ETHERMTU));
}

static struct fl_cond *ether_linktype(struct fl_state *st, uint32_t p)
{
	switch (p) {
	case SAP_ISONS:
	case SAP_IP:
	case SAP_NETBEUI:
		return fl_and(st, is_8023(st),
			      fl_cmp(st, OR_LLC, 0, 2, p << 8 | p));
	case SAP_IPX: {
		struct fl_cond *c = fl_or(st, fl_cmp(st, OR_LLC, 0, 1, SAP_IPX),
					  fl_cmp(st, OR_LLC, 0, 2, 0xffff));
		c = fl_or(st, snap(st, 0, ET_IPX), c);
		c = fl_and(st, is_8023(st), c);
		return fl_or(st, fl_cmp(st, OR_LINKTYPE, 0, 2, ET_IPX), c);
	}
	case ET_ATALK:
	case ET_AARP: {
		struct fl_cond *c = p == ET_ATALK ? snap(st, 0x080007, ET_ATALK)
						  : snap(st, 0, ET_AARP);

		c = fl_and(st, is_8023(st), c);
		return fl_or(st, c, fl_cmp(st, OR_LINKTYPE, 0, 2, p));
	}
	default:
		if (p <= ETHERMTU)
			return fl_and(st, is_8023(st),
				      fl_cmp(st, OR_LINKTYPE, 2, 1, p));
		return fl_cmp(st, OR_LINKTYPE, 0, 2, p);
	}
}

static struct fl_cond *sll_linktype(struct fl_state *st, uint32_t p)
{
	switch (p) {
	case SAP_ISONS:
	case SAP_IP:
	case SAP_NETBEUI:
		return fl_and(st, fl_cmp(st, OR_LINKTYPE, 0, 2, SLL_P_802_2),
			      fl_cmp(st, OR_LLC, 0, 2, p << 8 | p));
	case SAP_IPX: {
		struct fl_cond *c = fl_cmp(st, OR_LLC, 0, 1, SAP_IPX);

		c = fl_or(st, snap(st, 0, ET_IPX), c);
		c = fl_and(st, fl_cmp(st, OR_LINKTYPE, 0, 2, SLL_P_802_2), c);
		c = fl_or(st, fl_cmp(st, OR_LINKTYPE, 0, 2, 1 /* 802.3 */), c);
		return fl_or(st, fl_cmp(st, OR_LINKTYPE, 0, 2, ET_IPX), c);
	}
	case ET_ATALK:
	case ET_AARP: {
		struct fl_cond *c = p == ET_ATALK ? snap(st, 0x080007, ET_ATALK)
						  : snap(st, 0, ET_AARP);

		c = fl_and(st, fl_cmp(st, OR_LINKTYPE, 0, 2, SLL_P_802_2), c);
		return fl_or(st, c, fl_cmp(st, OR_LINKTYPE, 0, 2, p));
	}
	default:
		if (p <= ETHERMTU)
			return fl_and(st, fl_cmp(st, OR_LINKTYPE, 0, 2, SLL_P_802_2),
				      fl_cmp(st, OR_LLC, 0, 1, p));
		return fl_cmp(st, OR_LINKTYPE, 0, 2, p);
	}
}

struct fl_cond *fl_llc_linktype(struct fl_state *st, uint32_t p)
{
	switch (p) {
	case SAP_ISONS:
	case SAP_IP:
	case SAP_NETBEUI:
		return fl_cmp(st, OR_LLC, 0, 2, p << 8 | p);
	case SAP_IPX:
		return fl_cmp(st, OR_LLC, 0, 1, p);
	default:
		/* SAP values are DSAPs; EtherTypes sit in a SNAP header */
		return p <= ETHERMTU ? fl_cmp(st, OR_LLC, 0, 1, p)
				     : fl_cmp(st, OR_LLC, 6, 2, p);
	}
}

static uint32_t null_af(struct fl_state *st, uint32_t af)
{
	if (st->linktype == DLT_LOOP)
		return af;
	/* host byte order of the capturing machine, read as big-endian */
	const uint16_t one = 1;
	if (*(const uint8_t *)&one)
		return (af & 0xff) << 24 | (af & 0xff00) << 8 |
		       (af >> 8 & 0xff00) | af >> 24;
	return af;
}

static struct fl_cond *loop_linktype(struct fl_state *st, uint32_t p)
{
	switch (p) {
	case ET_IP:
		return fl_cmp(st, OR_LINKTYPE, 0, 4, null_af(st, 2));
	case ET_IPV6: {
		/* live: the host's AF_INET6 (10 on Linux); a savefile may come
		 * from any BSD: Darwin 30, NetBSD/OpenBSD 24, FreeBSD 28 */
		if (st->live)
			return fl_cmp(st, OR_LINKTYPE, 0, 4, null_af(st, 10));
		struct fl_cond *c = fl_cmp(st, OR_LINKTYPE, 0, 4, null_af(st, 30));
		c = fl_or(st, c, fl_cmp(st, OR_LINKTYPE, 0, 4, null_af(st, 24)));
		return fl_or(st, c, fl_cmp(st, OR_LINKTYPE, 0, 4, null_af(st, 28)));
	}
	case SAP_ISONS:
		return fl_cmp(st, OR_LINKTYPE, 0, 4, null_af(st, 7));
	default:
		return fl_false(st);
	}
}

/* ARCnet protocol ids (RFC 1201 and the older RFC 1051 ones) */
static struct fl_cond *arcnet_linktype(struct fl_state *st, uint32_t p)
{
	static const struct {
		uint32_t et, id, old;
	} ids[] = {
		{ET_IP, 212, 240}, {0x0806, 213, 241}, {0x8035, 214, 242},
		{ET_IPV6, 196, 0}, {ET_ATALK, 221, 0},
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i].et != p)
			continue;
		struct fl_cond *c = fl_cmp(st, OR_LINKTYPE, 0, 1, ids[i].id);

		if (ids[i].old)
			c = fl_or(st, c, fl_cmp(st, OR_LINKTYPE, 0, 1, ids[i].old));
		return c;
	}
	return fl_false(st);
}

/* ARCnet hosts are one byte: source at 0, destination at 1 (0 is the
 * broadcast address). */
struct fl_cond *fl_arcnet_host(struct fl_state *st, uint32_t a, int dir,
			       int col)
{
	if (st->linktype != DLT_ARCNET && st->linktype != DLT_ARCNET_LINUX)
		fl_fail(st, col, "'link host $XX' not supported on DLT_%s",
			fl_dlt_name(st->linktype));
	switch (dir) {
	case D_SRC:
		return fl_cmp(st, OR_LINKHDR, 0, 1, a);
	case D_DST:
		return fl_cmp(st, OR_LINKHDR, 1, 1, a);
	case D_AND:
		return fl_and(st, fl_cmp(st, OR_LINKHDR, 0, 1, a),
			      fl_cmp(st, OR_LINKHDR, 1, 1, a));
	case D_DEFAULT:
	case D_OR:
		return fl_or(st, fl_cmp(st, OR_LINKHDR, 0, 1, a),
			     fl_cmp(st, OR_LINKHDR, 1, 1, a));
	default:
		fl_fail(st, col, "'%s' is valid for 802.11 syntax only",
			fl_dir_name(dir));
	}
}

static uint32_t ppp_type(uint32_t p)
{
	switch (p) {
	case ET_IP: return 0x0021;
	case ET_IPV6: return 0x0057;
	case 0x6003: return 0x0027; /* DECnet */
	case ET_ATALK: return 0x0029;
	case SAP_ISONS: return 0x0023;
	case SAP_IPX: return 0x002b;
	case 0x8847: return 0x0281; /* MPLS unicast */
	case 0x8848: return 0x0283;
	default: return p;
	}
}

static struct fl_cond *raw_version(struct fl_state *st, uint32_t p)
{
	/* (libpcap 1.10 reads the version of SLIP packets at the start of
	 * the SLIP header, not of the IP header) */
	enum fl_rel rel = st->linktype == DLT_SLIP ? OR_LINKHDR : OR_LINKPL;

	if (p == ET_IP)
		return fl_mcmp(st, rel, 0, 1, 0x40, 0xf0);
	if (p == ET_IPV6)
		return fl_mcmp(st, rel, 0, 1, 0x60, 0xf0);
	return fl_false(st);
}

struct fl_cond *fl_linktype(struct fl_state *st, uint32_t p)
{
	if (st->label_depth > 0) {
		/* inside MPLS: the bottom-of-stack bit, then the IP version */
		if (p != ET_IP && p != ET_IPV6)
			fl_fail(st, st->errcol, "unsupported protocol over mpls");
		return fl_and(st, fl_mcmp(st, OR_PREVMPLS, 2, 1, 1, 1),
			      raw_version(st, p));
	}
	switch (st->linktype) {
	case DLT_EN10MB:
		return ether_linktype(st, p);
	case DLT_IEEE802_11:
	case DLT_IEEE802_11_RADIO:
		return fl_wlan_linktype(st, p);
	case DLT_FDDI:
	case DLT_IEEE802:
	case DLT_IP_OVER_FC:
		return fl_llc_linktype(st, p);
	case DLT_LINUX_SLL:
		return sll_linktype(st, p);
	case DLT_LINUX_SLL2:
		/* libpcap 1.10 compares the protocol field only, LLC SAPs
		 * included */
		return fl_cmp(st, OR_LINKTYPE, 0, 2, p);
	case DLT_NULL:
	case DLT_LOOP:
		return loop_linktype(st, p);
	case DLT_RAW:
	case DLT_SLIP:
		return raw_version(st, p);
	case DLT_ARCNET:
	case DLT_ARCNET_LINUX:
		return arcnet_linktype(st, p);
	case DLT_IPV4:
		return p == ET_IP ? fl_true(st) : fl_false(st);
	case DLT_IPV6:
		return p == ET_IPV6 ? fl_true(st) : fl_false(st);
	case DLT_PPP:
		return fl_cmp(st, OR_LINKTYPE, 0, 2, ppp_type(p));
	case DLT_C_HDLC:
		return fl_cmp(st, OR_LINKTYPE, 0, 2, p == SAP_ISONS ? 0xfefe : p);
	default:
		fl_unsupported(st, "link type %s is not supported",
			       fl_dlt_name(st->linktype));
	}
}

static int is_ether_like(struct fl_state *st)
{
	return st->mac_dst >= 0;
}

struct fl_cond *fl_ether_host(struct fl_state *st, const uint8_t mac[6],
			      int dir, int col)
{
	if (fl_is_wlan(st))
		return fl_wlan_host(st, mac, dir, col);
	if (!is_ether_like(st))
		fl_fail(st, col, "'link host XX:XX:XX:XX:XX:XX' not supported on DLT_%s",
			fl_dlt_name(st->linktype));
	uint32_t src = (uint32_t)st->mac_src, dst = (uint32_t)st->mac_dst;

	if (st->geneve) {
		/* only when Geneve carries an Ethernet frame (then the link
		 * header and the payload start at different places) */
		struct fl_stmts s = {0};

		fl_emit(st, &s, BPF_LD | BPF_MEM, (uint32_t)st->ll_reg);
		fl_emit(st, &s, BPF_LDX | BPF_MEM, (uint32_t)st->pl_reg);
		struct fl_cond *eth = fl_not(st, fl_leaf(st, &s, BPF_JMP | BPF_JEQ | BPF_X, 0));
		st->geneve = 0;
		struct fl_cond *h = fl_ether_host(st, mac, dir, col);
		st->geneve = 1;
		return fl_and(st, eth, h);
	}
	switch (dir) {
	case D_SRC:
		return fl_bcmp(st, OR_LINKHDR, src, mac, 6);
	case D_DST:
		return fl_bcmp(st, OR_LINKHDR, dst, mac, 6);
	case D_AND:
		return fl_and(st, fl_bcmp(st, OR_LINKHDR, src, mac, 6),
			      fl_bcmp(st, OR_LINKHDR, dst, mac, 6));
	case D_DEFAULT:
	case D_OR:
		return fl_or(st, fl_bcmp(st, OR_LINKHDR, src, mac, 6),
			     fl_bcmp(st, OR_LINKHDR, dst, mac, 6));
	default:
		fl_fail(st, col, "'%s' is valid for 802.11 syntax only",
			fl_dir_name(dir));
	}
}

struct fl_cond *fl_broadcast(struct fl_state *st, int proto, int col)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	st->errcol = col;
	if (proto == P_DEFAULT || proto == P_LINK) {
		if (fl_is_wlan(st))
			return fl_wlan_broadcast(st);
		if (st->linktype == DLT_ARCNET || st->linktype == DLT_ARCNET_LINUX)
			return fl_cmp(st, OR_LINKHDR, 1, 1, 0);
		if (!is_ether_like(st))
			fl_fail(st, col, "'broadcast' not supported on DLT_%s",
				fl_dlt_name(st->linktype));
		return fl_bcmp(st, OR_LINKHDR, (uint32_t)st->mac_dst, bcast, 6);
	}
	if (proto == P_IP) {
		if (st->netmask == BPFTK_FILTER_NETMASK_UNKNOWN)
			fl_fail(st, col, "netmask not known, so 'ip broadcast' not supported");
		uint32_t hm = ~st->netmask;
		struct fl_cond *c = fl_or(st, fl_mcmp(st, OR_LINKPL, 16, 4, 0, hm),
					  fl_mcmp(st, OR_LINKPL, 16, 4, hm, hm));
		return fl_and(st, fl_linktype(st, ET_IP), c);
	}
	fl_fail(st, col, "only link-layer/IP broadcast filters supported");
}

struct fl_cond *fl_multicast(struct fl_state *st, int proto, int col)
{
	st->errcol = col;
	if (proto == P_DEFAULT || proto == P_LINK) {
		if (fl_is_wlan(st))
			return fl_wlan_multicast(st);
		/* ARCnet has only the broadcast group */
		if (st->linktype == DLT_ARCNET || st->linktype == DLT_ARCNET_LINUX)
			return fl_cmp(st, OR_LINKHDR, 1, 1, 0);
		if (!is_ether_like(st))
			fl_fail(st, col, "'multicast' not supported on DLT_%s",
				fl_dlt_name(st->linktype));
		struct fl_stmts s = {0};
		fl_load(st, &s, OR_LINKHDR, (uint32_t)st->mac_dst, 1);
		return fl_leaf(st, &s, BPF_JMP | BPF_JSET | BPF_K, 1);
	}
	if (proto == P_IP)
		return fl_and(st, fl_linktype(st, ET_IP),
			      fl_cmp_op(st, OR_LINKPL, 16, 1, BPF_JGE, 224));
	if (proto == P_IPV6)
		return fl_and(st, fl_linktype(st, ET_IPV6),
			      fl_cmp(st, OR_LINKPL, 24, 1, 255));
	fl_fail(st, col, "only IP multicast filters supported on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
}

struct fl_cond *fl_inbound(struct fl_state *st, int outbound, int col)
{
	struct fl_cond *c;

	if (st->linktype == DLT_LINUX_SLL)
		c = fl_cmp(st, OR_PACKET, 0, 2, 4 /* PACKET_OUTGOING */);
	else if (st->linktype == DLT_LINUX_SLL2)
		c = fl_cmp(st, OR_PACKET, 10, 1, 4);
	else if (st->linktype == DLT_SLIP) /* direction byte: 0 in, 1 out */
		c = fl_not(st, fl_cmp(st, OR_PACKET, 0, 1, 0));
	else if (st->dlt == DLT_PPP_PPPD) /* the same, as pppd writes it */
		return fl_cmp(st, OR_PACKET, 0, 1, outbound ? 1 : 0);
	else
		fl_fail(st, col, "not a live capture, '%s' not supported on DLT_%s",
			outbound ? "outbound" : "inbound",
			fl_dlt_name(st->linktype));
	return outbound ? c : fl_not(st, c);
}

struct fl_cond *fl_ifindex(struct fl_state *st, uint32_t idx, int col)
{
	if (st->linktype != DLT_LINUX_SLL2)
		fl_fail(st, col, "not a live capture, 'ifindex' not supported on DLT_%s",
			fl_dlt_name(st->linktype));
	return fl_cmp(st, OR_PACKET, 4, 4, idx);
}

/* 'llc': an 802.2 frame.  On Ethernet a length (not an EtherType) and not
 * Novell's raw 802.3 (0xffff where the DSAP/SSAP would be); on 802.11 a
 * data frame; on FDDI and token ring always; elsewhere an error, as in
 * libpcap 1.10. */
struct fl_cond *fl_llc(struct fl_state *st, int col)
{
	/* libpcap switches on the current link type: PPP after 'pppoes',
	 * Ethernet inside 'geneve'; netANALYZER stays itself there (our
	 * linktype calls it Ethernet for the offsets' sake) */
	int lt = st->linktype == DLT_EN10MB && !st->geneve ? st->dlt
							   : st->linktype;
	switch (lt) {
	case DLT_EN10MB:
		return fl_and(st, is_8023(st),
			      fl_not(st, fl_cmp(st, OR_LLC, 0, 2, 0xffff)));
	case DLT_IEEE802_11:
	case DLT_IEEE802_11_RADIO:
		return fl_and(st, fl_not(st, fl_cmp_op(st, OR_LINKHDR, 0, 1,
							BPF_JSET, 0x04)),
			      fl_cmp_op(st, OR_LINKHDR, 0, 1, BPF_JSET, 0x08));
	case DLT_FDDI:
	case DLT_IEEE802:
		return fl_true(st);
	default:
		fl_fail(st, col, "'llc' not supported on DLT_%s",
			fl_dlt_name(lt));
	}
}

/* 'llc i|s|u|<subtype>': the control field (LLC byte 2): I frames have
 * bit 0 clear, S frames low bits 01, U frames 11; S subtypes are the low
 * nibble, U subtypes all but the poll/final bit 0x10. */
struct fl_cond *fl_llc_kind(struct fl_state *st, const char *name, int col)
{
	static const struct {
		const char *name;
		uint32_t v, mask;
	} kinds[] = {
		{"s", 0x01, 0x03}, {"u", 0x03, 0x03},
		{"rr", 0x01, 0x0f}, {"rnr", 0x05, 0x0f}, {"rej", 0x09, 0x0f},
		{"ui", 0x03, 0xef}, {"ua", 0x63, 0xef}, {"disc", 0x43, 0xef},
		{"dm", 0x0f, 0xef}, {"sabme", 0x6f, 0xef}, {"test", 0xe3, 0xef},
		{"xid", 0xaf, 0xef}, {"frmr", 0x87, 0xef},
	};
	struct fl_cond *llc = fl_llc(st, col);

	if (!strcasecmp(name, "i"))
		return fl_and(st, llc, fl_not(st, fl_cmp_op(st, OR_LLC, 2, 1,
							     BPF_JSET, 0x01)));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcasecmp(name, kinds[i].name))
			return fl_and(st, llc, fl_mcmp(st, OR_LLC, 2, 1, kinds[i].v,
						       kinds[i].mask));
	fl_fail(st, col, "unknown LLC type name \"%s\"", name);
}
