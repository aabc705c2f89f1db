/* obj_api.c — read-only accessors of an open object, its programs and its
 * maps.  Everything returned is borrowed from the object (see object.h);
 * nothing here allocates.
 */
#include <errno.h>
#include <string.h>

#include "obj_int.h"

const char *bpftk_object_name(const struct bpftk_object *o)
{
	return o->name;
}

const char *bpftk_object_filename(const struct bpftk_object *o)
{
	return o->filename;
}

const struct bpftk_elf *bpftk_object_elf(const struct bpftk_object *o)
{
	return o->elf;
}

const char *bpftk_object_license(const struct bpftk_object *o)
{
	return o->license;
}

int bpftk_object_kversion(const struct bpftk_object *o, uint32_t *version)
{
	if (!o->has_version)
		return -ENOENT;
	if (version)
		*version = o->kversion;
	return 0;
}

/* ---- programs -------------------------------------------------------------- */

size_t bpftk_object_prog_count(const struct bpftk_object *o)
{
	return o->nprogs;
}

const struct bpftk_object_prog *bpftk_object_prog_at(const struct bpftk_object *o,
						     size_t i)
{
	return i < o->nprogs ? &o->progs[i] : NULL;
}

const struct bpftk_object_prog *
bpftk_object_prog_find(const struct bpftk_object *o, const char *name)
{
	for (size_t i = 0; name && i < o->nprogs; i++)
		if (!strcmp(o->progs[i].name, name))
			return &o->progs[i];
	return NULL;
}

size_t bpftk_object_prog_index(const struct bpftk_object_prog *p)
{
	return p->index;
}

const char *bpftk_object_prog_name(const struct bpftk_object_prog *p)
{
	return p->name;
}

const char *bpftk_object_prog_section(const struct bpftk_object_prog *p)
{
	return p->section;
}

enum bpftk_prog_type bpftk_object_prog_type(const struct bpftk_object_prog *p)
{
	return p->type;
}

int bpftk_object_prog_attach_type(const struct bpftk_object_prog *p)
{
	return p->attach_type;
}

enum bpftk_sec_match
bpftk_object_prog_sec_match(const struct bpftk_object_prog *p)
{
	return p->match;
}

const struct bpftk_insn *bpftk_object_prog_insns(const struct bpftk_object_prog *p,
						 size_t *n)
{
	if (n)
		*n = p->n;
	return p->insns;
}

size_t bpftk_object_prog_main_insn_cnt(const struct bpftk_object_prog *p)
{
	return p->obj->funcs[p->func].n;
}

size_t bpftk_object_prog_section_offset(const struct bpftk_object_prog *p)
{
	return p->obj->funcs[p->func].off * 8;
}

size_t bpftk_object_prog_func_count(const struct bpftk_object_prog *p)
{
	return p->npieces;
}

int bpftk_object_prog_func(const struct bpftk_object_prog *p, size_t i,
			   struct bpftk_object_func *f)
{
	if (i >= p->npieces)
		return -ERANGE;
	const struct obj_func *fn = &p->obj->funcs[p->pieces[i].func];
	f->name = fn->name;
	f->section = obj_sec_name(p->obj, fn->sec);
	f->insn = p->pieces[i].at;
	f->n = fn->n;
	f->btf_type_id = p->func_btf ? p->func_btf[i] : 0;
	return 0;
}

static void fill_line(const struct obj_line *l, struct bpftk_object_line *out)
{
	out->file = l->file;
	out->text = l->text;
	out->line = l->line;
	out->col = l->col;
	out->insn = l->insn;
}

int bpftk_object_prog_line(const struct bpftk_object_prog *p, size_t insn,
			   struct bpftk_object_line *line)
{
	if (insn >= p->n || !p->nlines)
		return -ENOENT;
	/* the piece holding insn */
	size_t k = 0;
	while (k + 1 < p->npieces && p->pieces[k + 1].at <= insn)
		k++;
	/* last line record at or before insn */
	size_t lo = 0, hi = p->nlines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->lines[mid].insn <= insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || p->lines[lo - 1].piece != k)
		return -ENOENT;
	fill_line(&p->lines[lo - 1], line);
	return 0;
}

