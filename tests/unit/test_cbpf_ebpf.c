/* test_cbpf_ebpf.c — the eBPF translation of classic programs against our
 * classic interpreter (itself held against libpcap's bpf_filter in
 * test_cbpf.c and test_cbpf_pcap.c): random valid programs of each flavour
 * on random packets / seccomp data, run in the vm in checked and fast mode,
 * must give the interpreter's result, never fault, and pass
 * bpftk_isa_validate.  SOCKET runs use random sk_buff fields and programs
 * mutated to use ancillary, SKF_NET_OFF and SKF_LL_OFF loads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/cbpf.h>
#include <bpftk/isa.h>
#include <bpftk/vm.h>

#include "test.h"
#include "test_cbpf_util.h"

static const char *const names[] = {"pcap", "socket", "seccomp"};

/* Socket programs: some absolute loads become ancillary or negative. */
static void socketize(struct bpftk_cbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bpftk_cbpf_opinfo *info = bpftk_cbpf_info(p[i].code);
		if (!(info->flags & BPFTK_CBPF_F_PK) || rnd() % 3)
			continue;
		switch (rnd() % 4) {
		case 0: /* ancillary */
			p[i].k = BPFTK_SKF_AD_OFF + 4 * (rnd() % 16);
			break;
		case 1:
			p[i].k = BPFTK_SKF_NET_OFF + rnd() % 40;
			break;
		case 2:
			p[i].k = BPFTK_SKF_LL_OFF + rnd() % 40;
			break;
		default:
			p[i].k = 0x80000000u + rnd() % 16; /* below SKF_LL_OFF */
			break;
		}
	}
}

static void test_flavor(enum bpftk_cbpf_flavor f, int programs)
{
	struct bpftk_cbpf_insn p[48];
	uint8_t pkt[96];
	unsigned runs = 0, mismatches = 0, faults = 0, nonzero = 0,
		 translated = 0;

	for (int iter = 0; iter < programs; iter++) {
		struct bpftk_vm *vms[2];
		size_t n;
		int err;

		do {
			n = rnd_valid_prog(p, 48, f);
			if (f == BPFTK_CBPF_SOCKET)
				socketize(p, n);
		} while (bpftk_cbpf_validate(p, n, f, NULL));
		err = eb_load(p, n, f, vms);
		CHECK_EQ_U64(err, 0);
		if (err) {
			eb_free(vms);
			continue;
		}
		translated++;
		for (int k = 0; k < 8; k++) {
			struct bpftk_cbpf_skb skb;
			struct bpftk_seccomp_data sd;
			uint32_t caplen = rnd() % sizeof(pkt);
			uint32_t wirelen = caplen + (rnd() % 2 ? rnd() % 99 : 0);
			uint32_t want, got[2];

			rnd_bytes(pkt, caplen);
			for (uint32_t o = 0; f == BPFTK_CBPF_SOCKET && k % 2 &&
					     o + 4 <= caplen;
			     o += 4) { /* netlink attributes, for NLATTR */
				uint16_t h[2] = {(uint16_t)(4 + rnd() % 9),
						 (uint16_t)(rnd() % 4)};
				memcpy(pkt + o, h, 4);
			}
			rnd_bytes((uint8_t *)&skb, sizeof(skb));
			skb.net_off = rnd() % 30;
			if (rnd() % 4 == 0)
				skb.ifindex = 0; /* no device */
			skb.no_link_header = rnd() % 2;
			rnd_bytes((uint8_t *)&sd, sizeof(sd));
			if (f == BPFTK_CBPF_SECCOMP)
				want = bpftk_cbpf_run_seccomp(p, n, &sd);
			else
				want = bpftk_cbpf_run_skb(p, n, f, pkt, wirelen,
							  caplen, &skb);
			for (int m = 0; m < 2; m++) {
				err = eb_run(vms, m, pkt, wirelen, caplen, &skb,
					     f == BPFTK_CBPF_SECCOMP ? &sd : NULL,
					     &got[m]);
				runs++;
				faults += err != 0;
				if ((err || got[m] != want) &&
				    mismatches++ < 5) {
					char *s = NULL;
					bpftk_cbpf_disasm(p, n, &s);
					fprintf(stderr,
						"%s mode %d: err %d, %u != %u "
						"(caplen %u)\n%s",
						names[f], m, err, got[m], want,
						caplen, s ? s : "");
					bpftk_cbpf_free(s);
				}
			}
			nonzero += want != 0;
		}
		eb_free(vms);
	}
	printf("%s: %u programs translated, %u vm runs (checked + fast, %u "
	       "nonzero), %u mismatches, %u faults\n",
	       names[f], translated, runs, nonzero, mismatches, faults);
	CHECK_EQ_U64(mismatches, 0);
	CHECK_EQ_U64(faults, 0);
	CHECK(nonzero > runs / 8);
}

