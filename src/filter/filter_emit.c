/* filter_emit.c — from the condition tree to a linear classic program.
 *
 * emit(node, T, F) lays out code that ends at label T when the node holds
 * and at F when it does not: AND/OR place their right side under a fresh
 * label, NOT swaps the targets, leaves end in one conditional jump.  The
 * root jumps to "ret #snaplen" / "ret #0".  Because labels are only bound
 * after the code that jumps to them, every jump is forward, as classic BPF
 * requires.
 *
 * Then: jumps to an unconditional jump are threaded to its target, 'ja'
 * to the next instruction and unreachable code are dropped, and a
 * conditional jump farther than 255 instructions goes through a 'ja'
 * placed right after it (repeated until every offset fits).
 */
#include <errno.h>
#include <string.h>

#include "filter_int.h"

enum ikind { I_STMT, I_COND, I_JA, I_RET };

struct item {
	enum ikind kind;
	struct bpftk_cbpf_insn ins;
	size_t t, f; /* targets: label ids while emitting, then items */
};

struct em {
	struct fl_state *st;
	struct item *v;
	size_t n, cap;
	size_t *label; /* label -> item index */
	size_t nlabels, lcap;
};

static size_t new_label(struct em *e)
{
	e->label = fl_grow(e->st, e->label, e->nlabels, &e->lcap,
			   sizeof(*e->label));
	e->label[e->nlabels] = (size_t)-1;
	return e->nlabels++;
}

static void bind_label(struct em *e, size_t l)
{
	e->label[l] = e->n;
}

static struct item *push(struct em *e, enum ikind kind, uint16_t code,
			 uint32_t k)
{
	e->v = fl_grow(e->st, e->v, e->n, &e->cap, sizeof(*e->v));
	struct item *it = &e->v[e->n++];
	it->kind = kind;
	it->ins.code = code;
	it->ins.k = k;
	return it;
}

static void emit_raw(struct em *e, const struct fl_raw *r, size_t t, size_t f)
{
	size_t *lab = fl_alloc(e->st, (r->n + 1) * sizeof(*lab));

	for (size_t i = 0; i < r->n; i++)
		lab[i] = new_label(e);
	for (size_t i = 0; i < r->n; i++) {
		const struct fl_raw_insn *x = &r->v[i];
		int jt = x->jt, jf = x->jf;
		size_t lt = jt >= 0 ? lab[jt] : jt == FL_RAW_TRUE ? t : f;
		size_t lf = jf >= 0 ? lab[jf] : jf == FL_RAW_TRUE ? t : f;

		bind_label(e, lab[i]);
		if (BPF_CLASS(x->code) != BPF_JMP) {
			push(e, I_STMT, x->code, x->k);
		} else if (BPF_OP(x->code) == BPF_JA) {
			push(e, I_JA, BPF_JMP | BPF_JA, 0)->t = lt;
		} else {
			struct item *it = push(e, I_COND, x->code, x->k);

			it->t = lt;
			it->f = lf;
		}
	}
}

static void emit(struct em *e, const struct fl_cond *c, size_t t, size_t f)
{
	size_t l;

	switch (c->kind) {
	case C_LEAF:
		for (size_t i = 0; i < c->s.n; i++)
			push(e, I_STMT, c->s.v[i].code, c->s.v[i].k);
		struct item *it = push(e, I_COND, c->jcode, c->k);
		it->t = t;
		it->f = f;
		return;
	case C_AND:
	case C_OR: {
		/* a chain "a and b and c" is a left-deep tree as long as the
		 * expression: walk its spine with a loop, not recursion */
		size_t n = 0, cap = 0;
		const struct fl_cond **v = NULL, *p;

		for (p = c; p->kind == c->kind; p = p->l) {
			v = fl_grow(e->st, (void *)v, n, &cap, sizeof(*v));
			v[n++] = p->r;
		}
		/* p is the leftmost operand; v holds the right ones, last first */
		for (size_t i = n + 1; i-- > 0;) {
			const struct fl_cond *x = i == n ? p : v[i];

			if (i == 0) {
				emit(e, x, t, f);
				break;
			}
			l = new_label(e);
			if (c->kind == C_AND)
				emit(e, x, l, f);
			else
				emit(e, x, t, l);
			bind_label(e, l);
		}
		return;
	}
	case C_NOT:
		emit(e, c->l, f, t);
		return;
	case C_RAW:
		emit_raw(e, c->raw, t, f);
		return;
	case C_TRUE:
	case C_FALSE:
		/* constants may carry statements run for their effect (the
		 * 802.11 prologue's offset updates) */
		for (size_t i = 0; i < c->s.n; i++)
			push(e, I_STMT, c->s.v[i].code, c->s.v[i].k);
		push(e, I_JA, BPF_JMP | BPF_JA, 0)->t = c->kind == C_TRUE ? t : f;
		return;
	}
}

