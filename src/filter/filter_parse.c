/* filter_parse.c — recursive descent over the pcap-filter(7) grammar (the
 * grammar of libpcap's grammar.y, same precedence: 'and' and 'or' are
 * equal and left-associative, 'not' binds tighter; in arithmetic '|' <
 * '&' < shifts < '+' '-' < '*' '/' '%' < unary '-').
 *
 * Semantic actions run as the parser reduces, in source order, because
 * 'vlan', 'mpls' and 'pppoes' shift the offsets used by everything parsed
 * after them.
 *
 * Implicit qualifiers: an id after 'and'/'or' (or after 'not' there)
 * inherits the qualifiers of the term before it ("host a or b"); the
 * qualifiers flow through struct fl_qual values returned with each term.
 * A '(' opens an arithmetic expression exactly when the token after its
 * matching ')' is an arithmetic or relational operator.
 */
#include <string.h>

#include "filter_int.h"
#include "filter_sema.h"

struct res {
	struct fl_cond *c;
	struct fl_qual q;
};

static const struct fl_qual qerr = {0, 0, A_UNDEF, 1};

static const struct fl_token *tok(struct fl_state *st)
{
	return &st->toks[st->cur];
}

static const struct fl_token *ahead(struct fl_state *st, size_t k)
{
	size_t i = st->cur + k;

	return &st->toks[i < st->ntoks ? i : st->ntoks - 1];
}

static void next(struct fl_state *st)
{
	if (st->cur + 1 < st->ntoks)
		st->cur++;
}

static _Noreturn void syntax(struct fl_state *st, const char *expected)
{
	const struct fl_token *t = tok(st);

	if (t->t == T_EOF)
		fl_fail(st, t->col,
			"can't parse filter expression: syntax error (expected %s at end of expression)",
			expected);
	fl_fail(st, t->col,
		"can't parse filter expression: syntax error (expected %s, found '%s')",
		expected, t->text ? t->text : "?");
}

static void expect(struct fl_state *st, enum fl_tok t, const char *what)
{
	if (tok(st)->t != t)
		syntax(st, what);
	next(st);
}

static int is_arith_op(enum fl_tok t)
{
	switch (t) {
	case T_PLUS: case T_MINUS: case T_STAR: case T_SLASH: case T_PERCENT:
	case T_AMP: case T_PIPE: case T_CARET: case T_LSH: case T_RSH:
	case T_GT: case T_GE: case T_LT: case T_LE: case T_EQ: case T_NE:
		return 1;
	default:
		return 0;
	}
}

/* Token index after the ')' matching the '(' at index i. */
static size_t after_group(struct fl_state *st, size_t i)
{
	int depth = 0;

	for (; i < st->ntoks; i++) {
		if (st->toks[i].t == T_LPAREN)
			depth++;
		else if (st->toks[i].t == T_RPAREN && --depth == 0)
			return i + 1;
	}
	return st->ntoks - 1;
}

/* Whether the '(' at index i opens an arithmetic expression. */
static int paren_is_arith(struct fl_state *st, size_t i)
{
	size_t j = after_group(st, i);

	return j < st->ntoks && is_arith_op(st->toks[j].t);
}

/* Whether tokens from index i start an arithmetic relation. */
static int starts_relation(struct fl_state *st, size_t i)
{
	const struct fl_token *t = &st->toks[i];

	switch (t->t) {
	case T_LEN: case T_MINUS:
		return 1;
	case T_NUM:
		return is_arith_op(st->toks[i + 1].t);
	case T_PNAME:
		return st->toks[i + 1].t == T_LBRACK;
	case T_LPAREN:
		return paren_is_arith(st, i);
	default:
		return 0;
	}
}

/* Whether an id (not a term) follows 'and'/'or' at index i. */
static int starts_id(struct fl_state *st, size_t i)
{
	while (st->toks[i].t == T_NOT)
		i++;
	if (starts_relation(st, i))
		return 0;
	while (st->toks[i].t == T_LPAREN)
		i++;
	switch (st->toks[i].t) {
	case T_NUM: case T_ID: case T_HID: case T_HID6: case T_EID: case T_AID:
		return 1;
	default:
		return 0;
	}
}

