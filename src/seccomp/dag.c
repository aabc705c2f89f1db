/* dag.c — the argument tests of a policy as a shared graph.
 *
 * Each node is one classic BPF test, `(word at off & mask) op k ? t : f`,
 * or a return; t and f are nodes.  Nodes are made bottom-up (a rule's last
 * test first, its failure target — the next rule, or the default — before
 * it) and hash-consed: asking twice for the same test with the same
 * targets gives the same node.  So the same conditions are emitted once
 * wherever they occur with the same outcome: the chains of one syscall on
 * several architectures, the low halves an i386 chain shares with a 64-bit
 * one, the tails rules of different syscalls have in common.
 *
 * A node is made after its successors, so its id is larger: emitting in
 * decreasing id order puts every node after all nodes that jump to it, and
 * classic BPF's jumps stay forward.
 *
 * 64-bit conditions become tests on 32-bit halves, high half first
 * (little-endian: low word at 16 + 8 * i, high word at + 4); on 32-bit
 * architectures only the low half exists (eval.c: the same semantics).
 */
#include <string.h>

#include "sc_dag.h"

#define OFF_ARG(i) (16u + 8u * (unsigned)(i))

struct node {
	int is_ret;
	uint32_t off, mask;
	uint16_t op;
	uint32_t k; /* the compared constant, or the return value */
	int t, f;
	int label; /* -1 until jumped to */
};

struct sc_dag {
	const struct bpftk_seccomp_policy *p;
	struct node *v;
	size_t n, cap;
	int *hash; /* open addressing over node ids, -1 = free */
	size_t hcap;
	int failed;
};

struct sc_dag *sc_dag_new(const struct bpftk_seccomp_policy *p)
{
	struct sc_dag *g = bpftk_calloc(1, sizeof(*g));
	if (g)
		g->p = p;
	return g;
}

void sc_dag_free(struct sc_dag *g)
{
	if (!g)
		return;
	bpftk_free(g->v);
	bpftk_free(g->hash);
	bpftk_free(g);
}

static size_t node_hash(const struct node *x)
{
	uint64_t h = (uint64_t)x->is_ret * 0x9e3779b97f4a7c15ull;
	const uint64_t f[] = {x->off, x->mask, x->op, x->k, (uint64_t)x->t,
			      (uint64_t)x->f};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		h = (h ^ f[i]) * 0x100000001b3ull;
	return (size_t)(h ^ h >> 29);
}

static int same(const struct node *a, const struct node *b)
{
	return a->is_ret == b->is_ret && a->off == b->off &&
	       a->mask == b->mask && a->op == b->op && a->k == b->k &&
	       a->t == b->t && a->f == b->f;
}

static int rehash(struct sc_dag *g)
{
	size_t cap = g->hcap ? g->hcap * 2 : 256;
	int *h = bpftk_malloc(cap * sizeof(*h));
	if (!h)
		return -1;
	memset(h, 0xff, cap * sizeof(*h));
	for (size_t i = 0; i < g->n; i++) {
		size_t s = node_hash(&g->v[i]) & (cap - 1);
		while (h[s] >= 0)
			s = (s + 1) & (cap - 1);
		h[s] = (int)i;
	}
	bpftk_free(g->hash);
	g->hash = h;
	g->hcap = cap;
	return 0;
}

/* The node equal to x, made if new; -1 when out of memory. */
static int make(struct sc_dag *g, const struct node *x)
{
	if (g->failed)
		return -1;
	if ((g->n + 1) * 2 > g->hcap && rehash(g))
		goto oom;
	size_t s = node_hash(x) & (g->hcap - 1);
	for (; g->hash[s] >= 0; s = (s + 1) & (g->hcap - 1))
		if (same(&g->v[g->hash[s]], x))
			return g->hash[s];
	if (sc_grow(&g->v, &g->cap, g->n + 1, sizeof(*g->v)))
		goto oom;
	g->v[g->n] = *x;
	g->v[g->n].label = -1;
	g->hash[s] = (int)g->n;
	return (int)g->n++;
oom:
	g->failed = 1;
	return -1;
}

static int ret(struct sc_dag *g, uint32_t k)
{
	struct node x = {1, 0, 0, 0, k, -1, -1, -1};
	return make(g, &x);
}

static int const_cmp(uint16_t op, uint32_t a, uint32_t k)
{
	return op == CB_JEQ_K ? a == k : op == CB_JGT_K ? a > k : a >= k;
}

/* (word at off & m) op v ? t : f — no test when the answer does not
 * depend on the word. */
