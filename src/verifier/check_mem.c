/* vf_check_mem.c — loads, stores and atomics: may this instruction touch
 * these bytes, and what does it read?
 *
 * Per kind of base pointer:
 *  - stack: within the frame's 512 bytes, aligned; reads need bytes that
 *    were written (S_MISC/S_ZERO) or a spilled register (an 8-byte aligned
 *    store of a register keeps its whole abstract value, so pointers and
 *    bounds survive a trip through the stack);
 *  - map value: the whole access inside value_size for every value of the
 *    variable offset; not through a pointer that may be NULL; no writes to
 *    read-only maps, no plain access to the spin lock;
 *  - packet (and metadata): inside the range learnt by comparing with the
 *    end pointer;
 *  - context: a field of the program type's descriptor at a constant
 *    offset, with the rights and sizes the descriptor allows;
 *  - memory of a known size (ring buffer samples, raw programs' input).
 */
#include <string.h>

#include "verifier_int.h"

#define MAX_VAR_OFF (1 << 29)

static void describe(struct env *e, int regno, const struct reg *r)
{
	e->msg.len = 0;
	e->msg.failed = 0;
	vf_describe_reg(&e->msg, regno, r);
}

static const char *msgs(struct env *e)
{
	return e->msg.data && !e->msg.failed ? e->msg.data : "";
}

static int spi_of(int64_t byte_off)
{
	return (int)((-byte_off - 1) / 8);
}

static int pos_of(int64_t byte_off)
{
	return (int)((byte_off + BPFTK_STACK_SIZE) % 8);
}

static int stack_bounds(struct env *e, int pc, int regno, const struct reg *r,
			int64_t o, uint64_t size, int write)
{
	struct frame *f = e->cur->frames[r->frame];
	if (o < -BPFTK_STACK_SIZE || o + (int64_t)size > 0) {
		describe(e, regno, r);
		return vf_reject(e, pc, -EACCES,
			      "%s %llu bytes at fp%+lld, outside the stack "
			      "(fp-512 .. fp-1): %s",
			      write ? "writes" : "reads",
			      (unsigned long long)size, (long long)o, msgs(e));
	}
	if (-o > f->depth) {
		f->depth = (int)-o;
		struct subprog *sp = &e->subs[f->subprog];
		int d8 = (f->depth + 7) & ~7;
		if (d8 > sp->max_depth)
			sp->max_depth = d8;
		int total = 0;
		for (int i = 0; i < e->cur->nframes; i++)
			total += (e->cur->frames[i]->depth + 31) & ~31;
		if (total > BPFTK_STACK_SIZE)
			return vf_reject(e, pc, -EACCES,
				      "the call chain uses %d bytes of stack "
				      "in all (each frame rounded up to 32), "
				      "more than the %d allowed",
				      total, BPFTK_STACK_SIZE);
	}
	return 0;
}

/* Slots holding any byte of [o, o+size) (o < 0). */
static uint64_t slots_touched(int64_t o, uint64_t size)
{
	uint64_t bits = 0;
	for (int s = spi_of(o + (int64_t)size - 1); s <= spi_of(o); s++)
		bits |= 1ULL << s;
	return bits;
}

/* Slots wholly inside [o, o+size). */
static uint64_t slots_covered(int64_t o, uint64_t size)
{
	uint64_t bits = 0;
	for (int64_t b = o; b + 8 <= o + (int64_t)size; b++)
		if (((b + BPFTK_STACK_SIZE) & 7) == 0)
			bits |= 1ULL << spi_of(b);
	return bits;
}

