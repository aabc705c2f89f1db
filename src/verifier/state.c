/* state.c — abstract machine states: creation, copies, and the two
 * comparisons the walk needs.
 *
 * Pruning (vf_st_covers): a checkpoint `old` at an instruction was explored
 * to the end without a fault; a new state `cur` at the same instruction
 * may stop there when every concrete machine state `cur` describes is also
 * described by `old`.  Register by register and stack byte by byte: an
 * unset register or byte in old covers anything (old's walk never read
 * it, or it would have failed); pointers must be the same kind of pointer
 * with ranges inside old's; ids that tie registers together (null checks
 * and packet ranges refine every register of an id at once) must tie cur's
 * registers at least as much, checked with a map from old ids to cur ids.
 */
#include <string.h>

#include "verifier_int.h"

struct frame *vf_frame_new(int callsite, int subprog)
{
	struct frame *f = bpftk_calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->callsite = callsite;
	f->subprog = subprog;
	return f;
}

struct vstate *vf_st_new(void)
{
	struct vstate *s = bpftk_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->lock_map = -1;
	s->hist = -1;
	return s;
}

void vf_st_free(struct vstate *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nframes; i++)
		bpftk_free(s->frames[i]);
	bpftk_free(s);
}

struct vstate *vf_st_copy(const struct vstate *s)
{
	struct vstate *c = bpftk_malloc(sizeof(*c));
	if (!c)
		return NULL;
	*c = *s;
	for (int i = 0; i < s->nframes; i++) {
		c->frames[i] = bpftk_malloc(sizeof(struct frame));
		if (!c->frames[i]) {
			c->nframes = i;
			vf_st_free(c);
			return NULL;
		}
		memcpy(c->frames[i], s->frames[i], sizeof(struct frame));
	}
	return c;
}

void vf_reg_mark_not_init(struct reg *r)
{
	memset(r, 0, sizeof(*r));
}

void vf_reg_mark_unknown(struct reg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = T_SCALAR;
	r->v = vsc_unknown();
}

void vf_reg_mark_const(struct reg *r, uint64_t v)
{
	memset(r, 0, sizeof(*r));
	r->type = T_SCALAR;
	r->v = vsc_const(v);
}

#define MAX_IDMAP 64

struct idmap {
	uint32_t old[MAX_IDMAP], cur[MAX_IDMAP];
	int n;
};

static int ids_match(struct idmap *m, uint32_t old, uint32_t cur)
{
	for (int i = 0; i < m->n; i++)
		if (m->old[i] == old)
			return m->cur[i] == cur;
	if (m->n == MAX_IDMAP)
		return 0;
	m->old[m->n] = old;
	m->cur[m->n++] = cur;
	return 1;
}

static int reg_covers(const struct reg *old, const struct reg *cur,
		      struct idmap *ids, struct idmap *refs)
{
	if (old->type == T_NOT_INIT)
		return 1;
	if (old->type != cur->type)
		return 0;
	if (old->type == T_SCALAR)
		return vsc_subset(&old->v, &cur->v);
	if (old->maybe_null != cur->maybe_null || old->off != cur->off ||
	    old->map != cur->map || old->frame != cur->frame)
		return 0;
	if (old->type == T_PKT || old->type == T_PKT_META) {
		if (old->range > cur->range)
			return 0;
	} else if (old->range != cur->range) {
		return 0;
	}
	if (!vsc_subset(&old->v, &cur->v))
		return 0;
	/* +1: packet pointers use id 0 as a real group */
	if (!ids_match(ids, old->id + 1, cur->id + 1))
		return 0;
	return ids_match(refs, old->ref, cur->ref);
}

static int slot_covers(const struct slot *old, const struct slot *cur,
		       struct idmap *ids, struct idmap *refs)
{
	static const uint8_t unset[8];
	/* the common cases first: nothing written in old, or the same
	 * plain bytes in both */
	if (!memcmp(old->kind, unset, 8))
		return 1;
	if (old->kind[0] != S_SPILL && !memcmp(old->kind, cur->kind, 8))
		return 1;
	int spill_old = old->kind[0] == S_SPILL, spill_cur = cur->kind[0] ==
							      S_SPILL;
	if (spill_old) {
		if (!spill_cur)
			return 0;
		return reg_covers(&old->spill, &cur->spill, ids, refs);
	}
	for (int b = 0; b < 8; b++) {
		uint8_t k = old->kind[b], c = cur->kind[b];
		if (k == S_INVALID)
			continue;
		if (c == S_SPILL) {
			/* bytes of a spilled scalar are data; of a pointer,
			 * not */
			if (cur->spill.type != T_SCALAR)
				return 0;
			if (k == S_ZERO &&
			    !(vsc_is_const(&cur->spill.v) &&
			      cur->spill.v.b64.umin == 0))
				return 0;
			continue;
		}
		if (k == S_MISC && (c == S_MISC || c == S_ZERO))
			continue;
		if (k == S_ZERO && c == S_ZERO)
			continue;
		return 0;
	}
	return 1;
}

