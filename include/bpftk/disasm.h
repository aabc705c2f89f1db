/* bpftk/disasm.h — the disassembler: instructions in, text out.
 *
 * Text comes from the instruction table (bpftk/opcodes.def) alone:
 *
 *  - LLVM dialect (default): the row's `llvm` template, which reads exactly
 *    as `llvm-objdump -d` of LLVM 14 prints the instruction; instructions
 *    LLVM 14 cannot decode (v4, and a few older ones it never learnt) use
 *    the syntax later LLVM versions print.  With `exact`, the row's `exact`
 *    template is used where LLVM 14 drops a field (local calls print
 *    "call pc+5"), so the text assembles back to the same bytes.
 *  - conformance dialect: the row's `name` as mnemonic, operands derived
 *    from the row's form ("ldxw %r0, [%r1+8]", "jne %r1, 16, +3",
 *    "lock fetch add [%r10-8], %r1", "call local +5", "call %r2").
 *
 * Immediates print in decimal (LLVM 14) or, with `hex`, in hex the way
 * LLVM 19 prints them ("r1 += -0x54", "goto +0x3").  A slot that is no row
 * of the table prints "<unknown>", as llvm-objdump does.
 *
 * Listings follow llvm-objdump: "%8u:\t" (instruction index), optionally the
 * raw bytes and a tab, then the text; in object listings jump targets are
 * annotated " <LBB0_2>" / " <func+0x10>" from the symbol table, exactly as
 * llvm-objdump 14 picks them.
 *
 * Errors are negative errno values: -EINVAL bad arguments, -ENOENT the
 * requested section does not exist, -ENOMEM.  The library never prints.
 */
#ifndef BPFTK_DISASM_H
#define BPFTK_DISASM_H

#include <bpftk/common.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

enum bpftk_disasm_dialect {
	BPFTK_DISASM_LLVM = 0,
	BPFTK_DISASM_CONFORMANCE = 1,
};

/* Options; zero-initialise, set sz = sizeof(struct bpftk_disasm_opts), then
 * the fields you need.  A NULL options pointer means all defaults.  Later
 * versions only append fields, and read those only when sz covers them. */
struct bpftk_disasm_opts {
	size_t sz;
	enum bpftk_disasm_dialect dialect;
	int hex;	     /* immediates in hex (LLVM 19 style) */
	int exact;	     /* lossless templates, for round trips */
	int raw;	     /* listings: raw bytes column */
	int relocs;	     /* object listings: relocation lines (-r) */
	const char *section; /* object listings: only this section */
	int big_endian;	     /* program listings: byte order of raw bytes */
};

/* Text of the instruction at insns[pc] (no index, no annotation), written
 * to buf like snprintf (always NUL-terminated when size > 0).  Returns the
 * number of slots it spans (2 for lddw, 1 otherwise; 1 for "<unknown>"),
 * or 0 when pc >= n. */
BPFTK_API int bpftk_disasm_insn(const struct bpftk_insn *insns, size_t n,
				size_t pc, const struct bpftk_disasm_opts *o,
				char *buf, size_t size);

/* Listing of a program: one line per instruction.  On success *out (NUL
 * terminated, *len bytes without the NUL) is allocated with the library
 * allocator; free it with bpftk_disasm_free().  -ENOMEM on failure. */
BPFTK_API int bpftk_disasm_prog(const struct bpftk_insn *insns, size_t n,
				const struct bpftk_disasm_opts *o, char **out,
				size_t *len, struct bpftk_diags *d);

/* llvm-objdump -d listing of every executable section of an object (or of
 * o->section): "\nFILE:\tfile format elf64-bpf\n", then per section
 * "\nDisassembly of section NAME:\n", per symbol "\n%016x <name>:\n" and the
 * instruction lines.  Ownership of *out as for bpftk_disasm_prog.  Errors:
 * -ENOENT (o->section not found or not executable, reported to d),
 * -ENOMEM. */
BPFTK_API int bpftk_disasm_elf(const struct bpftk_elf *e,
			       const struct bpftk_disasm_opts *o, char **out,
			       size_t *len, struct bpftk_diags *d);

/* Frees text returned above; NULL is a no-op. */
BPFTK_API void bpftk_disasm_free(char *p);

#ifdef __cplusplus
}
#endif
#endif
