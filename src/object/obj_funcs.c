/* obj_funcs.c — functions carved out of code sections, and which of them
 * are program entry points.
 *
 * A function is an STT_FUNC symbol of a code section: its value is where it
 * starts, its size how long it is (0 means "up to the next function or the
 * end of the section", as hand-written assembly leaves it).  A code section
 * without function symbols (clang before BTF, the kernel samples) is one
 * function named after the global symbol at its start, or after the section.
 *
 * Entry points, like libbpf: the global functions of every code section
 * but .text, and sections without function symbols.  .text functions are
 * subprograms — except in objects whose only code is .text (test objects of
 * other verifiers), where the global .text functions are the programs.
 * Static functions outside .text are subprograms of their section.
 *
 * Invariant on return: o->funcs sorted by (section, offset), each inside its
 * section on an instruction boundary, none overlapping; o->progs created in
 * the same order with name, section and type; instructions are copies that
 * the relocation phase edits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "obj_int.h"

static int cmp_func(const void *a, const void *b)
{
	const struct obj_func *x = a, *y = b;
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return 0;
}

static int add_func(struct obj_ctx *c, size_t *cap, const char *name,
		    size_t sec, size_t off, size_t n, int global)
{
	struct bpftk_object *o = c->o;
	if (o->nfuncs == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct obj_func *f = bpftk_realloc(o->funcs, nc * sizeof(*f));
		if (!f)
			return obj_nomem(c);
		o->funcs = f;
		*cap = nc;
	}
	struct obj_func *f = &o->funcs[o->nfuncs++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->sec = sec;
	f->off = off;
	f->n = n;
	f->global = global;
	return 0;
}

/* Name of a section without function symbols: the lowest-numbered global
 * symbol at its start, else the section's own name. */
static const char *whole_section_name(const struct bpftk_object *o,
				      size_t sec)
{
	size_t n = bpftk_elf_symbol_count(o->elf);
	for (size_t i = 1; i < n; i++) {
		struct bpftk_elf_sym s;
		bpftk_elf_symbol(o->elf, i, &s);
		if (s.shndx == sec && s.value == 0 && s.name[0] &&
		    s.type != BPFTK_STT_SECTION && s.type != BPFTK_STT_FILE &&
		    s.bind != BPFTK_STB_LOCAL)
			return s.name;
	}
	return obj_sec_name(o, sec);
}

static int collect_symbols(struct obj_ctx *c, size_t *cap)
{
	struct bpftk_object *o = c->o;
	size_t nsyms = bpftk_elf_symbol_count(o->elf);
	for (size_t i = 1; i < nsyms; i++) {
		struct bpftk_elf_sym s;
		bpftk_elf_symbol(o->elf, i, &s);
		if (s.type != BPFTK_STT_FUNC || s.shndx == 0 ||
		    s.shndx >= o->nsecs || o->sec_kind[s.shndx] != SEC_CODE)
			continue;
		if (s.value % 8 || s.size % 8) {
			obj_err(c, NULL, -1,
				"function '%s' in section '%s' (offset 0x%" PRIx64
				", size 0x%" PRIx64
				") is not on 8-byte instruction boundaries",
				s.name, obj_sec_name(o, s.shndx), s.value,
				s.size);
			continue;
		}
		int err = add_func(c, cap, s.name, s.shndx,
				   (size_t)(s.value / 8), (size_t)(s.size / 8),
				   s.bind != BPFTK_STB_LOCAL);
		if (err)
			return err;
	}
	return 0;
}

/* Sections without any function symbol become one function each. */
static int whole_sections(struct obj_ctx *c, size_t *cap)
{
	struct bpftk_object *o = c->o;
	size_t have = o->nfuncs;
	for (size_t sec = 1; sec < o->nsecs; sec++) {
		if (o->sec_kind[sec] != SEC_CODE)
			continue;
		int found = 0;
		for (size_t k = 0; k < have && !found; k++)
			found = o->funcs[k].sec == sec;
		if (found)
			continue;
		struct bpftk_elf_shdr s;
		bpftk_elf_section(o->elf, sec, &s);
		int err = add_func(c, cap, whole_section_name(o, sec), sec, 0,
				   (size_t)(s.size / 8), 1);
		if (err)
			return err;
	}
	return 0;
}

