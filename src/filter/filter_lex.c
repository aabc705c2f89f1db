/* filter_lex.c — the tokenizer of pcap-filter(7) expressions.
 *
 * The whole expression is tokenized up front so the parser can look ahead
 * as far as it needs (a '(' may open an arithmetic expression or a boolean
 * one, and only the token after the matching ')' tells).
 *
 * Words follow libpcap's scanner: a run of [A-Za-z0-9_.-] (plus ':' when
 * the run is a MAC or IPv6 address) is, in this order of preference, a
 * keyword, a named constant ("tcp-syn", "icmp-echo"...), a number
 * (decimal, 0x hex, 0-prefixed octal), a dotted IPv4 address (1 to 4
 * parts), a MAC address, or an identifier (which ends in a letter, digit
 * or '.').  "\name" is always an identifier (so "ether proto \arp" names
 * a protocol, not the keyword).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "filter_int.h"

struct kw {
	const char *name;
	enum fl_tok t;
	uint32_t v;
};

static const struct kw keywords[] = {
	{"dst", T_DST, 0}, {"src", T_SRC, 0},
	{"link", T_PNAME, P_LINK}, {"ether", T_PNAME, P_LINK},
	{"ppp", T_PNAME, P_LINK}, {"slip", T_PNAME, P_LINK},
	{"fddi", T_PNAME, P_LINK}, {"tr", T_PNAME, P_LINK},
	{"wlan", T_PNAME, P_LINK},
	{"arp", T_PNAME, P_ARP}, {"rarp", T_PNAME, P_RARP},
	{"ip", T_PNAME, P_IP}, {"sctp", T_PNAME, P_SCTP},
	{"tcp", T_PNAME, P_TCP}, {"udp", T_PNAME, P_UDP},
	{"icmp", T_PNAME, P_ICMP}, {"igmp", T_PNAME, P_IGMP},
	{"igrp", T_PNAME, P_IGRP}, {"pim", T_PNAME, P_PIM},
	{"vrrp", T_PNAME, P_VRRP}, {"carp", T_PNAME, P_CARP},
	{"radio", T_PNAME, P_RADIO}, {"ip6", T_PNAME, P_IPV6},
	{"icmp6", T_PNAME, P_ICMPV6}, {"ah", T_PNAME, P_AH},
	{"esp", T_PNAME, P_ESP}, {"atalk", T_PNAME, P_ATALK},
	{"aarp", T_PNAME, P_AARP}, {"decnet", T_PNAME, P_DECNET},
	{"lat", T_PNAME, P_LAT}, {"sca", T_PNAME, P_SCA},
	{"moprc", T_PNAME, P_MOPRC}, {"mopdl", T_PNAME, P_MOPDL},
	{"iso", T_PNAME, P_ISO}, {"esis", T_PNAME, P_ESIS},
	{"es-is", T_PNAME, P_ESIS}, {"isis", T_PNAME, P_ISIS},
	{"is-is", T_PNAME, P_ISIS}, {"l1", T_PNAME, P_L1},
	{"l2", T_PNAME, P_L2}, {"iih", T_PNAME, P_IIH},
	{"lsp", T_PNAME, P_LSP}, {"snp", T_PNAME, P_SNP},
	{"csnp", T_PNAME, P_CSNP}, {"psnp", T_PNAME, P_PSNP},
	{"clnp", T_PNAME, P_CLNP}, {"stp", T_PNAME, P_STP},
	{"ipx", T_PNAME, P_IPX}, {"netbeui", T_PNAME, P_NETBEUI},
	{"host", T_HOST, 0}, {"net", T_NET, 0}, {"mask", T_MASK, 0},
	{"port", T_PORT, 0}, {"portrange", T_PORTRANGE, 0},
	{"proto", T_PROTO, 0}, {"protochain", T_PROTOCHAIN, 0},
	{"gateway", T_GATEWAY, 0},
	{"type", T_TYPE, 0}, {"subtype", T_SUBTYPE, 0},
	{"direction", T_DIR, 0}, {"dir", T_DIR, 0},
	{"address1", T_ADDR1, 0}, {"addr1", T_ADDR1, 0},
	{"address2", T_ADDR2, 0}, {"addr2", T_ADDR2, 0},
	{"address3", T_ADDR3, 0}, {"addr3", T_ADDR3, 0},
	{"address4", T_ADDR4, 0}, {"addr4", T_ADDR4, 0},
	{"ra", T_RA, 0}, {"ta", T_TA, 0},
	{"less", T_LESS, 0}, {"greater", T_GREATER, 0},
	{"byte", T_BYTE, 0}, {"broadcast", T_BROADCAST, 0},
	{"multicast", T_MULTICAST, 0},
	{"and", T_AND, 0}, {"or", T_OR, 0}, {"not", T_NOT, 0},
	{"len", T_LEN, 0}, {"length", T_LEN, 0},
	{"inbound", T_INBOUND, 0}, {"outbound", T_OUTBOUND, 0},
	{"ifindex", T_IFINDEX, 0}, {"vlan", T_VLAN, 0},
	{"mpls", T_MPLS, 0}, {"pppoed", T_PPPOED, 0},
	{"pppoes", T_PPPOES, 0}, {"geneve", T_GENEVE, 0},
	{"llc", T_LLC, 0},
	/* keywords of link types and capture sources not implemented */
	{"lane", T_OTHERKW, 0}, {"metac", T_OTHERKW, 0},
	{"bcc", T_OTHERKW, 0}, {"oam", T_OTHERKW, 0},
	{"oamf4", T_OTHERKW, 0}, {"oamf4ec", T_OTHERKW, 0},
	{"oamf4sc", T_OTHERKW, 0}, {"sc", T_OTHERKW, 0},
	{"ilmic", T_OTHERKW, 0}, {"vpi", T_OTHERKW, 0},
	{"vci", T_OTHERKW, 0}, {"connectmsg", T_OTHERKW, 0},
	{"metaconnect", T_OTHERKW, 0}, {"on", T_OTHERKW, 0},
	{"ifname", T_OTHERKW, 0}, {"rnr", T_OTHERKW, 0},
	{"rulenum", T_OTHERKW, 0}, {"srnr", T_OTHERKW, 0},
	{"subrulenum", T_OTHERKW, 0}, {"reason", T_OTHERKW, 0},
	{"rset", T_OTHERKW, 0}, {"ruleset", T_OTHERKW, 0},
	{"action", T_OTHERKW, 0}, {"fisu", T_OTHERKW, 0},
	{"lssu", T_OTHERKW, 0}, {"lsu", T_OTHERKW, 0}, {"msu", T_OTHERKW, 0},
	{"hfisu", T_OTHERKW, 0}, {"hlssu", T_OTHERKW, 0},
	{"hmsu", T_OTHERKW, 0}, {"sio", T_OTHERKW, 0},
	{"opc", T_OTHERKW, 0}, {"dpc", T_OTHERKW, 0},
	{"sls", T_OTHERKW, 0}, {"hsio", T_OTHERKW, 0},
	{"hopc", T_OTHERKW, 0}, {"hdpc", T_OTHERKW, 0},
	{"hsls", T_OTHERKW, 0},
	/* named constants: header field offsets and values */
	{"icmptype", T_NUM, 0}, {"icmpcode", T_NUM, 1},
	{"icmp-echoreply", T_NUM, 0}, {"icmp-unreach", T_NUM, 3},
	{"icmp-sourcequench", T_NUM, 4}, {"icmp-redirect", T_NUM, 5},
	{"icmp-echo", T_NUM, 8}, {"icmp-routeradvert", T_NUM, 9},
	{"icmp-routersolicit", T_NUM, 10}, {"icmp-timxceed", T_NUM, 11},
	{"icmp-paramprob", T_NUM, 12}, {"icmp-tstamp", T_NUM, 13},
	{"icmp-tstampreply", T_NUM, 14}, {"icmp-ireq", T_NUM, 15},
	{"icmp-ireqreply", T_NUM, 16}, {"icmp-maskreq", T_NUM, 17},
	{"icmp-maskreply", T_NUM, 18},
	{"icmp6type", T_NUM, 0}, {"icmp6code", T_NUM, 1},
	{"icmp6-destinationunreach", T_NUM, 1},
	{"icmp6-packettoobig", T_NUM, 2}, {"icmp6-timeexceeded", T_NUM, 3},
	{"icmp6-parameterproblem", T_NUM, 4}, {"icmp6-echo", T_NUM, 128},
	{"icmp6-echoreply", T_NUM, 129},
	{"icmp6-multicastlistenerquery", T_NUM, 130},
	{"icmp6-multicastlistenerreportv1", T_NUM, 131},
	{"icmp6-multicastlistenerdone", T_NUM, 132},
	{"icmp6-routersolicit", T_NUM, 133},
	{"icmp6-routeradvert", T_NUM, 134},
	{"icmp6-neighborsolicit", T_NUM, 135},
	{"icmp6-neighboradvert", T_NUM, 136}, {"icmp6-redirect", T_NUM, 137},
	{"icmp6-routerrenum", T_NUM, 138},
	{"icmp6-nodeinformationquery", T_NUM, 139},
	{"icmp6-nodeinformationresponse", T_NUM, 140},
	{"icmp6-ineighbordiscoverysolicit", T_NUM, 141},
	{"icmp6-ineighbordiscoveryadvert", T_NUM, 142},
	{"icmp6-multicastlistenerreportv2", T_NUM, 143},
	{"icmp6-homeagentdiscoveryrequest", T_NUM, 144},
	{"icmp6-homeagentdiscoveryreply", T_NUM, 145},
	{"icmp6-mobileprefixsolicit", T_NUM, 146},
	{"icmp6-mobileprefixadvert", T_NUM, 147},
	{"icmp6-certpathsolicit", T_NUM, 148},
	{"icmp6-certpathadvert", T_NUM, 149},
	{"icmp6-multicastrouteradvert", T_NUM, 151},
	{"icmp6-multicastroutersolicit", T_NUM, 152},
	{"icmp6-multicastrouterterm", T_NUM, 153},
	{"tcpflags", T_NUM, 13}, {"tcp-fin", T_NUM, 0x01},
	{"tcp-syn", T_NUM, 0x02}, {"tcp-rst", T_NUM, 0x04},
	{"tcp-push", T_NUM, 0x08}, {"tcp-ack", T_NUM, 0x10},
	{"tcp-urg", T_NUM, 0x20}, {"tcp-ece", T_NUM, 0x40},
	{"tcp-cwr", T_NUM, 0x80},
};

