/* asm_core.c — the assembler's driver and bookkeeping: the public entry
 * point, dialect detection, the line loop, sections, the label table, jump
 * fixups and the result.
 *
 * The pipeline reads in bpftk_asm_assemble: detect the dialect, assemble
 * every line into the current section (labels define positions, jumps to
 * labels leave fixups), resolve the fixups, build the result.  Errors do not
 * stop the line loop (up to a limit), so one run reports every bad line.
 *
 * Invariants: a label's position is a slot index inside its own section;
 * a fixup only resolves against a label of the same section; the result owns
 * copies of every string, never pointers into the caller's text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "asm_int.h"

#define MAX_ERRORS 100

struct bpftk_asm_result {
	enum bpftk_asm_dialect dialect;
	struct bpftk_asm_section *secs;
	size_t nsecs;
	char *license;
};

/* ---- diagnostics ----------------------------------------------------------- */

static void report(struct asm_ctx *c, enum bpftk_severity sev, int col,
		   const char *fmt, va_list ap)
{
	if (c->stopped)
		return;
	if (bpftk_diags_vadd(c->d, sev, c->file, c->line, col, NULL, -1, fmt,
			     ap))
		c->nomem = 1;
}

void asm_error(struct asm_ctx *c, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(c, BPFTK_SEV_ERROR, col, fmt, ap);
	va_end(ap);
	c->errors++;
	if (c->errors == MAX_ERRORS && !c->stopped) {
		if (bpftk_diags_add(c->d, BPFTK_SEV_NOTE, c->file, c->line, 0,
				    NULL, -1, "too many errors, stopping"))
			c->nomem = 1;
		c->stopped = 1;
	}
}

void asm_note(struct asm_ctx *c, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(c, BPFTK_SEV_NOTE, col, fmt, ap);
	va_end(ap);
}

/* ---- growable arrays --------------------------------------------------------- */

static int grow(struct asm_ctx *c, void **arr, size_t *cap, size_t need,
		size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < need) {
		if (n > ((size_t)-1 / 2) / elem) {
			c->nomem = 1;
			return -1;
		}
		n *= 2;
	}
	void *p = bpftk_realloc(*arr, n * elem);
	if (!p) {
		c->nomem = 1;
		return -1;
	}
	*arr = p;
	*cap = n;
	return 0;
}

/* ---- sections ---------------------------------------------------------------- */

