/* gen_arith.c — arithmetic over packet bytes and relations between such
 * values ("ip[2:2] > 576", "len - 14 >= 100", "tcp[tcpflags] & tcp-syn
 * != 0"), and libpcap's "byte N op V".
 *
 * Each value is code that leaves it in A, plus the protocol conditions its
 * loads need ("ip[0]" only means something for IPv4 packets), which the
 * relation ANDs in front of itself — outside a '!=' negation, as libpcap
 * does.  Constants are kept as constants and become "op #k" operands.
 *
 * Scratch memory: a non-constant value holds one M[] slot from its
 * creation until it is consumed, so any value built later (the right
 * operand) never uses that slot for its own temporaries.
 */
#include "filter_int.h"

struct fl_arth_int {
	struct fl_arth a;
	int reg;
};

static struct fl_arth *new_arth(struct fl_state *st, int with_reg)
{
	struct fl_arth_int *x = fl_alloc(st, sizeof(*x));

	x->reg = with_reg ? fl_alloc_reg(st) : -1;
	return &x->a;
}

static int reg_of(struct fl_arth *a)
{
	return ((struct fl_arth_int *)a)->reg;
}

static void release(struct fl_state *st, struct fl_arth *a)
{
	if (reg_of(a) >= 0)
		fl_free_reg(st, reg_of(a));
}

struct fl_arth *fl_arth_num(struct fl_state *st, uint32_t v)
{
	struct fl_arth *a = new_arth(st, 0);

	fl_emit(st, &a->s, BPF_LD | BPF_IMM, v);
	a->is_const = 1;
	a->cval = v;
	return a;
}

struct fl_arth *fl_arth_len(struct fl_state *st)
{
	struct fl_arth *a = new_arth(st, 1);

	fl_emit(st, &a->s, BPF_LD | BPF_W | BPF_LEN, 0);
	return a;
}

struct fl_arth *fl_arth_load(struct fl_state *st, int proto,
			     struct fl_arth *idx, uint32_t size, int col)
{
	struct fl_cond *check = NULL;
	enum fl_rel rel;

	st->errcol = col;
	if (size != 1 && size != 2 && size != 4)
		fl_fail(st, col, "data size must be 1, 2, or 4");
	switch (proto) {
	case P_LINK:
		rel = OR_LINKHDR;
		break;
	case P_IP: case P_ARP: case P_RARP: case P_ATALK: case P_DECNET:
	case P_SCA: case P_LAT: case P_MOPRC: case P_MOPDL: case P_IPV6:
		rel = OR_LINKPL;
		check = fl_proto_abbrev(st, proto, col);
		break;
	case P_SCTP: case P_TCP: case P_UDP: case P_ICMP: case P_IGMP:
	case P_IGRP: case P_PIM: case P_VRRP: case P_CARP:
		rel = OR_TRAN_IPV4;
		check = fl_and(st, fl_proto_abbrev(st, proto, col), fl_ipfrag(st));
		check = fl_and(st, fl_proto_abbrev(st, P_IP, col), check);
		break;
	case P_ICMPV6:
		rel = OR_TRAN_IPV6;
		check = fl_and(st, fl_linktype(st, 0x86dd),
			       fl_cmp(st, OR_LINKPL, 6, 1, 58));
		break;
	case P_RADIO:
		if (st->linktype != DLT_IEEE802_11_RADIO)
			fl_fail(st, col, "radio information not present in capture");
		rel = OR_PACKET;
		break;
	default:
		fl_fail(st, col, "'%s' does not support the index operation",
			fl_proto_name(proto));
	}
	release(st, idx);
	struct fl_arth *a = new_arth(st, 1);
	a->check = fl_and(st, idx->check, check);
	if (idx->is_const) {
		fl_load(st, &a->s, rel, idx->cval, size);
	} else {
		a->s = idx->s; /* idx is consumed: take its code */
		fl_load_index(st, &a->s, rel, size);
	}
	return a;
}

static uint16_t alu_op(int tok)
{
	switch (tok) {
	case T_PLUS: return BPF_ADD;
	case T_MINUS: return BPF_SUB;
	case T_STAR: return BPF_MUL;
	case T_SLASH: return BPF_DIV;
	case T_PERCENT: return BPF_MOD;
	case T_AMP: return BPF_AND;
	case T_PIPE: return BPF_OR;
	case T_CARET: return BPF_XOR;
	case T_LSH: return BPF_LSH;
	default: return BPF_RSH;
	}
}

/* Code leaving a in A and b in X (b's code runs after a is saved).  The
 * operands are consumed: s takes over the array of the first one, so a
 * long chain of operations costs linear time and memory. */
