/* disasm_list.c — listings: a program, or every executable section of an
 * object laid out the way llvm-objdump -d (LLVM 14) lays it out.
 *
 * The walk mirrors llvm-objdump's so that the output matches line for line:
 *
 *  - a section's labels are its symbols that have a name and are not
 *    STT_SECTION, sorted by (address, name, type); when none sits at
 *    address 0 a label named after the section is added there;
 *  - each label covers [its address, the next label's address or the
 *    section end); of several labels at one address only the last in that
 *    order is printed (the others cover nothing);
 *  - decoding at a byte index may read up to the section end (an lddw can
 *    run into the next label's range); with fewer than 8 bytes left, or an
 *    lddw with fewer than 16, one byte is shown as "<unknown>";
 *  - a jump's target byte address (computed modulo 2^64, as LLVM does) is
 *    named after the last label at or below it: " <name>" or
 *    " <name+0xdisp>";
 *  - a range starting at an STT_OBJECT/STT_COMMON symbol is dumped as data.
 *
 * Invariant: the object handle has validated every offset, size and name,
 * so nothing here bounds-checks file data again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "disasm_int.h"

#define STT_COMMON_ 5

struct label {
	uint64_t addr;
	const char *name;
	uint8_t type;
	size_t order; /* symbol index: keeps the sort stable */
};

struct relx {
	struct bpftk_elf_rel r;
	size_t order;
};

struct lister {
	struct bpftk_buf *b;
	struct bpftk_disasm_opts o;
	const uint8_t *bytes;
	uint64_t size;
	int big;
	const struct label *labels; /* sorted; NULL: no annotations */
	size_t nlabels;
	const struct bpftk_elf *e; /* for relocation symbol names */
	const struct relx *rels; /* sorted by offset */
	size_t nrels, relcur;
};

