/* obj_open.c — opening a BPF object: the pipeline of phases, the section
 * classification they all rely on, and closing.
 *
 * bpftk_object_open_mem() reads as the whole loader, one call per phase:
 *
 *   ELF          hardened section/symbol/relocation tables (elf_read.c)
 *   sections     license, version, code, map and data sections
 *   BTF          .BTF through libbpf's parser (optional unless maps need it)
 *   functions    carved out of code sections; entry points become programs
 *   maps         legacy, BTF-defined, global data, kconfig — libbpf's order
 *   map slots    `values` of map-in-map and program arrays (.rel.maps)
 *   relocations  map, data and function references inside each function
 *   link         subprograms appended to each program, calls fixed up
 *   BTF.ext      func_info and line_info mapped to final instructions
 *   validate     every program through bpftk_isa_validate()
 *
 * Each phase reports every problem it finds (up to a cap) before the open
 * fails, so one run shows all that is wrong with an object.  Invariant: a
 * phase only runs when every earlier phase succeeded, so it may rely on
 * their results without re-checking.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "obj_int.h"

/* A fuzzed object can be wrong in every one of thousands of relocations. */
#define MAX_ERRORS 20

void obj_err(struct obj_ctx *c, const char *prog, long insn, const char *fmt,
	     ...)
{
	c->errors++;
	if (c->errors > MAX_ERRORS)
		return;
	const char *file = c->o->filename;
	if (c->errors == MAX_ERRORS) {
		bpftk_diags_add(c->d, BPFTK_SEV_ERROR, file, 0, 0, NULL, -1,
				"too many errors, giving up");
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	bpftk_diags_vadd(c->d, BPFTK_SEV_ERROR, file, 0, 0, prog, insn, fmt,
			 ap);
	va_end(ap);
}

void obj_warn(struct obj_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bpftk_diags_vadd(c->d, BPFTK_SEV_WARNING, c->o->filename, 0, 0, NULL,
			 -1, fmt, ap);
	va_end(ap);
}

int obj_nomem(struct obj_ctx *c)
{
	c->nomem = 1;
	return -ENOMEM;
}

const char *obj_sec_name(const struct bpftk_object *o, size_t sec)
{
	struct bpftk_elf_shdr s;
	if (bpftk_elf_section(o->elf, sec, &s))
		return "?";
	return s.name;
}

const char *obj_sym_name(const struct bpftk_object *o,
			 const struct bpftk_elf_sym *s)
{
	if (s->name[0] || s->type != BPFTK_STT_SECTION)
		return s->name;
	return obj_sec_name(o, s->shndx);
}

struct bpftk_object_map *obj_map_add(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	if (o->nmaps == o->cap_maps) {
		size_t cap = o->cap_maps ? o->cap_maps * 2 : 8;
		struct bpftk_object_map *m =
			bpftk_realloc(o->maps, cap * sizeof(*m));
		if (!m) {
			obj_nomem(c);
			return NULL;
		}
		o->maps = m;
		o->cap_maps = cap;
	}
	struct bpftk_object_map *m = &o->maps[o->nmaps];
	memset(m, 0, sizeof(*m));
	m->index = (long)o->nmaps++;
	m->inner_index = -1;
	return m;
}

void obj_map_clear(struct bpftk_object_map *m)
{
	if (!m)
		return;
	bpftk_free(m->name);
	bpftk_free(m->slots);
	bpftk_free(m->data);
	if (m->inner) {
		obj_map_clear(m->inner);
		bpftk_free(m->inner);
	}
}

/* ---- sections ------------------------------------------------------------ */

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int is_data_name(const char *n)
{
	return !strcmp(n, ".data") || has_prefix(n, ".data.") ||
	       !strcmp(n, ".rodata") || has_prefix(n, ".rodata.");
}

/* Relocation sections are named after their target by every compiler and
 * linker; a mismatch means the section table was damaged. */
static void check_rel_name(struct obj_ctx *c, const struct bpftk_elf_shdr *s)
{
	const char *t = obj_sec_name(c->o, s->info);
	const char *n = s->name;
	if (has_prefix(n, ".rela"))
		n += 5;
	else if (has_prefix(n, ".rel"))
		n += 4;
	else
		return;
	if (strcmp(n, t))
		obj_err(c, NULL, -1,
			"relocation section %zu '%s' applies to section %u "
			"'%s', whose name it should carry (damaged section "
			"table?)",
			s->index, s->name, s->info, t);
}

static void read_license(struct obj_ctx *c, const struct bpftk_elf_shdr *s)
{
	struct bpftk_object *o = c->o;
	if (o->license)
		return;
	size_t n = 0;
	const char *p = (const char *)s->data;
	while (p && n < s->size && p[n])
		n++;
	o->license = bpftk_strndup(p ? p : "", n);
	if (!o->license)
		obj_nomem(c);
}

static void read_version(struct obj_ctx *c, const struct bpftk_elf_shdr *s)
{
	struct bpftk_object *o = c->o;
	if (s->size != 4 || !s->data) {
		obj_err(c, NULL, -1,
			"section %zu 'version' has %llu bytes, expected a "
			"4-byte kernel version",
			s->index, (unsigned long long)s->size);
		return;
	}
	o->kversion = (uint32_t)(o->big ? (uint32_t)s->data[0] << 24 |
						  (uint32_t)s->data[1] << 16 |
						  (uint32_t)s->data[2] << 8 |
						  s->data[3]
					: (uint32_t)s->data[3] << 24 |
						  (uint32_t)s->data[2] << 16 |
						  (uint32_t)s->data[1] << 8 |
						  s->data[0]);
	o->has_version = 1;
}

static int classify_sections(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	o->nsecs = bpftk_elf_section_count(o->elf);
	o->big = bpftk_elf_big_endian(o->elf);
	o->sec_kind = bpftk_calloc(o->nsecs, sizeof(*o->sec_kind));
	o->sec_map = bpftk_calloc(o->nsecs, sizeof(*o->sec_map));
	if (!o->sec_kind || !o->sec_map)
		return obj_nomem(c);
	for (size_t i = 0; i < o->nsecs; i++)
		o->sec_map[i] = -1;
	for (size_t i = 1; i < o->nsecs; i++) {
		struct bpftk_elf_shdr s;
		bpftk_elf_section(o->elf, i, &s);
		const char *n = s.name;
		int bytes = s.type == BPFTK_SHT_PROGBITS && s.size > 0;
		if (s.type == BPFTK_SHT_REL || s.type == BPFTK_SHT_RELA) {
			check_rel_name(c, &s);
		} else if (!strcmp(n, "license")) {
			read_license(c, &s);
		} else if (!strcmp(n, "version")) {
			read_version(c, &s);
		} else if (bytes && (s.flags & BPFTK_SHF_EXECINSTR)) {
			o->sec_kind[i] = SEC_CODE;
			if (!strcmp(n, ".text"))
				o->text_sec = i;
		} else if (bytes &&
			   (!strcmp(n, "maps") || has_prefix(n, "maps/"))) {
			o->sec_kind[i] = SEC_LEGACY_MAPS;
		} else if (!strcmp(n, ".maps") && s.type != BPFTK_SHT_NOBITS) {
			if (o->btf_maps_sec) {
				obj_err(c, NULL, -1,
					"more than one '.maps' section "
					"(sections %zu and %zu)",
					o->btf_maps_sec, i);
				continue;
			}
			o->sec_kind[i] = SEC_BTF_MAPS;
			o->btf_maps_sec = i;
		} else if ((bytes && is_data_name(n)) ||
			   (s.type == BPFTK_SHT_NOBITS && s.size > 0 &&
			    !strcmp(n, ".bss"))) {
			o->sec_kind[i] = SEC_DATA;
		}
	}
	if (c->nomem)
		return -ENOMEM;
	return c->errors ? -EINVAL : 0;
}

/* ---- validation ----------------------------------------------------------- */

/* The ISA validator reports without a file name; its messages are copied
 * into the caller's list with the object's name added. */
static int validate_progs(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	struct bpftk_diags *tmp = bpftk_diags_new();
	if (!tmp)
		return obj_nomem(c);
	for (size_t i = 0; i < o->nprogs; i++) {
		struct bpftk_object_prog *p = &o->progs[i];
		bpftk_diags_clear(tmp);
		int err = bpftk_isa_validate(p->insns, p->n, tmp, p->name);
		if (err == -ENOMEM) {
			bpftk_diags_free(tmp);
			return obj_nomem(c);
		}
		if (!err)
			continue;
		for (size_t k = 0; k < bpftk_diags_count(tmp); k++) {
			const struct bpftk_diag *g = bpftk_diags_get(tmp, k);
			obj_err(c, p->name, g->insn, "%s", g->msg);
		}
		if (!bpftk_diags_count(tmp))
			obj_err(c, p->name, -1, "invalid instructions");
	}
	bpftk_diags_free(tmp);
	return c->errors ? -EINVAL : 0;
}

/* ---- open / close --------------------------------------------------------- */

/* libbpf's default: the base name up to its first '.', at most 15
 * characters (BPF_OBJ_NAME_LEN - 1). */
static char *default_name(const char *path)
{
	if (!path)
		return bpftk_strdup("obj");
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strcspn(b, ".");
	if (n > 15)
		n = 15;
	if (n == 0)
		return bpftk_strdup("obj");
	return bpftk_strndup(b, n);
}

static int open_phases(struct obj_ctx *c)
{
	int err = classify_sections(c);
	if (!err)
		err = obj_btf_load(c);
	if (!err)
		err = obj_funcs_collect(c);
	if (!err)
		err = obj_legacy_maps(c);
	if (!err)
		err = obj_btf_maps(c);
	if (!err)
		err = obj_data_maps(c);
	if (!err)
		err = obj_kconfig_map(c);
	if (!err)
		err = obj_map_slots(c);
	if (!err)
		err = obj_funcs_relocate(c);
	if (!err)
		err = obj_progs_link(c);
	if (!err)
		err = obj_btf_ext_load(c);
	if (!err)
		err = obj_btf_ext_apply(c);
	if (!err)
		err = validate_progs(c);
	if (c->nomem)
		return -ENOMEM;
	if (!err && c->errors)
		err = -EINVAL;
	return err;
}

int bpftk_object_open_mem(const void *data, size_t len,
			  const struct bpftk_object_opts *opts,
			  struct bpftk_object **out, struct bpftk_diags *d)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	const char *fname = NULL, *oname = NULL;
	if (opts) {
		if (opts->sz < sizeof(size_t))
			return -EINVAL;
		/* a newer caller's options are fine while what we do not
		 * know of them is zero */
		const unsigned char *b = (const unsigned char *)opts;
		for (size_t i = sizeof(*opts); i < opts->sz; i++)
			if (b[i])
				return -EINVAL;
		if (opts->sz >= offsetof(struct bpftk_object_opts, object_name) +
					sizeof(opts->object_name))
			oname = opts->object_name;
		if (opts->sz >= offsetof(struct bpftk_object_opts, filename) +
					sizeof(opts->filename))
			fname = opts->filename;
	}
	struct bpftk_object *o = bpftk_calloc(1, sizeof(*o));
	if (!o)
		goto nomem;
	o->kcfg_map = -1;
	o->filename = bpftk_strdup(fname ? fname : "<memory>");
	o->name = oname ? bpftk_strdup(oname) : default_name(fname);
	if (!o->filename || !o->name)
		goto nomem;
	struct obj_ctx c = {o, d, 0, 0};
	int err = bpftk_elf_open_mem(data, len, o->filename, &o->elf, d);
	if (!err)
		err = open_phases(&c);
	if (err) {
		if (err == -ENOMEM)
			bpftk_diags_add(d, BPFTK_SEV_ERROR, o->filename, 0, 0,
					NULL, -1,
					"out of memory while opening the object");
		bpftk_object_close(o);
		return err;
	}
	*out = o;
	return 0;
nomem:
	bpftk_object_close(o);
	bpftk_diags_add(d, BPFTK_SEV_ERROR, fname, 0, 0, NULL, -1,
			"out of memory while opening the object");
	return -ENOMEM;
}