static int is_word(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

static void push(struct fl_state *st, enum fl_tok t, uint32_t v,
		 const char *text, size_t len, int col)
{
	st->toks = fl_grow(st, st->toks, st->ntoks, &st->tokcap,
			   sizeof(*st->toks));
	struct fl_token *k = &st->toks[st->ntoks++];
	k->t = t;
	k->num = v;
	k->text = text ? fl_strndup(st, text, len) : NULL;
	k->col = col;
}

/* Number in libpcap's syntax; 0 on success. */
static void number(struct fl_state *st, const char *s, size_t n, int col,
		   uint32_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (n > 1 && s[0] == '0') {
		base = 8;
		i = 1;
	}
	for (; i < n; i++) {
		int c = s[i], d;

		if (isdigit(c))
			d = c - '0';
		else
			d = tolower(c) - 'a' + 10;
		if (base == 8 && d >= 8)
			fl_fail(st, col, "number %.*s contains non-octal digit",
				(int)n, s);
		v = v * base + (unsigned)d;
		if (v > 0xffffffffu)
			fl_fail(st, col, "number %.*s overflows 32 bits",
				(int)n, s);
	}
	*out = (uint32_t)v;
}

/* 1 to 4 decimal parts joined by '.' */
static int is_dotted(const char *s, size_t n)
{
	int parts = 1, digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i])) {
			digits++;
		} else if (s[i] == '.' && digits) {
			parts++;
			digits = 0;
		} else {
			return 0;
		}
	}
	return digits && parts >= 2 && parts <= 4;
}

