/* filter_sema.c — what an id means under its qualifiers: the checks and
 * conversions of libpcap's gen_ncode (numbers), gen_scode (names),
 * gen_mcode / gen_mcode6 (addresses with masks) and gen_ecode (MAC
 * addresses), with libpcap 1.11's wording of the errors.
 *
 * No name service: host and network names are errors ("unknown host");
 * port and protocol names come from filter_names.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_sema.h"

static int dir_is_80211(int dir)
{
	return dir >= D_ADDR1 && dir <= D_TA;
}

/* The port's IP protocol from the protocol qualifier. */
static int port_proto(struct fl_state *st, struct fl_qual q, int col,
		      const char *what)
{
	if (dir_is_80211(q.dir))
		fl_fail(st, col, "'%s' is not a valid qualifier for '%s'",
			fl_dir_name(q.dir), what);
	switch (q.proto) {
	case P_TCP: return 6;
	case P_UDP: return 17;
	case P_SCTP: return 132;
	case P_DEFAULT: return -1;
	default:
		fl_fail(st, col, "'%s' is not a valid qualifier for '%s'",
			fl_proto_name(q.proto), what);
	}
}

struct fl_cond *fl_sema_num(struct fl_state *st, uint32_t v, struct fl_qual q,
			    int col)
{
	switch (q.addr) {
	case A_DEFAULT:
	case A_HOST:
	case A_NET: {
		uint32_t mask = 0xffffffffu;

		if (q.proto == P_LINK)
			fl_fail(st, col, "illegal link layer address");
		if (q.proto == P_DECNET)
			return fl_dnhost(st, v, q.dir, col);
		if (q.addr == A_NET)
			while (v && !(v & 0xff000000u)) {
				v <<= 8;
				mask <<= 8;
			}
		return fl_host4(st, v, mask, q.proto, q.dir, q.addr, col, NULL);
	}
	case A_PORT:
	case A_PORTRANGE: {
		const char *what = q.addr == A_PORT ? "port" : "portrange";
		int ipp = port_proto(st, q, col, what);

		if (v > 65535)
			fl_fail(st, col, "port number %u greater than maximum 65535", v);
		return fl_port(st, v, v, ipp, q.dir, col, q.addr == A_PORTRANGE);
	}
	case A_GATEWAY:
		fl_fail(st, col, "'gateway' requires a name");
	case A_PROTO:
		return fl_proto(st, v, q.proto, q.dir, col);
	case A_PROTOCHAIN:
		return fl_protochain(st, v, q.proto, col);
	default:
		fl_fail(st, col, "can't parse filter expression: syntax error");
	}
}

