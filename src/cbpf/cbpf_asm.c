/* cbpf_asm.c — the `tcpdump -d` listing syntax back into classic code.
 *
 *   line     := [ "(" digits ")" ] [ label ":" ] [ insn ] [ ";" comment ]
 *   insn     := mnemonic [ operand ] [ "jt" target "jf" target ]
 *   operand  := "#" number | "#pktlen" | "x" | "[" number "]" | "[" name "]"
 *             | "[x + " number "]" | "4*([" number "]&0xf)" | "M[" number "]"
 *             | target                                  (ja)
 *   target   := number (an absolute instruction index, as listed) | label
 *   number   := [ "-" ] decimal | "0x" hex        (fits in 32 bits)
 *
 * The mnemonic and the shape of the operand select the row of
 * cbpf_ops.def (the same table the disassembler prints from), so every
 * listing the disassembler writes assembles back to the same code.  A
 * "(nnn)" prefix must equal the instruction's index.  jt / jf must land
 * 0..255 instructions after the next one; a ja may also go backward (the
 * validator decides whether the flavour allows it).  Errors are
 * reported as file:line:col with what was expected; all lines are checked. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf_int.h"

struct ref {
	const char *name; /* label, or NULL for a number */
	size_t len;
	uint32_t num;
	int line, col;
};

struct pending {
	struct bpftk_cbpf_insn insn;
	uint8_t fmt;
	struct ref tgt[2]; /* ja: tgt[0]; jcc: jt, jf */
};

struct label {
	const char *name;
	size_t len, pc;
};

struct state {
	const char *file;
	struct bpftk_diags *d;
	int line, err;
	const char *bol; /* beginning of the current line */
	struct pending *ins;
	size_t n, cap;
	struct label *labels;
	size_t nlabels, labcap;
};

static void error_at(struct state *s, const char *at, const char *msg)
{
	if (!s->err)
		s->err = -EINVAL;
	bpftk_diags_add(s->d, BPFTK_SEV_ERROR, s->file, s->line,
			(int)(at - s->bol) + 1, NULL, -1, "%s", msg);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static int end_of_insn(const char *p)
{
	return !*p || *p == '\n' || *p == ';';
}

/* number := [ "-" ] decimal | "0x" hex; fits in 32 bits (signed or not). */
static const char *parse_number(struct state *s, const char *p, uint32_t *v)
{
	int neg = *p == '-';
	const char *q = p + neg;
	unsigned long long val = 0;
	int base = 10, digits = 0;

	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		base = 16;
		q += 2;
	}
	for (;; q++, digits++) {
		int c = *q, dv;
		if (c >= '0' && c <= '9')
			dv = c - '0';
		else if (base == 16 && isxdigit(c))
			dv = tolower(c) - 'a' + 10;
		else
			break;
		val = val * (unsigned)base + (unsigned)dv;
		if (val > 0xffffffffull + 1)
			val = 0xffffffffull + 2; /* saturate: too big */
	}
	if (!digits) {
		error_at(s, p, "expected a number");
		return NULL;
	}
	if (neg ? val > 0x80000000ull : val > 0xffffffffull) {
		error_at(s, p, "number does not fit in 32 bits");
		return NULL;
	}
	*v = neg ? (uint32_t)(0u - (uint32_t)val) : (uint32_t)val;
	return q;
}

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '$';
}

/* target := number | label */
static const char *parse_target(struct state *s, const char *p,
				struct ref *r)
{
	r->line = s->line;
	r->col = (int)(p - s->bol) + 1;
	r->name = NULL;
	/* a negative index is how the listing shows a ja wrapping past 2^31 */
	if (isdigit((unsigned char)*p) ||
	    (*p == '-' && isdigit((unsigned char)p[1])))
		return parse_number(s, p, &r->num);
	if (!is_ident((unsigned char)*p) || isdigit((unsigned char)*p)) {
		error_at(s, p, "expected a jump target (instruction number "
			       "or label)");
		return NULL;
	}
	r->name = p;
	while (is_ident((unsigned char)*p))
		p++;
	r->len = (size_t)(p - r->name);
	return p;
}