static void test_rejects(void)
{
	const struct bpftk_cbpf_insn bad[] = {{0x00, 0, 0, 0}};
	const struct bpftk_cbpf_insn find[] = {
		{0x01, 0, 0, 2}, /* ldx #2: type */
		{0x00, 0, 0, 0}, /* ld #0: start */
		{0x20, 0, 0, BPFTK_SKF_AD_OFF + BPFTK_SKF_AD_NLATTR},
		{0x16, 0, 0, 0},
	};
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_insn *e = (struct bpftk_insn *)1;
	size_t ne = 7;
	uint8_t msg[16] = {0};
	uint16_t h[2] = {8, 1}; /* len 8, type 1 */
	struct bpftk_cbpf_skb skb = {0};
	struct bpftk_vm *vms[2];
	uint32_t got;

	CHECK(bpftk_cbpf_to_ebpf(bad, 1, BPFTK_CBPF_PCAP, &e, &ne, d) ==
	      -EINVAL);
	CHECK(e == NULL && ne == 0);
	CHECK(bpftk_diags_count(d) == 1 && bpftk_diags_get(d, 0)->insn == 0);
	/* NLATTR: attribute type 2 at offset 8 (the kernel agrees: see
	 * test_cbpf_kernel.c) */
	memcpy(msg, h, 4);
	h[1] = 2;
	memcpy(msg + 8, h, 4);
	CHECK(bpftk_cbpf_validate(find, 4, BPFTK_CBPF_SOCKET, d) == 0);
	CHECK_EQ_U64(bpftk_cbpf_run(find, 4, BPFTK_CBPF_SOCKET, msg, 16, 16),
		     8);
	CHECK_EQ_U64(bpftk_cbpf_run(find, 4, BPFTK_CBPF_SOCKET, msg, 12, 12),
		     0);
	CHECK(eb_load(find, 4, BPFTK_CBPF_SOCKET, vms) == 0);
	CHECK(eb_run(vms, 0, msg, 16, 16, &skb, NULL, &got) == 0 && got == 8);
	CHECK(eb_run(vms, 1, msg, 12, 12, &skb, NULL, &got) == 0 && got == 0);
	eb_free(vms);
	bpftk_diags_free(d);
}

/* NLATTR / NLATTR_NEST searches from small offsets for small types over
 * packets made of attributes: the translation's loop vs the interpreter
 * (whose search the kernel checks in test_cbpf_kernel.c). */
