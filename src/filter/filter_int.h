/* filter_int.h — what only the files of src/filter share: the arena, the
 * tokens, the condition trees the code generators build and the compiler
 * state (link-layer offsets that vlan/mpls/pppoes shift as parsing goes on).
 *
 * Pipeline (filter_compile.c): lex on demand (filter_lex.c) -> recursive
 * descent parse (filter_parse.c) whose actions call the gen_*.c builders,
 * exactly in source order, because 'vlan', 'mpls' and 'pppoes' change the
 * offsets used by everything parsed after them (pcap-filter(7)) -> the
 * condition tree of the whole expression -> linear classic code with
 * labels, jumps settled (filter_emit.c).
 *
 * Invariants: every allocation of one compile comes from its arena and is
 * freed at once; an error (or running out of memory) records one
 * diagnostic and longjmp()s back to the driver, so builders never return
 * failure.  Condition trees are immutable once built and may be shared.
 */
#ifndef BPFTK_FILTER_INT_H
#define BPFTK_FILTER_INT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include <bpftk/filter.h>

#include "../util/util_int.h"

/* classic opcode fields, as libpcap's <pcap/bpf.h> spells them */
#include <pcap/pcap.h>

/* Deepest nesting of parentheses, 'not' and unary '-' accepted: the
 * parser and code generator recurse that deep. */
#define FL_MAX_DEPTH 1000

/* ---- arena --------------------------------------------------------------- */
struct fl_chunk;
struct fl_arena {
	struct fl_chunk *head;
};

/* ---- tokens ---------------------------------------------------------------- */
enum fl_tok {
	T_EOF = 0,
	T_NUM, T_ID, T_HID, T_HID6, T_EID, T_AID,
	/* punctuation */
	T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COLON, T_SLASH,
	T_PLUS, T_MINUS, T_STAR, T_PERCENT, T_AMP, T_PIPE, T_CARET,
	T_LSH, T_RSH, T_GT, T_GE, T_LT, T_LE, T_EQ, T_NE,
	/* logic */
	T_AND, T_OR, T_NOT,
	/* qualifiers and keywords */
	T_PNAME, /* protocol name; value = enum fl_proto */
	T_SRC, T_DST, T_ADDR1, T_ADDR2, T_ADDR3, T_ADDR4, T_RA, T_TA,
	T_HOST, T_NET, T_PORT, T_PORTRANGE, T_GATEWAY, T_PROTO, T_PROTOCHAIN,
	T_MASK, T_LESS, T_GREATER, T_BYTE, T_BROADCAST, T_MULTICAST,
	T_LEN, T_INBOUND, T_OUTBOUND, T_IFINDEX, T_VLAN, T_MPLS, T_PPPOED,
	T_PPPOES, T_GENEVE, T_TYPE, T_SUBTYPE, T_DIR, T_LLC,
	T_OTHERKW, /* a keyword of a link type we do not implement */
};

struct fl_token {
	enum fl_tok t;
	uint32_t num;	  /* T_NUM value; keyword value */
	const char *text; /* arena copy of the token text (IDs, addresses) */
	int col;	  /* 1-based column of the first character */
};

/* Protocol qualifiers (pname). */
enum fl_proto {
	P_DEFAULT = 0, P_LINK, P_IP, P_ARP, P_RARP, P_SCTP, P_TCP, P_UDP,
	P_ICMP, P_IGMP, P_IGRP, P_PIM, P_VRRP, P_CARP, P_ATALK, P_AARP,
	P_DECNET, P_LAT, P_SCA, P_MOPDL, P_MOPRC, P_IPV6, P_ICMPV6, P_AH,
	P_ESP, P_ISO, P_ESIS, P_ISIS, P_L1, P_L2, P_IIH, P_LSP, P_SNP,
	P_PSNP, P_CSNP, P_CLNP, P_STP, P_IPX, P_NETBEUI, P_RADIO,
	P_COUNT
};

enum fl_dir {
	D_DEFAULT = 0, D_SRC, D_DST, D_OR, D_AND, D_ADDR1, D_ADDR2, D_ADDR3,
	D_ADDR4, D_RA, D_TA
};

enum fl_addr {
	A_DEFAULT = 0, A_HOST, A_NET, A_PORT, A_PORTRANGE, A_GATEWAY,
	A_PROTO, A_PROTOCHAIN, A_UNDEF
};

/* The qualifiers in force for an id (libpcap's struct qual).  undef: the
 * id may not stand here (after a relation or a bare protocol name). */
struct fl_qual {
	uint8_t proto, dir, addr, undef;
};