static int cmp_label(const void *pa, const void *pb)
{
	const struct label *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_rel(const void *pa, const void *pb)
{
	const struct relx *a = pa, *b = pb;
	if (a->r.offset != b->r.offset)
		return a->r.offset < b->r.offset ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The last label at or below addr (the first label is at 0, so there is
 * always one). */
static const struct label *label_at(const struct lister *l, uint64_t addr)
{
	size_t lo = 0, hi = l->nlabels;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->labels[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &l->labels[lo];
}

static const char *reloc_type_name(uint32_t t)
{
	switch (t) {
	case BPFTK_R_BPF_NONE:
		return "R_BPF_NONE";
	case BPFTK_R_BPF_64_64:
		return "R_BPF_64_64";
	case BPFTK_R_BPF_64_ABS64:
		return "R_BPF_64_ABS64";
	case BPFTK_R_BPF_64_ABS32:
		return "R_BPF_64_ABS32";
	case BPFTK_R_BPF_64_NODYLD32:
		return "R_BPF_64_NODYLD32";
	case BPFTK_R_BPF_64_32:
		return "R_BPF_64_32";
	default:
		return "Unknown";
	}
}

static void print_reloc(struct lister *l, const struct bpftk_elf_rel *r)
{
	struct bpftk_elf_sym s;
	const char *name = "*ABS*";
	if (r->sym && !bpftk_elf_symbol(l->e, r->sym, &s)) {
		name = s.name;
		struct bpftk_elf_shdr sh;
		if (s.type == BPFTK_STT_SECTION &&
		    !bpftk_elf_section(l->e, s.shndx, &sh))
			name = sh.name;
	}
	bpftk_buf_printf(l->b, "\t\t%016" PRIx64 ":  %s\t%s", r->offset,
			 reloc_type_name(r->type), name);
	if (r->addend > 0)
		bpftk_buf_printf(l->b, "+0x%" PRIx64, (uint64_t)r->addend);
	else if (r->addend < 0)
		bpftk_buf_printf(l->b, "-0x%" PRIx64,
				 (uint64_t)0 - (uint64_t)r->addend);
	bpftk_buf_printf(l->b, "\n");
}

/* Relocation lines for everything below `end`, after the instruction. */
static void print_relocs(struct lister *l, uint64_t end)
{
	if (!l->o.relocs)
		return;
	while (l->relcur < l->nrels && l->rels[l->relcur].r.offset < end)
		print_reloc(l, &l->rels[l->relcur++].r);
}

static void print_bytes(struct lister *l, uint64_t at, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bpftk_buf_printf(l->b, "%s%02x", i ? " " : "",
				 l->bytes[at + i]);
}

/* One line for the instruction at byte index at; returns bytes consumed. */
static uint64_t print_insn(struct lister *l, uint64_t at)
{
	uint64_t avail = l->size - at;
	struct bpftk_insn in[2];
	char text[160];
	uint64_t step = 1;
	const struct bpftk_opinfo *row = NULL;
	if (avail >= 8) {
		size_t n = avail >= 16 ? 2 : 1;
		bpftk_isa_decode(l->bytes + at, n * 8, l->big, in, NULL, NULL);
		row = bpftk_isa_info(bpftk_isa_lookup(&in[0]));
		int slots = bpftk_disasm_insn(in, n, 0, &l->o, text,
					      sizeof(text));
		/* LLVM decodes an lddw before it notices the missing second
		 * half, and then gives up on a single byte. */
		if (row && row->form == BPFTK_FORM_LDDW && n == 1 &&
		    in[0].dst <= 11)
			step = 1;
		else
			step = (uint64_t)slots * 8;
		if (!strcmp(text, "<unknown>"))
			row = NULL;
	}
	if (step == 1) {
		strcpy(text, "<unknown>");
		row = NULL;
	}
	bpftk_buf_printf(l->b, "%8" PRIu64 ":\t", at / 8);
	if (l->o.raw) {
		print_bytes(l, at, step);
		bpftk_buf_printf(l->b, "\t");
	}
	bpftk_buf_printf(l->b, "%s", text);
	if (row && l->labels &&
	    (bpftk_isa_form_uses((enum bpftk_form)row->form) & BPFTK_IS_JUMP)) {
		unsigned uses = bpftk_isa_form_uses((enum bpftk_form)row->form);
		int64_t dist = (uses & BPFTK_USES_OFF) ? in[0].off : in[0].imm;
		uint64_t target = at + 8 + (uint64_t)dist * 8;
		const struct label *t = label_at(l, target);
		bpftk_buf_printf(l->b, " <%s", t->name);
		if (target != t->addr)
			bpftk_buf_printf(l->b, "+0x%" PRIx64, target - t->addr);
		bpftk_buf_printf(l->b, ">");
	}
	bpftk_buf_printf(l->b, "\n");
	print_relocs(l, at + step);
	return step;
}

/* A data symbol's range in an executable section, eight bytes a line
 * with their printable characters, as llvm-objdump dumps it. */
static void print_data(struct lister *l, uint64_t at, uint64_t end)
{
	while (at < end) {
		uint64_t n = end - at < 8 ? end - at : 8;
		bpftk_buf_printf(l->b, "%8" PRIx64 ":", at);
		for (uint64_t i = 0; i < n; i++)
			bpftk_buf_printf(l->b, " %02x", l->bytes[at + i]);
		bpftk_buf_printf(l->b, "%*s         ", (int)(3 * (8 - n)), "");
		for (uint64_t i = 0; i < n; i++) {
			uint8_t c = l->bytes[at + i];
			bpftk_buf_printf(l->b, "%c",
					 c >= 0x20 && c < 0x7f ? c : '.');
		}
		bpftk_buf_printf(l->b, "\n");
		at += n;
	}
}

static void print_range(struct lister *l, uint64_t at, uint64_t end)
{
	while (at < end)
		at += print_insn(l, at);
}

/* ---- programs ------------------------------------------------------------ */

int bpftk_disasm_prog(const struct bpftk_insn *insns, size_t n,
		      const struct bpftk_disasm_opts *o, char **out,
		      size_t *len, struct bpftk_diags *d)
{
	if (!out || (n && !insns))
		return -EINVAL;
	*out = NULL;
	if (len)
		*len = 0;
	struct bpftk_buf b = {0};
	struct lister l;
	memset(&l, 0, sizeof(l));
	l.b = &b;
	l.o = disasm_opts(o);
	l.big = l.o.big_endian ? 1 : 0;
	l.size = (uint64_t)n * 8;
	uint8_t *bytes = bpftk_malloc(n ? n * 8 : 1);
	if (!bytes || n > SIZE_MAX / 8)
		goto nomem;
	bpftk_isa_encode(insns, n, l.big, bytes);
	l.bytes = bytes;
	bpftk_buf_append(&b, "", 0);
	print_range(&l, 0, l.size);
	bpftk_free(bytes);
	bytes = NULL;
	if (b.failed)
		goto nomem;
	*out = b.data;
	if (len)
		*len = b.len;
	return 0;
nomem:
	bpftk_free(bytes);
	bpftk_buf_free(&b);
	bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
			"out of memory while disassembling");
	return -ENOMEM;
}

/* ---- objects ------------------------------------------------------------- */

static int is_listed(const struct bpftk_elf_shdr *s)
{
	return (s->flags & BPFTK_SHF_EXECINSTR) &&
	       s->type != BPFTK_SHT_NOBITS && s->type != BPFTK_SHT_NULL;
}

/* The labels of section sec, sorted, with the section-named label at 0
 * when no symbol is there.  Returns the count or -ENOMEM. */
static long collect_labels(const struct bpftk_elf *e,
			   const struct bpftk_elf_shdr *sec,
			   struct label **out)
{
	size_t ns = bpftk_elf_symbol_count(e), k = 0;
	struct label *v = bpftk_calloc(ns + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 1; i < ns; i++) {
		struct bpftk_elf_sym s;
		bpftk_elf_symbol(e, i, &s);
		if (s.shndx != sec->index || !*s.name ||
		    s.type == BPFTK_STT_SECTION)
			continue;
		v[k].addr = s.value;
		v[k].name = s.name;
		v[k].type = s.type;
		v[k].order = i;
		k++;
	}
	qsort(v, k, sizeof(*v), cmp_label);
	if (k == 0 || v[0].addr != 0) {
		memmove(v + 1, v, k * sizeof(*v));
		v[0].addr = 0;
		v[0].name = sec->name;
		v[0].type = BPFTK_STT_FUNC;
		v[0].order = 0;
		k++;
	}
	*out = v;
	return (long)k;
}

/* The relocations of section sec, sorted by offset; equal offsets keep
 * their file order (the index breaks ties, since qsort is not stable). */
static long collect_relocs(const struct bpftk_elf *e, size_t sec,
			   struct relx **out)
{
	size_t n = bpftk_elf_reloc_count(e, sec);
	struct relx *v = bpftk_calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bpftk_elf_reloc(e, sec, i, &v[i].r);
		v[i].order = i;
	}
	qsort(v, n, sizeof(*v), cmp_rel);
	*out = v;
	return (long)n;
}

static int list_section(struct lister *l, const struct bpftk_elf *e,
			const struct bpftk_elf_shdr *sec)
{
	struct label *labels = NULL;
	struct relx *rels = NULL;
	long nl = collect_labels(e, sec, &labels);
	long nr = nl < 0 ? -ENOMEM : collect_relocs(e, sec->index, &rels);
	if (nl < 0 || nr < 0) {
		bpftk_free(labels);
		bpftk_free(rels);
		return -ENOMEM;
	}
	l->bytes = sec->data;
	l->size = sec->size;
	l->labels = labels;
	l->nlabels = (size_t)nl;
	l->rels = rels;
	l->nrels = (size_t)nr;
	l->relcur = 0;
	int printed = 0;
	for (size_t i = 0; i < l->nlabels; i++) {
		uint64_t start = labels[i].addr;
		uint64_t end = sec->size;
		if (i + 1 < l->nlabels && labels[i + 1].addr < end)
			end = labels[i + 1].addr;
		if (start >= end)
			continue;
		if (!printed)
			bpftk_buf_printf(l->b, "\nDisassembly of section %s:\n",
					 sec->name);
		printed = 1;
		bpftk_buf_printf(l->b, "\n%016" PRIx64 " <%s>:\n", start,
				 labels[i].name);
		if (labels[i].type == BPFTK_STT_OBJECT ||
		    labels[i].type == STT_COMMON_)
			print_data(l, start, end);
		else
			print_range(l, start, end);
	}
	bpftk_free(labels);
	bpftk_free(rels);
	l->labels = NULL;
	l->rels = NULL;
	return 0;
}

int bpftk_disasm_elf(const struct bpftk_elf *e,
		     const struct bpftk_disasm_opts *o, char **out,
		     size_t *len, struct bpftk_diags *d)
{
	if (!e || !out)
		return -EINVAL;
	*out = NULL;
	if (len)
		*len = 0;
	struct bpftk_buf b = {0};
	struct lister l;
	memset(&l, 0, sizeof(l));
	l.b = &b;
	l.o = disasm_opts(o);
	l.e = e;
	l.big = bpftk_elf_big_endian(e);

	if (l.o.section) {
		long i = bpftk_elf_section_by_name(e, l.o.section);
		struct bpftk_elf_shdr s;
		if (i < 0 || bpftk_elf_section(e, (size_t)i, &s) ||
		    !is_listed(&s)) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR,
					bpftk_elf_filename(e), 0, 0, NULL, -1,
					"%s '%s'",
					i < 0 ? "no section named"
					      : "no instructions in section",
					l.o.section);
			return -ENOENT;
		}
	}
	bpftk_buf_printf(&b, "\n%s:\tfile format elf64-bpf\n",
			 bpftk_elf_filename(e));
	for (size_t i = 1; i < bpftk_elf_section_count(e) && !b.failed; i++) {
		struct bpftk_elf_shdr s;
		bpftk_elf_section(e, i, &s);
		if (!is_listed(&s) || !s.size)
			continue;
		if (l.o.section && strcmp(s.name, l.o.section))
			continue;
		if (list_section(&l, e, &s)) {
			b.failed = 1;
			break;
		}
	}
	if (b.failed) {
		bpftk_buf_free(&b);
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"out of memory while disassembling");
		return -ENOMEM;
	}
	*out = b.data;
	if (len)
		*len = b.len;
	return 0;
}

void bpftk_disasm_free(char *p)
{
	bpftk_free(p);
}