/* Follows chains of unconditional jumps. */
static size_t final_target(const struct em *e, size_t i)
{
	size_t hops = 0;

	while (e->v[i].kind == I_JA && hops++ < e->n)
		i = e->v[i].t;
	return i;
}

/* Keeps the items with keep[i] set, renumbering targets (a dropped 'ja'
 * target is replaced by its own target first). */
static void compact(struct em *e, const unsigned char *keep)
{
	size_t *map = fl_alloc(e->st, (e->n + 1) * sizeof(*map));
	size_t j = 0;

	for (size_t i = 0; i < e->n; i++) {
		map[i] = j;
		if (keep[i])
			j++;
	}
	map[e->n] = j;
	for (size_t i = 0; i < e->n; i++) {
		if (!keep[i])
			continue;
		struct item it = e->v[i];

		if (it.kind == I_COND || it.kind == I_JA) {
			it.t = map[it.t];
			if (it.kind == I_COND)
				it.f = map[it.f];
		}
		e->v[map[i]] = it;
	}
	e->n = j;
}

static void simplify(struct em *e)
{
	unsigned char *keep = fl_alloc(e->st, e->n + 1);

	for (size_t i = 0; i < e->n; i++) {
		struct item *it = &e->v[i];

		if (it->kind == I_COND) {
			it->t = final_target(e, it->t);
			it->f = final_target(e, it->f);
		} else if (it->kind == I_JA) {
			it->t = final_target(e, it->t);
		}
	}
	/* reachability: all jumps go forward, so one pass suffices */
	keep[0] = 1;
	for (size_t i = 0; i < e->n; i++) {
		struct item *it = &e->v[i];

		if (!keep[i])
			continue;
		switch (it->kind) {
		case I_STMT:
			keep[i + 1] = 1;
			break;
		case I_COND:
			keep[it->t] = keep[it->f] = 1;
			break;
		case I_JA:
			keep[it->t] = 1;
			break;
		case I_RET:
			break;
		}
	}
	/* a 'ja' to the next kept item falls through */
	for (size_t i = 0; i < e->n; i++) {
		if (!keep[i] || e->v[i].kind != I_JA)
			continue;
		size_t k = i + 1;
		while (k < e->n && !keep[k])
			k++;
		if (e->v[i].t == k)
			keep[i] = 0;
	}
	/* jumps into a dropped 'ja' were threaded above; a dropped
	 * fall-through 'ja' is never a target of a threaded jump, and
	 * compact maps a target to the next kept item */
	compact(e, keep);
}

/* Inserts a trampoline after every conditional jump whose target is out
 * of range; returns whether any was added. */
