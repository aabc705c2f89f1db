/* bpftk/elf.h — BPF ELF relocatable objects in and out.
 *
 * Reader: ELF64 ET_REL files for EM_BPF (247) in either byte order.  Opening
 * checks every offset, size, index and string of the headers, section table,
 * symbol tables and relocation sections before anything is handed out, so
 * every accessor below works on data that is known to lie inside the file.
 * The handle is opaque: later issues grow it into the object loader (maps,
 * BTF, relocations following libbpf's conventions) without breaking callers.
 *
 * Writer: turns instruction arrays into an EM_BPF relocatable object that
 * llvm-objdump and libbpf accept.
 *
 * Errors: functions return 0 (or a count) or a negative errno: -EINVAL bad
 * input (details in the diagnostics), -ENOMEM allocation failed, -ENOENT not
 * found, -ERANGE an index out of range.
 */
#ifndef BPFTK_ELF_H
#define BPFTK_ELF_H

#include <bpftk/common.h>
#include <bpftk/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reader -------------------------------------------------------------- */

struct bpftk_elf;

/* Section header fields of interest (ELF sh_* values). */
enum {
	BPFTK_SHT_NULL = 0,
	BPFTK_SHT_PROGBITS = 1,
	BPFTK_SHT_SYMTAB = 2,
	BPFTK_SHT_STRTAB = 3,
	BPFTK_SHT_RELA = 4,
	BPFTK_SHT_NOBITS = 8,
	BPFTK_SHT_REL = 9,
};
enum {
	BPFTK_SHF_WRITE = 0x1,
	BPFTK_SHF_ALLOC = 0x2,
	BPFTK_SHF_EXECINSTR = 0x4,
};
/* Symbol types and bindings (ELF STT_* / STB_*). */
enum {
	BPFTK_STT_NOTYPE = 0,
	BPFTK_STT_OBJECT = 1,
	BPFTK_STT_FUNC = 2,
	BPFTK_STT_SECTION = 3,
	BPFTK_STT_FILE = 4,
};
enum {
	BPFTK_STB_LOCAL = 0,
	BPFTK_STB_GLOBAL = 1,
	BPFTK_STB_WEAK = 2,
};
/* BPF relocation types (R_BPF_*). */
enum {
	BPFTK_R_BPF_NONE = 0,
	BPFTK_R_BPF_64_64 = 1,
	BPFTK_R_BPF_64_ABS64 = 2,
	BPFTK_R_BPF_64_ABS32 = 3,
	BPFTK_R_BPF_64_NODYLD32 = 4,
	BPFTK_R_BPF_64_32 = 10,
};

/* A section as the reader sees it.  Strings and bytes point into the
 * handle's copy of the file and live as long as the handle. */
struct bpftk_elf_shdr {
	size_t index;	  /* section header index */
	const char *name; /* "" when unnamed */
	uint32_t type;	  /* BPFTK_SHT_* or any other sh_type */
	uint64_t flags;	  /* BPFTK_SHF_* bits */
	uint64_t offset;  /* file offset of the bytes */
	uint64_t size;	  /* bytes (NOBITS: memory size, no file bytes) */
	uint32_t link, info;
	uint64_t addralign, entsize;
	const uint8_t *data; /* size bytes, NULL for NOBITS / empty */
};

struct bpftk_elf_sym {
	size_t index;	  /* symbol table index */
	const char *name; /* "" when unnamed */
	uint64_t value;
	uint64_t size;
	uint8_t type; /* BPFTK_STT_* */
	uint8_t bind; /* BPFTK_STB_* */
	uint8_t other;
	uint16_t shndx; /* section index (0 = undefined, >= 0xff00 special) */
};

struct bpftk_elf_rel {
	uint64_t offset; /* byte offset inside the target section */
	uint32_t sym;	 /* symbol table index, checked < symbol count */
	uint32_t type;	 /* BPFTK_R_BPF_* */
	int64_t addend;	 /* RELA only, 0 for REL */
};

