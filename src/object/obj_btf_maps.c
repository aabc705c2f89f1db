/* obj_btf_maps.c — maps described by BTF: the ".maps" section, the
 * initial slots of map-in-map and program-array `values`, and the
 * ".kconfig" map of extern variables.
 *
 * A BTF-defined map is a variable of the DATASEC ".maps" whose type is a
 * struct; each member encodes one attribute, as libbpf's bpf_helpers.h
 * macros write them:
 *   __uint(name, N)   int (*name)[N]   the number is the array's length
 *   __type(name, T)   T *name          key/value: the size of T
 *   __array(values, struct inner)      struct inner *values[]  (last member)
 * Member names: type, max_entries, map_flags, numa_node, key_size, key,
 * value_size, value, values, pinning, map_extra; others are ignored (libbpf
 * does the same outside strict mode).  `values` makes a map of maps (the
 * struct is the inner map definition, kept as a template named
 * "<outer>.inner") or a program array (the pointer is to a function
 * prototype); relocations of .maps at `values` slots name the maps or
 * programs to put there initially.
 *
 * kconfig externs are laid out as libbpf lays them out: sorted by alignment
 * (largest first), then size (smallest first), then name, each at the next
 * offset its alignment allows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "obj_int.h"

#define MAX_RESOLVE 32

/* Skips const/volatile/restrict/type tags and typedefs; NULL when the
 * chain is broken or too long.  *id gets the id of what is found. */
static const struct btf_type *skip_mods(const struct btf *b, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(b, *id);
	for (int depth = 0; t && depth < MAX_RESOLVE; depth++) {
		if (!btf_is_mod(t) && !btf_is_typedef(t))
			return t;
		*id = t->type;
		t = btf__type_by_id(b, *id);
	}
	return NULL;
}

static const char *kind_str(const struct btf_type *t)
{
	static const char *const k[] = {
		"void",	    "int",     "ptr",	   "array",    "struct",
		"union",    "enum",    "fwd",	   "typedef",  "volatile",
		"const",    "restrict", "func",	   "func_proto", "var",
		"datasec",  "float",   "decl_tag", "type_tag", "enum64"};
	unsigned kd = t ? btf_kind(t) : 0;
	return kd < sizeof(k) / sizeof(k[0]) ? k[kd] : "unknown";
}

static const char *name_of(const struct btf *b, uint32_t off)
{
	const char *n = btf__name_by_offset(b, off);
	return n ? n : "";
}

struct mctx {
	struct obj_ctx *c;
	const struct btf *b;
	const char *map;
};

/* The kernel learns where a value's struct bpf_spin_lock is from the
 * value's BTF (a direct member of that struct type); the verifier needs it
 * to check bpf_spin_lock's argument, the map to refuse other writes of it.
 * Two locks in one value are refused, as Linux refuses the map. */
static int find_spin_lock(struct mctx *x, struct bpftk_object_map *m)
{
	uint32_t id = m->btf_value_type_id;
	const struct btf_type *t = id ? skip_mods(x->b, &id) : NULL;
	if (!t || !btf_is_struct(t))
		return 0;
	const struct btf_member *mb = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		uint32_t mid = mb[i].type;
		const struct btf_type *mt = skip_mods(x->b, &mid);
		if (!mt || !btf_is_struct(mt) ||
		    strcmp(name_of(x->b, mt->name_off), "bpf_spin_lock"))
			continue;
		if (m->has_spin_lock) {
			obj_err(x->c, NULL, -1, "map '%s': the value holds "
				"more than one struct bpf_spin_lock", x->map);
			return -EINVAL;
		}
		uint32_t bits = btf_member_bit_offset(t, i);
		if (bits % 32) {
			obj_err(x->c, NULL, -1, "map '%s': struct "
				"bpf_spin_lock at bit %u is not 4-aligned",
				x->map, bits);
			return -EINVAL;
		}
		m->has_spin_lock = 1;
		m->spin_lock_off = bits / 8;
	}
	return 0;
}