/* Sizes of 0 reach the next function; overlaps are errors. */
static void settle_sizes(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	for (size_t i = 0; i < o->nfuncs; i++) {
		struct obj_func *f = &o->funcs[i];
		struct bpftk_elf_shdr s;
		bpftk_elf_section(o->elf, f->sec, &s);
		size_t end = (size_t)(s.size / 8);
		struct obj_func *next = i + 1 < o->nfuncs &&
						o->funcs[i + 1].sec == f->sec
					? &o->funcs[i + 1]
					: NULL;
		if (next)
			end = next->off;
		if (f->n == 0)
			f->n = end > f->off ? end - f->off : 0;
		if (f->n == 0)
			obj_err(c, NULL, -1,
				"function '%s' in section '%s' has no "
				"instructions",
				f->name, s.name);
		else if (next && f->off + f->n > next->off)
			obj_err(c, NULL, -1,
				"functions '%s' and '%s' overlap in section "
				"'%s' (instructions %zu..%zu and %zu..)",
				f->name, next->name, s.name, f->off,
				f->off + f->n - 1, next->off);
	}
}

/* Copies each function's slots out of its section. */
static int copy_insns(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	size_t i = 0;
	while (i < o->nfuncs) {
		size_t sec = o->funcs[i].sec;
		struct bpftk_insn *all = NULL;
		size_t n = 0;
		int err = bpftk_elf_section_insns(o->elf, sec, &all, &n, c->d);
		if (err)
			return err == -ENOMEM ? obj_nomem(c) : err;
		for (; i < o->nfuncs && o->funcs[i].sec == sec; i++) {
			struct obj_func *f = &o->funcs[i];
			f->insns = bpftk_calloc(f->n, sizeof(*f->insns));
			if (!f->insns) {
				bpftk_elf_buf_free(all);
				return obj_nomem(c);
			}
			memcpy(f->insns, all + f->off, f->n * sizeof(*all));
		}
		bpftk_elf_buf_free(all);
	}
	return 0;
}

static int make_progs(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	int only_text = 1;
	for (size_t i = 0; i < o->nfuncs; i++)
		if (o->funcs[i].sec != o->text_sec)
			only_text = 0;
	size_t n = 0;
	for (size_t i = 0; i < o->nfuncs; i++) {
		struct obj_func *f = &o->funcs[i];
		f->entry = f->global && (f->sec != o->text_sec || only_text);
		n += (size_t)f->entry;
	}
	o->progs = bpftk_calloc(n ? n : 1, sizeof(*o->progs));
	if (!o->progs)
		return obj_nomem(c);
	for (size_t i = 0; i < o->nfuncs; i++) {
		struct obj_func *f = &o->funcs[i];
		if (!f->entry)
			continue;
		struct bpftk_object_prog *p = &o->progs[o->nprogs];
		p->obj = o;
		p->index = o->nprogs++;
		p->name = f->name;
		p->section = obj_sec_name(o, f->sec);
		p->func = i;
		p->match = bpftk_object_sec_type(p->section, &p->type,
						 &p->attach_type);
	}
	return 0;
}

int obj_funcs_collect(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	size_t cap = 0;
	int err = collect_symbols(c, &cap);
	if (!err)
		err = whole_sections(c, &cap);
	if (err)
		return err;
	if (o->nfuncs)
		qsort(o->funcs, o->nfuncs, sizeof(*o->funcs), cmp_func);
	settle_sizes(c);
	if (c->errors)
		return -EINVAL;
	err = copy_insns(c);
	if (!err)
		err = make_progs(c);
	return err;
}
