/* asm_match.c — matching a line's tokens against an operand template, and
 * turning a match into an instruction.
 *
 * Templates are the `llvm` / `exact` columns of opcodes.def (LLVM dialect)
 * or the per-form operand patterns of the conformance dialect; both use the
 * holes documented at the top of opcodes.def.  Literal template text is
 * tokenized with the assembler's own lexer, so spacing never matters.
 *
 * Matching is structural only: a register hole takes any "rN", an immediate
 * hole any number.  Range checks happen in asm_encode, so that "r1 = 1 << 40"
 * style mistakes get a message about the value ("does not fit in 32 bits")
 * rather than "no instruction matches".  A hole used twice ("{d} = -{d}")
 * must name the same register both times.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "asm_int.h"

/* ---- failures ------------------------------------------------------------- */

void asm_fail_init(struct match_fail *f)
{
	memset(f, 0, sizeof(*f));
}

/* Records what was expected at token tok: a description (literal = 0) or
 * template text to quote (literal = 1).  Both point into static strings. */
static void fail(struct match_fail *f, size_t tok, const char *what,
		 size_t len, int literal)
{
	if (tok < f->tok)
		return;
	if (tok > f->tok) {
		f->tok = tok;
		f->nexpect = 0;
		f->overflow = 0;
	}
	for (int i = 0; i < f->nexpect; i++)
		if (f->expect[i].len == len && f->expect[i].literal == literal &&
		    !memcmp(f->expect[i].p, what, len))
			return;
	if (f->nexpect < FAIL_MAX_EXPECT) {
		f->expect[f->nexpect].p = what;
		f->expect[f->nexpect].len = len;
		f->expect[f->nexpect].literal = literal;
		f->nexpect++;
	} else {
		f->overflow = 1;
	}
}

static void fail_what(struct match_fail *f, size_t tok, const char *what)
{
	fail(f, tok, what, strlen(what), 0);
}

static void found_text(const struct tok *t, size_t n, size_t i, char *buf,
		       size_t size)
{
	if (i >= n) {
		snprintf(buf, size, "end of line");
		return;
	}
	char q[64];
	size_t len = t[i].len;
	/* "%r50" is one thing to the reader, two tokens to us */
	if (asm_tok_is(&t[i], "%") && i + 1 < n && t[i + 1].p == t[i].p + 1)
		len += t[i + 1].len;
	asm_quote(t[i].p, len, q, sizeof(q));
	snprintf(buf, size, "'%s'", q);
}

void asm_fail_report(struct asm_ctx *c, const struct tok *t, size_t n,
		     const struct match_fail *f)
{
	char found[96];
	found_text(t, n, f->tok, found, sizeof(found));
	int col = f->tok < n ? t[f->tok].col
			     : (n ? t[n - 1].col + (int)t[n - 1].len : 1);
	if (f->nexpect == 0) {
		asm_error(c, col, "unexpected %s", found);
		return;
	}
	char exp[256] = "";
	size_t o = 0;
	for (int i = 0; i < f->nexpect; i++) {
		/* "a, b or c"; when more were possible: "one of a, b, c, ..." */
		const char *sep = i == 0 ? (f->overflow ? "one of " : "")
				  : i == f->nexpect - 1 && !f->overflow ? " or "
									: ", ";
		const char *q = f->expect[i].literal ? "'" : "";
		int w = snprintf(exp + o, sizeof(exp) - o, "%s%s%.*s%s", sep, q,
				 (int)f->expect[i].len, f->expect[i].p, q);
		if (w < 0 || (size_t)w >= sizeof(exp) - o)
			break;
		o += (size_t)w;
	}
	if (f->overflow && o + 6 < sizeof(exp))
		memcpy(exp + o, ", ...", 6);
	asm_error(c, col, "expected %s, found %s", exp, found);
}

/* ---- holes ------------------------------------------------------------------ */

static int hole_of(const char *name, size_t len)
{
	static const char *const names[H__COUNT] = {
		[H_D] = "d", [H_S] = "s", [H_DW] = "dw", [H_SW] = "sw",
		[H_I] = "i", [H_BI] = "I", [H_N] = "n", [H_O] = "o",
		[H_T] = "t",
	};
	for (int h = 0; h < H__COUNT; h++)
		if (strlen(names[h]) == len && !memcmp(names[h], name, len))
			return h;
	return -1;
}

static int is_sign(const struct tok *t)
{
	return asm_tok_is(t, "+") || asm_tok_is(t, "-");
}

static int is_any_reg(const struct tok *t)
{
	unsigned r;
	return asm_tok_reg(t, 'r', &r) || asm_tok_reg(t, 'w', &r);
}

