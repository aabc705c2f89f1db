/* vf_check_call.c — calls and exits: helpers against their descriptors
 * (helpers.h: argument kinds, sizes, return kinds, program types; the
 * embedder's descriptors beside bpftk's own), bpf-to-bpf calls (a new
 * frame with its own stack and r1..r5 passed in; at most
 * BPFTK_MAX_CALL_DEPTH frames), bpf_loop's callback, tail calls, and what
 * an exit means in a function, in a callback or at the end of the
 * program.
 *
 * bpf_loop(nr_loops, callback, ctx, flags) is walked as the kernel walks
 * it: the path splits at the call into "the loop is over" (queued: r0 is
 * bpf_loop's unknown result) and "the callback runs once more" (a new
 * frame: r1 the index, r2 = ctx).  The callback's exit leads back to the
 * bpf_loop call itself, with the caller's registers as they were, so the
 * call splits again with whatever the callback left on the caller's
 * stack.  The walk stops going round when the state at the call is one it
 * had there before in the same loop (verifier.c's visit, which also
 * widens numbers that keep changing), so every state that any number of
 * iterations can leave is walked after the call.
 */
#include <string.h>

#include "verifier_int.h"

/* Kernel map types the checks below name. */
enum {
	MT_ARRAY = 2, MT_PROG_ARRAY = 3, MT_PERF_EVENT_ARRAY = 4,
	MT_ARRAY_OF_MAPS = 12, MT_HASH_OF_MAPS = 13, MT_DEVMAP = 14,
	MT_CPUMAP = 16, MT_XSKMAP = 17, MT_QUEUE = 22, MT_STACK = 23,
	MT_DEVMAP_HASH = 25, MT_RINGBUF = 27, MT_BLOOM = 30,
};

/* Helpers that may move the packet (the kernel's
 * bpf_helper_changes_pkt_data). */
static int changes_pkt(uint32_t id)
{
	switch (id) {
	case BPFTK_FUNC_skb_store_bytes:
	case BPFTK_FUNC_l3_csum_replace:
	case BPFTK_FUNC_l4_csum_replace:
	case BPFTK_FUNC_xdp_adjust_head:
	case BPFTK_FUNC_xdp_adjust_meta:
	case BPFTK_FUNC_xdp_adjust_tail:
	case BPFTK_FUNC_skb_vlan_push:
	case BPFTK_FUNC_skb_vlan_pop:
	case BPFTK_FUNC_skb_change_proto:
	case BPFTK_FUNC_skb_change_tail:
		return 1;
	default:
		return 0;
	}
}

/* Map types a helper accepts; NULL-terminated lists would do, a switch
 * reads shorter. */
static int map_fits(uint32_t helper, uint32_t mt)
{
	switch (helper) {
	case BPFTK_FUNC_tail_call:
		return mt == MT_PROG_ARRAY;
	case BPFTK_FUNC_perf_event_output:
		return mt == MT_PERF_EVENT_ARRAY;
	case BPFTK_FUNC_ringbuf_output:
	case BPFTK_FUNC_ringbuf_reserve:
	case BPFTK_FUNC_ringbuf_query:
		return mt == MT_RINGBUF;
	case BPFTK_FUNC_map_push_elem:
	case BPFTK_FUNC_map_peek_elem:
		return mt == MT_QUEUE || mt == MT_STACK || mt == MT_BLOOM;
	case BPFTK_FUNC_map_pop_elem:
		return mt == MT_QUEUE || mt == MT_STACK;
	case BPFTK_FUNC_redirect_map:
		return mt == MT_DEVMAP || mt == MT_DEVMAP_HASH ||
		       mt == MT_CPUMAP || mt == MT_XSKMAP;
	case BPFTK_FUNC_map_lookup_elem:
	case BPFTK_FUNC_map_update_elem:
	case BPFTK_FUNC_map_delete_elem:
	case BPFTK_FUNC_map_lookup_percpu_elem:
		return mt != MT_PROG_ARRAY && mt != MT_PERF_EVENT_ARRAY &&
		       mt != MT_RINGBUF && mt != MT_QUEUE && mt != MT_STACK &&
		       mt != MT_BLOOM;
	default:
		return 1;
	}
}

