/* elf_read.c — a hardened reader for BPF ELF64 relocatable objects.
 *
 * Opening runs in phases, each relying only on what the earlier ones proved:
 *
 *   1. the ELF header: magic, ELF64, byte order, ET_REL, EM_BPF, and a
 *      section header table that lies inside the file;
 *   2. the section-name string table, then every section: its name lies in
 *      that table and is NUL-terminated there, its bytes lie in the file;
 *   3. the symbol table: entry size, its string table, every name, every
 *      section index, and every symbol's value/size inside its section;
 *   4. the relocation sections: entry size, symbol table link, target
 *      section, and every entry's symbol index and patched byte range;
 *   5. the instruction positions .BTF.ext records (section name and byte
 *      offset of each func_info, line_info and CO-RE record).
 *
 * Invariant: once bpftk_elf_open_mem has returned a handle, every string,
 * offset, index and byte range it exposes has been checked against the
 * file, so callers never bounds-check again.  Any violation rejects the
 * whole file with a message naming the section, symbol or entry; nothing is
 * read before it is checked (all arithmetic on file values is done in 64
 * bits with explicit overflow checks).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <bpftk/elf.h>

#include "../util/util_int.h"
#include "object_int.h"

/* Stop collecting after this many errors: a fuzzed file can be wrong in
 * every one of 65535 section headers. */
#define MAX_ERRORS 20

struct bpftk_elf {
	uint8_t *data;
	size_t len;
	char *filename;
	int big;
	size_t shnum;
	struct bpftk_elf_shdr *secs;
	size_t symtab; /* section index of SHT_SYMTAB, 0 = none */
	size_t nsyms;
	struct bpftk_elf_sym *syms;
	/* relocations grouped by target section: rels[rel_first[t] ..
	 * rel_first[t] + rel_count[t]) */
	struct bpftk_elf_rel *rels;
	size_t *rel_first, *rel_count;
};

struct ctx {
	struct bpftk_elf *e;
	struct bpftk_diags *d;
	int errors;
};

static void fail(struct ctx *c, const char *fmt, ...) BPFTK_PRINTF(2, 3);
static void fail(struct ctx *c, const char *fmt, ...)
{
	c->errors++;
	if (c->errors > MAX_ERRORS)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (c->errors == MAX_ERRORS)
		bpftk_diags_add(c->d, BPFTK_SEV_ERROR, c->e->filename, 0, 0,
				NULL, -1, "too many errors, giving up");
	else
		bpftk_diags_vadd(c->d, BPFTK_SEV_ERROR, c->e->filename, 0, 0,
				 NULL, -1, fmt, ap);
	va_end(ap);
}

/* True when [off, off + size) lies inside [0, limit). */
static int in_range(uint64_t off, uint64_t size, uint64_t limit)
{
	return off <= limit && size <= limit - off;
}

static uint64_t get(const struct bpftk_elf *e, const uint8_t *p,
		    unsigned bytes)
{
	return rd(p, bytes, e->big);
}

/* A NUL-terminated string at off inside section tab, or NULL. */
static const char *str_at(const struct bpftk_elf *e, size_t tab, uint64_t off)
{
	const struct bpftk_elf_shdr *s = &e->secs[tab];
	if (!s->data || off >= s->size)
		return NULL;
	const char *p = (const char *)s->data + off;
	if (!memchr(p, '\0', (size_t)(s->size - off)))
		return NULL;
	return p;
}

static const char *type_name(uint32_t t)
{
	switch (t) {
	case BPFTK_SHT_REL:
		return "SHT_REL";
	case BPFTK_SHT_RELA:
		return "SHT_RELA";
	case BPFTK_SHT_SYMTAB:
		return "SHT_SYMTAB";
	case BPFTK_SHT_STRTAB:
		return "SHT_STRTAB";
	default:
		return "section";
	}
}

/* ---- phase 1: ELF header ------------------------------------------------ */