static void test_nlattr_random(void)
{
	unsigned runs = 0, found = 0, mismatches = 0;

	for (int iter = 0; iter < 2000; iter++) {
		struct bpftk_cbpf_insn p[] = {
			{0x00, 0, 0, 4 * (rnd() % 4) + (rnd() % 8 == 0)},
			{0x01, 0, 0, rnd() % 4},
			{0x20, 0, 0,
			 BPFTK_SKF_AD_OFF + (rnd() % 2 ? BPFTK_SKF_AD_NLATTR
						       : BPFTK_SKF_AD_NLATTR_NEST)},
			{0x16, 0, 0, 0},
		};
		struct bpftk_cbpf_skb skb = {0};
		struct bpftk_vm *vms[2];
		uint8_t pkt[64];
		uint32_t len = rnd() % sizeof(pkt), want, got;

		for (uint32_t o = 0; o + 4 <= len; o += 4) {
			uint16_t h[2] = {(uint16_t)(rnd() % 8 ? 4 + rnd() % 20
							      : rnd()),
					 (uint16_t)(rnd() % 4 | (rnd() % 8 ? 0
									   : 0x8000))};
			memcpy(pkt + o, h, 4);
		}
		CHECK(eb_load(p, 4, BPFTK_CBPF_SOCKET, vms) == 0);
		want = bpftk_cbpf_run(p, 4, BPFTK_CBPF_SOCKET, pkt, len, len);
		found += want != 0;
		for (int m = 0; m < 2; m++) {
			runs++;
			if ((eb_run(vms, m, pkt, len, len, &skb, NULL, &got) ||
			     got != want) && mismatches++ < 5)
				fprintf(stderr, "nlattr: %u != %u\n", got, want);
		}
		eb_free(vms);
	}
	printf("nlattr: %u vm runs (%u searches found), %u mismatches\n", runs,
	       found, mismatches);
	CHECK_EQ_U64(mismatches, 0);
	CHECK(found > 100);
}

/* A PCAP loop (a backward ja, as libpcap's protochain code has): counts
 * to N, or ends with 0 after BPFTK_CBPF_MAX_BACKJUMPS turns. */
static void test_loop(void)
{
	static const uint32_t ns[] = {1, 10, 1000, BPFTK_CBPF_MAX_BACKJUMPS,
				      BPFTK_CBPF_MAX_BACKJUMPS + 1, 100000};
	struct bpftk_cbpf_insn p[] = {
		{0x01, 0, 0, 0},	  /* ldx #0 */
		{0x87, 0, 0, 0},	  /* txa */
		{0x04, 0, 0, 1},	  /* add #1 */
		{0x07, 0, 0, 0},	  /* tax */
		{0x35, 1, 0, 0},	  /* jge #N jt 6 jf 5 */
		{0x05, 0, 0, (uint32_t)-5}, /* ja 1 */
		{0x87, 0, 0, 0},	  /* txa */
		{0x16, 0, 0, 0},	  /* ret a */
	};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct bpftk_vm *vms[2];
		uint32_t got[2] = {0, 0};
		uint32_t want = ns[i] <= BPFTK_CBPF_MAX_BACKJUMPS + 1 ? ns[i] : 0;
		p[4].k = ns[i];
		CHECK(bpftk_cbpf_validate(p, 8, BPFTK_CBPF_PCAP, NULL) == 0);
		CHECK(bpftk_cbpf_validate(p, 8, BPFTK_CBPF_SOCKET, NULL) ==
		      -EINVAL);
		CHECK_EQ_U64(bpftk_cbpf_run(p, 8, BPFTK_CBPF_PCAP, NULL, 0, 0),
			     want);
		CHECK(eb_load(p, 8, BPFTK_CBPF_PCAP, vms) == 0);
		CHECK(eb_run(vms, 0, NULL, 0, 0, NULL, NULL, &got[0]) == 0);
		CHECK(eb_run(vms, 1, NULL, 0, 0, NULL, NULL, &got[1]) == 0);
		CHECK_EQ_U64(got[0], want);
		CHECK_EQ_U64(got[1], want);
		eb_free(vms);
	}
}

TEST_MAIN({
	test_loop();
	test_flavor(BPFTK_CBPF_PCAP, 3000);
	test_flavor(BPFTK_CBPF_SOCKET, 3000);
	test_flavor(BPFTK_CBPF_SECCOMP, 3000);
	test_rejects();
	test_nlattr_random();
})
