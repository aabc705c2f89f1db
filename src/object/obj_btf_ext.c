/* obj_btf_ext.c — .BTF.ext: func_info and line_info, mapped onto the final
 * instructions of each program so diagnostics can say `file.c:42`.
 *
 * Layout (the kernel's and libbpf's struct btf_ext_header, in the object's
 * byte order, magic 0xeB9F): magic u16, version u8 (1), flags u8, hdr_len
 * u32, then func_info_off/len, line_info_off/len and, when hdr_len allows,
 * core_relo_off/len, each u32, offsets counted from the end of the header.
 * Each info block is a u32 record size followed by per-section groups:
 * sec_name_off u32 (into the .BTF strings), num_info u32, then num_info
 * records.  func_info records: insn_off u32 (bytes from the section start
 * in objects), type_id u32.  line_info records: insn_off, file_name_off,
 * line_off (the source line's text), line_col (line << 10 | column).
 *
 * A .BTF.ext that does not parse is a warning and ignored, as libbpf does.
 * Invariant after apply: each program's lines are sorted by instruction and
 * every line's insn lies inside its piece.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "obj_int.h"
#include "object_int.h"

struct ext_group {
	const char *sec; /* section name, from the .BTF strings */
	const uint8_t *recs;
	uint32_t n;
};

struct ext_block {
	uint32_t rec_size;
	struct ext_group *g;
	size_t ng;
	size_t records;
};

struct obj_btf_ext {
	int big;
	struct ext_block func, line, core;
};

void obj_btf_ext_free(struct obj_btf_ext *x)
{
	if (!x)
		return;
	bpftk_free(x->func.g);
	bpftk_free(x->line.g);
	bpftk_free(x->core.g);
	bpftk_free(x);
}

static uint32_t u32(const struct obj_btf_ext *x, const uint8_t *p)
{
	return (uint32_t)rd(p, 4, x->big);
}

/* Parses one info block; returns 0, -EINVAL (reason in *why) or -ENOMEM. */
static int parse_block(struct obj_btf_ext *x, const struct btf *btf,
		       const uint8_t *p, uint32_t len, uint32_t min_rec,
		       struct ext_block *b, const char **why)
{
	if (len == 0)
		return 0;
	if (len < 4) {
		*why = "an info block is shorter than its record size";
		return -EINVAL;
	}
	b->rec_size = u32(x, p);
	if (b->rec_size < min_rec || b->rec_size % 4) {
		*why = "an info block has an invalid record size";
		return -EINVAL;
	}
	size_t at = 4, cap = 0;
	while (at < len) {
		if (len - at < 8) {
			*why = "a section group header is cut off";
			return -EINVAL;
		}
		uint32_t name = u32(x, p + at), n = u32(x, p + at + 4);
		at += 8;
		const char *sec = btf__name_by_offset(btf, name);
		if (!sec || !n || (uint64_t)n * b->rec_size > len - at) {
			*why = sec ? "a section group has a bad record count"
				   : "a section group names no string";
			return -EINVAL;
		}
		if (b->ng == cap) {
			cap = cap ? cap * 2 : 8;
			struct ext_group *g =
				bpftk_realloc(b->g, cap * sizeof(*g));
			if (!g)
				return -ENOMEM;
			b->g = g;
		}
		b->g[b->ng++] = (struct ext_group){sec, p + at, n};
		b->records += n;
		at += (size_t)n * b->rec_size;
	}
	return 0;
}

static int parse(struct obj_btf_ext *x, const struct btf *btf,
		 const uint8_t *p, size_t size, const char **why)
{
	*why = "the header is cut off";
	if (size < 24)
		return -EINVAL;
	x->big = 0;
	if (rd(p, 2, 0) != 0xeB9F) {
		x->big = 1;
		if (rd(p, 2, 1) != 0xeB9F) {
			*why = "bad magic";
			return -EINVAL;
		}
	}
	if (p[2] != 1) {
		*why = "unsupported version";
		return -EINVAL;
	}
	uint32_t hdr = u32(x, p + 4);
	if (hdr < 24 || hdr > size)
		return -EINVAL;
	uint32_t off[3] = {u32(x, p + 8), u32(x, p + 16), 0};
	uint32_t len[3] = {u32(x, p + 12), u32(x, p + 20), 0};
	if (hdr >= 32) {
		off[2] = u32(x, p + 24);
		len[2] = u32(x, p + 28);
	}
	static const uint32_t min_rec[3] = {8, 16, 16};
	struct ext_block *blk[3] = {&x->func, &x->line, &x->core};
	size_t data = size - hdr;
	for (int i = 0; i < 3; i++) {
		if (off[i] > data || len[i] > data - off[i]) {
			*why = "an info block lies outside the section";
			return -EINVAL;
		}
		int err = parse_block(x, btf, p + hdr + off[i], len[i],
				      min_rec[i], blk[i], why);
		if (err)
			return err;
	}
	return 0;
}