/* __uint(): pointer to an array whose length is the value. */
static int get_uint(struct mctx *x, const struct btf_member *mb,
		    uint32_t *val)
{
	uint32_t id = mb->type;
	const struct btf_type *t = skip_mods(x->b, &id);
	const char *n = name_of(x->b, mb->name_off);
	if (!t || !btf_is_ptr(t)) {
		obj_err(x->c, NULL, -1, "map '%s': attribute '%s': expected "
			"a pointer to an array (__uint), got %s",
			x->map, n, kind_str(t));
		return -1;
	}
	const struct btf_type *a = btf__type_by_id(x->b, t->type);
	if (!a || !btf_is_array(a)) {
		obj_err(x->c, NULL, -1, "map '%s': attribute '%s': expected "
			"a pointer to an array (__uint), got a pointer to %s",
			x->map, n, kind_str(a));
		return -1;
	}
	*val = btf_array(a)->nelems;
	return 0;
}

/* __type(): pointer to the type; its size and id. */
static int get_type(struct mctx *x, const struct btf_member *mb,
		    uint32_t *size, uint32_t *type_id)
{
	const struct btf_type *t = btf__type_by_id(x->b, mb->type);
	const char *n = name_of(x->b, mb->name_off);
	if (!t || !btf_is_ptr(t)) {
		obj_err(x->c, NULL, -1, "map '%s': %s spec is not a pointer "
			"(__type), got %s",
			x->map, n, kind_str(t));
		return -1;
	}
	long long sz = obj_btf_size(x->c->o, t->type);
	if (sz < 0 || sz > UINT32_MAX) {
		obj_err(x->c, NULL, -1, "map '%s': cannot determine the size "
			"of the %s type [%u]",
			x->map, n, t->type);
		return -1;
	}
	*size = (uint32_t)sz;
	*type_id = t->type;
	return 0;
}

static int set_size(struct mctx *x, const char *what, uint32_t *have,
		    uint32_t v)
{
	if (*have && *have != v) {
		obj_err(x->c, NULL, -1, "map '%s': conflicting %s size %u != "
			"%u",
			x->map, what, *have, v);
		return -1;
	}
	*have = v;
	return 0;
}

static int parse_def(struct mctx *x, const struct btf_type *def,
		     struct bpftk_object_map *m, int inner);

static int is_map_in_map(uint32_t t)
{
	return t == MAP_TYPE_ARRAY_OF_MAPS || t == MAP_TYPE_HASH_OF_MAPS;
}

