/* verify_object.c — verifying a program of an opened object: its maps
 * become struct bpftk_verify_map entries (indexed like the lddw imm of
 * BPFTK_PSEUDO_MAP_IDX), its type, names and line info come along.
 */
#include <string.h>

#include <bpftk/object.h>

#include "verifier_int.h"

int bpftk_verify_object_prog(const struct bpftk_object *obj,
			     const struct bpftk_object_prog *prog,
			     const struct bpftk_verify_opts *opts,
			     struct bpftk_verify_result **out,
			     struct bpftk_diags *d)
{
	struct bpftk_verify_opts o;
	size_t n = 0, nmaps;
	int err;

	if (out)
		*out = NULL;
	if (!obj || !prog)
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	if (opts) {
		err = bpftk_opts_copy(&o, sizeof(o), opts);
		if (err)
			return err;
	} else {
		o.type = bpftk_object_prog_type(prog);
		o.expected_attach_type = bpftk_object_prog_attach_type(prog);
	}
	o.sz = sizeof(o);
	const struct bpftk_insn *insns = bpftk_object_prog_insns(prog, &n);
	nmaps = bpftk_object_map_count(obj);
	struct bpftk_verify_map *maps =
		bpftk_calloc(nmaps ? nmaps * 2 : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	size_t ntempl = 0;
	for (size_t i = 0; i < nmaps; i++) {
		const struct bpftk_object_map *m = bpftk_object_map_at(obj, i);
		struct bpftk_verify_map *v = &maps[i];
		v->type = bpftk_object_map_type(m);
		v->key_size = bpftk_object_map_key_size(m);
		v->value_size = bpftk_object_map_value_size(m);
		v->max_entries = bpftk_object_map_max_entries(m);
		v->flags = bpftk_object_map_flags(m);
		v->name = bpftk_object_map_name(m);
		v->inner = -1;
		v->spin_lock_off = (int32_t)bpftk_object_map_spin_lock_off(m);
		const struct bpftk_object_map *in = bpftk_object_map_inner(m);
		if (in) {
			long idx = bpftk_object_map_index(in);
			if (idx < 0) {
				/* a template owned by the outer map */
				idx = (long)(nmaps + ntempl++);
				struct bpftk_verify_map *t = &maps[idx];
				t->type = bpftk_object_map_type(in);
				t->key_size = bpftk_object_map_key_size(in);
				t->value_size = bpftk_object_map_value_size(in);
				t->max_entries =
					bpftk_object_map_max_entries(in);
				t->flags = bpftk_object_map_flags(in);
				t->name = bpftk_object_map_name(in);
				t->inner = -1;
				t->spin_lock_off =
					(int32_t)bpftk_object_map_spin_lock_off(in);
			}
			v->inner = (int32_t)idx;
		}
	}
	o.maps = maps;
	o.nmaps = nmaps + ntempl;
	o.prog = prog;
	if (!o.name)
		o.name = bpftk_object_prog_name(prog);
	err = bpftk_verify(insns, n, &o, out, d);
	bpftk_free(maps);
	return err;
}