/* Marks bytes [o, o+size) of frame fi written with kind k. */
static void stack_mark(struct env *e, int fi, int64_t o, uint64_t size,
		       uint8_t k)
{
	struct frame *f = e->cur->frames[fi];
	/* afterwards the wholly written slots do not depend on what they
	 * held before */
	vf_stack_written(e, fi, slots_covered(o, size));
	for (uint64_t i = 0; i < size; i++) {
		struct slot *s = &f->slots[spi_of(o + (int64_t)i)];
		if (s->kind[0] == S_SPILL) {
			/* a partial overwrite turns the spill into data */
			uint8_t was = (s->spill.type == T_SCALAR &&
				       vsc_is_const(&s->spill.v) &&
				       s->spill.v.b64.umin == 0)
					      ? S_ZERO
					      : S_MISC;
			memset(s->kind, was, 8);
			vf_reg_mark_not_init(&s->spill);
		}
		s->kind[pos_of(o + (int64_t)i)] = k;
	}
}

/* An access at a variable offset: it may touch any byte of the range,
 * so a write turns every byte there into data and a read returns a
 * number (both as the kernel does for privileged loaders). */
static int stack_var_access(struct env *e, int pc, int regno,
			    const struct reg *r, int16_t off, unsigned size,
			    int write, struct reg *dst)
{
	int64_t lo, hi;
	if (e->o.flags & BPFTK_VERIFY_UNPRIV) {
		describe(e, regno, r);
		return vf_reject(e, pc, -EACCES,
			      "stack access through a pointer with a variable "
			      "offset: %s",
			      msgs(e));
	}
	if (r->v.b64.smin <= -BPFTK_STACK_SIZE ||
	    r->v.b64.smax >= BPFTK_STACK_SIZE) {
		describe(e, regno, r);
		return vf_reject(e, pc, -EACCES,
			      "stack access at a variable offset that may "
			      "leave the stack: %s; bound the offset first",
			      msgs(e));
	}
	lo = (int64_t)r->off + off + r->v.b64.smin;
	hi = (int64_t)r->off + off + r->v.b64.smax + size;
	int err = stack_bounds(e, pc, regno, r, lo, (uint64_t)(hi - lo),
			       write);
	if (err)
		return err;
	if (write) {
		stack_mark(e, r->frame, lo, (uint64_t)(hi - lo), S_MISC);
		return 0;
	}
	vf_stack_read(e, r->frame, slots_touched(lo, (uint64_t)(hi - lo)));
	vf_reg_mark_unknown(dst);
	dst->v = vsc_unknown_bytes(size);
	return 0;
}

static int stack_access(struct env *e, int pc, int regno, const struct reg *r,
			int16_t off, unsigned size, int write,
			const struct reg *val, struct reg *dst)
{
	if (!vsc_is_const(&r->v))
		return stack_var_access(e, pc, regno, r, off, size, write,
					dst);
	int64_t o = (int64_t)r->off + off + (int64_t)r->v.b64.umin;
	int err = stack_bounds(e, pc, regno, r, o, size, write);
	if (err)
		return err;
	if (!(e->o.flags & BPFTK_VERIFY_ANY_ALIGNMENT) && (o % (int)size))
		return vf_reject(e, pc, -EACCES,
			      "misaligned stack access: %u bytes at fp%+lld "
			      "(stack accesses must be aligned to their size)",
			      size, (long long)o);
	struct frame *f = e->cur->frames[r->frame];
	struct slot *s = &f->slots[spi_of(o)];
	if (write && val && val->type == T_STACK &&
	    r->frame != e->cur->nframes - 1)
		return vf_reject(e, pc, -EACCES,
			      "stores a stack pointer into the stack of a "
			      "calling function (cannot spill pointers to "
			      "stack into stack frame of the caller): it "
			      "would outlive the frame it points to");
	if (write && val && val->type != T_SCALAR && val->type != T_NOT_INIT &&
	    size != 8) {
		return vf_reject(e, pc, -EACCES,
			      "invalid size of register spill: a pointer "
			      "(%s) goes to the stack whole, as 8 bytes, not "
			      "%u",
			      vf_vtype_name(val->type), size);
	}
	if (write) {
		if (size == 8 && val && o % 8 == 0) {
			memset(s->kind, S_SPILL, 8);
			s->spill = *val;
			vf_stack_written(e, r->frame, 1ULL << spi_of(o));
			return 0;
		}
		int zero = val && val->type == T_SCALAR &&
			   vsc_is_const(&val->v) && val->v.b64.umin == 0;
		if (val && val->type != T_SCALAR && val->type != T_NOT_INIT)
			zero = 0;
		stack_mark(e, r->frame, o, size, zero ? S_ZERO : S_MISC);
		return 0;
	}
	vf_stack_read(e, r->frame, slots_touched(o, size));
	if (s->kind[0] == S_SPILL) {
		/* a register comes back whole from where it was saved; any
		 * other read of its bytes is a number (not a pointer) */
		if (size == 8 && o % 8 == 0) {
			*dst = s->spill;
			return 0;
		}
		if (s->spill.type != T_SCALAR)
			return vf_reject(e, pc, -EACCES,
				      "reads %u bytes of a pointer saved at "
				      "fp%+lld: a saved pointer is read back "
				      "whole (8 bytes) only",
				      size, (long long)o);
		vf_reg_mark_unknown(dst);
		dst->v = vsc_unknown_bytes(size);
		return 0;
	}
	int all_zero = 1;
	for (unsigned i = 0; i < size; i++) {
		struct slot *t = &f->slots[spi_of(o + i)];
		uint8_t k = t->kind[pos_of(o + i)];
		if (k == S_INVALID && (e->o.flags & BPFTK_VERIFY_UNPRIV))
			return vf_reject(e, pc, -EACCES,
				      "reads %u bytes at fp%+lld, but the byte "
				      "at fp%+lld was never written on this "
				      "path (uninitialized stack)",
				      size, (long long)o, (long long)(o + i));
		if (k != S_ZERO)
			all_zero = 0;
	}
	if (all_zero)
		vf_reg_mark_const(dst, 0);
	else {
		vf_reg_mark_unknown(dst);
		dst->v = vsc_unknown_bytes(size);
	}
	return 0;
}