/* `values`: a zero-length array of pointers, last member. */
static int parse_values(struct mctx *x, const struct btf_member *mb,
			int last, struct bpftk_object_map *m, int inner)
{
	int mim = is_map_in_map(m->type);
	int pa = m->type == MAP_TYPE_PROG_ARRAY;
	if (inner) {
		obj_err(x->c, NULL, -1, "map '%s': multi-level inner maps "
			"are not supported", x->map);
		return -1;
	}
	if (!last) {
		obj_err(x->c, NULL, -1, "map '%s': 'values' must be the last "
			"member", x->map);
		return -1;
	}
	if (!mim && !pa) {
		obj_err(x->c, NULL, -1, "map '%s': 'values' needs a map of "
			"maps or a program array (type %u)", x->map, m->type);
		return -1;
	}
	if (set_size(x, "value", &m->value_size, 4))
		return -1;
	const struct btf_type *t = btf__type_by_id(x->b, mb->type);
	if (!t || !btf_is_array(t) || btf_array(t)->nelems) {
		obj_err(x->c, NULL, -1, "map '%s': 'values' is not a "
			"zero-sized array", x->map);
		return -1;
	}
	uint32_t id = btf_array(t)->type;
	t = skip_mods(x->b, &id);
	if (!t || !btf_is_ptr(t)) {
		obj_err(x->c, NULL, -1, "map '%s': 'values' holds %s, "
			"expected pointers", x->map, kind_str(t));
		return -1;
	}
	id = t->type;
	t = skip_mods(x->b, &id);
	if (pa) {
		if (!t || !btf_is_func_proto(t)) {
			obj_err(x->c, NULL, -1, "map '%s': program-array "
				"'values' point to %s, expected a function "
				"prototype", x->map, kind_str(t));
			return -1;
		}
		return 0;
	}
	if (!t || !btf_is_struct(t)) {
		obj_err(x->c, NULL, -1, "map '%s': inner map definition is "
			"%s, expected a struct", x->map, kind_str(t));
		return -1;
	}
	struct bpftk_object_map *in = bpftk_calloc(1, sizeof(*in));
	if (!in)
		return obj_nomem(x->c);
	m->inner = in;
	in->index = -1;
	in->inner_index = -1;
	in->kind = BPFTK_OBJ_MAP_BTF;
	in->section = m->section;
	in->sec = m->sec;
	in->sec_off = m->sec_off;
	in->def_size = t->size;
	size_t len = strlen(x->map) + sizeof(".inner");
	in->name = bpftk_malloc(len);
	if (!in->name)
		return obj_nomem(x->c);
	snprintf(in->name, len, "%s.inner", x->map);
	struct mctx y = {x->c, x->b, in->name};
	return parse_def(&y, t, in, 1);
}

static int parse_def(struct mctx *x, const struct btf_type *def,
		     struct bpftk_object_map *m, int inner)
{
	const struct btf_member *mb = btf_members(def);
	unsigned vlen = btf_vlen(def);
	for (unsigned i = 0; i < vlen; i++, mb++) {
		const char *n = name_of(x->b, mb->name_off);
		uint32_t v = 0, sz = 0, id = 0;
		int bad = 0;
		if (!strcmp(n, "type")) {
			bad = get_uint(x, mb, &m->type);
		} else if (!strcmp(n, "max_entries")) {
			bad = get_uint(x, mb, &m->max_entries);
		} else if (!strcmp(n, "map_flags")) {
			bad = get_uint(x, mb, &m->flags);
		} else if (!strcmp(n, "numa_node")) {
			bad = get_uint(x, mb, &m->numa_node);
		} else if (!strcmp(n, "key_size")) {
			bad = get_uint(x, mb, &v) ||
			      set_size(x, "key", &m->key_size, v);
		} else if (!strcmp(n, "value_size")) {
			bad = get_uint(x, mb, &v) ||
			      set_size(x, "value", &m->value_size, v);
		} else if (!strcmp(n, "key")) {
			bad = get_type(x, mb, &sz, &id) ||
			      set_size(x, "key", &m->key_size, sz);
			m->btf_key_type_id = id;
		} else if (!strcmp(n, "value")) {
			bad = get_type(x, mb, &sz, &id) ||
			      set_size(x, "value", &m->value_size, sz);
			m->btf_value_type_id = id;
		} else if (!strcmp(n, "values")) {
			bad = parse_values(x, mb, i == vlen - 1, m, inner);
		} else if (!strcmp(n, "pinning")) {
			bad = get_uint(x, mb, &m->pinning);
			if (!bad && inner) {
				obj_err(x->c, NULL, -1, "map '%s': an inner "
					"map definition cannot be pinned",
					x->map);
				bad = 1;
			} else if (!bad && m->pinning > 1) {
				obj_err(x->c, NULL, -1, "map '%s': invalid "
					"pinning value %u (0 none, 1 by name)",
					x->map, m->pinning);
				bad = 1;
			}
		} else if (!strcmp(n, "map_extra")) {
			bad = get_uint(x, mb, &v);
			m->map_extra = v;
		}
		if (bad)
			return x->c->nomem ? -ENOMEM : -EINVAL;
	}
	if (m->type == 0) {
		obj_err(x->c, NULL, -1, "map '%s': map type is not specified",
			x->map);
		return -EINVAL;
	}
	return find_spin_lock(x, m);
}