/* ---- condition trees ------------------------------------------------------ */
enum fl_ckind { C_LEAF, C_AND, C_OR, C_NOT, C_TRUE, C_FALSE, C_RAW };

/* A hand-laid block of code with its own forward jumps (protochain's
 * unrolled walk): targets are indices into the block or the two exits. */
#define FL_RAW_TRUE (-1)
#define FL_RAW_FALSE (-2)
struct fl_raw_insn {
	uint16_t code;
	uint32_t k;
	int jt, jf; /* jumps (and ja: jt) only */
};
struct fl_raw {
	struct fl_raw_insn *v;
	size_t n, cap;
};

struct fl_stmts {
	struct bpftk_cbpf_insn *v;
	size_t n, cap;
};

struct fl_cond {
	enum fl_ckind kind;
	struct fl_cond *l, *r;
	/* leaf: run stmts, then jump on code (BPF_JMP|op|src) with k */
	struct fl_stmts s;
	uint16_t jcode;
	uint32_t k;
	struct fl_raw *raw; /* C_RAW */
	/* this tree runs statements whose effects outlive it (a constant
	 * with statements somewhere below): folding must keep it */
	int effects;
};

/* Arithmetic value (libpcap's struct arth): code leaving the value in A,
 * the conditions its loads need (NULL = none), and whether it is the
 * constant `cval`. */
struct fl_arth {
	struct fl_stmts s;
	struct fl_cond *check;
	int is_const;
	uint32_t cval;
};

/* ---- compiler state -------------------------------------------------------- */
struct fl_state {
	struct fl_arena arena;
	jmp_buf fail;
	int err;		 /* -EINVAL, -ENOTSUP or -ENOMEM after longjmp */
	struct bpftk_diags *diags;
	const char *src;
	struct fl_token *toks;	 /* the whole input, ending in T_EOF */
	size_t ntoks, tokcap, cur; /* parser position */
	int errcol;		 /* column for errors without a token */
	int depth;		 /* parser nesting, bounded (FL_MAX_DEPTH) */

	int dlt;		 /* the link type asked for */
	int linktype;		 /* current (pppoes turns it into PPP) */
	uint32_t snaplen, netmask;
	/* offsets, as libpcap keeps them: link header, link-layer type
	 * field, link payload (network layer; -1 = variable, then its value
	 * is in M[linkpl_reg]), network layer inside the payload */
	uint32_t off_linkhdr, off_linktype, off_linkpl, off_nl, off_nl_nosnap;
	/* 802.11: the payload offset (and behind radiotap the link header
	 * offset) are computed by a prologue into M[pl_reg] / M[ll_reg];
	 * loads then go through X.  need_*: a load used it, so the prologue
	 * must run first. */
	int pl_var, ll_var, pl_reg, ll_reg, need_pl, need_ll;
	/* after 'geneve' the link-layer type field moves too (M[lt_reg]) */
	int lt_var, lt_reg, geneve;
	/* MAC addresses in the link header (Ethernet-like links), or -1 */
	int mac_dst, mac_src;
	/* SS7: where MTP2's length indicator (-1: none) and MTP3 start */
	int mtp_li, mtp_sio;
	int is_vlan_shifted;
	int label_depth;	 /* MPLS labels seen */
	uint32_t off_prevmpls;	 /* offset of the previous MPLS header */
	int no_linktype;	 /* the link type has no type field (raw IP) */
	int regs_used;		 /* scratch memory slots in use (bit set) */
	int optimize;		 /* BPFTK_FILTER_OPTIMIZE was asked for */
	int live;		 /* BPFTK_FILTER_LIVE */
};

/* filter_util.c — arena, errors, statement lists, tree constructors */
void *fl_alloc(struct fl_state *st, size_t n);
char *fl_strndup(struct fl_state *st, const char *s, size_t n);
void fl_arena_free(struct fl_arena *a);
/* Room for one more of n elements in arena array v of *cap (doubling);
 * returns the (possibly moved) array. */
void *fl_grow(struct fl_state *st, void *v, size_t n, size_t *cap,
	      size_t elem);
_Noreturn void fl_fail(struct fl_state *st, int col, const char *fmt, ...)
	BPFTK_PRINTF(3, 4);
_Noreturn void fl_unsupported(struct fl_state *st, const char *fmt, ...)
	BPFTK_PRINTF(2, 3);
void fl_emit(struct fl_state *st, struct fl_stmts *s, uint16_t code,
	     uint32_t k);
void fl_append(struct fl_state *st, struct fl_stmts *dst,
	       const struct fl_stmts *src);
struct fl_cond *fl_leaf(struct fl_state *st, struct fl_stmts *s,
			uint16_t jcode, uint32_t k);
