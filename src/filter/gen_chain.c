/* gen_chain.c — 'protochain N': does the chain of IPv4 / IPv6 headers
 * reach protocol N?  The walk starts at the IP protocol / next header
 * field; IPv6 extension headers (hop-by-hop 0, destination options 60,
 * routing 43, fragment 44) are skipped by their length ((len + 1) * 8),
 * AH (51) as libpcap 1.10 does it; "no next header" (59) and any other
 * value end the walk, which matches when the value reached is N.
 *
 * libpcap runs this walk as a loop with a backward jump, which classic
 * BPF validators (and the kernel) refuse; here it is unrolled
 * CHAIN_DEPTH times (CHAIN_DEPTH_V4 for IPv4), so a longer chain ends the
 * walk where it got to.  The IPv6 walk is about 3,600 instructions: fine
 * for captures, too long for a kernel socket filter (4,096 with the rest).  The code is a raw block (struct fl_raw) because the
 * iterations share their exits.
 */
#include "filter_int.h"

/* IPv6 chains are followed this far (libpcap's own test stacks 100
 * headers); IPv4 has only AH to skip */
#define CHAIN_DEPTH 128
#define CHAIN_DEPTH_V4 8

static int raw_add(struct fl_state *st, struct fl_raw *r, uint16_t code,
		   uint32_t k, int jt, int jf)
{
	r->v = fl_grow(st, r->v, r->n, &r->cap, sizeof(*r->v));
	r->v[r->n].code = code;
	r->v[r->n].k = k;
	r->v[r->n].jt = jt;
	r->v[r->n].jf = jf;
	return (int)r->n++;
}

/* Placeholders fixed once the target's index is known. */
#define PENDING 0x7fff0000

static void patch(struct fl_raw *r, int from, int to, int which)
{
	for (int i = from; i < (int)r->n; i++) {
		if (which & 1 && r->v[i].jt == PENDING)
			r->v[i].jt = to;
		if (which & 2 && r->v[i].jf == PENDING)
			r->v[i].jf = to;
	}
}

static struct fl_cond *chain(struct fl_state *st, uint32_t v, int v6)
{
	struct fl_raw *r = fl_alloc(st, sizeof(*r));
	uint32_t nl = st->off_linkpl + st->off_nl;
	int reg = fl_alloc_reg(st);
	const uint16_t JEQ = BPF_JMP | BPF_JEQ | BPF_K;
	int final_jumps[CHAIN_DEPTH * 3 + 4], nfinal = 0;
	int depth = v6 ? CHAIN_DEPTH : CHAIN_DEPTH_V4;