int asm_section_switch(struct asm_ctx *c, const char *name, size_t len,
		       int code)
{
	for (size_t i = 0; i < c->nsecs; i++) {
		struct asm_section *s = &c->secs[i];
		if (strlen(s->name) == len && !memcmp(s->name, name, len)) {
			c->cur = i;
			return 0;
		}
	}
	if (grow(c, (void **)&c->secs, &c->capsecs, c->nsecs + 1,
		 sizeof(*c->secs)))
		return -ENOMEM;
	struct asm_section *s = &c->secs[c->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = bpftk_strndup(name, len);
	if (!s->name) {
		c->nomem = 1;
		return -ENOMEM;
	}
	s->code = code;
	s->first_exit = -1;
	c->cur = c->nsecs++;
	return 0;
}

long asm_emit(struct asm_ctx *c, const struct bpftk_insn *in, size_t n,
	      int col)
{
	struct asm_section *s = &c->secs[c->cur];
	if (!s->code) {
		asm_error(c, col, "instruction in non-code section '%s'",
			  s->name);
		return -1;
	}
	if (s->n + n > (size_t)INT32_MAX) {
		asm_error(c, col, "section '%s' has too many instructions",
			  s->name);
		return -1;
	}
	if (grow(c, (void **)&s->insns, &s->cap, s->n + n, sizeof(*s->insns)))
		return -1;
	memcpy(&s->insns[s->n], in, n * sizeof(*in));
	s->n += n;
	return (long)(s->n - n);
}

/* ---- labels ---------------------------------------------------------------- */

static size_t hash_name(const char *p, size_t len)
{
	size_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static struct asm_label *label_slot(struct asm_label *tab, size_t cap,
				    const char *name, size_t len)
{
	size_t i = hash_name(name, len) & (cap - 1);
	while (tab[i].name &&
	       (tab[i].len != len || memcmp(tab[i].name, name, len)))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

struct asm_label *asm_label_get(struct asm_ctx *c, const char *name,
				size_t len)
{
	if ((c->nlabels + 1) * 2 > c->caplabels) {
		size_t cap = c->caplabels ? c->caplabels * 2 : 64;
		struct asm_label *tab = bpftk_calloc(cap, sizeof(*tab));
		if (!tab) {
			c->nomem = 1;
			return NULL;
		}
		for (size_t i = 0; i < c->caplabels; i++)
			if (c->labels[i].name)
				*label_slot(tab, cap, c->labels[i].name,
					    c->labels[i].len) = c->labels[i];
		bpftk_free(c->labels);
		c->labels = tab;
		c->caplabels = cap;
	}
	struct asm_label *l = label_slot(c->labels, c->caplabels, name, len);
	if (!l->name) {
		l->name = name;
		l->len = len;
		c->nlabels++;
	}
	return l;
}

static struct asm_label *label_find(const struct asm_ctx *c, const char *name,
				    size_t len)
{
	if (!c->caplabels)
		return NULL;
	struct asm_label *l = label_slot(c->labels, c->caplabels, name, len);
	return l->name ? l : NULL;
}

void asm_label_define(struct asm_ctx *c, const struct tok *t)
{
	struct asm_label *l = asm_label_get(c, t->p, t->len);
	if (!l)
		return;
	if (l->defined) {
		char q[64];
		asm_quote(t->p, t->len, q, sizeof(q));
		asm_error(c, t->col, "label '%s' is already defined at line %d",
			  q, l->line);
		return;
	}
	l->defined = 1;
	l->sec = c->cur;
	l->insn = c->secs[c->cur].n;
	l->line = c->line;
	l->col = t->col;
}

void asm_fixup_add(struct asm_ctx *c, enum fixup_kind kind,
		   const struct tok *name, size_t insn)
{
	if (grow(c, (void **)&c->fixups, &c->capfixups, c->nfixups + 1,
		 sizeof(*c->fixups)))
		return;
	struct asm_fixup *f = &c->fixups[c->nfixups++];
	f->kind = kind;
	f->name = name->p;
	f->len = name->len;
	f->sec = c->cur;
	f->insn = insn;
	f->line = c->line;
	f->col = name->col;
}

void asm_commit(struct asm_ctx *c, const struct encoded *enc, int col)
{
	long at = asm_emit(c, enc->in, enc->n, col);
	if (at < 0)
		return;
	struct asm_section *s = &c->secs[c->cur];
	if (s->first_exit < 0 && bpftk_isa_lookup(&enc->in[0]) == BPFTK_OP_EXIT)
		s->first_exit = at;
	if (enc->label)
		asm_fixup_add(c, enc->fix, enc->label, (size_t)at);
}

/* Settles every label reference; the conformance dialect's implied label
 * `exit` is the first exit instruction of the section. */
static void resolve(struct asm_ctx *c)
{
	for (size_t i = 0; i < c->nfixups && !c->stopped; i++) {
		const struct asm_fixup *f = &c->fixups[i];
		struct asm_section *s = &c->secs[f->sec];
		char q[64];
		asm_quote(f->name, f->len, q, sizeof(q));
		c->line = f->line;
		struct asm_label *l = label_find(c, f->name, f->len);
		long target;
		if (l && l->defined) {
			if (l->sec != f->sec) {
				asm_error(c, f->col,
					  "label '%s' is in section '%s'; a "
					  "%s cannot leave section '%s'",
					  q, c->secs[l->sec].name,
					  f->kind == FIX_CALL ? "call" : "jump",
					  s->name);
				continue;
			}
			target = (long)l->insn;
			if (f->kind == FIX_CALL)
				l->flags |= BPFTK_ASM_SYM_FUNC;
		} else if (c->dialect == BPFTK_ASM_CONFORMANCE && f->len == 4 &&
			   !memcmp(f->name, "exit", 4) && s->first_exit >= 0) {
			target = s->first_exit;
		} else {
			asm_error(c, f->col, "undefined label '%s'", q);
			continue;
		}
		long delta = target - (long)f->insn - 1;
		struct bpftk_insn *in = &s->insns[f->insn];
		if (f->kind == FIX_OFF) {
			if (delta < INT16_MIN || delta > INT16_MAX) {
				int uncond = bpftk_isa_lookup(in) == BPFTK_OP_JA;
				asm_error(c, f->col,
					  "jump to '%s' is out of range: offset "
					  "%ld does not fit in 16 bits%s",
					  q, delta,
					  !uncond ? ""
					  : c->dialect == BPFTK_ASM_CONFORMANCE
						  ? " (use ja32)"
						  : " (use gotol)");
				continue;
			}
			in->off = (int16_t)delta;
		} else {
			in->imm = (int32_t)delta;
		}
	}
}

/* ---- lines ------------------------------------------------------------------ */

/* Tokenizes one line into c->toks; returns -1 on a bad character
 * (reported) or allocation failure. */
static int tokenize(struct asm_ctx *c, const char *p, size_t len)
{
	struct lexer lx;
	asm_lex_init(&lx, p, len, p);
	c->ntoks = 0;
	for (;;) {
		struct tok t;
		asm_lex_next(&lx, &t);
		if (t.kind == TK_END)
			return 0;
		if (t.kind == TK_BAD) {
			char q[64];
			asm_quote(t.p, t.len, q, sizeof(q));
			if (t.p[0] == '"')
				asm_error(c, t.col, "unterminated string");
			else
				asm_error(c, t.col, "unexpected character '%s'",
					  q);
			return -1;
		}
		if (grow(c, (void **)&c->toks, &c->captoks, c->ntoks + 1,
			 sizeof(*c->toks)))
			return -1;
		c->toks[c->ntoks++] = t;
	}
}

static void assemble_line(struct asm_ctx *c, const char *p, size_t len)
{
	if (tokenize(c, p, len) || c->ntoks == 0)
		return;
	const struct tok *t = c->toks;
	size_t n = c->ntoks, i = 0;
	int code = -1;
	/* listings ("   5:\t<bytes>\t<text>") of either dialect */
	if (asm_listing_line(c, t, n))
		return;
	i = asm_strip_listing(t, &n, &code);
	while (i + 1 < n && t[i].kind == TK_IDENT && asm_tok_is(&t[i + 1], ":")) {
		asm_label_define(c, &t[i]);
		i += 2;
	}
	if (i >= n)
		return;
	if (t[i].kind == TK_IDENT && t[i].p[0] == '.' &&
	    c->dialect == BPFTK_ASM_LLVM) {
		asm_directive(c, t + i, n - i);
		return;
	}
	if (!c->secs[c->cur].code) {
		asm_error(c, t[i].col, "instruction in non-code section '%s'",
			  c->secs[c->cur].name);
		return;
	}
	if (c->dialect == BPFTK_ASM_LLVM)
		asm_llvm_insn(c, t + i, n - i, code);
	else
		asm_conf_insn(c, t + i, n - i);
}

/* Calls fn on each line (without its '\n'); stops early when fn returns
 * nonzero or the context is stopped. */
static void for_lines(struct asm_ctx *c, const char *text, size_t len,
		      int (*fn)(struct asm_ctx *, const char *, size_t))
{
	size_t pos = 0;
	c->line = 0;
	while (pos < len && !c->nomem && !c->stopped) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		c->line++;
		if (fn(c, text + pos, l))
			break;
		pos += l + 1;
	}
}

static int line_assemble(struct asm_ctx *c, const char *p, size_t len)
{
	assemble_line(c, p, len);
	return 0;
}

/* Auto-detection: the first line that only one dialect accepts decides. */
static int line_detect(struct asm_ctx *c, const char *p, size_t len)
{
	struct lexer lx;
	asm_lex_init(&lx, p, len, p);
	c->ntoks = 0;
	for (;;) {
		struct tok t;
		asm_lex_next(&lx, &t);
		if (t.kind == TK_END || t.kind == TK_BAD)
			break;
		if (grow(c, (void **)&c->toks, &c->captoks, c->ntoks + 1,
			 sizeof(*c->toks)))
			return 1;
		c->toks[c->ntoks++] = t;
	}
	size_t n = c->ntoks;
	int code;
	size_t i = asm_strip_listing(c->toks, &n, &code);
	while (i + 1 < n && c->toks[i].kind == TK_IDENT &&
	       asm_tok_is(&c->toks[i + 1], ":"))
		i += 2;
	if (i >= n)
		return 0;
	enum bpftk_asm_dialect dl = asm_conf_detect(c->toks + i, n - i);
	if (dl != BPFTK_ASM_AUTO) {
		c->dialect = dl;
		return 1;
	}
	return 0;
}

/* ---- result ----------------------------------------------------------------- */

static int sym_cmp(const void *a, const void *b)
{
	const struct bpftk_asm_symbol *x = a, *y = b;
	if (x->insn != y->insn)
		return x->insn < y->insn ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Decodes the escapes clang writes in .asciz strings. */
static char *unescape(const char *p, size_t len)
{
	char *s = bpftk_malloc(len + 1);
	if (!s)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = p[i];
		if (ch == '\\' && i + 1 < len) {
			ch = p[++i];
			if (ch == 'n')
				ch = '\n';
			else if (ch == 't')
				ch = '\t';
			else if (ch >= '0' && ch <= '7') {
				unsigned v = 0;
				for (int k = 0; k < 3 && i < len && p[i] >= '0' &&
						p[i] <= '7';
				     k++, i++)
					v = v * 8 + (unsigned)(p[i] - '0');
				i--;
				ch = (char)v;
			}
		}
		if (ch == '\0')
			break;
		s[o++] = ch;
	}
	s[o] = '\0';
	return s;
}

static int build_section(struct asm_ctx *c, size_t si,
			 struct bpftk_asm_section *out)
{
	struct asm_section *s = &c->secs[si];
	size_t nsyms = 0;
	for (size_t i = 0; i < c->caplabels; i++) {
		const struct asm_label *l = &c->labels[i];
		if (l->name && l->defined && l->sec == si && l->flags)
			nsyms++;
	}
	struct bpftk_asm_symbol *syms = bpftk_calloc(nsyms ? nsyms : 1,
						     sizeof(*syms));
	if (!syms)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < c->caplabels; i++) {
		const struct asm_label *l = &c->labels[i];
		if (!(l->name && l->defined && l->sec == si && l->flags))
			continue;
		char *name = bpftk_strndup(l->name, l->len);
		if (!name) {
			for (size_t j = 0; j < k; j++)
				bpftk_free((char *)syms[j].name);
			bpftk_free(syms);
			return -ENOMEM;
		}
		syms[k].name = name;
		syms[k].insn = l->insn;
		syms[k].flags = l->flags;
		k++;
	}
	qsort(syms, k, sizeof(*syms), sym_cmp);
	out->name = s->name;
	out->insns = s->insns;
	out->n = s->n;
	out->syms = syms;
	out->nsyms = k;
	s->name = NULL; /* moved into the result */
	s->insns = NULL;
	return 0;
}

static int build_result(struct asm_ctx *c, struct bpftk_asm_result **out)
{
	struct bpftk_asm_result *r = bpftk_calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->dialect = c->dialect;
	r->secs = bpftk_calloc(c->nsecs ? c->nsecs : 1, sizeof(*r->secs));
	if (!r->secs)
		goto nomem;
	for (size_t i = 0; i < c->nsecs; i++) {
		if (!c->secs[i].code || !c->secs[i].n)
			continue;
		if (build_section(c, i, &r->secs[r->nsecs]))
			goto nomem;
		r->nsecs++;
	}
	if (c->license) {
		r->license = unescape(c->license, c->license_len);
		if (!r->license)
			goto nomem;
	}
	*out = r;
	return 0;
nomem:
	bpftk_asm_result_free(r);
	return -ENOMEM;
}

void bpftk_asm_result_free(struct bpftk_asm_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsecs; i++) {
		struct bpftk_asm_section *s = &r->secs[i];
		for (size_t j = 0; j < s->nsyms; j++)
			bpftk_free((char *)s->syms[j].name);
		bpftk_free((void *)s->syms);
		bpftk_free((void *)s->insns);
		bpftk_free((char *)s->name);
	}
	bpftk_free(r->secs);
	bpftk_free(r->license);
	bpftk_free(r);
}