struct callmeta {
	int map;	  /* map argument, -1 none */
	int memreg;	  /* register of the pending memory argument */
	int mem_write;
	uint32_t release; /* ref released by this call */
	uint64_t alloc;	  /* const size of an allocation */
	const struct bpftk_helper *h;
};

static int bad_arg(struct env *e, int pc, int regno, const char *want)
{
	const char *name = e->call_name ? e->call_name : "?";
	const struct reg *r = &vf_cur_frame(e)->regs[regno];
	struct bpftk_buf b = {0};
	vf_describe_reg(&b, regno, r);
	int err = vf_reject(e, pc, -EACCES,
			 "argument %d of bpf_%s must be %s, but %s", regno,
			 name, want, b.data && !b.failed ? b.data : "");
	bpftk_buf_free(&b);
	return err;
}

/* The memory an argument names (regno: the pointer), checked with the
 * argument's number in any message. */
static int arg_mem(struct env *e, int pc, int regno, const struct reg *r,
		   uint64_t size, int write, int zero_ok)
{
	e->call_arg = regno;
	int err = vf_check_mem_region(e, pc, regno, r, 0, size, write,
				      zero_ok);
	e->call_arg = 0;
	return err;
}

static int check_arg(struct env *e, int pc, struct callmeta *m, int regno,
		     enum bpftk_arg_kind kind)
{
	struct reg *r = &vf_cur_frame(e)->regs[regno];
	const struct bpftk_verify_map *map =
		m->map >= 0 ? &e->o.maps[m->map] : NULL;
	if (kind == BPFTK_ARG_NONE)
		return 0;
	if (r->type == T_NOT_INIT)
		return vf_reject(e, pc, -EACCES,
			      "argument %d (r%d) of bpf_%s was never written",
			      regno, regno, m->h->name);
	switch (kind) {
	case BPFTK_ARG_ANYTHING:
		return 0;
	case BPFTK_ARG_CONST_MAP_PTR:
		if (r->type != T_MAP_PTR || r->maybe_null)
			return bad_arg(e, pc, regno, "a map");
		if (r->map < 0)
			return vf_reject(e, pc, -EACCES,
				      "argument %d of bpf_%s is the inner map "
				      "of a map of maps, whose definition "
				      "bpftk was not given",
				      regno, m->h->name);
		if (!map_fits(m->h->id, e->o.maps[r->map].type))
			return vf_reject(e, pc, -EACCES,
				      "bpf_%s cannot be used with map %d of "
				      "type %u",
				      m->h->name, r->map,
				      e->o.maps[r->map].type);
		m->map = r->map;
		return 0;
	case BPFTK_ARG_PTR_TO_MAP_KEY:
	case BPFTK_ARG_PTR_TO_MAP_VALUE:
	case BPFTK_ARG_PTR_TO_UNINIT_MAP_VALUE:
		if (!map)
			return vf_internal_error(e, pc, "map argument missing");
		return arg_mem(e, pc, regno, r,
			       kind == BPFTK_ARG_PTR_TO_MAP_KEY
				       ? map->key_size
				       : map->value_size,
			       kind == BPFTK_ARG_PTR_TO_UNINIT_MAP_VALUE, 0);
	case BPFTK_ARG_PTR_TO_MEM:
	case BPFTK_ARG_PTR_TO_UNINIT_MEM:
		m->memreg = regno;
		m->mem_write = kind == BPFTK_ARG_PTR_TO_UNINIT_MEM;
		return 0;
	case BPFTK_ARG_CONST_SIZE:
	case BPFTK_ARG_CONST_SIZE_OR_ZERO: {
		if (r->type != T_SCALAR)
			return bad_arg(e, pc, regno, "a size (a number)");
		if (r->v.b64.smin < 0)
			return bad_arg(e, pc, regno,
				       "a size that cannot be negative");
		if (kind == BPFTK_ARG_CONST_SIZE && r->v.b64.umin == 0)
			return bad_arg(e, pc, regno,
				       "a size that cannot be zero");
		if (r->v.b64.umax >= (1u << 29))
			return bad_arg(e, pc, regno,
				       "a size with a known upper bound");
		if (m->memreg < 0)
			return vf_internal_error(e, pc, "size without memory");
		const struct reg *mem = &vf_cur_frame(e)->regs[m->memreg];
		if (r->v.b64.umax == 0 && mem->type == T_SCALAR &&
		    vsc_is_const(&mem->v) && mem->v.b64.umin == 0)
			return 0; /* NULL, 0 */
		return arg_mem(e, pc, m->memreg, mem, r->v.b64.umax,
			       m->mem_write, r->v.b64.umin == 0);
	}
	case BPFTK_ARG_PTR_TO_CTX:
		if (r->type != T_CTX || r->off)
			return bad_arg(e, pc, regno,
				       "the unmodified context pointer");
		return 0;
	case BPFTK_ARG_PTR_TO_CONST_STR:
		if (r->type != T_MAP_VALUE || r->maybe_null ||
		    !(e->o.maps[r->map].flags & BPFTK_MAP_F_RDONLY_PROG))
			return bad_arg(e, pc, regno,
				       "a string in read-only global data");
		return 0;
	case BPFTK_ARG_PTR_TO_RINGBUF_MEM:
		if (r->type != T_MEM || !r->ref || r->maybe_null || r->off ||
		    !vsc_is_const(&r->v) || r->v.b64.umin)
			return bad_arg(e, pc, regno,
				       "a ring buffer sample as reserved (not "
				       "NULL, not moved)");
		m->release = r->ref;
		return 0;
	case BPFTK_ARG_PTR_TO_FUNC:
		if (r->type != T_FUNC)
			return bad_arg(e, pc, regno, "a callback function");
		return 0;
	case BPFTK_ARG_PTR_TO_STACK_OR_NULL:
		if (r->type == T_STACK ||
		    (r->type == T_SCALAR && vsc_is_const(&r->v) &&
		     r->v.b64.umin == 0))
			return 0;
		return bad_arg(e, pc, regno, "a stack pointer or NULL");
	case BPFTK_ARG_PTR_TO_SPIN_LOCK: {
		const struct bpftk_verify_map *lm =
			r->type == T_MAP_VALUE ? &e->o.maps[r->map] : NULL;
		if (!lm || r->maybe_null || lm->spin_lock_off < 0 ||
		    !vsc_is_const(&r->v) ||
		    r->off + (int64_t)r->v.b64.umin != lm->spin_lock_off)
			return bad_arg(e, pc, regno,
				       "a pointer to the bpf_spin_lock in a "
				       "map value");
		return 0;
	}
	case BPFTK_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (r->type != T_SCALAR || !vsc_is_const(&r->v))
			return bad_arg(e, pc, regno, "a constant size");
		m->alloc = r->v.b64.umin;
		return 0;
	case BPFTK_ARG_PTR_TO_LONG:
		return arg_mem(e, pc, regno, r, 8, 1, 0);
	default:
		return vf_internal_error(e, pc, "argument kind not handled");
	}
}

