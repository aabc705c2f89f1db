/* gen_encap.c — encapsulations that move the network layer: 802.1Q/802.1ad
 * VLAN tags, MPLS label stacks, PPPoE discovery and session.
 *
 * As in libpcap, each of these changes the compiler's offsets as a side
 * effect, so every primitive parsed after it looks behind the tag, label
 * or PPPoE header ("vlan 10 and ip" tests the EtherType after the tag;
 * "not vlan and ip" still shifts: pcap-filter(7) documents this).
 */
#include "filter_int.h"

static int vlan_capable(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_IEEE802_11 ||
	       dlt == DLT_IEEE802_11_RADIO;
}

struct fl_cond *fl_vlan(struct fl_state *st, uint32_t vid, int has_vid,
			int col)
{
	st->errcol = col;
	if (st->label_depth > 0)
		fl_fail(st, col, "no VLAN match after MPLS");
	if (!vlan_capable(st->linktype))
		fl_fail(st, col, "'vlan' not supported on DLT_%s",
			fl_dlt_name(st->linktype));
	if (has_vid && vid > 4095)
		fl_fail(st, col, "VLAN tag %u greater than maximum 4095", vid);
	struct fl_cond *c = fl_or(st, fl_linktype(st, 0x8100),
				  fl_linktype(st, 0x88a8));
	c = fl_or(st, c, fl_linktype(st, 0x9100));
	if (has_vid)
		c = fl_and(st, c, fl_mcmp(st, OR_LINKPL, 0, 2, vid, 0x0fff));
	st->off_linkpl += 4;
	st->off_linktype += 4;
	return c;
}

struct fl_cond *fl_mpls(struct fl_state *st, uint32_t label, int has_label,
			int col)
{
	struct fl_cond *c;

	st->errcol = col;
	if (has_label && label > 0xfffff)
		fl_fail(st, col, "MPLS label %u greater than maximum 1048575",
			label);
	if (st->label_depth > 0) {
		/* the previous label was not the bottom of the stack */
		c = fl_mcmp(st, OR_PREVMPLS, 2, 1, 0, 1);
	} else if (st->linktype == DLT_EN10MB || st->linktype == DLT_C_HDLC ||
		   st->linktype == DLT_PPP) {
		c = fl_linktype(st, 0x8847);
	} else {
		fl_fail(st, col, "'mpls' not supported on DLT_%s",
			fl_dlt_name(st->linktype));
	}
	if (has_label)
		c = fl_and(st, c, fl_mcmp(st, OR_LINKPL, 0, 4, label << 12,
					  0xfffff000u));
	st->off_prevmpls = st->off_linkpl + st->off_nl;
	st->off_nl += 4;
	st->off_nl_nosnap += 4;
	st->label_depth++;
	return c;
}

struct fl_cond *fl_pppoed(struct fl_state *st, int col)
{
	st->errcol = col;
	return fl_linktype(st, 0x8863);
}

struct fl_cond *fl_pppoes(struct fl_state *st, uint32_t sess, int has_sess,
			  int col)
{
	st->errcol = col;
	if (has_sess && sess > 0xffff)
		fl_fail(st, col, "PPPoE session number %u greater than maximum 65535",
			sess);
	struct fl_cond *c = fl_linktype(st, 0x8864);
	if (has_sess)
		c = fl_and(st, c, fl_mcmp(st, OR_LINKPL, 0, 4, sess, 0xffff));
	/* from here on the payload is PPP behind the 6-byte PPPoE header */
	st->linktype = DLT_PPP;
	st->off_linktype = st->off_linkpl + st->off_nl + 6;
	st->off_linkpl += st->off_nl + 8;
	st->off_nl = 0;
	st->off_nl_nosnap = 0;
	return c;
}
