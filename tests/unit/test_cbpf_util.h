/* test_cbpf_util.h — shared by the classic BPF tests: a seeded random
 * generator of valid classic programs (every opcode of a flavour, jumps
 * forward in range, scratch words stored before they are read), random
 * packets, and conversion to libpcap's struct bpf_insn, so each test can
 * hold our code against an oracle we did not write (libpcap, Linux). */
#ifndef TEST_CBPF_UTIL_H
#define TEST_CBPF_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/cbpf.h>

#include "cbpf/cbpf_int.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Constants that hit the edge cases of 32-bit arithmetic and loads. */
static inline uint32_t rnd_k(void)
{
	static const uint32_t edge[] = {0, 1, 2, 3, 4, 12, 14, 31, 32, 33,
					0x7fffffff, 0x80000000, 0xffffffff,
					0xfffffffe, 0x10000, 0xffff};
	switch (rnd() % 4) {
	case 0:
		return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd();
	default:
		return rnd() % 64;
	}
}

/* The codes the flavour accepts, from the library's table. */
static inline size_t flavor_codes(enum bpftk_cbpf_flavor f, uint16_t *codes)
{
	size_t n = 0;
	for (unsigned c = 0; c < 256; c++)
		if (bpftk_cbpf_code_valid((uint16_t)c, f))
			codes[n++] = (uint16_t)c;
	return n;
}

/* A random program of n instructions (n >= 2) whose last one is a return;
 * loads read near the start of the data (offsets < 80 mostly), jumps stay
 * inside.  Not necessarily valid: callers validate and keep what passes. */
static inline void rnd_prog(struct bpftk_cbpf_insn *p, size_t n,
		     enum bpftk_cbpf_flavor f)
{
	uint16_t codes[256];
	size_t nc = flavor_codes(f, codes);

	for (size_t i = 0; i < n; i++) {
		const struct bpftk_cbpf_opinfo *info;
		uint16_t code = codes[rnd() % nc];
		size_t left = n - i - 1;

		if (i == n - 1 || rnd() % 16 == 0)
			code = BPFTK_CBPF_RET | (rnd() % 2 ? BPFTK_CBPF_K
							 : BPFTK_CBPF_A);
		info = bpftk_cbpf_info(code);
		p[i].code = code;
		p[i].jt = p[i].jf = 0;
		p[i].k = rnd_k();
		if (info->flags & (BPFTK_CBPF_F_RM | BPFTK_CBPF_F_WM))
			p[i].k = rnd() % 16;
		if ((info->flags & BPFTK_CBPF_F_PK) && rnd() % 8)
			p[i].k = rnd() % 80;
		if (f == BPFTK_CBPF_SECCOMP && (info->flags & BPFTK_CBPF_F_PK))
			p[i].k = 4 * (rnd() % 16);
		if ((info->flags & BPFTK_CBPF_F_KNZ) && p[i].k == 0)
			p[i].k = 3;
		if ((info->flags & BPFTK_CBPF_F_SHK) && f != BPFTK_CBPF_PCAP)
			p[i].k %= 32;
		if (info->flags & BPFTK_CBPF_F_JMP)
			p[i].k = left ? rnd() % (left < 4 ? left : 4) : 0;
		if ((info->flags & BPFTK_CBPF_F_JCC) && left) {
			p[i].jt = (uint8_t)(rnd() % (left < 6 ? left : 6));
			p[i].jf = (uint8_t)(rnd() % (left < 6 ? left : 6));
		}
		if ((info->flags & (BPFTK_CBPF_F_JMP | BPFTK_CBPF_F_JCC)) &&
		    !left)
			p[i].code = BPFTK_CBPF_RET | BPFTK_CBPF_A;
	}
}

/* A valid random program: tries until one passes the validator. */
static inline size_t rnd_valid_prog(struct bpftk_cbpf_insn *p, size_t maxn,
			     enum bpftk_cbpf_flavor f)
{
	for (;;) {
		size_t n = 2 + rnd() % (maxn - 1);
		rnd_prog(p, n, f);
		/* M[] reads only after stores, also for PCAP: libpcap leaves
		 * scratch memory uninitialised */
		if (!bpftk_cbpf_validate(p, n, f, NULL) &&
		    !cbpf_check_mem_init(p, n, NULL))
			return n;
	}
}

