/* compile.c — a policy to a classic BPF seccomp filter.
 *
 * Shape of the filter (every path ends in a return; nothing else reads the
 * input, so no call can skip a check):
 *
 *   A = arch;  one jeq per architecture of the policy, else → badarch
 *   per architecture:
 *     A = nr;  (x86_64) nr >= 0x40000000 (x32, or negative) → badarch,
 *     except nr == -1 (no syscall: a tracer skipping one) → default
 *     balanced binary search (jge) over the intervals of syscall numbers
 *     that share an outcome: consecutive syscalls with the same
 *     unconditional action are one interval, numbers without rules are
 *     intervals of the default action; leaves jump straight to shared
 *     `ret` instructions or rule chains; a window whose syscalls take
 *     only a few tests in a row (jeq, or jge/jgt for a range) becomes
 *     that chain
 *   after all trees, per syscall with conditions: its rules in source
 *   order; each rule a chain of comparisons whose last success jumps to
 *   the rule's `ret` and whose failure goes to the next rule (after the
 *   last: default); chains equal on several architectures are emitted once
 *
 * 64-bit arguments are compared in 32-bit halves, high half first
 * (little-endian layout: low word at 16 + 8 * i, high word at + 4); on
 * 32-bit architectures only the low half exists (eval.c: same semantics).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sc_emit.h"

#define OFF_NR 0u
#define OFF_ARCH 4u
#define OFF_ARG(i) (16u + 8u * (unsigned)(i))

struct leaf {
	uint32_t lo; /* the interval is [lo, next leaf's lo) */
	int target;  /* label */
};

/* A rule chain the search trees jump to, emitted after all of them. */
struct pending {
	int arch;
	size_t first; /* its first rule */
	int label;
};

struct cc {
	struct sc_emit *e;
	const struct bpftk_seccomp_policy *p;
	int lbad, ldef;
	struct leaf *leaves;
	size_t nleaves;
	struct pending *pend; /* room for every rule on every arch */
	size_t npend;
};

static int const_cmp(uint16_t op, uint32_t a, uint32_t k)
{
	return op == CB_JEQ_K ? a == k : op == CB_JGT_K ? a > k : a >= k;
}

/* if ((word at off & m) op v) goto t else goto f — no instruction when the
 * answer does not depend on the word. */