/* register := ["%"] ("r" | "w") digits   ('%' only in the conformance style) */
static int match_reg(const struct tok *t, size_t n, size_t *i, char prefix,
		     enum match_style style, struct operand *o)
{
	size_t k = *i;
	if (style == STYLE_CONF && k < n && asm_tok_is(&t[k], "%") &&
	    k + 1 < n && t[k + 1].p == t[k].p + 1)
		k++;
	unsigned r;
	if (k >= n || !asm_tok_reg(&t[k], prefix, &r))
		return 0;
	o->kind = OP_REG;
	o->reg = r;
	o->first = *i;
	o->end = k + 1;
	*i = k + 1;
	return 1;
}

/* number := ["+" | "-"] NUM */
static int match_num(const struct tok *t, size_t n, size_t *i,
		     struct operand *o)
{
	size_t k = *i;
	int neg = 0;
	if (k < n && is_sign(&t[k])) {
		neg = t[k].p[0] == '-';
		k++;
	}
	if (k >= n || t[k].kind != TK_NUM)
		return 0;
	o->kind = OP_NUM;
	o->neg = neg;
	o->dec = t[k].len == 1 || t[k].p[0] != '0';
	o->mag = t[k].val;
	o->numerr = t[k].numerr;
	o->first = *i;
	o->end = k + 1;
	*i = k + 1;
	return 1;
}

/* imm := number | symbol ["#" NUM]    (a symbol is a label, not a register;
 * "name#N" is how the verifier log names helper N) */
static int match_imm(const struct tok *t, size_t n, size_t *i,
		     struct operand *o)
{
	if (match_num(t, n, i, o))
		return 1;
	size_t k = *i;
	if (k >= n || t[k].kind != TK_IDENT || is_any_reg(&t[k]))
		return 0;
	if (k + 2 < n && asm_tok_is(&t[k + 1], "#") &&
	    t[k + 2].kind == TK_NUM) {
		o->kind = OP_NUM;
		o->mag = t[k + 2].val;
		o->numerr = t[k + 2].numerr;
		o->first = k + 2;
		o->end = k + 3;
		*i = k + 3;
		return 1;
	}
	o->kind = OP_SYM;
	o->first = k;
	o->end = k + 1;
	*i = k + 1;
	return 1;
}

/* target := ["pc"] ("+" | "-") NUM | NUM | label */
static int match_target(const struct tok *t, size_t n, size_t *i,
			struct operand *o)
{
	size_t k = *i;
	if (k + 1 < n && asm_tok_is(&t[k], "pc") && is_sign(&t[k + 1]))
		k++;
	if (match_num(t, n, &k, o)) {
		o->first = *i;
		*i = k;
		return 1;
	}
	if (k < n && t[k].kind == TK_IDENT && !is_any_reg(&t[k])) {
		o->kind = OP_SYM;
		o->first = k;
		o->end = k + 1;
		*i = k + 1;
		return 1;
	}
	return 0;
}

static const char *const hole_expect[H__COUNT] = {
	[H_D] = "register",	    [H_S] = "register",
	[H_DW] = "32-bit register (wN)", [H_SW] = "32-bit register (wN)",
	[H_I] = "immediate",	    [H_BI] = "immediate",
	[H_N] = "immediate",	    [H_O] = "offset",
	[H_T] = "jump target",
};

static int match_hole(int h, const struct tok *t, size_t n, size_t *i,
		      enum match_style style, unsigned wide, struct match *m,
		      struct match_fail *f)
{
	struct operand o;
	memset(&o, 0, sizeof(o));
	int ok;
	switch (h) {
	case H_D:
	case H_S:
		ok = match_reg(t, n, i, 'r', style, &o) ||
		     ((wide >> h & 1) && match_reg(t, n, i, 'w', style, &o));
		break;
	case H_DW:
	case H_SW:
		ok = match_reg(t, n, i, 'w', style, &o);
		break;
	case H_O:
		/* absent offset ("(r1)", "[%r1]") means 0 */
		ok = 1;
		if (*i < n && is_sign(&t[*i])) {
			ok = match_num(t, n, i, &o);
		} else {
			o.kind = OP_NUM;
			o.first = o.end = *i;
		}
		break;
	case H_T:
		ok = match_target(t, n, i, &o);
		break;
	default:
		ok = match_imm(t, n, i, &o);
		break;
	}
	if (!ok) {
		fail_what(f, *i, hole_expect[h]);
		return 0;
	}
	struct operand *prev = &m->h[h];
	if (prev->kind != OP_NONE) {
		/* a hole written twice must repeat the same register */
		if (prev->kind != OP_REG || o.reg != prev->reg) {
			fail_what(f, o.first, "the same register both times");
			return 0;
		}
		return 1;
	}
	*prev = o;
	return 1;
}