/* Matches literal text, spaces in lit matching any run of blanks. */
static const char *lit(const char *p, const char *l)
{
	for (; *l; l++) {
		if (*l == ' ') {
			p = skip_ws(p);
			continue;
		}
		if (tolower((unsigned char)*p) != *l)
			return NULL;
		p++;
	}
	return p;
}

/* The operand: sets *fmt to its shape and k (or the ja target). */
static const char *parse_operand(struct state *s, const char *p,
				 uint8_t *fmt, uint32_t *k, struct ref *ja)
{
	const char *q;

	if (end_of_insn(p) || lit(p, "jt ")) {
		*fmt = CBPF_FMT_NONE;
		return p;
	}
	if ((q = lit(p, "#pktlen")) && !is_ident((unsigned char)*q)) {
		*fmt = CBPF_FMT_LEN;
		return q;
	}
	if (*p == '#') {
		*fmt = CBPF_FMT_IMM_HEX; /* or DEC / JK: same shape */
		return parse_number(s, p + 1, k);
	}
	if ((*p == 'x' || *p == 'X') && !is_ident((unsigned char)p[1])) {
		*fmt = CBPF_FMT_X;
		return p + 1;
	}
	if ((q = lit(p, "[ x + "))) {
		*fmt = CBPF_FMT_IND;
		if (!(q = parse_number(s, q, k)))
			return NULL;
	} else if ((q = lit(p, "4*([")) || (q = lit(p, "4 * ( ["))) {
		*fmt = CBPF_FMT_MSH;
		if (!(q = parse_number(s, q, k)))
			return NULL;
		if (!(q = lit(q, " ] & 0xf )"))) {
			error_at(s, p, "expected 4*([k]&0xf)");
			return NULL;
		}
		return q;
	} else if ((q = lit(p, "m["))) {
		*fmt = CBPF_FMT_MEM;
		if (!(q = parse_number(s, skip_ws(q), k)))
			return NULL;
	} else if (*p == '[') {
		*fmt = CBPF_FMT_ABS;
		q = skip_ws(p + 1);
		if (isalpha((unsigned char)*q)) {
			uint32_t a;
			size_t len = 0;
			while (is_ident((unsigned char)q[len]))
				len++;
			for (a = BPFTK_SKF_AD_OFF;
			     a < BPFTK_SKF_AD_OFF + BPFTK_SKF_AD_MAX; a += 4)
				if (strlen(cbpf_anc_name(a)) == len &&
				    !strncmp(cbpf_anc_name(a), q, len))
					break;
			if (a == BPFTK_SKF_AD_OFF + BPFTK_SKF_AD_MAX) {
				error_at(s, q, "expected an offset or an "
					       "ancillary name (proto, type, "
					       "ifidx, ...)");
				return NULL;
			}
			*k = a;
			q += len;
		} else if (!(q = parse_number(s, q, k))) {
			return NULL;
		}
	} else {
		*fmt = CBPF_FMT_JA;
		return parse_target(s, p, ja);
	}
	q = skip_ws(q);
	if (*q != ']') {
		error_at(s, q, "expected ']'");
		return NULL;
	}
	return q + 1;
}

/* The row for a mnemonic with an operand of the given shape. */
static enum cbpf_op find_row(const char *mn, size_t len, uint8_t fmt,
			     int has_jumps)
{
	for (int op = CBPF_OP_INVALID + 1; op < CBPF_OP__COUNT; op++) {
		const struct cbpf_row *r = cbpf_row((enum cbpf_op)op);
		uint8_t want = r->fmt;
		if (strlen(r->info.mnem) != len ||
		    strncmp(r->info.mnem, mn, len))
			continue;
		if (want == CBPF_FMT_IMM_DEC || want == CBPF_FMT_JK)
			want = CBPF_FMT_IMM_HEX;
		if (want == CBPF_FMT_JX)
			want = CBPF_FMT_X;
		if (want == fmt &&
		    has_jumps == (r->fmt == CBPF_FMT_JK || r->fmt == CBPF_FMT_JX))
			return (enum cbpf_op)op;
	}
	return CBPF_OP_INVALID;
}

