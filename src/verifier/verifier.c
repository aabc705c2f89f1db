/* verifier.c — the verifier's pipeline and its walk.
 *
 * bpftk_verify reads as the pipeline: check the arguments, validate the
 * encoding (isa), find the functions, check the control-flow graph (every
 * instruction reachable, jumps stay inside their function, every function
 * ends in exit or a jump), walk every path with the abstract state, then
 * fill in the result.  One cleanup label frees everything.
 *
 * The walk is a depth-first search over abstract states.  A conditional
 * jump whose two sides are both possible continues with one side and
 * queues the other (vf_push_branch).  At join points (jump targets, the
 * instructions after jumps and calls) the state is compared with the
 * checkpoints stored there: if a finished checkpoint covers it (vf_st_covers),
 * the path stops — everything it could do was already proven safe.  A
 * checkpoint is finished when no path below it is still open; `branches`
 * counts the open ones and end_path gives them back up the parent chain.
 * A state equal to an unfinished checkpoint on its own path is a loop that
 * can run forever: rejected.  Loops whose state changes each time around
 * (a counter with a bound) are walked iteration by iteration until the
 * instruction limit.
 *
 * bpf_loop's callback is the one loop the program does not bound itself:
 * bpf_loop does (check_call.c walks it).  When the callback's exit brings
 * the walk back to the bpf_loop call, a checkpoint there from an earlier
 * round of the same loop that covers the state ends the path: the rounds
 * have converged, and going round again is bounded by bpf_loop's count,
 * not infinite.  That checkpoint's walk is not finished (it is an
 * ancestor), so which stack slots its walk reads is not known yet: every
 * slot counts as read above the pruned state.  After WIDEN_AFTER rounds
 * numbers that still change are widened to unknown, so rounds converge.
 * Inside the callback, a state equal to one of an earlier round is no
 * infinite loop either (the frame of the callback differs): it goes on.
 */
#include <string.h>
#include <time.h>

#include "verifier_int.h"

#define MAX_STATES 40000
/* rounds of a bpf_loop callback walked exactly before the numbers that
 * still change are widened (a counter the callback bounds itself, such as
 * "if (i >= 16) return 1", stays exact up to here) */
#define WIDEN_AFTER 32

struct frame *vf_cur_frame(struct env *e)
{
	return e->cur->frames[e->cur->nframes - 1];
}

uint32_t vf_new_id(struct env *e)
{
	return ++e->next_id;
}

void vf_hist_add(struct env *e, struct vstate *st, int pc, int taken)
{
	if (e->nhist == e->caphist) {
		int cap = e->caphist ? 2 * e->caphist : 256;
		struct hist *h = bpftk_realloc(e->hist, (size_t)cap *
							   sizeof(*h));
		if (!h)
			return; /* the path note gets shorter, nothing else */
		e->hist = h;
		e->caphist = cap;
	}
	e->hist[e->nhist].pc = pc;
	e->hist[e->nhist].taken = taken;
	e->hist[e->nhist].prev = st->hist;
	st->hist = e->nhist++;
}

struct vstate *vf_push_branch(struct env *e, int pc)
{
	if (e->nstack == e->capstack) {
		int cap = e->capstack ? 2 * e->capstack : 64;
		struct vstate **s = bpftk_realloc(e->stack, (size_t)cap *
							    sizeof(*s));
		if (!s)
			return NULL;
		e->stack = s;
		e->capstack = cap;
	}
	struct vstate *c = vf_st_copy(e->cur);
	if (!c)
		return NULL;
	c->pc = pc;
	if (c->parent)
		c->parent->branches++;
	e->stack[e->nstack++] = c;
	return c;
}

void vf_st_for_each_reg(struct vstate *st, void (*fn)(struct reg *r, void *arg),
		     void *arg)
{
	for (int i = 0; i < st->nframes; i++) {
		struct frame *f = st->frames[i];
		for (int r = 0; r < BPFTK_NREGS; r++)
			fn(&f->regs[r], arg);
		for (int s = 0; s < NSLOTS; s++)
			if (f->slots[s].kind[0] == S_SPILL)
				fn(&f->slots[s].spill, arg);
	}
}