static int btf_map(struct obj_ctx *c, const struct btf_var_secinfo *vs,
		   uint64_t sec_size)
{
	struct bpftk_object *o = c->o;
	const struct btf *b = o->btf;
	const struct btf_type *var = btf__type_by_id(b, vs->type);
	if (!var || !btf_is_var(var)) {
		obj_err(c, NULL, -1, "'.maps' entry [%u] is %s, expected a "
			"variable", vs->type, kind_str(var));
		return -EINVAL;
	}
	const char *name = name_of(b, var->name_off);
	uint32_t linkage = btf_var(var)->linkage;
	if (linkage != BTF_VAR_GLOBAL_ALLOCATED && linkage != BTF_VAR_STATIC) {
		obj_err(c, NULL, -1, "map '%s': unsupported variable linkage "
			"%u (an extern map needs linking)", name, linkage);
		return -EINVAL;
	}
	uint32_t id = var->type;
	const struct btf_type *def = skip_mods(b, &id);
	if (!def || !btf_is_struct(def)) {
		obj_err(c, NULL, -1, "map '%s': definition is %s, expected a "
			"struct", name, kind_str(def));
		return -EINVAL;
	}
	/* Where the variable is and how far it reaches: initial `values`
	 * slots extend it past the struct's (flexible-array) size. */
	uint64_t off = vs->offset, size = vs->size;
	long si = obj_sym_by_name(o, name, o->btf_maps_sec);
	if (si > 0) {
		struct bpftk_elf_sym s;
		bpftk_elf_symbol(o->elf, (size_t)si, &s);
		off = s.value;
		if (s.size > size)
			size = s.size;
	}
	if (size < def->size)
		size = def->size;
	if (off > sec_size || size > sec_size - off) {
		obj_err(c, NULL, -1, "map '%s': definition (offset %" PRIu64
			", %" PRIu64 " bytes) lies outside section '.maps' (%"
			PRIu64 " bytes)", name, off, size, sec_size);
		return -EINVAL;
	}
	struct bpftk_object_map *m = obj_map_add(c);
	if (!m)
		return -ENOMEM;
	m->kind = BPFTK_OBJ_MAP_BTF;
	m->section = ".maps";
	m->sec = o->btf_maps_sec;
	m->sec_off = off;
	m->def_size = size;
	m->btf_var_type = vs->type;
	m->name = bpftk_strdup(name);
	if (!m->name)
		return obj_nomem(c);
	struct mctx x = {c, b, m->name};
	return parse_def(&x, def, m, 0);
}

int obj_btf_maps(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	if (!o->btf_maps_sec)
		return 0;
	struct bpftk_elf_shdr s;
	bpftk_elf_section(o->elf, o->btf_maps_sec, &s);
	if (!o->btf) {
		obj_err(c, NULL, -1, "section '.maps' holds BTF-defined maps, "
			"but the object has no usable .BTF (compile with -g)");
		return -EINVAL;
	}
	uint32_t ds = obj_btf_datasec(o, ".maps");
	if (!ds) {
		if (s.size)
			obj_err(c, NULL, -1, "section '.maps' has no DATASEC "
				"'.maps' in .BTF describing it");
		return c->errors ? -EINVAL : 0;
	}
	const struct btf_type *t = btf__type_by_id(o->btf, ds);
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, vs++) {
		int err = btf_map(c, vs, s.size);
		if (err == -ENOMEM)
			return err;
	}
	return c->errors ? -EINVAL : 0;
}

/* ---- initial slots (.rel.maps) --------------------------------------------- */

static struct bpftk_object_map *map_at(struct bpftk_object *o, uint64_t off)
{
	for (size_t i = 0; i < o->nmaps; i++) {
		struct bpftk_object_map *m = &o->maps[i];
		if (m->kind == BPFTK_OBJ_MAP_BTF && m->sec_off <= off &&
		    off - m->sec_off < m->def_size &&
		    m->def_size - (off - m->sec_off) >= 8)
			return m;
	}
	return NULL;
}

