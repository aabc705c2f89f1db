/* asm_conf.c — the bpf_conformance dialect: "mnemonic operands", where the
 * mnemonic is the `name` column of the instruction table and the operand
 * syntax follows from the row's form alone (one pattern per form below), so
 * no opcode is listed here.
 *
 * Mnemonics may be several words ("lock fetch add32", "call local"); the
 * longest run of leading words naming a row wins.  Rows sharing a name
 * (add: immediate and register forms) are all tried, as are the rows an
 * alias points to: swapN is bswapN, and "call %r2" is callx.
 */
#include <stdio.h>
#include <string.h>

#include "asm_int.h"

/* Operand patterns by form, in the template language of opcodes.def with
 * %rN registers.  LDDW rows with a pseudo source (map fd, ...) take
 * "imm, next-imm" instead of one 64-bit value; local calls take a target. */
static const char *const form_pattern[BPFTK_FORM__COUNT] = {
	[BPFTK_FORM_ALU_K] = "{d}, {i}",
	[BPFTK_FORM_ALU_X] = "{d}, {s}",
	[BPFTK_FORM_NEG] = "{d}",
	[BPFTK_FORM_END] = "{d}",
	[BPFTK_FORM_LDDW] = "{d}, {I}",
	[BPFTK_FORM_LDABS] = "{i}",
	[BPFTK_FORM_LDIND] = "{s}, {i}",
	[BPFTK_FORM_LDX] = "{d}, [{s} {o}]",
	[BPFTK_FORM_ST] = "[{d} {o}], {i}",
	[BPFTK_FORM_STX] = "[{d} {o}], {s}",
	[BPFTK_FORM_ATOMIC] = "[{d} {o}], {s}",
	[BPFTK_FORM_JA] = "{t}",
	[BPFTK_FORM_JA32] = "{t}",
	[BPFTK_FORM_JCC_K] = "{d}, {i}, {t}",
	[BPFTK_FORM_JCC_X] = "{d}, {s}, {t}",
	[BPFTK_FORM_CALL] = "{i}",
	[BPFTK_FORM_CALLX] = "{d}",
	[BPFTK_FORM_EXIT] = "",
};

static const struct {
	const char *alias, *name;
} aliases[] = {
	{"swap16", "bswap16"},
	{"swap32", "bswap32"},
	{"swap64", "bswap64"},
	{"call", "callx"},
};

/* The patterns of row r (up to two); returns how many. */
static int patterns(const struct bpftk_opinfo *r, const char *out[2])
{
	if (r->form == BPFTK_FORM_LDDW && r->sel == BPFTK_SEL_SRC &&
	    r->selval != 0) {
		out[0] = "{d}, {i}, {n}";
		out[1] = "{d}, {i}";
		return 2;
	}
	if (r->form == BPFTK_FORM_CALL && r->sel == BPFTK_SEL_SRC &&
	    r->selval == BPFTK_CALL_LOCAL) {
		out[0] = "{t}";
		return 1;
	}
	out[0] = form_pattern[r->form];
	return 1;
}

static int count_operands(const char *pattern)
{
	if (!*pattern)
		return 0;
	int k = 1;
	for (; *pattern; pattern++)
		k += *pattern == ',';
	return k;
}

/* Does the (space separated) name equal the words t[0..k)? */
static int name_is(const char *name, const struct tok *t, size_t k)
{
	const char *p = name;
	for (size_t i = 0; i < k; i++) {
		if (t[i].kind != TK_IDENT)
			return 0;
		if (i > 0) {
			if (*p != ' ')
				return 0;
			p++;
		}
		if (strncmp(p, t[i].p, t[i].len))
			return 0;
		p += t[i].len;
	}
	return *p == '\0';
}

/* Rows named by the words t[0..k), aliases included; returns how many. */
static size_t rows_named(const struct tok *t, size_t k,
			 const struct bpftk_opinfo **out, size_t max)
{
	size_t m = 0;
	for (int op = 1; op < BPFTK_OP__COUNT && m < max; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info((enum bpftk_op)op);
		if (name_is(r->name, t, k))
			out[m++] = r;
	}
	for (size_t a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++) {
		if (!name_is(aliases[a].alias, t, k))
			continue;
		for (int op = 1; op < BPFTK_OP__COUNT && m < max; op++) {
			const struct bpftk_opinfo *r =
				bpftk_isa_info((enum bpftk_op)op);
			if (!strcmp(r->name, aliases[a].name))
				out[m++] = r;
		}
	}
	return m;
}

/* The mnemonic: the longest run of up to three leading words that names a
 * row.  Returns the number of words, 0 if none. */
static size_t mnemonic(const struct tok *t, size_t n,
		       const struct bpftk_opinfo **rows, size_t max,
		       size_t *nrows)
{
	size_t words = 0;
	while (words < n && words < 3 && t[words].kind == TK_IDENT)
		words++;
	for (size_t k = words; k > 0; k--) {
		*nrows = rows_named(t, k, rows, max);
		if (*nrows)
			return k;
	}
	*nrows = 0;
	return 0;
}

