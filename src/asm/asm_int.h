/* asm_int.h — what the assembler's files share and nothing outside src/asm
 * may include: the lexer, the template matcher, and the assembly context
 * (sections, labels, jump fixups, diagnostics).
 *
 * The pipeline (asm_core.c): split the text into lines; tokenize each line
 * (asm_lex.c); handle labels and directives (asm_directive.c); hand the rest
 * to the dialect (asm_llvm.c or asm_conf.c), which matches the tokens against
 * operand templates (asm_match.c) and appends instructions; finally resolve
 * label references and build the result.
 *
 * Invariants: tokens point into the caller's text, which outlives the
 * assembly; nothing is copied until the result is built.  Every allocation
 * failure sets ctx->nomem, after which the driver stops and returns -ENOMEM.
 */
#ifndef BPFTK_ASM_INT_H
#define BPFTK_ASM_INT_H

#include <stddef.h>
#include <stdint.h>

#include <bpftk/asm.h>
#include <bpftk/isa.h>

#include "../util/util_int.h"

/* ---- lexer (asm_lex.c) ---------------------------------------------------- */

enum tok_kind {
	TK_END,	  /* end of line or start of a comment */
	TK_IDENT, /* [A-Za-z_.$][A-Za-z0-9_.$]* */
	TK_NUM,	  /* starts with a digit; value in tok.val */
	TK_PUNCT, /* operator or punctuation, longest match */
	TK_STR,	  /* "..." with escapes left in place */
	TK_BAD,	  /* a byte no token starts with */
};

struct tok {
	enum tok_kind kind;
	const char *p; /* into the source line */
	size_t len;
	int col;      /* 1-based column */
	uint64_t val; /* TK_NUM */
	int numerr;   /* TK_NUM: 1 malformed, 2 more than 64 bits */
};

struct lexer {
	const char *p, *end;
	const char *line; /* start of the line, for columns */
};

BPFTK_INTERNAL void asm_lex_init(struct lexer *lx, const char *p, size_t len,
				 const char *line);
BPFTK_INTERNAL void asm_lex_next(struct lexer *lx, struct tok *t);
/* True when the token is exactly the string s. */
BPFTK_INTERNAL int asm_tok_is(const struct tok *t, const char *s);
/* True when t looks like a register named prefix+digits ("r12", "w3");
 * sets *num (saturated at 99). */
BPFTK_INTERNAL int asm_tok_reg(const struct tok *t, char prefix, unsigned *num);
/* Writes a printable rendering of n bytes at p (quotes not included) into
 * buf, shortening long text with "...". */
BPFTK_INTERNAL void asm_quote(const char *p, size_t n, char *buf, size_t size);

/* ---- assembly context (asm_core.c) ---------------------------------------- */

struct asm_section {
	char *name;
	int code;	  /* instructions allowed */
	int noted;	  /* "skipping" note given */
	struct bpftk_insn *insns;
	size_t n, cap;
	long first_exit;  /* slot of the first exit, -1 = none */
};

struct asm_label {
	const char *name; /* into the text */
	size_t len;
	int defined;
	size_t sec, insn;
	int line, col;	/* definition */
	unsigned flags; /* BPFTK_ASM_SYM_* */
};

enum fixup_kind {
	FIX_OFF,  /* 16-bit jump offset */
	FIX_IMM,  /* 32-bit jump offset (ja32 / gotol) */
	FIX_CALL, /* local call: imm, target becomes a function symbol */
};

struct asm_fixup {
	enum fixup_kind kind;
	const char *name;
	size_t len;
	size_t sec, insn;
	int line, col;
};

struct asm_ctx {
	const char *file;
	struct bpftk_diags *d;
	enum bpftk_asm_dialect dialect;
	int line; /* current line, 1-based */
	int errors, nomem, stopped;

	struct tok *toks; /* current line */
	size_t ntoks, captoks;

	struct asm_section *secs;
	size_t nsecs, capsecs, cur;

	struct asm_label *labels; /* open hash table, power-of-two size */
	size_t nlabels, caplabels;

	struct asm_fixup *fixups;
	size_t nfixups, capfixups;

	const char *license; /* into the text, escapes unprocessed */
	size_t license_len;
};

/* Reports at the current line; col 0 = no column.  Counts errors and stops
 * reporting after a limit. */
BPFTK_INTERNAL void asm_error(struct asm_ctx *c, int col, const char *fmt, ...)
	BPFTK_PRINTF(3, 4);
BPFTK_INTERNAL void asm_note(struct asm_ctx *c, int col, const char *fmt, ...)
	BPFTK_PRINTF(3, 4);
/* Makes the named section current, creating it.  Returns 0 or -ENOMEM. */
BPFTK_INTERNAL int asm_section_switch(struct asm_ctx *c, const char *name,
				      size_t len, int code);
/* Label table entry for name, created undefined when absent; NULL on
 * allocation failure. */
BPFTK_INTERNAL struct asm_label *asm_label_get(struct asm_ctx *c,
					       const char *name, size_t len);
/* Defines a label at the current position of the current section. */
BPFTK_INTERNAL void asm_label_define(struct asm_ctx *c, const struct tok *t);
/* Appends n slots to the current section; returns the index of the first,
 * or -1 (error reported / out of memory). */
