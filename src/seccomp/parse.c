/* parse.c — the seccomp policy language (docs/seccomp-policy.md) into a
 * struct bpftk_seccomp_policy.
 *
 * One statement per line.  Syscall names are resolved against every
 * architecture's table as they are read; once the whole text is read (and
 * so the `arch` statement known wherever it stands) each name must exist on
 * at least one architecture of the policy.  An error skips the rest of its
 * line and parsing goes on, so every bad line is reported; the policy is
 * returned only when there was none.
 */
#include <errno.h>
#include <string.h>

#include "sc_lex.h"

struct parser {
	struct sc_lexer lx;
	struct sc_token tok;
	const char *file;
	struct bpftk_diags *d;
	int errors, oom;
	struct bpftk_seccomp_policy *p;
	size_t rules_cap, conds_cap, only_cap;
	int have_default, have_badarch, have_arch;
	/* per rule: the architecture a name@arch restricts it to, or -1 */
	int *only;
};

static void next(struct parser *ps)
{
	sc_lex_next(&ps->lx, &ps->tok);
}

static void error_at(struct parser *ps, int line, int col, const char *fmt,
		     ...) BPFTK_PRINTF(4, 5);
static void error_at(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (bpftk_diags_vadd(ps->d, BPFTK_SEV_ERROR, ps->file, line, col, NULL,
			     -1, fmt, ap) < 0)
		ps->oom = 1;
	va_end(ap);
	ps->errors++;
}

/* "expected X, found Y" at the current token; always returns -1. */
static int expected(struct parser *ps, const char *what)
{
	const struct sc_token *t = &ps->tok;
	if (t->kind == T_IDENT || t->kind == T_NUM || t->kind == T_BAD)
		error_at(ps, t->line, t->col, "expected %s, found '%.*s'",
			 what, (int)t->len, t->p);
	else
		error_at(ps, t->line, t->col, "expected %s, found %s", what,
			 sc_tok_desc(t->kind));
	return -1;
}

static int accept(struct parser *ps, enum sc_tok k)
{
	if (ps->tok.kind != k)
		return 0;
	next(ps);
	return 1;
}

/* A number that must fit in [0, max]. */
static int number(struct parser *ps, uint64_t max, const char *what,
		  uint64_t *v)
{
	if (ps->tok.kind != T_NUM)
		return expected(ps, what);
	if (ps->tok.num_err || ps->tok.num > max) {
		error_at(ps, ps->tok.line, ps->tok.col,
			 "%s '%.*s' out of range (0..%llu)", what,
			 (int)ps->tok.len, ps->tok.p, (unsigned long long)max);
		return -1;
	}
	*v = ps->tok.num;
	next(ps);
	return 0;
}

static const struct {
	const char *word;
	uint32_t ret;
	int data; /* 0: none, 1: optional, 2: required */
	uint64_t max;
} actions[] = {
	{"allow", BPFTK_SECCOMP_RET_ALLOW, 0, 0},
	{"kill", BPFTK_SECCOMP_RET_KILL_PROCESS, 0, 0},
	{"kill_process", BPFTK_SECCOMP_RET_KILL_PROCESS, 0, 0},
	{"kill_thread", BPFTK_SECCOMP_RET_KILL_THREAD, 0, 0},
	{"trap", BPFTK_SECCOMP_RET_TRAP, 1, 0xffff},
	{"errno", BPFTK_SECCOMP_RET_ERRNO, 2, 4095},
	{"trace", BPFTK_SECCOMP_RET_TRACE, 1, 0xffff},
	{"log", BPFTK_SECCOMP_RET_LOG, 0, 0},
	{"notify", BPFTK_SECCOMP_RET_USER_NOTIF, 0, 0},
};

static int action_index(const struct sc_token *t)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (sc_tok_is(t, actions[i].word))
			return (int)i;
	return -1;
}

/* action := 'allow' | 'kill' | 'kill_process' | 'kill_thread'
 *         | 'trap' [NUM] | 'errno' NUM | 'trace' [NUM] | 'log' | 'notify' */
static int action(struct parser *ps, uint32_t *ret)
{
	int i = action_index(&ps->tok);
	uint64_t data = 0;
	if (i < 0)
		return expected(ps, "an action (allow, kill, kill_thread, "
				    "trap, errno N, trace, log, notify)");
	next(ps);
	if (actions[i].data == 2 || (actions[i].data && ps->tok.kind == T_NUM))
		if (number(ps, actions[i].max,
			   actions[i].data == 2 ? "errno value" : "action data",
			   &data) < 0)
			return -1;
	*ret = actions[i].ret | (uint32_t)data;
	return 0;
}