	fl_free_reg(st, reg);
	if (v6) {
		raw_add(st, r, BPF_LD | BPF_ABS | BPF_B, nl + 6, 0, 0);
		raw_add(st, r, BPF_LDX | BPF_IMM, 40, 0, 0);
	} else {
		raw_add(st, r, BPF_LD | BPF_ABS | BPF_B, nl + 9, 0, 0);
		raw_add(st, r, BPF_LDX | BPF_MSH | BPF_B, nl, 0, 0);
	}
	for (int it = 0; it < depth; it++) {
		int start = (int)r->n;

		/* the protocol, or no next header: the walk ends */
		final_jumps[nfinal++] = raw_add(st, r, JEQ, v, PENDING, (int)r->n + 1);
		final_jumps[nfinal++] = raw_add(st, r, JEQ, 59, PENDING, (int)r->n + 1);
		int ext = -1;
		if (v6) {
			static const uint32_t exts[] = {0, 60, 43, 44};

			for (int k = 0; k < 4; k++)
				raw_add(st, r, JEQ, exts[k], PENDING, (int)r->n + 1);
			/* last one falls to the AH test */
			ext = (int)r->n;
			/* IPv6 extension header: next, then X += (len + 1) * 8 */
			raw_add(st, r, BPF_LD | BPF_IND | BPF_B, nl, 0, 0);
			raw_add(st, r, BPF_ST, (uint32_t)reg, 0, 0);
			raw_add(st, r, BPF_LD | BPF_IND | BPF_B, nl + 1, 0, 0);
			raw_add(st, r, BPF_ALU | BPF_ADD | BPF_K, 1, 0, 0);
			raw_add(st, r, BPF_ALU | BPF_MUL | BPF_K, 8, 0, 0);
			raw_add(st, r, BPF_ALU | BPF_ADD | BPF_X, 0, 0, 0);
			raw_add(st, r, BPF_MISC | BPF_TAX, 0, 0, 0);
			raw_add(st, r, BPF_LD | BPF_MEM, (uint32_t)reg, 0, 0);
			raw_add(st, r, BPF_JMP | BPF_JA, 0, PENDING + 1, 0);
			/* the four jeq's jump to ext; their false edges chain on,
			 * the last one's to the AH test below */
			for (int k = 0; k < 4; k++)
				r->v[start + 2 + k].jt = ext;
			r->v[start + 5].jf = (int)r->n;
		}
		/* AH: next header, then (as libpcap 1.10) X = (len + 2) * 4 */
		int ah = raw_add(st, r, JEQ, 51, (int)r->n + 1, PENDING);
		final_jumps[nfinal++] = ah;
		raw_add(st, r, BPF_MISC | BPF_TXA, 0, 0, 0);
		raw_add(st, r, BPF_LD | BPF_IND | BPF_B, nl, 0, 0);
		raw_add(st, r, BPF_ST, (uint32_t)reg, 0, 0);
		raw_add(st, r, BPF_MISC | BPF_TXA, 0, 0, 0);
		raw_add(st, r, BPF_ALU | BPF_ADD | BPF_K, 1, 0, 0);
		raw_add(st, r, BPF_MISC | BPF_TAX, 0, 0, 0);
		raw_add(st, r, BPF_LD | BPF_IND | BPF_B, nl, 0, 0);
		raw_add(st, r, BPF_ALU | BPF_ADD | BPF_K, 2, 0, 0);
		raw_add(st, r, BPF_ALU | BPF_MUL | BPF_K, 4, 0, 0);
		raw_add(st, r, BPF_MISC | BPF_TAX, 0, 0, 0);
		raw_add(st, r, BPF_LD | BPF_MEM, (uint32_t)reg, 0, 0);
		raw_add(st, r, BPF_JMP | BPF_JA, 0, PENDING + 1, 0);
		/* both continuations go to the next iteration */
		for (int i = start; i < (int)r->n; i++)
			if (r->v[i].jt == PENDING + 1)
				r->v[i].jt = (int)r->n;
	}
	/* the end of the walk: does A hold the protocol? */
	int fin = raw_add(st, r, JEQ, v, FL_RAW_TRUE, FL_RAW_FALSE);
	for (int i = 0; i < nfinal; i++) {
		struct fl_raw_insn *x = &r->v[final_jumps[i]];

		if (x->jt == PENDING)
			x->jt = fin;
		if (x->jf == PENDING)
			x->jf = fin;
	}
	patch(r, 0, fin, 3);
	struct fl_cond *c = fl_leaf(st, NULL, 0, 0);
	c->kind = C_RAW;
	c->raw = r;
	return fl_and(st, fl_linktype(st, v6 ? 0x86dd : 0x0800), c);
}

struct fl_cond *fl_protochain(struct fl_state *st, uint32_t v, int proto,
			      int col)
{
	st->errcol = col;
	if (v > 255)
		fl_fail(st, col, "protocol number %u greater than maximum 255", v);
	if (st->pl_var)
		fl_fail(st, col, "'protochain' not supported with variable length headers");
	switch (proto) {
	case P_DEFAULT:
		return fl_or(st, chain(st, v, 0), chain(st, v, 1));
	case P_IP:
		return chain(st, v, 0);
	case P_IPV6:
		return chain(st, v, 1);
	default:
		fl_fail(st, col, "bad protocol applied for 'protochain'");
	}
}