static void half(struct sc_emit *e, uint32_t off, uint32_t m, uint16_t op,
		 uint32_t v, int t, int f)
{
	int known = -1; /* 0 / 1: the comparison's constant result */
	if (m == 0)
		known = const_cmp(op, 0, v);
	else if (op == CB_JEQ_K && (v & ~m))
		known = 0; /* bits the mask clears can never match */
	else if (op == CB_JGT_K && v >= m)
		known = 0; /* (x & m) <= m */
	else if (op == CB_JGE_K && v == 0)
		known = 1;
	if (known >= 0) {
		sc_ja(e, known ? t : f);
		return;
	}
	sc_ld(e, off);
	if (m != UINT32_MAX)
		sc_and(e, m);
	sc_jmp(e, op, v, t, f);
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

/* if (cond) goto t else goto f — NE, LT, LE are EQ, GE, GT with the
 * targets swapped. */
static void cond(struct sc_emit *e, const struct sc_cond *c, int is32, int t,
		 int f)
{
	uint64_t width = is32 ? UINT32_MAX : UINT64_MAX;
	int known = known_cond(c->mask & width, (enum sc_op)c->op,
			       c->val & width);
	if (known >= 0) {
		sc_ja(e, known ? t : f);
		return;
	}
	uint16_t op;
	int tmp;
	switch ((enum sc_op)c->op) {
	case SC_NE: tmp = t, t = f, f = tmp; /* fallthrough */
	case SC_EQ: op = CB_JEQ_K; break;
	case SC_LT: tmp = t, t = f, f = tmp; /* fallthrough */
	case SC_GE: op = CB_JGE_K; break;
	case SC_LE: tmp = t, t = f, f = tmp; /* fallthrough */
	default: op = CB_JGT_K; break;
	}
	uint32_t ml = (uint32_t)c->mask, vl = (uint32_t)c->val;
	uint32_t mh = (uint32_t)(c->mask >> 32), vh = (uint32_t)(c->val >> 32);
	if (is32) {
		half(e, OFF_ARG(c->arg), ml, op, vl, t, f);
		return;
	}
	int lo = sc_label(e);
	if (op == CB_JEQ_K) {
		/* hi == vh, then lo decides */
		half(e, OFF_ARG(c->arg) + 4, mh, CB_JEQ_K, vh, lo, f);
	} else if (mh == 0 || vh >= mh) {
		/* hi > vh is impossible: hi == vh lets lo decide */
		half(e, OFF_ARG(c->arg) + 4, mh, CB_JEQ_K, vh, lo, f);
	} else if (vh == 0) {
		/* hi > 0, else hi == 0 and lo decides */
		half(e, OFF_ARG(c->arg) + 4, mh, CB_JGT_K, 0, t, lo);
	} else {
		int eq = sc_label(e);
		half(e, OFF_ARG(c->arg) + 4, mh, CB_JGT_K, vh, t, eq);
		sc_place(e, eq);
		/* A <= vh here, so A >= vh means A == vh */
		sc_jmp(e, CB_JGE_K, vh, lo, f);
	}
	sc_place(e, lo);
	half(e, OFF_ARG(c->arg), ml, op, vl, t, f);
}

/* The rules of syscall nr on arch a, from rule index first on. */
static void chain(struct cc *c, int a, size_t first)
{
	const struct bpftk_seccomp_policy *p = c->p;
	int nr = p->rules[first].nr[a], is32 = sc_arch_is32(a);
	for (size_t i = first; i < p->nrules; i++) {
		const struct sc_rule *r = &p->rules[i];
		if (r->nr[a] != nr)
			continue;
		int lret = sc_ret_label(c->e, r->action);
		if (!r->ncond) {
			sc_ja(c->e, lret);
			return; /* later rules for nr are never reached */
		}
		size_t j;
		int lnext = -1;
		for (j = i + 1; j < p->nrules && p->rules[j].nr[a] != nr; j++)
			;
		lnext = j < p->nrules ? sc_label(c->e) : c->ldef;
		for (size_t k = 0; k < r->ncond; k++) {
			int t = k + 1 < r->ncond ? sc_label(c->e) : lret;
			cond(c->e, &p->conds[r->cond0 + k], is32, t, lnext);
			if (k + 1 < r->ncond)
				sc_place(c->e, t);
		}
		if (lnext != c->ldef)
			sc_place(c->e, lnext);
	}
	/* not reached: the last rule's failure went to ldef */
}

/* A window of the search whose non-default intervals cost at most this
 * many instructions as a chain (ascending: 1 for a single number, 2 for a
 * range, less where the window's bounds answer) is tested as that chain
 * rather than split further: a little deeper, fewer instructions. */
#define CHAIN_MAX 8

static uint64_t leaf_end(const struct cc *c, size_t x)
{
	return x + 1 < c->nleaves ? c->leaves[x + 1].lo : UINT64_C(1) << 32;
}

/* Instructions the chain of leaves [i, j) needs; emits it when emit. */
static size_t leaf_chain(struct cc *c, size_t i, size_t j, int emit)
{
	size_t cost = 0, last = j;
	for (size_t x = i; x < j; x++)
		if (c->leaves[x].target != c->ldef)
			last = x;
	for (size_t x = i; x < j; x++) {
		const struct leaf *l = &c->leaves[x];
		if (l->target == c->ldef)
			continue;
		uint64_t end = leaf_end(c, x);
		int next = x == last ? c->ldef : emit ? sc_label(c->e) : 0;
		if (end == (uint64_t)l->lo + 1) {
			cost++;
			if (emit)
				sc_jmp(c->e, CB_JEQ_K, l->lo, l->target, next);
		} else {
			/* nr < lo: below this one, above every earlier one */
			int need_lo = x != i, need_hi = end != leaf_end(c, j - 1);
			cost += (size_t)(need_lo + need_hi);
			if (emit && need_lo) {
				int in = need_hi ? sc_label(c->e) : l->target;
				sc_jmp(c->e, CB_JGE_K, l->lo, in, c->ldef);
				if (need_hi)
					sc_place(c->e, in);
			}
			if (emit && need_hi)
				sc_jmp(c->e, CB_JGT_K, (uint32_t)(end - 1), next,
				       l->target);
			if (emit && !need_lo && !need_hi)
				sc_ja(c->e, l->target);
		}
		if (emit && x != last)
			sc_place(c->e, next);
	}
	return cost;
}

/* Search over leaves [i, j): A holds nr, which lies in the leaves'
 * range. */
static void tree(struct cc *c, size_t i, size_t j)
{
	if (leaf_chain(c, i, j, 0) <= CHAIN_MAX) {
		leaf_chain(c, i, j, 1);
		return;
	}
	size_t mid = i + (j - i) / 2;
	int llo = mid - i == 1 ? c->leaves[i].target : sc_label(c->e);
	int lhi = j - mid == 1 ? c->leaves[mid].target : sc_label(c->e);
	sc_jmp(c->e, CB_JGE_K, c->leaves[mid].lo, lhi, llo);
	if (mid - i > 1) {
		sc_place(c->e, llo);
		tree(c, i, mid);
	}
	if (j - mid > 1) {
		sc_place(c->e, lhi);
		tree(c, mid, j);
	}
}

static int by_nr_then_index(const void *x, const void *y)
{
	const int64_t *a = x, *b = y;
	return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1];
}