/* Entering one more level of nesting, just past the token that opens it;
 * the caller leaves with st->depth--. */
static void deeper(struct fl_state *st)
{
	if (++st->depth > FL_MAX_DEPTH)
		fl_fail(st, st->toks[st->cur ? st->cur - 1 : 0].col,
			"expression too complex: nested deeper than %d levels",
			FL_MAX_DEPTH);
}

/* ---- arithmetic ---------------------------------------------------------- */
static struct fl_arth *arth(struct fl_state *st, int level);

/* pnum: NUM | '(' pnum ')' */
static int pnum_follows(struct fl_state *st)
{
	size_t i = st->cur;

	while (st->toks[i].t == T_LPAREN)
		i++;
	return st->toks[i].t == T_NUM;
}

static uint32_t pnum(struct fl_state *st)
{
	if (tok(st)->t == T_LPAREN) {
		next(st);
		uint32_t v = pnum(st);
		expect(st, T_RPAREN, "')'");
		return v;
	}
	if (tok(st)->t != T_NUM)
		syntax(st, "a number");
	uint32_t v = tok(st)->num;
	next(st);
	return v;
}

/* primary: NUM | LEN | '-' primary | '(' arth ')'
 *        | pname '[' arth ']' | pname '[' arth ':' NUM ']' */
static struct fl_arth *primary(struct fl_state *st)
{
	const struct fl_token *t = tok(st);

	switch (t->t) {
	case T_NUM:
		next(st);
		return fl_arth_num(st, t->num);
	case T_LEN:
		next(st);
		return fl_arth_len(st);
	case T_MINUS: {
		next(st);
		deeper(st);
		struct fl_arth *a = fl_arth_neg(st, primary(st));
		st->depth--;
		return a;
	}
	case T_LPAREN: {
		next(st);
		deeper(st);
		struct fl_arth *a = arth(st, 0);
		st->depth--;
		expect(st, T_RPAREN, "')'");
		return a;
	}
	case T_PNAME: {
		int proto = (int)t->num, col = t->col;
		uint32_t size = 1;

		next(st);
		expect(st, T_LBRACK, "'['");
		struct fl_arth *idx = arth(st, 0);
		if (tok(st)->t == T_COLON) {
			next(st);
			if (tok(st)->t != T_NUM)
				syntax(st, "a size (1, 2 or 4)");
			size = tok(st)->num;
			next(st);
		}
		expect(st, T_RBRACK, "']'");
		return fl_arth_load(st, proto, idx, size, col);
	}
	default:
		syntax(st, "a number, 'len', '(' or a protocol index");
	}
}

static int binop_level(enum fl_tok t)
{
	switch (t) {
	case T_PIPE: case T_CARET: return 1;
	case T_AMP: return 2;
	case T_LSH: case T_RSH: return 3;
	case T_PLUS: case T_MINUS: return 4;
	case T_STAR: case T_SLASH: case T_PERCENT: return 5;
	default: return 0;
	}
}

/* arth: arth op arth (left-associative, levels as in grammar.y) | primary */
static struct fl_arth *arth(struct fl_state *st, int level)
{
	struct fl_arth *a = primary(st);

	for (;;) {
		enum fl_tok t = tok(st)->t;
		int l = binop_level(t), col = tok(st)->col;

		if (!l || l <= level)
			return a;
		next(st);
		struct fl_arth *b = arth(st, l);
		a = fl_arth_bin(st, t, a, b, col);
	}
}

/* relation: arth relop arth | arth irelop arth */
static struct fl_cond *relation(struct fl_state *st)
{
	struct fl_arth *a = arth(st, 0);
	int jop, rev = 0;

	switch (tok(st)->t) {
	case T_GT: jop = BPF_JGT; break;
	case T_GE: jop = BPF_JGE; break;
	case T_EQ: jop = BPF_JEQ; break;
	case T_LE: jop = BPF_JGT; rev = 1; break;
	case T_LT: jop = BPF_JGE; rev = 1; break;
	case T_NE: jop = BPF_JEQ; rev = 1; break;
	default: syntax(st, "a relational operator");
	}
	next(st);
	struct fl_arth *b = arth(st, 0);
	return fl_relation(st, jop, rev, a, b);
}

