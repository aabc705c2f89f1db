/* vf_check_alu.c — ALU instructions and 64-bit constant loads: scalar
 * arithmetic through the bounds domain, and the rules of pointer
 * arithmetic (only + and - of a scalar, only on pointers that may move,
 * 64-bit only, offsets kept within +-2^29 so that no sum can wrap).
 */
#include <string.h>

#include "verifier_int.h"

#define MAX_VAR_OFF (1 << 29)

struct aluop {
	int bop; /* enum bnd_op, or one of the A_* below */
	int w;	 /* 32 or 64 */
	int x;	 /* source is a register */
};

enum { A_MOV = 100, A_MOVSX, A_NEG, A_LE, A_BE };

static int classify(enum bpftk_op op, struct aluop *a)
{
	a->x = 0;
	a->w = 64;
	switch (op) {
#define K64(id, b)                                                           \
	case BPFTK_OP_##id##64_X: a->x = 1; /* fall through */               \
	case BPFTK_OP_##id##64_K: a->bop = b; return 0;                     \
	case BPFTK_OP_##id##32_X: a->x = 1; /* fall through */               \
	case BPFTK_OP_##id##32_K: a->bop = b; a->w = 32; return 0;
	K64(ADD, BND_ADD)
	K64(SUB, BND_SUB)
	K64(MUL, BND_MUL)
	K64(DIV, BND_DIV)
	K64(SDIV, BND_SDIV)
	K64(MOD, BND_MOD)
	K64(SMOD, BND_SMOD)
	K64(OR, BND_OR)
	K64(AND, BND_AND)
	K64(XOR, BND_XOR)
	K64(LSH, BND_LSH)
	K64(RSH, BND_RSH)
	K64(ARSH, BND_ARSH)
	K64(MOV, A_MOV)
#undef K64
	case BPFTK_OP_MOVSX64_8:
	case BPFTK_OP_MOVSX64_16:
	case BPFTK_OP_MOVSX64_32:
		a->x = 1, a->bop = A_MOVSX;
		return 0;
	case BPFTK_OP_MOVSX32_8:
	case BPFTK_OP_MOVSX32_16:
		a->x = 1, a->bop = A_MOVSX, a->w = 32;
		return 0;
	case BPFTK_OP_NEG64: a->bop = A_NEG; return 0;
	case BPFTK_OP_NEG32: a->bop = A_NEG; a->w = 32; return 0;
	case BPFTK_OP_LE16: case BPFTK_OP_LE32: case BPFTK_OP_LE64:
		a->bop = A_LE;
		return 0;
	case BPFTK_OP_BE16: case BPFTK_OP_BE32: case BPFTK_OP_BE64:
	case BPFTK_OP_BSWAP16: case BPFTK_OP_BSWAP32: case BPFTK_OP_BSWAP64:
		a->bop = A_BE;
		return 0;
	default:
		return -1;
	}
}

static const char *op_word(int bop)
{
	static const char *const w[] = {"+", "-", "*", "/", "%", "s/", "s%",
					"&", "|", "^", "<<", ">>", "s>>"};
	return bop >= 0 && bop <= BND_ARSH ? w[bop] : "?";
}

static struct scalar scalar_op(int bop, unsigned w, const struct scalar *d,
			       const struct scalar *s)
{
	struct scalar r;
	if (w == 32) {
		struct bounds b = vbnd_alu(32, bop, &d->b32, &s->b32);
		return vsc_zext32(&b);
	}
	r.b64 = vbnd_alu(64, bop, &d->b64, &s->b64);
	/* the low half of these depends only on the low halves */
	if (bop == BND_ADD || bop == BND_SUB || bop == BND_MUL ||
	    bop == BND_AND || bop == BND_OR || bop == BND_XOR)
		r.b32 = vbnd_alu(32, bop, &d->b32, &s->b32);
	else
		r.b32 = vbnd_unknown(32);
	if (vsc_sync(&r))
		return vsc_unknown();
	return r;
}

static uint64_t bswap(uint64_t v, unsigned bits)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < bits / 8; i++)
		r = r << 8 | (v >> (8 * i) & 0xff);
	return r;
}

static int may_move(const struct reg *r)
{
	return r->type == T_STACK || r->type == T_MAP_VALUE ||
	       r->type == T_PKT || r->type == T_PKT_META ||
	       r->type == T_MEM || r->type == T_CTX;
}