void asm_conf_insn(struct asm_ctx *c, const struct tok *t, size_t n)
{
	char q[64];
	const struct bpftk_opinfo *rows[8];
	size_t nrows;
	size_t k = mnemonic(t, n, rows, 8, &nrows);
	if (!k) {
		int lock = asm_tok_is(&t[0], "lock");
		if (lock && (n == 1 || t[1].kind != TK_IDENT)) {
			asm_error(c, t[0].col,
				  "invalid number of operands for 'lock': "
				  "expected an atomic operation and 2 operands");
			return;
		}
		size_t w = lock ? 2 : 1;
		asm_quote(t[0].p, (size_t)(t[w - 1].p + t[w - 1].len - t[0].p),
			  q, sizeof(q));
		asm_error(c, t[0].col, "unknown mnemonic '%s'", q);
		return;
	}
	asm_quote(t[0].p, (size_t)(t[k - 1].p + t[k - 1].len - t[0].p), q,
		  sizeof(q));

	/* operands are comma separated; brackets hold no commas */
	int given = k < n ? 1 : 0;
	for (size_t i = k; i < n; i++)
		given += asm_tok_is(&t[i], ",");
	unsigned counts = 0; /* bit i: some pattern takes i operands */
	for (size_t r = 0; r < nrows; r++) {
		const char *pat[2];
		int np = patterns(rows[r], pat);
		for (int j = 0; j < np; j++)
			counts |= 1u << count_operands(pat[j]);
	}
	if (given >= 8 || !(counts & (1u << given))) {
		char exp[48] = "";
		size_t o = 0;
		for (int i = 0; i < 8; i++)
			if (counts & (1u << i))
				o += (size_t)snprintf(exp + o, sizeof(exp) - o,
						      "%s%d", o ? " or " : "", i);
		asm_error(c, t[0].col,
			  "invalid number of operands for '%s': expected %s, "
			  "found %d",
			  q, exp, given);
		return;
	}

	struct match_fail f;
	asm_fail_init(&f);
	struct enc_error err;
	int have_err = 0;
	for (size_t r = 0; r < nrows; r++) {
		const char *pat[2];
		int np = patterns(rows[r], pat);
		for (int j = 0; j < np; j++) {
			struct match m;
			struct encoded enc;
			struct enc_error e;
			if (!asm_match(pat[j], t, n, k, STYLE_CONF, 0, &m, &f))
				continue;
			if (asm_encode(rows[r], &m, t, STYLE_CONF, &enc, &e)) {
				asm_commit(c, &enc, t[0].col);
				return;
			}
			if (!have_err) {
				err = e;
				have_err = 1;
			}
		}
	}
	if (have_err)
		asm_error(c, err.col, "%s", err.msg);
	else
		asm_fail_report(c, t, n, &f);
}

enum bpftk_asm_dialect asm_conf_detect(const struct tok *t, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (asm_tok_is(&t[i], "%") && t[i + 1].p == t[i].p + 1 &&
		    t[i + 1].kind == TK_IDENT && t[i + 1].p[0] == 'r')
			return BPFTK_ASM_CONFORMANCE;
	if (asm_tok_is(&t[0], "*") || asm_tok_is(&t[0], "("))
		return BPFTK_ASM_LLVM;
	if (t[0].kind != TK_IDENT)
		return BPFTK_ASM_AUTO;
	unsigned r;
	if (t[0].p[0] == '.' || asm_tok_reg(&t[0], 'r', &r) ||
	    asm_tok_reg(&t[0], 'w', &r) || asm_tok_is(&t[0], "if") ||
	    asm_tok_is(&t[0], "goto") || asm_tok_is(&t[0], "gotol") ||
	    asm_tok_is(&t[0], "ld_pseudo"))
		return BPFTK_ASM_LLVM;
	if (asm_tok_is(&t[0], "lock")) {
		if (n > 1 && asm_tok_is(&t[1], "*"))
			return BPFTK_ASM_LLVM;
		return n > 1 && t[1].kind == TK_IDENT ? BPFTK_ASM_CONFORMANCE
						      : BPFTK_ASM_AUTO;
	}
	if (asm_tok_is(&t[0], "call")) {
		if (n > 1 && (asm_tok_is(&t[1], "local") ||
			      asm_tok_is(&t[1], "kfunc")))
			return BPFTK_ASM_CONFORMANCE;
		if (n > 1 && asm_tok_is(&t[1], "pc"))
			return BPFTK_ASM_LLVM;
		return BPFTK_ASM_AUTO;
	}
	if (asm_tok_is(&t[0], "callx"))
		return n > 1 && asm_tok_reg(&t[1], 'r', &r) ? BPFTK_ASM_LLVM
							    : BPFTK_ASM_AUTO;
	if (asm_tok_is(&t[0], "exit"))
		return BPFTK_ASM_AUTO;
	const struct bpftk_opinfo *rows[8];
	size_t nrows;
	if (mnemonic(t, n, rows, 8, &nrows))
		return BPFTK_ASM_CONFORMANCE;
	return BPFTK_ASM_AUTO;
}