int vf_find_subprog(const struct env *e, int pc)
{
	for (int i = 0; i < e->nsubs; i++)
		if (e->subs[i].start <= pc && pc < e->subs[i].end)
			return i;
	return -1;
}

/* ---- static checks ------------------------------------------------------ */

static int is_lddw(const struct bpftk_insn *in)
{
	return bpftk_isa_info(bpftk_isa_lookup(in)) &&
	       bpftk_isa_info(bpftk_isa_lookup(in))->form == BPFTK_FORM_LDDW;
}

static int form_of(const struct bpftk_insn *in)
{
	const struct bpftk_opinfo *i = bpftk_isa_info(bpftk_isa_lookup(in));
	return i ? i->form : -1;
}

static int find_subprogs(struct env *e)
{
	uint8_t *start = bpftk_calloc((size_t)e->n + 1, 1);
	if (!start)
		return -ENOMEM;
	start[0] = 1;
	for (int pc = 0; pc < e->n; pc++) {
		const struct bpftk_insn *in = &e->insns[pc];
		enum bpftk_op op = bpftk_isa_lookup(in);
		if (op == BPFTK_OP_CALL_LOCAL || op == BPFTK_OP_LDDW_FUNC) {
			long t = bpftk_isa_target(e->insns, (size_t)pc);
			if (t >= 0 && t < e->n)
				start[t] = 1;
		}
		if (is_lddw(in))
			pc++;
	}
	int n = 0;
	for (int pc = 0; pc < e->n; pc++)
		n += start[pc];
	e->subs = bpftk_calloc((size_t)n, sizeof(*e->subs));
	if (!e->subs) {
		bpftk_free(start);
		return -ENOMEM;
	}
	for (int pc = 0; pc < e->n; pc++)
		if (start[pc]) {
			if (e->nsubs)
				e->subs[e->nsubs - 1].end = pc;
			e->subs[e->nsubs++].start = pc;
		}
	e->subs[e->nsubs - 1].end = e->n;
	bpftk_free(start);
	return 0;
}

static int check_cfg(struct env *e)
{
	int err = 0;
	uint8_t *seen = bpftk_calloc((size_t)e->n, 1);
	int *work = bpftk_malloc(((size_t)e->n + 1) * sizeof(int));
	int nwork = 0;
	if (!seen || !work) {
		err = -ENOMEM;
		goto out;
	}
	/* every function ends in exit or an unconditional jump */
	for (int i = 0; i < e->nsubs; i++) {
		int last = e->subs[i].end - 1;
		if (last > 0 && e->insns[last].code == 0 && last - 1 >=
		    e->subs[i].start && is_lddw(&e->insns[last - 1]))
			last--;
		int f = form_of(&e->insns[last]);
		if (f != BPFTK_FORM_EXIT && f != BPFTK_FORM_JA &&
		    f != BPFTK_FORM_JA32) {
			err = vf_reject(e, last, -EACCES,
				     "the last instruction of function %d is "
				     "not exit or goto: execution would run "
				     "past its end",
				     i);
			goto out;
		}
	}
	work[nwork++] = 0;
	seen[0] = 1;
	while (nwork) {
		int pc = work[--nwork];
		const struct bpftk_insn *in = &e->insns[pc];
		int f = form_of(in);
		int succ[2], ns = 0;
		long t;
		if (f == BPFTK_FORM_EXIT)
			continue;
		if (f == BPFTK_FORM_JA || f == BPFTK_FORM_JA32) {
			succ[ns++] = (int)bpftk_isa_target(e->insns, (size_t)pc);
		} else if (f == BPFTK_FORM_JCC_K || f == BPFTK_FORM_JCC_X) {
			succ[ns++] = pc + 1;
			succ[ns++] = (int)bpftk_isa_target(e->insns, (size_t)pc);
			e->prune[pc + 1 < e->n ? pc + 1 : pc] = 1;
		} else if (f == BPFTK_FORM_LDDW) {
			succ[ns++] = pc + 2;
			if (in->src == BPFTK_PSEUDO_FUNC) {
				t = bpftk_isa_target(e->insns, (size_t)pc);
				if (t >= 0 && t < e->n && !seen[t]) {
					seen[t] = 1;
					work[nwork++] = (int)t;
				}
			}
		} else {
			succ[ns++] = pc + 1;
			/* bpf_loop's rounds meet at the call; the states
			 * after it are compared at once */
			if (vf_is_callback_call(e, pc)) {
				e->prune[pc] = 1;
				if (pc + 1 < e->n)
					e->prune[pc + 1] = 1;
			}
			if (bpftk_isa_lookup(in) == BPFTK_OP_CALL_LOCAL) {
				t = bpftk_isa_target(e->insns, (size_t)pc);
				if (t >= 0 && t < e->n && !seen[t]) {
					seen[t] = 1;
					work[nwork++] = (int)t;
				}
				if (pc + 1 < e->n)
					e->prune[pc + 1] = 1;
			}
		}
		for (int i = 0; i < ns; i++) {
			int s = succ[i];
			if (s < 0 || s >= e->n ||
			    vf_find_subprog(e, s) != vf_find_subprog(e, pc)) {
				err = vf_reject(e, pc, -EACCES,
					     "jump to instruction %d leaves "
					     "the function (or the program); "
					     "functions are entered only by "
					     "calls",
					     s);
				goto out;
			}
			if (s != pc + 1 && s != pc + 2)
				e->prune[s] = 1;
			if (!seen[s]) {
				seen[s] = 1;
				work[nwork++] = s;
			}
		}
	}
	for (int pc = 0; pc < e->n; pc++) {
		if (!seen[pc] && !(pc > 0 && is_lddw(&e->insns[pc - 1]) &&
				   seen[pc - 1])) {
			err = vf_reject(e, pc, -EACCES,
				     "instruction %d can never be reached "
				     "(unreachable code is not allowed)",
				     pc);
			goto out;
		}
	}
out:
	bpftk_free(seen);
	bpftk_free(work);
	return err;
}