static int read_header(struct ctx *c, uint64_t *shoff, size_t *shstrndx)
{
	struct bpftk_elf *e = c->e;
	const uint8_t *p = e->data;
	if (e->len < EHDR_SIZE) {
		fail(c, "file is too small for an ELF header (%zu bytes, need "
			"%d)",
		     e->len, EHDR_SIZE);
		return -1;
	}
	if (memcmp(p, ELF_MAG, 4)) {
		fail(c, "not an ELF file (bad magic %02x %02x %02x %02x)", p[0],
		     p[1], p[2], p[3]);
		return -1;
	}
	if (p[ELF_EI_CLASS] != ELF_CLASS64) {
		fail(c, "ELF class %u is not supported (expected ELFCLASS64)",
		     p[ELF_EI_CLASS]);
		return -1;
	}
	if (p[ELF_EI_DATA] != ELF_DATA2LSB && p[ELF_EI_DATA] != ELF_DATA2MSB) {
		fail(c, "unknown byte order EI_DATA %u (expected 1 little or 2 "
			"big endian)",
		     p[ELF_EI_DATA]);
		return -1;
	}
	e->big = p[ELF_EI_DATA] == ELF_DATA2MSB;
	if (p[ELF_EI_VERSION] != ELF_EV_CURRENT) {
		fail(c, "ELF identification version %u is not supported "
			"(expected 1)",
		     p[ELF_EI_VERSION]);
		return -1;
	}
	uint64_t type = get(e, p + EH_TYPE, 2);
	if (type != ELF_ET_REL) {
		fail(c, "ELF type %" PRIu64 " is not a relocatable object "
			"(expected ET_REL = 1)",
		     type);
		return -1;
	}
	uint64_t mach = get(e, p + EH_MACHINE, 2);
	if (mach != ELF_EM_BPF) {
		fail(c, "machine %" PRIu64 " is not BPF (expected EM_BPF = "
			"247)",
		     mach);
		return -1;
	}
	*shoff = get(e, p + EH_SHOFF, 8);
	uint64_t entsize = get(e, p + EH_SHENTSIZE, 2);
	uint64_t shnum = get(e, p + EH_SHNUM, 2);
	uint64_t strndx = get(e, p + EH_SHSTRNDX, 2);
	if (*shoff == 0) {
		fail(c, "object has no section header table");
		return -1;
	}
	if (entsize != SHDR_SIZE) {
		fail(c, "section header entry size is %" PRIu64
			", expected %d",
		     entsize, SHDR_SIZE);
		return -1;
	}
	/* Extended numbering: the real count and string table index live in
	 * section header 0 when they do not fit the ELF header. */
	if (shnum == 0 || strndx == ELF_SHN_XINDEX) {
		if (!in_range(*shoff, SHDR_SIZE, e->len)) {
			fail(c, "section header table (offset 0x%" PRIx64
				") extends past end of file (size 0x%zx)",
			     *shoff, e->len);
			return -1;
		}
		const uint8_t *s0 = p + *shoff;
		if (shnum == 0)
			shnum = get(e, s0 + SH_SIZE, 8);
		if (strndx == ELF_SHN_XINDEX)
			strndx = get(e, s0 + SH_LINK, 4);
	}
	if (shnum == 0) {
		fail(c, "section header table has no entries");
		return -1;
	}
	if (shnum > (e->len / SHDR_SIZE) ||
	    !in_range(*shoff, shnum * SHDR_SIZE, e->len)) {
		fail(c, "section header table (offset 0x%" PRIx64 ", %" PRIu64
			" entries of %d bytes) extends past end of file (size "
			"0x%zx)",
		     *shoff, shnum, SHDR_SIZE, e->len);
		return -1;
	}
	if (strndx >= shnum) {
		fail(c, "section name table index %" PRIu64
			" is out of range (%" PRIu64 " sections)",
		     strndx, shnum);
		return -1;
	}
	e->shnum = (size_t)shnum;
	*shstrndx = (size_t)strndx;
	return 0;
}

/* ---- phase 2: sections -------------------------------------------------- */