static int push_label(struct state *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (s->labels[i].len == len &&
		    !strncmp(s->labels[i].name, name, len)) {
			error_at(s, name, "label defined twice");
			return 0;
		}
	if (cbpf_grow(&s->labels, &s->labcap, s->nlabels,
		      sizeof(*s->labels))) {
		s->err = -ENOMEM;
		return -1;
	}
	s->labels[s->nlabels++] = (struct label){name, len, s->n};
	return 0;
}

static struct pending *push_insn(struct state *s)
{
	if (cbpf_grow(&s->ins, &s->cap, s->n, sizeof(*s->ins))) {
		s->err = -ENOMEM;
		return NULL;
	}
	memset(&s->ins[s->n], 0, sizeof(s->ins[0]));
	return &s->ins[s->n++];
}

/* line := [ "(" digits ")" ] [ label ":" ] [ insn ] [ ";" comment ] */
static int parse_line(struct state *s, const char *p)
{
	const char *mn, *q;
	size_t mnlen;
	uint8_t fmt;
	uint32_t k = 0;
	struct ref ja = {0}, jt = {0}, jf = {0};
	int has_jumps = 0;
	enum cbpf_op op;
	struct pending *in;

	p = skip_ws(p);
	if (*p == '(') {
		uint32_t idx;
		if (!(q = parse_number(s, p + 1, &idx)))
			return 0;
		if (*q != ')') {
			error_at(s, q, "expected ')' after the instruction "
				       "number");
			return 0;
		}
		if (idx != s->n) {
			error_at(s, p, "instruction number (nnn) does not "
				       "match its position");
			return 0;
		}
		p = skip_ws(q + 1);
	}
	q = p;
	while (is_ident((unsigned char)*q))
		q++;
	if (q > p && *skip_ws(q) == ':' && !isdigit((unsigned char)*p)) {
		if (push_label(s, p, (size_t)(q - p)) < 0)
			return -1;
		p = skip_ws(skip_ws(q) + 1);
		q = p;
		while (is_ident((unsigned char)*q))
			q++;
	}
	if (end_of_insn(p))
		return 0;
	mn = p;
	mnlen = (size_t)(q - p);
	if (!mnlen) {
		error_at(s, p, "expected a mnemonic (ld, jeq, ret, ...)");
		return 0;
	}
	p = skip_ws(q);
	if (!(p = parse_operand(s, p, &fmt, &k, &ja)))
		return 0;
	p = skip_ws(p);
	if ((q = lit(p, "jt "))) {
		has_jumps = 1;
		if (!(q = parse_target(s, q, &jt)))
			return 0;
		if (!(p = lit(skip_ws(q), "jf "))) {
			error_at(s, skip_ws(q), "expected 'jf' and the target "
						"if false");
			return 0;
		}
		if (!(p = parse_target(s, p, &jf)))
			return 0;
		p = skip_ws(p);
	}
	if (!end_of_insn(p)) {
		error_at(s, p, "expected the end of the line or a ';' "
			       "comment");
		return 0;
	}
	op = find_row(mn, mnlen, fmt, has_jumps);
	if (op == CBPF_OP_INVALID) {
		bpftk_diags_add(s->d, BPFTK_SEV_ERROR, s->file, s->line,
				(int)(mn - s->bol) + 1, NULL, -1,
				"'%.*s' does not take this operand%s (see "
				"tcpdump -d for the forms)",
				(int)mnlen, mn,
				has_jumps ? " with jt/jf" : "");
		s->err = s->err ? s->err : -EINVAL;
		return 0;
	}
	if (!(in = push_insn(s)))
		return -1;
	in->insn.code = cbpf_row(op)->info.code;
	in->insn.k = k;
	in->fmt = cbpf_row(op)->fmt;
	in->tgt[0] = in->fmt == CBPF_FMT_JA ? ja : jt;
	in->tgt[1] = jf;
	return 0;
}