/* dst (a pointer) = dst +/- s (a scalar) */
static int ptr_scalar(struct env *e, int pc, int dregno, struct reg *dst,
		      const struct reg *s, int bop)
{
	struct bpftk_buf b = {0};
	if (dst->maybe_null || !may_move(dst)) {
		vf_describe_reg(&b, dregno, dst);
		int err = vf_reject(e, pc, -EACCES,
				 "arithmetic on a %s is not allowed: %s%s",
				 dst->maybe_null ? "pointer that may be NULL"
						 : vf_vtype_name(dst->type),
				 b.data ? b.data : "",
				 dst->maybe_null ? "; compare it with 0 first"
						 : "");
		bpftk_buf_free(&b);
		return err;
	}
	if (vsc_is_const(&s->v)) {
		int64_t k = (int64_t)s->v.b64.umin;
		int64_t off = dst->off + (bop == BND_SUB ? -k : k);
		if (k >= MAX_VAR_OFF || k <= -MAX_VAR_OFF ||
		    off >= MAX_VAR_OFF || off <= -MAX_VAR_OFF)
			return vf_reject(e, pc, -EACCES,
				      "pointer r%d moved by %lld: offsets "
				      "beyond +-2^29 are not allowed",
				      dregno, (long long)k);
		dst->off = (int32_t)off;
		return 0;
	}
	if (dst->type == T_CTX)
		return vf_reject(e, pc, -EACCES,
			      "variable offset added to the context pointer "
			      "r%d: context fields are reached at constant "
			      "offsets only",
			      dregno);
	if (s->v.b64.smin <= -MAX_VAR_OFF || s->v.b64.smin >= MAX_VAR_OFF) {
		vf_describe_reg(&b, -1, s);
		int err = vf_reject(e, pc, -EACCES,
				 "pointer arithmetic with a value whose lower "
				 "bound is unknown or too large (%s); compare "
				 "it with a bound first",
				 b.data ? b.data : "");
		bpftk_buf_free(&b);
		return err;
	}
	dst->v.b64 = vbnd_alu(64, bop, &dst->v.b64, &s->v.b64);
	dst->v.b32 = vbnd_unknown(32);
	if (vsc_sync(&dst->v))
		dst->v = vsc_unknown();
	if (dst->type == T_PKT || dst->type == T_PKT_META) {
		/* a new variable part: no packet bytes known for it yet */
		dst->id = vf_new_id(e);
		dst->range = 0;
	}
	return 0;
}

static int alu_pointer(struct env *e, int pc, const struct aluop *a,
		       struct reg *dst, const struct reg *src)
{
	const struct bpftk_insn *in = &e->insns[pc];
	int dptr = dst->type != T_SCALAR, sptr = src->type != T_SCALAR;
	/* a 32-bit difference of pointers is a meaningless number, which
	 * privileged loaders may compute (the kernel's allow_ptr_leaks) */
	if (a->w == 32 && a->bop == BND_SUB &&
	    !(e->o.flags & BPFTK_VERIFY_UNPRIV)) {
		vf_reg_mark_unknown(dst);
		dst->v = vsc_unknown_bytes(4);
		return 0;
	}
	if (a->w == 32)
		return vf_reject(e, pc, -EACCES,
			      "32-bit arithmetic on a pointer (r%d is %s) is "
			      "not allowed",
			      dptr ? in->dst : in->src,
			      vf_vtype_name(dptr ? dst->type : src->type));
	if (a->bop != BND_ADD && a->bop != BND_SUB)
		return vf_reject(e, pc, -EACCES,
			      "operator %s on a pointer (r%d is %s) is not "
			      "allowed: pointers may only move by + and -",
			      op_word(a->bop), dptr ? in->dst : in->src,
			      vf_vtype_name(dptr ? dst->type : src->type));
	if (dptr && sptr) {
		/* privileged loaders may take any distance (the kernel's
		 * allow_ptr_leaks); otherwise only within one object */
		if (a->bop == BND_SUB &&
		    (!(e->o.flags & BPFTK_VERIFY_UNPRIV) ||
		     (dst->type == src->type && dst->type != T_MAP_PTR &&
		      !dst->maybe_null && !src->maybe_null))) {
			vf_reg_mark_unknown(dst); /* a distance */
			return 0;
		}
		return vf_reject(e, pc, -EACCES,
			      "r%d (%s) %s r%d (%s): only the difference of "
			      "two pointers of the same kind is allowed",
			      in->dst, vf_vtype_name(dst->type), op_word(a->bop),
			      in->src, vf_vtype_name(src->type));
	}
	if (!dptr) {
		if (a->bop == BND_SUB)
			return vf_reject(e, pc, -EACCES,
				      "r%d (a scalar) - r%d (%s): a pointer "
				      "cannot be subtracted from a number",
				      in->dst, in->src, vf_vtype_name(src->type));
		struct reg scal = *dst;
		*dst = *src;
		return ptr_scalar(e, pc, in->dst, dst, &scal, BND_ADD);
	}
	return ptr_scalar(e, pc, in->dst, dst, src, a->bop);
}