/* ---- ids -------------------------------------------------------------------- */
static struct res id(struct fl_state *st, struct fl_qual q);

/* pid: nid | qid and id | qid or id ; qid: pnum | pid */
static struct res pid(struct fl_state *st, struct fl_qual q)
{
	struct res r = id(st, q);

	while (tok(st)->t == T_AND || tok(st)->t == T_OR) {
		int is_and = tok(st)->t == T_AND;

		next(st);
		struct res r2 = id(st, r.q);
		r.c = is_and ? fl_and(st, r.c, r2.c) : fl_or(st, r.c, r2.c);
		r.q = r2.q;
	}
	return r;
}

/* After an address: ['/' NUM]; the prefix length (capped at 255, so
 * the range check reports it), or -1.  Consumes the address token too. */
static int opt_prefix(struct fl_state *st)
{
	next(st);
	if (tok(st)->t != T_SLASH)
		return -1;
	next(st);
	if (tok(st)->t != T_NUM)
		syntax(st, "a prefix length");
	int len = tok(st)->num > 255 ? 255 : (int)tok(st)->num;
	next(st);
	return len;
}

/* id: nid | pnum | '(' pid ')'
 * nid: ID | HID '/' NUM | HID mask HID | HID | HID6 '/' NUM | HID6 | EID
 *    | AID | not id */
static struct res id(struct fl_state *st, struct fl_qual q)
{
	const struct fl_token *t = tok(st);
	struct res r = {NULL, q};

	switch (t->t) {
	case T_NOT:
		next(st);
		deeper(st);
		r = id(st, q);
		st->depth--;
		r.c = fl_not(st, r.c);
		return r;
	case T_LPAREN:
		next(st);
		deeper(st);
		r = pid(st, q);
		st->depth--;
		expect(st, T_RPAREN, "')'");
		return r;
	default:
		break;
	}
	if (q.undef)
		syntax(st, "a qualifier before the address");
	switch (t->t) {
	case T_NUM:
		next(st);
		r.c = fl_sema_num(st, t->num, q, t->col);
		return r;
	case T_ID:
		next(st);
		r.c = fl_sema_name(st, t->text, q, t->col);
		return r;
	case T_HID:
	case T_HID6: {
		int len = opt_prefix(st);

		if (len < 0 && t->t == T_HID && tok(st)->t == T_MASK) {
			next(st);
			if (tok(st)->t != T_HID)
				syntax(st, "a netmask");
			const char *m = tok(st)->text;
			next(st);
			r.c = fl_sema_hid(st, t->text, m, -1, q, t->col);
		} else if (t->t == T_HID) {
			r.c = fl_sema_hid(st, t->text, NULL, len, q, t->col);
		} else {
			r.c = fl_sema_hid6(st, t->text, len, q, t->col);
		}
		return r;
	}
	case T_EID:
		next(st);
		r.c = fl_sema_eid(st, t->text, q, t->col);
		return r;
	case T_AID:
		next(st);
		r.c = fl_sema_aid(st, t->text, q, t->col);
		return r;
	default:
		syntax(st, "a host, network, port or protocol");
	}
}

/* ---- terms ------------------------------------------------------------------ */
static struct res expr(struct fl_state *st, struct fl_qual q);

static int dqual(enum fl_tok t)
{
	switch (t) {
	case T_SRC: return D_SRC;
	case T_DST: return D_DST;
	case T_ADDR1: return D_ADDR1;
	case T_ADDR2: return D_ADDR2;
	case T_ADDR3: return D_ADDR3;
	case T_ADDR4: return D_ADDR4;
	case T_RA: return D_RA;
	case T_TA: return D_TA;
	default: return -1;
	}
}

static int aqual(enum fl_tok t)
{
	switch (t) {
	case T_HOST: return A_HOST;
	case T_NET: return A_NET;
	case T_PORT: return A_PORT;
	case T_PORTRANGE: return A_PORTRANGE;
	case T_GATEWAY: return A_GATEWAY;
	case T_PROTO: return A_PROTO;
	case T_PROTOCHAIN: return A_PROTOCHAIN;
	default: return -1;
	}
}