static void load_shdr(struct bpftk_elf *e, const uint8_t *p, size_t i)
{
	struct bpftk_elf_shdr *s = &e->secs[i];
	s->index = i;
	s->name = "";
	s->type = (uint32_t)get(e, p + SH_TYPE, 4);
	s->flags = get(e, p + SH_FLAGS, 8);
	s->offset = get(e, p + SH_OFFSET, 8);
	s->size = get(e, p + SH_SIZE, 8);
	s->link = (uint32_t)get(e, p + SH_LINK, 4);
	s->info = (uint32_t)get(e, p + SH_INFO, 4);
	s->addralign = get(e, p + SH_ADDRALIGN, 8);
	s->entsize = get(e, p + SH_ENTSIZE, 8);
	s->data = NULL;
}

/* Section 0 is the null entry: with extended numbering its size and link
 * fields carry counts, so they never describe bytes. */
static int check_range(struct ctx *c, size_t i)
{
	struct bpftk_elf *e = c->e;
	struct bpftk_elf_shdr *s = &e->secs[i];
	if (i == 0 || s->type == BPFTK_SHT_NOBITS || s->type == BPFTK_SHT_NULL)
		return 0;
	if (!in_range(s->offset, s->size, e->len)) {
		fail(c, "section %zu '%s' extends past end of file (offset "
			"0x%" PRIx64 ", size 0x%" PRIx64 ", file size 0x%zx)",
		     i, s->name, s->offset, s->size, e->len);
		return -1;
	}
	if (s->size)
		s->data = e->data + s->offset;
	return 0;
}

static int read_sections(struct ctx *c, uint64_t shoff, size_t shstrndx)
{
	struct bpftk_elf *e = c->e;
	e->secs = bpftk_calloc(e->shnum, sizeof(*e->secs));
	if (!e->secs)
		return -ENOMEM;
	for (size_t i = 0; i < e->shnum; i++)
		load_shdr(e, e->data + shoff + i * SHDR_SIZE, i);

	if (shstrndx) {
		struct bpftk_elf_shdr *t = &e->secs[shstrndx];
		if (t->type != BPFTK_SHT_STRTAB) {
			fail(c, "section name table (section %zu) has type %u, "
				"expected SHT_STRTAB",
			     shstrndx, t->type);
			return -EINVAL;
		}
		if (check_range(c, shstrndx))
			return -EINVAL;
	}
	for (size_t i = 1; i < e->shnum; i++) {
		uint64_t off = get(e, e->data + shoff + i * SHDR_SIZE + SH_NAME,
				   4);
		if (!shstrndx)
			continue;
		const char *n = str_at(e, shstrndx, off);
		if (!n) {
			fail(c, "section %zu has an invalid name offset 0x%" PRIx64
				" (section name table size 0x%" PRIx64 ")",
			     i, off, e->secs[shstrndx].size);
			continue;
		}
		e->secs[i].name = n;
	}
	if (c->errors)
		return -EINVAL;
	/* An instruction section whose size is not a multiple of 8 is still
	 * a well-formed container; bpftk_elf_section_insns() refuses it. */
	for (size_t i = 1; i < e->shnum; i++)
		check_range(c, i);
	return c->errors ? -EINVAL : 0;
}

/* ---- phase 3: symbols --------------------------------------------------- */