struct fl_cond *fl_and(struct fl_state *st, struct fl_cond *a,
		       struct fl_cond *b);
struct fl_cond *fl_or(struct fl_state *st, struct fl_cond *a,
		      struct fl_cond *b);
struct fl_cond *fl_not(struct fl_state *st, struct fl_cond *a);
struct fl_cond *fl_true(struct fl_state *st);
/* TRUE that first runs s (for effects: offsets into scratch memory) */
struct fl_cond *fl_stmts_true(struct fl_state *st, const struct fl_stmts *s);
struct fl_cond *fl_false(struct fl_state *st);
int fl_alloc_reg(struct fl_state *st);
void fl_free_reg(struct fl_state *st, int r);
const char *fl_proto_name(int proto);
const char *fl_dir_name(int dir);
const char *fl_dlt_name(int dlt);

/* filter_lex.c */
/* Tokenizes st->src into st->toks (last: T_EOF); errors via fl_fail. */
void fl_lex(struct fl_state *st);

/* filter_parse.c */
struct fl_cond *fl_parse(struct fl_state *st);

/* gen_load.c — loads relative to the link header / payload, comparisons */
enum fl_rel { OR_PACKET, OR_LINKHDR, OR_LINKTYPE, OR_LINKPL, OR_LLC,
	      OR_LINKPL_NOSNAP, OR_TRAN_IPV4, OR_TRAN_IPV6, OR_PREVMPLS };
void fl_load(struct fl_state *st, struct fl_stmts *s, enum fl_rel rel,
	     uint32_t off, uint32_t size);
/* A holds an index: loads size bytes at rel + A. */
void fl_load_index(struct fl_state *st, struct fl_stmts *s, enum fl_rel rel,
		   uint32_t size);
struct fl_cond *fl_cmp(struct fl_state *st, enum fl_rel rel, uint32_t off,
		       uint32_t size, uint32_t v);
struct fl_cond *fl_mcmp(struct fl_state *st, enum fl_rel rel, uint32_t off,
			uint32_t size, uint32_t v, uint32_t mask);
struct fl_cond *fl_cmp_op(struct fl_state *st, enum fl_rel rel, uint32_t off,
			  uint32_t size, uint16_t jop, uint32_t v);
/* load, and #mask (unless all ones), jump op #v */
struct fl_cond *fl_mcmp_op(struct fl_state *st, enum fl_rel rel, uint32_t off,
			   uint32_t size, uint32_t mask, uint16_t jop,
			   uint32_t v);
struct fl_cond *fl_bcmp(struct fl_state *st, enum fl_rel rel, uint32_t off,
			const uint8_t *bytes, uint32_t n);
struct fl_cond *fl_load_pkt_len(struct fl_state *st, uint16_t jop,
				uint32_t v);

/* gen_link.c — link layers */
int fl_link_setup(struct fl_state *st, int dlt);
struct fl_cond *fl_linktype(struct fl_state *st, uint32_t ll_proto);
struct fl_cond *fl_llc(struct fl_state *st, int col);
struct fl_cond *fl_llc_kind(struct fl_state *st, const char *name, int col);
/* protocol test through an 802.2 LLC (SNAP) header at the payload */
struct fl_cond *fl_llc_linktype(struct fl_state *st, uint32_t ll_proto);
struct fl_cond *fl_ether_host(struct fl_state *st, const uint8_t mac[6],
			      int dir, int col);
struct fl_cond *fl_arcnet_host(struct fl_state *st, uint32_t a, int dir,
			       int col);
struct fl_cond *fl_broadcast(struct fl_state *st, int proto, int col);
struct fl_cond *fl_multicast(struct fl_state *st, int proto, int col);
struct fl_cond *fl_inbound(struct fl_state *st, int outbound, int col);
struct fl_cond *fl_ifindex(struct fl_state *st, uint32_t idx, int col);

/* gen_net.c — IPv4/IPv6/ARP, transport */
struct fl_cond *fl_host4(struct fl_state *st, uint32_t addr, uint32_t mask,
			 int proto, int dir, int addrq, int col,
			 const char *what);
struct fl_cond *fl_host6(struct fl_state *st, const uint8_t addr[16],
			 const uint8_t mask[16], int proto, int dir,
			 int addrq, int col, const char *what);
struct fl_cond *fl_proto_abbrev(struct fl_state *st, int proto, int col);
struct fl_cond *fl_proto(struct fl_state *st, uint32_t v, int proto,
			 int dir, int col);
struct fl_cond *fl_port(struct fl_state *st, uint32_t lo, uint32_t hi,
			int ipproto, int dir, int col, int range);