/* head: pqual dqual aqual | pqual dqual | pqual aqual | pqual PROTO
 *     | pqual PROTOCHAIN | pqual GATEWAY
 * dqual: SRC | DST | SRC OR DST | DST OR SRC | SRC AND DST | DST AND SRC
 *      | ADDR1..4 | RA | TA */
static struct fl_qual head(struct fl_state *st, int proto)
{
	struct fl_qual q = {(uint8_t)proto, D_DEFAULT, A_DEFAULT, 0};
	int d = dqual(tok(st)->t);

	if (d >= 0) {
		enum fl_tok first = tok(st)->t;

		next(st);
		if ((first == T_SRC || first == T_DST) &&
		    (tok(st)->t == T_OR || tok(st)->t == T_AND) &&
		    ahead(st, 1)->t == (first == T_SRC ? T_DST : T_SRC)) {
			d = tok(st)->t == T_OR ? D_OR : D_AND;
			next(st);
			next(st);
		}
		q.dir = (uint8_t)d;
		int a = aqual(tok(st)->t);
		if (a == A_HOST || a == A_NET || a == A_PORT || a == A_PORTRANGE) {
			q.addr = (uint8_t)a;
			next(st);
		}
		return q;
	}
	q.addr = (uint8_t)aqual(tok(st)->t);
	next(st);
	return q;
}

/* other: pqual broadcast | pqual multicast | less NUM | greater NUM
 *      | byte NUM byteop NUM | inbound | outbound | ifindex NUM
 *      | vlan [pnum] | mpls [pnum] | pppoed | pppoes [pnum]
 *      | geneve [pnum] | llc [ID] */
static struct fl_cond *other(struct fl_state *st)
{
	const struct fl_token *t = tok(st);
	int col = t->col;

	next(st);
	switch (t->t) {
	case T_LESS:
	case T_GREATER: {
		if (tok(st)->t != T_NUM)
			syntax(st, "a number");
		uint32_t v = tok(st)->num;
		next(st);
		if (t->t == T_LESS)
			return fl_not(st, fl_load_pkt_len(st, BPF_JGT, v));
		return fl_load_pkt_len(st, BPF_JGE, v);
	}
	case T_BYTE: {
		if (tok(st)->t != T_NUM)
			syntax(st, "a byte offset");
		uint32_t idx = tok(st)->num;
		next(st);
		int op;
		switch (tok(st)->t) {
		case T_AMP: op = '&'; break;
		case T_PIPE: op = '|'; break;
		case T_LT: op = '<'; break;
		case T_GT: op = '>'; break;
		case T_EQ: op = '='; break;
		default: syntax(st, "one of & | < > =");
		}
		next(st);
		if (tok(st)->t != T_NUM)
			syntax(st, "a number");
		uint32_t v = tok(st)->num;
		int vcol = tok(st)->col;
		next(st);
		if (v > 255)
			fl_fail(st, vcol, "byte argument %u greater than maximum 255", v);
		return fl_byteop(st, op, idx, v);
	}
	case T_INBOUND:
	case T_OUTBOUND:
		return fl_inbound(st, t->t == T_OUTBOUND, col);
	case T_IFINDEX: {
		if (tok(st)->t != T_NUM)
			syntax(st, "an interface index");
		uint32_t v = tok(st)->num;
		next(st);
		return fl_ifindex(st, v, col);
	}
	case T_VLAN:
	case T_MPLS:
	case T_PPPOES:
	case T_GENEVE: {
		int has = pnum_follows(st);
		uint32_t v = has ? pnum(st) : 0;

		if (t->t == T_VLAN)
			return fl_vlan(st, v, has, col);
		if (t->t == T_MPLS)
			return fl_mpls(st, v, has, col);
		if (t->t == T_PPPOES)
			return fl_pppoes(st, v, has, col);
		return fl_geneve(st, v, has, col);
	}
	case T_PPPOED:
		return fl_pppoed(st, col);
	case T_LLC:
		/* llc [ID] (and "rnr", which the scanner takes as a keyword) */
		if (tok(st)->t == T_ID ||
		    (tok(st)->t == T_OTHERKW && !strcmp(tok(st)->text, "rnr"))) {
			const struct fl_token *k = tok(st);

			next(st);
			return fl_llc_kind(st, k->text, k->col);
		}
		return fl_llc(st, col);
	default:
		st->errcol = col;
		fl_unsupported(st, "'%s' is not supported by this compiler",
			       t->text ? t->text : "?");
	}
}