/* Offsets [lo, hi) of an access through r at insn offset off. */
static int var_range(struct env *e, int pc, int regno, const struct reg *r,
		     int64_t off, uint64_t size, int64_t *lo, int64_t *hi)
{
	if (r->v.b64.smin <= -MAX_VAR_OFF || r->v.b64.smax >= MAX_VAR_OFF) {
		describe(e, regno, r);
		return vf_reject(e, pc, -EACCES,
			      "access through r%d whose offset has no known "
			      "bounds: %s; compare the offset with a limit "
			      "before adding it",
			      regno, msgs(e));
	}
	*lo = (int64_t)r->off + off + r->v.b64.smin;
	*hi = (int64_t)r->off + off + r->v.b64.smax + (int64_t)size;
	return 0;
}

int vf_check_mem_region(struct env *e, int pc, int regno, const struct reg *r,
		     int32_t off, uint64_t size, int write, int zero_ok)
{
	int64_t lo = 0, hi = 0;
	int err;
	if (size == 0 && zero_ok)
		return 0;
	switch (r->type) {
	case T_STACK: {
		if (!vsc_is_const(&r->v)) {
			struct reg ignored;
			/* every byte the range may cover: from the lowest
			 * start to the highest end */
			struct reg wide = *r;
			if (r->v.b64.smax >= BPFTK_STACK_SIZE ||
			    r->v.b64.smin <= -BPFTK_STACK_SIZE)
				return stack_var_access(e, pc, regno, r, 0,
							1, write, &ignored);
			wide.off = (int32_t)(r->off + off + r->v.b64.smin);
			wide.v = vsc_const(0);
			uint64_t span = (uint64_t)(r->v.b64.smax -
						   r->v.b64.smin) + size;
			return vf_check_mem_region(e, pc, regno, &wide, 0, span,
						write, zero_ok);
		}
		int64_t o = (int64_t)r->off + off + (int64_t)r->v.b64.umin;
		err = stack_bounds(e, pc, regno, r, o, size, write);
		if (err)
			return err;
		struct frame *f = e->cur->frames[r->frame];
		if (write) {
			stack_mark(e, r->frame, o, size, S_MISC);
			return 0;
		}
		vf_stack_read(e, r->frame, slots_touched(o, size));
		for (uint64_t i = 0; i < size; i++) {
			struct slot *s = &f->slots[spi_of(o + (int64_t)i)];
			if (s->kind[pos_of(o + (int64_t)i)] == S_INVALID &&
			    (e->o.flags & BPFTK_VERIFY_UNPRIV))
				return vf_reject(e, pc, -EACCES,
					      "r%d points to %llu bytes at "
					      "fp%+lld that the helper reads, "
					      "but the byte at fp%+lld was "
					      "never written on this path",
					      regno, (unsigned long long)size,
					      (long long)o,
					      (long long)(o + (int64_t)i));
		}
		return 0;
	}
	case T_MAP_VALUE:
	case T_MEM:
	case T_PKT:
	case T_PKT_META: {
		if (r->maybe_null)
			break;
		err = var_range(e, pc, regno, r, off, size, &lo, &hi);
		if (err)
			return err;
		if (r->type == T_PKT || r->type == T_PKT_META) {
			/* a packet range counts from base + the variable
			 * part, which must not be negative */
			if (r->v.b64.smin < 0 || r->v.b64.umax >= 0xffff)
				lo = -1;
			else
				lo = (int64_t)r->off + off,
				hi = lo + (int64_t)size;
		}
		uint64_t limit = r->type == T_MAP_VALUE
					 ? e->o.maps[r->map].value_size
					 : r->range;
		if (lo < 0 || hi > (int64_t)limit) {
			describe(e, regno, r);
			return vf_reject(e, pc, -EACCES,
				      "%s bytes %lld..%lld through r%d, but "
				      "only %llu bytes are known to be there: "
				      "%s",
				      write ? "writes" : "reads", (long long)lo,
				      (long long)hi - 1, regno,
				      (unsigned long long)limit, msgs(e));
		}
		if (write && r->type == T_MAP_VALUE &&
		    (e->o.maps[r->map].flags & BPFTK_MAP_F_RDONLY_PROG))
			return vf_reject(e, pc, -EACCES,
				      "writes to map %d, which is read-only "
				      "for programs",
				      r->map);
		return 0;
	}
	default:
		break;
	}
	describe(e, regno, r);
	return vf_reject(e, pc, -EACCES,
		      "r%d must point to %llu bytes of memory here, but it "
		      "does not: %s",
		      regno, (unsigned long long)size, msgs(e));
}