/* cond := ARG [ '&' NUM ] op NUM  |  ARG 'in' NUM '..' NUM
 * ARG := 'arg0' .. 'arg5';  op := '==' | '!=' | '<' | '<=' | '>' | '>=' */
static int cond(struct parser *ps, struct sc_cond *c, int *nc)
{
	static const enum sc_tok ops[] = {T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE};
	const struct sc_token *t = &ps->tok;
	if (t->kind != T_IDENT || t->len != 4 || strncmp(t->p, "arg", 3) ||
	    t->p[3] < '0' || t->p[3] > '5')
		return expected(ps, "an argument arg0..arg5");
	c->arg = (uint8_t)(t->p[3] - '0');
	c->mask = UINT64_MAX;
	next(ps);
	*nc = 1;
	if (sc_tok_is(t, "in")) {
		uint64_t lo, hi;
		next(ps);
		if (number(ps, UINT64_MAX, "the range's low end", &lo) < 0)
			return -1;
		if (!accept(ps, T_DOTDOT))
			return expected(ps, "'..'");
		int line = t->line, col = t->col;
		if (number(ps, UINT64_MAX, "the range's high end", &hi) < 0)
			return -1;
		if (hi < lo) {
			error_at(ps, line, col, "empty range: high end below "
						"low end (compared unsigned)");
			return -1;
		}
		c[1] = c[0];
		c[0].op = SC_GE;
		c[0].val = lo;
		c[1].op = SC_LE;
		c[1].val = hi;
		*nc = 2;
		return 0;
	}
	if (accept(ps, T_AMP) &&
	    number(ps, UINT64_MAX, "a mask", &c->mask) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (t->kind == ops[i]) {
			c->op = (uint8_t)i;
			next(ps);
			return number(ps, UINT64_MAX, "a number", &c->val);
		}
	return expected(ps, "a comparison (==, !=, <, <=, >, >=) or 'in'");
}

static int grow(struct parser *ps, void *pp, size_t *cap, size_t need,
		size_t elem)
{
	if (sc_grow(pp, cap, need, elem) == 0)
		return 0;
	ps->oom = 1;
	return -1;
}

/* conds := cond { ( 'and' | '&&' ) cond } — appended to the policy's
 * condition array; *first and *n say where. */
static int conds(struct parser *ps, size_t *first, size_t *n)
{
	struct bpftk_seccomp_policy *p = ps->p;
	*first = p->nconds;
	do {
		struct sc_cond c[2];
		int nc;
		if (cond(ps, c, &nc) < 0)
			return -1;
		if (grow(ps, &p->conds, &ps->conds_cap,
			 p->nconds + (size_t)nc, sizeof(*p->conds)) < 0)
			return -1;
		memcpy(&p->conds[p->nconds], c, (size_t)nc * sizeof(*c));
		p->nconds += (size_t)nc;
	} while (accept(ps, T_ANDAND) ||
		 (sc_tok_is(&ps->tok, "and") && accept(ps, T_IDENT)));
	*n = p->nconds - *first;
	return 0;
}

/* syscall := NAME [ '@' ARCH ] | NUM — appended as a rule (action and
 * conditions filled in by the caller). */
static int syscall(struct parser *ps)
{
	struct bpftk_seccomp_policy *p = ps->p;
	struct sc_token t = ps->tok;
	struct sc_rule r;
	int only = -1, found = 0;
	memset(&r, 0, sizeof(r));
	r.line = t.line;
	r.col = t.col;
	if (t.kind == T_NUM) {
		if (t.num_err || t.num > INT32_MAX) {
			error_at(ps, t.line, t.col,
				 "syscall number '%.*s' out of range (0..%d)",
				 (int)t.len, t.p, INT32_MAX);
			return -1;
		}
		for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
			r.nr[a] = (int)t.num;
		next(ps);
	} else if (t.kind == T_IDENT) {
		char name[64];
		if (t.len >= sizeof(name)) {
			error_at(ps, t.line, t.col, "unknown syscall '%.*s'",
				 (int)t.len, t.p);
			return -1;
		}
		memcpy(name, t.p, t.len);
		name[t.len] = 0;
		next(ps);
		if (accept(ps, T_AT)) {
			struct sc_token at = ps->tok;
			char an[16] = "";
			if (at.kind == T_IDENT && at.len < sizeof(an))
				memcpy(an, at.p, at.len);
			only = bpftk_seccomp_arch_lookup(an);
			if (only < 0)
				return expected(ps, "an architecture (x86_64, "
						    "i386, aarch64)");
			next(ps);
		}
		for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++) {
			r.nr[a] = -1;
			if (only >= 0 && a != only)
				continue;
			r.nr[a] = bpftk_seccomp_syscall_lookup(
				(enum bpftk_seccomp_arch)a, name);
			if (r.nr[a] < 0)
				r.nr[a] = -1;
			else
				found = 1;
		}
		if (!found) {
			if (only >= 0)
				error_at(ps, t.line, t.col,
					 "unknown syscall '%s' on %s", name,
					 bpftk_seccomp_arch_name(
						 (enum bpftk_seccomp_arch)only));
			else
				error_at(ps, t.line, t.col,
					 "unknown syscall '%s'", name);
			return -1;
		}
	} else {
		return expected(ps, "a syscall name or number");
	}
	if (grow(ps, &p->rules, &ps->rules_cap, p->nrules + 1,
		 sizeof(*p->rules)) < 0 ||
	    grow(ps, &ps->only, &ps->only_cap, p->nrules + 1,
		 sizeof(*ps->only)) < 0)
		return -1;
	ps->only[p->nrules] = only;
	p->rules[p->nrules++] = r;
	return 0;
}

