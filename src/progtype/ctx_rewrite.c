/* ctx_rewrite.c — checks every context access against the program type's
 * descriptor and rewrites it for the runtime's struct bpftk_ctx (what the
 * kernel's convert_ctx_access does at load time).
 *
 * Invariants: a rewritten program reads packet pointers as 64-bit values
 * from struct bpftk_ctx; every other context access keeps its offset,
 * because struct bpftk_ctx starts with a mirror of the user-visible struct.
 * An access is allowed only when it fits one field (or one stretch of an
 * array field), has the field's size (narrower loads where the field
 * allows them, naturally aligned), and the field grants that direction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/progtype.h>

#include "../util/util_int.h"

static int check_one(const struct bpftk_progtype *pt, struct bpftk_insn *in,
		     uint8_t mark, long pc, const char *prog,
		     struct bpftk_diags *d)
{
	unsigned size = BPFTK_MEM_BYTES(in->code);
	int store = mark == BPFTK_CTX_ACC_STORE;
	int off = in->off;
	const struct bpftk_ctx_field *f =
		off >= 0 ? bpftk_progtype_field(pt, (uint32_t)off, size) : NULL;
	const char *why = NULL;
	if (!f)
		why = "no field there";
	else if (store && !(f->access & BPFTK_CTX_WRITE))
		why = "the field is read-only";
	else if (!store && !(f->access & BPFTK_CTX_READ))
		why = "the field may not be read";
	else if ((unsigned)off % size)
		why = "misaligned";
	else if (f->kind != BPFTK_CTX_PLAIN &&
		 (size != f->size || (unsigned)off != f->off))
		why = "packet pointers are read whole (4 bytes)";
	else if (f->count == 1 && size != f->size &&
		 (store || !(f->access & BPFTK_CTX_NARROW) || size > f->size))
		why = store ? "stores must write the whole field"
			    : "narrow loads of this field are not allowed";
	else if (f->count > 1 && size > 8)
		why = "too wide";
	if (why) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, pc,
				"invalid bpf_context access off=%d size=%u "
				"(%s%s%s%s: %s)",
				off, size, pt->ctx_struct ? pt->ctx_struct : "",
				f ? "." : "", f ? f->name : "",
				store ? ", store" : "", why);
		return -EINVAL;
	}
	if (f->kind != BPFTK_CTX_PLAIN) {
		/* ldxw dst, [ctx + off] -> ldxdw dst, [ctx + pointer field] */
		in->code = bpftk_isa_info(BPFTK_OP_LDXDW)->code;
		in->off = f->kind == BPFTK_CTX_PKT_DATA	  ? BPFTK_CTX_OFF_DATA
			  : f->kind == BPFTK_CTX_PKT_END ? BPFTK_CTX_OFF_DATA_END
						  : BPFTK_CTX_OFF_DATA_META;
	}
	return 0;
}

int bpftk_progtype_rewrite(const struct bpftk_progtype *pt,
			   struct bpftk_insn *insns, size_t n,
			   const char *prog, struct bpftk_diags *d)
{
	if (!pt || (!insns && n))
		return -EINVAL;
	if (!n || pt->model != BPFTK_CTX_MODEL_CTX)
		return 0; /* raw: r1 is plain memory, nothing to rewrite */
	uint8_t *marks = bpftk_malloc(n);
	if (!marks)
		return -ENOMEM;
	int err = bpftk_progtype_ctx_accesses(insns, n, marks, prog, d);
	if (err) {
		bpftk_free(marks);
		return err;
	}
	for (size_t pc = 0; pc < n; pc++) {
		if (!marks[pc])
			continue;
		if (check_one(pt, &insns[pc], marks[pc], (long)pc, prog, d))
			err = -EINVAL;
	}
	bpftk_free(marks);
	return err;
}
