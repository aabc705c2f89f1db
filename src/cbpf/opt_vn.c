/* opt_vn.c — value numbering over the block DAG.
 *
 * Every value a program computes gets a number; equal numbers mean equal
 * values on every run that reaches both places.  Numbers are hash-consed
 * from what computes them: a constant, a packet load (packet bytes never
 * change, so the same load at the same offset is the same value), pktlen, an
 * ALU operation on two numbers.  Joins where predecessors disagree get a
 * fresh number (so do opaque inputs: scratch memory at entry, Linux
 * ancillary loads).
 *
 * Per block we know which number each register (A, X, M[0..15]) holds, up
 * to which offset absolute loads are known to succeed (safe_end), and facts
 * learnt from jumps taken on the way: after `jeq #0x800` is true the value
 * tested is 0x800, after `jgt #5` is false it is at most 5, after `jset #4`
 * is false bit 2 is clear.  A fact holds on every path into the block (the
 * join keeps the weakest).
 *
 * With that, each instruction is rewritten: deleted if its register already
 * holds its value, turned into a constant load when its value is known,
 * `op x` into `op #k` when X is known, `[x + k]` into `[k']`.  Jumps whose
 * outcome is known become gotos.  An edge into a block whose jump is decided
 * on that edge, and whose instructions are redundant or unread there, is
 * redirected past it (thr_t/thr_f; opt_jump applies it).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "opt_int.h"

enum vkind { V_NONE, V_CONST, V_UNK, V_LDABS, V_LDIND, V_MSH, V_LEN, V_ALU };

struct vnode {
	uint8_t kind;
	uint16_t op; /* load size or ALU operation */
	uint32_t a, b, k;
	uint32_t lo, hi, kz, ko; /* range, bits known zero / one */
};

struct vtab {
	struct vnode *n;
	size_t nn, cap;
	uint32_t *hash; /* open addressing; 0 = empty */
	size_t hcap;
	int oom;
};

#define NFACT 8
#define NNE 2

struct fact {
	uint32_t v;
	uint32_t lo, hi, kz, ko;
	uint32_t sm; /* some bit of sm is set (0: nothing known) */
	uint32_t ne[NNE];
	uint8_t nne;
};

struct vstate {
	uint32_t reg[OPT_NREG];
	uint32_t safe_end;
	uint8_t nf;
	struct fact f[NFACT];
};

struct opt_vnmem {
	struct vtab t;
	struct vstate *out; /* per block, after its instructions */
	size_t *pstart, *pedge, *fill; /* predecessor edges: block << 1 | taken */
};

struct vn {
	struct opt *o;
	struct vtab t;
	struct vstate *out;
	size_t *pstart, *pedge, *fill;
};

/* --- the value table --- */

static uint32_t mix(const struct vnode *x)
{
	uint32_t h = 2166136261u;
	uint32_t w[5] = {x->kind, x->op, x->a, x->b, x->k};
	for (int i = 0; i < 5; i++)
		h = (h ^ w[i]) * 16777619u;
	return h;
}

static int same(const struct vnode *x, const struct vnode *y)
{
	return x->kind == y->kind && x->op == y->op && x->a == y->a &&
	       x->b == y->b && x->k == y->k;
}