/* p80211: TYPE type SUBTYPE subtype | TYPE type | SUBTYPE type_subtype
 *        | DIR dir
 * type: NUM | ID ; subtype: NUM | ID ; type_subtype: ID ; dir: NUM | ID */
static struct fl_cond *p80211(struct fl_state *st)
{
	const struct fl_token *kw = tok(st);
	const struct fl_token *v;
	uint32_t type = 0, sub;

	next(st);
	v = tok(st);
	if (v->t != T_NUM && v->t != T_ID)
		syntax(st, kw->t == T_DIR ? "a direction" : "a frame type");
	next(st);
	if (kw->t == T_DIR) {
		static const char *const dirs[] = {"nods", "tods", "fromds", "dstods"};
		uint32_t d = v->num;

		if (v->t == T_ID) {
			for (d = 0; d < 4 && strcmp(dirs[d], v->text); d++)
				;
			if (d == 4)
				fl_fail(st, v->col, "unknown 802.11 direction");
		}
		return fl_p80211_dir(st, d, kw->col);
	}
	if (kw->t == T_SUBTYPE) {
		/* a bare subtype is a name only (it also names the type) */
		if (v->t == T_NUM) {
			st->cur--;
			syntax(st, "a subtype name");
		}
		if (fl_wlan_any_subtype(v->text, &sub) < 0)
			fl_fail(st, v->col, "unknown 802.11 type name \"%s\"", v->text);
		return fl_p80211_type(st, sub, 0xfc, kw->col);
	}
	if (v->t == T_NUM) {
		if (v->num & ~0x0cu)
			fl_fail(st, v->col, "invalid 802.11 type value 0x%02x", v->num);
		type = v->num;
	} else if (fl_wlan_type_by_name(v->text, &type) < 0) {
		fl_fail(st, v->col, "unknown 802.11 type name \"%s\"", v->text);
	}
	if (tok(st)->t != T_SUBTYPE)
		return fl_p80211_type(st, type, 0x0c, kw->col);
	next(st);
	v = tok(st);
	if (v->t != T_NUM && v->t != T_ID)
		syntax(st, "a frame subtype");
	next(st);
	if (v->t == T_NUM) {
		if (v->num & ~0xf0u)
			fl_fail(st, v->col, "invalid 802.11 subtype value 0x%02x", v->num);
		sub = v->num;
	} else if (fl_wlan_subtype_by_name(type, v->text, &sub) < 0) {
		fl_fail(st, v->col, "unknown 802.11 subtype name \"%s\"", v->text);
	}
	return fl_p80211_type(st, type | sub, 0xfc, kw->col);
}

/* mtp3value: NUM | relop NUM | irelop NUM | '(' NUM (or NUM)* ')' */
static struct fl_cond *mtp3value(struct fl_state *st, int field, int col)
{
	uint16_t jop = BPF_JEQ;
	int neg = 0;

	/* (libpcap 1.10 negates '<' and '<=' but not '!=') */
	switch (tok(st)->t) {
	case T_GT: case T_LE:
		jop = BPF_JGT;
		neg = tok(st)->t == T_LE;
		next(st);
		break;
	case T_GE: case T_LT:
		jop = BPF_JGE;
		neg = tok(st)->t == T_LT;
		next(st);
		break;
	case T_EQ: case T_NE: next(st); break;
	case T_LPAREN: {
		struct fl_cond *c = NULL;

		next(st);
		do {
			if (c)
				next(st);
			if (tok(st)->t != T_NUM)
				syntax(st, "a number");
			struct fl_cond *one = fl_mtp3_cmp(st, field, BPF_JEQ,
							  tok(st)->num, col);
			c = c ? fl_or(st, c, one) : one;
			next(st);
		} while (tok(st)->t == T_OR);
		expect(st, T_RPAREN, "')'");
		return c;
	}
	default:
		break;
	}
	if (tok(st)->t != T_NUM)
		syntax(st, "a number");
	uint32_t v = tok(st)->num;
	next(st);
	struct fl_cond *c = fl_mtp3_cmp(st, field, jop, v, col);
	return neg ? fl_not(st, c) : c;
}

