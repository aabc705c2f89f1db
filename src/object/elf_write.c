/* elf_write.c — writes instruction arrays as an EM_BPF ELF64 relocatable
 * object that llvm-objdump, llvm-readelf and libbpf accept.
 *
 * Layout (every offset a multiple of 8 where the ELF rules want alignment):
 *
 *   ELF header | program sections | license | .symtab | .strtab | .shstrtab
 *   | section header table
 *
 * Section indexes: 0 null, 1..n programs in the given order, then license
 * (when given), .symtab, .strtab, .shstrtab.  The symbol table holds the
 * null symbol, one STT_SECTION local per program section (what LLVM emits,
 * and what relocations added by later issues will point at), then the given
 * function symbols as STT_FUNC GLOBAL, each sized up to the next function
 * start in its section (or the section end).
 *
 * Invariant: everything is validated before the first byte is produced, so
 * a failure never leaves a half-written object behind.
 */
#include <errno.h>
#include <string.h>

#include <bpftk/elf.h>

#include "../util/util_int.h"
#include "object_int.h"

/* Growable string table; offset 0 holds the empty string. */
struct strtab {
	struct bpftk_buf b;
};

static uint32_t strtab_add(struct strtab *t, const char *s)
{
	if (!*s)
		return 0;
	uint32_t off = (uint32_t)t->b.len;
	bpftk_buf_append(&t->b, s, strlen(s) + 1);
	return off;
}

static int reserved_name(const char *s)
{
	return !strcmp(s, ".symtab") || !strcmp(s, ".strtab") ||
	       !strcmp(s, ".shstrtab") || !strcmp(s, "license");
}

static int check_input(const struct bpftk_elf_section *secs, size_t nsecs,
		       const char *license, struct bpftk_diags *d)
{
	int bad = 0;
	size_t nsyms = 0;
	for (size_t i = 0; i < nsecs; i++) {
		const struct bpftk_elf_section *s = &secs[i];
		if (!s->name || !*s->name) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
					"section %zu has no name", i);
			bad = 1;
			continue;
		}
		if (reserved_name(s->name)) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, s->name,
					-1,
					"section name '%s' is reserved for the "
					"object's own tables",
					s->name);
			bad = 1;
		}
		for (size_t j = 0; j < i; j++)
			if (secs[j].name && !strcmp(secs[j].name, s->name)) {
				bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0,
						s->name, -1,
						"section '%s' appears twice "
						"(entries %zu and %zu)",
						s->name, j, i);
				bad = 1;
			}
		if (s->n && !s->insns) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, s->name,
					-1, "section '%s' has %zu instructions "
					    "but no instruction array",
					s->name, s->n);
			bad = 1;
		}
		if (s->n > (SIZE_MAX >> 4) || s->nsyms > (SIZE_MAX >> 6)) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, s->name,
					-1, "section '%s' is too large",
					s->name);
			return -E2BIG;
		}
		if (s->nsyms && !s->syms) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, s->name,
					-1, "section '%s' has %zu symbols but "
					    "no symbol array",
					s->name, s->nsyms);
			bad = 1;
			continue;
		}
		for (size_t k = 0; k < s->nsyms; k++) {
			const struct bpftk_elf_symbol *y = &s->syms[k];
			if (!y->name || !*y->name) {
				bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0,
						s->name, -1,
						"symbol %zu of section '%s' has "
						"no name",
						k, s->name);
				bad = 1;
				continue;
			}
			if (y->insn >= s->n) {
				bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0,
						s->name, (long)y->insn,
						"symbol '%s' starts at "
						"instruction %zu, outside "
						"section '%s' (%zu instructions)",
						y->name, y->insn, s->name, s->n);
				bad = 1;
			}
			/* Global names must be unique in the object. */
			for (size_t i2 = 0; i2 <= i; i2++) {
				const struct bpftk_elf_section *s2 = &secs[i2];
				size_t lim = i2 == i ? k : s2->nsyms;
				for (size_t k2 = 0; k2 < lim && s2->syms; k2++)
					if (s2->syms[k2].name &&
					    !strcmp(s2->syms[k2].name, y->name)) {
						bpftk_diags_add(
							d, BPFTK_SEV_ERROR,
							NULL, 0, 0, s->name,
							(long)y->insn,
							"symbol '%s' is defined "
							"twice",
							y->name);
						bad = 1;
					}
			}
		}
		nsyms += s->nsyms;
	}
	/* null + programs + license + 3 tables must stay below SHN_LORESERVE,
	 * and symbol indexes must fit the 32-bit r_info field. */
	if (nsecs + 5 >= ELF_SHN_LORESERVE || nsyms + nsecs + 1 > UINT32_MAX) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"too many sections (%zu) or symbols (%zu) for "
				"one object",
				nsecs, nsyms);
		return -E2BIG;
	}
	(void)license;
	return bad ? -EINVAL : 0;
}

