/* opt_jump.c — edges: redirect the edges value numbering found can skip a
 * block (thr_t/thr_f), forward edges through blocks that only jump on, turn
 * a conditional jump with one target into a goto, and merge identical
 * blocks (same instructions, same jump, same successors — so identical
 * tails collapse from the returns upwards).
 *
 * Order is kept: a redirected edge goes to a successor of its old target;
 * a block merges only into a later one, whose predecessors then still come
 * before it.  Block 0 stays the entry.
 */
#include <errno.h>
#include <string.h>

#include "opt_int.h"

static size_t forward(const struct opt *o, size_t t)
{
	while (o->b[t].term == OPT_T_GOTO && o->b[t].ns == 0)
		t = o->b[t].jt;
	return t;
}

static int equal(const struct opt_block *x, const struct opt_block *y)
{
	if (x->term != y->term || x->ns != y->ns)
		return 0;
	if (x->term != OPT_T_GOTO && (x->code != y->code || x->k != y->k))
		return 0;
	if (x->term != OPT_T_RET && x->jt != y->jt)
		return 0;
	if (x->term == OPT_T_COND && x->jf != y->jf)
		return 0;
	for (size_t j = 0; j < x->ns; j++)
		if (x->s[j].code != y->s[j].code || x->s[j].k != y->s[j].k)
			return 0;
	return 1;
}

static uint32_t hash(const struct opt_block *x)
{
	uint32_t h = 2166136261u;
	uint32_t w[5] = {x->term, x->term == OPT_T_GOTO ? 0 : x->code,
			 x->term == OPT_T_GOTO ? 0 : x->k,
			 x->term == OPT_T_RET ? 0 : (uint32_t)x->jt,
			 x->term == OPT_T_COND ? (uint32_t)x->jf : 0};
	for (size_t i = 0; i < 5; i++)
		h = (h ^ w[i]) * 16777619u;
	for (size_t j = 0; j < x->ns; j++)
		h = (h ^ x->s[j].code ^ x->s[j].k * 31u) * 16777619u;
	return h;
}

static int merge(struct opt *o)
{
	size_t hcap = 16;
	while (hcap < 2 * o->nb)
		hcap *= 2;
	size_t *tab = bpftk_calloc(hcap, sizeof(*tab));
	size_t *canon = bpftk_calloc(o->nb, sizeof(*canon));
	if (!tab || !canon) {
		bpftk_free(tab);
		bpftk_free(canon);
		return -ENOMEM;
	}
	for (size_t i = o->nb; i-- > 0;) {
		struct opt_block *b = &o->b[i];
		canon[i] = i;
		if (!b->live)
			continue;
		if (b->term != OPT_T_RET) {
			b->jt = canon[b->jt];
			if (b->term == OPT_T_COND)
				b->jf = canon[b->jf];
			if (b->term == OPT_T_COND && b->jt == b->jf)
				b->term = OPT_T_GOTO;
		}
		if (i == 0)
			break;
		size_t h = hash(b) & (hcap - 1);
		while (tab[h] && !equal(&o->b[tab[h] - 1], b))
			h = (h + 1) & (hcap - 1);
		if (tab[h]) {
			canon[i] = tab[h] - 1;
			b->live = 0;
			o->changed = 1;
		} else {
			tab[h] = i + 1;
		}
	}
	bpftk_free(tab);
	bpftk_free(canon);
	return 0;
}

/* A goto block with one predecessor, a conditional jump, can have its
 * instructions at the end of that predecessor instead (before its jump)
 * when they leave the jump's operands alone, cannot end the program there
 * (safe), and write nothing the other successor reads; then it is empty
 * and costs no `ja`.  Only in rewrite rounds: redirections found this
 * round assumed the old code. */
static void hoist(struct opt *o)
{
	for (size_t i = 0; i < o->nb; i++) {
		struct opt_block *p = &o->b[i];
		if (!p->live || p->term != OPT_T_COND || p->jt == p->jf)
			continue;
		for (int side = 0; side < 2; side++) {
			size_t bi = side ? p->jt : p->jf;
			size_t other = side ? p->jf : p->jt;
			struct opt_block *b = &o->b[bi];
			if (b->term != OPT_T_GOTO || !b->ns || b->npred != 1)
				continue;
			uint32_t reads = 1u << OPT_RA |
					 (BPF_SRC(p->code) == BPF_X ? 1u << OPT_RX
								    : 0);
			size_t j;
			for (j = 0; j < b->ns; j++) {
				uint32_t u, d;
				int f;
				bpftk_opt_uses(b->s[j].code, b->s[j].k, &u, &d, &f);
				if ((d & reads) || (d & o->b[other].livein) ||
				    (f && (!b->s[j].safe || o->ant_removed)))
					break;
			}
			if (j < b->ns)
				continue;
			if (p->ns + b->ns > p->cap) {
				size_t cap = p->ns + b->ns;
				struct opt_stmt *s = bpftk_realloc(p->s, cap * sizeof(*s));
				if (!s)
					continue; /* an optimization, not needed */
				p->s = s;
				p->cap = cap;
			}
			memcpy(&p->s[p->ns], b->s, b->ns * sizeof(*b->s));
			p->ns += b->ns;
			b->ns = 0;
			o->changed = 1;
			/* b's registers may now pass through it to its
			 * target: the other side's check would be stale */
			break;
		}
	}
}

int bpftk_opt_jump(struct opt *o)
{
	if (o->mode == OPT_REWRITE)
		hoist(o);
	for (size_t i = 0; i < o->nb; i++) {
		struct opt_block *b = &o->b[i];
		if (!b->live || b->term == OPT_T_RET)
			continue;
		size_t jt = b->jt, jf = b->jf;
		if (b->thr_t)
			jt = b->thr_t;
		if (b->term == OPT_T_COND && b->thr_f)
			jf = b->thr_f;
		jt = forward(o, jt);
		if (b->term == OPT_T_COND)
			jf = forward(o, jf);
		if (jt != b->jt || (b->term == OPT_T_COND && jf != b->jf))
			o->changed = 1;
		b->jt = jt;
		b->jf = jf;
		if (b->term == OPT_T_COND && jt == jf) {
			b->term = OPT_T_GOTO;
			o->changed = 1;
		}
		b->thr_t = b->thr_f = 0;
	}
	return merge(o);
}