static int grow(struct vtab *t)
{
	size_t cap = t->cap ? 2 * t->cap : 256;
	struct vnode *n = bpftk_realloc(t->n, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->n = n;
	t->cap = cap;
	uint32_t *h = bpftk_calloc(2 * cap, sizeof(*h));
	if (!h)
		return -ENOMEM;
	bpftk_free(t->hash);
	t->hash = h;
	t->hcap = 2 * cap;
	for (size_t i = 1; i < t->nn; i++) {
		if (t->n[i].kind == V_UNK)
			continue;
		size_t j = mix(&t->n[i]) & (t->hcap - 1);
		while (t->hash[j])
			j = (j + 1) & (t->hcap - 1);
		t->hash[j] = (uint32_t)i;
	}
	return 0;
}

static void intrinsic(const struct vtab *t, struct vnode *x)
{
	x->lo = 0;
	x->hi = UINT32_MAX;
	x->kz = 0;
	x->ko = 0;
	switch (x->kind) {
	case V_CONST:
		x->lo = x->hi = x->ko = x->k;
		x->kz = ~x->k;
		break;
	case V_LDABS:
	case V_LDIND:
		if (x->op == BPF_B)
			x->hi = 0xff;
		else if (x->op == BPF_H)
			x->hi = 0xffff;
		x->kz = ~x->hi;
		break;
	case V_MSH:
		x->hi = 60;
		x->kz = ~0x3cu;
		break;
	case V_ALU: {
		const struct vnode *a = &t->n[x->a], *b = &t->n[x->b];
		if (x->op == BPF_AND) {
			x->kz = a->kz | b->kz;
			x->hi = a->hi < b->hi ? a->hi : b->hi;
		} else if (x->op == BPF_RSH && b->kind == V_CONST && b->k < 32) {
			x->hi = a->hi >> b->k;
			x->kz = ~(UINT32_MAX >> b->k) | (a->kz >> b->k);
		} else if (x->op == BPF_LSH && b->kind == V_CONST && b->k < 32) {
			x->kz = ~(UINT32_MAX << b->k) | (a->kz << b->k);
			if ((uint64_t)a->hi << b->k <= UINT32_MAX)
				x->hi = a->hi << b->k;
		} else if (x->op == BPF_ADD &&
			   (uint64_t)a->hi + b->hi <= UINT32_MAX) {
			x->lo = a->lo + b->lo;
			x->hi = a->hi + b->hi;
		} else if (x->op == BPF_OR) {
			x->kz = a->kz & b->kz;
			x->ko = a->ko | b->ko;
			x->lo = a->lo > b->lo ? a->lo : b->lo;
		}
		break;
	}
	default:
		break;
	}
	if (x->hi > ~x->kz)
		x->hi = ~x->kz;
}

/* The number of the value x describes (added if new); 0 when out of
 * memory. */
static uint32_t node(struct vtab *t, uint8_t kind, uint16_t op, uint32_t a,
		     uint32_t b, uint32_t k)
{
	struct vnode x = {kind, op, a, b, k, 0, 0, 0, 0};
	if (t->oom)
		return 0;
	if (t->nn + 1 >= t->cap && grow(t) < 0) {
		t->oom = 1;
		return 0;
	}
	size_t j = 0;
	if (kind != V_UNK) {
		j = mix(&x) & (t->hcap - 1);
		while (t->hash[j]) {
			if (same(&t->n[t->hash[j]], &x))
				return t->hash[j];
			j = (j + 1) & (t->hcap - 1);
		}
	}
	intrinsic(t, &x);
	uint32_t id = (uint32_t)t->nn++;
	t->n[id] = x;
	if (kind != V_UNK)
		t->hash[j] = id;
	return id;
}

static uint32_t cnode(struct vtab *t, uint32_t c)
{
	return node(t, V_CONST, 0, 0, 0, c);
}

static uint32_t fresh(struct vtab *t)
{
	return node(t, V_UNK, 0, 0, 0, 0);
}

/* --- facts --- */

/* What is known of value v in state s: its intrinsic range and bits,
 * narrowed by the facts. */
static struct fact info(const struct vtab *t, const struct vstate *s,
			uint32_t v)
{
	const struct vnode *x = &t->n[v];
	struct fact r = {v, x->lo, x->hi, x->kz, x->ko, 0, {0}, 0};
	for (size_t i = 0; i < s->nf; i++) {
		const struct fact *f = &s->f[i];
		if (f->v != v)
			continue;
		if (f->lo > r.lo)
			r.lo = f->lo;
		if (f->hi < r.hi)
			r.hi = f->hi;
		r.kz |= f->kz;
		r.ko |= f->ko;
		r.sm = f->sm;
		memcpy(r.ne, f->ne, sizeof(r.ne));
		r.nne = f->nne;
	}
	return r;
}

static int kconst(const struct vtab *t, const struct vstate *s, uint32_t v,
		  uint32_t *c)
{
	struct fact f = info(t, s, v);
	if (f.lo == f.hi) {
		*c = f.lo;
		return 1;
	}
	if ((f.kz | f.ko) == UINT32_MAX && !(f.kz & f.ko)) {
		*c = f.ko;
		return 1;
	}
	return 0;
}

static struct fact *fact_slot(const struct vtab *t, struct vstate *s,
			      uint32_t v)
{
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].v == v)
			return &s->f[i];
	if (s->nf == NFACT) {
		memmove(&s->f[0], &s->f[1], (NFACT - 1) * sizeof(s->f[0]));
		s->nf--;
	}
	struct fact *f = &s->f[s->nf++];
	const struct vnode *x = &t->n[v];
	memset(f, 0, sizeof(*f));
	f->v = v;
	f->lo = x->lo;
	f->hi = x->hi;
	f->kz = x->kz;
	f->ko = x->ko;
	return f;
}

