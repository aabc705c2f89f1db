/* gen_wlan.c — IEEE 802.11 link layers (DLT_IEEE802_11 and behind a
 * radiotap header, DLT_IEEE802_11_RADIO): the run-time offsets, protocol
 * tests, addresses, and the type / subtype / direction primitives.
 *
 * Facts followed (802.11 and libpcap gencode): the frame control field is
 * the first two bytes of the 802.11 header; type bits 0x0c (0 management,
 * 4 control, 8 data), subtype bits 0xf0, QoS data subtypes have bit 0x80
 * and two more header bytes; flags byte: 0x01 ToDS, 0x02 FromDS.  The MAC
 * header of data frames is 24 bytes (+2 for QoS) followed by LLC/SNAP
 * (8 bytes; the EtherType at 6).  Radiotap: little-endian length at 2,
 * present bitmap at 4 (bit 0 TSFT, bit 1 flags, bit 31 extension), flags
 * byte 0x20 = header padded to 4 bytes.  Which address is the source or
 * destination depends on ToDS/FromDS (addr1 DA unless ToDS, then addr3;
 * addr2 SA unless FromDS, then addr3, or addr4 with both).
 *
 * The payload offset is computed once by a prologue (fl_wlan_prologue)
 * into M[pl_reg] (the radiotap length into M[ll_reg]), as libpcap does.
 */
#include "filter_int.h"

#define FC_TYPE_MASK 0x0c
#define FC_SUBTYPE_MASK 0xf0
#define FC_TYPE_CTL 0x04
#define FC_TYPE_DATA 0x08

int fl_is_wlan(const struct fl_state *st)
{
	return st->linktype == DLT_IEEE802_11 ||
	       st->linktype == DLT_IEEE802_11_RADIO;
}

void fl_wlan_setup(struct fl_state *st, int radiotap)
{
	st->off_linkhdr = 0;
	st->off_linktype = 0;
	st->off_linkpl = 0;
	st->off_nl = 8;
	st->off_nl_nosnap = 3;
	st->ll_var = radiotap;
	st->ll_reg = radiotap ? fl_alloc_reg(st) : -1;
	st->pl_var = 1;
	st->pl_reg = fl_alloc_reg(st);
}

/* A leaf with its own statements (k1 op) ending in "jset #bit". */
static struct fl_cond *jset_leaf(struct fl_state *st, struct fl_stmts *s,
				 uint32_t bit)
{
	return fl_leaf(st, s, BPF_JMP | BPF_JSET | BPF_K, bit);
}

/* jset on the frame control byte (0) or flags byte (1). */
static struct fl_cond *fc_jset(struct fl_state *st, uint32_t byte, uint32_t bit)
{
	struct fl_stmts s = {0};

	fl_load(st, &s, OR_LINKHDR, byte, 1);
	return jset_leaf(st, &s, bit);
}

/* Absolute-offset byte test "ld{b,} [off]; jset #bit". */
static struct fl_cond *abs_jset(struct fl_state *st, uint16_t size,
				uint32_t off, uint32_t bit)
{
	struct fl_stmts s = {0};

	fl_emit(st, &s, BPF_LD | BPF_ABS | size, off);
	return jset_leaf(st, &s, bit);
}

struct fl_cond *fl_wlan_prologue(struct fl_state *st)
{
	struct fl_stmts init = {0}, s = {0};

	if (!st->need_pl && !st->need_ll)
		return NULL;
	if (st->ll_var) {
		/* X = M[ll] = radiotap length (little-endian u16 at 2) */
		fl_emit(st, &init, BPF_LD | BPF_ABS | BPF_B, 3);
		fl_emit(st, &init, BPF_ALU | BPF_LSH | BPF_K, 8);
		fl_emit(st, &init, BPF_MISC | BPF_TAX, 0);
		fl_emit(st, &init, BPF_LD | BPF_ABS | BPF_B, 2);
		fl_emit(st, &init, BPF_ALU | BPF_OR | BPF_X, 0);
		fl_emit(st, &init, BPF_ST, (uint32_t)st->ll_reg);
		fl_emit(st, &init, BPF_MISC | BPF_TAX, 0);
	} else {
		fl_emit(st, &init, BPF_LDX | BPF_IMM, 0);
	}
	if (!st->need_pl)
		return fl_stmts_true(st, &init);
	fl_emit(st, &init, BPF_MISC | BPF_TXA, 0);
	fl_emit(st, &init, BPF_ALU | BPF_ADD | BPF_K, 24);
	fl_emit(st, &init, BPF_ST, (uint32_t)st->pl_reg);