static int all_of(const char *s, size_t n, int (*pred)(int))
{
	for (size_t i = 0; i < n; i++)
		if (!pred((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* MAC forms: six 1-2 digit hex groups joined by ':' '-' or '.', or three
 * 4-digit groups joined by '.' */
static int is_mac(const char *s, size_t n)
{
	int groups = 0, len = 0;
	char sep = 0;

	if (n == 12 && all_of(s, n, isxdigit))
		return 1;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && isxdigit((unsigned char)s[i])) {
			len++;
			continue;
		}
		if (len == 0)
			return 0;
		groups++;
		if (sep == '.' && groups == 1 && len == 4)
			sep = 'w';
		if (i == n)
			break;
		if (!sep) {
			sep = s[i];
			if (sep != ':' && sep != '-' && sep != '.')
				return 0;
			if (sep == '.' && len == 4)
				sep = 'w';
			else if (len > 2)
				return 0;
		} else if ((sep == 'w' ? '.' : sep) != s[i]) {
			return 0;
		} else if (sep != 'w' && len > 2) {
			return 0;
		}
		len = 0;
	}
	if (sep == 'w')
		return groups == 3 && len == 4;
	return groups == 6 && len <= 2;
}

static int is_v6(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	uint8_t a[16];

	if (n >= sizeof(buf) || !memchr(s, ':', n))
		return 0;
	memcpy(buf, s, n);
	buf[n] = 0;
	return inet_pton(AF_INET6, buf, a) == 1;
}

static void word(struct fl_state *st, const char *s, size_t n, int col)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].name) == n &&
		    !memcmp(keywords[i].name, s, n)) {
			push(st, keywords[i].t, keywords[i].v, s, n, col);
			return;
		}
	if (all_of(s, n, isdigit) ||
	    (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	     all_of(s + 2, n - 2, isxdigit))) {
		uint32_t v;

		number(st, s, n, col, &v);
		push(st, T_NUM, v, s, n, col);
		return;
	}
	if (is_dotted(s, n)) {
		push(st, T_HID, 0, s, n, col);
		return;
	}
	if (is_mac(s, n)) {
		push(st, T_EID, 0, s, n, col);
		return;
	}
	push(st, T_ID, 0, s, n, col);
}