int bpftk_object_open_file(const char *path,
			   const struct bpftk_object_opts *opts,
			   struct bpftk_object **out, struct bpftk_diags *d)
{
	if (!out || !path)
		return -EINVAL;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, path, 0, 0, NULL, -1,
				"cannot open: %s", strerror(errno));
		return -EIO;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = bpftk_malloc(cap);
	int err = 0;
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *p = bpftk_realloc(buf, cap * 2);
		if (!p) {
			bpftk_free(buf);
			buf = NULL;
			break;
		}
		buf = p;
		cap *= 2;
	}
	if (!buf)
		err = -ENOMEM;
	else if (ferror(f))
		err = -EIO;
	fclose(f);
	if (err) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, path, 0, 0, NULL, -1, "%s",
				err == -EIO ? "read error"
					    : "out of memory while reading");
		bpftk_free(buf);
		return err;
	}
	struct bpftk_object_opts o2 = {sizeof(o2), NULL, path};
	if (opts && opts->sz >= offsetof(struct bpftk_object_opts, object_name) +
					 sizeof(opts->object_name))
		o2.object_name = opts->object_name;
	err = bpftk_object_open_mem(buf, n, &o2, out, d);
	bpftk_free(buf);
	return err;
}

void bpftk_object_close(struct bpftk_object *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nfuncs; i++) {
		bpftk_free(o->funcs[i].insns);
		bpftk_free(o->funcs[i].calls);
	}
	bpftk_free(o->funcs);
	for (size_t i = 0; i < o->nprogs; i++) {
		struct bpftk_object_prog *p = &o->progs[i];
		bpftk_free(p->insns);
		bpftk_free(p->pieces);
		bpftk_free(p->func_btf);
		bpftk_free(p->lines);
	}
	bpftk_free(o->progs);
	for (size_t i = 0; i < o->nmaps; i++)
		obj_map_clear(&o->maps[i]);
	bpftk_free(o->maps);
	bpftk_free(o->kcfg);
	obj_btf_ext_free(o->ext);
	obj_btf_free(o);
	bpftk_free(o->sec_kind);
	bpftk_free(o->sec_map);
	bpftk_free(o->license);
	bpftk_free(o->name);
	bpftk_free(o->filename);
	bpftk_elf_close(o->elf);
	bpftk_free(o);
}