/* rterm: head id | '(' expr ')' | pname | arth relop arth
 *      | arth irelop arth | other | mtp2type | mtp3field mtp3value */
static struct res rterm(struct fl_state *st, struct fl_qual q)
{
	const struct fl_token *t = tok(st);
	struct res r = {NULL, qerr};

	if (starts_relation(st, st->cur)) {
		r.c = relation(st);
		return r;
	}
	if (t->t == T_LPAREN) {
		next(st);
		deeper(st);
		r = expr(st, q);
		st->depth--;
		expect(st, T_RPAREN, "')'");
		r.q = q;
		return r;
	}
	int proto = P_DEFAULT, pcol = t->col;
	if (t->t == T_PNAME) {
		proto = (int)t->num;
		next(st);
		t = tok(st);
	}
	if (dqual(t->t) >= 0 || aqual(t->t) >= 0) {
		struct fl_qual hq = head(st, proto);

		return id(st, hq);
	}
	if (t->t == T_BROADCAST || t->t == T_MULTICAST) {
		next(st);
		r.c = t->t == T_BROADCAST ? fl_broadcast(st, proto, t->col)
					   : fl_multicast(st, proto, t->col);
		return r;
	}
	if (t->t == T_TYPE || t->t == T_SUBTYPE || t->t == T_DIR) {
		r.c = p80211(st);
		return r;
	}
	if (proto != P_DEFAULT) {
		r.c = fl_proto_abbrev(st, proto, pcol);
		return r;
	}
	switch (t->t) {
	case T_LESS: case T_GREATER: case T_BYTE: case T_INBOUND:
	case T_OUTBOUND: case T_IFINDEX: case T_VLAN: case T_MPLS:
	case T_PPPOED: case T_PPPOES: case T_GENEVE: case T_LLC:
		r.c = other(st);
		return r;
	case T_OTHERKW: {
		/* mtp2type | mtp3field mtp3value */
		int field = fl_mtp3_field(t->text);

		next(st);
		if (field >= 0) {
			r.c = mtp3value(st, field, t->col);
			return r;
		}
		r.c = fl_mtp2_type(st, t->text, t->col);
		if (r.c)
			return r;
		st->cur--;
		r.c = other(st);
		return r;
	}
	default:
		syntax(st, "a filter primitive");
	}
}

/* term: rterm | not term */
static struct res term(struct fl_state *st, struct fl_qual q)
{
	if (tok(st)->t == T_NOT) {
		next(st);
		deeper(st);
		struct res r = term(st, q);
		st->depth--;
		r.c = fl_not(st, r.c);
		return r;
	}
	return rterm(st, q);
}

/* expr: term | expr and term | expr and id | expr or term | expr or id */
static struct res expr(struct fl_state *st, struct fl_qual q)
{
	struct res r = term(st, q);

	while (tok(st)->t == T_AND || tok(st)->t == T_OR) {
		int is_and = tok(st)->t == T_AND;
		struct res r2;

		next(st);
		if (starts_id(st, st->cur))
			r2 = id(st, r.q);
		else
			r2 = term(st, r.q);
		r.c = is_and ? fl_and(st, r.c, r2.c) : fl_or(st, r.c, r2.c);
		r.q = r2.q;
	}
	return r;
}

/* prog: expr | (empty) */
struct fl_cond *fl_parse(struct fl_state *st)
{
	st->cur = 0;
	if (tok(st)->t == T_EOF)
		return fl_true(st);
	struct res r = expr(st, qerr);
	if (tok(st)->t != T_EOF)
		syntax(st, "'and', 'or' or the end of the expression");
	return r.c;
}
