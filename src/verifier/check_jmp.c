/* check_jmp.c — conditional jumps: what each side of the branch learns.
 *
 * Both outcomes are computed as refinements of a copy of the state: scalar
 * comparisons narrow the bounds of both operands (vbnd_refine), a pointer
 * that may be NULL compared with 0 becomes NULL on one side and a valid
 * pointer on the other (with every copy of it, found by id), and a packet
 * pointer compared with the packet end gives every packet pointer of its
 * group the number of bytes now known to be in the packet.  A side whose
 * refinement is empty cannot happen and is not walked.
 */
#include <string.h>

#include "verifier_int.h"

static int classify(enum bpftk_op op, enum bnd_cmp *c, int *w, int *x)
{
	*x = 0;
	*w = 64;
	switch (op) {
#define J(id, cmp)                                                           \
	case BPFTK_OP_##id##64_X: *x = 1; /* fall through */                 \
	case BPFTK_OP_##id##64_K: *c = cmp; return 0;                       \
	case BPFTK_OP_##id##32_X: *x = 1; /* fall through */                 \
	case BPFTK_OP_##id##32_K: *c = cmp; *w = 32; return 0;
	J(JEQ, BND_EQ)
	J(JNE, BND_NE)
	J(JGT, BND_GT)
	J(JGE, BND_GE)
	J(JLT, BND_LT)
	J(JLE, BND_LE)
	J(JSGT, BND_SGT)
	J(JSGE, BND_SGE)
	J(JSLT, BND_SLT)
	J(JSLE, BND_SLE)
	J(JSET, BND_SET)
#undef J
	default:
		return -1;
	}
}

static enum bnd_cmp swap_cmp(enum bnd_cmp c)
{
	switch (c) {
	case BND_GT: return BND_LT;
	case BND_GE: return BND_LE;
	case BND_LT: return BND_GT;
	case BND_LE: return BND_GE;
	case BND_SGT: return BND_SLT;
	case BND_SGE: return BND_SLE;
	case BND_SLT: return BND_SGT;
	case BND_SLE: return BND_SGE;
	default: return c;
	}
}

struct nullmark {
	struct vstate *st;
	uint32_t id;
	int is_null;
};

static void mark_one(struct reg *r, void *arg)
{
	struct nullmark *m = arg;
	if (r->type == T_SCALAR || r->type == T_NOT_INIT || !r->maybe_null ||
	    r->id != m->id)
		return;
	if (m->is_null) {
		vf_reg_mark_const(r, 0);
	} else {
		r->maybe_null = 0;
	}
}

static void mark_null(struct vstate *st, const struct reg *p, int is_null)
{
	struct nullmark m = {st, p->id, is_null};
	uint32_t ref = p->ref;
	if (is_null && ref) {
		/* a reservation that failed holds nothing to release */
		for (int i = 0; i < st->nrefs; i++)
			if (st->refs[i] == ref) {
				st->refs[i] = st->refs[--st->nrefs];
				st->ref_insn[i] = st->ref_insn[st->nrefs];
				break;
			}
	}
	vf_st_for_each_reg(st, mark_one, &m);
}

struct pktmark {
	uint8_t type;
	uint32_t id;
	uint32_t range;
};

static void range_one(struct reg *r, void *arg)
{
	struct pktmark *m = arg;
	if (r->type == m->type && r->id == m->id && r->range < m->range)
		r->range = m->range;
}

/* "a c b" holds, a is a packet (or meta) pointer, b its end. */
static void pkt_learn(struct vstate *st, const struct reg *a, enum bnd_cmp c)
{
	int64_t known;
	if (a->off < 0 || a->off > 0xffff)
		return;
	switch (c) {
	case BND_LT: known = (int64_t)a->off + 1; break;
	case BND_LE:
	case BND_EQ: known = a->off; break;
	default: return;
	}
	struct pktmark m = {a->type, a->id, (uint32_t)known};
	vf_st_for_each_reg(st, range_one, &m);
}

static int is_zero(const struct reg *r)
{
	return r->type == T_SCALAR && vsc_is_const(&r->v) &&
	       r->v.b64.umin == 0;
}