/* "a-b" as a port range of numbers or names. */
static int port_range(const char *s, uint32_t *lo, uint32_t *hi, int *ipp)
{
	const char *dash;

	for (dash = strchr(s, '-'); dash; dash = strchr(dash + 1, '-')) {
		char a[128], b[128];
		size_t la = (size_t)(dash - s);
		int pa = -1, pb = -1;

		if (la >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
			return -1;
		memcpy(a, s, la);
		a[la] = 0;
		strcpy(b, dash + 1);
		if (fl_port_by_name(a, lo, &pa) == 0 &&
		    fl_port_by_name(b, hi, &pb) == 0) {
			*ipp = pa == pb ? pa : -1;
			return 0;
		}
	}
	return -1;
}

struct fl_cond *fl_sema_name(struct fl_state *st, const char *name,
			     struct fl_qual q, int col)
{
	switch (q.addr) {
	case A_DEFAULT:
	case A_HOST:
		if (q.proto == P_LINK)
			fl_fail(st, col, "unknown Ethernet-like host '%s'", name);
		fl_fail(st, col, "unknown host '%s'", name);
	case A_NET:
		fl_fail(st, col, "unknown network '%s'", name);
	case A_GATEWAY:
		fl_fail(st, col, "unknown Ethernet-like host '%s'", name);
	case A_PORT: {
		int ipp = port_proto(st, q, col, "port"), real;
		uint32_t port;

		if (fl_port_by_name(name, &port, &real) < 0)
			fl_fail(st, col, "unknown port '%s'", name);
		if (ipp == 6 && real == 17)
			fl_fail(st, col, "port '%s' is udp", name);
		if (ipp == 17 && real == 6)
			fl_fail(st, col, "port '%s' is tcp", name);
		if (ipp < 0)
			ipp = real;
		return fl_port(st, port, port, ipp, q.dir, col, 0);
	}
	case A_PORTRANGE: {
		int ipp = port_proto(st, q, col, "portrange"), real;
		uint32_t lo, hi;

		if (port_range(name, &lo, &hi, &real) < 0)
			fl_fail(st, col, "unknown port in range '%s'", name);
		if (ipp < 0)
			ipp = real;
		return fl_port(st, lo, hi, ipp, q.dir, col, 1);
	}
	case A_PROTO: {
		uint32_t v;
		int found = q.proto == P_LINK ? fl_ethertype_by_name(name, &v)
			    : q.proto == P_ISO ? fl_osiproto_by_name(name, &v)
					       : fl_ipproto_by_name(name, &v);

		if (found < 0)
			fl_fail(st, col, "unknown '%s%sproto' value '%s'",
				fl_proto_name(q.proto), q.proto ? " " : "", name);
		return fl_proto(st, v, q.proto, q.dir, col);
	}
	case A_PROTOCHAIN: {
		uint32_t v;

		if (fl_ipproto_by_name(name, &v) < 0)
			fl_fail(st, col, "unknown '%s%sprotochain' value '%s'",
				fl_proto_name(q.proto), q.proto ? " " : "", name);
		return fl_protochain(st, v, q.proto, col);
	}
	default:
		fl_fail(st, col, "can't parse filter expression: syntax error");
	}
}

/* Dotted IPv4 with 1-4 parts; returns the number of bits given. */
static int parse_v4(struct fl_state *st, const char *text, uint32_t *out,
		    int col)
{
	const char *s = text;
	uint32_t v = 0;
	int bits = 0;

	while (*s) {
		char *end;
		unsigned long part = strtoul(s, &end, 10);

		if (part > 255 || end == s)
			fl_fail(st, col, "invalid IPv4 address '%s'", text);
		v = v << 8 | (uint32_t)part;
		bits += 8;
		s = *end == '.' ? end + 1 : end;
	}
	*out = v;
	return bits;
}

static const char *addr_kind_msg(int addr)
{
	switch (addr) {
	case A_PORT: return "port";
	case A_PORTRANGE: return "portrange";
	case A_PROTO: return "proto";
	case A_PROTOCHAIN: return "protochain";
	default: return NULL;
	}
}

/* The checks shared by IPv4 and IPv6 addresses: qualifiers that cannot
 * take an address.  shown is the address as written (with its mask). */
static void check_addr_quals(struct fl_state *st, struct fl_qual q, int v6,
			     const char *suffix, const char *shown, int col)
{
	const char *kind = addr_kind_msg(q.addr);

	if (kind)
		fl_fail(st, col, "'%s' qualifier applied to IPv%c address%s",
			kind, v6 ? '6' : '4', suffix);
	if (q.addr == A_GATEWAY)
		fl_fail(st, col, "'gateway' is not a valid qualifier for '%s'",
			shown);
	if (dir_is_80211(q.dir))
		fl_fail(st, col, "'%s' is valid for 802.11 syntax only",
			fl_dir_name(q.dir));
}

struct fl_cond *fl_sema_hid(struct fl_state *st, const char *text,
			    const char *masktext, int masklen,
			    struct fl_qual q, int col)
{
	const char *suffix = masktext ? " and netmask"
			   : masklen >= 0 ? " and prefix length" : "";
	uint32_t addr, mask;
	char shown[96];

	if (masktext)
		snprintf(shown, sizeof(shown), "%s mask %s", text, masktext);
	else if (masklen >= 0)
		snprintf(shown, sizeof(shown), "%s/%d", text, masklen);
	else
		snprintf(shown, sizeof(shown), "%s", text);
	check_addr_quals(st, q, 0, suffix, shown, col);
	if (q.proto == P_DECNET) {
		unsigned area, node;
		char extra;

		if (masktext || masklen >= 0 ||
		    sscanf(text, "%u.%u%c", &area, &node, &extra) != 2)
			fl_fail(st, col, "malformed decnet address '%s'", shown);
		return fl_dnhost(st, (area << 10 | node) & 0xffff, q.dir, col);
	}
	int bits = parse_v4(st, text, &addr, col);
	if (masktext || masklen >= 0) {
		if (q.addr == A_HOST)
			fl_fail(st, col, "'host' is not a valid qualifier for '%s'",
				shown);
		if (masktext) {
			int mbits = parse_v4(st, masktext, &mask, col);

			mask <<= 32 - mbits;
		} else {
			if (masklen > 32)
				fl_fail(st, col,
					"netmask length %d greater than maximum 32",
					masklen);
			mask = masklen ? 0xffffffffu << (32 - masklen) : 0;
		}
		addr <<= 32 - bits;
		if (addr & ~mask)
			fl_fail(st, col, "non-network bits set in \"%s\"", shown);
		return fl_host4(st, addr, mask, q.proto, q.dir, A_NET, col,
				"prefix");
	}
	mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	addr <<= 32 - bits;
	return fl_host4(st, addr, mask, q.proto, q.dir, q.addr, col, NULL);
}

struct fl_cond *fl_sema_hid6(struct fl_state *st, const char *text,
			     int masklen, struct fl_qual q, int col)
{
	const char *suffix = masklen >= 0 ? " and prefix length" : "";
	uint8_t a[16], m[16];
	char shown[96];

	if (masklen >= 0)
		snprintf(shown, sizeof(shown), "%s/%d", text, masklen);
	else
		snprintf(shown, sizeof(shown), "%s", text);
	check_addr_quals(st, q, 1, suffix, shown, col);
	if (inet_pton(AF_INET6, text, a) != 1)
		fl_fail(st, col, "invalid IPv6 address %s", text);
	if (masklen > 128)
		fl_fail(st, col, "netmask length %d greater than maximum 128",
			masklen);
	int len = masklen < 0 ? 128 : masklen;
	if (len < 128 && q.addr == A_HOST)
		fl_fail(st, col, "'host' is not a valid qualifier for '%s'", shown);
	for (int i = 0; i < 16; i++) {
		int b = len - 8 * i;

		m[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		if (a[i] & ~m[i])
			fl_fail(st, col, "non-network bits set in \"%s\"", shown);
	}
	return fl_host6(st, a, m, q.proto, q.dir,
			masklen >= 0 ? A_NET : q.addr, col,
			masklen >= 0 ? "prefix" : NULL);
}

static void parse_mac(const char *s, uint8_t mac[6])
{
	size_t n = strlen(s);
	int i = 0;

	if (n == 12 || (n == 14 && s[4] == '.')) {
		/* abcdef000003 or abcd.ef00.0003 */
		char hex[13];
		size_t k = 0;

		for (size_t j = 0; j < n && k < 12; j++)
			if (s[j] != '.')
				hex[k++] = s[j];
		hex[k] = 0;
		for (i = 0; i < 6; i++) {
			char b[3] = {hex[2 * i], hex[2 * i + 1], 0};

			mac[i] = (uint8_t)strtoul(b, NULL, 16);
		}
		return;
	}
	while (*s && i < 6) {
		char *end;

		mac[i++] = (uint8_t)strtoul(s, &end, 16);
		s = *end ? end + 1 : end;
	}
}

struct fl_cond *fl_sema_eid(struct fl_state *st, const char *text,
			    struct fl_qual q, int col)
{
	uint8_t mac[6] = {0};

	if ((q.addr == A_HOST || q.addr == A_DEFAULT) && q.proto == P_LINK) {
		parse_mac(text, mac);
		return fl_ether_host(st, mac, q.dir, col);
	}
	fl_fail(st, col, "Ethernet address used in non-ether expression");
}

struct fl_cond *fl_sema_aid(struct fl_state *st, const char *text,
			    struct fl_qual q, int col)
{
	if (q.proto != P_LINK && q.proto != P_DEFAULT)
		fl_fail(st, col, "'link' is the only valid proto qualifier for 'host $XX' (%s)",
			text);
	if (q.addr != A_HOST && q.addr != A_DEFAULT) {
		static const char *const kinds[] = {
			"", "host", "net", "port", "portrange", "gateway",
			"proto", "protochain", "",
		};
		fl_fail(st, col, "'%s' is not a valid qualifier for '$XX'",
			kinds[q.addr]);
	}
	/* "$XX": one hex byte */
	unsigned long a = strtoul(text + 1, NULL, 16);
	if (strlen(text) > 3)
		fl_fail(st, col, "invalid ARCnet address '%s'", text);
	return fl_arcnet_host(st, (uint32_t)a, q.dir, col);
}
