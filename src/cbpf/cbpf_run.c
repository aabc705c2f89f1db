/* cbpf_run.c — the classic interpreter, one loop for the three flavours.
 * The flavours differ only in what a load reads (load_pkt, load_socket,
 * load_seccomp); everything else follows libpcap's bpf_filter() and the
 * Linux semantics, which agree: A and X are 32-bit and start at 0,
 * M[] starts at 0 here (libpcap leaves it undefined, Linux forbids reading
 * it unset), division or modulo by X = 0 ends the program with 0, a load
 * outside the data ends the program with 0.  They differ in shifts by X
 * >= 32 (libpcap: 0; Linux: X mod 32) and in what loads read.
 *
 * Invariant: the interpreter never reads outside prog[0..n), M[] or the
 * data whatever the program (a jump out of range, an unknown opcode or a
 * scratch index >= 16 ends the run with 0), so unvalidated programs cannot
 * crash it; only validated programs get the documented results. */
#include <string.h>

#include "cbpf_int.h"

struct env {
	enum bpftk_cbpf_flavor flavor;
	const uint8_t *pkt;
	uint32_t caplen, wirelen;
	const struct bpftk_cbpf_skb *skb;
	const struct bpftk_seccomp_data *sd;
};

static uint32_t be(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v = v << 8 | p[i];
	return v;
}

/* Big-endian value of size bytes at off; 0 if they are not all captured. */
static int load_at(const struct env *e, uint64_t off, unsigned size,
		   uint32_t *v)
{
	if (off + size > e->caplen)
		return -1;
	*v = be(e->pkt + off, size);
	return 0;
}

/* Linux bpf_internal_load_pointer_neg_helper: off is negative as int32. */
static int load_neg(const struct env *e, int32_t off, unsigned size,
		    uint32_t *v)
{
	if (off >= (int32_t)BPFTK_SKF_NET_OFF)
		return load_at(e, (uint64_t)e->skb->net_off +
					  (uint64_t)(off - (int32_t)BPFTK_SKF_NET_OFF),
			       size, v);
	if (off >= (int32_t)BPFTK_SKF_LL_OFF && !e->skb->no_link_header)
		return load_at(e, (uint64_t)(off - (int32_t)BPFTK_SKF_LL_OFF),
			       size, v);
	return -1;
}

static uint16_t host16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Linux nla_find over [start, start + len) of the packet: the offset of the
 * first attribute of the given type, 0 if none. */
static uint32_t nla_find(const struct env *e, uint64_t start, int64_t len,
			 uint32_t type)
{
	while (len >= 4) {
		uint16_t nla_len = host16(e->pkt + start);
		uint16_t nla_type = host16(e->pkt + start + 2);
		if (nla_len < 4 || nla_len > len)
			break;
		if ((nla_type & 0x3fffu) == type)
			return (uint32_t)start;
		len -= (nla_len + 3) & ~3u;
		start += (nla_len + 3) & ~3u;
	}
	return 0;
}

/* SKF_AD_NLATTR(_NEST): A is an offset in the packet, X an attribute type;
 * the kernel's sk_buff length is the captured length here. */
static uint32_t nlattr(const struct env *e, uint32_t a, uint32_t x, int nest)
{
	uint32_t len = e->caplen;
	if (len < 4 || a > len - 4)
		return 0;
	if (!nest)
		return nla_find(e, a, (int64_t)len - a, x);
	{
		uint16_t nla_len = host16(e->pkt + a);
		if (nla_len > len - a)
			return 0;
		return nla_find(e, (uint64_t)a + 4, (int64_t)nla_len - 4, x);
	}
}

static int load_ancillary(const struct env *e, uint32_t k, uint32_t *a,
			  uint32_t x)
{
	static const struct bpftk_cbpf_skb zero;
	const struct bpftk_cbpf_skb *skb = e->skb ? e->skb : &zero;
	int field = cbpf_anc_field(k);
	uint32_t v;

	/* Linux ends the program, returning A, when these need a device
	 * and the packet has none (ifindex 0 here) */
	if ((k == BPFTK_SKF_AD_OFF + BPFTK_SKF_AD_IFINDEX ||
	     k == BPFTK_SKF_AD_OFF + BPFTK_SKF_AD_HATYPE) &&
	    !skb->ifindex)
		return 1;
	if (field >= 0) {
		memcpy(&v, (const char *)skb + field, sizeof(v));
		*a = v;
		return 0;
	}
	switch (k - BPFTK_SKF_AD_OFF) {
	case BPFTK_SKF_AD_ALU_XOR_X:
		*a ^= x;
		return 0;
	case BPFTK_SKF_AD_VLAN_TAG_PRESENT:
		*a = skb->vlan_present != 0;
		return 0;
	case BPFTK_SKF_AD_NLATTR:
	case BPFTK_SKF_AD_NLATTR_NEST:
		*a = nlattr(e, *a, x,
			    k - BPFTK_SKF_AD_OFF == BPFTK_SKF_AD_NLATTR_NEST);
		return 0;
	default:
		return -1;
	}
}