/* ---- the walk ------------------------------------------------------------ */

static void end_path(struct env *e)
{
	for (struct vstate *c = e->cur->parent; c; c = c->parent)
		if (--c->branches > 0)
			break;
	vf_st_free(e->cur);
	e->cur = NULL;
}

void vf_stack_read(struct env *e, int fi, uint64_t bits)
{
	const struct frame *f = e->cur->frames[fi];
	uint32_t inv = f->inv;
	bits &= ~f->written; /* written on this path since the checkpoint */
	for (struct vstate *p = e->cur->parent; p && bits; p = p->parent) {
		if (p->nframes <= fi || p->frames[fi]->inv != inv)
			break; /* the frame did not exist there yet */
		struct frame *pf = p->frames[fi];
		if ((pf->read & bits) == bits)
			break; /* marked before, and above it too */
		pf->read |= bits;
		bits &= ~pf->written;
	}
}

void vf_stack_written(struct env *e, int fi, uint64_t bits)
{
	e->cur->frames[fi]->written |= bits;
}

/* A finished checkpoint is on no open path's parent chain (an open path
 * keeps every checkpoint above it open), so nothing will follow a pointer
 * to it any more. */
static void free_checkpoint(struct env *e, struct vstate *s)
{
	vf_st_free(s);
	e->nstates--;
}

static int is_ancestor(const struct vstate *cur, const struct vstate *s)
{
	for (const struct vstate *c = cur->parent; c; c = c->parent)
		if (c == s)
			return 1;
	return 0;
}

/* s and cur differ first in a callback's frame (the frames below are the
 * same invocations): the path from s to cur went round bpf_loop. */
static int rounds_apart(const struct vstate *s, const struct vstate *cur)
{
	for (int i = 0; i < s->nframes && i < cur->nframes; i++)
		if (s->frames[i]->inv != cur->frames[i]->inv)
			return s->frames[i]->callback != 0;
	return 0;
}

/* A checkpoint at pc on cur's path from an earlier round of the same
 * bpf_loop: same frames, same arrival at the call. */
static int same_loop(const struct vstate *s, const struct vstate *cur)
{
	const struct frame *a = s->frames[s->nframes - 1];
	const struct frame *b = cur->frames[cur->nframes - 1];
	return s->nframes == cur->nframes && a->inv == b->inv &&
	       a->loop_inst == b->loop_inst;
}

/* At a bpf_loop call: a new arrival from the code before it starts a
 * loop of its own; a return from the callback may be widened after
 * WIDEN_AFTER rounds against the round before. */