static int add_leaf(struct cc *c, uint32_t lo, int target)
{
	if (c->nleaves && c->leaves[c->nleaves - 1].target == target)
		return 0; /* same outcome as the interval before: merge */
	c->leaves[c->nleaves].lo = lo;
	c->leaves[c->nleaves++].target = target;
	return 0;
}

static int arch_block(struct cc *c, int a)
{
	const struct bpftk_seccomp_policy *p = c->p;
	/* (nr, first rule index) of each syscall with rules on a */
	int64_t (*first)[2] = bpftk_calloc(p->nrules + 1, sizeof(*first));
	size_t nfirst = 0;
	c->leaves = bpftk_calloc(2 * p->nrules + 2, sizeof(*c->leaves));
	c->nleaves = 0;
	if (!first || !c->leaves) {
		bpftk_free(first);
		bpftk_free(c->leaves);
		c->leaves = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].nr[a] >= 0) {
			first[nfirst][0] = p->rules[i].nr[a];
			first[nfirst++][1] = (int64_t)i;
		}
	qsort(first, nfirst, sizeof(*first), by_nr_then_index);
	size_t u = 0; /* keep the first rule of each number */
	for (size_t i = 0; i < nfirst; i++)
		if (!u || first[u - 1][0] != first[i][0]) {
			first[u][0] = first[i][0];
			first[u++][1] = first[i][1];
		}
	nfirst = u;

	sc_ld(c->e, OFF_NR);
	if (a == BPFTK_SECCOMP_X86_64) {
		/* x32 (and other numbers from 0x40000000 up) is a foreign
		 * ABI; -1 is "no syscall" (a tracer's skip), no rule's */
		int ok = sc_label(c->e), hi = sc_label(c->e);
		sc_jmp(c->e, CB_JGE_K, BPFTK_X32_SYSCALL_BIT, hi, ok);
		sc_place(c->e, hi);
		sc_jmp(c->e, CB_JEQ_K, UINT32_MAX, c->ldef, c->lbad);
		sc_place(c->e, ok);
	}
	add_leaf(c, 0, c->ldef);
	for (size_t i = 0; i < nfirst; i++) {
		const struct sc_rule *r = &p->rules[first[i][1]];
		uint32_t nr = (uint32_t)first[i][0];
		int t;
		if (r->ncond) {
			t = sc_label(c->e);
			c->pend[c->npend].arch = a;
			c->pend[c->npend].first = (size_t)first[i][1];
			c->pend[c->npend++].label = t;
		} else {
			t = sc_ret_label(c->e, r->action);
		}
		if (c->nleaves == 1 && nr == 0)
			c->nleaves = 0; /* syscall 0 replaces the first gap */
		add_leaf(c, nr, t);
		if (i + 1 == nfirst || (uint32_t)first[i + 1][0] != nr + 1)
			if (nr != UINT32_MAX)
				add_leaf(c, nr + 1, c->ldef);
	}
	if (c->nleaves == 1)
		sc_ja(c->e, c->leaves[0].target);
	else
		tree(c, 0, c->nleaves);
	bpftk_free(first);
	bpftk_free(c->leaves);
	c->leaves = NULL;
	return 0;
}