/* Byte offset of the `values` member of m's definition, or -1. */
static long values_offset(const struct bpftk_object *o,
			  const struct bpftk_object_map *m)
{
	const struct btf_type *var = btf__type_by_id(o->btf, m->btf_var_type);
	uint32_t id = var->type;
	const struct btf_type *def = skip_mods(o->btf, &id);
	unsigned vlen = btf_vlen(def);
	if (!vlen)
		return -1;
	const struct btf_member *mb = btf_members(def) + vlen - 1;
	if (strcmp(name_of(o->btf, mb->name_off), "values"))
		return -1;
	return (long)(btf_member_bit_offset(def, vlen - 1) / 8);
}

static long slot_target(struct obj_ctx *c, const struct bpftk_object_map *m,
			const struct bpftk_elf_sym *s, size_t k)
{
	struct bpftk_object *o = c->o;
	const char *sn = obj_sym_name(o, s);
	if (is_map_in_map(m->type)) {
		if (s->shndx != o->btf_maps_sec) {
			obj_err(c, NULL, -1, ".maps relocation %zu: '%s' is not "
				"a BTF-defined map", k, sn);
			return -1;
		}
		if (m->type == MAP_TYPE_HASH_OF_MAPS && m->key_size != 4) {
			obj_err(c, NULL, -1, ".maps relocation %zu: hash of "
				"maps '%s' must have 4-byte keys", k, m->name);
			return -1;
		}
		for (size_t i = 0; i < o->nmaps; i++)
			if (o->maps[i].kind == BPFTK_OBJ_MAP_BTF &&
			    o->maps[i].sec_off == s->value)
				return (long)i;
		obj_err(c, NULL, -1, ".maps relocation %zu: '%s' is not a "
			"map", k, sn);
		return -1;
	}
	for (size_t i = 0; i < o->nprogs; i++) {
		const struct obj_func *f = &o->funcs[o->progs[i].func];
		if (f->sec == s->shndx && (uint64_t)f->off * 8 == s->value)
			return (long)i;
	}
	obj_err(c, NULL, -1, ".maps relocation %zu: '%s' is not an entry-point "
		"program", k, sn);
	return -1;
}

static int set_slot(struct obj_ctx *c, size_t k, const struct bpftk_elf_rel *r)
{
	struct bpftk_object *o = c->o;
	struct bpftk_object_map *m = map_at(o, r->offset);
	if (!m) {
		obj_err(c, NULL, -1, ".maps relocation %zu at offset %" PRIu64
			" is not inside a map definition", k, r->offset);
		return 0;
	}
	long voff = m->type == MAP_TYPE_PROG_ARRAY || is_map_in_map(m->type)
			    ? values_offset(o, m)
			    : -1;
	uint64_t rel = r->offset - m->sec_off;
	if (voff < 0 || rel < (uint64_t)voff || (rel - (uint64_t)voff) % 8) {
		obj_err(c, NULL, -1, ".maps relocation %zu: offset %" PRIu64
			" of map '%s' is not a slot of its 'values'",
			k, r->offset, m->name);
		return 0;
	}
	size_t slot = (size_t)((rel - (uint64_t)voff) / 8);
	struct bpftk_elf_sym s;
	bpftk_elf_symbol(o->elf, r->sym, &s);
	long t = slot_target(c, m, &s, k);
	if (t < 0)
		return 0;
	if (slot >= m->nslots) {
		struct bpftk_object_slot *v =
			bpftk_realloc(m->slots, (slot + 1) * sizeof(*v));
		if (!v)
			return obj_nomem(c);
		memset(v + m->nslots, 0, (slot + 1 - m->nslots) * sizeof(*v));
		m->slots = v;
		m->nslots = slot + 1;
	}
	m->slots[slot].kind = is_map_in_map(m->type) ? BPFTK_OBJ_SLOT_MAP
						     : BPFTK_OBJ_SLOT_PROG;
	m->slots[slot].index = (size_t)t;
	return 0;
}