/* An action word that names no syscall ends a list: "read allow" is a
 * missing ':', not an unknown syscall 'allow'. */
static int ends_list(const struct sc_token *t)
{
	char name[16] = "";
	if (t->kind == T_COLON || t->kind == T_NL || t->kind == T_EOF ||
	    sc_tok_is(t, "if"))
		return 1;
	if (action_index(t) < 0 || t->len >= sizeof(name))
		return 0;
	memcpy(name, t->p, t->len);
	for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
		if (bpftk_seccomp_syscall_lookup((enum bpftk_seccomp_arch)a,
						 name) >= 0)
			return 0;
	return 1;
}

/* syscalls := syscall { [','] syscall } — stops before ':', 'if', an
 * action word or the end of the line. */
static int syscalls(struct parser *ps)
{
	do {
		if (syscall(ps) < 0)
			return -1;
		accept(ps, T_COMMA);
	} while (!ends_list(&ps->tok));
	return 0;
}

/* [ 'if' conds ] — then gives the rules first..nrules their action and
 * conditions. */
static int finish_rules(struct parser *ps, size_t first, uint32_t ret)
{
	size_t c0 = 0, nc = 0;
	if (sc_tok_is(&ps->tok, "if")) {
		next(ps);
		if (conds(ps, &c0, &nc) < 0)
			return -1;
	}
	for (size_t i = first; i < ps->p->nrules; i++) {
		ps->p->rules[i].action = ret;
		ps->p->rules[i].cond0 = c0;
		ps->p->rules[i].ncond = nc;
	}
	return 0;
}

/* 'arch' ARCH { [','] ARCH } */
static int arch_stmt(struct parser *ps, int line, int col)
{
	if (ps->have_arch) {
		error_at(ps, line, col, "second 'arch' statement");
		return -1;
	}
	ps->have_arch = 1;
	do {
		char an[16] = "";
		if (ps->tok.kind == T_IDENT && ps->tok.len < sizeof(an))
			memcpy(an, ps->tok.p, ps->tok.len);
		int a = bpftk_seccomp_arch_lookup(an);
		if (a < 0)
			return expected(ps, "an architecture (x86_64, i386, "
					    "aarch64)");
		ps->p->arches |= 1u << a;
		next(ps);
		accept(ps, T_COMMA);
	} while (ps->tok.kind != T_NL && ps->tok.kind != T_EOF);
	return 0;
}

/* stmt := 'default' action | 'badarch' action | 'arch' ARCH...
 *       | action syscalls [ 'if' conds ]        (list form)
 *       | syscalls ':' action [ 'if' conds ]    (rule form)
 * A word that is both an action and a syscall ('kill') is the syscall when
 * ':', ',' or '@' follows it. */
static int statement(struct parser *ps)
{
	struct sc_token t = ps->tok;
	size_t first = ps->p->nrules;
	uint32_t ret;
	if (sc_tok_is(&t, "default") || sc_tok_is(&t, "badarch")) {
		int is_def = sc_tok_is(&t, "default");
		int *have = is_def ? &ps->have_default : &ps->have_badarch;
		next(ps);
		if (action(ps, &ret) < 0)
			return -1;
		if (*have) {
			error_at(ps, t.line, t.col, "second '%s' statement",
				 is_def ? "default" : "badarch");
			return -1;
		}
		*have = 1;
		if (is_def)
			ps->p->default_action = ret;
		else
			ps->p->badarch_action = ret;
		return 0;
	}
	if (sc_tok_is(&t, "arch")) {
		next(ps);
		return arch_stmt(ps, t.line, t.col);
	}
	if (action_index(&t) >= 0) {
		struct sc_lexer save = ps->lx;
		next(ps);
		int is_name = ps->tok.kind == T_COLON ||
			      ps->tok.kind == T_COMMA || ps->tok.kind == T_AT;
		ps->lx = save;
		ps->tok = t;
		if (!is_name) {
			if (action(ps, &ret) < 0 || syscalls(ps) < 0)
				return -1;
			return finish_rules(ps, first, ret);
		}
	}
	if (syscalls(ps) < 0)
		return -1;
	if (!accept(ps, T_COLON))
		return expected(ps, "':' after the syscall names");
	if (action(ps, &ret) < 0)
		return -1;
	return finish_rules(ps, first, ret);
}

