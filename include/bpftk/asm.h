/* bpftk/asm.h — the assembler: BPF assembly text in, instructions out.
 *
 * Two dialects are understood:
 *
 *  - LLVM / kernel dialect, as llvm-objdump prints and `clang -target bpf -S`
 *    emits it ("r0 = 1", "if r1 s> 5 goto +3", "*(u32 *)(r10 - 4) = r1",
 *    "lock *(u64 *)(r1 + 0) += r2", "call 1", labels, the directives of
 *    clang's output).  Instructions are matched against the `exact` and
 *    `llvm` templates of the instruction table (bpftk/opcodes.def), the same
 *    description the disassembler prints from.  llvm-objdump listings
 *    ("  5:\tb7 01 .. 00\tr1 = 1 <sym>") and kernel verifier log lines
 *    ("0: (b7) r0 = 1") are accepted too, so printed programs re-assemble.
 *  - bpf_conformance dialect ("mov32 %r0, 1", "ldxdw %r0, [%r1+8]",
 *    "jne %r1, 0x10, label", "lock fetch add [%r10-8], %r1"): mnemonics are
 *    the `name` column of the table; a label `exit` is implied at the first
 *    `exit` instruction.
 *
 * Comments start with '#', ';' or "//".  Numbers are decimal, 0x hex, 0b
 * binary or 0-prefixed octal.  Immediates of 32-bit fields accept
 * -2^31 .. 2^32-1 (in the conformance dialect a decimal immediate must be
 * signed, -2^31 .. 2^31-1, as its suite requires: write the upper half in
 * hex); lddw takes any 64-bit value; memory offsets accept -2^15 .. 2^16-1;
 * jump targets are labels or +N / -N (16 bits; ja32 / gotol take 32).
 *
 * The LLVM dialect also takes what clang -mcpu=v3 writes beyond the
 * templates: wN as the data register of loads, stores and atomics, and
 * "rD = wS" for the zero-extending move "wD = wS".  "call name" to a label
 * of the same section is a local call (src = 1, imm = target - pc - 1); a
 * symbol anywhere else (another section, "r1 = map ll") is an error, since
 * no relocations are produced.
 *
 * Errors are reported to the diagnostics list as
 * "file:line:col: error: expected ..., found '...'" with the column of the
 * offending token; assembly goes on after an error to report more of them,
 * but no result is produced.
 */
#ifndef BPFTK_ASM_H
#define BPFTK_ASM_H

#include <bpftk/common.h>
#include <bpftk/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

enum bpftk_asm_dialect {
	BPFTK_ASM_AUTO = 0,	   /* guess from the text (see below) */
	BPFTK_ASM_LLVM = 1,	   /* LLVM / kernel dialect */
	BPFTK_ASM_CONFORMANCE = 2, /* bpf_conformance dialect */
};

/* Options; zero-initialise, set sz = sizeof(struct bpftk_asm_opts), then the
 * fields you need.  A NULL options pointer means all defaults.  Later
 * versions only append fields, and read those only when sz covers them. */
struct bpftk_asm_opts {
	size_t sz;
	/* AUTO picks the conformance dialect when a line uses a "%r" register
	 * or starts with a mnemonic only that dialect has, otherwise LLVM. */
	enum bpftk_asm_dialect dialect;
	const char *filename; /* for diagnostics; NULL = "<input>" */
};

/* Symbol flags. */
enum {
	BPFTK_ASM_SYM_FUNC = 1 << 0,   /* `.type x,@function`, or a call target */
	BPFTK_ASM_SYM_GLOBAL = 1 << 1, /* `.globl x` */
};

/* A function entry: a label that is a call target or declared with
 * `.type name,@function` / `.globl`.  Plain jump labels are not listed. */
struct bpftk_asm_symbol {
	const char *name;
	size_t insn; /* slot index inside its section */
	unsigned flags;
};

/* One code section.  The conformance dialect and LLVM text without section
 * directives produce a single section ".text".  Empty code sections are
 * left out.  Everything is owned by the result. */
struct bpftk_asm_section {
	const char *name;
	const struct bpftk_insn *insns; /* n slots; lddw takes two */
	size_t n;
	const struct bpftk_asm_symbol *syms; /* sorted by insn, then name */
	size_t nsyms;
};

struct bpftk_asm_result;

/* Assembles len bytes of text (need not be NUL-terminated; a NUL byte is an
 * error).  On success returns 0 and sets *out to a result the caller frees
 * with bpftk_asm_result_free(); the diagnostics may hold warnings and notes
 * (e.g. skipped data sections).  On failure *out is NULL and the result is
 * -EINVAL (errors are in d) or -ENOMEM. */
BPFTK_API int bpftk_asm_assemble(const char *text, size_t len,
				 const struct bpftk_asm_opts *opts,
				 struct bpftk_asm_result **out,
				 struct bpftk_diags *d);
/* NULL is a no-op. */
BPFTK_API void bpftk_asm_result_free(struct bpftk_asm_result *r);

/* The dialect that was used (never AUTO). */
BPFTK_API enum bpftk_asm_dialect
bpftk_asm_result_dialect(const struct bpftk_asm_result *r);
BPFTK_API size_t bpftk_asm_result_nsections(const struct bpftk_asm_result *r);
/* Borrowed pointer valid until the result is freed; NULL when out of range. */
BPFTK_API const struct bpftk_asm_section *
bpftk_asm_result_section(const struct bpftk_asm_result *r, size_t i);
/* The string given to a "license" section (`.asciz "GPL"` in clang's
 * output), or NULL.  Borrowed like the sections. */
BPFTK_API const char *
bpftk_asm_result_license(const struct bpftk_asm_result *r);

/* Parses a dialect name: "auto", "llvm" (also "kernel") or "conformance".
 * Returns 0 and sets *out, or -EINVAL. */
BPFTK_API int bpftk_asm_dialect_parse(const char *name,
				      enum bpftk_asm_dialect *out);

#ifdef __cplusplus
}
#endif
#endif
