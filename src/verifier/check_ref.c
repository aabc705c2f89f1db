/* check_ref.c — resources a program must give back, and pointers that a
 * helper call makes stale.
 *
 * A ring buffer reservation is a reference: vf_ref_acquire gives it an id
 * (kept in the state's list and in the pointer), bpf_ringbuf_submit or
 * bpf_ringbuf_discard release it, after which every copy of the pointer is
 * unusable; the program may not end while one is held.  (A reservation
 * that came back NULL holds nothing: check_jmp drops it on that side.)
 * Helpers that may move or resize the packet make every packet pointer
 * stale (vf_invalidate_pkt): the program must load data/data_end again.
 */
#include "verifier_int.h"

int vf_ref_acquire(struct env *e, int pc, uint32_t *id)
{
	struct vstate *s = e->cur;
	if (s->nrefs == MAX_REFS)
		return vf_reject(e, pc, -EACCES,
			      "more than %d ring buffer reservations held at "
			      "once",
			      MAX_REFS);
	*id = vf_new_id(e);
	s->refs[s->nrefs] = *id;
	s->ref_insn[s->nrefs++] = pc;
	return 0;
}

static void drop(struct reg *r, void *arg)
{
	uint32_t id = *(uint32_t *)arg;
	if (r->type != T_SCALAR && r->ref == id)
		vf_reg_mark_not_init(r);
}

int vf_ref_release(struct env *e, int pc, uint32_t id)
{
	struct vstate *s = e->cur;
	for (int i = 0; i < s->nrefs; i++)
		if (s->refs[i] == id) {
			s->refs[i] = s->refs[--s->nrefs];
			s->ref_insn[i] = s->ref_insn[s->nrefs];
			vf_st_for_each_reg(s, drop, &id);
			return 0;
		}
	return vf_reject(e, pc, -EACCES,
		      "releases a ring buffer sample that is not held (already "
		      "submitted or discarded?)");
}

int vf_ref_check_exit(struct env *e, int pc)
{
	struct vstate *s = e->cur;
	if (s->nrefs)
		return vf_reject(e, pc, -EACCES,
			      "the program ends while still holding the ring "
			      "buffer sample reserved at insn %d (unreleased "
			      "reference): call bpf_ringbuf_submit or "
			      "bpf_ringbuf_discard on every path",
			      s->ref_insn[0]);
	if (s->lock_map >= 0)
		return vf_reject(e, pc, -EACCES,
			      "the program ends while holding the spin lock of "
			      "map %d: call bpf_spin_unlock on every path",
			      s->lock_map);
	return 0;
}

static void stale(struct reg *r, void *arg)
{
	(void)arg;
	if (r->type == T_PKT || r->type == T_PKT_END || r->type == T_PKT_META)
		vf_reg_mark_unknown(r);
}

void vf_invalidate_pkt(struct env *e)
{
	vf_st_for_each_reg(e->cur, stale, NULL);
}