/* Every name must exist on an architecture the policy filters for. */
static void check_arches(struct parser *ps)
{
	struct bpftk_seccomp_policy *p = ps->p;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct sc_rule *r = &p->rules[i];
		int any = 0;
		for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
			if ((p->arches >> a & 1) && r->nr[a] >= 0)
				any = 1;
		if (!any && ps->only[i] >= 0)
			error_at(ps, r->line, r->col,
				 "architecture %s is not in the policy's "
				 "'arch' list",
				 bpftk_seccomp_arch_name(
					 (enum bpftk_seccomp_arch)ps->only[i]));
		else if (!any)
			error_at(ps, r->line, r->col,
				 "syscall does not exist on any "
				 "architecture of the policy");
	}
}

/* A rule after an unconditional one for the same syscall (on every
 * architecture it applies to) is never reached: worth a warning, since the
 * first matching rule decides. */
static void warn_shadowed(struct parser *ps)
{
	const struct bpftk_seccomp_policy *p = ps->p;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct sc_rule *r = &p->rules[i];
		long by = -1;
		int live = 0;
		for (int a = 0; a < BPFTK_SECCOMP_NARCH && !live; a++) {
			if (!(p->arches >> a & 1) || r->nr[a] < 0)
				continue;
			long found = -1;
			for (size_t j = 0; j < i && found < 0; j++)
				if (p->rules[j].nr[a] == r->nr[a] &&
				    !p->rules[j].ncond)
					found = (long)j;
			if (found < 0)
				live = 1;
			else
				by = found;
		}
		if (!live && by >= 0 &&
		    bpftk_diags_add(ps->d, BPFTK_SEV_WARNING, ps->file, r->line,
				    r->col, NULL, -1,
				    "rule never reached: the rule of line %d "
				    "has no conditions and comes first",
				    p->rules[by].line) < 0)
			ps->oom = 1;
	}
}

int bpftk_seccomp_parse(const char *text, const char *file,
			struct bpftk_seccomp_policy **out,
			struct bpftk_diags *d)
{
	struct parser ps;
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!text)
		return -EINVAL;
	memset(&ps, 0, sizeof(ps));
	ps.file = file ? file : "<policy>";
	ps.d = d;
	ps.p = bpftk_calloc(1, sizeof(*ps.p));
	if (!ps.p)
		return -ENOMEM;
	ps.p->badarch_action = BPFTK_SECCOMP_RET_KILL_PROCESS;
	sc_lex_init(&ps.lx, text);
	next(&ps);
	while (ps.tok.kind != T_EOF && !ps.oom) {
		if (ps.tok.kind != T_NL && statement(&ps) == 0 &&
		    ps.tok.kind != T_NL && ps.tok.kind != T_EOF)
			expected(&ps, "end of line");
		while (ps.tok.kind != T_NL && ps.tok.kind != T_EOF)
			next(&ps);
		accept(&ps, T_NL);
	}
	if (!ps.oom && !ps.have_arch) {
		int nat = bpftk_seccomp_arch_native();
		if (nat >= 0)
			ps.p->arches = 1u << nat;
		else
			error_at(&ps, ps.tok.line, ps.tok.col,
				 "no 'arch' statement and no syscall table for "
				 "this machine");
	}
	if (!ps.oom && !ps.have_default)
		error_at(&ps, ps.tok.line, ps.tok.col,
			 "expected a 'default ACTION' statement in the policy");
	if (!ps.oom)
		check_arches(&ps);
	if (!ps.oom && !ps.errors)
		warn_shadowed(&ps);
	bpftk_free(ps.only);
	if (ps.oom || ps.errors) {
		bpftk_seccomp_policy_free(ps.p);
		return ps.oom ? -ENOMEM : -EINVAL;
	}
	*out = ps.p;
	return 0;
}

void bpftk_seccomp_policy_free(struct bpftk_seccomp_policy *p)
{
	if (!p)
		return;
	bpftk_free(p->rules);
	bpftk_free(p->conds);
	bpftk_free(p);
}

unsigned bpftk_seccomp_policy_arches(const struct bpftk_seccomp_policy *p)
{
	return p ? p->arches : 0;
}
