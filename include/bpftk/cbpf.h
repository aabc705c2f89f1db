/* bpftk/cbpf.h — classic BPF: the instruction format of tcpdump filters
 * (struct bpf_insn of libpcap) and Linux socket and seccomp filters
 * (struct sock_filter), its validators, an interpreter, a translator to
 * eBPF, and text in and out (the `tcpdump -d` listing).
 *
 * Three flavours differ in what a valid program may do and what a load
 * reads:
 *  - BPFTK_CBPF_PCAP: libpcap 1.10's bpf_validate() and bpf_filter() —
 *    loads read the captured bytes (X + k without 32-bit wrap), BPF_LEN is
 *    the wire length, a load past the captured bytes ends the program with
 *    0, a shift by X >= 32 gives 0 (by k: k & 31), a ja may go backward;
 *  - BPFTK_CBPF_SOCKET: Linux bpf_check_classic() rules (at most 4096
 *    instructions, shifts by k < 32, M[k] read only after a store on every
 *    path) and SKF_AD_* / SKF_NET_OFF / SKF_LL_OFF loads; X + k wraps in
 *    32 bits and a negative result is an SKF_*_OFF offset; shifts by X
 *    use X & 31;
 *  - BPFTK_CBPF_SECCOMP: Linux seccomp_check_filter() rules and then the
 *    SOCKET ones; loads read the struct seccomp_data (32-bit aligned words
 *    only, host order), BPF_LEN is 64, no packet.
 * In all three, A, X and M[] start at 0 and division or modulo by X = 0
 * ends the program with 0.  The validators, the interpreter and the
 * translator are checked against libpcap 1.10.3 and the running kernel
 * (tests/unit/test_cbpf*.c).
 *
 * Errors (negative errno): -EINVAL (invalid program or text; diagnostics
 * name the instruction index or the file:line:col), -ENOMEM.
 */
#ifndef BPFTK_CBPF_H_INCLUDED
#define BPFTK_CBPF_H_INCLUDED

#include <bpftk/common.h>
#include <bpftk/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One classic instruction, laid out as struct sock_filter / libpcap's
 * struct bpf_insn (8 bytes). */
struct bpftk_cbpf_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

enum bpftk_cbpf_flavor {
	BPFTK_CBPF_PCAP = 0,
	BPFTK_CBPF_SOCKET = 1,
	BPFTK_CBPF_SECCOMP = 2,
};

/* Linux limit on classic program length (BPF_MAXINSNS). */
#define BPFTK_CBPF_MAXINSNS 4096
/* Scratch memory words M[0..15] (BPF_MEMWORDS). */
#define BPFTK_CBPF_MEMWORDS 16

/* Fields of the code (as in <pcap/bpf.h> and <linux/filter.h>), for
 * programs that build classic code: class | size | mode for loads and
 * stores, class | op | source for ALU and jumps, class | rval for returns. */
#define BPFTK_CBPF_CLASS(code) ((code) & 0x07)
enum {
	BPFTK_CBPF_LD = 0x00, BPFTK_CBPF_LDX = 0x01, BPFTK_CBPF_ST = 0x02,
	BPFTK_CBPF_STX = 0x03, BPFTK_CBPF_ALU = 0x04, BPFTK_CBPF_JMP = 0x05,
	BPFTK_CBPF_RET = 0x06, BPFTK_CBPF_MISC = 0x07,
	/* sizes */
	BPFTK_CBPF_W = 0x00, BPFTK_CBPF_H = 0x08, BPFTK_CBPF_B = 0x10,
	/* modes */
	BPFTK_CBPF_IMM = 0x00, BPFTK_CBPF_ABS = 0x20, BPFTK_CBPF_IND = 0x40,
	BPFTK_CBPF_MEM = 0x60, BPFTK_CBPF_LEN = 0x80, BPFTK_CBPF_MSH = 0xa0,
	/* ALU operations */
	BPFTK_CBPF_ADD = 0x00, BPFTK_CBPF_SUB = 0x10, BPFTK_CBPF_MUL = 0x20,
	BPFTK_CBPF_DIV = 0x30, BPFTK_CBPF_OR = 0x40, BPFTK_CBPF_AND = 0x50,
	BPFTK_CBPF_LSH = 0x60, BPFTK_CBPF_RSH = 0x70, BPFTK_CBPF_NEG = 0x80,
	BPFTK_CBPF_MOD = 0x90, BPFTK_CBPF_XOR = 0xa0,
	/* jumps */
	BPFTK_CBPF_JA = 0x00, BPFTK_CBPF_JEQ = 0x10, BPFTK_CBPF_JGT = 0x20,
	BPFTK_CBPF_JGE = 0x30, BPFTK_CBPF_JSET = 0x40,
	/* sources; return values */
	BPFTK_CBPF_K = 0x00, BPFTK_CBPF_X = 0x08, BPFTK_CBPF_A = 0x10,
	/* misc */
	BPFTK_CBPF_TAX = 0x00, BPFTK_CBPF_TXA = 0x80,
};