static int read_symbols(struct ctx *c)
{
	struct bpftk_elf *e = c->e;
	for (size_t i = 1; i < e->shnum; i++) {
		if (e->secs[i].type != BPFTK_SHT_SYMTAB)
			continue;
		if (e->symtab) {
			fail(c, "object has more than one symbol table "
				"(sections %zu '%s' and %zu '%s')",
			     e->symtab, e->secs[e->symtab].name, i,
			     e->secs[i].name);
			return -EINVAL;
		}
		e->symtab = i;
	}
	if (!e->symtab)
		return 0;
	const struct bpftk_elf_shdr *st = &e->secs[e->symtab];
	const char *nm = st->name;
	if (st->entsize != SYM_SIZE) {
		fail(c, "symbol table section %zu '%s' has entry size %" PRIu64
			", expected %d",
		     e->symtab, nm, st->entsize, SYM_SIZE);
		return -EINVAL;
	}
	if (st->size % SYM_SIZE) {
		fail(c, "symbol table section %zu '%s' has size 0x%" PRIx64
			", not a multiple of the entry size %d",
		     e->symtab, nm, st->size, SYM_SIZE);
		return -EINVAL;
	}
	if (st->link == 0 || st->link >= e->shnum ||
	    e->secs[st->link].type != BPFTK_SHT_STRTAB) {
		fail(c, "symbol table section %zu '%s' links to section %u, "
			"which is not a string table",
		     e->symtab, nm, st->link);
		return -EINVAL;
	}
	size_t n = (size_t)(st->size / SYM_SIZE);
	if (st->info > n) {
		fail(c, "symbol table section %zu '%s': first global symbol %u "
			"is past the last symbol (%zu symbols)",
		     e->symtab, nm, st->info, n);
		return -EINVAL;
	}
	if (n == 0)
		return 0;
	e->syms = bpftk_calloc(n, sizeof(*e->syms));
	if (!e->syms)
		return -ENOMEM;
	e->nsyms = n;
	for (size_t k = 0; k < n; k++) {
		const uint8_t *p = st->data + k * SYM_SIZE;
		struct bpftk_elf_sym *y = &e->syms[k];
		uint64_t name = get(e, p + ST_NAME, 4);
		y->index = k;
		y->type = p[ST_INFO] & 0xf;
		y->bind = p[ST_INFO] >> 4;
		y->other = p[ST_OTHER];
		y->shndx = (uint16_t)get(e, p + ST_SHNDX, 2);
		y->value = get(e, p + ST_VALUE, 8);
		y->size = get(e, p + ST_SIZE, 8);
		y->name = str_at(e, st->link, name);
		if (!y->name) {
			y->name = "";
			fail(c, "symbol %zu has an invalid name offset 0x%" PRIx64
				" (string table section %u size 0x%" PRIx64 ")",
			     k, name, st->link, e->secs[st->link].size);
			continue;
		}
		if (y->shndx == ELF_SHN_UNDEF || y->shndx == ELF_SHN_ABS ||
		    y->shndx == ELF_SHN_COMMON)
			continue;
		if (y->shndx >= e->shnum) {
			fail(c, "symbol %zu '%s' refers to section %u, but there "
				"are only %zu sections",
			     k, y->name, y->shndx, e->shnum);
			continue;
		}
		/* Programs are carved out of sections by symbol value and
		 * size, so both must describe bytes of the section. */
		const struct bpftk_elf_shdr *s = &e->secs[y->shndx];
		uint64_t sz = (y->type == BPFTK_STT_FUNC ||
			       y->type == BPFTK_STT_OBJECT)
				      ? y->size
				      : 0;
		if (!in_range(y->value, sz, s->size))
			fail(c, "symbol %zu '%s' (value 0x%" PRIx64 ", size 0x%" PRIx64
				") lies outside its section %u '%s' (size "
				"0x%" PRIx64 ")",
			     k, y->name, y->value, y->size, y->shndx, s->name,
			     s->size);
	}
	return c->errors ? -EINVAL : 0;
}

/* ---- phase 4: relocations ----------------------------------------------- */

/* Bytes a relocation patches at its offset, or -1 for an unknown type.
 * In instruction sections R_BPF_64_64 patches both slots of an lddw. */
static int reloc_width(uint32_t type, int exec)
{
	switch (type) {
	case BPFTK_R_BPF_NONE:
		return 0;
	case BPFTK_R_BPF_64_64:
		return exec ? 16 : 8;
	case BPFTK_R_BPF_64_ABS64:
		return 8;
	case BPFTK_R_BPF_64_ABS32:
	case BPFTK_R_BPF_64_NODYLD32:
		return 4;
	case BPFTK_R_BPF_64_32:
		return exec ? 8 : 4;
	default:
		return -1;
	}
}