int asm_match(const char *tmpl, const struct tok *t, size_t n, size_t start,
	      enum match_style style, unsigned wide, struct match *m,
	      struct match_fail *f)
{
	memset(m, 0, sizeof(*m));
	const char *p = tmpl, *end = tmpl + strlen(tmpl);
	size_t i = start;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p) {
			if (i == n)
				return 1;
			fail_what(f, i, "end of line");
			return 0;
		}
		if (*p == '{') {
			const char *e = strchr(p, '}');
			int h = e ? hole_of(p + 1, (size_t)(e - p - 1)) : -1;
			if (h < 0)
				return 0; /* malformed template: never matches */
			p = e + 1;
			if (!match_hole(h, t, n, &i, style, wide, m, f))
				return 0;
			continue;
		}
		struct lexer lx;
		struct tok lt;
		asm_lex_init(&lx, p, (size_t)(end - p), tmpl);
		asm_lex_next(&lx, &lt);
		if (lt.kind == TK_END || lt.kind == TK_BAD)
			return 0;
		p = lx.p;
		int same = i < n && t[i].kind == lt.kind &&
			   (lt.kind == TK_NUM ? t[i].val == lt.val && !t[i].numerr
					      : t[i].len == lt.len &&
							!memcmp(t[i].p, lt.p, lt.len));
		if (!same) {
			fail(f, i, lt.p, lt.len, 1);
			return 0;
		}
		i++;
	}
}

/* ---- values ------------------------------------------------------------------ */

/* The operand as written ("-0x10"), for messages; a sign is glued to its
 * number however it was spaced. */
static void span_text(const struct tok *t, const struct operand *o, char *buf,
		      size_t size)
{
	if (o->first >= o->end) {
		snprintf(buf, size, "(none)");
		return;
	}
	const struct tok *last = &t[o->end - 1];
	if (o->kind == OP_NUM) {
		char q[64];
		asm_quote(last->p, last->len, q, sizeof(q));
		snprintf(buf, size, "%s%s", o->neg ? "-" : "", q);
		return;
	}
	const char *b = t[o->first].p;
	asm_quote(b, (size_t)(last->p + last->len - b), buf, size);
}

static int col_of(const struct tok *t, const struct operand *o)
{
	return t[o->first < o->end ? o->first : (o->first ? o->first - 1 : 0)]
		.col;
}

static int bad(struct enc_error *e, int col, const char *fmt, ...)
	BPFTK_PRINTF(3, 4);
static int bad(struct enc_error *e, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->col = col;
	return -1;
}

static int number_ok(const struct tok *t, const struct operand *o,
		     struct enc_error *e)
{
	char q[80];
	span_text(t, o, q, sizeof(q));
	if (o->numerr == 1)
		return bad(e, col_of(t, o), "invalid number '%s'", q);
	if (o->numerr == 2)
		return bad(e, col_of(t, o),
			   "number '%s' does not fit in 64 bits", q);
	return 0;
}

/* 32-bit fields take -2^31 .. 2^32-1: signed or unsigned spellings.  The
 * conformance dialect reads decimal as signed only (its suite rejects
 * "mov32 %r0, 2147483648"); the bit pattern is written in hex there. */
static int imm32(const struct tok *t, const struct operand *o, int32_t *out,
		 enum match_style style, struct enc_error *e)
{
	char q[80];
	span_text(t, o, q, sizeof(q));
	if (o->kind == OP_SYM)
		return bad(e, col_of(t, o), "expected immediate, found '%s'", q);
	if (number_ok(t, o, e))
		return -1;
	if (o->neg ? o->mag > 0x80000000u : o->mag > 0xffffffffu)
		return bad(e, col_of(t, o),
			   "immediate %s does not fit in 32 bits (signed or "
			   "unsigned)",
			   q);
	if (style == STYLE_CONF && o->dec && !o->neg && o->mag > 0x7fffffffu)
		return bad(e, col_of(t, o),
			   "immediate %s does not fit in 32 bits (decimal "
			   "immediates are signed, -2147483648..2147483647; "
			   "write 0x%llx for the bit pattern)",
			   q, (unsigned long long)o->mag);
	uint32_t v = (uint32_t)o->mag;
	*out = (int32_t)(o->neg ? 0u - v : v);
	return 0;
}

static int imm64(const struct tok *t, const struct operand *o, uint64_t *out,
		 struct enc_error *e)
{
	char q[80];
	span_text(t, o, q, sizeof(q));
	if (o->kind == OP_SYM)
		return bad(e, col_of(t, o),
			   "'%s': a symbol as 64-bit immediate needs a "
			   "relocation, which the assembler does not produce",
			   q);
	if (number_ok(t, o, e))
		return -1;
	if (o->neg && o->mag > 0x8000000000000000u)
		return bad(e, col_of(t, o),
			   "immediate %s does not fit in 64 bits", q);
	*out = o->neg ? 0u - o->mag : o->mag;
	return 0;
}