/* Linux negative load offsets (SKF_*): k >= BPFTK_SKF_AD_OFF in an absolute
 * load is an ancillary load; k in [SKF_NET_OFF, SKF_AD_OFF) reads relative
 * to the network header, k in [SKF_LL_OFF, SKF_NET_OFF) relative to the
 * link-layer header. */
#define BPFTK_SKF_AD_OFF 0xfffff000u
#define BPFTK_SKF_NET_OFF 0xfff00000u
#define BPFTK_SKF_LL_OFF 0xffe00000u
enum {
	BPFTK_SKF_AD_PROTOCOL = 0, BPFTK_SKF_AD_PKTTYPE = 4,
	BPFTK_SKF_AD_IFINDEX = 8, BPFTK_SKF_AD_NLATTR = 12,
	BPFTK_SKF_AD_NLATTR_NEST = 16, BPFTK_SKF_AD_MARK = 20,
	BPFTK_SKF_AD_QUEUE = 24, BPFTK_SKF_AD_HATYPE = 28,
	BPFTK_SKF_AD_RXHASH = 32, BPFTK_SKF_AD_CPU = 36,
	BPFTK_SKF_AD_ALU_XOR_X = 40, BPFTK_SKF_AD_VLAN_TAG = 44,
	BPFTK_SKF_AD_VLAN_TAG_PRESENT = 48, BPFTK_SKF_AD_PAY_OFFSET = 52,
	BPFTK_SKF_AD_RANDOM = 56, BPFTK_SKF_AD_VLAN_TPID = 60,
	BPFTK_SKF_AD_MAX = 64,
};

/* What an opcode reads and writes (bpftk_cbpf_opinfo.flags). */
enum {
	BPFTK_CBPF_F_RA = 1 << 0,  /* reads A */
	BPFTK_CBPF_F_RX = 1 << 1,  /* reads X */
	BPFTK_CBPF_F_WA = 1 << 2,  /* writes A */
	BPFTK_CBPF_F_WX = 1 << 3,  /* writes X */
	BPFTK_CBPF_F_RM = 1 << 4,  /* reads M[k] */
	BPFTK_CBPF_F_WM = 1 << 5,  /* writes M[k] */
	BPFTK_CBPF_F_PK = 1 << 6,  /* reads the packet (may end the program) */
	BPFTK_CBPF_F_JMP = 1 << 7, /* ja: pc + 1 + k */
	BPFTK_CBPF_F_JCC = 1 << 8, /* conditional: pc + 1 + jt / jf */
	BPFTK_CBPF_F_RET = 1 << 9, /* ends the program */
	BPFTK_CBPF_F_KNZ = 1 << 10, /* k must not be 0 (division) */
	BPFTK_CBPF_F_SHK = 1 << 11, /* shift by k (Linux: k < 32) */
};

/* One row of the classic opcode table (src/cbpf/cbpf_ops.def). */
struct bpftk_cbpf_opinfo {
	uint16_t code;
	uint8_t flavors;     /* bit (1 << flavour) set when the flavour accepts it */
	const char *mnem;    /* as bpf_image() prints it */
	unsigned flags;	     /* BPFTK_CBPF_F_* */
	const char *meaning; /* one line */
};

/* The input of a seccomp filter (struct seccomp_data). */
struct bpftk_seccomp_data {
	int32_t nr;
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t args[6];
};