static int resolve(struct state *s, const struct ref *r, uint64_t *pc)
{
	if (!r->name) {
		*pc = r->num;
		return 0;
	}
	for (size_t i = 0; i < s->nlabels; i++)
		if (s->labels[i].len == r->len &&
		    !strncmp(s->labels[i].name, r->name, r->len)) {
			*pc = s->labels[i].pc;
			return 0;
		}
	bpftk_diags_add(s->d, BPFTK_SEV_ERROR, s->file, r->line, r->col, NULL,
			-1, "unknown label '%.*s'", (int)r->len, r->name);
	s->err = s->err ? s->err : -EINVAL;
	return -1;
}

/* Turns absolute targets into the forward offsets of the encoding. */
static void link_jumps(struct state *s)
{
	for (size_t pc = 0; pc < s->n; pc++) {
		struct pending *in = &s->ins[pc];
		int njumps = in->fmt == CBPF_FMT_JA ? 1
			     : (in->fmt == CBPF_FMT_JK || in->fmt == CBPF_FMT_JX)
				     ? 2
				     : 0;
		for (int j = 0; j < njumps; j++) {
			uint64_t to;
			if (resolve(s, &in->tgt[j], &to))
				continue;
			/* a ja may go backward: k wraps around as in the
			 * listings libpcap writes for "ip6 protochain" */
			if (njumps == 1 && to <= 0xffffffffull) {
				in->insn.k = (uint32_t)(to - pc - 1);
				continue;
			}
			if (to < pc + 1 || to - pc - 1 > 255) {
				bpftk_diags_add(
					s->d, BPFTK_SEV_ERROR, s->file,
					in->tgt[j].line, in->tgt[j].col, NULL,
					-1,
					"jump target %llu out of reach: "
					"expected %s after instruction %zu",
					(unsigned long long)to,
					njumps == 2 ? "1 to 256 instructions"
						    : "a 32-bit index",
					pc);
				s->err = s->err ? s->err : -EINVAL;
				continue;
			}
			if (j == 0)
				in->insn.jt = (uint8_t)(to - pc - 1);
			else
				in->insn.jf = (uint8_t)(to - pc - 1);
		}
	}
}

int bpftk_cbpf_asm(const char *text, const char *file,
		   struct bpftk_cbpf_insn **out, size_t *n,
		   struct bpftk_diags *d)
{
	struct state s = {0};
	const char *p;

	if (!out || !n || !text)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	s.file = file ? file : "<input>";
	s.d = d;
	for (p = text; *p && s.err != -ENOMEM;) {
		const char *eol = strchr(p, '\n');
		s.line++;
		s.bol = p;
		if (parse_line(&s, p) < 0)
			break;
		p = eol ? eol + 1 : p + strlen(p);
	}
	if (!s.err)
		link_jumps(&s);
	if (!s.err && !s.n) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, s.file, s.line ? s.line : 1,
				1, NULL, -1,
				"expected at least one instruction");
		s.err = -EINVAL;
	}
	if (!s.err) {
		*out = bpftk_malloc(s.n * sizeof(**out));
		if (!*out)
			s.err = -ENOMEM;
		for (size_t i = 0; *out && i < s.n; i++)
			(*out)[i] = s.ins[i].insn;
		*n = *out ? s.n : 0;
	}
	bpftk_free(s.ins);
	bpftk_free(s.labels);
	return s.err;
}