enum bpftk_asm_dialect bpftk_asm_result_dialect(const struct bpftk_asm_result *r)
{
	return r ? r->dialect : BPFTK_ASM_AUTO;
}

size_t bpftk_asm_result_nsections(const struct bpftk_asm_result *r)
{
	return r ? r->nsecs : 0;
}

const struct bpftk_asm_section *
bpftk_asm_result_section(const struct bpftk_asm_result *r, size_t i)
{
	return r && i < r->nsecs ? &r->secs[i] : NULL;
}

const char *bpftk_asm_result_license(const struct bpftk_asm_result *r)
{
	return r ? r->license : NULL;
}

int bpftk_asm_dialect_parse(const char *name, enum bpftk_asm_dialect *out)
{
	if (!name || !out)
		return -EINVAL;
	if (!strcmp(name, "auto"))
		*out = BPFTK_ASM_AUTO;
	else if (!strcmp(name, "llvm") || !strcmp(name, "kernel"))
		*out = BPFTK_ASM_LLVM;
	else if (!strcmp(name, "conformance"))
		*out = BPFTK_ASM_CONFORMANCE;
	else
		return -EINVAL;
	return 0;
}

/* ---- entry point --------------------------------------------------------------- */

static void ctx_free(struct asm_ctx *c)
{
	for (size_t i = 0; i < c->nsecs; i++) {
		bpftk_free(c->secs[i].name);
		bpftk_free(c->secs[i].insns);
	}
	bpftk_free(c->secs);
	bpftk_free(c->labels);
	bpftk_free(c->fixups);
	bpftk_free(c->toks);
}