static int spin(struct env *e, int pc, uint32_t id)
{
	struct vstate *s = e->cur;
	const struct reg *r = &vf_cur_frame(e)->regs[1];
	if (id == BPFTK_FUNC_spin_lock) {
		if (s->lock_map >= 0)
			return vf_reject(e, pc, -EACCES,
				      "bpf_spin_lock while already holding a "
				      "lock (taken on map %d): deadlock",
				      s->lock_map);
		s->lock_map = r->map;
		s->lock_id = r->id;
		return 0;
	}
	if (s->lock_map < 0)
		return vf_reject(e, pc, -EACCES,
			      "bpf_spin_unlock without a lock held");
	if (s->lock_map != r->map || s->lock_id != r->id)
		return vf_reject(e, pc, -EACCES,
			      "bpf_spin_unlock of a different lock than the "
			      "one held (map %d)",
			      s->lock_map);
	s->lock_map = -1;
	s->lock_id = 0;
	return 0;
}

#define LOOP_MAX (1u << 23) /* BPF_MAX_LOOPS: bpf_loop's largest count */

int vf_is_callback_call(const struct env *e, int pc)
{
	const struct bpftk_insn *in = &e->insns[pc];
	return bpftk_isa_lookup(in) == BPFTK_OP_CALL &&
	       in->imm == BPFTK_FUNC_loop;
}