/* The table row of code, NULL when no flavour accepts it.  Static storage. */
BPFTK_API const struct bpftk_cbpf_opinfo *bpftk_cbpf_info(uint16_t code);
/* 1 when the flavour accepts code (whatever k, jt, jf are), else 0. */
BPFTK_API int bpftk_cbpf_code_valid(uint16_t code,
				    enum bpftk_cbpf_flavor flavor);

/* Checks prog[0..n) against the rules of the flavour (opcodes, jumps in
 * range and forward, ends in a return, scratch memory indices, loads the
 * flavour allows, division by constant zero...).  Each problem is reported
 * to d with its instruction index.  Returns 0 or -EINVAL. */
BPFTK_API int bpftk_cbpf_validate(const struct bpftk_cbpf_insn *prog, size_t n,
				  enum bpftk_cbpf_flavor flavor,
				  struct bpftk_diags *d);

/* Backward jumps a PCAP program may take in one run before it ends with
 * 0.  libpcap lets a ja go backward (its "ip6 protochain" code loops over
 * extension headers) and never stops a loop; we do. */
#define BPFTK_CBPF_MAX_BACKJUMPS 65536

/* Runs a validated PCAP or SOCKET program on a packet of caplen captured
 * bytes whose length on the wire was wirelen; returns the program's return
 * value (0 = drop / no match), as libpcap's bpf_filter() does.  Never reads
 * outside prog, the packet or its own state, even for programs that are
 * not valid (those get 0 at the first thing that would go wrong). */
BPFTK_API uint32_t bpftk_cbpf_run(const struct bpftk_cbpf_insn *prog, size_t n,
				  enum bpftk_cbpf_flavor flavor,
				  const uint8_t *pkt, uint32_t wirelen,
				  uint32_t caplen);
/* What a SOCKET program sees besides the packet: the kernel's sk_buff
 * fields behind the ancillary loads (SKF_AD_OFF + ...) and the headers of
 * the negative offsets.  Userspace has no sk_buff, so the caller supplies
 * them; bpftk_cbpf_run uses all zeros.  Plain 32-bit fields at fixed
 * offsets: the eBPF translation reads them through r4.
 *   net_off      where the network header starts in the packet:
 *                SKF_NET_OFF + k reads byte net_off + k
 *   no_link_header  nonzero: SKF_LL_OFF loads end the program with 0, as
 *                on sockets whose sk_buff has no link-layer header (AF_UNIX,
 *                UDP); zero: SKF_LL_OFF + k reads byte k (packet sockets)
 *   protocol     SKF_AD_PROTOCOL, the ethertype in host order
 *   pkttype      SKF_AD_PKTTYPE (PACKET_HOST 0, BROADCAST 1, ...)
 *   ifindex      SKF_AD_IFINDEX;  hatype: SKF_AD_HATYPE (ARPHRD_*).
 *                ifindex 0 means "no device": then both loads end the
 *                program returning A, as Linux does (AF_UNIX datagrams)
 *   mark, queue, rxhash, cpu, vlan_tci, vlan_tpid: the matching SKF_AD_*
 *   vlan_present SKF_AD_VLAN_TAG_PRESENT (loads read 1 when nonzero)
 *   pay_offset   SKF_AD_PAY_OFFSET (the kernel runs its flow dissector;
 *                here the caller tells the value)
 *   random       SKF_AD_RANDOM (the kernel draws a random number; here the
 *                caller's value, so runs are reproducible)
 * SKF_AD_ALU_XOR_X computes A ^ X; SKF_AD_NLATTR / NLATTR_NEST search
 * netlink attributes (host byte order) in the captured bytes as the
 * kernel's nla_find does. */
struct bpftk_cbpf_skb {
	uint32_t net_off;
	uint32_t protocol;
	uint32_t pkttype;
	uint32_t ifindex;
	uint32_t mark;
	uint32_t queue;
	uint32_t hatype;
	uint32_t rxhash;
	uint32_t cpu;
	uint32_t vlan_tci;
	uint32_t vlan_present;
	uint32_t vlan_tpid;
	uint32_t pay_offset;
	uint32_t random;
	uint32_t no_link_header;
};