static int end_op(struct env *e, int pc, const struct aluop *a,
		  struct reg *dst)
{
	unsigned bits = (unsigned)e->insns[pc].imm;
	if (a->bop == A_LE) {
		/* on a little-endian machine: truncation to `bits` */
		if (bits >= 64)
			return 0;
		struct bounds t = vbnd_truncate(64, &dst->v.b64, bits);
		struct bounds b32 = vbnd_unknown(32);
		b32.umin = t.umin;
		b32.umax = t.umax;
		b32.t = t.t;
		if (vbnd_sync(32, &b32))
			b32 = vbnd_unknown(32);
		dst->v = vsc_zext32(&b32);
		return 0;
	}
	if (vsc_is_const(&dst->v)) {
		vf_reg_mark_const(dst, bswap(dst->v.b64.umin, bits));
		return 0;
	}
	dst->v = vsc_unknown_bytes(bits / 8);
	return 0;
}

static int movsx(struct reg *dst, const struct reg *src, unsigned from,
		 unsigned w)
{
	struct scalar r = vsc_unknown();
	struct bounds t = vbnd_truncate(64, &src->v.b64, from);
	if (from == 64)
		t = src->v.b64;
	if (vbnd_is_const(&t)) {
		r = vsc_const((uint64_t)vbnd_sext(from, t.umin));
	} else {
		r.b64.smin = t.smin;
		r.b64.smax = t.smax;
		if (vsc_sync(&r))
			r = vsc_unknown();
	}
	if (w == 32) {
		struct bounds lo = vbnd_truncate(64, &r.b64, 32);
		r = vsc_zext32(&lo);
	}
	dst->type = T_SCALAR;
	dst->v = r;
	return 0;
}

static int lddw(struct env *e, int pc, struct reg *dst)
{
	const struct bpftk_insn *in = &e->insns[pc];
	uint64_t v = (uint64_t)(uint32_t)in->imm |
		     (uint64_t)(uint32_t)e->insns[pc + 1].imm << 32;
	if (in->src != 0 && in->src != BPFTK_PSEUDO_MAP_VALUE &&
	    in->src != BPFTK_PSEUDO_MAP_IDX_VALUE && e->insns[pc + 1].imm)
		return vf_reject(e, pc, -EACCES,
			      "64-bit load of kind %d with a nonzero second "
			      "immediate (%d): only plain constants and map "
			      "value loads use it",
			      in->src, e->insns[pc + 1].imm);
	switch (in->src) {
	case 0:
		vf_reg_mark_const(dst, v);
		return 0;
	case BPFTK_PSEUDO_MAP_FD:
	case BPFTK_PSEUDO_MAP_IDX:
	case BPFTK_PSEUDO_MAP_VALUE:
	case BPFTK_PSEUDO_MAP_IDX_VALUE: {
		int value = in->src == BPFTK_PSEUDO_MAP_VALUE ||
			    in->src == BPFTK_PSEUDO_MAP_IDX_VALUE;
		if (in->imm < 0 || (size_t)in->imm >= e->o.nmaps)
			return vf_reject(e, pc, -EACCES,
				      "the program refers to map %d but only "
				      "%zu map%s given",
				      in->imm, e->o.nmaps,
				      e->o.nmaps == 1 ? " is" : "s are");
		const struct bpftk_verify_map *m = &e->o.maps[in->imm];
		vf_reg_mark_not_init(dst);
		dst->map = in->imm;
		if (!value) {
			dst->type = T_MAP_PTR;
			return 0;
		}
		uint32_t off = (uint32_t)e->insns[pc + 1].imm;
		if (m->type != 2 /* array */ || m->max_entries != 1 ||
		    off >= m->value_size)
			return vf_reject(e, pc, -EACCES,
				      "direct access to the value of map %d "
				      "at offset %u: only single-element "
				      "arrays can be reached this way, at "
				      "offsets below the value size (%u)",
				      in->imm, off, m->value_size);
		dst->type = T_MAP_VALUE;
		dst->off = (int32_t)off;
		dst->v = vsc_const(0);
		return 0;
	}
	case BPFTK_PSEUDO_FUNC: {
		long t = bpftk_isa_target(e->insns, (size_t)pc);
		vf_reg_mark_not_init(dst);
		dst->type = T_FUNC;
		dst->map = (int32_t)t;
		return 0;
	}
	default:
		return vf_reject(e, pc, -EACCES,
			      "64-bit load of kind %d (BTF object ids) is not "
			      "supported by bpftk",
			      in->src);
	}
}