static int relax(struct em *e)
{
	size_t extra = 0;

	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].kind == I_COND &&
		    (e->v[i].t - i - 1 > 255 || e->v[i].f - i - 1 > 255))
			extra++;
	if (!extra)
		return 0;
	struct item *v = fl_alloc(e->st, (e->n + extra) * sizeof(*v));
	size_t *map = fl_alloc(e->st, (e->n + 1) * sizeof(*map));
	size_t j = 0;

	for (size_t i = 0; i < e->n; i++) {
		map[i] = j++;
		if (e->v[i].kind == I_COND &&
		    (e->v[i].t - i - 1 > 255 || e->v[i].f - i - 1 > 255))
			j++;
	}
	map[e->n] = j;
	for (size_t i = 0; i < e->n; i++) {
		struct item it = e->v[i];
		size_t at = map[i];

		if (it.kind == I_JA) {
			it.t = map[it.t];
		} else if (it.kind == I_COND) {
			size_t far_t = it.t - i - 1 > 255, far_f = it.f - i - 1 > 255;

			it.t = map[it.t];
			it.f = map[it.f];
			if (far_t || far_f) {
				/* one trampoline per round: for jt if it is far,
				 * else for jf */
				struct item ja = {I_JA, {BPF_JMP | BPF_JA, 0, 0, 0},
						  far_t ? it.t : it.f, 0};

				v[at + 1] = ja;
				if (far_t)
					it.t = at + 1;
				else
					it.f = at + 1;
			}
		}
		v[at] = it;
	}
	e->v = v;
	e->n = j;
	e->cap = j;
	return 1;
}

/* The root label (t or f) reached from the entry along false edges. */
static size_t false_chain_end(const struct em *e, size_t t, size_t f)
{
	size_t i = 0;

	while (i < e->n) {
		size_t lab;

		if (e->v[i].kind == I_STMT) {
			i++;
			continue;
		}
		lab = e->v[i].kind == I_COND ? e->v[i].f : e->v[i].t;
		if (lab == t || lab == f)
			return lab;
		i = e->label[lab];
	}
	return f;
}

int fl_emit_program(struct fl_state *st, struct fl_cond *prologue,
		    struct fl_cond *root, struct bpftk_cbpf_insn **out,
		    size_t *n)
{
	struct em e = {.st = st};
	size_t t = new_label(&e), f = new_label(&e);

	if (prologue) {
		size_t l = new_label(&e);

		emit(&e, prologue, l, l);
		bind_label(&e, l);
	}
	emit(&e, root, t, f);
	/* libpcap lays out blocks depth first along the false edges, so the
	 * return reached from the entry by always taking the false branch
	 * comes last; doing the same keeps listings comparable */
	if (false_chain_end(&e, t, f) == t) {
		bind_label(&e, f);
		push(&e, I_RET, BPF_RET | BPF_K, 0);
		bind_label(&e, t);
		push(&e, I_RET, BPF_RET | BPF_K, st->snaplen);
	} else {
		bind_label(&e, t);
		push(&e, I_RET, BPF_RET | BPF_K, st->snaplen);
		bind_label(&e, f);
		push(&e, I_RET, BPF_RET | BPF_K, 0);
	}
	for (size_t i = 0; i < e.n; i++) {
		if (e.v[i].kind == I_COND) {
			e.v[i].t = e.label[e.v[i].t];
			e.v[i].f = e.label[e.v[i].f];
		} else if (e.v[i].kind == I_JA) {
			e.v[i].t = e.label[e.v[i].t];
		}
	}
	simplify(&e);
	/* libpcap's optimizer refuses a filter that can never match */
	int accepts = 0;
	for (size_t i = 0; i < e.n; i++)
		accepts |= e.v[i].kind == I_RET && e.v[i].ins.k != 0;
	if (st->optimize && !accepts)
		fl_fail(st, 1, "expression rejects all packets");
	for (int round = 0; relax(&e) && round < 64; round++)
		;
	struct bpftk_cbpf_insn *p = bpftk_malloc(e.n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < e.n; i++) {
		p[i] = e.v[i].ins;
		if (e.v[i].kind == I_COND) {
			p[i].jt = (uint8_t)(e.v[i].t - i - 1);
			p[i].jf = (uint8_t)(e.v[i].f - i - 1);
		} else if (e.v[i].kind == I_JA) {
			p[i].k = (uint32_t)(e.v[i].t - i - 1);
		}
	}
	*out = p;
	*n = e.n;
	return 0;
}