int bpftk_asm_assemble(const char *text, size_t len,
		       const struct bpftk_asm_opts *opts,
		       struct bpftk_asm_result **out, struct bpftk_diags *d)
{
	if (out)
		*out = NULL;
	if (!out || (!text && len))
		return -EINVAL;
	struct asm_ctx c;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.file = "<input>";
	c.dialect = BPFTK_ASM_AUTO;
	if (opts && opts->sz >= offsetof(struct bpftk_asm_opts, dialect) +
					sizeof(opts->dialect))
		c.dialect = opts->dialect;
	if (opts && opts->sz >= offsetof(struct bpftk_asm_opts, filename) +
					sizeof(opts->filename) &&
	    opts->filename)
		c.file = opts->filename;
	if ((unsigned)c.dialect > BPFTK_ASM_CONFORMANCE) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, c.file, 0, 0, NULL, -1,
				"unknown assembler dialect %d", (int)c.dialect);
		return -EINVAL;
	}

	int err = 0;
	if (c.dialect == BPFTK_ASM_AUTO) {
		for_lines(&c, text, len, line_detect);
		if (c.dialect == BPFTK_ASM_AUTO)
			c.dialect = BPFTK_ASM_LLVM;
	}
	if (!c.nomem)
		asm_section_switch(&c, ".text", 5, 1);
	if (!c.nomem)
		for_lines(&c, text, len, line_assemble);
	if (!c.nomem && !c.stopped)
		resolve(&c);
	if (!c.nomem && !c.errors) {
		size_t total = 0;
		for (size_t i = 0; i < c.nsecs; i++)
			total += c.secs[i].code ? c.secs[i].n : 0;
		if (!total) {
			c.line = 0;
			asm_error(&c, 0, "no instructions to assemble");
		}
	}
	if (c.nomem)
		err = -ENOMEM;
	else if (c.errors)
		err = -EINVAL;
	else
		err = build_result(&c, out);
	ctx_free(&c);
	return err;
}