int vf_check_alu(struct env *e, int pc)
{
	const struct bpftk_insn *in = &e->insns[pc];
	enum bpftk_op op = bpftk_isa_lookup(in);
	struct frame *f = vf_cur_frame(e);
	struct reg *dst = &f->regs[in->dst];
	struct reg srcv, *src = &srcv;
	struct aluop a;

	if (op >= BPFTK_OP_LDDW && op <= BPFTK_OP_LDDW_MAP_IDX_VALUE)
		return lddw(e, pc, dst);
	if (classify(op, &a))
		return vf_internal_error(e, pc, "ALU instruction not classified");
	/* the ISA takes a shift amount modulo the width, but Linux refuses
	 * a constant one outside [0, width) for the programs it loads (raw
	 * programs keep the ISA's rule) */
	if (!a.x && (a.bop == BND_LSH || a.bop == BND_RSH ||
		     a.bop == BND_ARSH) &&
	    e->o.type != BPFTK_PROG_TYPE_UNSPEC &&
	    (in->imm < 0 || in->imm >= a.w))
		return vf_reject(e, pc, -EINVAL,
			      "invalid shift %d: a %d-bit shift by a "
			      "constant must be by 0 to %d bits",
			      in->imm, a.w, a.w - 1);
	if (a.x) {
		src = &f->regs[in->src];
		if (src->type == T_NOT_INIT)
			return vf_reject(e, pc, -EACCES,
				      "r%d is read before anything was written "
				      "to it",
				      in->src);
	} else {
		vf_reg_mark_const(&srcv, a.w == 32 ? (uint64_t)(uint32_t)in->imm
						: (uint64_t)(int64_t)in->imm);
	}
	if (a.bop == A_MOV) {
		if (a.w == 64) {
			*dst = *src;
		} else if (src->type == T_SCALAR) {
			struct bounds b = src->v.b32;
			vf_reg_mark_unknown(dst);
			dst->v = vsc_zext32(&b);
		} else {
			vf_reg_mark_unknown(dst);
			dst->v = vsc_unknown_bytes(4);
		}
		return 0;
	}
	if (dst->type == T_NOT_INIT)
		return vf_reject(e, pc, -EACCES,
			      "r%d is read before anything was written to it",
			      in->dst);
	if (a.bop == A_MOVSX) {
		if (src->type != T_SCALAR) {
			vf_reg_mark_unknown(dst);
			return 0;
		}
		return movsx(dst, src, (unsigned)in->off, (unsigned)a.w);
	}
	if (a.bop == A_NEG || a.bop == A_LE || a.bop == A_BE) {
		if (dst->type != T_SCALAR)
			return vf_reject(e, pc, -EACCES,
				      "r%d holds a pointer (%s): negation and "
				      "byte swaps apply to numbers only",
				      in->dst, vf_vtype_name(dst->type));
		if (a.bop == A_NEG) {
			struct scalar z = vsc_const(0);
			dst->v = scalar_op(BND_SUB, (unsigned)a.w, &z, &dst->v);
			return 0;
		}
		return end_op(e, pc, &a, dst);
	}
	if (dst->type != T_SCALAR || src->type != T_SCALAR)
		return alu_pointer(e, pc, &a, dst, src);
	struct scalar r = scalar_op(a.bop, (unsigned)a.w, &dst->v, &src->v);
	vf_reg_mark_unknown(dst);
	dst->v = r;
	return 0;
}