/* 1 / 0 when `v op c` is known true / false, -1 when unknown. */
static int decide(const struct fact *f, uint16_t op, uint32_t c)
{
	if (f->lo == f->hi) {
		uint32_t a = f->lo;
		switch (op) {
		case BPF_JEQ: return a == c;
		case BPF_JGT: return a > c;
		case BPF_JGE: return a >= c;
		default: return (a & c) != 0;
		}
	}
	switch (op) {
	case BPF_JEQ:
		if (c < f->lo || c > f->hi || (c & f->kz) || (~c & f->ko))
			return 0;
		for (size_t i = 0; i < f->nne; i++)
			if (f->ne[i] == c)
				return 0;
		return -1;
	case BPF_JGT:
		if (f->lo > c)
			return 1;
		return f->hi <= c ? 0 : -1;
	case BPF_JGE:
		if (f->lo >= c)
			return 1;
		return f->hi < c ? 0 : -1;
	default:
		if (!(c & ~f->kz))
			return 0;
		if (c & f->ko)
			return 1;
		if (f->sm && !(f->sm & ~c))
			return 1;
		if (f->lo > 0 && !(~f->kz & ~c))
			return 1;
		return -1;
	}
}

static void learn(const struct vtab *t, struct vstate *s, uint32_t v,
		  uint16_t op, uint32_t c, int taken)
{
	if (t->n[v].kind == V_CONST)
		return;
	struct fact *f = fact_slot(t, s, v);
	switch (op) {
	case BPF_JEQ:
		if (taken) {
			f->lo = f->hi = f->ko = c;
			f->kz = ~c;
		} else {
			if (f->nne < NNE)
				f->ne[f->nne++] = c;
			if (f->lo == c && c != UINT32_MAX)
				f->lo++;
			if (f->hi == c && c != 0)
				f->hi--;
		}
		break;
	case BPF_JGT:
		if (taken && c != UINT32_MAX && f->lo < c + 1)
			f->lo = c + 1;
		else if (!taken && f->hi > c)
			f->hi = c;
		break;
	case BPF_JGE:
		if (taken && f->lo < c)
			f->lo = c;
		else if (!taken && c != 0 && f->hi > c - 1)
			f->hi = c - 1;
		break;
	default:
		if (!taken)
			f->kz |= c;
		else if (!(c & (c - 1)))
			f->ko |= c;
		else
			f->sm = c;
		break;
	}
}

/* --- instructions --- */

static int foldable(uint16_t op, uint32_t b)
{
	if ((op == BPF_DIV || op == BPF_MOD) && b == 0)
		return 0;
	if ((op == BPF_LSH || op == BPF_RSH) && b >= 32)
		return 0;
	return 1;
}

static uint32_t alu(uint16_t op, uint32_t a, uint32_t b)
{
	switch (op) {
	case BPF_ADD: return a + b;
	case BPF_SUB: return a - b;
	case BPF_MUL: return a * b;
	case BPF_DIV: return a / b;
	case BPF_MOD: return a % b;
	case BPF_OR: return a | b;
	case BPF_AND: return a & b;
	case BPF_XOR: return a ^ b;
	case BPF_LSH: return a << b;
	case BPF_RSH: return a >> b;
	default: return (uint32_t)-a; /* BPF_NEG */
	}
}

/* The value of `A op B`; *flt set when it may end the program. */
static uint32_t eval_alu(struct vtab *t, const struct vstate *s, uint16_t op,
			 uint32_t av, uint32_t bv, int *flt)
{
	uint32_t ca = 0, cb = 0; /* set when kconst says so; gcc cannot see it */
	int ka = kconst(t, s, av, &ca);
	int kb = op != BPF_NEG && kconst(t, s, bv, &cb);
	*flt = 0;
	if (op == BPF_NEG)
		return ka ? cnode(t, (uint32_t)-ca) : node(t, V_ALU, op, av, 0, 0);
	if ((op == BPF_DIV || op == BPF_MOD) && !(kb && cb) &&
	    info(t, s, bv).lo == 0)
		*flt = 1;
	if (ka && kb && foldable(op, cb))
		return cnode(t, alu(op, ca, cb));
	if (kb) {
		if (cb == 0 && (op == BPF_ADD || op == BPF_SUB || op == BPF_OR ||
				op == BPF_XOR || op == BPF_LSH || op == BPF_RSH))
			return av;
		if (cb == 1 && (op == BPF_MUL || op == BPF_DIV))
			return av;
		if (cb == UINT32_MAX && op == BPF_AND)
			return av;
		if (cb == 0 && (op == BPF_AND || op == BPF_MUL))
			return cnode(t, 0);
		if (cb == 1 && op == BPF_MOD)
			return cnode(t, 0);
		bv = cnode(t, cb);
	}
	if (ka)
		av = cnode(t, ca);
	if ((op == BPF_SUB || op == BPF_XOR) && av == bv)
		return cnode(t, 0);
	if ((op == BPF_AND || op == BPF_OR) && av == bv)
		return av;
	if ((op == BPF_ADD || op == BPF_MUL || op == BPF_AND || op == BPF_OR ||
	     op == BPF_XOR) && av > bv) {
		uint32_t x = av;
		av = bv;
		bv = x;
	}
	return node(t, V_ALU, op, av, bv, 0);
}

