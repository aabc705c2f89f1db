/* fuzz_elf.c — libFuzzer target: the input is opened as an ELF object and
 * every accessor is walked (sections, symbols, relocations); every
 * executable section is decoded, validated and disassembled in each dialect
 * and mode, and the whole object is listed with and without relocations.
 * Inputs that are not ELF are disassembled as raw bytecode.  The target
 * checks only that nothing crashes, leaks or reads out of bounds; the
 * sanitizers do the judging.
 */
#include <stdint.h>
#include <stdlib.h>

#include <bpftk/disasm.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct bpftk_diags *d)
{
	char line[512];
	for (size_t i = 0; i < bpftk_diags_count(d); i++)
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
	bpftk_diags_clear(d);
}

static void listings(const struct bpftk_insn *insns, size_t n,
		     struct bpftk_diags *d)
{
	for (unsigned mode = 0; mode < 8; mode++) {
		struct bpftk_disasm_opts o = {0};
		o.sz = sizeof(o);
		o.dialect = (mode & 1) ? BPFTK_DISASM_CONFORMANCE
				       : BPFTK_DISASM_LLVM;
		o.hex = (mode >> 1) & 1;
		o.exact = (mode >> 2) & 1;
		o.raw = 1;
		char *text = NULL;
		bpftk_disasm_prog(insns, n, &o, &text, NULL, d);
		bpftk_disasm_free(text);
	}
	bpftk_isa_validate(insns, n, d, "fuzz");
	drain(d);
}

static void walk(const struct bpftk_elf *e, struct bpftk_diags *d)
{
	size_t nsec = bpftk_elf_section_count(e);
	for (size_t i = 0; i < bpftk_elf_symbol_count(e); i++) {
		struct bpftk_elf_sym s;
		bpftk_elf_symbol(e, i, &s);
	}
	for (size_t i = 0; i < nsec; i++) {
		struct bpftk_elf_shdr s;
		bpftk_elf_section(e, i, &s);
		bpftk_elf_section_by_name(e, s.name);
		for (size_t k = 0; k < bpftk_elf_reloc_count(e, i); k++) {
			struct bpftk_elf_rel r;
			bpftk_elf_reloc(e, i, k, &r);
		}
		if (!(s.flags & BPFTK_SHF_EXECINSTR))
			continue;
		struct bpftk_insn *insns = NULL;
		size_t n = 0;
		if (!bpftk_elf_section_insns(e, i, &insns, &n, d))
			listings(insns, n, d);
		bpftk_elf_buf_free(insns);
		drain(d);
	}
	for (unsigned mode = 0; mode < 4; mode++) {
		struct bpftk_disasm_opts o = {0};
		o.sz = sizeof(o);
		o.raw = mode & 1;
		o.relocs = (mode >> 1) & 1;
		o.dialect = (mode & 1) ? BPFTK_DISASM_CONFORMANCE
				       : BPFTK_DISASM_LLVM;
		char *text = NULL;
		bpftk_disasm_elf(e, &o, &text, NULL, d);
		bpftk_disasm_free(text);
	}
	drain(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d)
		return 0;
	struct bpftk_elf *e = NULL;
	if (bpftk_elf_open_mem(data, size, "fuzz.o", &e, d) == 0)
		walk(e, d);
	bpftk_elf_close(e);
	drain(d);
	/* the same bytes as raw bytecode */
	size_t n = size / 8;
	struct bpftk_insn *insns = malloc((n ? n : 1) * sizeof(*insns));
	if (insns && bpftk_isa_decode(data, n * 8, size & 1, insns, d,
				      "fuzz") >= 0)
		listings(insns, n, d);
	free(insns);
	drain(d);
	bpftk_diags_free(d);
	return 0;
}