/* Memory offsets: -2^15 .. 2^16-1, like immediates. */
static int off16(const struct tok *t, const struct operand *o, int16_t *out,
		 struct enc_error *e)
{
	char q[80];
	span_text(t, o, q, sizeof(q));
	if (number_ok(t, o, e))
		return -1;
	if (o->neg ? o->mag > 0x8000u : o->mag > 0xffffu) {
		return bad(e, col_of(t, o),
			   "offset %s does not fit in 16 bits", q);
	}
	uint16_t v = (uint16_t)o->mag;
	*out = (int16_t)(o->neg ? (uint16_t)(0u - v) : v);
	return 0;
}

static int reg(const struct tok *t, const struct operand *o, uint8_t *out,
	       enum match_style style, struct enc_error *e)
{
	if (o->reg > BPFTK_REG_FP) {
		char q[80];
		span_text(t, o, q, sizeof(q));
		return bad(e, col_of(t, o),
			   "expected register, found '%s' (registers are "
			   "%s0..%s10)",
			   q, style == STYLE_CONF ? "%r" : "r",
			   style == STYLE_CONF ? "%r" : "r");
	}
	*out = (uint8_t)o->reg;
	return 0;
}

/* Jump and call distances written as numbers: +N / -N relative to the next
 * instruction. */
static int target_num(const struct tok *t, const struct operand *o, int wide,
		      int64_t *out, struct enc_error *e, int conf)
{
	char q[80];
	span_text(t, o, q, sizeof(q));
	if (number_ok(t, o, e))
		return -1;
	uint64_t lim = wide ? 0x80000000u : 0x8000u;
	if (o->neg ? o->mag > lim : o->mag >= lim)
		return bad(e, col_of(t, o),
			   "jump offset %s does not fit in %d bits%s", q,
			   wide ? 32 : 16,
			   wide ? "" : conf ? " (use ja32)" : " (use gotol)");
	*out = o->neg ? -(int64_t)o->mag : (int64_t)o->mag;
	return 0;
}

size_t asm_encode(const struct bpftk_opinfo *r, const struct match *m,
		  const struct tok *t, enum match_style style,
		  struct encoded *out, struct enc_error *e)
{
	memset(out, 0, sizeof(*out));
	struct bpftk_insn *in = &out->in[0];
	in->code = r->code;
	const struct operand *h = m->h;
	const struct operand *d = h[H_D].kind ? &h[H_D] : &h[H_DW];
	const struct operand *s = h[H_S].kind ? &h[H_S] : &h[H_SW];
	if (d->kind && reg(t, d, &in->dst, style, e))
		return 0;
	if (s->kind && reg(t, s, &in->src, style, e))
		return 0;
	if (h[H_O].kind && off16(t, &h[H_O], &in->off, e))
		return 0;
	out->n = 1;

	int local_call = 0;
	if (h[H_I].kind) {
		if (r->form == BPFTK_FORM_CALL && h[H_I].kind == OP_SYM) {
			/* "call name": a call to a label, i.e. a local call */
			local_call = 1;
			out->label = &t[h[H_I].first];
			out->fix = FIX_CALL;
		} else if (imm32(t, &h[H_I], &in->imm, style, e)) {
			return 0;
		}
	}
	if (r->form == BPFTK_FORM_LDDW) {
		uint64_t v = 0;
		if (h[H_BI].kind) {
			if (imm64(t, &h[H_BI], &v, e))
				return 0;
			in->imm = (int32_t)(uint32_t)v;
		}
		int32_t hi = (int32_t)(uint32_t)(v >> 32);
		if (h[H_N].kind && imm32(t, &h[H_N], &hi, style, e))
			return 0;
		out->in[1].imm = hi;
		out->n = 2;
	}
	if (h[H_T].kind) {
		int wide = r->form == BPFTK_FORM_JA32 ||
			   r->form == BPFTK_FORM_CALL;
		if (h[H_T].kind == OP_SYM) {
			out->label = &t[h[H_T].first];
			out->fix = r->form == BPFTK_FORM_CALL	? FIX_CALL
				   : r->form == BPFTK_FORM_JA32 ? FIX_IMM
								: FIX_OFF;
		} else {
			int64_t v = 0;
			if (target_num(t, &h[H_T], wide, &v, e,
				       style == STYLE_CONF))
				return 0;
			if (wide)
				in->imm = (int32_t)v;
			else
				in->off = (int16_t)v;
		}
	}
	switch (r->sel) {
	case BPFTK_SEL_OFF:
		in->off = (int16_t)r->selval;
		break;
	case BPFTK_SEL_IMM:
		in->imm = r->selval;
		break;
	case BPFTK_SEL_SRC:
		in->src = (uint8_t)r->selval;
		break;
	default:
		break;
	}
	if (local_call)
		in->src = BPFTK_CALL_LOCAL;
	return out->n;
}