/* The two sides of bpf_loop (see the top of the file).  The arguments
 * were checked against the descriptor: r2 is a function pointer, r3 a
 * stack pointer or NULL.  Flags other than 0 make bpf_loop fail with
 * -EINVAL before any call, so they need no rule here (the kernel accepts
 * them too); the callback is walked whatever they are. */
static int loop_call(struct env *e, int pc, int *next)
{
	struct vstate *s = e->cur;
	struct frame *caller = vf_cur_frame(e);
	int target = caller->regs[2].map;
	int sub = vf_find_subprog(e, target);
	if (sub < 0 || e->subs[sub].start != target)
		return vf_internal_error(e, pc, "callback is not a function");
	if (s->nframes >= BPFTK_MAX_CALL_DEPTH)
		return vf_reject(e, pc, -EACCES,
			      "the call chain is too deep: bpf_loop's callback "
			      "would be the %dth nested function (at most %d)",
			      s->nframes + 1, BPFTK_MAX_CALL_DEPTH);
	struct vstate *done = vf_push_branch(e, pc + 1);
	if (!done)
		return -ENOMEM;
	struct frame *df = done->frames[done->nframes - 1];
	for (int r = 1; r <= 5; r++)
		vf_reg_mark_not_init(&df->regs[r]);
	vf_reg_mark_unknown(&df->regs[0]);
	vf_hist_add(e, done, pc, 3);

	struct frame *f = vf_frame_new(pc, sub);
	if (!f)
		return -ENOMEM;
	f->inv = ++e->next_inv;
	f->callback = BPFTK_FUNC_loop;
	/* the index: 0 .. nr_loops - 1, and nr_loops <= LOOP_MAX */
	struct reg *idx = &f->regs[1];
	vf_reg_mark_unknown(idx);
	idx->v = vsc_unknown_bytes(4);
	idx->v.b64.umax = LOOP_MAX - 1;
	idx->v.b64.smax = LOOP_MAX - 1;
	if (vsc_sync(&idx->v))
		idx->v = vsc_unknown_bytes(4);
	f->regs[2] = caller->regs[3];
	f->regs[BPFTK_REG_FP].type = T_STACK;
	f->regs[BPFTK_REG_FP].frame = (uint8_t)s->nframes;
	f->regs[BPFTK_REG_FP].v = vsc_const(0);
	s->frames[s->nframes++] = f;
	vf_hist_add(e, s, pc, 2);
	*next = target;
	return 0;
}