BPFTK_INTERNAL long asm_emit(struct asm_ctx *c, const struct bpftk_insn *in,
			     size_t n, int col);
BPFTK_INTERNAL void asm_fixup_add(struct asm_ctx *c, enum fixup_kind kind,
				  const struct tok *name, size_t insn);

/* ---- directives and listing prefixes (asm_directive.c) ---------------------- */

/* Handles a line whose first token is a directive ('.' identifier not
 * followed by ':').  Returns 0, or -1 on error (reported). */
BPFTK_INTERNAL int asm_directive(struct asm_ctx *c, const struct tok *t,
				 size_t n);
/* Recognises whole-line listing decorations of llvm-objdump ("file format",
 * "Disassembly of section X:", "0000000000000028 <name>:") and applies them.
 * Returns 1 when the line was consumed. */
BPFTK_INTERNAL int asm_listing_line(struct asm_ctx *c, const struct tok *t,
				    size_t n);
/* Skips per-instruction listing decorations at the start of t: "N:" index,
 * verifier "(xx)" opcode (stored in *code, else -1) and raw bytes; drops a
 * trailing "<sym>".  Returns the first token of the instruction and sets
 * *n to the new end. */
BPFTK_INTERNAL size_t asm_strip_listing(const struct tok *t, size_t *n,
					int *code);

/* ---- template matcher (asm_match.c) ---------------------------------------- */

/* Template holes (see opcodes.def). */
enum hole {
	H_D,  /* {d}  dst register */
	H_S,  /* {s}  src register */
	H_DW, /* {dw} dst as wN */
	H_SW, /* {sw} src as wN */
	H_I,  /* {i}  immediate (or a symbol, for calls) */
	H_BI, /* {I}  64-bit immediate */
	H_N,  /* {n}  imm of lddw's second slot */
	H_O,  /* {o}  memory offset, may be absent */
	H_T,  /* {t}  jump target */
	H__COUNT
};

enum opnd_kind { OP_NONE, OP_REG, OP_NUM, OP_SYM };

struct operand {
	enum opnd_kind kind;
	unsigned reg;	   /* OP_REG (may be out of range: checked later) */
	int neg;	   /* OP_NUM: a '-' was written */
	uint64_t mag;	   /* OP_NUM: magnitude */
	int numerr;	   /* OP_NUM: lexer's numerr */
	int dec;	   /* OP_NUM: written in decimal */
	size_t first, end; /* token span, for messages */
};

struct match {
	struct operand h[H__COUNT];
};

enum match_style {
	STYLE_LLVM, /* registers rN / wN */
	STYLE_CONF, /* registers %rN (rN accepted) */
};

/* Why matching failed: the token where it stopped and what was expected
 * there.  Callers keep the failure that got furthest. */
#define FAIL_MAX_EXPECT 6
struct match_fail {
	size_t tok; /* index into the line's tokens */
	struct {
		const char *p; /* static text: a description or template text */
		size_t len;
		int literal; /* quote it: template text */
	} expect[FAIL_MAX_EXPECT];
	int nexpect, overflow;
};

/* Matches tokens t[start..n) against template tmpl (whole rest of line).
 * Holes whose bit (1 << H_D, 1 << H_S) is set in wide also accept a "wN"
 * register.  Returns 1 on match (m filled), 0 otherwise (f updated when this
 * attempt got at least as far). */
BPFTK_INTERNAL int asm_match(const char *tmpl, const struct tok *t, size_t n,
			     size_t start, enum match_style style,
			     unsigned wide, struct match *m,
			     struct match_fail *f);
BPFTK_INTERNAL void asm_fail_init(struct match_fail *f);
/* Reports the failure as "expected X or Y, found 'z'". */
BPFTK_INTERNAL void asm_fail_report(struct asm_ctx *c, const struct tok *t,
				    size_t n, const struct match_fail *f);

/* A value problem found after a structural match: kept so another row may
 * still match, reported when none does. */
struct enc_error {
	int col;
	char msg[256];
};

/* Builds the instruction(s) of row r from a structural match: range checks
 * and register checks; a label target becomes a fixup.  Returns the number
 * of slots written to out (1 or 2) or 0 with e filled.  No side effects
 * until asm_commit. */
struct encoded {
	struct bpftk_insn in[2];
	size_t n;
	const struct tok *label; /* jump / call target to resolve, or NULL */
	enum fixup_kind fix;
};
BPFTK_INTERNAL size_t asm_encode(const struct bpftk_opinfo *r,
				 const struct match *m, const struct tok *t,
				 enum match_style style, struct encoded *out,
				 struct enc_error *e);
/* Appends an encoded instruction to the current section with its fixup. */
BPFTK_INTERNAL void asm_commit(struct asm_ctx *c, const struct encoded *enc,
			       int col);

/* ---- dialects ---------------------------------------------------------------- */

/* Assemble one instruction (tokens t[0..n), n > 0) of the dialect. */
BPFTK_INTERNAL void asm_llvm_insn(struct asm_ctx *c, const struct tok *t,
				  size_t n, int code);
BPFTK_INTERNAL void asm_conf_insn(struct asm_ctx *c, const struct tok *t,
				  size_t n);
/* Dialect evidence of one instruction line: AUTO when it fits both. */
BPFTK_INTERNAL enum bpftk_asm_dialect asm_conf_detect(const struct tok *t,
						      size_t n);

#endif
