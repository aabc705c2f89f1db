/* cbpf_table.c — the classic opcode table (cbpf_ops.def) as data: rows by
 * op, a 256-entry code-to-op index (every valid code fits in 8 bits; larger
 * codes are invalid), and the Linux ancillary-load names of the listing.
 * Nothing here knows an opcode number except through the .def file. */
#include <errno.h>
#include <stddef.h>

#include "cbpf_int.h"

#define P (1u << BPFTK_CBPF_PCAP)
#define S (1u << BPFTK_CBPF_SOCKET)
#define C (1u << BPFTK_CBPF_SECCOMP)
#define RA BPFTK_CBPF_F_RA
#define RX BPFTK_CBPF_F_RX
#define WA BPFTK_CBPF_F_WA
#define WX BPFTK_CBPF_F_WX
#define RM BPFTK_CBPF_F_RM
#define WM BPFTK_CBPF_F_WM
#define PK BPFTK_CBPF_F_PK
#define JMP BPFTK_CBPF_F_JMP
#define JCC BPFTK_CBPF_F_JCC
#define RET BPFTK_CBPF_F_RET
#define KNZ BPFTK_CBPF_F_KNZ
#define SHK BPFTK_CBPF_F_SHK
#define BPFTK_OP_NONE BPFTK_OP_INVALID

static const struct cbpf_row rows[CBPF_OP__COUNT] = {
#define CB(id, code, flavors, mnem, fmt, flags, ebpf, meaning)          \
	[CBPF_OP_##id] = {{code, flavors, mnem, flags, meaning},         \
			  CBPF_FMT_##fmt, BPFTK_OP_##ebpf},
#include "cbpf_ops.def"
#undef CB
};

static const uint8_t by_code[256] = {
#define CB(id, code, ...) [code] = CBPF_OP_##id,
#include "cbpf_ops.def"
#undef CB
};

const struct cbpf_row *cbpf_row(enum cbpf_op op)
{
	if (op <= CBPF_OP_INVALID || op >= CBPF_OP__COUNT)
		return NULL;
	return &rows[op];
}

enum cbpf_op cbpf_lookup(uint16_t code)
{
	return code < 256 ? (enum cbpf_op)by_code[code] : CBPF_OP_INVALID;
}

const struct bpftk_cbpf_opinfo *bpftk_cbpf_info(uint16_t code)
{
	const struct cbpf_row *r = cbpf_row(cbpf_lookup(code));
	return r ? &r->info : NULL;
}

int bpftk_cbpf_code_valid(uint16_t code, enum bpftk_cbpf_flavor flavor)
{
	const struct bpftk_cbpf_opinfo *i = bpftk_cbpf_info(code);
	if (!i || (unsigned)flavor > BPFTK_CBPF_SECCOMP)
		return 0;
	return (i->flavors >> flavor) & 1;
}

/* The names libpcap's bpf_image() gives SKF_AD_OFF + 0, 4, ... 60. */
static const char *const anc_names[BPFTK_SKF_AD_MAX / 4] = {
	"proto",  "type", "ifidx",    "nla",   "nlan", "mark",
	"queue",  "hatype", "rxhash", "cpu",   "xor_x", "vlan_tci",
	"vlanp",  "poff", "random",   "vlan_tpid",
};

#define FIELD(f) (int)offsetof(struct bpftk_cbpf_skb, f)
static const int anc_fields[BPFTK_SKF_AD_MAX / 4] = {
	FIELD(protocol), FIELD(pkttype), FIELD(ifindex), -1, -1,
	FIELD(mark),	 FIELD(queue),	 FIELD(hatype),	 FIELD(rxhash),
	FIELD(cpu),	 -1,		 FIELD(vlan_tci), -1,
	FIELD(pay_offset), FIELD(random), FIELD(vlan_tpid),
};

int cbpf_anc_field(uint32_t k)
{
	return cbpf_anc_name(k) ? anc_fields[(k - BPFTK_SKF_AD_OFF) / 4] : -1;
}

const char *cbpf_anc_name(uint32_t k)
{
	uint32_t off = k - BPFTK_SKF_AD_OFF;
	if (k < BPFTK_SKF_AD_OFF || off >= BPFTK_SKF_AD_MAX || off % 4)
		return NULL;
	return anc_names[off / 4];
}

int cbpf_grow(void *arr, size_t *cap, size_t len, size_t elem)
{
	void **pp = arr, *p;
	size_t ncap;

	if (len < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 16;
	p = bpftk_realloc(*pp, ncap * elem);
	if (!p)
		return -ENOMEM;
	*pp = p;
	*cap = ncap;
	return 0;
}

void bpftk_cbpf_free(void *p)
{
	bpftk_free(p);
}