static int helper_call(struct env *e, int pc, int *next)
{
	const struct bpftk_insn *in = &e->insns[pc];
	struct frame *f = vf_cur_frame(e);
	struct callmeta m = {-1, -1, 0, 0, 0, NULL};
	uint32_t id = (uint32_t)in->imm;
	int err;

	m.h = vf_helper(e, id);
	e->call_name = m.h ? m.h->name : NULL;
	if (!m.h)
		return vf_reject(e, pc, -EACCES,
			      "unknown helper function id %d (bpftk does not "
			      "implement it%s)",
			      in->imm,
			      e->o.nhelpers ? ", nor is it one of the "
					      "embedder's helpers"
					    : "");
	if (!vf_helper_allowed(e, m.h))
		return vf_reject(e, pc, -EACCES,
			      "helper bpf_%s is not available to %s programs",
			      m.h->name, e->pt->name);
	if (e->cur->lock_map >= 0 && id != BPFTK_FUNC_spin_unlock)
		return vf_reject(e, pc, -EACCES,
			      "bpf_%s called while holding a spin lock: only "
			      "bpf_spin_unlock is allowed there",
			      m.h->name);
	/* bpf_trace_printk's values after the format are not checked by
	 * the kernel (its descriptor stops at the size): unset ones are
	 * printed as whatever they hold */
	int nargs = id == BPFTK_FUNC_trace_printk ? 2 : 5;
	for (int i = 0; i < nargs; i++) {
		err = check_arg(e, pc, &m, i + 1,
				(enum bpftk_arg_kind)m.h->args[i]);
		if (err)
			return err;
	}
	if (id == BPFTK_FUNC_loop)
		return loop_call(e, pc, next);
	for (int i = 0; i < 5; i++)
		if (m.h->args[i] == BPFTK_ARG_PTR_TO_FUNC)
			return vf_reject(e, pc, -EACCES,
				      "callbacks of bpf_%s are not supported "
				      "by bpftk's verifier (only bpf_loop's "
				      "are)",
				      m.h->name);
	if (id == BPFTK_FUNC_tail_call && (e->cur->nrefs || e->cur->nframes > 1))
		return vf_reject(e, pc, -EACCES,
			      "bpf_tail_call while holding a reference or "
			      "inside a function call is not allowed");
	if (id == BPFTK_FUNC_spin_lock || id == BPFTK_FUNC_spin_unlock) {
		err = spin(e, pc, id);
		if (err)
			return err;
	}
	if (m.release) {
		err = vf_ref_release(e, pc, m.release);
		if (err)
			return err;
	}
	if (changes_pkt(id))
		vf_invalidate_pkt(e);
	f = vf_cur_frame(e);
	for (int r = 1; r <= 5; r++)
		vf_reg_mark_not_init(&f->regs[r]);
	struct reg *r0 = &f->regs[0];
	switch (m.h->ret) {
	case BPFTK_RET_VOID:
		vf_reg_mark_not_init(r0);
		break;
	case BPFTK_RET_PTR_TO_MAP_VALUE_OR_NULL: {
		const struct bpftk_verify_map *mp = &e->o.maps[m.map];
		vf_reg_mark_not_init(r0);
		r0->maybe_null = 1;
		r0->id = vf_new_id(e);
		r0->v = vsc_const(0);
		if (mp->type == MT_ARRAY_OF_MAPS || mp->type == MT_HASH_OF_MAPS) {
			/* an undescribed inner map (-1) is refused where
			 * it is used */
			r0->type = T_MAP_PTR;
			r0->map = mp->inner >= 0 &&
						  (size_t)mp->inner < e->o.nmaps
					  ? mp->inner
					  : -1;
		} else {
			r0->type = T_MAP_VALUE;
			r0->map = m.map;
		}
		break;
	}
	case BPFTK_RET_PTR_TO_RINGBUF_MEM_OR_NULL:
		vf_reg_mark_not_init(r0);
		r0->type = T_MEM;
		r0->maybe_null = 1;
		r0->id = vf_new_id(e);
		r0->range = (uint32_t)m.alloc;
		r0->v = vsc_const(0);
		err = vf_ref_acquire(e, pc, &r0->ref);
		if (err)
			return err;
		break;
	default:
		vf_reg_mark_unknown(r0);
	}
	return 0;
}

static int local_call(struct env *e, int pc, int *next)
{
	struct vstate *s = e->cur;
	int target = (int)bpftk_isa_target(e->insns, (size_t)pc);
	if (s->nframes >= BPFTK_MAX_CALL_DEPTH)
		return vf_reject(e, pc, -EACCES,
			      "the call chain is too deep: at most %d nested "
			      "functions",
			      BPFTK_MAX_CALL_DEPTH);
	if (s->lock_map >= 0)
		return vf_reject(e, pc, -EACCES,
			      "function calls are not allowed while holding "
			      "a spin lock");
	struct frame *caller = vf_cur_frame(e);
	struct frame *f = vf_frame_new(pc, vf_find_subprog(e, target));
	if (!f)
		return -ENOMEM;
	f->inv = ++e->next_inv;
	for (int r = 1; r <= 5; r++)
		f->regs[r] = caller->regs[r];
	f->regs[BPFTK_REG_FP].type = T_STACK;
	f->regs[BPFTK_REG_FP].frame = (uint8_t)s->nframes;
	f->regs[BPFTK_REG_FP].v = vsc_const(0);
	s->frames[s->nframes++] = f;
	*next = target;
	return 0;
}

int vf_check_call(struct env *e, int pc, int *next)
{
	switch (bpftk_isa_lookup(&e->insns[pc])) {
	case BPFTK_OP_CALL:
		*next = pc + 1;
		return helper_call(e, pc, next);
	case BPFTK_OP_CALL_LOCAL:
		return local_call(e, pc, next);
	case BPFTK_OP_CALL_KFUNC:
		return vf_reject(e, pc, -EACCES,
			      "kernel function (kfunc) calls need the "
			      "kernel's BTF; bpftk does not support them");
	default:
		return vf_reject(e, pc, -EACCES,
			      "indirect calls (callx) are not supported by "
			      "bpftk's verifier");
	}
}