/* A load of size bytes (1, 2, 4) for an ABS / IND / MSH instruction; ind
 * tells X + k from k.  Returns -1 when the program must end with 0, 1
 * when it must end returning A. */
static int load(const struct env *e, uint32_t k, int ind, unsigned size,
		uint32_t *a, uint32_t x)
{
	static const struct bpftk_cbpf_skb zero;
	struct env se;
	uint32_t v;
	int32_t off;

	switch (e->flavor) {
	case BPFTK_CBPF_PCAP:
		/* libpcap: X + k without 32-bit wrap-around */
		if (load_at(e, (uint64_t)k + (ind ? x : 0), size, &v))
			return -1;
		*a = v;
		return 0;
	case BPFTK_CBPF_SOCKET:
		if (!ind && k >= BPFTK_SKF_AD_OFF)
			return load_ancillary(e, k, a, x);
		off = (int32_t)(ind ? k + x : k);
		se = *e;
		if (!se.skb)
			se.skb = &zero;
		if (off >= 0 ? load_at(&se, (uint64_t)off, size, &v)
			     : load_neg(&se, off, size, &v))
			return -1;
		*a = v;
		return 0;
	case BPFTK_CBPF_SECCOMP:
		if (ind || size != 4 || k % 4 ||
		    k >= sizeof(struct bpftk_seccomp_data))
			return -1;
		memcpy(&v, (const char *)e->sd + k, sizeof(v));
		*a = v;
		return 0;
	}
	return -1;
}

/* libpcap 1.10 shifts by X >= 32 give 0; Linux masks X to 5 bits, as its
 * eBPF conversion and x86 do.  Shifts by k: Linux allows k < 32 only and
 * libpcap's C shift compiles to an x86 shift that masks k, so k & 31. */
static uint32_t shift_x(const struct env *e, uint32_t a, uint32_t by,
			int left)
{
	if (e->flavor == BPFTK_CBPF_PCAP && by >= 32)
		return 0;
	by &= 31;
	return left ? a << by : a >> by;
}

