/* diag.c — diagnostics as values: an append-only list the caller owns and
 * prints.  Strings are copied into the list so callers may pass temporaries. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util_int.h"

struct bpftk_diags {
	struct bpftk_diag *items;
	size_t n, cap, errors;
};

struct bpftk_diags *bpftk_diags_new(void)
{
	return bpftk_calloc(1, sizeof(struct bpftk_diags));
}

void bpftk_diags_clear(struct bpftk_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		bpftk_free((char *)d->items[i].file);
		bpftk_free((char *)d->items[i].prog);
		bpftk_free((char *)d->items[i].msg);
	}
	d->n = 0;
	d->errors = 0;
}

void bpftk_diags_free(struct bpftk_diags *d)
{
	if (!d)
		return;
	bpftk_diags_clear(d);
	bpftk_free(d->items);
	bpftk_free(d);
}

size_t bpftk_diags_count(const struct bpftk_diags *d)
{
	return d ? d->n : 0;
}

size_t bpftk_diags_errors(const struct bpftk_diags *d)
{
	return d ? d->errors : 0;
}

const struct bpftk_diag *bpftk_diags_get(const struct bpftk_diags *d, size_t i)
{
	return d && i < d->n ? &d->items[i] : NULL;
}

int bpftk_diags_vadd(struct bpftk_diags *d, enum bpftk_severity sev,
		     const char *file, int line, int col, const char *prog,
		     long insn, const char *fmt, va_list ap)
{
	if (!d)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct bpftk_diag *p =
			bpftk_realloc(d->items, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->items = p;
		d->cap = cap;
	}
	char stackbuf[512];
	va_list ap2;
	va_copy(ap2, ap);
	int len = vsnprintf(stackbuf, sizeof(stackbuf), fmt, ap2);
	va_end(ap2);
	if (len < 0)
		len = 0;
	char *msg = bpftk_malloc((size_t)len + 1);
	if (!msg)
		return -ENOMEM;
	if ((size_t)len < sizeof(stackbuf))
		memcpy(msg, stackbuf, (size_t)len + 1);
	else
		vsnprintf(msg, (size_t)len + 1, fmt, ap);
	struct bpftk_diag *g = &d->items[d->n];
	memset(g, 0, sizeof(*g));
	g->severity = sev;
	g->line = line;
	g->col = col;
	g->insn = insn;
	g->msg = msg;
	g->file = file ? bpftk_strdup(file) : NULL;
	g->prog = prog ? bpftk_strdup(prog) : NULL;
	if ((file && !g->file) || (prog && !g->prog)) {
		bpftk_free((char *)g->file);
		bpftk_free((char *)g->prog);
		bpftk_free(msg);
		return -ENOMEM;
	}
	d->n++;
	if (sev == BPFTK_SEV_ERROR)
		d->errors++;
	return 0;
}

int bpftk_diags_add(struct bpftk_diags *d, enum bpftk_severity sev,
		    const char *file, int line, int col, const char *prog,
		    long insn, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = bpftk_diags_vadd(d, sev, file, line, col, prog, insn, fmt, ap);
	va_end(ap);
	return r;
}

int bpftk_diag_format(const struct bpftk_diag *g, char *buf, size_t size)
{
	static const char *const sevname[] = {"error", "warning", "note"};
	const char *sev = (unsigned)g->severity < 3 ? sevname[g->severity]
						   : "error";
	char where[320] = "";
	if (g->file && g->line > 0)
		snprintf(where, sizeof(where), "%s:%d:%d: ", g->file, g->line,
			 g->col > 0 ? g->col : 1);
	else if (g->file)
		snprintf(where, sizeof(where), "%s: ", g->file);
	if (g->prog || g->insn >= 0) {
		size_t l = strlen(where);
		if (g->prog && g->insn >= 0)
			snprintf(where + l, sizeof(where) - l,
				 "prog '%s' insn %ld: ", g->prog, g->insn);
		else if (g->prog)
			snprintf(where + l, sizeof(where) - l, "prog '%s': ",
				 g->prog);
		else
			snprintf(where + l, sizeof(where) - l, "insn %ld: ",
				 g->insn);
	}
	return snprintf(buf, size, "%s%s: %s", where, sev, g->msg);
}