static int ctx_access(struct env *e, int pc, int regno, const struct reg *r,
		      int16_t off, unsigned size, int write,
		      const struct reg *val, struct reg *dst)
{
	const struct bpftk_progtype *pt = e->pt;
	const char *st = pt->ctx_struct ? pt->ctx_struct : "context";
	if (r->off || !vsc_is_const(&r->v) || r->v.b64.umin)
		return vf_reject(e, pc, -EACCES,
			      "dereference of modified ctx ptr r%d (offset "
			      "%d): context fields are reached as the "
			      "unmodified context pointer + constant offset",
			      regno, r->off);
	const struct bpftk_ctx_field *f =
		off < 0 ? NULL : bpftk_progtype_field(pt, (uint32_t)off, size);
	const char *why = NULL;
	if (!f)
		why = "no field is there";
	else if (write && !(f->access & BPFTK_CTX_WRITE))
		why = "the field is read-only";
	else if (!write && !(f->access & BPFTK_CTX_READ))
		why = "the field may not be read";
	else if (off % (int)size)
		why = "misaligned";
	else if (size > f->size && f->count == 1)
		why = "wider than the field";
	else if (size < f->size && f->count == 1 &&
		 (write || !(f->access & BPFTK_CTX_NARROW) ||
		  f->kind != BPFTK_CTX_PLAIN))
		why = write ? "stores must write the whole field"
			    : "narrow loads of this field are not allowed";
	/* array fields (__sk_buff.cb) take any aligned size, as in the
	 * kernel */
	else if (write && val && val->type != T_SCALAR &&
		 (e->o.flags & BPFTK_VERIFY_UNPRIV))
		why = "storing a pointer would leak it";
	if (why)
		return vf_reject(e, pc, -EACCES,
			      "invalid bpf_context access off=%d size=%u "
			      "(%s%s%s: %s)",
			      off, size, st, f ? "." : "", f ? f->name : "",
			      why);
	if (write)
		return 0;
	vf_reg_mark_unknown(dst);
	switch (f->kind) {
	case BPFTK_CTX_PKT_DATA:
		dst->type = T_PKT;
		dst->v = vsc_const(0);
		break;
	case BPFTK_CTX_PKT_END:
		dst->type = T_PKT_END;
		dst->v = vsc_const(0);
		break;
	case BPFTK_CTX_PKT_META:
		dst->type = T_PKT_META;
		dst->v = vsc_const(0);
		break;
	default:
		dst->v = vsc_unknown_bytes(size);
	}
	return 0;
}