static int is_rel(const struct bpftk_elf_shdr *s)
{
	return s->type == BPFTK_SHT_REL || s->type == BPFTK_SHT_RELA;
}

/* Checks the headers of relocation section i; returns its entry count or
 * -1. */
static long check_relsec(struct ctx *c, size_t i)
{
	struct bpftk_elf *e = c->e;
	const struct bpftk_elf_shdr *s = &e->secs[i];
	unsigned esz = s->type == BPFTK_SHT_RELA ? RELA_SIZE : REL_SIZE;
	if (s->entsize != esz) {
		fail(c, "relocation section %zu '%s' has entry size %" PRIu64
			", expected %u for %s",
		     i, s->name, s->entsize, esz, type_name(s->type));
		return -1;
	}
	if (s->size % esz) {
		fail(c, "relocation section %zu '%s' has size 0x%" PRIx64
			", not a multiple of the entry size %u",
		     i, s->name, s->size, esz);
		return -1;
	}
	if (s->link != e->symtab || !e->symtab) {
		fail(c, "relocation section %zu '%s' links to section %u, "
			"which is not the symbol table",
		     i, s->name, s->link);
		return -1;
	}
	if (s->info == 0 || s->info >= e->shnum || is_rel(&e->secs[s->info]) ||
	    e->secs[s->info].type == BPFTK_SHT_NOBITS) {
		fail(c, "relocation section %zu '%s' applies to section %u, "
			"which cannot be relocated",
		     i, s->name, s->info);
		return -1;
	}
	return (long)(s->size / esz);
}

static void read_entry(struct ctx *c, size_t i, size_t k,
		       struct bpftk_elf_rel *r)
{
	struct bpftk_elf *e = c->e;
	const struct bpftk_elf_shdr *s = &e->secs[i];
	const struct bpftk_elf_shdr *t = &e->secs[s->info];
	int rela = s->type == BPFTK_SHT_RELA;
	const uint8_t *p = s->data + k * (rela ? RELA_SIZE : REL_SIZE);
	uint64_t info = get(e, p + R_INFO, 8);
	r->offset = get(e, p + R_OFFSET, 8);
	r->sym = (uint32_t)(info >> 32);
	r->type = (uint32_t)info;
	r->addend = rela ? (int64_t)get(e, p + R_ADDEND, 8) : 0;
	if (r->sym >= e->nsyms) {
		fail(c, "relocation %zu of section %zu '%s' refers to symbol "
			"%u, but there are only %zu symbols",
		     k, i, s->name, r->sym, e->nsyms);
		return;
	}
	int exec = (t->flags & BPFTK_SHF_EXECINSTR) != 0;
	int w = reloc_width(r->type, exec);
	if (w < 0) {
		fail(c, "relocation %zu of section %zu '%s' has unknown type "
			"%u",
		     k, i, s->name, r->type);
		return;
	}
	if (!in_range(r->offset, (uint64_t)w, t->size) ||
	    (exec && r->type != BPFTK_R_BPF_NONE && r->offset % 8))
		fail(c, "relocation %zu of section %zu '%s' patches %d bytes at "
			"offset 0x%" PRIx64 ", outside section %u '%s' (size "
			"0x%" PRIx64 ")%s",
		     k, i, s->name, w, r->offset, s->info, t->name, t->size,
		     exec && r->offset % 8 ? " or not on an instruction" : "");
}

