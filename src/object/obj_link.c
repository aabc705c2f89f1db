/* obj_link.c — turning an entry function into a program: every function it
 * calls or takes the address of (transitively) is appended once, and each
 * call and function pointer gets the relative imm the kernel expects
 * (target - (slot + 1)).
 *
 * The order is libbpf's (bpf_object__reloc_code): scanning a function, the
 * first reference to a function not yet in the program appends it and
 * scans it at once, before the rest of the referring function — a
 * depth-first pre-order.  Keeping libbpf's layout means instruction numbers
 * match those of the same object loaded into Linux.  The walk uses an
 * explicit stack, so a long chain of calls cannot exhaust the C stack.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj_int.h"

struct frame {
	size_t piece; /* index in the program's pieces */
	size_t next;  /* next call of that piece's function to look at */
};

struct lctx {
	struct obj_ctx *c;
	struct bpftk_object_prog *p;
	long *placed; /* per function: its piece in this program, or -1 */
	size_t cap_pieces;
};

static int append(struct lctx *x, size_t func)
{
	struct bpftk_object_prog *p = x->p;
	struct bpftk_object *o = x->c->o;
	if (p->npieces == x->cap_pieces) {
		size_t cap = x->cap_pieces ? x->cap_pieces * 2 : 4;
		struct obj_piece *v =
			bpftk_realloc(p->pieces, cap * sizeof(*v));
		if (!v)
			return obj_nomem(x->c);
		p->pieces = v;
		x->cap_pieces = cap;
	}
	size_t at = p->npieces ? p->pieces[p->npieces - 1].at +
					 o->funcs[p->pieces[p->npieces - 1].func].n
			       : 0;
	p->pieces[p->npieces].func = func;
	p->pieces[p->npieces].at = at;
	x->placed[func] = (long)p->npieces++;
	return 0;
}

/* Places every function the program reaches; pieces in final order. */
static int place(struct lctx *x, struct frame *stack)
{
	struct bpftk_object *o = x->c->o;
	size_t depth = 0;
	int err = append(x, x->p->func);
	if (err)
		return err;
	stack[depth++] = (struct frame){0, 0};
	while (depth) {
		struct frame *fr = &stack[depth - 1];
		const struct obj_func *f =
			&o->funcs[x->p->pieces[fr->piece].func];
		if (fr->next == f->ncalls) {
			depth--;
			continue;
		}
		size_t t = f->calls[fr->next++].func;
		if (x->placed[t] >= 0)
			continue;
		if ((err = append(x, t)))
			return err;
		stack[depth++] = (struct frame){x->p->npieces - 1, 0};
	}
	return 0;
}

/* Copies the pieces and fixes every call and function pointer. */
static int emit(struct lctx *x)
{
	struct bpftk_object_prog *p = x->p;
	struct bpftk_object *o = x->c->o;
	const struct obj_piece *last = &p->pieces[p->npieces - 1];
	p->n = last->at + o->funcs[last->func].n;
	p->insns = bpftk_calloc(p->n, sizeof(*p->insns));
	p->func_btf = bpftk_calloc(p->npieces, sizeof(*p->func_btf));
	if (!p->insns || !p->func_btf)
		return obj_nomem(x->c);
	for (size_t k = 0; k < p->npieces; k++) {
		const struct obj_piece *pc = &p->pieces[k];
		const struct obj_func *f = &o->funcs[pc->func];
		memcpy(p->insns + pc->at, f->insns, f->n * sizeof(*f->insns));
		for (size_t j = 0; j < f->ncalls; j++) {
			const struct obj_call *cl = &f->calls[j];
			const struct obj_piece *tp =
				&p->pieces[x->placed[cl->func]];
			long long rel = (long long)(tp->at + cl->off) -
					(long long)(pc->at + cl->at) - 1;
			if (rel < INT32_MIN || rel > INT32_MAX) {
				obj_err(x->c, p->name, (long)(pc->at + cl->at),
					"call distance %lld does not fit an "
					"immediate", rel);
				continue;
			}
			p->insns[pc->at + cl->at].imm = (int32_t)rel;
		}
	}
	return 0;
}

int obj_progs_link(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	long *placed = bpftk_malloc((o->nfuncs ? o->nfuncs : 1) * sizeof(long));
	struct frame *stack =
		bpftk_malloc((o->nfuncs ? o->nfuncs : 1) * sizeof(*stack));
	int err = 0;
	if (!placed || !stack)
		err = obj_nomem(c);
	for (size_t k = 0; placed && k < o->nfuncs; k++)
		placed[k] = -1;
	for (size_t i = 0; i < o->nprogs && !err; i++) {
		struct lctx x = {c, &o->progs[i], placed, 0};
		err = place(&x, stack);
		if (!err)
			err = emit(&x);
		/* only what this program placed needs resetting */
		for (size_t k = 0; k < o->progs[i].npieces; k++)
			placed[o->progs[i].pieces[k].func] = -1;
	}
	bpftk_free(placed);
	bpftk_free(stack);
	if (!err && c->errors)
		err = -EINVAL;
	return err;
}