size_t bpftk_object_prog_line_count(const struct bpftk_object_prog *p)
{
	return p->nlines;
}

int bpftk_object_prog_line_at(const struct bpftk_object_prog *p, size_t i,
			      struct bpftk_object_line *line)
{
	if (i >= p->nlines)
		return -ERANGE;
	fill_line(&p->lines[i], line);
	return 0;
}

/* ---- maps ------------------------------------------------------------------ */

size_t bpftk_object_map_count(const struct bpftk_object *o)
{
	return o->nmaps;
}

const struct bpftk_object_map *bpftk_object_map_at(const struct bpftk_object *o,
						   size_t i)
{
	return i < o->nmaps ? &o->maps[i] : NULL;
}

const struct bpftk_object_map *bpftk_object_map_find(const struct bpftk_object *o,
						     const char *name)
{
	for (size_t i = 0; name && i < o->nmaps; i++)
		if (!strcmp(o->maps[i].name, name))
			return &o->maps[i];
	return NULL;
}

long bpftk_object_map_index(const struct bpftk_object_map *m)
{
	return m->index;
}

const char *bpftk_object_map_name(const struct bpftk_object_map *m)
{
	return m->name;
}

enum bpftk_object_map_kind bpftk_object_map_kind(const struct bpftk_object_map *m)
{
	return m->kind;
}

const char *bpftk_object_map_section(const struct bpftk_object_map *m)
{
	return m->section;
}

uint32_t bpftk_object_map_type(const struct bpftk_object_map *m)
{
	return m->type;
}

uint32_t bpftk_object_map_key_size(const struct bpftk_object_map *m)
{
	return m->key_size;
}

uint32_t bpftk_object_map_value_size(const struct bpftk_object_map *m)
{
	return m->value_size;
}

uint32_t bpftk_object_map_max_entries(const struct bpftk_object_map *m)
{
	return m->max_entries;
}

uint32_t bpftk_object_map_flags(const struct bpftk_object_map *m)
{
	return m->flags;
}

uint32_t bpftk_object_map_numa_node(const struct bpftk_object_map *m)
{
	return m->numa_node;
}

uint32_t bpftk_object_map_pinning(const struct bpftk_object_map *m)
{
	return m->pinning;
}

uint64_t bpftk_object_map_extra(const struct bpftk_object_map *m)
{
	return m->map_extra;
}

uint32_t bpftk_object_map_btf_key_type_id(const struct bpftk_object_map *m)
{
	return m->btf_key_type_id;
}

uint32_t bpftk_object_map_btf_value_type_id(const struct bpftk_object_map *m)
{
	return m->btf_value_type_id;
}

int64_t bpftk_object_map_spin_lock_off(const struct bpftk_object_map *m)
{
	return m->has_spin_lock ? (int64_t)m->spin_lock_off : -1;
}

const uint32_t *bpftk_object_map_legacy_extra(const struct bpftk_object_map *m,
					      size_t *n)
{
	if (n)
		*n = m->nextra;
	return m->extra;
}

/* Inner templates and list maps are both maps; a list map's inner is found
 * through the object the list belongs to, which the map does not point
 * to — so inner_index is resolved relative to the map's own position. */
const struct bpftk_object_map *
bpftk_object_map_inner(const struct bpftk_object_map *m)
{
	if (m->inner)
		return m->inner;
	if (m->inner_index < 0 || m->index < 0)
		return NULL;
	return m + (m->inner_index - m->index);
}

const void *bpftk_object_map_initial_data(const struct bpftk_object_map *m,
					  size_t *len)
{
	if (len)
		*len = m->data ? m->value_size : 0;
	return m->data;
}

size_t bpftk_object_map_slot_count(const struct bpftk_object_map *m)
{
	return m->nslots;
}

int bpftk_object_map_slot(const struct bpftk_object_map *m, size_t i,
			  struct bpftk_object_slot *s)
{
	if (i >= m->nslots)
		return -ERANGE;
	*s = m->slots[i];
	return 0;
}