/* v = base + off with off constant: 1 and the parts, else 0. */
static int offset_of(const struct vtab *t, const struct vstate *s, uint32_t v,
		     uint32_t *base, uint32_t *off)
{
	const struct vnode *x = &t->n[v];
	uint32_t c;
	if (x->kind != V_ALU || x->op != BPF_ADD)
		return 0;
	if (kconst(t, s, x->b, &c) && !kconst(t, s, x->a, base)) {
		*base = x->a;
		*off = c;
		return 1;
	}
	if (kconst(t, s, x->a, &c) && !kconst(t, s, x->b, base)) {
		*base = x->b;
		*off = c;
		return 1;
	}
	return 0;
}

/* base + off + 4 stays below 2^31 whatever base is here, so an indexed
 * load may fold off into its k without changing what it reads (sums never
 * wrap, and Linux never sees a negative offset). */
static int reach(const struct vtab *t, const struct vstate *s, uint32_t base,
		 uint32_t off)
{
	uint64_t hi = info(t, s, base).hi;
	return off < 0x80000000u && hi + off + 4 < 0x80000000u;
}

static int held(const struct vstate *s, uint32_t v)
{
	for (size_t r = 0; r < OPT_NREG; r++)
		if (s->reg[r] == v)
			return 1;
	return 0;
}

