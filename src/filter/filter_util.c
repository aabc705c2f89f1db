/* filter_util.c — the plumbing every pass of the filter compiler shares:
 * the per-compile arena (one free at the end, so error paths that
 * longjmp() leak nothing), error reporting, statement lists and the
 * constructors of condition trees.
 *
 * Invariant: fl_fail / fl_unsupported record exactly one diagnostic and
 * never return; an allocation failure becomes -ENOMEM the same way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "filter_int.h"

struct fl_chunk {
	struct fl_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define CHUNK_MIN 8192

void *fl_alloc(struct fl_state *st, size_t n)
{
	struct fl_chunk *c = st->arena.head;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (!c || c->size - c->used < n) {
		size_t sz = n > CHUNK_MIN ? n : CHUNK_MIN;

		c = bpftk_malloc(sizeof(*c) + sz);
		if (!c) {
			st->err = -ENOMEM;
			longjmp(st->fail, 1);
		}
		c->next = st->arena.head;
		c->used = 0;
		c->size = sz;
		st->arena.head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *fl_strndup(struct fl_state *st, const char *s, size_t n)
{
	char *p = fl_alloc(st, n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void fl_arena_free(struct fl_arena *a)
{
	struct fl_chunk *c = a->head;

	while (c) {
		struct fl_chunk *next = c->next;

		bpftk_free(c);
		c = next;
	}
	a->head = NULL;
}

static _Noreturn void vfail(struct fl_state *st, int err, int col,
			    const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* the message is what the user needs; a failure to record it must
	 * still end the compile */
	bpftk_diags_add(st->diags, BPFTK_SEV_ERROR, "expr", 1,
			col > 0 ? col : 1, NULL, -1, "%s", msg);
	st->err = err;
	longjmp(st->fail, 1);
}

void fl_fail(struct fl_state *st, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(st, -EINVAL, col, fmt, ap);
}

void fl_unsupported(struct fl_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(st, -ENOTSUP, st->errcol, fmt, ap);
}

void *fl_grow(struct fl_state *st, void *v, size_t n, size_t *cap,
	      size_t elem)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : 16;
	void *w = fl_alloc(st, c * elem);

	if (n)
		memcpy(w, v, n * elem);
	*cap = c;
	return w;
}

void fl_emit(struct fl_state *st, struct fl_stmts *s, uint16_t code,
	     uint32_t k)
{
	s->v = fl_grow(st, s->v, s->n, &s->cap, sizeof(*s->v));
	s->v[s->n].code = code;
	s->v[s->n].jt = 0;
	s->v[s->n].jf = 0;
	s->v[s->n].k = k;
	s->n++;
}

void fl_append(struct fl_state *st, struct fl_stmts *dst,
	       const struct fl_stmts *src)
{
	for (size_t i = 0; i < src->n; i++)
		fl_emit(st, dst, src->v[i].code, src->v[i].k);
}

struct fl_cond *fl_leaf(struct fl_state *st, struct fl_stmts *s,
			uint16_t jcode, uint32_t k)
{
	struct fl_cond *c = fl_alloc(st, sizeof(*c));

	c->kind = C_LEAF;
	if (s)
		c->s = *s;
	c->jcode = jcode;
	c->k = k;
	return c;
}

static struct fl_cond *node(struct fl_state *st, enum fl_ckind kind,
			    struct fl_cond *a, struct fl_cond *b)
{
	struct fl_cond *c = fl_alloc(st, sizeof(*c));

	c->kind = kind;
	c->l = a;
	c->r = b;
	c->effects = (a && a->effects) || (b && b->effects);
	return c;
}

/* A constant without statements: TRUE (1), FALSE (0) or not (-1). */
static int const_of(const struct fl_cond *c)
{
	if (!c || c->s.n)
		return -1;
	return c->kind == C_TRUE ? 1 : c->kind == C_FALSE ? 0 : -1;
}

/* Under BPFTK_FILTER_OPTIMIZE constants fold as libpcap's optimizer folds
 * them, which treats loads as free of effects: "ip or igmp" on a raw IPv4
 * link is TRUE although igmp's load could fall off a short packet.
 * Without it, every test stays, so results equal libpcap's unoptimized
 * code on every packet. */