/* Opens an object held in memory.  The bytes are copied, so data may be
 * freed after the call.  filename is only used in messages ("file: error:
 * ...") and may be NULL.  On success *out is a handle the caller frees with
 * bpftk_elf_close(); on failure *out is NULL, the reasons are in d and the
 * result is -EINVAL (malformed) or -ENOMEM. */
BPFTK_API int bpftk_elf_open_mem(const void *data, size_t len,
				 const char *filename, struct bpftk_elf **out,
				 struct bpftk_diags *d);
/* Frees the handle and everything borrowed from it; NULL is a no-op. */
BPFTK_API void bpftk_elf_close(struct bpftk_elf *e);

/* 1 if the object is big-endian (EI_DATA = ELFDATA2MSB), else 0. */
BPFTK_API int bpftk_elf_big_endian(const struct bpftk_elf *e);
/* File name given to open, or "<memory>". */
BPFTK_API const char *bpftk_elf_filename(const struct bpftk_elf *e);

/* Sections, by section header index 0..count-1 (index 0 is the null
 * section).  Returns 0 and fills *s, or -ERANGE. */
BPFTK_API size_t bpftk_elf_section_count(const struct bpftk_elf *e);
BPFTK_API int bpftk_elf_section(const struct bpftk_elf *e, size_t i,
				struct bpftk_elf_shdr *s);
/* First section with that name: its index, or -ENOENT. */
BPFTK_API long bpftk_elf_section_by_name(const struct bpftk_elf *e,
					 const char *name);

/* Symbols of the (single) SHT_SYMTAB, index 0..count-1 (0 is the null
 * symbol); count is 0 when there is no symbol table.  Names and section
 * indexes are checked at open. */
BPFTK_API size_t bpftk_elf_symbol_count(const struct bpftk_elf *e);
BPFTK_API int bpftk_elf_symbol(const struct bpftk_elf *e, size_t i,
			       struct bpftk_elf_sym *s);

/* Relocations applying to section `target`: the REL/RELA sections whose
 * sh_info is target, concatenated in section order.  Returns the count. */
BPFTK_API size_t bpftk_elf_reloc_count(const struct bpftk_elf *e,
				       size_t target);
BPFTK_API int bpftk_elf_reloc(const struct bpftk_elf *e, size_t target,
			      size_t i, struct bpftk_elf_rel *r);

/* Decodes the bytes of section i as instructions in the object's byte order.
 * On success *insns (allocated with the library allocator, free with
 * bpftk_elf_buf_free) holds *n slots.  Errors: -ERANGE bad index, -EINVAL
 * the section has no file bytes or a size that is not a multiple of 8
 * (reported to d), -ENOMEM. */
BPFTK_API int bpftk_elf_section_insns(const struct bpftk_elf *e, size_t i,
				      struct bpftk_insn **insns, size_t *n,
				      struct bpftk_diags *d);

/* ---- writer -------------------------------------------------------------- */

struct bpftk_elf_symbol {
	const char *name;
	size_t insn; /* a function start, STT_FUNC GLOBAL */
};
struct bpftk_elf_section {
	const char *name;
	const struct bpftk_insn *insns;
	size_t n;
	const struct bpftk_elf_symbol *syms;
	size_t nsyms;
};

/* Writes an EM_BPF ELF64 relocatable object: one PROGBITS
 * SHF_ALLOC|SHF_EXECINSTR section per entry of secs, a "license" section
 * holding the NUL-terminated license when it is not NULL, .symtab, .strtab
 * and .shstrtab.  big_endian selects EI_DATA and the instruction byte order.
 * *out is allocated with the library allocator; free it with
 * bpftk_elf_buf_free().  Errors: -EINVAL (bad names, symbol outside its
 * section; reported to d), -ENOMEM. */
BPFTK_API int bpftk_elf_write(const struct bpftk_elf_section *secs,
			      size_t nsecs, const char *license,
			      int big_endian, void **out, size_t *out_len,
			      struct bpftk_diags *d);
BPFTK_API void bpftk_elf_buf_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