static inline void rnd_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
	/* an IPv4-looking first nibble now and then, for ldxb 4*([k]&0xf) */
	if (n && rnd() % 2)
		b[0] = 0x45;
}

#ifdef PCAP_ERRBUF_SIZE
/* Our instructions as libpcap's (same fields; include <pcap/pcap.h> first). */
static inline void to_pcap(const struct bpftk_cbpf_insn *p, size_t n,
		    struct bpf_insn *q)
{
	for (size_t i = 0; i < n; i++) {
		q[i].code = p[i].code;
		q[i].jt = p[i].jt;
		q[i].jf = p[i].jf;
		q[i].k = p[i].k;
	}
}
#endif

#ifdef BPFTK_VM_H
/* The eBPF translation of a classic program loaded into two vms: [0]
 * checked, [1] fast.  Returns bpftk_cbpf_to_ebpf's or the load's error. */
static inline int eb_load(const struct bpftk_cbpf_insn *p, size_t n,
			  enum bpftk_cbpf_flavor f, struct bpftk_vm **vms)
{
	struct bpftk_insn *e = NULL;
	size_t ne = 0;
	int err = bpftk_cbpf_to_ebpf(p, n, f, &e, &ne, NULL);

	vms[0] = vms[1] = NULL;
	for (int m = 0; !err && m < 2; m++) {
		struct bpftk_vm_opts o = {0};
		o.sz = sizeof(o);
		o.mode = m ? BPFTK_VM_FAST : BPFTK_VM_CHECKED;
		err = bpftk_vm_new(&o, &vms[m]);
		if (!err)
			err = bpftk_vm_load(vms[m], e, ne, NULL);
	}
	bpftk_cbpf_free(e);
	return err;
}

static inline void eb_free(struct bpftk_vm **vms)
{
	bpftk_vm_free(vms[0]);
	bpftk_vm_free(vms[1]);
}

/* Runs vms[m] on a packet (PCAP / SOCKET) or seccomp data; *ret = r0. */
static inline int eb_run(struct bpftk_vm **vms, int m, const uint8_t *pkt,
			 uint32_t wirelen, uint32_t caplen,
			 const struct bpftk_cbpf_skb *skb,
			 const struct bpftk_seccomp_data *sd, uint32_t *ret)
{
	struct bpftk_vm_run_opts o = {0};
	struct bpftk_vm_region r[2] = {{(void *)(uintptr_t)pkt, caplen, 0},
				       {(void *)(uintptr_t)skb,
					skb ? sizeof(*skb) : 0, 0}};
	uint64_t r0 = 0;
	int err;

	o.sz = sizeof(o);
	if (sd) {
		r[0].ptr = (void *)(uintptr_t)sd;
		r[0].len = sizeof(*sd);
		o.args[0] = (uint64_t)(uintptr_t)sd;
	} else {
		o.args[0] = (uint64_t)(uintptr_t)pkt;
		o.args[1] = caplen;
		o.args[2] = wirelen;
		o.args[3] = (uint64_t)(uintptr_t)skb;
	}
	o.regions = r;
	o.nregions = 2;
	err = bpftk_vm_run(vms[m], &o, &r0, NULL);
	*ret = (uint32_t)r0;
	if (!err && r0 >> 32)
		err = -ERANGE; /* A must stay zero-extended */
	return err;
}
#endif

/* Undoes the escaping of the .tsv files of ../shared/pcap-filter (\\ \t \n \r) in
 * place. */
static inline void tsv_unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			*o++ = *s;
			continue;
		}
		s++;
		*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
	}
	*o = 0;
}

/* Splits a TSV line (newline removed) into at most max fields in place;
 * returns the field count. */
static inline size_t tsv_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

/* Calls fn for every data row of shared/pcap-filter/accept.tsv with its
 * 12 fields split (still escaped).  Returns 0, or -1 if the file is not
 * there. */
static inline int accept_rows(const char *shared,
			      void (*fn)(char **fields, void *ctx), void *ctx)
{
	char path[1024], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pcap-filter/accept.tsv", shared);
	if (!(f = fopen(path, "r")))
		return -1;
	if (getline(&line, &cap, f) > 0) { /* the header */
		while (getline(&line, &cap, f) > 0) {
			char *fl[12];
			line[strcspn(line, "\n")] = 0;
			if (tsv_split(line, fl, 12) == 12)
				fn(fl, ctx);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

#endif