int vf_st_covers(const struct vstate *old, const struct vstate *cur,
		 const uint16_t *live, int use_read)
{
	struct idmap ids, refs;
	ids.n = refs.n = 0;
	if (old->nframes != cur->nframes || old->nrefs != cur->nrefs ||
	    old->lock_map != cur->lock_map)
		return 0;
	/* the lock is released through a register of the same id */
	if (old->lock_map >= 0 &&
	    !ids_match(&ids, old->lock_id + 1, cur->lock_id + 1))
		return 0;
	for (int i = 0; i < old->nrefs; i++)
		if (!ids_match(&refs, old->refs[i], cur->refs[i]))
			return 0;
	/* registers of every frame first: they differ most often */
	for (int i = 0; i < old->nframes; i++) {
		const struct frame *fo = old->frames[i], *fc = cur->frames[i];
		if (fo->callsite != fc->callsite || fo->callback != fc->callback)
			return 0;
		for (int r = 0; r < BPFTK_NREGS; r++) {
			if (live && !(live[i] >> r & 1))
				continue;
			if (!reg_covers(&fo->regs[r], &fc->regs[r], &ids, &refs))
				return 0;
		}
	}
	for (int i = 0; i < old->nframes; i++) {
		const struct frame *fo = old->frames[i], *fc = cur->frames[i];
		/* slots below old's deepest access were never written */
		int used = (fo->depth + 7) / 8;
		for (int sl = 0; sl < used && sl < NSLOTS; sl++) {
			if (use_read && !(fo->read >> sl & 1))
				continue; /* old's walk never read it */
			if (!slot_covers(&fo->slots[sl], &fc->slots[sl], &ids,
					 &refs))
				return 0;
		}
	}
	return 1;
}

/* A byte of a slot that holds data: written bytes, or a spilled
 * number. */
static int data_slot(const struct slot *s)
{
	if (s->kind[0] == S_SPILL)
		return s->spill.type == T_SCALAR;
	for (int b = 0; b < 8; b++)
		if (s->kind[b] != S_MISC && s->kind[b] != S_ZERO)
			return 0;
	return 1;
}

static void widen_reg(const struct reg *old, struct reg *cur)
{
	if (old->type == T_SCALAR && cur->type == T_SCALAR &&
	    !vsc_subset(&old->v, &cur->v))
		vf_reg_mark_unknown(cur);
}

/* Widening is what makes bpf_loop's rounds meet: a number the callback
 * changes each round (a sum, a counter with no bound of its own) would
 * otherwise give a new state every round up to the instruction limit.
 * Only numbers are widened; a pointer whose kind or offset keeps
 * changing is left for the walk to refuse. */
void vf_st_widen(const struct vstate *old, struct vstate *cur)
{
	if (old->nframes != cur->nframes)
		return;
	for (int i = 0; i < cur->nframes; i++) {
		const struct frame *fo = old->frames[i];
		struct frame *fc = cur->frames[i];
		if (fo->callsite != fc->callsite || fo->callback != fc->callback)
			return;
		for (int r = 0; r < BPFTK_NREGS; r++)
			widen_reg(&fo->regs[r], &fc->regs[r]);
		struct idmap ids, refs;
		for (int sl = 0; sl < NSLOTS; sl++) {
			const struct slot *so = &fo->slots[sl];
			struct slot *sc = &fc->slots[sl];
			ids.n = refs.n = 0;
			if (slot_covers(so, sc, &ids, &refs))
				continue;
			if (so->kind[0] == S_SPILL && sc->kind[0] == S_SPILL) {
				widen_reg(&so->spill, &sc->spill);
				continue;
			}
			/* old's unwritten bytes cover anything; the rest
			 * must be data on both sides */
			int ok = data_slot(sc);
			for (int b = 0; ok && b < 8 && so->kind[0] != S_SPILL;
			     b++)
				ok = so->kind[b] == S_INVALID ||
				     so->kind[b] == S_MISC ||
				     so->kind[b] == S_ZERO;
			if (so->kind[0] == S_SPILL && so->spill.type != T_SCALAR)
				ok = 0;
			if (!ok)
				continue;
			memset(sc->kind, S_MISC, 8);
			vf_reg_mark_not_init(&sc->spill);
		}
	}
}

int vf_st_equal(const struct vstate *a, const struct vstate *b,
		const uint16_t *live)
{
	return vf_st_covers(a, b, live, 0) && vf_st_covers(b, a, live, 0);
}