static void loop_round(struct env *e, int pc)
{
	struct vstate *cur = e->cur;
	struct frame *top = cur->frames[cur->nframes - 1];
	if (!cur->reentry) {
		top->loop_inst = vf_new_id(e);
		return;
	}
	cur->reentry = 0;
	const struct vstate *last = NULL;
	int rounds = 0;
	for (const struct vstate *p = cur->parent; p; p = p->parent)
		if (p->pc == pc && same_loop(p, cur)) {
			if (!last)
				last = p;
			rounds++;
		}
	if (last && rounds >= WIDEN_AFTER)
		vf_st_widen(last, cur);
}

/* 1: pruned (the path ends), 0: go on (a checkpoint was stored). */
static int visit(struct env *e, int pc)
{
	struct visited *v = &e->seen[pc];
	uint16_t live[BPFTK_MAX_CALL_DEPTH];
	int cb = vf_is_callback_call(e, pc), reentry = e->cur->reentry;
	/* a caller's registers matter from the instruction after its call;
	 * a callback's caller goes on at the bpf_loop call itself */
	for (int i = 0; i < e->cur->nframes; i++) {
		const struct frame *callee =
			i + 1 < e->cur->nframes ? e->cur->frames[i + 1] : NULL;
		live[i] = !callee	      ? e->live[pc]
			  : callee->callback ? e->live[callee->callsite]
					      : e->live[callee->callsite + 1];
	}
	if (cb)
		loop_round(e, pc);
	for (int i = 0; i < v->n; i++) {
		struct vstate *s = v->v[i];
		/* only a finished checkpoint knows which slots its walk
		 * read */
		int fin = s->branches == 0;
		if (!vf_st_covers(s, e->cur, live, fin)) {
			/* finished checkpoints that keep missing cost
			 * time and memory and are dropped (only pruning
			 * is lost, never soundness) */
			if (++s->misses > 3 * s->hits + 16 && s->branches == 0) {
				free_checkpoint(e, s);
				v->v[i--] = v->v[--v->n];
			}
			continue;
		}
		s->hits++;
		if (fin) {
			/* what the walk below s read, the walk below the
			 * pruned state would have read too */
			for (int f = 0; f < e->cur->nframes; f++)
				vf_stack_read(e, f, s->frames[f]->read);
			return 1;
		}
		int anc = is_ancestor(e->cur, s);
		if (cb && reentry && anc && same_loop(s, e->cur)) {
			/* the rounds converged; s's walk is still open, so
			 * any slot may be read below it */
			for (int f = 0; f < e->cur->nframes; f++)
				vf_stack_read(e, f, ~(uint64_t)0);
			return 1;
		}
		if (anc && !rounds_apart(s, e->cur) &&
		    vf_st_covers(e->cur, s, live, 0))
			return vf_reject(e, pc, -EACCES,
				      "infinite loop: the program comes back "
				      "to instruction %d in the same state, "
				      "so nothing bounds the loop; make the "
				      "loop condition depend on a counter "
				      "with a known limit",
				      pc);
	}
	/* a checkpoint every few instructions is enough: a loop comes
	 * back here again and gets one then (not bpf_loop's rounds, which
	 * converge only by meeting a checkpoint of their own, nor the
	 * states after the call, each round's, which mostly cover each
	 * other) */
	if (e->processed - e->last_store < 8 && e->last_store && !cb &&
	    !(pc > 0 && vf_is_callback_call(e, pc - 1)))
		return 0;
	if (e->nstates >= MAX_STATES)
		return vf_reject(e, pc, -E2BIG,
			      "program too complex: more than %d states "
			      "stored at branch points",
			      MAX_STATES);
	if (v->n == v->cap) {
		int cap = v->cap ? 2 * v->cap : 4;
		struct vstate **a = bpftk_realloc(v->v, (size_t)cap *
							 sizeof(*a));
		if (!a)
			return -ENOMEM;
		v->v = a;
		v->cap = cap;
	}
	struct vstate *c = vf_st_copy(e->cur);
	if (!c)
		return -ENOMEM;
	c->parent = e->cur->parent;
	c->branches = 1;
	c->pc = pc;
	c->hits = c->misses = 0;
	for (int f = 0; f < c->nframes; f++) {
		c->frames[f]->read = 0;
		e->cur->frames[f]->written = 0; /* a new segment starts */
	}
	v->v[v->n++] = c;
	e->cur->parent = c;
	e->last_store = e->processed;
	e->res->stats.states_total++;
	if (++e->nstates > e->res->stats.states_peak)
		e->res->stats.states_peak = e->nstates;
	return 0;
}