	/* data frames (not control) with QoS: two more bytes */
	fl_emit(st, &s, BPF_LD | BPF_IND | BPF_B, 0);
	struct fl_cond *data = jset_leaf(st, &s, FC_TYPE_DATA);
	struct fl_cond *notctl = fl_not(st, jset_leaf(st, NULL, FC_TYPE_CTL));
	struct fl_stmts add = {0};
	fl_emit(st, &add, BPF_LD | BPF_MEM, (uint32_t)st->pl_reg);
	fl_emit(st, &add, BPF_ALU | BPF_ADD | BPF_K, 2);
	fl_emit(st, &add, BPF_ST, (uint32_t)st->pl_reg);
	struct fl_cond *qos = fl_or(st, fl_and(st, jset_leaf(st, NULL, 0x80),
					       fl_stmts_true(st, &add)),
				    fl_true(st));
	struct fl_cond *body = qos;

	/* (libpcap looks at the link type at the end of the expression, which
	 * 'pppoes' turned into PPP: then no padding is applied) */
	if (st->ll_var && st->linktype == DLT_IEEE802_11_RADIO) {
		/* radiotap flags with DATAPAD: round the offset up to 4 */
		struct fl_stmts round = {0};

		fl_emit(st, &round, BPF_LD | BPF_MEM, (uint32_t)st->pl_reg);
		fl_emit(st, &round, BPF_ALU | BPF_ADD | BPF_K, 3);
		fl_emit(st, &round, BPF_ALU | BPF_AND | BPF_K, 0xfffffffc);
		fl_emit(st, &round, BPF_ST, (uint32_t)st->pl_reg);
		struct fl_cond *tsft = abs_jset(st, BPF_W, 4, 0x1000000);
		struct fl_cond *pad = fl_or(st,
			fl_and(st, tsft, abs_jset(st, BPF_B, 16, 0x20)),
			fl_and(st, fl_not(st, abs_jset(st, BPF_W, 4, 0x1000000)),
			       abs_jset(st, BPF_B, 8, 0x20)));
		struct fl_cond *flags = fl_and(st, abs_jset(st, BPF_W, 4, 0x2000000),
					       fl_not(st, jset_leaf(st, NULL, 0x80)));
		body = fl_and(st, qos, fl_and(st, fl_and(st, flags, pad),
					       fl_stmts_true(st, &round)));
	}
	return fl_and(st, fl_stmts_true(st, &init),
		      fl_and(st, data, fl_and(st, notctl, body)));
}

/* A data frame: type data and not control (libpcap's test). */
static struct fl_cond *data_frame(struct fl_state *st)
{
	return fl_and(st, fl_not(st, fc_jset(st, 0, FC_TYPE_CTL)),
		      fc_jset(st, 0, FC_TYPE_DATA));
}

struct fl_cond *fl_wlan_linktype(struct fl_state *st, uint32_t p)
{
	return fl_and(st, data_frame(st), fl_llc_linktype(st, p));
}

typedef struct fl_cond *(*addr_test)(struct fl_state *st, uint32_t off,
				     const uint8_t *mac);

static struct fl_cond *addr_eq(struct fl_state *st, uint32_t off,
			       const uint8_t *mac)
{
	return fl_bcmp(st, OR_LINKHDR, off, mac, 6);
}

static struct fl_cond *addr_group(struct fl_state *st, uint32_t off,
				  const uint8_t *mac)
{
	(void)mac;
	return fc_jset(st, off, 1);
}

/* Source address: addr2, or addr3 (FromDS), or addr4 (ToDS and FromDS);
 * not in control frames. */
static struct fl_cond *wlan_src(struct fl_state *st, const uint8_t *mac,
				addr_test at)
{
	struct fl_cond *fromds =
		fl_or(st, fl_and(st, fl_not(st, fc_jset(st, 1, 1)), at(st, 16, mac)),
		      fl_and(st, fc_jset(st, 1, 1), at(st, 24, mac)));
	struct fl_cond *data =
		fl_or(st, fl_and(st, fl_not(st, fc_jset(st, 1, 2)), at(st, 10, mac)),
		      fl_and(st, fc_jset(st, 1, 2), fromds));

	return fl_and(st, fl_not(st, fc_jset(st, 0, FC_TYPE_CTL)),
		      fl_or(st, fl_and(st, fl_not(st, fc_jset(st, 0, FC_TYPE_DATA)),
				       at(st, 10, mac)),
			    fl_and(st, fc_jset(st, 0, FC_TYPE_DATA), data)));
}

