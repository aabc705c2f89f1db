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
 *   after all trees, the argument tests of every syscall with
 *   conditions, as one shared graph (dag.c): each rule a chain of 32-bit
 *   comparisons whose last success jumps to the rule's shared `ret` and
 *   whose failure goes to the next rule for the syscall (after the last:
 *   default); equal tests with equal outcomes are emitted once
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sc_dag.h"

#define OFF_NR 0u
#define OFF_ARCH 4u

struct leaf {
	uint32_t lo; /* the interval is [lo, next leaf's lo) */
	int target;  /* label */
};

struct cc {
	struct sc_emit *e;
	const struct bpftk_seccomp_policy *p;
	int lbad, ldef;
	struct leaf *leaves;
	size_t nleaves;
	struct sc_dag *dag;
};

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

	sc_ld(c->e, OFF_NR, UINT32_MAX);
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
		int t, node = r->ncond ? sc_dag_rules(c->dag, a,
						      (size_t)first[i][1])
				       : -1;
		if (r->ncond && node < 0) {
			bpftk_free(first);
			bpftk_free(c->leaves);
			c->leaves = NULL;
			return -ENOMEM;
		}
		t = r->ncond ? sc_dag_label(c->dag, c->e, node)
			     : sc_ret_label(c->e, r->action);
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
	c.dag = sc_dag_new(p);
	if (!c.e || !c.dag) {
		sc_emit_free(c.e);
		sc_dag_free(c.dag);
		return -ENOMEM;
	}
	c.lbad = sc_ret_label(c.e, p->badarch_action);
	c.ldef = sc_ret_label(c.e, p->default_action);
	for (int i = 0; i < narch; i++)
		blocks[i] = sc_label(c.e);
	/* the first architecture's block follows its check directly */
	sc_ld(c.e, OFF_ARCH, UINT32_MAX);
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
		sc_dag_emit(c.dag, c.e);
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
	sc_dag_free(c.dag);
	return err;
}

void bpftk_seccomp_free(void *p)
{
	bpftk_free(p);
}