static void note_facts(struct env *e, int pc)
{
	const struct bpftk_insn *in = &e->insns[pc];
	struct bpftk_verify_insn_facts *f = &e->res->facts[pc];
	unsigned cls = BPFTK_CLASS(in->code);
	unsigned uses = bpftk_isa_form_uses((enum bpftk_form)form_of(in));
	if (!(uses & BPFTK_WRITES_DST) || cls == BPFTK_CLASS_ST ||
	    cls == BPFTK_CLASS_STX || cls == BPFTK_CLASS_JMP)
		return;
	const struct reg *r = &vf_cur_frame(e)->regs[in->dst];
	int known = r->type == T_SCALAR && vsc_is_const(&r->v);
	/* le64/be64 are of the 32-bit class but give all 64 bits */
	int end64 = form_of(in) == BPFTK_FORM_END && in->imm == 64;
	if ((cls == BPFTK_CLASS_ALU && !end64) ||
	    (cls == BPFTK_CLASS_LDX && BPFTK_MEM_BYTES(in->code) < 8 &&
	     (in->code & 0xe0) == 0x60))
		f->zext_done = 1;
	/* dst_known: 1 = one value so far; a second value clears it; the
	 * `reachable` counter is 1 on the first visit */
	if (f->reachable == 1 && !f->dst_known && f->dst_value == 0 && known) {
		f->dst_known = 1;
		f->dst_value = r->v.b64.umin;
	} else if (!known || (f->dst_known && f->dst_value != r->v.b64.umin)) {
		f->dst_known = 0;
		f->dst_value = 1; /* marks "varies" */
	}
}

static int init_state(struct env *e)
{
	struct vstate *s = vf_st_new();
	if (!s)
		return -ENOMEM;
	s->frames[0] = vf_frame_new(-1, 0);
	if (!s->frames[0]) {
		vf_st_free(s);
		return -ENOMEM;
	}
	s->frames[0]->inv = ++e->next_inv;
	s->nframes = 1;
	struct frame *f = s->frames[0];
	f->regs[BPFTK_REG_FP].type = T_STACK;
	f->regs[BPFTK_REG_FP].v = vsc_const(0);
	f->regs[1].v = vsc_const(0);
	if (e->pt->model == BPFTK_CTX_MODEL_CTX) {
		f->regs[1].type = T_CTX;
	} else {
		f->regs[1].type = T_MEM;
		f->regs[1].range = e->o.raw_mem_size;
		vf_reg_mark_const(&f->regs[2], e->o.raw_mem_size);
	}
	e->cur = s;
	return 0;
}

static int step(struct env *e, int pc, int *next)
{
	const struct bpftk_insn *in = &e->insns[pc];
	int f = form_of(in);
	*next = pc + 1;
	switch (f) {
	case BPFTK_FORM_LDDW:
		*next = pc + 2;
		return vf_check_alu(e, pc);
	case BPFTK_FORM_ALU_K:
	case BPFTK_FORM_ALU_X:
	case BPFTK_FORM_NEG:
	case BPFTK_FORM_END:
		return vf_check_alu(e, pc);
	case BPFTK_FORM_LDABS:
	case BPFTK_FORM_LDIND:
	case BPFTK_FORM_LDX:
	case BPFTK_FORM_ST:
	case BPFTK_FORM_STX:
	case BPFTK_FORM_ATOMIC:
		return vf_check_mem(e, pc);
	case BPFTK_FORM_JA:
	case BPFTK_FORM_JA32:
		*next = (int)bpftk_isa_target(e->insns, (size_t)pc);
		return 0;
	case BPFTK_FORM_JCC_K:
	case BPFTK_FORM_JCC_X:
		return vf_check_cond_jmp(e, pc, next);
	case BPFTK_FORM_CALL:
	case BPFTK_FORM_CALLX:
		return vf_check_call(e, pc, next);
	case BPFTK_FORM_EXIT: {
		int done = 0;
		int err = vf_check_exit(e, pc, next, &done);
		if (!err && done)
			*next = -1;
		return err;
	}
	default:
		return vf_internal_error(e, pc, "instruction form not handled");
	}
}

