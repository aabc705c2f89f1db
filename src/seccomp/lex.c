/* lex.c — the tokens of the seccomp policy language.
 *
 * A policy is line-oriented: the lexer returns T_NL at each end of line (a
 * comment runs from '#' to the end of its line), so the parser knows where
 * statements end.  Numbers are decimal or 0x-hexadecimal, optionally
 * negative (two's complement on 64 bits); an overflow is flagged on the
 * token, not lost.  Every token carries its 1-based line and column.
 */
#include <ctype.h>
#include <string.h>

#include "sc_lex.h"

void sc_lex_init(struct sc_lexer *lx, const char *text)
{
	lx->s = text;
	lx->pos = 0;
	lx->line = 1;
	lx->col = 1;
}

static char peek(const struct sc_lexer *lx, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (!lx->s[lx->pos + i])
			return 0;
	return lx->s[lx->pos + k];
}

static void advance(struct sc_lexer *lx, size_t k)
{
	while (k-- && lx->s[lx->pos]) {
		if (lx->s[lx->pos] == '\n') {
			lx->line++;
			lx->col = 1;
		} else {
			lx->col++;
		}
		lx->pos++;
	}
}

static int digit_val(char c, int base)
{
	int v;
	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return v < base ? v : -1;
}

/* number := ['-'] ( digit { digit } | '0x' hexdigit { hexdigit } ) */
static void lex_number(struct sc_lexer *lx, struct sc_token *t)
{
	int neg = 0, base = 10;
	uint64_t v = 0;
	if (peek(lx, 0) == '-') {
		neg = 1;
		advance(lx, 1);
	}
	if (peek(lx, 0) == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X')) {
		base = 16;
		advance(lx, 2);
		if (digit_val(peek(lx, 0), 16) < 0)
			t->num_err = 1;
	}
	for (int d; (d = digit_val(peek(lx, 0), base)) >= 0; advance(lx, 1)) {
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			t->num_err = 1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	/* "12abc" is one bad token, not a number followed by a name */
	while (isalnum((unsigned char)peek(lx, 0)) || peek(lx, 0) == '_') {
		t->num_err = 1;
		advance(lx, 1);
	}
	t->kind = T_NUM;
	t->num = neg ? (uint64_t)0 - v : v;
}

void sc_lex_next(struct sc_lexer *lx, struct sc_token *t)
{
	char c;
	for (;;) {
		c = peek(lx, 0);
		if (c == ' ' || c == '\t' || c == '\r') {
			advance(lx, 1);
		} else if (c == '#') {
			while (peek(lx, 0) && peek(lx, 0) != '\n')
				advance(lx, 1);
		} else {
			break;
		}
	}
	memset(t, 0, sizeof(*t));
	t->p = lx->s + lx->pos;
	t->line = lx->line;
	t->col = lx->col;
	size_t start = lx->pos;
	static const struct {
		const char *s;
		enum sc_tok k;
	} puncts[] = {
		{"&&", T_ANDAND}, {"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE},
		{">=", T_GE},	  {"..", T_DOTDOT}, {"<", T_LT}, {">", T_GT},
		{"&", T_AMP},	  {":", T_COLON}, {",", T_COMMA}, {"@", T_AT},
		{"\n", T_NL},
	};
	if (!c) {
		t->kind = T_EOF;
	} else if (isalpha((unsigned char)c) || c == '_') {
		while (isalnum((unsigned char)peek(lx, 0)) || peek(lx, 0) == '_')
			advance(lx, 1);
		t->kind = T_IDENT;
	} else if (isdigit((unsigned char)c) ||
		   (c == '-' && isdigit((unsigned char)peek(lx, 1)))) {
		lex_number(lx, t);
	} else {
		t->kind = T_BAD;
		for (size_t i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++) {
			size_t n = strlen(puncts[i].s);
			if (!strncmp(lx->s + lx->pos, puncts[i].s, n)) {
				t->kind = puncts[i].k;
				advance(lx, n);
				break;
			}
		}
		if (t->kind == T_BAD)
			advance(lx, 1);
	}
	t->len = lx->pos - start;
}

int sc_tok_is(const struct sc_token *t, const char *word)
{
	return t->kind == T_IDENT && strlen(word) == t->len &&
	       !strncmp(t->p, word, t->len);
}

const char *sc_tok_desc(enum sc_tok k)
{
	switch (k) {
	case T_EOF: return "end of input";
	case T_NL: return "end of line";
	case T_IDENT: return "name";
	case T_NUM: return "number";
	case T_COLON: return "':'";
	case T_COMMA: return "','";
	case T_AMP: return "'&'";
	case T_ANDAND: return "'&&'";
	case T_AT: return "'@'";
	case T_DOTDOT: return "'..'";
	case T_EQ: return "'=='";
	case T_NE: return "'!='";
	case T_LT: return "'<'";
	case T_LE: return "'<='";
	case T_GT: return "'>'";
	case T_GE: return "'>='";
	case T_BAD: break;
	}
	return "unexpected character";
}