/* Returns 1 when "dst c src" cannot hold in st, 0 after refining st. */
static int refine(struct vstate *st, const struct bpftk_insn *in,
		  enum bnd_cmp c, int w, int x)
{
	struct frame *f = st->frames[st->nframes - 1];
	struct reg *a = &f->regs[in->dst], kreg, *b = &kreg;
	if (x) {
		b = &f->regs[in->src];
	} else {
		vf_reg_mark_const(&kreg, w == 32 ? (uint64_t)(uint32_t)in->imm
					      : (uint64_t)(int64_t)in->imm);
	}
	if (a->type == T_SCALAR && b->type == T_SCALAR) {
		struct scalar A = a->v, B = b->v;
		int empty = w == 64 ? vbnd_refine(64, c, &A.b64, &B.b64)
				    : vbnd_refine(32, c, &A.b32, &B.b32);
		if (empty || vsc_sync(&A) || vsc_sync(&B))
			return 1;
		a->v = A;
		if (x && a != b)
			b->v = B;
		return 0;
	}
	if (w == 64 && (c == BND_EQ || c == BND_NE)) {
		struct reg *p = a->type != T_SCALAR ? a : b;
		const struct reg *z = p == a ? b : a;
		if (is_zero(z)) {
			if (p->maybe_null) {
				mark_null(st, p, c == BND_EQ);
				return 0;
			}
			/* pointers the kernel also knows are never NULL
			 * (its reg_not_null): map values and checked ring
			 * buffer samples; others, and a raw program's
			 * memory (NULL when it is given none): both sides */
			if (p->type == T_MAP_VALUE ||
			    (p->type == T_MEM && p->ref))
				return c == BND_EQ;
			return 0;
		}
	}
	if (w == 64) {
		if ((a->type == T_PKT && b->type == T_PKT_END) ||
		    (a->type == T_PKT_META && b->type == T_PKT &&
		     b->off == 0 && b->id == 0))
			pkt_learn(st, a, c);
		else if ((b->type == T_PKT && a->type == T_PKT_END) ||
			 (b->type == T_PKT_META && a->type == T_PKT &&
			  a->off == 0 && a->id == 0))
			pkt_learn(st, b, swap_cmp(c));
	}
	return 0;
}

int vf_check_cond_jmp(struct env *e, int pc, int *next_pc)
{
	const struct bpftk_insn *in = &e->insns[pc];
	struct frame *f = vf_cur_frame(e);
	enum bnd_cmp c;
	int w, x;
	if (classify(bpftk_isa_lookup(in), &c, &w, &x))
		return vf_internal_error(e, pc, "jump not classified");
	if (f->regs[in->dst].type == T_NOT_INIT)
		return vf_reject(e, pc, -EACCES,
			      "r%d is compared before anything was written to "
			      "it",
			      in->dst);
	if (x && f->regs[in->src].type == T_NOT_INIT)
		return vf_reject(e, pc, -EACCES,
			      "r%d is compared before anything was written to "
			      "it",
			      in->src);
	int target = (int)bpftk_isa_target(e->insns, (size_t)pc);
	/* a comparison of numbers whose outcome is already known needs no
	 * copy of the state: refine in place and go one way */
	const struct reg *ra = &f->regs[in->dst];
	const struct reg *rb = x ? &f->regs[in->src] : NULL;
	if (ra->type == T_SCALAR && (!rb || rb->type == T_SCALAR)) {
		struct reg kreg;
		if (!rb) {
			vf_reg_mark_const(&kreg, w == 32
						      ? (uint64_t)(uint32_t)in->imm
						      : (uint64_t)(int64_t)in->imm);
			rb = &kreg;
		}
		struct bounds A = w == 64 ? ra->v.b64 : ra->v.b32;
		struct bounds B = w == 64 ? rb->v.b64 : rb->v.b32;
		struct bounds A2 = A, B2 = B;
		int can_take = !vbnd_refine((unsigned)w, c, &A, &B);
		int can_fall = !vbnd_refine((unsigned)w, vbnd_negate(c), &A2, &B2);
		if (can_take != can_fall) {
			if (refine(e->cur, in, can_take ? c : vbnd_negate(c), w,
				   x)) {
				*next_pc = -1; /* the 64-bit view disagrees */
				return 0;
			}
			if (can_take)
				vf_hist_add(e, e->cur, pc, 1);
			*next_pc = can_take ? target : pc + 1;
			return 0;
		}
	}
	struct vstate *taken = vf_st_copy(e->cur);
	if (!taken)
		return -ENOMEM;
	int no_taken = refine(taken, in, c, w, x);
	int no_fall = refine(e->cur, in, vbnd_negate(c), w, x);
	if (no_taken && no_fall) {
		/* the state itself cannot occur: the path ends here */
		vf_st_free(taken);
		*next_pc = -1;
		return 0;
	}
	if (no_taken) {
		vf_st_free(taken);
		*next_pc = pc + 1;
		return 0;
	}
	if (no_fall) {
		taken->parent = e->cur->parent;
		taken->branches = e->cur->branches;
		vf_st_free(e->cur);
		e->cur = taken;
		vf_hist_add(e, e->cur, pc, 1);
		*next_pc = target;
		return 0;
	}
	/* both: the taken side waits on the stack */
	struct vstate *saved = e->cur;
	e->cur = taken;
	vf_hist_add(e, taken, pc, 1);
	struct vstate *q = vf_push_branch(e, target);
	e->cur = saved;
	vf_st_free(taken);
	if (!q)
		return -ENOMEM;
	vf_hist_add(e, e->cur, pc, 0);
	*next_pc = pc + 1;
	return 0;
}