struct op {
	const char *s;
	enum fl_tok t;
};

static const struct op ops[] = {
	{"&&", T_AND}, {"||", T_OR}, {"<<", T_LSH}, {">>", T_RSH},
	{">=", T_GE}, {"<=", T_LE}, {"==", T_EQ}, {"!=", T_NE},
	{"(", T_LPAREN}, {")", T_RPAREN}, {"[", T_LBRACK}, {"]", T_RBRACK},
	{":", T_COLON}, {"/", T_SLASH}, {"+", T_PLUS}, {"-", T_MINUS},
	{"*", T_STAR}, {"%", T_PERCENT}, {"&", T_AMP}, {"|", T_PIPE},
	{"^", T_CARET}, {">", T_GT}, {"<", T_LT}, {"=", T_EQ}, {"!", T_NOT},
};

void fl_lex(struct fl_state *st)
{
	const char *s = st->src;
	size_t i = 0;

	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		int col = (int)i + 1;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		if (c == '\\') {
			size_t j = i + 1;

			while (s[j] && !strchr(" !()\n\t", s[j]))
				j++;
			if (j == i + 1)
				fl_fail(st, col, "can't parse filter expression: syntax error");
			push(st, T_ID, 0, s + i + 1, j - i - 1, col);
			i = j;
			continue;
		}
		if (isalnum(c) || c == ':') {
			size_t j = i, k = i;

			while (is_word((unsigned char)s[j]))
				j++;
			/* the run with ':' wins only as an address */
			while (is_word((unsigned char)s[k]) || s[k] == ':')
				k++;
			if (k > j && (is_mac(s + i, k - i) || is_v6(s + i, k - i))) {
				push(st, is_mac(s + i, k - i) ? T_EID : T_HID6, 0,
				     s + i, k - i, col);
				i = k;
				continue;
			}
			if (c == ':') {
				push(st, T_COLON, 0, NULL, 0, col);
				i++;
				continue;
			}
			/* identifiers end in a letter, digit or '.' */
			while (j > i + 1 && (s[j - 1] == '-' || s[j - 1] == '_'))
				j--;
			word(st, s + i, j - i, col);
			i = j;
			continue;
		}
		if (c == '$') {
			size_t j = i + 1;

			while (isxdigit((unsigned char)s[j]))
				j++;
			if (j > i + 1) {
				push(st, T_AID, 0, s + i, j - i, col);
				i = j;
				continue;
			}
		}
		size_t k;
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			size_t l = strlen(ops[k].s);

			if (!strncmp(s + i, ops[k].s, l)) {
				push(st, ops[k].t, 0, s + i, l, col);
				i += l;
				break;
			}
		}
		if (k == sizeof(ops) / sizeof(ops[0]))
			fl_fail(st, col, "can't parse filter expression: syntax error: unexpected character '%c'",
				c);
	}
	push(st, T_EOF, 0, NULL, 0, (int)i + 1);
}
