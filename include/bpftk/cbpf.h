/* bpftk/cbpf.h — classic BPF: the instruction format of tcpdump filters
 * (struct bpf_insn of libpcap) and Linux socket and seccomp filters
 * (struct sock_filter), its validators, an interpreter, a translator to
 * eBPF, and text in and out (the `tcpdump -d` listing).
 *
 * Three flavours differ in what a valid program may do and what a load
 * reads:
 *  - BPFTK_CBPF_PCAP: libpcap's bpf_filter() — loads read the captured
 *    bytes, BPF_LEN is the wire length, a load past the captured bytes ends
 *    the program with 0;
 *  - BPFTK_CBPF_SOCKET: Linux sk_chk_filter rules and SKF_AD_* / SKF_NET_OFF
 *    / SKF_LL_OFF loads;
 *  - BPFTK_CBPF_SECCOMP: Linux seccomp_check_filter rules; loads read the
 *    struct seccomp_data (32-bit aligned words only), no packet.
 *
 * Errors (negative errno): -EINVAL (invalid program or text; diagnostics
 * name the instruction index or the file:line:col), -ENOMEM.
 */
#ifndef BPFTK_CBPF_H
#define BPFTK_CBPF_H

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

/* The input of a seccomp filter (struct seccomp_data). */
struct bpftk_seccomp_data {
	int32_t nr;
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t args[6];
};

/* Checks prog[0..n) against the rules of the flavour (opcodes, jumps in
 * range and forward, ends in a return, scratch memory indices, loads the
 * flavour allows, division by constant zero...).  Each problem is reported
 * to d with its instruction index.  Returns 0 or -EINVAL. */
BPFTK_API int bpftk_cbpf_validate(const struct bpftk_cbpf_insn *prog, size_t n,
				  enum bpftk_cbpf_flavor flavor,
				  struct bpftk_diags *d);

/* Runs a validated PCAP or SOCKET program on a packet of caplen captured
 * bytes whose length on the wire was wirelen; returns the program's return
 * value (0 = drop / no match), as libpcap's bpf_filter() does. */
BPFTK_API uint32_t bpftk_cbpf_run(const struct bpftk_cbpf_insn *prog, size_t n,
				  enum bpftk_cbpf_flavor flavor,
				  const uint8_t *pkt, uint32_t wirelen,
				  uint32_t caplen);
/* Runs a validated SECCOMP program; returns its SECCOMP_RET_* value. */
BPFTK_API uint32_t bpftk_cbpf_run_seccomp(const struct bpftk_cbpf_insn *prog,
					  size_t n,
					  const struct bpftk_seccomp_data *sd);

/* Translates a validated program to eBPF with the same result in r0 for
 * the same input, so classic programs run in the eBPF interpreter and JIT.
 * PCAP/SOCKET: r1 = packet, r2 = captured length, r3 = wire length at
 * entry; SECCOMP: r1 = struct bpftk_seccomp_data *.  *out is allocated
 * (free with bpftk_cbpf_free), *nout its slot count. */
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
 * optional; labels allowed).  file names the text in messages. */
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
