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
	} else if ((st->linktype == DLT_EN10MB || st->linktype == DLT_C_HDLC ||
		    st->linktype == DLT_PPP) &&
		   st->dlt != DLT_PPP_PPPD && st->dlt != DLT_PPP_SERIAL) {
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
	st->mac_dst = st->mac_src = -1;
	st->off_linktype = st->off_linkpl + st->off_nl + 6;
	st->off_linkpl += st->off_nl + 8;
	st->off_nl = 0;
	st->off_nl_nosnap = 0;
	return c;
}

/* Geneve (RFC 8926) on UDP port 6081: version 0 in the top bits of the
 * first byte, options length (4-byte words) in its low 6 bits, protocol
 * type at 2 (0x6558: an Ethernet frame follows), VNI in the 3 bytes at 4.
 * Matches set, as libpcap does, the run-time offsets of the inner frame:
 * M[lt] its type field, M[ll] its start, M[pl] its payload. */
static struct fl_cond *geneve_one(struct fl_state *st, int v6, uint32_t vni,
				  int has_vni)
{
	enum fl_rel rel = v6 ? OR_TRAN_IPV6 : OR_TRAN_IPV4;
	uint32_t nl = st->off_linkpl + st->off_nl;
	struct fl_cond *c = fl_port_one(st, v6, 6081, 17, D_DST);
	struct fl_stmts s = {0};

	c = fl_and(st, c, fl_mcmp(st, rel, 8, 1, 0, 0xc0));
	if (has_vni)
		c = fl_and(st, c, fl_mcmp(st, rel, 12, 4, vni << 8, 0xffffff00));
	/* A = the IP header length, for the offsets below */
	if (v6) {
		fl_emit(st, &s, BPF_LD | BPF_IMM, 40);
		fl_emit(st, &s, BPF_MISC | BPF_TAX, 0);
	} else {
		fl_emit(st, &s, BPF_LDX | BPF_MSH | BPF_B, nl);
		fl_emit(st, &s, BPF_MISC | BPF_TXA, 0);
	}
	return fl_and(st, c, fl_leaf(st, &s, BPF_JMP | BPF_JEQ | BPF_X, 0));
}

struct fl_cond *fl_geneve(struct fl_state *st, uint32_t vni, int has_vni,
			  int col)
{
	uint32_t nl = st->off_linkpl + st->off_nl;

	st->errcol = col;
	if (has_vni && vni > 0xffffff)
		fl_fail(st, col, "Geneve VNI %u greater than maximum 16777215", vni);
	if (st->pl_var)
		fl_unsupported(st, "'geneve' behind a link layer of variable length is not supported by this compiler");
	struct fl_cond *c = fl_or(st, geneve_one(st, 0, vni, has_vni),
				  geneve_one(st, 1, vni, has_vni));
	int lt = fl_alloc_reg(st), ll = fl_alloc_reg(st), pl = fl_alloc_reg(st);
	struct fl_stmts a = {0}, b = {0}, e = {0}, f = {0};

	/* X = the Geneve header; M[lt] its protocol field; M[ll] past the
	 * options */
	fl_emit(st, &a, BPF_ALU | BPF_ADD | BPF_K, nl + 8);
	fl_emit(st, &a, BPF_MISC | BPF_TAX, 0);
	fl_emit(st, &a, BPF_ALU | BPF_ADD | BPF_K, 2);
	fl_emit(st, &a, BPF_ST, (uint32_t)lt);
	fl_emit(st, &a, BPF_LD | BPF_IND | BPF_B, 0);
	fl_emit(st, &a, BPF_ALU | BPF_AND | BPF_K, 0x3f);
	fl_emit(st, &a, BPF_ALU | BPF_MUL | BPF_K, 4);
	fl_emit(st, &a, BPF_ALU | BPF_ADD | BPF_K, 8);
	fl_emit(st, &a, BPF_ALU | BPF_ADD | BPF_X, 0);
	fl_emit(st, &a, BPF_ST, (uint32_t)ll);
	/* an Ethernet frame: its type field and payload */
	fl_emit(st, &b, BPF_LD | BPF_IND | BPF_H, 2);
	fl_emit(st, &b, BPF_LDX | BPF_MEM, (uint32_t)ll);
	fl_emit(st, &e, BPF_MISC | BPF_TXA, 0);
	fl_emit(st, &e, BPF_ALU | BPF_ADD | BPF_K, 12);
	fl_emit(st, &e, BPF_ST, (uint32_t)lt);
	fl_emit(st, &e, BPF_ALU | BPF_ADD | BPF_K, 2);
	fl_emit(st, &e, BPF_MISC | BPF_TAX, 0);
	fl_emit(st, &f, BPF_STX, (uint32_t)pl);
	struct fl_cond *eth = fl_or(st, fl_and(st, fl_leaf(st, &b, BPF_JMP | BPF_JEQ | BPF_K,
							  0x6558),
					       fl_stmts_true(st, &e)),
				    fl_true(st));
	c = fl_and(st, c, fl_and(st, fl_stmts_true(st, &a),
				 fl_and(st, eth, fl_stmts_true(st, &f))));
	/* from here on: the inner frame, as Ethernet at run-time offsets */
	st->linktype = DLT_EN10MB;
	st->geneve = 1;
	st->ll_var = 1;
	st->ll_reg = ll;
	st->lt_var = 1;
	st->lt_reg = lt;
	st->pl_var = 1;
	st->pl_reg = pl;
	st->off_linkhdr = 0;
	st->off_linktype = 0;
	st->off_linkpl = 0;
	st->off_nl = 0;
	st->off_nl_nosnap = 3;
	st->mac_dst = 0;
	st->mac_src = 6;
	return c;
}