static int walk(struct env *e)
{
	uint64_t limit = e->o.insn_limit ? e->o.insn_limit : BPFTK_VERIFY_INSN_LIMIT;
	int pc = 0, err = init_state(e);
	if (err)
		return err;
	for (;;) {
		if (pc < 0) {
			end_path(e);
			if (!e->nstack)
				return 0;
			e->cur = e->stack[--e->nstack];
			pc = e->cur->pc;
			continue;
		}
		if (e->prune[pc]) {
			err = visit(e, pc);
			if (err < 0)
				return err;
			if (err == 1) {
				pc = -1;
				continue;
			}
		}
		if (++e->processed > limit)
			return vf_reject(e, pc, -E2BIG,
				      "program too complex: the walk of all "
				      "paths passed %llu instructions; loops "
				      "with many iterations and many "
				      "independent branches multiply paths",
				      (unsigned long long)limit);
		struct bpftk_verify_insn_facts *fa = &e->res->facts[pc];
		if (fa->reachable < 255)
			fa->reachable++;
		if (e->o.flags & BPFTK_VERIFY_LOG_STATES)
			vf_log_state(e, pc);
		int next;
		err = step(e, pc, &next);
		if (err)
			return err;
		if (next >= 0 && e->cur)
			note_facts(e, pc);
		pc = next;
	}
}

/* Every chain of calls, dead code included, as the kernel checks them:
 * at most BPFTK_MAX_CALL_DEPTH frames, and the stack of the chain (each
 * function's deepest use, rounded up to 32 bytes) within 512 bytes.  A
 * function whose address is taken (a callback) counts as called from
 * where that happens, as in the kernel. */
static int check_call_chains(struct env *e, int sub, int frames, int stack)
{
	const struct subprog *sp = &e->subs[sub];
	int d = sp->max_depth > 0 ? sp->max_depth : 1;
	stack += (d + 31) & ~31;
	if (stack > BPFTK_STACK_SIZE)
		return vf_reject(e, sp->start, -EACCES,
			      "the call chain reaching this function uses %d "
			      "bytes of stack in all (combined stack size of "
			      "its frames, each rounded up to 32), more than "
			      "%d",
			      stack, BPFTK_STACK_SIZE);
	for (int pc = sp->start; pc < sp->end; pc++) {
		enum bpftk_op op = bpftk_isa_lookup(&e->insns[pc]);
		if (op != BPFTK_OP_CALL_LOCAL && op != BPFTK_OP_LDDW_FUNC)
			continue;
		int t = vf_find_subprog(e, (int)bpftk_isa_target(e->insns,
							      (size_t)pc));
		if (t < 0)
			continue;
		if (frames + 1 > BPFTK_MAX_CALL_DEPTH)
			return vf_reject(e, pc, -EACCES,
				      "this call makes a chain of %d nested "
				      "functions (call stack too deep; at "
				      "most %d), counting calls in code that "
				      "never runs too",
				      frames + 1, BPFTK_MAX_CALL_DEPTH);
		int err = check_call_chains(e, t, frames + 1, stack);
		if (err)
			return err;
	}
	return 0;
}