static int read_relocs(struct ctx *c)
{
	struct bpftk_elf *e = c->e;
	size_t total = 0;
	e->rel_first = bpftk_calloc(e->shnum, sizeof(size_t));
	e->rel_count = bpftk_calloc(e->shnum, sizeof(size_t));
	if (!e->rel_first || !e->rel_count)
		return -ENOMEM;
	for (size_t i = 1; i < e->shnum; i++) {
		if (!is_rel(&e->secs[i]))
			continue;
		long n = check_relsec(c, i);
		if (n < 0)
			continue;
		e->rel_count[e->secs[i].info] += (size_t)n;
		total += (size_t)n;
	}
	if (c->errors)
		return -EINVAL;
	if (!total)
		return 0;
	e->rels = bpftk_calloc(total, sizeof(*e->rels));
	if (!e->rels)
		return -ENOMEM;
	size_t *fill = bpftk_calloc(e->shnum, sizeof(size_t));
	if (!fill)
		return -ENOMEM;
	size_t at = 0;
	for (size_t t = 0; t < e->shnum; t++) {
		e->rel_first[t] = at;
		at += e->rel_count[t];
	}
	for (size_t i = 1; i < e->shnum && c->errors < MAX_ERRORS; i++) {
		const struct bpftk_elf_shdr *s = &e->secs[i];
		if (!is_rel(s))
			continue;
		size_t n = (size_t)(s->size / s->entsize);
		for (size_t k = 0; k < n; k++) {
			struct bpftk_elf_rel *r =
				&e->rels[e->rel_first[s->info] + fill[s->info]++];
			read_entry(c, i, k, r);
		}
	}
	bpftk_free(fill);
	return c->errors ? -EINVAL : 0;
}

/* ---- phase 5: positions recorded in .BTF.ext ---------------------------- */

/* .BTF.ext (func_info, line_info, CO-RE relocations) names instruction
 * sections by a .BTF string and points into them by byte offset.  Full BTF
 * parsing belongs to the object loader; here only those names and offsets
 * are checked, so that nothing built on this handle can be sent past a
 * section by them. */

#define BTF_MAGIC 0xeb9f

struct btf_strings {
	const uint8_t *p;
	uint64_t len;
};

/* The string table of .BTF: header magic u16, version u8, flags u8,
 * hdr_len u32, type_off u32, type_len u32, str_off u32, str_len u32. */
static int btf_strings(struct ctx *c, size_t i, struct btf_strings *out)
{
	struct bpftk_elf *e = c->e;
	const struct bpftk_elf_shdr *s = &e->secs[i];
	const uint8_t *d = s->data;
	if (!d || s->size < 24 || get(e, d, 2) != BTF_MAGIC) {
		fail(c, "section %zu '%s' is not BTF (bad header or magic)", i,
		     s->name);
		return -1;
	}
	uint64_t hdr = get(e, d + 4, 4), toff = get(e, d + 8, 4);
	uint64_t tlen = get(e, d + 12, 4), soff = get(e, d + 16, 4);
	uint64_t slen = get(e, d + 20, 4);
	if (hdr < 24 || !in_range(hdr, 0, s->size) ||
	    !in_range(toff, tlen, s->size - hdr) ||
	    !in_range(soff, slen, s->size - hdr)) {
		fail(c, "section %zu '%s': BTF header (length %" PRIu64
			", types at %" PRIu64 "+%" PRIu64 ", strings at %" PRIu64
			"+%" PRIu64 ") does not fit the section (size 0x%" PRIx64
			")",
		     i, s->name, hdr, toff, tlen, soff, slen, s->size);
		return -1;
	}
	out->p = d + hdr + soff;
	out->len = slen;
	return 0;
}

/* One subsection: rec_size u32, then { sec_name_off u32, count u32,
 * count records of rec_size bytes whose first u32 is a byte offset into
 * the named section }. */