/* The access of one load, store or atomic through register regno. */
static int access(struct env *e, int pc, int regno, int16_t off,
		  unsigned size, int write, const struct reg *val,
		  struct reg *dst)
{
	const struct reg *r = &vf_cur_frame(e)->regs[regno];
	struct reg tmp;
	int err;
	if (!dst)
		dst = &tmp;
	/* context accesses are rewritten per instruction at load time, so
	 * one instruction cannot reach the context on one path and other
	 * memory on another */
	if (r->type != T_NOT_INIT && r->type != T_SCALAR) {
		uint8_t k = r->type == T_CTX ? 1 : 2;
		if (e->base_kind[pc] && e->base_kind[pc] != k)
			return vf_reject(e, pc, -EACCES,
				      "this instruction accesses the context "
				      "on one path and other memory through "
				      "r%d on another (same insn cannot be "
				      "used with different pointers)",
				      regno);
		e->base_kind[pc] = k;
	}
	switch (r->type) {
	case T_NOT_INIT:
		return vf_reject(e, pc, -EACCES,
			      "r%d is used as a pointer before anything was "
			      "written to it",
			      regno);
	case T_SCALAR:
		describe(e, regno, r);
		return vf_reject(e, pc, -EACCES,
			      "r%d is a number, not a pointer, so it cannot "
			      "be dereferenced: %s",
			      regno, msgs(e));
	case T_STACK:
		return stack_access(e, pc, regno, r, off, size, write, val,
				    dst);
	case T_CTX:
		return ctx_access(e, pc, regno, r, off, size, write, val, dst);
	case T_MAP_VALUE:
	case T_MEM:
	case T_PKT:
	case T_PKT_META:
		if (r->maybe_null) {
			describe(e, regno, r);
			return vf_reject(e, pc, -EACCES,
				      "r%d may be NULL here: %s; compare it "
				      "with 0 and use it only where it is "
				      "not",
				      regno, msgs(e));
		}
		if ((r->type == T_PKT || r->type == T_PKT_META) && write &&
		    e->pt->type != BPFTK_PROG_TYPE_XDP &&
		    e->pt->type != BPFTK_PROG_TYPE_SCHED_CLS &&
		    e->pt->type != BPFTK_PROG_TYPE_SCHED_ACT &&
		    e->pt->type != BPFTK_PROG_TYPE_SK_SKB)
			return vf_reject(e, pc, -EACCES,
				      "%s programs may not write the packet",
				      e->pt->name);
		if (r->type == T_PKT || r->type == T_PKT_META) {
			int64_t lo = (int64_t)r->off + off;
			if (lo < 0 || lo + (int64_t)size > (int64_t)r->range ||
			    r->v.b64.umax >= 0xffff) {
				describe(e, regno, r);
				return vf_reject(e, pc, -EACCES,
					      "%s %u bytes at packet offset "
					      "%lld but only %u bytes are "
					      "known to be in the packet: %s; "
					      "compare r%d + %lld with "
					      "data_end first",
					      write ? "writes" : "reads", size,
					      (long long)lo, r->range,
					      msgs(e), regno,
					      (long long)(lo + size));
			}
		} else {
			err = vf_check_mem_region(e, pc, regno, r, off, size,
					       write, 0);
			if (err)
				return err;
			if (r->type == T_MAP_VALUE &&
			    e->o.maps[r->map].spin_lock_off >= 0) {
				int64_t lo = (int64_t)r->off + off +
					     r->v.b64.smin;
				int64_t hi = (int64_t)r->off + off +
					     r->v.b64.smax + size;
				int64_t l = e->o.maps[r->map].spin_lock_off;
				if (lo < l + 4 && hi > l)
					return vf_reject(e, pc, -EACCES,
						      "direct access to the "
						      "bpf_spin_lock of map "
						      "%d; use bpf_spin_lock "
						      "and bpf_spin_unlock",
						      r->map);
			}
		}
		if (!write) {
			vf_reg_mark_unknown(dst);
			dst->v = vsc_unknown_bytes(size);
		}
		return 0;
	default:
		describe(e, regno, r);
		return vf_reject(e, pc, -EACCES,
			      "r%d is a %s, which cannot be %s through: %s",
			      regno, vf_vtype_name(r->type),
			      write ? "written" : "read", msgs(e));
	}
}