/* The program type's range of return values (progtype.h), checked on the
 * low 32 bits the kernel looks at, for types whose range is narrower than
 * any value. */
static int check_return_value(struct env *e, int pc, const struct reg *r0)
{
	const struct bpftk_progtype *pt = e->pt;
	if (pt->ret_min == INT64_MIN && pt->ret_max == INT64_MAX)
		return 0;
	if (r0->type != T_SCALAR) {
		if (e->o.flags & BPFTK_VERIFY_UNPRIV)
			return vf_reject(e, pc, -EACCES,
				      "the program returns a pointer (%s), "
				      "which would leak its address",
				      vf_vtype_name(r0->type));
		return 0;
	}
	const struct bounds *b = &r0->v.b32;
	int64_t lo = pt->ret_min, hi = pt->ret_max;
	int ok = lo >= 0 ? (int64_t)b->umin >= lo && (int64_t)b->umax <= hi
			 : b->smin >= lo && b->smax <= hi;
	if (ok)
		return 0;
	return vf_reject(e, pc, -EACCES,
		      "the program may return a value outside [%lld, %lld] "
		      "(%s): %s programs return %s",
		      (long long)lo, (long long)hi,
		      vbnd_is_const(b) ? "a constant out of range"
				      : "r0's low 32 bits are not bounded",
		      pt->name, pt->ret_meaning);
}

/* The exit of bpf_loop's callback: r0 says whether the loop goes on (0)
 * or stops (1), and the walk goes back to the bpf_loop call with the
 * caller's registers untouched (the call then splits again). */
static int callback_exit(struct env *e, int pc, int *next)
{
	struct vstate *s = e->cur;
	struct frame *f = vf_cur_frame(e);
	const struct reg *r0 = &f->regs[0];
	int fn = e->subs[f->subprog].start;
	if (r0->type != T_SCALAR || r0->v.b64.umax > 1) {
		struct bpftk_buf b = {0};
		vf_describe_reg(&b, 0, r0);
		int err = vf_reject(
			e, pc, -EACCES,
			"the callback of bpf_loop (the function at insn %d) "
			"may return something other than 0 or 1: it returns 0 "
			"to go on with the next iteration and 1 to stop, but "
			"%s",
			fn, b.data && !b.failed ? b.data : "r0 is not a number");
		bpftk_buf_free(&b);
		return err;
	}
	if (s->lock_map >= 0)
		return vf_reject(e, pc, -EACCES,
			      "the callback of bpf_loop (the function at insn "
			      "%d) returns while holding a spin lock: release "
			      "it with bpf_spin_unlock first",
			      fn);
	*next = f->callsite;
	bpftk_free(f);
	s->frames[--s->nframes] = NULL;
	s->reentry = 1;
	return 0;
}

int vf_check_exit(struct env *e, int pc, int *next, int *done)
{
	struct vstate *s = e->cur;
	struct frame *f = vf_cur_frame(e);
	const struct reg *r0 = &f->regs[0];
	*done = 0;
	if (s->nframes > 1 && f->callback)
		return callback_exit(e, pc, next);
	/* a function may return nothing (the caller's r0 is then unset);
	 * the program must return a value */
	if (r0->type == T_NOT_INIT && s->nframes == 1)
		return vf_reject(e, pc, -EACCES,
			      "the program ends without setting r0 (the "
			      "return value)");
	if (s->nframes > 1) {
		if (r0->type == T_STACK && r0->frame == s->nframes - 1)
			return vf_reject(e, pc, -EACCES,
				      "the function returns a pointer to its "
				      "own stack, which is gone after the "
				      "return");
		struct frame *caller = s->frames[s->nframes - 2];
		caller->regs[0] = *r0;
		for (int r = 1; r <= 5; r++)
			vf_reg_mark_not_init(&caller->regs[r]);
		*next = f->callsite + 1;
		bpftk_free(f);
		s->frames[--s->nframes] = NULL;
		return 0;
	}
	int err = vf_ref_check_exit(e, pc);
	if (err)
		return err;
	err = check_return_value(e, pc, r0);
	if (err)
		return err;
	*done = 1;
	return 0;
}