static void check_ext_sub(struct ctx *c, size_t ei, const char *what,
			  const uint8_t *p, uint64_t len, unsigned min_rec,
			  const struct btf_strings *str)
{
	struct bpftk_elf *e = c->e;
	const char *ename = e->secs[ei].name;
	if (len == 0)
		return;
	uint64_t rec = len >= 4 ? get(e, p, 4) : 0;
	if (rec < min_rec || rec % 4) {
		fail(c, "section %zu '%s': %s record size %" PRIu64
			" is invalid (at least %u, a multiple of 4)",
		     ei, ename, what, rec, min_rec);
		return;
	}
	for (uint64_t at = 4; at < len && c->errors < MAX_ERRORS;) {
		if (len - at < 8) {
			fail(c, "section %zu '%s': %s is truncated", ei, ename,
			     what);
			return;
		}
		uint64_t name = get(e, p + at, 4), n = get(e, p + at + 4, 4);
		at += 8;
		if (n > (len - at) / rec) {
			fail(c, "section %zu '%s': %s lists %" PRIu64
				" records, more than it holds",
			     ei, ename, what, n);
			return;
		}
		const char *sn = NULL;
		if (name < str->len &&
		    memchr(str->p + name, '\0', (size_t)(str->len - name)))
			sn = (const char *)str->p + name;
		long t = sn ? bpftk_elf_section_by_name(e, sn) : -1;
		if (t < 0) {
			fail(c, "section %zu '%s': %s refers to %s%s%s, which is "
				"not a section of this object",
			     ei, ename, what, sn ? "'" : "an invalid name",
			     sn ? sn : "", sn ? "'" : "");
			return;
		}
		uint64_t size = e->secs[t].size;
		for (uint64_t k = 0; k < n; k++, at += rec) {
			uint64_t off = get(e, p + at, 4);
			if (off >= size || off % 8) {
				fail(c, "section %zu '%s': %s record %" PRIu64
					" for section '%s' points at byte offset "
					"%" PRIu64 ", which is not an "
					"instruction of it (size %" PRIu64 ")",
				     ei, ename, what, k, sn, off, size);
				return;
			}
		}
	}
}

static int check_btf_ext(struct ctx *c)
{
	struct bpftk_elf *e = c->e;
	long bi = bpftk_elf_section_by_name(e, ".BTF");
	long xi = bpftk_elf_section_by_name(e, ".BTF.ext");
	if (xi < 0)
		return 0;
	const struct bpftk_elf_shdr *x = &e->secs[xi];
	struct btf_strings str;
	if (bi < 0) {
		fail(c, "section %ld '.BTF.ext' comes without a '.BTF' section",
		     xi);
		return -EINVAL;
	}
	if (btf_strings(c, (size_t)bi, &str))
		return -EINVAL;
	const uint8_t *d = x->data;
	/* magic u16, version u8, flags u8, hdr_len u32, then (off, len) u32
	 * pairs for func_info, line_info and, when hdr_len >= 32, CO-RE
	 * relocations; offsets count from the end of the header. */
	uint64_t hdr = d && x->size >= 8 ? get(e, d + 4, 4) : 0;
	if (!d || x->size < 24 || get(e, d, 2) != BTF_MAGIC || hdr < 24 ||
	    hdr > x->size) {
		fail(c, "section %ld '.BTF.ext' has an invalid header", xi);
		return -EINVAL;
	}
	static const char *const what[3] = {"func_info", "line_info",
					    "CO-RE relocation"};
	static const unsigned min_rec[3] = {8, 16, 16};
	for (unsigned k = 0; k < 3 && 8 + 8 * k + 8 <= hdr; k++) {
		uint64_t off = get(e, d + 8 + 8 * k, 4);
		uint64_t len = get(e, d + 12 + 8 * k, 4);
		if (!in_range(off, len, x->size - hdr)) {
			fail(c, "section %ld '.BTF.ext': %s (offset %" PRIu64
				", length %" PRIu64 ") extends past the section",
			     xi, what[k], off, len);
			continue;
		}
		check_ext_sub(c, (size_t)xi, what[k], d + hdr + off, len,
			      min_rec[k], &str);
	}
	return c->errors ? -EINVAL : 0;
}

/* ---- open / close ------------------------------------------------------- */