static void both(struct fl_state *st, struct fl_stmts *s, struct fl_arth *a,
		 struct fl_arth *b)
{
	if (a->is_const) {
		*s = b->s;
		fl_emit(st, s, BPF_MISC | BPF_TAX, 0);
		fl_emit(st, s, BPF_LD | BPF_IMM, a->cval);
		return;
	}
	*s = a->s;
	fl_emit(st, s, BPF_ST, (uint32_t)reg_of(a));
	fl_append(st, s, &b->s);
	fl_emit(st, s, BPF_MISC | BPF_TAX, 0);
	fl_emit(st, s, BPF_LD | BPF_MEM, (uint32_t)reg_of(a));
}

struct fl_arth *fl_arth_bin(struct fl_state *st, int op, struct fl_arth *a,
			    struct fl_arth *b, int col)
{
	uint16_t code = alu_op(op);

	st->errcol = col;
	if (b->is_const) {
		if (code == BPF_DIV && b->cval == 0)
			fl_fail(st, col, "division by zero");
		if (code == BPF_MOD && b->cval == 0)
			fl_fail(st, col, "modulus by zero");
		if ((code == BPF_LSH || code == BPF_RSH) && b->cval > 31)
			fl_fail(st, col, "shift by more than 31 bits");
	}
	release(st, a);
	release(st, b);
	if (st->optimize && b->is_const &&
	    ((code == BPF_AND && b->cval == 0) || a->is_const)) {
		/* folded as libpcap's optimizer would (loads have no effect
		 * for it) */
		uint32_t x = a->cval, y = b->cval, v;

		switch (code) {
		case BPF_ADD: v = x + y; break;
		case BPF_SUB: v = x - y; break;
		case BPF_MUL: v = x * y; break;
		case BPF_DIV: v = x / y; break;
		case BPF_MOD: v = x % y; break;
		case BPF_AND: v = a->is_const ? x & y : 0; break;
		case BPF_OR: v = x | y; break;
		case BPF_XOR: v = x ^ y; break;
		case BPF_LSH: v = x << y; break;
		default: v = x >> y; break;
		}
		struct fl_arth *c = fl_arth_num(st, v);
		c->check = fl_and(st, a->check, b->check);
		return c;
	}
	struct fl_arth *r = new_arth(st, 1);
	r->check = fl_and(st, a->check, b->check);
	if (b->is_const) {
		r->s = a->s;
		fl_emit(st, &r->s, BPF_ALU | code | BPF_K, b->cval);
	} else {
		both(st, &r->s, a, b);
		fl_emit(st, &r->s, BPF_ALU | code | BPF_X, 0);
	}
	return r;
}

struct fl_arth *fl_arth_neg(struct fl_state *st, struct fl_arth *a)
{
	release(st, a);
	struct fl_arth *r = new_arth(st, 1);

	r->check = a->check;
	r->s = a->s;
	fl_emit(st, &r->s, BPF_ALU | BPF_NEG, 0);
	return r;
}

struct fl_cond *fl_relation(struct fl_state *st, int jop, int reversed,
			    struct fl_arth *a, struct fl_arth *b)
{
	struct fl_stmts s = {0};
	struct fl_cond *rel;

	release(st, a);
	release(st, b);
	if (st->optimize && a->is_const && b->is_const) {
		uint32_t x = a->cval, y = b->cval;
		int holds = jop == BPF_JEQ ? x == y : jop == BPF_JGT ? x > y : x >= y;

		rel = holds != reversed ? fl_true(st) : fl_false(st);
		return fl_and(st, fl_and(st, a->check, b->check), rel);
	}
	if (b->is_const) {
		s = a->s;
		rel = fl_leaf(st, &s, (uint16_t)(BPF_JMP | jop | BPF_K), b->cval);
	} else {
		both(st, &s, a, b);
		rel = fl_leaf(st, &s, (uint16_t)(BPF_JMP | jop | BPF_X), 0);
	}
	if (reversed)
		rel = fl_not(st, rel);
	return fl_and(st, fl_and(st, a->check, b->check), rel);
}

struct fl_cond *fl_byteop(struct fl_state *st, int op, uint32_t idx,
			  uint32_t v)
{
	struct fl_stmts s = {0};

	switch (op) {
	case '=':
		return fl_cmp(st, OR_LINKHDR, idx, 1, v);
	case '<':
		return fl_not(st, fl_cmp_op(st, OR_LINKHDR, idx, 1, BPF_JGE, v));
	case '>':
		return fl_cmp_op(st, OR_LINKHDR, idx, 1, BPF_JGT, v);
	default:
		fl_load(st, &s, OR_LINKHDR, idx, 1);
		fl_emit(st, &s, BPF_ALU | (op == '|' ? BPF_OR : BPF_AND) | BPF_K, v);
		return fl_not(st, fl_leaf(st, &s, BPF_JMP | BPF_JEQ | BPF_K, 0));
	}
}
