/* embed_helpers.c — helpers an embedder adds (bpftk_verify_opts.helpers):
 * the rules their descriptors must follow before the verifier trusts
 * them, and the lookup that puts them beside bpftk's own table.
 *
 * Invariants: a descriptor that passed bpftk_verify_check_helpers has an
 * id the table does not have, so a lookup finds at most one descriptor
 * for an id and the order of the two searches does not matter; its
 * arguments are kinds check_call.c checks from the descriptor alone
 * (memory with its size, map arguments after their map), so no rule tied
 * to a built-in helper's id ever applies to it.
 */
#include "verifier_int.h"

static int bad(struct bpftk_diags *d, int err, const struct bpftk_helper *h,
	       size_t i, const char *why)
{
	bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
			"embedder helper %zu (bpf_%s, id %u): %s", i,
			h->name ? h->name : "?", h->id, why);
	return err;
}

static int is_mem(uint8_t k)
{
	return k == BPFTK_ARG_PTR_TO_MEM || k == BPFTK_ARG_PTR_TO_UNINIT_MEM;
}

static int is_size(uint8_t k)
{
	return k == BPFTK_ARG_CONST_SIZE || k == BPFTK_ARG_CONST_SIZE_OR_ZERO;
}

/* The argument list of one descriptor; NULL when it is fine, else why
 * not. */
static const char *check_args(const struct bpftk_helper *h)
{
	int map = 0, ended = 0;
	for (int i = 0; i < 5; i++) {
		uint8_t k = h->args[i];
		if (k == BPFTK_ARG_NONE) {
			ended = 1;
			continue;
		}
		if (ended)
			return "an argument follows BPFTK_ARG_NONE (NONE "
			       "marks the end of the list)";
		switch (k) {
		case BPFTK_ARG_ANYTHING:
		case BPFTK_ARG_PTR_TO_CTX:
		case BPFTK_ARG_PTR_TO_LONG:
			break;
		case BPFTK_ARG_CONST_MAP_PTR:
			if (map++)
				return "more than one map argument";
			break;
		case BPFTK_ARG_PTR_TO_MAP_KEY:
		case BPFTK_ARG_PTR_TO_MAP_VALUE:
		case BPFTK_ARG_PTR_TO_UNINIT_MAP_VALUE:
			if (!map)
				return "a map key or value argument without a "
				       "map argument before it";
			break;
		case BPFTK_ARG_PTR_TO_MEM:
		case BPFTK_ARG_PTR_TO_UNINIT_MEM:
			/* the size argument is what bounds the access */
			if (i == 4 || !is_size(h->args[i + 1]))
				return "a memory argument not followed by its "
				       "size (CONST_SIZE or "
				       "CONST_SIZE_OR_ZERO)";
			break;
		case BPFTK_ARG_CONST_SIZE:
		case BPFTK_ARG_CONST_SIZE_OR_ZERO:
			if (i == 0 || !is_mem(h->args[i - 1]))
				return "a size argument not right after a "
				       "memory argument";
			break;
		case BPFTK_ARG_PTR_TO_FUNC:
		case BPFTK_ARG_PTR_TO_STACK_OR_NULL:
		case BPFTK_ARG_PTR_TO_SPIN_LOCK:
		case BPFTK_ARG_PTR_TO_RINGBUF_MEM:
		case BPFTK_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		case BPFTK_ARG_PTR_TO_CONST_STR:
			return "an argument kind whose rules belong to "
			       "bpftk's own helpers (callbacks, spin locks, "
			       "ring buffer samples, constant strings)";
		default:
			return "an argument kind that does not exist";
		}
	}
	switch (h->ret) {
	case BPFTK_RET_INTEGER:
	case BPFTK_RET_VOID:
		return NULL;
	case BPFTK_RET_PTR_TO_MAP_VALUE_OR_NULL:
		return map ? NULL
			   : "returns a map value without a map argument";
	case BPFTK_RET_PTR_TO_RINGBUF_MEM_OR_NULL:
		return "returns a ring buffer sample (a reference only "
		       "bpftk's ring buffer helpers manage)";
	default:
		return "a return kind that does not exist";
	}
}

int bpftk_verify_check_helpers(const struct bpftk_helper *h, size_t n,
			       struct bpftk_diags *d)
{
	if (n && !h)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct bpftk_helper *x = &h[i];
		if (!x->name || !x->name[0])
			return bad(d, -EINVAL, x, i, "no name");
		if (x->id == 0 || x->id >= BPFTK_VM_MAX_HELPERS)
			return bad(d, -ERANGE, x, i,
				   "ids are 1..65535 (the vm's helper "
				   "numbers)");
		const struct bpftk_helper *own = bpftk_helper_get(x->id);
		if (own) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
					"embedder helper %zu (bpf_%s): id %u "
					"is bpftk's bpf_%s; an embedder's "
					"helper cannot replace one of bpftk's "
					"(ids from 0x1000 up are free)",
					i, x->name, x->id, own->name);
			return -EEXIST;
		}
		for (size_t j = 0; j < i; j++)
			if (h[j].id == x->id)
				return bad(d, -EEXIST, x, i,
					   "the id is given twice");
		if (!x->prog_types)
			return bad(d, -EINVAL, x, i,
				   "no program type may call it (prog_types "
				   "is 0)");
		const char *why = check_args(x);
		if (why)
			return bad(d, -EINVAL, x, i, why);
	}
	return 0;
}

const struct bpftk_helper *vf_helper(const struct env *e, uint32_t id)
{
	const struct bpftk_helper *h = bpftk_helper_get(id);
	if (h)
		return h;
	for (size_t i = 0; i < e->o.nhelpers; i++)
		if (e->o.helpers[i].id == id)
			return &e->o.helpers[i];
	return NULL;
}

int vf_helper_allowed(const struct env *e, const struct bpftk_helper *h)
{
	/* bpftk's own go through progtype.h, which owns that rule */
	if (bpftk_helper_get(h->id) == h)
		return bpftk_progtype_helper_allowed(e->pt, h->id);
	return (unsigned)e->pt->type < 64 &&
	       (h->prog_types & BPFTK_PT_BIT(e->pt->type)) != 0;
}