int obj_map_slots(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	if (!o->btf_maps_sec)
		return 0;
	size_t n = bpftk_elf_reloc_count(o->elf, o->btf_maps_sec);
	for (size_t k = 0; k < n; k++) {
		struct bpftk_elf_rel r;
		bpftk_elf_reloc(o->elf, o->btf_maps_sec, k, &r);
		if (r.type == BPFTK_R_BPF_NONE)
			continue;
		int err = set_slot(c, k, &r);
		if (err)
			return err;
	}
	return c->errors ? -EINVAL : 0;
}

/* ---- kconfig ------------------------------------------------------------- */

static int cmp_kcfg(const void *a, const void *b)
{
	const struct obj_kcfg *x = a, *y = b;
	if (x->align != y->align)
		return x->align > y->align ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

int obj_kconfig_map(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	uint32_t ds = obj_btf_datasec(o, ".kconfig");
	if (!ds)
		return 0;
	const struct btf_type *t = btf__type_by_id(o->btf, ds);
	unsigned n = btf_vlen(t);
	if (!n)
		return 0;
	o->kcfg = bpftk_calloc(n, sizeof(*o->kcfg));
	if (!o->kcfg)
		return obj_nomem(c);
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	for (unsigned i = 0; i < n; i++, vs++) {
		const struct btf_type *var = btf__type_by_id(o->btf, vs->type);
		if (!var || !btf_is_var(var)) {
			obj_err(c, NULL, -1, "'.kconfig' entry [%u] is %s, "
				"expected a variable", vs->type, kind_str(var));
			continue;
		}
		const char *name = name_of(o->btf, var->name_off);
		long long sz = obj_btf_size(o, var->type);
		int al = obj_btf_align(o, var->type);
		if (sz <= 0 || sz > UINT32_MAX || al <= 0) {
			obj_err(c, NULL, -1, "kconfig extern '%s': cannot "
				"determine the size of its type", name);
			continue;
		}
		struct obj_kcfg *k = &o->kcfg[o->nkcfg++];
		k->name = name;
		k->size = (uint32_t)sz;
		k->align = (uint32_t)al;
	}
	if (c->errors)
		return -EINVAL;
	qsort(o->kcfg, o->nkcfg, sizeof(*o->kcfg), cmp_kcfg);
	uint64_t off = 0;
	for (size_t i = 0; i < o->nkcfg; i++) {
		struct obj_kcfg *k = &o->kcfg[i];
		off = (off + k->align - 1) / k->align * k->align;
		k->off = (uint32_t)off;
		off += k->size;
		if (off > OBJ_DATA_LIMIT) {
			obj_err(c, NULL, -1, "kconfig externs need more than "
				"the loader's limit of %u bytes", OBJ_DATA_LIMIT);
			return -EINVAL;
		}
	}
	struct bpftk_object_map *m = obj_map_add(c);
	if (!m)
		return -ENOMEM;
	o->kcfg_map = m->index;
	m->kind = BPFTK_OBJ_MAP_KCONFIG;
	m->section = "";
	m->type = MAP_TYPE_ARRAY;
	m->key_size = 4;
	m->value_size = (uint32_t)off;
	m->max_entries = 1;
	m->flags = BPFTK_MAP_F_RDONLY_PROG;
	m->btf_value_type_id = ds;
	if (obj_btf_datasec_has_global(o, ds))
		m->flags |= BPFTK_MAP_F_MMAPABLE;
	m->name = obj_internal_name(o->name, ".kconfig");
	m->data = bpftk_calloc((size_t)off ? (size_t)off : 1, 1);
	if (!m->name || !m->data)
		return obj_nomem(c);
	return 0;
}