/* ---- the pipeline --------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int check_type(struct env *e)
{
	e->pt = bpftk_progtype_get_attach(e->o.type,
					  e->o.expected_attach_type);
	if (!e->pt) {
		bpftk_diags_add(e->d, BPFTK_SEV_ERROR, NULL, 0, 0, e->name, -1,
				"program type %d is not supported by bpftk's "
				"verifier (it knows raw, socket_filter, "
				"kprobe, sched_cls, sched_act, tracepoint, "
				"xdp, perf_event, cgroup_skb, cgroup_sock, "
				"sock_ops, sk_skb, raw_tracepoint, sk_lookup, "
				"and cgroup_sock_addr with the attach type of "
				"one of its hooks)",
				(int)e->o.type);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void cleanup(struct env *e)
{
	if (e->cur)
		vf_st_free(e->cur);
	for (int i = 0; i < e->nstack; i++)
		vf_st_free(e->stack[i]);
	bpftk_free(e->stack);
	if (e->seen)
		for (int i = 0; i < e->n; i++) {
			for (int j = 0; j < e->seen[i].n; j++)
				vf_st_free(e->seen[i].v[j]);
			bpftk_free(e->seen[i].v);
		}
	bpftk_free(e->seen);
	bpftk_free(e->hist);
	bpftk_free(e->subs);
	bpftk_free(e->prune);
	bpftk_free(e->base_kind);
	bpftk_free(e->live);
	bpftk_buf_free(&e->msg);
}

int bpftk_verify(const struct bpftk_insn *insns, size_t n,
		 const struct bpftk_verify_opts *opts,
		 struct bpftk_verify_result **out, struct bpftk_diags *d)
{
	struct env env, *e = &env;
	uint64_t t0 = now_ns();
	int err;

	if (out)
		*out = NULL;
	memset(e, 0, sizeof(*e));
	if (!insns || !n || n > 1000000 || !opts)
		return -EINVAL;
	err = bpftk_opts_copy(&e->o, sizeof(e->o), opts);
	if (err)
		return err;
	if (e->o.nmaps && !e->o.maps)
		return -EINVAL;
	err = bpftk_verify_check_helpers(e->o.helpers, e->o.nhelpers, d);
	if (err)
		return err;
	e->insns = insns;
	e->n = (int)n;
	e->d = d;
	e->name = e->o.name ? e->o.name
			    : e->o.prog ? bpftk_object_prog_name(e->o.prog)
					: NULL;
	e->res = bpftk_calloc(1, sizeof(*e->res));
	e->prune = bpftk_calloc(n, 1);
	e->base_kind = bpftk_calloc(n, 1);
	e->seen = bpftk_calloc(n, sizeof(*e->seen));
	if (!e->res || !e->prune || !e->seen || !e->base_kind) {
		err = -ENOMEM;
		goto out;
	}
	e->res->facts = bpftk_calloc(n, sizeof(*e->res->facts));
	e->res->n = n;
	if (!e->res->facts) {
		err = -ENOMEM;
		goto out;
	}

	err = check_type(e);
	if (err)
		goto out;
	err = bpftk_isa_validate(insns, n, d, e->name);
	if (err)
		goto out;
	err = find_subprogs(e);
	if (err)
		goto out;
	err = check_cfg(e);
	if (err)
		goto out;
	err = vf_compute_liveness(e);
	if (err)
		goto out;
	err = walk(e);
	if (err)
		goto out;
	err = check_call_chains(e, 0, 1, 0);
	if (err)
		goto out;

out:
	if (e->err && err != -ENOMEM)
		err = e->err;
	if (e->res) {
		struct bpftk_verify_stats *s = &e->res->stats;
		s->insns_processed = e->processed;
		s->nfuncs = (uint32_t)(e->nsubs < 8 ? e->nsubs : 8);
		for (uint32_t i = 0; i < s->nfuncs; i++)
			s->stack_depth[i] = (uint32_t)e->subs[i].max_depth;
		for (size_t i = 0; e->res->facts && i < n; i++)
			if (e->res->facts[i].reachable) {
				e->res->facts[i].reachable = 1;
				if (!e->res->facts[i].dst_known)
					e->res->facts[i].dst_value = 0;
			}
		s->time_ns = now_ns() - t0;
	}
	cleanup(e);
	if (out && e->res && err != -ENOMEM && err != -EINVAL)
		*out = e->res;
	else
		bpftk_verify_result_free(e->res);
	return err;
}

void bpftk_verify_result_free(struct bpftk_verify_result *res)
{
	if (!res)
		return;
	bpftk_free(res->facts);
	bpftk_free(res);
}

const struct bpftk_verify_stats *
bpftk_verify_result_stats(const struct bpftk_verify_result *res)
{
	return res ? &res->stats : NULL;
}

struct bpftk_verify_insn_facts
bpftk_verify_result_facts(const struct bpftk_verify_result *res, size_t pc)
{
	struct bpftk_verify_insn_facts f;
	memset(&f, 0, sizeof(f));
	if (res && pc < res->n)
		f = res->facts[pc];
	return f;
}