static int half(struct sc_dag *g, uint32_t off, uint32_t m, uint16_t op,
		uint32_t v, int t, int f)
{
	int known = -1;
	if (m == 0)
		known = const_cmp(op, 0, v);
	else if (op == CB_JEQ_K && (v & ~m))
		known = 0; /* bits the mask clears can never match */
	else if (op == CB_JGT_K && v >= m)
		known = 0; /* (x & m) <= m */
	else if (op == CB_JGE_K && v == 0)
		known = 1;
	if (known >= 0)
		return known ? t : f;
	if (t == f)
		return t;
	struct node x = {0, off, m, op, v, t, f, -1};
	return make(g, &x);
}

/* 1 / 0 when (x & m) op v is true / false for every x, else -1.  x & m
 * ranges over [0, m]. */
static int known_cond(uint64_t m, enum sc_op op, uint64_t v)
{
	switch (op) {
	case SC_EQ: return v & ~m ? 0 : -1;
	case SC_NE: return v & ~m ? 1 : -1;
	case SC_LT: return v > m ? 1 : v == 0 ? 0 : -1;
	case SC_LE: return v >= m ? 1 : -1;
	case SC_GT: return v >= m ? 0 : -1;
	case SC_GE: return v == 0 ? 1 : v > m ? 0 : -1;
	}
	return -1;
}

/* cond ? t : f — NE, LT, LE are EQ, GE, GT with the targets swapped. */
static int cond(struct sc_dag *g, const struct sc_cond *c, int is32, int t,
		int f)
{
	uint64_t width = is32 ? UINT32_MAX : UINT64_MAX;
	int known = known_cond(c->mask & width, (enum sc_op)c->op,
			       c->val & width);
	uint16_t op;
	int tmp;
	if (known >= 0 || t < 0 || f < 0)
		return t < 0 || f < 0 ? -1 : known ? t : f;
	switch ((enum sc_op)c->op) {
	case SC_NE: tmp = t, t = f, f = tmp; /* fallthrough */
	case SC_EQ: op = CB_JEQ_K; break;
	case SC_LT: tmp = t, t = f, f = tmp; /* fallthrough */
	case SC_GE: op = CB_JGE_K; break;
	case SC_LE: tmp = t, t = f, f = tmp; /* fallthrough */
	default: op = CB_JGT_K; break;
	}
	uint32_t lo_off = OFF_ARG(c->arg), hi_off = lo_off + 4;
	uint32_t ml = (uint32_t)c->mask, vl = (uint32_t)c->val;
	uint32_t mh = (uint32_t)(c->mask >> 32), vh = (uint32_t)(c->val >> 32);
	int lo = half(g, lo_off, ml, op, vl, t, f);
	if (is32 || lo < 0)
		return lo;
	if (op == CB_JEQ_K || mh == 0 || vh >= mh)
		/* hi == vh lets lo decide; hi > vh is impossible or fails */
		return half(g, hi_off, mh, CB_JEQ_K, vh, lo, f);
	if (vh == 0) /* hi > 0, else hi == 0 and lo decides */
		return half(g, hi_off, mh, CB_JGT_K, 0, t, lo);
	/* hi > vh; else hi <= vh, where hi >= vh means hi == vh */
	int eq = half(g, hi_off, mh, CB_JGE_K, vh, lo, f);
	return eq < 0 ? -1 : half(g, hi_off, mh, CB_JGT_K, vh, t, eq);
}

int sc_dag_rules(struct sc_dag *g, int a, size_t first)
{
	const struct bpftk_seccomp_policy *p = g->p;
	int nr = p->rules[first].nr[a], is32 = sc_arch_is32(a);
	size_t last = first;
	/* the rules for nr, up to the first without conditions */
	for (size_t i = first; i < p->nrules; i++)
		if (p->rules[i].nr[a] == nr) {
			last = i;
			if (!p->rules[i].ncond)
				break;
		}
	int fail = ret(g, p->default_action);
	for (size_t i = last + 1; i-- > first && fail >= 0;) {
		const struct sc_rule *r = &p->rules[i];
		if (r->nr[a] != nr)
			continue;
		int node = ret(g, r->action);
		for (size_t k = r->ncond; k-- > 0 && node >= 0;)
			node = cond(g, &p->conds[r->cond0 + k], is32, node, fail);
		fail = node;
	}
	return fail;
}

int sc_dag_label(struct sc_dag *g, struct sc_emit *e, int id)
{
	struct node *x = &g->v[id];
	if (x->label < 0)
		x->label = x->is_ret ? sc_ret_label(e, x->k) : sc_label(e);
	return x->label;
}

void sc_dag_emit(struct sc_dag *g, struct sc_emit *e)
{
	for (size_t id = g->n; id-- > 0;) {
		const struct node *x = &g->v[id];
		if (x->is_ret || x->label < 0)
			continue; /* returns are shared; unused tests */
		sc_place(e, x->label);
		sc_ld(e, x->off, x->mask);
		int lt = sc_dag_label(g, e, x->t), lf = sc_dag_label(g, e, x->f);
		sc_jmp(e, x->op, x->k, lt, lf);
	}
}
