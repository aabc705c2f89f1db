/* filter_names.c — names of ports, IP protocols and link-layer protocols.
 *
 * Ports and IP protocols come from the system databases (services,
 * protocols) as libpcap's pcap_nametoport / pcap_nametoproto take them: a
 * port name known for both TCP and UDP matches both.  Link-layer protocol
 * names are libpcap's fixed list (EtherTypes, then LLC SAPs).  No host or
 * network names: resolving those needs a name service.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter_int.h"

static int decimal(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	if (!isdigit((unsigned char)*s))
		return -1;
	x = strtoul(s, &end, 10);
	if (*end || x > 0xffffffffu)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int serv(const char *name, const char *proto, uint32_t *port)
{
	struct servent se, *res = NULL;
	char buf[1024];

	if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) || !res)
		return -1;
	*port = ntohs((uint16_t)res->s_port);
	return 0;
}

int fl_port_by_name(const char *name, uint32_t *port, int *ipproto)
{
	uint32_t t, u;
	int has_t, has_u;

	if (decimal(name, port) == 0) {
		*ipproto = -1;
		return 0;
	}
	has_t = serv(name, "tcp", &t) == 0;
	has_u = serv(name, "udp", &u) == 0;
	if (has_t && has_u && t == u) {
		*port = t;
		*ipproto = -1;
	} else if (has_t) {
		*port = t;
		*ipproto = 6;
	} else if (has_u) {
		*port = u;
		*ipproto = 17;
	} else {
		return -1;
	}
	return 0;
}

int fl_ipproto_by_name(const char *name, uint32_t *v)
{
	struct protoent pe, *res = NULL;
	char buf[1024];

	if (getprotobyname_r(name, &pe, buf, sizeof(buf), &res) || !res)
		return -1;
	*v = (uint32_t)res->p_proto;
	return 0;
}

struct name_val {
	const char *name;
	uint32_t v;
};

static const struct name_val eprotos[] = {
	{"pup", 0x0200}, {"xns", 0x0600}, {"ip", 0x0800}, {"ip6", 0x86dd},
	{"arp", 0x0806}, {"rarp", 0x8035}, {"sprite", 0x0500},
	{"mopdl", 0x6001}, {"moprc", 0x6002}, {"decnet", 0x6003},
	{"lat", 0x6004}, {"sca", 0x6007}, {"lanbridge", 0x8038},
	{"vexp", 0x805b}, {"vprod", 0x805c}, {"atalk", 0x809b},
	{"atalkarp", 0x80f3}, {"loopback", 0x9000}, {"decdts", 0x803e},
	{"decdns", 0x803c},
	/* LLC SAPs */
	{"iso", 0xfe}, {"stp", 0x42}, {"ipx", 0xe0}, {"netbeui", 0xf0},
	{"aarp", 0x80f3},
};

static const struct name_val osiprotos[] = {
	{"clnp", 0x81}, {"esis", 0x82}, {"isis", 0x83},
};

int fl_osiproto_by_name(const char *name, uint32_t *v)
{
	for (size_t i = 0; i < sizeof(osiprotos) / sizeof(osiprotos[0]); i++)
		if (!strcmp(osiprotos[i].name, name)) {
			*v = osiprotos[i].v;
			return 0;
		}
	return -1;
}

int fl_ethertype_by_name(const char *name, uint32_t *v)
{
	for (size_t i = 0; i < sizeof(eprotos) / sizeof(eprotos[0]); i++)
		if (!strcmp(eprotos[i].name, name)) {
			*v = eprotos[i].v;
			return 0;
		}
	return -1;
}

/* ---- 802.11 frame types and subtypes (names of pcap-filter(7)) ---- */
static const struct name_val wlan_types[] = {
	{"mgt", 0x00}, {"management", 0x00}, {"ctl", 0x04},
	{"control", 0x04}, {"data", 0x08},
};

static const struct name_val mgt_subtypes[] = {
	{"assocreq", 0x00}, {"assoc-req", 0x00}, {"assocresp", 0x10},
	{"assoc-resp", 0x10}, {"reassocreq", 0x20}, {"reassoc-req", 0x20},
	{"reassocresp", 0x30}, {"reassoc-resp", 0x30}, {"probereq", 0x40},
	{"probe-req", 0x40}, {"proberesp", 0x50}, {"probe-resp", 0x50},
	{"beacon", 0x80}, {"atim", 0x90}, {"disassoc", 0xa0},
	{"disassociation", 0xa0}, {"auth", 0xb0}, {"authentication", 0xb0},
	{"deauth", 0xc0}, {"deauthentication", 0xc0},
};

static const struct name_val ctl_subtypes[] = {
	/* (libpcap 1.10 has no names for BAR 0x80 and BA 0x90) */
	{"ps-poll", 0xa0}, {"rts", 0xb0},
	{"cts", 0xc0}, {"ack", 0xd0}, {"cf-end", 0xe0}, {"cf-end-ack", 0xf0},
};

static const struct name_val data_subtypes[] = {
	{"data", 0x00}, {"data-cf-ack", 0x10}, {"data-cf-poll", 0x20},
	{"data-cf-ack-poll", 0x30}, {"null", 0x40}, {"cf-ack", 0x50},
	{"cf-poll", 0x60}, {"cf-ack-poll", 0x70}, {"qos-data", 0x80},
	{"qos-data-cf-ack", 0x90}, {"qos-data-cf-poll", 0xa0},
	{"qos-data-cf-ack-poll", 0xb0}, {"qos", 0xc0}, {"qos-cf-poll", 0xe0},
	{"qos-cf-ack-poll", 0xf0},
};

static int lookup(const struct name_val *t, size_t n, const char *name,
		  uint32_t *v)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(t[i].name, name)) {
			*v = t[i].v;
			return 0;
		}
	return -1;
}

#define LOOKUP(t, name, v) lookup(t, sizeof(t) / sizeof(t[0]), name, v)

int fl_wlan_type_by_name(const char *name, uint32_t *v)
{
	return LOOKUP(wlan_types, name, v);
}

int fl_wlan_subtype_by_name(uint32_t type, const char *name, uint32_t *v)
{
	switch (type) {
	case 0x00: return LOOKUP(mgt_subtypes, name, v);
	case 0x04: return LOOKUP(ctl_subtypes, name, v);
	case 0x08: return LOOKUP(data_subtypes, name, v);
	default: return -1;
	}
}

/* A subtype name of any type, in the order management, control, data;
 * *v has the type bits too. */
int fl_wlan_any_subtype(const char *name, uint32_t *v)
{
	static const uint32_t types[] = {0x00, 0x04, 0x08};

	for (size_t i = 0; i < 3; i++)
		if (fl_wlan_subtype_by_name(types[i], name, v) == 0) {
			*v |= types[i];
			return 0;
		}
	return -1;
}