static int ld_abs(struct env *e, int pc)
{
	const struct bpftk_insn *in = &e->insns[pc];
	struct frame *f = vf_cur_frame(e);
	if (e->pt->type != BPFTK_PROG_TYPE_SOCKET_FILTER &&
	    e->pt->type != BPFTK_PROG_TYPE_SCHED_CLS &&
	    e->pt->type != BPFTK_PROG_TYPE_SCHED_ACT)
		return vf_reject(e, pc, -EACCES,
			      "legacy packet loads (ld_abs/ld_ind) exist "
			      "only for socket filters and tc programs, not "
			      "%s",
			      e->pt->name);
	if (e->cur->nrefs || e->cur->lock_map >= 0)
		return vf_reject(e, pc, -EACCES,
			      "legacy packet loads may end the program, so "
			      "they are not allowed while a reference or a "
			      "lock is held");
	if (f->regs[6].type != T_CTX || f->regs[6].off)
		return vf_reject(e, pc, -EACCES,
			      "legacy packet loads read the packet of the "
			      "context in r6, but r6 is %s",
			      vf_vtype_name(f->regs[6].type));
	if (bpftk_isa_info(bpftk_isa_lookup(in))->form == BPFTK_FORM_LDIND &&
	    f->regs[in->src].type != T_SCALAR)
		return vf_reject(e, pc, -EACCES,
			      "the offset register r%d of ld_ind must hold a "
			      "number",
			      in->src);
	for (int r = 1; r <= 5; r++)
		vf_reg_mark_not_init(&f->regs[r]);
	vf_reg_mark_unknown(&f->regs[0]);
	f->regs[0].v = vsc_unknown_bytes(BPFTK_MEM_BYTES(in->code));
	return 0;
}

