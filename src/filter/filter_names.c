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