/* bpftk_cbpf_run for SOCKET programs with the sk_buff fields of skb (NULL =
 * all zeros).  For other flavours skb is ignored. */
BPFTK_API uint32_t bpftk_cbpf_run_skb(const struct bpftk_cbpf_insn *prog,
				      size_t n, enum bpftk_cbpf_flavor flavor,
				      const uint8_t *pkt, uint32_t wirelen,
				      uint32_t caplen,
				      const struct bpftk_cbpf_skb *skb);

/* Runs a validated SECCOMP program; returns its SECCOMP_RET_* value. */
BPFTK_API uint32_t bpftk_cbpf_run_seccomp(const struct bpftk_cbpf_insn *prog,
					  size_t n,
					  const struct bpftk_seccomp_data *sd);

/* Translates a validated program to eBPF with the same result in r0 for
 * the same input, so classic programs run in the eBPF interpreter and JIT.
 * PCAP/SOCKET: r1 = packet, r2 = captured length, r3 = wire length at
 * entry, and for SOCKET r4 = struct bpftk_cbpf_skb * (read by ancillary,
 * SKF_NET_OFF and indexed loads: pass zeros rather than NULL); SECCOMP: r1 =
 * struct bpftk_seccomp_data *.  Every packet load is bounds-checked against
 * r2 by explicit compares (no legacy LD_ABS), so the code runs on any
 * packet pointer; A lives in r0, X in r7, M[] in the 64 bytes below r10;
 * SKF_AD_NLATTR / NLATTR_NEST become a loop over the attributes.  *out
 * is allocated (free with
 * bpftk_cbpf_free), *nout its slot count; the output passes
 * bpftk_isa_validate and never faults in the checked vm.  Errors:
 * -EINVAL (invalid for the flavour), -E2BIG (an eBPF jump would
 * not fit 16 bits), -ENOMEM. */
BPFTK_API int bpftk_cbpf_to_ebpf(const struct bpftk_cbpf_insn *prog, size_t n,
				 enum bpftk_cbpf_flavor flavor,
				 struct bpftk_insn **out, size_t *nout,
				 struct bpftk_diags *d);

/* The listing of `tcpdump -d` / libpcap's bpf_dump(p, 1), every line
 * ending in '\n'; *out is allocated (bpftk_cbpf_free). */
BPFTK_API int bpftk_cbpf_disasm(const struct bpftk_cbpf_insn *prog, size_t n,
				char **out);
/* One instruction as bpf_image() prints it (without the "(nnn) " prefix),
 * into buf; returns the length snprintf would have written. */
BPFTK_API int bpftk_cbpf_image(const struct bpftk_cbpf_insn *insn, size_t pc,
			       char *buf, size_t size);

/* Assembles the `tcpdump -d` listing syntax (the "(nnn)" prefixes are
 * optional and must match the position; "label:" and labels as jump
 * targets; ';' starts a comment).  Every listing bpftk_cbpf_disasm writes
 * assembles to code with the same listing.  file names the text in
 * messages ("file:line:col: error: expected ...").  *out is allocated
 * (bpftk_cbpf_free), *n its length.  Errors: -EINVAL, -ENOMEM.  The result
 * is not validated: call bpftk_cbpf_validate for the flavour. */
BPFTK_API int bpftk_cbpf_asm(const char *text, const char *file,
			     struct bpftk_cbpf_insn **out, size_t *n,
			     struct bpftk_diags *d);

/* Optimizes *prog in place (may reallocate it; *n gets the new length)
 * without changing the result for any input: constant propagation over the
 * accumulator, index register and scratch memory, redundant load and
 * comparison elimination, jump threading, dead code removal.  The input
 * must be valid for the flavour; so is the output.  Errors: -EINVAL,
 * -ENOMEM (the program is then unchanged). */
BPFTK_API int bpftk_cbpf_optimize(struct bpftk_cbpf_insn **prog, size_t *n,
				  enum bpftk_cbpf_flavor flavor,
				  struct bpftk_diags *d);

/* Frees what this header's functions allocated; NULL is a no-op. */
BPFTK_API void bpftk_cbpf_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
