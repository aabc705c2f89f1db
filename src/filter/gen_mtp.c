/* gen_mtp.c — SS7 signalling links (DLT_MTP2, DLT_MTP2_WITH_PHDR,
 * DLT_MTP3): MTP2 signal unit types and the MTP3 fields.
 *
 * Facts (ITU-T Q.703/Q.704 and libpcap 1.10): the MTP2 length indicator
 * is the low 6 bits of byte 2 of the signal unit (0 FISU, 1-2 LSSU, more
 * MSU); high-speed links (Q.703 Annex A) have a 9-bit indicator in bits
 * 7..15 of the little-endian half-word at 4, and every later field 3
 * bytes further.  MTP3 starts with the service information octet; the
 * routing label is a little-endian 32-bit word: DPC (14 bits), OPC (14
 * bits), SLS (4 bits).  A 4-byte pseudo-header precedes MTP2_WITH_PHDR.
 *
 * As in libpcap 1.10, MTP3 field comparisons run on the masked label as
 * loaded (big-endian), and '!=' compares as '=' (filter_parse.c).
 */
#include <string.h>

#include "filter_int.h"

enum { F_SIO, F_OPC, F_DPC, F_SLS, F_HSIO, F_HOPC, F_HDPC, F_HSLS };

int fl_mtp_setup(struct fl_state *st, int dlt)
{
	st->off_linkpl = 0;
	st->off_linktype = 0;
	switch (dlt) {
	case DLT_MTP2:
		st->mtp_li = 2;
		st->mtp_sio = 3;
		return 0;
	case DLT_MTP2_WITH_PHDR:
		st->mtp_li = 6;
		st->mtp_sio = 7;
		return 0;
	case DLT_MTP3:
		st->mtp_li = -1;
		st->mtp_sio = 0;
		return 0;
	default:
		return -1;
	}
}

static int is_ss7(const struct fl_state *st)
{
	return st->linktype == DLT_MTP2 || st->linktype == DLT_MTP2_WITH_PHDR ||
	       st->linktype == DLT_MTP3;
}

static uint32_t bswap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

struct fl_cond *fl_mtp2_type(struct fl_state *st, const char *kw, int col)
{
	static const char *const names[] = {"fisu", "lssu", "msu",
					    "hfisu", "hlssu", "hmsu"};
	int t = -1;

	for (int i = 0; i < 6; i++)
		if (!strcmp(kw, names[i]))
			t = i;
	if (!strcmp(kw, "lsu")) /* libpcap's other spelling of lssu */
		t = 1;
	if (t < 0)
		return NULL;
	if (st->linktype != DLT_MTP2 && st->linktype != DLT_MTP2_WITH_PHDR)
		fl_fail(st, col, "'%s' supported only on SS7 (MTP2)", kw);
	int high = t >= 3;
	uint32_t off = (uint32_t)st->mtp_li + (high ? 2 : 0);
	uint32_t size = high ? 2 : 1, mask = high ? 0xff80 : 0x3f;
	uint32_t two = high ? 0x100 : 2;

	switch (t % 3) {
	case 0:
		return fl_mcmp(st, OR_PACKET, off, size, 0, mask);
	case 1:
		return fl_and(st, fl_mcmp_op(st, OR_PACKET, off, size, mask,
					     BPF_JGT, 0),
			      fl_not(st, fl_mcmp_op(st, OR_PACKET, off, size,
						    mask, BPF_JGT, two)));
	default:
		return fl_mcmp_op(st, OR_PACKET, off, size, mask, BPF_JGT, two);
	}
}

int fl_mtp3_field(const char *kw)
{
	static const char *const names[] = {"sio", "opc", "dpc", "sls",
					    "hsio", "hopc", "hdpc", "hsls"};

	for (int i = 0; i < 8; i++)
		if (!strcmp(kw, names[i]))
			return i;
	return -1;
}

struct fl_cond *fl_mtp3_cmp(struct fl_state *st, int field, uint16_t jop,
			    uint32_t v, int col)
{
	static const char *const names[] = {"sio", "opc", "dpc", "sls",
					    "hsio", "hopc", "hdpc", "hsls"};
	static const uint32_t max[] = {255, 16383, 16383, 15};
	int f = field % 4;

	if (!is_ss7(st))
		fl_fail(st, col, "'%s' supported only on SS7", names[field]);
	if (v > max[f])
		fl_fail(st, col, "%s %u greater than maximum %u", names[field], v,
			max[f]);
	uint32_t off = (uint32_t)st->mtp_sio + (field >= F_HSIO ? 3 : 0);

	switch (f) {
	case F_SIO:
		return fl_cmp_op(st, OR_PACKET, off, 1, jop, v);
	case F_OPC:
		return fl_mcmp_op(st, OR_PACKET, off + 1, 4, 0x00c0ff0f, jop,
				  bswap32(v << 14));
	case F_DPC:
		return fl_mcmp_op(st, OR_PACKET, off + 1, 4, 0xff3f0000, jop,
				  bswap32(v));
	default:
		return fl_mcmp_op(st, OR_PACKET, off + 4, 1, 0xf0, jop, v << 4);
	}
}