static uint32_t run(const struct bpftk_cbpf_insn *prog, size_t n,
		    const struct env *e)
{
	uint32_t a = 0, x = 0, mem[BPFTK_CBPF_MEMWORDS] = {0}, t;
	unsigned long backjumps = 0;
	uint32_t len = e->flavor == BPFTK_CBPF_SECCOMP
			       ? (uint32_t)sizeof(struct bpftk_seccomp_data)
			       : e->wirelen;

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpftk_cbpf_insn *in = &prog[pc];
		uint32_t k = in->k;
		size_t to;
		unsigned size;
		int ind, rc;

		switch (cbpf_lookup(in->code)) {
		case CBPF_OP_INVALID:
		case CBPF_OP__COUNT:
			return 0;
		case CBPF_OP_LD_IMM: a = k; break;
		case CBPF_OP_LDX_IMM: x = k; break;
		case CBPF_OP_LD_LEN: a = len; break;
		case CBPF_OP_LDX_LEN: x = len; break;
		case CBPF_OP_LD_MEM:
			if (k >= BPFTK_CBPF_MEMWORDS)
				return 0;
			a = mem[k];
			break;
		case CBPF_OP_LDX_MEM:
			if (k >= BPFTK_CBPF_MEMWORDS)
				return 0;
			x = mem[k];
			break;
		case CBPF_OP_ST:
			if (k >= BPFTK_CBPF_MEMWORDS)
				return 0;
			mem[k] = a;
			break;
		case CBPF_OP_STX:
			if (k >= BPFTK_CBPF_MEMWORDS)
				return 0;
			mem[k] = x;
			break;
		case CBPF_OP_LD_W_ABS: size = 4; ind = 0; goto packet;
		case CBPF_OP_LD_H_ABS: size = 2; ind = 0; goto packet;
		case CBPF_OP_LD_B_ABS: size = 1; ind = 0; goto packet;
		case CBPF_OP_LD_W_IND: size = 4; ind = 1; goto packet;
		case CBPF_OP_LD_H_IND: size = 2; ind = 1; goto packet;
		case CBPF_OP_LD_B_IND: size = 1; ind = 1; goto packet;
		case CBPF_OP_LDX_MSH:
			/* an indexed load with X = 0: never ancillary, even at
			 * SKF_AD_OFF (as Linux) */
			t = 0;
			if (load(e, k, 1, 1, &t, 0))
				return 0;
			x = (t & 0xf) << 2;
			break;
		case CBPF_OP_ADD_K: a += k; break;
		case CBPF_OP_ADD_X: a += x; break;
		case CBPF_OP_SUB_K: a -= k; break;
		case CBPF_OP_SUB_X: a -= x; break;
		case CBPF_OP_MUL_K: a *= k; break;
		case CBPF_OP_MUL_X: a *= x; break;
		case CBPF_OP_DIV_K:
			if (!k)
				return 0;
			a /= k;
			break;
		case CBPF_OP_DIV_X:
			if (!x)
				return 0;
			a /= x;
			break;
		case CBPF_OP_MOD_K:
			if (!k)
				return 0;
			a %= k;
			break;
		case CBPF_OP_MOD_X:
			if (!x)
				return 0;
			a %= x;
			break;
		case CBPF_OP_AND_K: a &= k; break;
		case CBPF_OP_AND_X: a &= x; break;
		case CBPF_OP_OR_K: a |= k; break;
		case CBPF_OP_OR_X: a |= x; break;
		case CBPF_OP_XOR_K: a ^= k; break;
		case CBPF_OP_XOR_X: a ^= x; break;
		case CBPF_OP_LSH_K: a <<= k & 31; break;
		case CBPF_OP_LSH_X: a = shift_x(e, a, x, 1); break;
		case CBPF_OP_RSH_K: a >>= k & 31; break;
		case CBPF_OP_RSH_X: a = shift_x(e, a, x, 0); break;
		case CBPF_OP_NEG: a = 0u - a; break;
		case CBPF_OP_TAX: x = a; break;
		case CBPF_OP_TXA: a = x; break;
		case CBPF_OP_JA:
			if (e->flavor == BPFTK_CBPF_PCAP &&
			    (uint32_t)(pc + 1 + k) <= pc) {
				/* backward (libpcap's signed k) */
				if (++backjumps > BPFTK_CBPF_MAX_BACKJUMPS)
					return 0;
				pc = (uint32_t)(pc + 1 + k) - 1;
				break;
			}
			if ((uint64_t)k >= n - pc - 1)
				return 0;
			pc += k;
			break;
		case CBPF_OP_JEQ_K: to = a == k ? in->jt : in->jf; goto jump;
		case CBPF_OP_JEQ_X: to = a == x ? in->jt : in->jf; goto jump;
		case CBPF_OP_JGT_K: to = a > k ? in->jt : in->jf; goto jump;
		case CBPF_OP_JGT_X: to = a > x ? in->jt : in->jf; goto jump;
		case CBPF_OP_JGE_K: to = a >= k ? in->jt : in->jf; goto jump;
		case CBPF_OP_JGE_X: to = a >= x ? in->jt : in->jf; goto jump;
		case CBPF_OP_JSET_K: to = (a & k) ? in->jt : in->jf; goto jump;
		case CBPF_OP_JSET_X: to = (a & x) ? in->jt : in->jf; goto jump;
		case CBPF_OP_RET_K: return k;
		case CBPF_OP_RET_A: return a;
		}
		continue;
	jump:
		if (to >= n - pc - 1)
			return 0;
		pc += to;
		continue;
	packet:
		rc = load(e, k, ind, size, &a, x);
		if (rc)
			return rc < 0 ? 0 : a;
	}
	return 0;
}

uint32_t bpftk_cbpf_run_skb(const struct bpftk_cbpf_insn *prog, size_t n,
			    enum bpftk_cbpf_flavor flavor, const uint8_t *pkt,
			    uint32_t wirelen, uint32_t caplen,
			    const struct bpftk_cbpf_skb *skb)
{
	static const struct bpftk_seccomp_data no_sd;
	struct env e = {flavor, pkt, pkt ? caplen : 0, wirelen, skb, &no_sd};

	if (!prog || flavor == BPFTK_CBPF_SECCOMP)
		return 0;
	return run(prog, n, &e);
}

uint32_t bpftk_cbpf_run(const struct bpftk_cbpf_insn *prog, size_t n,
			enum bpftk_cbpf_flavor flavor, const uint8_t *pkt,
			uint32_t wirelen, uint32_t caplen)
{
	return bpftk_cbpf_run_skb(prog, n, flavor, pkt, wirelen, caplen, NULL);
}

uint32_t bpftk_cbpf_run_seccomp(const struct bpftk_cbpf_insn *prog, size_t n,
				const struct bpftk_seccomp_data *sd)
{
	struct env e = {BPFTK_CBPF_SECCOMP, NULL, 0, 0, NULL, sd};

	if (!prog || !sd)
		return 0;
	return run(prog, n, &e);
}