static uint32_t bsize(uint16_t code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

/* Evaluates one instruction in state s (not updated); returns the register
 * it writes, its value in *nv and whether it may end the program in *flt.
 * *st is rewritten to an equivalent, simpler instruction when one is
 * known. */
static int eval(struct vn *w, const struct vstate *s, struct opt_stmt *st,
		uint32_t *nv, int *flt)
{
	struct vtab *t = &w->t;
	uint16_t c = st->code;
	uint32_t k = st->k, cx;
	int seccomp = w->o->flavor == BPFTK_CBPF_SECCOMP;
	*flt = 0;
	switch (BPF_CLASS(c)) {
	case BPF_LD:
	case BPF_LDX: {
		int r = BPF_CLASS(c) == BPF_LD ? OPT_RA : OPT_RX;
		switch (BPF_MODE(c)) {
		case BPF_IMM:
			*nv = cnode(t, k);
			return r;
		case BPF_LEN:
			*nv = node(t, V_LEN, 0, 0, 0, 0);
			return r;
		case BPF_MEM:
			*nv = s->reg[OPT_RM(k & 15)];
			return r;
		case BPF_MSH:
			*nv = node(t, V_MSH, 0, 0, 0, k);
			*flt = !seccomp && !(k < s->safe_end) && !held(s, *nv);
			return r;
		case BPF_IND:
			if (kconst(t, s, s->reg[OPT_RX], &cx) && cx < 0x80000000u &&
			    k < 0x80000000u && cx + k < 0x80000000u) {
				st->code = (uint16_t)(BPF_LD | BPF_SIZE(c) | BPF_ABS);
				st->k = cx + k;
				return eval(w, s, st, nv, flt);
			}
			uint32_t xv = s->reg[OPT_RX], base, off;
			if (offset_of(t, s, xv, &base, &off) &&
			    reach(t, s, base, off + k)) {
				/* [x + k] with x = v + c is [v + (c + k)] */
				xv = base;
				k += off;
			}
			*nv = node(t, V_LDIND, BPF_SIZE(c), xv, 0, k);
			*flt = !seccomp && !held(s, *nv);
			return r;
		default: /* BPF_ABS */
			if (k >= 0x80000000u) {
				*nv = fresh(t);
				*flt = !seccomp;
				return r;
			}
			*nv = node(t, V_LDABS, BPF_SIZE(c), 0, 0, k);
			*flt = !seccomp && !(k + bsize(c) <= s->safe_end) &&
			       !held(s, *nv);
			return r;
		}
	}
	case BPF_ST:
		*nv = s->reg[OPT_RA];
		return OPT_RM(k & 15);
	case BPF_STX:
		*nv = s->reg[OPT_RX];
		return OPT_RM(k & 15);
	case BPF_ALU: {
		uint16_t op = (uint16_t)BPF_OP(c);
		uint32_t bv = BPF_SRC(c) == BPF_X ? s->reg[OPT_RX] : cnode(t, k);
		*nv = eval_alu(t, s, op, s->reg[OPT_RA], bv, flt);
		if (op != BPF_NEG && BPF_SRC(c) == BPF_X &&
		    kconst(t, s, s->reg[OPT_RX], &cx) && foldable(op, cx)) {
			st->code = (uint16_t)(BPF_ALU | op | BPF_K);
			st->k = cx;
		}
		return OPT_RA;
	}
	default: /* BPF_MISC */
		if (BPF_MISCOP(c) == BPF_TAX) {
			*nv = s->reg[OPT_RA];
			return OPT_RX;
		}
		*nv = s->reg[OPT_RX];
		return OPT_RA;
	}
}

static void after(struct vn *w, struct vstate *s, const struct opt_stmt *st)
{
	uint16_t c = st->code;
	uint32_t end = 0;
	if (w->o->flavor == BPFTK_CBPF_SECCOMP)
		return;
	if (BPF_CLASS(c) == BPF_LD && BPF_MODE(c) == BPF_ABS &&
	    st->k < 0x80000000u)
		end = st->k + bsize(c);
	else if (BPF_CLASS(c) == BPF_LDX && BPF_MODE(c) == BPF_MSH &&
		 st->k < 0x80000000u)
		end = st->k + 1;
	if (end > s->safe_end)
		s->safe_end = end;
}

/* --- joins and edges --- */

/* Only the facts in use: states are copied on every edge. */
static void copy_state(struct vstate *d, const struct vstate *s)
{
	memcpy(d, s, offsetof(struct vstate, f));
	memcpy(d->f, s->f, s->nf * sizeof(s->f[0]));
}

static void edge_state(struct vn *w, size_t p, int taken, struct vstate *s)
{
	const struct opt_block *b = &w->o->b[p];
	copy_state(s, &w->out[p]);
	if (b->term != OPT_T_COND || b->jt == b->jf)
		return;
	uint32_t c;
	if (BPF_SRC(b->code) == BPF_X) {
		if (!kconst(&w->t, s, s->reg[OPT_RX], &c))
			return;
	} else {
		c = b->k;
	}
	learn(&w->t, s, s->reg[OPT_RA], (uint16_t)BPF_OP(b->code), c, taken);
}

static void meet_fact(struct fact *f, const struct fact *g)
{
	if (g->lo < f->lo)
		f->lo = g->lo;
	if (g->hi > f->hi)
		f->hi = g->hi;
	f->kz &= g->kz;
	f->ko &= g->ko;
	if (f->sm != g->sm)
		f->sm = 0;
	size_t n = 0;
	for (size_t i = 0; i < f->nne; i++)
		for (size_t j = 0; j < g->nne; j++)
			if (f->ne[i] == g->ne[j]) {
				f->ne[n++] = f->ne[i];
				break;
			}
	f->nne = (uint8_t)n;
}

static void meet(struct vn *w, struct vstate *s, const struct vstate *e)
{
	for (size_t r = 0; r < OPT_NREG; r++)
		if (s->reg[r] != e->reg[r])
			s->reg[r] = fresh(&w->t);
	if (e->safe_end < s->safe_end)
		s->safe_end = e->safe_end;
	size_t n = 0;
	for (size_t i = 0; i < s->nf; i++) {
		for (size_t j = 0; j < e->nf; j++) {
			if (e->f[j].v != s->f[i].v)
				continue;
			struct fact f = s->f[i];
			meet_fact(&f, &e->f[j]);
			s->f[n++] = f;
			break;
		}
	}
	s->nf = (uint8_t)n;
}

/* Registers that hold a fresh number after a join are compared by number
 * only, so a value reaching a join the same way from every side keeps its
 * number: meet() makes a fresh one only where predecessors differ. */
static void block_in(struct vn *w, size_t i, struct vstate *s)
{
	if (i == 0) {
		memset(s, 0, sizeof(*s));
		uint32_t zero = cnode(&w->t, 0);
		s->reg[OPT_RA] = s->reg[OPT_RX] = zero;
		for (size_t m = 0; m < BPF_MEMWORDS; m++)
			s->reg[OPT_RM(m)] = fresh(&w->t);
		return;
	}
	struct vstate e;
	for (size_t j = w->pstart[i]; j < w->pstart[i + 1]; j++) {
		size_t p = w->pedge[j] >> 1;
		if (j == w->pstart[i]) {
			edge_state(w, p, (int)(w->pedge[j] & 1), s);
			continue;
		}
		edge_state(w, p, (int)(w->pedge[j] & 1), &e);
		meet(w, s, &e);
	}
}

/* --- the pass --- */

/* The block i reached from state `in` decides its jump, and its
 * instructions are redundant there or write only registers the decided
 * successor does not read: returns that successor, else 0. */
static size_t skip_to(struct vn *w, size_t i, const struct vstate *in,
		      int *eq)
{
	const struct opt_block *b = &w->o->b[i];
	struct vstate s;
	copy_state(&s, in);
	uint32_t defs = 0;
	/* through a few blocks that only go on to the next, to a jump */
	for (int hops = 0;; hops++) {
		for (size_t j = 0; j < b->ns; j++) {
			struct opt_stmt st = b->s[j];
			uint32_t nv;
			int flt;
			int r = eval(w, &s, &st, &nv, &flt);
			defs |= 1u << r;
			if (s.reg[r] == nv)
				continue;
			if (flt)
				return 0;
			s.reg[r] = nv;
			after(w, &s, &st);
		}
		if (b->term == OPT_T_COND)
			break;
		if (b->term != OPT_T_GOTO || hops == 8)
			return 0;
		b = &w->o->b[b->jt];
	}
	uint32_t c;
	if (BPF_SRC(b->code) == BPF_X) {
		if (!kconst(&w->t, &s, s.reg[OPT_RX], &c))
			return 0;
	} else {
		c = b->k;
	}
	struct fact f = info(&w->t, &s, s.reg[OPT_RA]);
	int d = decide(&f, (uint16_t)BPF_OP(b->code), c);
	if (d < 0)
		return 0;
	size_t to = d ? b->jt : b->jf;
	*eq = 0;
	for (size_t r = 0; r < OPT_NREG; r++) {
		if (!(defs >> r & 1) || !(w->o->b[to].livein >> r & 1))
			continue;
		if (s.reg[r] != in->reg[r])
			return 0;
		*eq = 1; /* the target reads what the block recomputed */
	}
	return to;
}

/* `tax` at b->s[j] with A = X + c, where X is read afterwards only by
 * indexed loads: drop the tax and add c to those loads' offsets, so X keeps
 * its value and the addition becomes dead.  Only where X is not read after
 * the block (or is written again in it). */
static int fold_index(struct vn *w, struct opt_block *b, size_t j,
		      const struct vstate *s)
{
	uint32_t base, off;
	const uint32_t rx = 1u << OPT_RX;
	if (!offset_of(&w->t, s, s->reg[OPT_RA], &base, &off) ||
	    base != s->reg[OPT_RX])
		return 0;
	size_t end = b->ns, m;
	for (m = j + 1; m < b->ns; m++) {
		uint32_t u, d;
		int f;
		const struct opt_stmt *x = &b->s[m];
		bpftk_opt_uses(x->code, x->k, &u, &d, &f);
		if ((u & rx) && (BPF_CLASS(x->code) != BPF_LD ||
				 BPF_MODE(x->code) != BPF_IND ||
				 !reach(&w->t, s, base, off + x->k)))
			return 0;
		if (d & rx) {
			end = m;
			break;
		}
	}
	if (m == b->ns) {
		if (b->term == OPT_T_COND && BPF_SRC(b->code) == BPF_X)
			return 0;
		if (b->term != OPT_T_RET && (w->o->b[b->jt].livein & rx))
			return 0;
		if (b->term == OPT_T_COND && (w->o->b[b->jf].livein & rx))
			return 0;
	}
	for (m = j + 1; m < end; m++)
		if (BPF_CLASS(b->s[m].code) == BPF_LD &&
		    BPF_MODE(b->s[m].code) == BPF_IND)
			b->s[m].k += off;
	return 1;
}

/* The instructions of a block that only recompute A since the block began
 * (`ldb [0]; and #0xf0` again after a jump on that): when A gets back the
 * value it came in with, and nothing read the values in between, they all
 * go. */
#define CHAIN_MAX 8
struct chain {
	uint32_t a_in;	 /* A at block entry */
	int pure;	 /* no other instruction saw A since it changed */
	size_t n;
	size_t at[CHAIN_MAX]; /* where the A writers are in the output */
};

/* st (value nv, to go to b->s[*n]) against the chain: 1 when st and the
 * chain were dropped, 0 when st is to be kept (and was recorded). */
static int chain_back(struct vn *w, struct opt_block *b, size_t *n,
		      struct chain *ch, const struct opt_stmt *st,
		      struct vstate *s, uint32_t nv)
{
	uint32_t u, d;
	int f;
	bpftk_opt_uses(st->code, st->k, &u, &d, &f);
	if (d != 1u << OPT_RA) {
		if ((u >> OPT_RA & 1) && s->reg[OPT_RA] != ch->a_in)
			ch->pure = 0; /* an intermediate A escapes */
		return 0;
	}
	if (nv == ch->a_in && ch->pure && ch->n && (!f || st->safe)) {
		size_t o = ch->at[0], c = 0;
		for (size_t q = ch->at[0]; q < *n; q++) {
			if (c < ch->n && ch->at[c] == q) {
				c++;
				continue;
			}
			b->s[o++] = b->s[q];
		}
		*n = o;
		ch->n = 0;
		s->reg[OPT_RA] = ch->a_in;
		w->o->changed = 1;
		return 1;
	}
	if ((f && !st->safe) || ch->n == CHAIN_MAX)
		ch->pure = 0;
	else
		ch->at[ch->n++] = *n;
	return 0;
}

static void rewrite(struct vn *w, size_t i, struct vstate *s)
{
	struct opt_block *b = &w->o->b[i];
	int apply = w->o->mode != OPT_THREAD;
	size_t n = 0;
	struct chain ch = {s->reg[OPT_RA], 1, 0, {0}};
	for (size_t j = 0; j < b->ns; j++) {
		struct opt_stmt st = b->s[j];
		uint32_t nv, cv, cr;
		int flt;
		int r = eval(w, s, &st, &nv, &flt);
		int kv = w->t.n[nv].kind == V_CONST;
		if (s->reg[r] == nv ||
		    (kv && kconst(&w->t, s, s->reg[r], &cr) &&
		     cr == w->t.n[nv].k)) {
			w->o->changed |= apply;
			b->s[j].safe = 1; /* what it computes is there already */
			continue;
		}
		if (!apply) {
			/* safety holds for this round's code only: opt_dce may
			 * remove the load that made a later one safe */
			b->s[j].safe = (uint8_t)!flt;
			s->reg[r] = nv;
			after(w, s, &st);
			continue;
		}
		if (BPF_CLASS(st.code) == BPF_MISC &&
		    BPF_MISCOP(st.code) == BPF_TAX && fold_index(w, b, j, s)) {
			w->o->changed = 1;
			continue;
		}
		if (!kv &&
		    BPF_MODE(st.code) == BPF_MEM &&
		    BPF_CLASS(st.code) <= BPF_LDX &&
		    s->reg[r == OPT_RA ? OPT_RX : OPT_RA] == nv) {
			/* the value is in the other register already */
			st.code = r == OPT_RA ? BPF_MISC | BPF_TXA
					      : BPF_MISC | BPF_TAX;
			st.k = 0;
		}
		if (kv && (r == OPT_RA || r == OPT_RX)) {
			cv = w->t.n[nv].k;
			st.code = (uint16_t)((r == OPT_RA ? BPF_LD : BPF_LDX) |
					     BPF_W | BPF_IMM);
			st.k = cv;
			flt = 0;
		}
		if (st.code != b->s[j].code || st.k != b->s[j].k)
			w->o->changed = 1;
		st.safe = (uint8_t)!flt;
		if (chain_back(w, b, &n, &ch, &st, s, nv))
			continue;
		b->s[n++] = st;
		s->reg[r] = nv;
		after(w, s, &st);
	}
	if (!apply)
		return;
	b->ns = n;

	uint32_t c;
	if (b->term == OPT_T_RET) {
		if (BPF_RVAL(b->code) == BPF_A &&
		    kconst(&w->t, s, s->reg[OPT_RA], &c)) {
			b->code = BPF_RET | BPF_K;
			b->k = c;
			w->o->changed = 1;
		}
		return;
	}
	if (b->term != OPT_T_COND)
		return;
	uint16_t op = (uint16_t)BPF_OP(b->code);
	if (BPF_SRC(b->code) == BPF_X) {
		if (kconst(&w->t, s, s->reg[OPT_RX], &c)) {
			b->code = (uint16_t)(BPF_JMP | op | BPF_K);
			b->k = c;
			w->o->changed = 1;
		} else if (s->reg[OPT_RX] == s->reg[OPT_RA] && op != BPF_JSET) {
			b->term = OPT_T_GOTO;
			b->jt = op == BPF_JGT ? b->jf : b->jt;
			w->o->changed = 1;
			return;
		} else {
			return;
		}
	}
	struct fact f = info(&w->t, s, s->reg[OPT_RA]);
	int d = decide(&f, op, b->k);
	if (d >= 0) {
		b->term = OPT_T_GOTO;
		b->jt = d ? b->jt : b->jf;
		w->o->changed = 1;
	}
}

static void preds(struct vn *w)
{
	struct opt *o = w->o;
	memset(w->pstart, 0, (o->nb + 1) * sizeof(size_t));
	memset(w->fill, 0, (o->nb + 1) * sizeof(size_t));
	for (size_t i = 0; i < o->nb; i++) {
		struct opt_block *b = &o->b[i];
		if (!b->live || b->term == OPT_T_RET)
			continue;
		w->pstart[b->jt + 1]++;
		if (b->term == OPT_T_COND)
			w->pstart[b->jf + 1]++;
	}
	for (size_t i = 0; i < o->nb; i++)
		w->pstart[i + 1] += w->pstart[i];
	for (size_t i = 0; i < o->nb; i++) {
		struct opt_block *b = &o->b[i];
		if (!b->live || b->term == OPT_T_RET)
			continue;
		w->pedge[w->pstart[b->jt] + w->fill[b->jt]++] = i << 1 | 1;
		if (b->term == OPT_T_COND)
			w->pedge[w->pstart[b->jf] + w->fill[b->jf]++] = i << 1;
	}
}

void bpftk_opt_vn_free(struct opt *o)
{
	struct opt_vnmem *m = o->vm;
	if (!m)
		return;
	bpftk_free(m->out);
	bpftk_free(m->pstart);
	bpftk_free(m->pedge);
	bpftk_free(m->fill);
	bpftk_free(m->t.n);
	bpftk_free(m->t.hash);
	bpftk_free(m);
	o->vm = NULL;
}

/* The working memory, allocated in the first round and kept. */
static int vn_mem(struct opt *o)
{
	if (o->vm)
		return 0;
	struct opt_vnmem *m = bpftk_calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	o->vm = m;
	m->out = bpftk_calloc(o->nb, sizeof(*m->out));
	m->pstart = bpftk_calloc(o->nb + 1, sizeof(size_t));
	m->fill = bpftk_calloc(o->nb + 1, sizeof(size_t));
	m->pedge = bpftk_calloc(2 * o->nb + 1, sizeof(size_t));
	if (!m->out || !m->pstart || !m->fill || !m->pedge || grow(&m->t) < 0)
		return -ENOMEM;
	return 0;
}

int bpftk_opt_vn(struct opt *o)
{
	struct vn w;
	if (vn_mem(o) < 0)
		return -ENOMEM;
	struct opt_vnmem *m = o->vm;
	w.o = o;
	w.t = m->t;
	w.out = m->out;
	w.pstart = m->pstart;
	w.pedge = m->pedge;
	w.fill = m->fill;
	/* a fresh table each round; number 0: "out of memory" placeholder */
	w.t.nn = 1;
	w.t.oom = 0;
	memset(w.t.hash, 0, w.t.hcap * sizeof(*w.t.hash));
	bpftk_opt_live(o);
	preds(&w);
	size_t npure = 0, first_eq = 0;
	for (size_t i = 0; i < o->nb; i++) {
		struct opt_block *b = &o->b[i];
		b->thr_t = b->thr_f = 0;
		if (!b->live)
			continue;
		block_in(&w, i, &w.out[i]);
		rewrite(&w, i, &w.out[i]);
		if (o->mode != OPT_THREAD || b->term == OPT_T_RET ||
		    (b->term == OPT_T_COND && b->jt == b->jf))
			continue;
		struct vstate e;
		int eq;
		edge_state(&w, i, 1, &e);
		b->thr_t = skip_to(&w, b->jt, &e, &eq);
		if (b->thr_t && eq) {
			first_eq = first_eq ? first_eq : 2 * i + 1;
			b->thr_t = 0;
		}
		npure += b->thr_t != 0;
		if (b->term != OPT_T_COND)
			continue;
		edge_state(&w, i, 0, &e);
		b->thr_f = skip_to(&w, b->jf, &e, &eq);
		if (b->thr_f && eq) {
			first_eq = first_eq ? first_eq : 2 * i + 2;
			b->thr_f = 0;
		}
		npure += b->thr_f != 0;
	}
	if (!npure && first_eq) {
		/* none that keeps liveness: take one that may grow it */
		struct vstate e;
		int eq;
		size_t i = (first_eq - 1) / 2;
		int taken = (first_eq - 1) % 2 == 0;
		struct opt_block *b = &o->b[i];
		edge_state(&w, i, taken, &e);
		if (taken)
			b->thr_t = skip_to(&w, b->jt, &e, &eq);
		else
			b->thr_f = skip_to(&w, b->jf, &e, &eq);
	}
	m->t = w.t; /* the table may have grown */
	return w.t.oom ? -ENOMEM : 0;
}
