/* sc_lex.h — the policy lexer's interface (lex.c), used by parse.c only. */
#ifndef BPFTK_SC_LEX_H
#define BPFTK_SC_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "seccomp_int.h"

enum sc_tok {
	T_EOF, T_NL, T_IDENT, T_NUM, T_COLON, T_COMMA, T_AMP, T_ANDAND, T_AT,
	T_DOTDOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BAD
};

struct sc_token {
	enum sc_tok kind;
	const char *p; /* into the text; len bytes */
	size_t len;
	uint64_t num;  /* T_NUM */
	int num_err;   /* T_NUM: malformed or does not fit in 64 bits */
	int line, col;
};

struct sc_lexer {
	const char *s;
	size_t pos;
	int line, col;
};

BPFTK_INTERNAL void sc_lex_init(struct sc_lexer *lx, const char *text);
BPFTK_INTERNAL void sc_lex_next(struct sc_lexer *lx, struct sc_token *t);
/* Whether t is the name word. */
BPFTK_INTERNAL int sc_tok_is(const struct sc_token *t, const char *word);
/* "':'", "number", ... for messages. */
BPFTK_INTERNAL const char *sc_tok_desc(enum sc_tok k);

#endif
