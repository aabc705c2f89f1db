/* fuzz_elf.c — libFuzzer target: the input is opened as an ELF object and
 * every accessor is walked (sections, symbols, relocations); every
 * executable section is decoded, validated and disassembled in each dialect
 * and mode, and the whole object is listed with and without relocations.
 * Inputs that are not ELF are disassembled as raw bytecode.  Which
 * dialect and options a run uses is taken from the input's last byte, so
 * one execution stays cheap and the fuzzer still reaches every mode.  The
 * target checks only that nothing crashes, leaks or reads out of bounds;
 * the sanitizers do the judging.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Options from the mode bits: dialect, hex, exact, raw bytes, relocations,
 * byte order of raw listings. */
static struct bpftk_disasm_opts opts_of(unsigned mode)
{
	struct bpftk_disasm_opts o = {0};
	o.sz = sizeof(o);
	o.dialect = (mode & 1) ? BPFTK_DISASM_CONFORMANCE : BPFTK_DISASM_LLVM;
	o.hex = (mode >> 1) & 1;
	o.exact = (mode >> 2) & 1;
	o.raw = (mode >> 3) & 1;
	o.relocs = (mode >> 4) & 1;
	o.big_endian = (mode >> 5) & 1;
	return o;
}

static void listings(const struct bpftk_insn *insns, size_t n, unsigned mode,
		     struct bpftk_diags *d)
{
	struct bpftk_disasm_opts o = opts_of(mode);
	char *text = NULL;
	bpftk_disasm_prog(insns, n, &o, &text, NULL, d);
	bpftk_disasm_free(text);
	if (n)
		bpftk_isa_validate(insns, n, d, "fuzz");
	drain(d);
}

static void walk(const struct bpftk_elf *e, unsigned mode,
		 struct bpftk_diags *d)
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
			listings(insns, n, mode, d);
		bpftk_elf_buf_free(insns);
		drain(d);
	}
	struct bpftk_disasm_opts o = opts_of(mode);
	char *text = NULL;
	bpftk_disasm_elf(e, &o, &text, NULL, d);
	bpftk_disasm_free(text);
	drain(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d)
		return 0;
	unsigned mode = size ? data[size - 1] : 0;
	struct bpftk_elf *e = NULL;
	int rc = bpftk_elf_open_mem(data, size, "fuzz.o", &e, d);
	if (rc == 0)
		walk(e, mode, d);
	bpftk_elf_close(e);
	drain(d);
	if (size >= 4 && !memcmp(data, "\177ELF", 4)) {
		bpftk_diags_free(d);
		return 0;
	}
	/* anything else as raw bytecode */
	size_t n = size / 8;
	struct bpftk_insn *insns = malloc((n ? n : 1) * sizeof(*insns));
	if (insns && bpftk_isa_decode(data, n * 8, (mode >> 5) & 1, insns, d,
				      "fuzz") >= 0)
		listings(insns, n, mode, d);
	free(insns);
	drain(d);
	bpftk_diags_free(d);
	return 0;
}
