/* opt_emit.c — back to instructions: lay the live blocks out, settle the
 * jump offsets, write the program.
 *
 * Layout is block order (which keeps every jump forward), except that a
 * block ending in a goto moves down to just before its target so the goto
 * costs nothing (its only successor is that target and its predecessors are
 * all earlier, so order still holds); one such block per target.
 * Conditional offsets are 8 bits: a target more than 255 ahead gets a `ja`
 * trampoline right after the jump.  Trampolines only ever get added, so
 * the repeated layout passes end.
 */
#include <errno.h>
#include <string.h>

#include "opt_int.h"

struct lay {
	size_t *order, n;
	size_t *pos;	    /* first instruction of each block */
	uint8_t *tt, *tf;   /* trampolines after a conditional jump */
};

static size_t term_len(const struct opt *o, const struct lay *l, size_t at)
{
	const struct opt_block *b = &o->b[l->order[at]];
	if (b->term == OPT_T_GOTO)
		return at + 1 < l->n && l->order[at + 1] == b->jt ? 0 : 1;
	if (b->term == OPT_T_COND)
		return 1u + l->tt[l->order[at]] + l->tf[l->order[at]];
	return 1;
}

static void place(const struct opt *o, struct lay *l, const size_t *before,
		  size_t i)
{
	if (before[i])
		place(o, l, before, before[i] - 1);
	l->order[l->n++] = i;
}

static int layout(const struct opt *o, struct lay *l)
{
	size_t *before = bpftk_calloc(o->nb, sizeof(*before));
	uint8_t *moved = bpftk_calloc(o->nb, 1);
	if (!before || !moved) {
		bpftk_free(before);
		bpftk_free(moved);
		return -ENOMEM;
	}
	for (size_t i = 1; i < o->nb; i++) {
		const struct opt_block *b = &o->b[i];
		if (b->live && b->term == OPT_T_GOTO && !before[b->jt]) {
			before[b->jt] = i + 1;
			moved[i] = 1;
		}
	}
	l->n = 0;
	for (size_t i = 0; i < o->nb; i++)
		if (o->b[i].live && !moved[i])
			place(o, l, before, i);
	bpftk_free(before);
	bpftk_free(moved);

	for (int again = 1; again;) {
		again = 0;
		size_t pc = 0;
		for (size_t a = 0; a < l->n; a++) {
			l->pos[l->order[a]] = pc;
			pc += o->b[l->order[a]].ns + term_len(o, l, a);
		}
		for (size_t a = 0; a < l->n; a++) {
			size_t i = l->order[a];
			const struct opt_block *b = &o->b[i];
			if (b->term != OPT_T_COND)
				continue;
			size_t at = l->pos[i] + b->ns;
			if (!l->tt[i] && l->pos[b->jt] - at - 1 > 255) {
				l->tt[i] = 1;
				again = 1;
			}
			if (!l->tf[i] && l->pos[b->jf] - at - 1 > 255) {
				l->tf[i] = 1;
				again = 1;
			}
		}
	}
	return 0;
}

static struct bpftk_cbpf_insn mk(uint16_t code, uint8_t jt, uint8_t jf,
				 uint32_t k)
{
	struct bpftk_cbpf_insn x = {code, jt, jf, k};
	return x;
}

int bpftk_opt_emit(struct opt *o, struct bpftk_cbpf_insn **out, size_t *n)
{
	struct lay l;
	memset(&l, 0, sizeof(l));
	int err = -ENOMEM;
	struct bpftk_cbpf_insn *p = NULL;
	l.order = bpftk_calloc(o->nb, sizeof(*l.order));
	l.pos = bpftk_calloc(o->nb, sizeof(*l.pos));
	l.tt = bpftk_calloc(o->nb, 1);
	l.tf = bpftk_calloc(o->nb, 1);
	if (!l.order || !l.pos || !l.tt || !l.tf || layout(o, &l) < 0)
		goto out;
	size_t total = 0;
	for (size_t a = 0; a < l.n; a++)
		total += o->b[l.order[a]].ns + term_len(o, &l, a);
	p = bpftk_calloc(total ? total : 1, sizeof(*p));
	if (!p)
		goto out;
	size_t pc = 0;
	for (size_t a = 0; a < l.n; a++) {
		size_t i = l.order[a];
		const struct opt_block *b = &o->b[i];
		for (size_t j = 0; j < b->ns; j++)
			p[pc++] = mk(b->s[j].code, 0, 0, b->s[j].k);
		if (b->term == OPT_T_RET) {
			p[pc++] = mk(b->code, 0, 0, b->k);
		} else if (b->term == OPT_T_GOTO) {
			if (term_len(o, &l, a)) {
				p[pc] = mk(BPF_JMP | BPF_JA, 0, 0,
					   (uint32_t)(l.pos[b->jt] - pc - 1));
				pc++;
			}
		} else {
			size_t at = pc++;
			uint8_t jt = l.tt[i] ? 0
					     : (uint8_t)(l.pos[b->jt] - at - 1);
			uint8_t jf = l.tf[i] ? (uint8_t)l.tt[i]
					     : (uint8_t)(l.pos[b->jf] - at - 1);
			p[at] = mk(b->code, jt, jf, b->k);
			if (l.tt[i]) {
				p[pc] = mk(BPF_JMP | BPF_JA, 0, 0,
					   (uint32_t)(l.pos[b->jt] - pc - 1));
				pc++;
			}
			if (l.tf[i]) {
				p[pc] = mk(BPF_JMP | BPF_JA, 0, 0,
					   (uint32_t)(l.pos[b->jf] - pc - 1));
				pc++;
			}
		}
	}
	*out = p;
	*n = total;
	p = NULL;
	err = 0;
out:
	bpftk_free(p);
	bpftk_free(l.order);
	bpftk_free(l.pos);
	bpftk_free(l.tt);
	bpftk_free(l.tf);
	return err;
}
