/* asm_lex.c — the assembler's tokenizer, shared by both dialects and by the
 * templates of the instruction table, so that "r1=-5", "r1 += -5",
 * "(r10-8)" and "(r10 - 8)" all become the same token sequence.
 *
 * Rules: identifiers may contain '.' and '$' (".LBB0_2", "u32"); numbers
 * start with a digit and run over letters too, so "0x1g" is one malformed
 * number rather than a number and a label; operators are matched longest
 * first (">>=", ">=", ">"), so "s>>=" is the identifier "s" and ">>=".
 * Comments ('#', ';', "//") end the line, except "name#12", which the kernel
 * verifier prints for helper calls.  Signs are separate tokens: the parser
 * decides whether "-" negates a number or is part of "= -r1".
 */
#include <stdio.h>
#include <string.h>

#include "asm_int.h"

static int is_ident_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_' || ch == '.' || ch == '$';
}

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_ident_char(int ch)
{
	return is_ident_start(ch) || is_digit(ch);
}

static int digit_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 10;
	return 99;
}

void asm_lex_init(struct lexer *lx, const char *p, size_t len,
		  const char *line)
{
	lx->p = p;
	lx->end = p + len;
	lx->line = line;
}

/* number := "0x" hex+ | "0b" bin+ | "0" oct* | dec+   (C / LLVM MC rules) */
static void lex_number(struct tok *t)
{
	const char *p = t->p, *e = t->p + t->len;
	unsigned base = 10;
	if (t->len >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (t->len >= 2 && p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (t->len >= 2 && p[0] == '0') {
		base = 8;
		p += 1;
	}
	t->val = 0;
	t->numerr = 0;
	if (p == e) {
		t->numerr = 1;
		return;
	}
	for (; p < e; p++) {
		unsigned dv = (unsigned)digit_value((unsigned char)*p);
		if (dv >= base) {
			t->numerr = 1;
			return;
		}
		if (t->val > (UINT64_MAX - dv) / base)
			t->numerr = 2;
		t->val = t->val * base + dv;
	}
}

/* Length of the operator at p (longest match: ">>=", ">=", ">"), 0 if
 * none. */
static size_t punct_len(const char *p, const char *end)
{
	size_t left = (size_t)(end - p);
	char a = p[0], b = left > 1 ? p[1] : 0, c = left > 2 ? p[2] : 0;
	if ((a == '<' || a == '>') && b == a)
		return c == '=' ? 3 : 2;
	if (b == '=' && a && strchr("<>=!+-*/%|&^", a))
		return 2;
	return a && strchr("=+-*/%|&^<>!~()[]{},:@", a) ? 1 : 0;
}

void asm_lex_next(struct lexer *lx, struct tok *t)
{
	const char *p = lx->p;
	while (p < lx->end && (*p == ' ' || *p == '\t' || *p == '\r' ||
			       *p == '\v' || *p == '\f'))
		p++;
	memset(t, 0, sizeof(*t));
	t->p = p;
	t->col = (int)(p - lx->line) + 1;
	if (p >= lx->end || *p == ';' ||
	    (*p == '/' && p + 1 < lx->end && p[1] == '/')) {
		t->kind = TK_END;
		lx->p = lx->end;
		return;
	}
	if (*p == '#') {
		/* "bpf_map_lookup_elem#1": a helper id glued to its name */
		int glued = p > lx->line && is_ident_char((unsigned char)p[-1]) &&
			    p + 1 < lx->end && is_digit((unsigned char)p[1]);
		if (!glued) {
			t->kind = TK_END;
			lx->p = lx->end;
			return;
		}
		t->kind = TK_PUNCT;
		t->len = 1;
		lx->p = p + 1;
		return;
	}
	const char *q = p;
	unsigned char ch = (unsigned char)*p;
	if (is_ident_start(ch)) {
		while (q < lx->end && is_ident_char((unsigned char)*q))
			q++;
		t->kind = TK_IDENT;
	} else if (is_digit(ch)) {
		while (q < lx->end && is_ident_char((unsigned char)*q) &&
		       *q != '.' && *q != '$')
			q++;
		t->kind = TK_NUM;
	} else if (ch == '"') {
		q++;
		while (q < lx->end && *q != '"') {
			if (*q == '\\' && q + 1 < lx->end)
				q++;
			q++;
		}
		if (q < lx->end) {
			q++;
			t->kind = TK_STR;
		} else {
			t->kind = TK_BAD; /* unterminated */
		}
	} else {
		size_t l = punct_len(p, lx->end);
		t->kind = l ? TK_PUNCT : TK_BAD;
		q = p + (l ? l : 1);
	}
	t->len = (size_t)(q - p);
	lx->p = q;
	if (t->kind == TK_NUM)
		lex_number(t);
}

int asm_tok_is(const struct tok *t, const char *s)
{
	size_t l = strlen(s);
	return t->kind != TK_END && t->len == l && !memcmp(t->p, s, l);
}

int asm_tok_reg(const struct tok *t, char prefix, unsigned *num)
{
	if (t->kind != TK_IDENT || t->len < 2 || t->p[0] != prefix)
		return 0;
	unsigned v = 0;
	for (size_t i = 1; i < t->len; i++) {
		if (!is_digit((unsigned char)t->p[i]))
			return 0;
		v = v * 10 + (unsigned)(t->p[i] - '0');
		if (v > 99)
			v = 99;
	}
	*num = v;
	return 1;
}

void asm_quote(const char *p, size_t n, char *buf, size_t size)
{
	size_t o = 0;
	const size_t keep = 40;
	for (size_t i = 0; i < n && o + 8 < size; i++) {
		if (i == keep && n > keep + 3) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		unsigned char ch = (unsigned char)p[i];
		if (ch >= 0x20 && ch < 0x7f) {
			buf[o++] = (char)ch;
		} else {
			snprintf(buf + o, size - o, "\\x%02x", ch);
			o += 4;
		}
	}
	buf[o] = '\0';
}