/* Whether the chains x and y are the same code: the same rules (from
 * their first on, for their syscall on their arch, up to an unconditional
 * one) compared on the same argument width. */
static int same_chain(const struct cc *c, const struct pending *x,
		      const struct pending *y)
{
	const struct bpftk_seccomp_policy *p = c->p;
	int nx = p->rules[x->first].nr[x->arch];
	int ny = p->rules[y->first].nr[y->arch];
	size_t i = x->first, j = y->first;
	if (sc_arch_is32(x->arch) != sc_arch_is32(y->arch))
		return 0;
	for (;;) {
		while (i < p->nrules && p->rules[i].nr[x->arch] != nx)
			i++;
		while (j < p->nrules && p->rules[j].nr[y->arch] != ny)
			j++;
		if (i != j)
			return 0;
		if (i == p->nrules || !p->rules[i].ncond)
			return 1;
		i++;
		j++;
	}
}

/* The rule chains, each distinct one once: the trees of several
 * architectures often jump to the same rules. */
static void chains(struct cc *c)
{
	for (size_t i = 0; i < c->npend; i++) {
		if (c->pend[i].label < 0)
			continue; /* emitted with an equal one */
		sc_place(c->e, c->pend[i].label);
		for (size_t j = i + 1; j < c->npend; j++)
			if (c->pend[j].label >= 0 &&
			    same_chain(c, &c->pend[i], &c->pend[j])) {
				sc_place(c->e, c->pend[j].label);
				c->pend[j].label = -1;
			}
		chain(c, c->pend[i].arch, c->pend[i].first);
	}
}

int bpftk_seccomp_compile(const struct bpftk_seccomp_policy *p,
			  struct bpftk_cbpf_insn **out, size_t *n,
			  struct bpftk_diags *d)
{
	int arches[BPFTK_SECCOMP_NARCH], narch = 0, err = 0;
	int blocks[BPFTK_SECCOMP_NARCH];
	struct cc c;
	if (!p || !out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
		if (p->arches >> a & 1)
			arches[narch++] = a;
	if (!narch)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.e = sc_emit_new();
	c.pend = bpftk_calloc((size_t)narch * p->nrules + 1, sizeof(*c.pend));
	if (!c.e || !c.pend) {
		sc_emit_free(c.e);
		bpftk_free(c.pend);
		return -ENOMEM;
	}
	c.lbad = sc_ret_label(c.e, p->badarch_action);
	c.ldef = sc_ret_label(c.e, p->default_action);
	for (int i = 0; i < narch; i++)
		blocks[i] = sc_label(c.e);
	/* the first architecture's block follows its check directly */
	sc_ld(c.e, OFF_ARCH);
	for (int i = narch - 1; i >= 0; i--) {
		int next = i ? sc_label(c.e) : c.lbad;
		sc_jmp(c.e, CB_JEQ_K,
		       bpftk_seccomp_arch_audit((enum bpftk_seccomp_arch)arches[i]),
		       blocks[i], next);
		if (i)
			sc_place(c.e, next);
	}
	for (int i = 0; i < narch && !err; i++) {
		sc_place(c.e, blocks[i]);
		err = arch_block(&c, arches[i]);
	}
	if (!err) {
		chains(&c);
		err = sc_emit_finish(c.e, out, n);
	}
	if (err == -E2BIG)
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"the filter needs more than %d instructions",
				BPFTK_CBPF_MAXINSNS);
	else if (err == -EINVAL)
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"internal error in the seccomp compiler "
				"(a jump to a label never placed)");
	sc_emit_free(c.e);
	bpftk_free(c.pend);
	return err;
}

void bpftk_seccomp_free(void *p)
{
	bpftk_free(p);
}