int obj_btf_ext_load(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	long i = bpftk_elf_section_by_name(o->elf, ".BTF.ext");
	struct bpftk_elf_shdr s;
	if (i < 0 || !o->btf || bpftk_elf_section(o->elf, (size_t)i, &s) ||
	    !s.data)
		return 0;
	struct obj_btf_ext *x = bpftk_calloc(1, sizeof(*x));
	if (!x)
		return obj_nomem(c);
	const char *why = "";
	int err = parse(x, o->btf, s.data, (size_t)s.size, &why);
	if (err) {
		obj_btf_ext_free(x);
		if (err == -ENOMEM)
			return obj_nomem(c);
		obj_warn(c, ".BTF.ext does not parse (%s); ignored", why);
		return 0;
	}
	o->ext = x;
	o->btf_info.ext_present = 1;
	o->btf_info.func_info = x->func.records;
	o->btf_info.line_info = x->line.records;
	o->btf_info.core_relo = x->core.records;
	return 0;
}

/* ---- mapping onto programs ------------------------------------------------ */

static int cmp_line(const void *a, const void *b)
{
	const struct obj_line *x = a, *y = b;
	if (x->insn != y->insn)
		return x->insn < y->insn ? -1 : 1;
	return x->piece < y->piece ? -1 : x->piece > y->piece;
}

static int add_lines(struct obj_ctx *c, struct bpftk_object_prog *p,
		     size_t k, const struct ext_group *g, size_t *cap)
{
	struct bpftk_object *o = c->o;
	const struct obj_btf_ext *x = o->ext;
	const struct obj_piece *pc = &p->pieces[k];
	const struct obj_func *f = &o->funcs[pc->func];
	for (uint32_t r = 0; r < g->n; r++) {
		const uint8_t *rec = g->recs + (size_t)r * x->line.rec_size;
		uint32_t off = u32(x, rec);
		if (off % 8 || off / 8 < f->off || off / 8 >= f->off + f->n)
			continue;
		if (p->nlines == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			struct obj_line *v =
				bpftk_realloc(p->lines, *cap * sizeof(*v));
			if (!v)
				return obj_nomem(c);
			p->lines = v;
		}
		const char *file = btf__name_by_offset(o->btf, u32(x, rec + 4));
		const char *text = btf__name_by_offset(o->btf, u32(x, rec + 8));
		uint32_t lc = u32(x, rec + 12);
		p->lines[p->nlines++] = (struct obj_line){
			pc->at + off / 8 - f->off, k, file ? file : "",
			text ? text : "", lc >> 10, lc & 0x3ff};
	}
	return 0;
}

static void add_funcs(const struct bpftk_object *o,
		      struct bpftk_object_prog *p, size_t k,
		      const struct ext_group *g)
{
	const struct obj_btf_ext *x = o->ext;
	const struct obj_func *f = &o->funcs[p->pieces[k].func];
	for (uint32_t r = 0; r < g->n; r++) {
		const uint8_t *rec = g->recs + (size_t)r * x->func.rec_size;
		if (u32(x, rec) == f->off * 8)
			p->func_btf[k] = u32(x, rec + 4);
	}
}

int obj_btf_ext_apply(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	const struct obj_btf_ext *x = o->ext;
	if (!x)
		return 0;
	for (size_t i = 0; i < o->nprogs; i++) {
		struct bpftk_object_prog *p = &o->progs[i];
		size_t cap = 0;
		for (size_t k = 0; k < p->npieces; k++) {
			const char *sec =
				obj_sec_name(o, o->funcs[p->pieces[k].func].sec);
			for (size_t j = 0; j < x->func.ng; j++)
				if (!strcmp(x->func.g[j].sec, sec))
					add_funcs(o, p, k, &x->func.g[j]);
			for (size_t j = 0; j < x->line.ng; j++) {
				if (strcmp(x->line.g[j].sec, sec))
					continue;
				int err = add_lines(c, p, k, &x->line.g[j],
						    &cap);
				if (err)
					return err;
			}
		}
		if (p->nlines)
			qsort(p->lines, p->nlines, sizeof(*p->lines), cmp_line);
	}
	return 0;
}