struct fl_cond *fl_ipfrag(struct fl_state *st);
/* UDP/TCP/SCTP port test on IPv4 (v6 = 0) or IPv6 only */
struct fl_cond *fl_port_one(struct fl_state *st, int v6, uint32_t port,
			    int ipproto, int dir);
struct fl_cond *fl_dnhost(struct fl_state *st, uint32_t addr, int dir,
			  int col);

/* gen_arith.c — relations over packet bytes */
struct fl_arth *fl_arth_num(struct fl_state *st, uint32_t v);
struct fl_arth *fl_arth_len(struct fl_state *st);
struct fl_arth *fl_arth_load(struct fl_state *st, int proto,
			     struct fl_arth *idx, uint32_t size, int col);
struct fl_arth *fl_arth_bin(struct fl_state *st, int op, struct fl_arth *a,
			    struct fl_arth *b, int col);
struct fl_arth *fl_arth_neg(struct fl_state *st, struct fl_arth *a);
struct fl_cond *fl_relation(struct fl_state *st, int jop, int reversed,
			    struct fl_arth *a, struct fl_arth *b);
struct fl_cond *fl_byteop(struct fl_state *st, int op, uint32_t idx,
			  uint32_t v);

/* gen_encap.c — vlan, mpls, pppoe */
struct fl_cond *fl_vlan(struct fl_state *st, uint32_t vid, int has_vid,
			int col);
struct fl_cond *fl_mpls(struct fl_state *st, uint32_t label, int has_label,
			int col);
struct fl_cond *fl_pppoed(struct fl_state *st, int col);
struct fl_cond *fl_pppoes(struct fl_state *st, uint32_t sess, int has_sess,
			  int col);
struct fl_cond *fl_geneve(struct fl_state *st, uint32_t vni, int has_vni,
			  int col);

/* filter_names.c — ports, protocols, ethertypes by name */
int fl_port_by_name(const char *name, uint32_t *port, int *ipproto);
int fl_ipproto_by_name(const char *name, uint32_t *v);
int fl_ethertype_by_name(const char *name, uint32_t *v);
int fl_osiproto_by_name(const char *name, uint32_t *v);
int fl_wlan_type_by_name(const char *name, uint32_t *v);
int fl_wlan_subtype_by_name(uint32_t type, const char *name, uint32_t *v);
int fl_wlan_any_subtype(const char *name, uint32_t *v);

/* gen_mtp.c — SS7 MTP2/MTP3 */
int fl_mtp_setup(struct fl_state *st, int dlt);
/* the keyword's text ("fisu", "hmsu"); NULL if it is no MTP2 type */
struct fl_cond *fl_mtp2_type(struct fl_state *st, const char *kw, int col);
/* an MTP3 field ("sio", "hopc"...); -1 if kw is none */
int fl_mtp3_field(const char *kw);
struct fl_cond *fl_mtp3_cmp(struct fl_state *st, int field, uint16_t jop,
			    uint32_t v, int col);

/* gen_chain.c — protochain */
struct fl_cond *fl_protochain(struct fl_state *st, uint32_t v, int proto,
			      int col);

/* gen_wlan.c — IEEE 802.11 (plain and behind radiotap) */
int fl_is_wlan(const struct fl_state *st);
void fl_wlan_setup(struct fl_state *st, int radiotap);
struct fl_cond *fl_wlan_prologue(struct fl_state *st);
struct fl_cond *fl_wlan_linktype(struct fl_state *st, uint32_t p);
struct fl_cond *fl_wlan_host(struct fl_state *st, const uint8_t mac[6],
			     int dir, int col);
struct fl_cond *fl_wlan_broadcast(struct fl_state *st);
struct fl_cond *fl_wlan_multicast(struct fl_state *st);
struct fl_cond *fl_p80211_type(struct fl_state *st, uint32_t v, uint32_t mask,
			       int col);
struct fl_cond *fl_p80211_dir(struct fl_state *st, uint32_t dir, int col);

/* filter_ebpf.c — the classic program as eBPF of the given kind */
int fl_ebpf_from_cbpf(const struct bpftk_cbpf_insn *prog, size_t n,
		      enum bpftk_filter_ebpf_kind kind, struct bpftk_insn **out,
		      size_t *nout, struct bpftk_diags *d);

/* filter_emit.c */
/* prologue (may be NULL) runs first whatever its outcome, then root */
int fl_emit_program(struct fl_state *st, struct fl_cond *prologue,
		    struct fl_cond *root, struct bpftk_cbpf_insn **out,
		    size_t *n);

#endif