int bpftk_elf_open_mem(const void *data, size_t len, const char *filename,
		       struct bpftk_elf **out, struct bpftk_diags *d)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	struct bpftk_elf *e = bpftk_calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	struct ctx c = {e, d, 0};
	int err = -EINVAL;
	if (!data && len)
		goto fail;
	err = -ENOMEM;
	e->filename = bpftk_strdup(filename ? filename : "<memory>");
	e->data = bpftk_malloc(len);
	if (!e->filename || !e->data)
		goto fail;
	if (len)
		memcpy(e->data, data, len);
	e->len = len;

	uint64_t shoff = 0;
	size_t shstrndx = 0;
	err = -EINVAL;
	if (read_header(&c, &shoff, &shstrndx))
		goto fail;
	if ((err = read_sections(&c, shoff, shstrndx)))
		goto fail;
	if ((err = read_symbols(&c)))
		goto fail;
	if ((err = read_relocs(&c)))
		goto fail;
	if ((err = check_btf_ext(&c)))
		goto fail;
	*out = e;
	return 0;
fail:
	if (err == -ENOMEM)
		bpftk_diags_add(d, BPFTK_SEV_ERROR, filename, 0, 0, NULL, -1,
				"out of memory while reading the object");
	bpftk_elf_close(e);
	return err;
}

void bpftk_elf_close(struct bpftk_elf *e)
{
	if (!e)
		return;
	bpftk_free(e->data);
	bpftk_free(e->filename);
	bpftk_free(e->secs);
	bpftk_free(e->syms);
	bpftk_free(e->rels);
	bpftk_free(e->rel_first);
	bpftk_free(e->rel_count);
	bpftk_free(e);
}

/* ---- accessors ---------------------------------------------------------- */

int bpftk_elf_big_endian(const struct bpftk_elf *e)
{
	return e->big;
}

const char *bpftk_elf_filename(const struct bpftk_elf *e)
{
	return e->filename;
}

size_t bpftk_elf_section_count(const struct bpftk_elf *e)
{
	return e->shnum;
}

int bpftk_elf_section(const struct bpftk_elf *e, size_t i,
		      struct bpftk_elf_shdr *s)
{
	if (i >= e->shnum)
		return -ERANGE;
	*s = e->secs[i];
	return 0;
}

long bpftk_elf_section_by_name(const struct bpftk_elf *e, const char *name)
{
	for (size_t i = 1; i < e->shnum; i++)
		if (!strcmp(e->secs[i].name, name))
			return (long)i;
	return -ENOENT;
}

size_t bpftk_elf_symbol_count(const struct bpftk_elf *e)
{
	return e->nsyms;
}

int bpftk_elf_symbol(const struct bpftk_elf *e, size_t i,
		     struct bpftk_elf_sym *s)
{
	if (i >= e->nsyms)
		return -ERANGE;
	*s = e->syms[i];
	return 0;
}

size_t bpftk_elf_reloc_count(const struct bpftk_elf *e, size_t target)
{
	return target < e->shnum ? e->rel_count[target] : 0;
}

int bpftk_elf_reloc(const struct bpftk_elf *e, size_t target, size_t i,
		    struct bpftk_elf_rel *r)
{
	if (target >= e->shnum || i >= e->rel_count[target])
		return -ERANGE;
	*r = e->rels[e->rel_first[target] + i];
	return 0;
}

int bpftk_elf_section_insns(const struct bpftk_elf *e, size_t i,
			    struct bpftk_insn **insns, size_t *n,
			    struct bpftk_diags *d)
{
	*insns = NULL;
	*n = 0;
	if (i >= e->shnum)
		return -ERANGE;
	const struct bpftk_elf_shdr *s = &e->secs[i];
	if (s->type == BPFTK_SHT_NOBITS || s->type == BPFTK_SHT_NULL ||
	    i == 0) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, e->filename, 0, 0, NULL, -1,
				"section %zu '%s' has no bytes in the file", i,
				s->name);
		return -EINVAL;
	}
	if (s->size % 8) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, e->filename, 0, 0, NULL, -1,
				"section %zu '%s' has size 0x%" PRIx64
				", not a multiple of the 8-byte instruction",
				i, s->name, s->size);
		return -EINVAL;
	}
	size_t cnt = (size_t)(s->size / 8);
	struct bpftk_insn *v = bpftk_calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (cnt)
		bpftk_isa_decode(s->data, (size_t)s->size, e->big, v, d,
				 s->name);
	*insns = v;
	*n = cnt;
	return 0;
}
