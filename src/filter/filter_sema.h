/* filter_sema.h — the meaning of an id (host, network, port, protocol,
 * MAC address) under the qualifiers in force, for filter_parse.c.  Each
 * checks that the qualifiers fit the id, as libpcap's gen_ncode /
 * gen_scode / gen_mcode / gen_ecode do, and builds its condition. */
#ifndef BPFTK_FILTER_SEMA_H
#define BPFTK_FILTER_SEMA_H

#include "filter_int.h"

struct fl_cond *fl_sema_num(struct fl_state *st, uint32_t v, struct fl_qual q,
			    int col);
struct fl_cond *fl_sema_name(struct fl_state *st, const char *name,
			     struct fl_qual q, int col);
/* masktext: "mask" operand or NULL; masklen: prefix length or -1 */
struct fl_cond *fl_sema_hid(struct fl_state *st, const char *text,
			    const char *masktext, int masklen,
			    struct fl_qual q, int col);
struct fl_cond *fl_sema_hid6(struct fl_state *st, const char *text,
			     int masklen, struct fl_qual q, int col);
struct fl_cond *fl_sema_eid(struct fl_state *st, const char *text,
			    struct fl_qual q, int col);
struct fl_cond *fl_sema_aid(struct fl_state *st, const char *text,
			    struct fl_qual q, int col);

#endif