static int atomic(struct env *e, int pc, enum bpftk_op op)
{
	const struct bpftk_insn *in = &e->insns[pc];
	struct frame *f = vf_cur_frame(e);
	unsigned size = BPFTK_MEM_BYTES(in->code);
	const struct reg *base = &f->regs[in->dst];
	struct reg *src = &f->regs[in->src];
	int cmpxchg = op == BPFTK_OP_ATOMIC64_CMPXCHG ||
		      op == BPFTK_OP_ATOMIC32_CMPXCHG;
	int fetch = in->imm & 1; /* BPF_FETCH, part of the row's selector */
	struct reg old;
	int err;
	if (src->type == T_NOT_INIT)
		return vf_reject(e, pc, -EACCES,
			      "r%d is read before anything was written to it",
			      in->src);
	if (cmpxchg && f->regs[0].type == T_NOT_INIT)
		return vf_reject(e, pc, -EACCES,
			      "compare-and-exchange compares with r0, which "
			      "was never written");
	if ((e->o.flags & BPFTK_VERIFY_UNPRIV) &&
	    (src->type != T_SCALAR ||
	     (cmpxchg && f->regs[0].type != T_SCALAR)))
		return vf_reject(e, pc, -EACCES,
			      "atomic operation with a pointer: it would leak "
			      "the address into memory");
	if (base->type != T_STACK && base->type != T_MAP_VALUE &&
	    base->type != T_MEM)
		return vf_reject(e, pc, -EACCES,
			      "atomic operation on %s (r%d) is not allowed: "
			      "only the stack and map values",
			      vf_vtype_name(base->type), in->dst);
	/* atomics are always checked with strict alignment, whatever the
	 * load flags say (the kernel does the same): a locked instruction
	 * across a cache line is slow on x86 and faults elsewhere, and the
	 * checked interpreter refuses it.  The base (stack frame, map value,
	 * memory) is itself 8-byte aligned, so its fixed and variable offset
	 * and the instruction's offset must each keep the alignment. */
	uint64_t low = size - 1;
	if (((uint64_t)(int64_t)(base->off + in->off) & low) ||
	    ((base->v.b64.t.value | base->v.b64.t.mask) & low)) {
		describe(e, in->dst, base);
		return vf_reject(e, pc, -EACCES,
			      "misaligned atomic access of %u bytes through "
			      "r%d (offset %d%s): atomics need an address "
			      "that is a multiple of their size: %s",
			      size, in->dst, base->off + in->off,
			      vsc_is_const(&base->v) ? "" : " plus a variable part",
			      msgs(e));
	}
	err = access(e, pc, in->dst, in->off, size, 0, NULL, &old);
	if (err)
		return err;
	if (size < 8) {
		vf_reg_mark_unknown(&old);
		old.v = vsc_unknown_bytes(size);
	}
	struct reg misc;
	vf_reg_mark_unknown(&misc);
	err = access(e, pc, in->dst, in->off, size, 1,
		     size == 8 ? &misc : NULL, NULL);
	if (err)
		return err;
	/* the old value comes back: what the read above saw */
	if (cmpxchg)
		f->regs[0] = old;
	else if (fetch)
		*src = old;
	return 0;
}

int vf_check_mem(struct env *e, int pc)
{
	const struct bpftk_insn *in = &e->insns[pc];
	enum bpftk_op op = bpftk_isa_lookup(in);
	const struct bpftk_opinfo *info = bpftk_isa_info(op);
	struct frame *f = vf_cur_frame(e);
	unsigned size = BPFTK_MEM_BYTES(in->code);
	int err;

	switch (info->form) {
	case BPFTK_FORM_LDABS:
	case BPFTK_FORM_LDIND:
		return ld_abs(e, pc);
	case BPFTK_FORM_ATOMIC:
		return atomic(e, pc, op);
	case BPFTK_FORM_LDX: {
		struct reg v;
		err = access(e, pc, in->src, in->off, size, 0, NULL, &v);
		if (err)
			return err;
		if (op == BPFTK_OP_LDXSW || op == BPFTK_OP_LDXSH ||
		    op == BPFTK_OP_LDXSB) {
			if (v.type != T_SCALAR)
				return vf_reject(e, pc, -EACCES,
					      "sign-extending load of a "
					      "pointer");
			struct bounds t = vbnd_truncate(64, &v.v.b64, size * 8);
			vf_reg_mark_unknown(&v);
			v.v.b64.smin = t.smin;
			v.v.b64.smax = t.smax;
			if (vsc_sync(&v.v))
				v.v = vsc_unknown();
		}
		f->regs[in->dst] = v;
		return 0;
	}
	case BPFTK_FORM_ST: {
		struct reg v;
		vf_reg_mark_const(&v, (uint64_t)(int64_t)in->imm);
		return access(e, pc, in->dst, in->off, size, 1, &v, NULL);
	}
	case BPFTK_FORM_STX: {
		const struct reg *v = &f->regs[in->src];
		if (v->type == T_NOT_INIT)
			return vf_reject(e, pc, -EACCES,
				      "stores r%d, which was never written",
				      in->src);
		return access(e, pc, in->dst, in->off, size, 1, v, NULL);
	}
	default:
		return vf_internal_error(e, pc, "memory form not handled");
	}
}