/* Destination address: addr1, or addr3 (ToDS); not in control frames. */
static struct fl_cond *wlan_dst(struct fl_state *st, const uint8_t *mac,
				addr_test at)
{
	struct fl_cond *data =
		fl_or(st, fl_and(st, fl_not(st, fc_jset(st, 1, 1)), at(st, 4, mac)),
		      fl_and(st, fc_jset(st, 1, 1), at(st, 16, mac)));

	return fl_and(st, fl_not(st, fc_jset(st, 0, FC_TYPE_CTL)),
		      fl_or(st, fl_and(st, fl_not(st, fc_jset(st, 0, FC_TYPE_DATA)),
				       at(st, 4, mac)),
			    fl_and(st, fc_jset(st, 0, FC_TYPE_DATA), data)));
}

/* Control frames CTS and ACK carry no addr2. */
static struct fl_cond *has_addr2(struct fl_state *st)
{
	struct fl_cond *ctl = fl_mcmp(st, OR_LINKHDR, 0, 1, FC_TYPE_CTL,
				      FC_TYPE_MASK);
	struct fl_cond *short_ctl =
		fl_or(st, fl_mcmp(st, OR_LINKHDR, 0, 1, 0xc0, FC_SUBTYPE_MASK),
		      fl_mcmp(st, OR_LINKHDR, 0, 1, 0xd0, FC_SUBTYPE_MASK));

	return fl_not(st, fl_and(st, ctl, short_ctl));
}

struct fl_cond *fl_wlan_host(struct fl_state *st, const uint8_t mac[6],
			     int dir, int col)
{
	(void)col;
	switch (dir) {
	case D_SRC:
		return wlan_src(st, mac, addr_eq);
	case D_DST:
		return wlan_dst(st, mac, addr_eq);
	case D_AND:
		return fl_and(st, wlan_src(st, mac, addr_eq),
			      wlan_dst(st, mac, addr_eq));
	case D_ADDR1:
		return addr_eq(st, 4, mac);
	case D_ADDR2:
		return fl_and(st, has_addr2(st), addr_eq(st, 10, mac));
	case D_ADDR3:
		return fl_and(st, fl_not(st, fl_mcmp(st, OR_LINKHDR, 0, 1,
						      FC_TYPE_CTL, FC_TYPE_MASK)),
			      addr_eq(st, 16, mac));
	case D_ADDR4:
		return fl_and(st, fl_mcmp(st, OR_LINKHDR, 1, 1, 3, 3),
			      addr_eq(st, 24, mac));
	case D_RA:
		return fl_and(st, fc_jset(st, 0, FC_TYPE_DATA), addr_eq(st, 4, mac));
	case D_TA:
		return fl_and(st, fc_jset(st, 0, FC_TYPE_DATA),
			      fl_and(st, has_addr2(st), addr_eq(st, 10, mac)));
	default:
		return fl_or(st, wlan_src(st, mac, addr_eq),
			     wlan_dst(st, mac, addr_eq));
	}
}

struct fl_cond *fl_wlan_broadcast(struct fl_state *st)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	return wlan_dst(st, bcast, addr_eq);
}

struct fl_cond *fl_wlan_multicast(struct fl_state *st)
{
	return wlan_dst(st, NULL, addr_group);
}

struct fl_cond *fl_p80211_type(struct fl_state *st, uint32_t v, uint32_t mask,
			       int col)
{
	if (!fl_is_wlan(st))
		fl_fail(st, col, "'type/subtype' not supported on DLT_%s",
			fl_dlt_name(st->linktype));
	return fl_mcmp(st, OR_LINKHDR, 0, 1, v, mask);
}

struct fl_cond *fl_p80211_dir(struct fl_state *st, uint32_t dir, int col)
{
	if (!fl_is_wlan(st))
		fl_fail(st, col, "'dir' not supported on DLT_%s",
			fl_dlt_name(st->linktype));
	return fl_mcmp(st, OR_LINKHDR, 1, 1, dir, 3);
}