/* a op b with constants folded: identity is 1 for AND, 0 for OR; the
 * other constant absorbs.  NULL: nothing folds. */
static struct fl_cond *fold(struct fl_state *st, struct fl_cond *a,
			    struct fl_cond *b, int identity)
{
	int ka = const_of(a), kb = const_of(b);

	if (!st->optimize)
		return NULL;
	if (ka == identity)
		return b;
	if (ka >= 0)
		return a;
	if (kb == identity)
		return a;
	/* b absorbs: a, which would run first, may only go without effects */
	if (kb >= 0 && !a->effects)
		return b;
	return NULL;
}

struct fl_cond *fl_and(struct fl_state *st, struct fl_cond *a,
		       struct fl_cond *b)
{
	struct fl_cond *f;

	if (!a)
		return b;
	if (!b)
		return a;
	f = fold(st, a, b, 1);
	return f ? f : node(st, C_AND, a, b);
}

struct fl_cond *fl_or(struct fl_state *st, struct fl_cond *a,
		      struct fl_cond *b)
{
	struct fl_cond *f = fold(st, a, b, 0);

	return f ? f : node(st, C_OR, a, b);
}

struct fl_cond *fl_not(struct fl_state *st, struct fl_cond *a)
{
	if (st->optimize && const_of(a) >= 0)
		return const_of(a) ? fl_false(st) : fl_true(st);
	return node(st, C_NOT, a, NULL);
}

struct fl_cond *fl_true(struct fl_state *st)
{
	return node(st, C_TRUE, NULL, NULL);
}

struct fl_cond *fl_stmts_true(struct fl_state *st, const struct fl_stmts *s)
{
	struct fl_cond *c = fl_true(st);

	c->s = *s;
	c->effects = s->n > 0;
	return c;
}

struct fl_cond *fl_false(struct fl_state *st)
{
	return node(st, C_FALSE, NULL, NULL);
}

int fl_alloc_reg(struct fl_state *st)
{
	for (int r = 0; r < BPF_MEMWORDS; r++)
		if (!(st->regs_used & (1 << r))) {
			st->regs_used |= 1 << r;
			return r;
		}
	fl_fail(st, st->errcol, "too many registers needed to evaluate expression");
}

void fl_free_reg(struct fl_state *st, int r)
{
	st->regs_used &= ~(1 << r);
}

static const char *const proto_names[P_COUNT] = {
	[P_DEFAULT] = "", [P_LINK] = "link", [P_IP] = "ip", [P_ARP] = "arp",
	[P_RARP] = "rarp", [P_SCTP] = "sctp", [P_TCP] = "tcp",
	[P_UDP] = "udp", [P_ICMP] = "icmp", [P_IGMP] = "igmp",
	[P_IGRP] = "igrp", [P_PIM] = "pim", [P_VRRP] = "vrrp",
	[P_CARP] = "carp", [P_ATALK] = "atalk", [P_AARP] = "aarp",
	[P_DECNET] = "decnet", [P_LAT] = "lat", [P_SCA] = "sca",
	[P_MOPDL] = "mopdl", [P_MOPRC] = "moprc", [P_IPV6] = "ip6",
	[P_ICMPV6] = "icmp6", [P_AH] = "ah", [P_ESP] = "esp",
	[P_ISO] = "iso", [P_ESIS] = "esis", [P_ISIS] = "isis",
	[P_L1] = "l1", [P_L2] = "l2", [P_IIH] = "iih", [P_LSP] = "lsp",
	[P_SNP] = "snp", [P_PSNP] = "psnp", [P_CSNP] = "csnp",
	[P_CLNP] = "clnp", [P_STP] = "stp", [P_IPX] = "ipx",
	[P_NETBEUI] = "netbeui", [P_RADIO] = "radio",
};

const char *fl_proto_name(int proto)
{
	return proto >= 0 && proto < P_COUNT ? proto_names[proto] : "?";
}

const char *fl_dir_name(int dir)
{
	static const char *const names[] = {
		"", "src", "dst", "src or dst", "src and dst", "addr1",
		"addr2", "addr3", "addr4", "ra", "ta",
	};
	return dir >= 0 && dir <= D_TA ? names[dir] : "?";
}
