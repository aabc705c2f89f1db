/* gen_load.c — loads relative to the parts of a packet (link header,
 * link-layer type field, link payload, LLC header, IPv4/IPv6 transport
 * header, previous MPLS header) and the comparisons built on them.
 *
 * Offsets come from the compiler state at the time of the call, so code
 * built after 'vlan', 'mpls' or 'pppoes' sees the shifted layout.  Where
 * an offset is only known at run time (802.11), the load goes through
 * X = M[slot] that the link prologue fills, and the prologue is marked
 * as needed.  Loads
 * of the IPv4 transport header go through X = 4 * (IHL), as libpcap's do.
 */
#include "filter_int.h"

static uint16_t size_code(uint32_t size)
{
	return size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
}

/* Where rel starts: a constant, plus M[ll_reg] (*var 1) or M[pl_reg]
 * (*var 2) when the link layer has run-time offsets. */
static uint32_t rel_base(struct fl_state *st, enum fl_rel rel, int *var)
{
	uint32_t nl = st->off_linkpl + st->off_nl;
	int pl = st->pl_var ? 2 : 0;

	*var = 0;
	switch (rel) {
	case OR_LINKHDR: *var = st->ll_var; return st->off_linkhdr;
	case OR_LINKTYPE:
		*var = st->lt_var ? 3 : pl;
		return st->off_linktype;
	case OR_LINKPL: *var = pl; return nl;
	case OR_LLC: *var = pl; return st->off_linkpl;
	case OR_LINKPL_NOSNAP:
		*var = pl;
		return st->off_linkpl + st->off_nl_nosnap;
	case OR_TRAN_IPV4: *var = pl; return nl;
	case OR_TRAN_IPV6: *var = pl; return nl + 40;
	case OR_PREVMPLS: return st->off_prevmpls;
	default: return 0;
	}
}

/* X = the run-time part of rel's start (for the IPv4 transport header
 * also 4 * IHL); returns whether anything was loaded into X. */
static int load_x(struct fl_state *st, struct fl_stmts *s, enum fl_rel rel)
{
	int var;
	uint32_t base = rel_base(st, rel, &var);

	if (var == 1)
		st->need_ll = 1;
	if (var == 2)
		st->need_pl = 1;
	if (var)
		fl_emit(st, s, BPF_LDX | BPF_MEM,
			(uint32_t)(var == 1 ? st->ll_reg
				   : var == 2 ? st->pl_reg : st->lt_reg));
	if (rel != OR_TRAN_IPV4)
		return var != 0;
	if (var) {
		fl_emit(st, s, BPF_LD | BPF_IND | BPF_B, base);
		fl_emit(st, s, BPF_ALU | BPF_AND | BPF_K, 0xf);
		fl_emit(st, s, BPF_ALU | BPF_LSH | BPF_K, 2);
		fl_emit(st, s, BPF_ALU | BPF_ADD | BPF_X, 0);
		fl_emit(st, s, BPF_MISC | BPF_TAX, 0);
	} else {
		fl_emit(st, s, BPF_LDX | BPF_MSH | BPF_B, base);
	}
	return 1;
}

void fl_load(struct fl_state *st, struct fl_stmts *s, enum fl_rel rel,
	     uint32_t off, uint32_t size)
{
	int var;
	uint32_t base = rel_base(st, rel, &var);
	int ind = load_x(st, s, rel);

	fl_emit(st, s, BPF_LD | (ind ? BPF_IND : BPF_ABS) | size_code(size),
		base + off);
}

void fl_load_index(struct fl_state *st, struct fl_stmts *s, enum fl_rel rel,
		   uint32_t size)
{
	int var;
	uint32_t base = rel_base(st, rel, &var);

	if (var || rel == OR_TRAN_IPV4) {
		/* A (the index) waits in a scratch slot while X is built */
		int t = fl_alloc_reg(st);

		fl_free_reg(st, t);
		fl_emit(st, s, BPF_ST, (uint32_t)t);
		load_x(st, s, rel);
		fl_emit(st, s, BPF_LD | BPF_MEM, (uint32_t)t);
		fl_emit(st, s, BPF_ALU | BPF_ADD | BPF_X, 0);
	}
	fl_emit(st, s, BPF_MISC | BPF_TAX, 0);
	fl_emit(st, s, BPF_LD | BPF_IND | size_code(size), base);
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

struct fl_cond *fl_mcmp_op(struct fl_state *st, enum fl_rel rel, uint32_t off,
			   uint32_t size, uint32_t mask, uint16_t jop,
			   uint32_t v)
{
	struct fl_stmts s = {0};

	fl_load(st, &s, rel, off, size);
	if (mask != 0xffffffffu)
		fl_emit(st, &s, BPF_ALU | BPF_AND | BPF_K, mask);
	return fl_leaf(st, &s, BPF_JMP | jop | BPF_K, v);
}

struct fl_cond *fl_mcmp(struct fl_state *st, enum fl_rel rel, uint32_t off,
			uint32_t size, uint32_t v, uint32_t mask)
{
	/* "x & 0 == v" is constant (see fl_and on folding) */
	if (st->optimize && mask == 0)
		return v == 0 ? fl_true(st) : fl_false(st);
	return fl_mcmp_op(st, rel, off, size, mask, BPF_JEQ, v);
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