/* Size in slots of the function starting at insn: up to the next later
 * start in the same section, or the section end. */
static size_t func_slots(const struct bpftk_elf_section *s, size_t insn)
{
	size_t end = s->n;
	for (size_t k = 0; k < s->nsyms; k++)
		if (s->syms[k].insn > insn && s->syms[k].insn < end)
			end = s->syms[k].insn;
	return end - insn;
}

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

struct shdr_out {
	uint32_t name, type, link, info;
	uint64_t flags, offset, size, align, entsize;
};

int bpftk_elf_write(const struct bpftk_elf_section *secs, size_t nsecs,
		    const char *license, int big_endian, void **out,
		    size_t *out_len, struct bpftk_diags *d)
{
	int big = big_endian ? 1 : 0;
	if (!out || !out_len || (nsecs && !secs))
		return -EINVAL;
	*out = NULL;
	*out_len = 0;
	int err = check_input(secs, nsecs, license, d);
	if (err)
		return err;

	size_t nfuncs = 0;
	for (size_t i = 0; i < nsecs; i++)
		nfuncs += secs[i].nsyms;
	size_t nsyms = 1 + nsecs + nfuncs;
	size_t lic_idx = license ? nsecs + 1 : 0;
	size_t symtab_idx = nsecs + 1 + (license ? 1 : 0);
	size_t strtab_idx = symtab_idx + 1, shstrtab_idx = symtab_idx + 2;
	size_t shnum = shstrtab_idx + 1;

	struct strtab shstr = {{0}}, str = {{0}};
	struct shdr_out *sh = bpftk_calloc(shnum, sizeof(*sh));
	uint8_t *syms = bpftk_calloc(nsyms, SYM_SIZE);
	uint8_t *img = NULL;
	err = -ENOMEM;
	if (!sh || !syms)
		goto out;
	bpftk_buf_append(&shstr.b, "", 1);
	bpftk_buf_append(&str.b, "", 1);

	/* Section contents, placed after the ELF header. */
	size_t off = EHDR_SIZE;
	for (size_t i = 0; i < nsecs; i++) {
		struct shdr_out *h = &sh[1 + i];
		h->name = strtab_add(&shstr, secs[i].name);
		h->type = BPFTK_SHT_PROGBITS;
		h->flags = BPFTK_SHF_ALLOC | BPFTK_SHF_EXECINSTR;
		h->offset = off;
		h->size = secs[i].n * 8;
		h->align = 8;
		off = align8(off + (size_t)h->size);
	}
	if (license) {
		struct shdr_out *h = &sh[lic_idx];
		h->name = strtab_add(&shstr, "license");
		h->type = BPFTK_SHT_PROGBITS;
		h->flags = BPFTK_SHF_ALLOC | BPFTK_SHF_WRITE;
		h->offset = off;
		h->size = strlen(license) + 1;
		h->align = 1;
		off = align8(off + (size_t)h->size);
	}

	/* Symbols: section symbols (local) first, then functions. */
	size_t si = 1;
	for (size_t i = 0; i < nsecs; i++, si++) {
		uint8_t *y = syms + si * SYM_SIZE;
		y[ST_INFO] = BPFTK_STB_LOCAL << 4 | BPFTK_STT_SECTION;
		wr(y + ST_SHNDX, 2, big, 1 + i);
	}
	for (size_t i = 0; i < nsecs; i++) {
		for (size_t k = 0; k < secs[i].nsyms; k++, si++) {
			const struct bpftk_elf_symbol *fs = &secs[i].syms[k];
			uint8_t *y = syms + si * SYM_SIZE;
			wr(y + ST_NAME, 4, big, strtab_add(&str, fs->name));
			y[ST_INFO] = BPFTK_STB_GLOBAL << 4 | BPFTK_STT_FUNC;
			wr(y + ST_SHNDX, 2, big, 1 + i);
			wr(y + ST_VALUE, 8, big, (uint64_t)fs->insn * 8);
			wr(y + ST_SIZE, 8, big,
			   (uint64_t)func_slots(&secs[i], fs->insn) * 8);
		}
	}
	struct shdr_out *h = &sh[symtab_idx];
	h->name = strtab_add(&shstr, ".symtab");
	h->type = BPFTK_SHT_SYMTAB;
	h->offset = off;
	h->size = nsyms * SYM_SIZE;
	h->link = (uint32_t)strtab_idx;
	h->info = (uint32_t)(1 + nsecs); /* first non-local symbol */
	h->align = 8;
	h->entsize = SYM_SIZE;
	off += (size_t)h->size;

	h = &sh[strtab_idx];
	h->name = strtab_add(&shstr, ".strtab");
	h->type = BPFTK_SHT_STRTAB;
	h->offset = off;
	h->size = str.b.len;
	h->align = 1;
	off += (size_t)h->size;

	h = &sh[shstrtab_idx];
	h->name = strtab_add(&shstr, ".shstrtab");
	h->type = BPFTK_SHT_STRTAB;
	h->offset = off;
	h->size = shstr.b.len;
	h->align = 1;
	off += (size_t)h->size;
	if (shstr.b.failed || str.b.failed)
		goto out;

	size_t shoff = align8(off);
	size_t total = shoff + shnum * SHDR_SIZE;
	img = bpftk_calloc(total, 1);
	if (!img)
		goto out;

	memcpy(img, ELF_MAG, 4);
	img[ELF_EI_CLASS] = ELF_CLASS64;
	img[ELF_EI_DATA] = big ? ELF_DATA2MSB : ELF_DATA2LSB;
	img[ELF_EI_VERSION] = ELF_EV_CURRENT;
	wr(img + EH_TYPE, 2, big, ELF_ET_REL);
	wr(img + EH_MACHINE, 2, big, ELF_EM_BPF);
	wr(img + EH_VERSION, 4, big, ELF_EV_CURRENT);
	wr(img + EH_SHOFF, 8, big, shoff);
	wr(img + EH_EHSIZE, 2, big, EHDR_SIZE);
	wr(img + EH_SHENTSIZE, 2, big, SHDR_SIZE);
	wr(img + EH_SHNUM, 2, big, shnum);
	wr(img + EH_SHSTRNDX, 2, big, shstrtab_idx);

	for (size_t i = 0; i < nsecs; i++)
		if (secs[i].n)
			bpftk_isa_encode(secs[i].insns, secs[i].n, big,
					 img + sh[1 + i].offset);
	if (license)
		memcpy(img + sh[lic_idx].offset, license, strlen(license) + 1);
	memcpy(img + sh[symtab_idx].offset, syms, nsyms * SYM_SIZE);
	memcpy(img + sh[strtab_idx].offset, str.b.data, str.b.len);
	memcpy(img + sh[shstrtab_idx].offset, shstr.b.data, shstr.b.len);
	for (size_t i = 1; i < shnum; i++) {
		uint8_t *p = img + shoff + i * SHDR_SIZE;
		wr(p + SH_NAME, 4, big, sh[i].name);
		wr(p + SH_TYPE, 4, big, sh[i].type);
		wr(p + SH_FLAGS, 8, big, sh[i].flags);
		wr(p + SH_OFFSET, 8, big, sh[i].offset);
		wr(p + SH_SIZE, 8, big, sh[i].size);
		wr(p + SH_LINK, 4, big, sh[i].link);
		wr(p + SH_INFO, 4, big, sh[i].info);
		wr(p + SH_ADDRALIGN, 8, big, sh[i].align);
		wr(p + SH_ENTSIZE, 8, big, sh[i].entsize);
	}
	*out = img;
	*out_len = total;
	img = NULL;
	err = 0;
out:
	if (err == -ENOMEM)
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"out of memory while writing the object");
	bpftk_free(img);
	bpftk_free(sh);
	bpftk_free(syms);
	bpftk_buf_free(&shstr.b);
	bpftk_buf_free(&str.b);
	return err;
}

void bpftk_elf_buf_free(void *p)
{
	bpftk_free(p);
}
