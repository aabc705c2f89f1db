/* test_cbpf.c — the classic BPF table, validator, interpreter and listing
 * against libpcap 1.10 (the installed library is the oracle):
 *  - bpftk_cbpf_image vs bpf_image() for every code 0..255 (and beyond)
 *    with several k / jt / jf values;
 *  - the opcodes of the PCAP flavour vs the `_enumerate_bpf_image` listing
 *    of ../shared/pcap-filter/accept.tsv (libpcap prints one instruction
 *    of each valid opcode there);
 *  - the PCAP validator vs bpf_validate() on random programs;
 *  - bpftk_cbpf_run vs bpf_filter() on random valid programs and packets;
 *  - diagnostics name the instruction; SOCKET / SECCOMP rules by example. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/cbpf.h>

#include "test.h"
#include "test_cbpf_util.h"

static void test_image_vs_libpcap(void)
{
	static const uint32_t ks[] = {0, 1, 15, 255, 0x7fffffff, 0x80000000,
				      0xffffffff, 0xfffff000, 0xfffff004,
				      0xfffff030, 0xfffff03c, 0xfffff040,
				      0xfffff001, 0xfff00000, 0xffe00000};
	unsigned checked = 0, mismatches = 0;

	for (unsigned code = 0; code < 0x200; code++) {
		for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
			struct bpftk_cbpf_insn in = {(uint16_t)code,
						     (uint8_t)(j * 17),
						     (uint8_t)(255 - j), ks[j]};
			struct bpf_insn q;
			char ours[200], want[300];
			size_t pc = j * 100;

			if (code == 0x81)
				continue; /* 1.10.3 says unimp; see disasm.c */
			to_pcap(&in, 1, &q);
			snprintf(want, sizeof(want), "%s",
				 bpf_image(&q, (int)pc));
			snprintf(ours, sizeof(ours), "(%03d) ", (int)pc);
			bpftk_cbpf_image(&in, pc, ours + strlen(ours),
					 sizeof(ours) - strlen(ours));
			checked++;
			if (strcmp(ours, want)) {
				if (mismatches++ < 5)
					fprintf(stderr, "image: '%s' != '%s'\n",
						ours, want);
			}
		}
	}
	printf("bpf_image: %u instructions compared, %u mismatches\n",
	       checked, mismatches);
	CHECK(checked > 7000);
	CHECK_EQ_U64(mismatches, 0);
}

struct enum_ctx {
	int seen[256], found;
	size_t listed;
};

static void enumerate_row(char **fl, void *ctx)
{
	struct enum_ctx *c = ctx;

	if (strcmp(fl[4], "_enumerate_bpf_image"))
		return;
	c->found = 1;
	tsv_unescape(fl[11]);
	for (char *p = fl[11]; (p = strstr(p, "; 0x")); p += 4) {
		unsigned code = (unsigned)strtoul(p + 2, NULL, 16);
		CHECK(code < 256);
		if (code < 256 && !c->seen[code]++)
			c->listed++;
	}
}

static void test_enumerate_row(void)
{
	static struct enum_ctx c;

	CHECK(accept_rows(test_shared, enumerate_row, &c) == 0);
	CHECK(c.found);
	for (unsigned code = 0; code < 256; code++)
		if (!!c.seen[code] != bpftk_cbpf_code_valid((uint16_t)code,
							   BPFTK_CBPF_PCAP)) {
			fprintf(stderr, "code 0x%02x: listed %d\n", code,
				c.seen[code]);
			CHECK(0);
		}
	printf("_enumerate_bpf_image: %zu opcodes listed, all match the "
	       "PCAP flavour\n", c.listed);
	CHECK_EQ_U64(c.listed, 49);
}

static int ja_wraps(const struct bpftk_cbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].code == (BPFTK_CBPF_JMP | BPFTK_CBPF_JA) &&
		    (uint32_t)(i + 1 + p[i].k) < i + 1)
			return 1;
	return 0;
}

static void test_validate_vs_libpcap(void)
{
	struct bpftk_cbpf_insn p[24];
	struct bpf_insn q[24];
	unsigned compared = 0, mismatches = 0, accepted = 0, wraps = 0;

	for (int iter = 0; iter < 200000; iter++) {
		size_t n = 1 + rnd() % 24;
		int ours, theirs;

		rnd_prog(p, n, BPFTK_CBPF_PCAP);
		/* mutate: break jumps, scratch indices, divisors, the end */
		for (int m = rnd() % 3; m > 0; m--) {
			size_t i = rnd() % n;
			switch (rnd() % 4) {
			case 0: p[i].k = rnd_k(); break;
			case 1: p[i].jt = (uint8_t)rnd(); break;
			case 2: p[i].jf = (uint8_t)rnd(); break;
			default: p[i].k = rnd() % 20; break;
			}
		}
		to_pcap(p, n, q);
		wraps += ja_wraps(p, n);
		ours = bpftk_cbpf_validate(p, n, BPFTK_CBPF_PCAP, NULL) == 0;
		theirs = bpf_validate(q, (int)n) != 0;
		compared++;
		accepted += ours;
		if (ours != theirs && mismatches++ < 5) {
			char *s = NULL;
			bpftk_cbpf_disasm(p, n, &s);
			fprintf(stderr, "validate: ours %d libpcap %d\n%s", ours,
				theirs, s ? s : "");
			bpftk_cbpf_free(s);
		}
	}
	printf("bpf_validate: %u programs (%u valid, %u with a backward ja), "
	       "%u mismatches\n",
	       compared, accepted, wraps, mismatches);
	CHECK_EQ_U64(mismatches, 0);
	CHECK(accepted > compared / 10);
}

static void test_run_vs_libpcap(void)
{
	struct bpftk_cbpf_insn p[40];
	struct bpf_insn q[40];
	uint8_t pkt[96];
	unsigned runs = 0, mismatches = 0, nonzero = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rnd_valid_prog(p, 40, BPFTK_CBPF_PCAP);
		to_pcap(p, n, q);
		for (int k = 0; k < 10; k++) {
			uint32_t caplen = rnd() % sizeof(pkt);
			uint32_t wirelen = caplen + (rnd() % 2 ? rnd() % 100 : 0);
			uint32_t ours, theirs;

			rnd_bytes(pkt, caplen);
			ours = bpftk_cbpf_run(p, n, BPFTK_CBPF_PCAP, pkt,
					      wirelen, caplen);
			theirs = bpf_filter(q, pkt, wirelen, caplen);
			runs++;
			nonzero += ours != 0;
			if (ours != theirs && mismatches++ < 5) {
				char *s = NULL;
				bpftk_cbpf_disasm(p, n, &s);
				fprintf(stderr,
					"run: ours %u libpcap %u caplen %u\n%s",
					ours, theirs, caplen, s ? s : "");
				bpftk_cbpf_free(s);
			}
		}
	}
	printf("bpf_filter: %u runs of random valid programs (%u nonzero), "
	       "%u mismatches\n", runs, nonzero, mismatches);
	CHECK_EQ_U64(mismatches, 0);
	CHECK(nonzero > runs / 4);
}

static int has_diag(struct bpftk_diags *d, long insn, const char *sub)
{
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		if (g->insn == insn && strstr(g->msg, sub))
			return 1;
	}
	return 0;
}

static void test_validate_messages(void)
{
	struct bpftk_diags *d = bpftk_diags_new();
	const struct bpftk_cbpf_insn bad[] = {
		{0x28, 0, 0, 12},	  /* ldh [12] */
		{0x15, 0, 9, 0x800},	  /* jeq, jf out of range */
		{0x60, 0, 0, 16},	  /* ld M[16] */
		{0x34, 0, 0, 0},	  /* div #0 */
		{0x20, 0, 0, 0xfffff001}, /* unknown ancillary */
		{0x0e, 0, 0, 0},	  /* ret x: no flavour has it */
		{0x64, 0, 0, 32},	  /* lsh #32 */
		{0x00, 0, 0, 0},	  /* does not end in ret */
	};
	const struct bpftk_cbpf_insn memread[] = {
		{0x15, 1, 0, 1}, /* jeq #1 */
		{0x02, 0, 0, 3}, /* st M[3] on one path only */
		{0x60, 0, 0, 3}, /* ld M[3] */
		{0x16, 0, 0, 0},
	};
	const struct bpftk_cbpf_insn sec[] = {
		{0x20, 0, 0, 2},  /* misaligned */
		{0x20, 0, 0, 64}, /* past seccomp_data */
		{0x28, 0, 0, 0},  /* ldh: not in seccomp */
		{0x94, 0, 0, 3},  /* mod: not in seccomp */
		{0x06, 0, 0, 0x7fff0000},
	};

	CHECK(bpftk_cbpf_validate(bad, 8, BPFTK_CBPF_SOCKET, d) == -EINVAL);
	CHECK(has_diag(d, 1, "jf +9"));
	CHECK(has_diag(d, 2, "scratch memory index 16"));
	CHECK(has_diag(d, 3, "division by constant 0"));
	CHECK(has_diag(d, 4, "unknown ancillary"));
	CHECK(has_diag(d, 5, "opcode 0x0e is not valid in socket"));
	CHECK(has_diag(d, 6, "shift by 32"));
	CHECK(has_diag(d, 7, "must end with a return"));
	bpftk_diags_clear(d);
	CHECK(bpftk_cbpf_validate(bad, 8, BPFTK_CBPF_PCAP, d) == -EINVAL);
	CHECK(!has_diag(d, 6, "shift")); /* libpcap accepts lsh #32 */
	CHECK(!has_diag(d, 4, "ancillary"));
	bpftk_diags_clear(d);
	CHECK(bpftk_cbpf_validate(memread, 4, BPFTK_CBPF_PCAP, d) == 0);
	CHECK(bpftk_cbpf_validate(memread, 4, BPFTK_CBPF_SOCKET, d) ==
	      -EINVAL);
	CHECK(has_diag(d, 2, "M[3] is read before"));
	bpftk_diags_clear(d);
	CHECK(bpftk_cbpf_validate(sec, 5, BPFTK_CBPF_SECCOMP, d) == -EINVAL);
	CHECK(has_diag(d, 0, "multiple of 4"));
	CHECK(has_diag(d, 1, "multiple of 4"));
	CHECK(has_diag(d, 2, "opcode 0x28 is not valid in seccomp"));
	CHECK(has_diag(d, 3, "opcode 0x94"));
	bpftk_diags_clear(d);
	CHECK(bpftk_cbpf_validate(sec + 4, 1, BPFTK_CBPF_SECCOMP, d) == 0);
	CHECK(bpftk_cbpf_validate(NULL, 0, BPFTK_CBPF_PCAP, d) == -EINVAL);
	CHECK(has_diag(d, -1, "empty program"));
	bpftk_diags_free(d);
}

/* A seccomp filter written by hand from the documented layout of struct
 * seccomp_data: allow write(2) with fd 1 on x86-64, errno otherwise. */
static void test_seccomp_run(void)
{
	const struct bpftk_cbpf_insn f[] = {
		{0x20, 0, 0, 4},		/* ld [arch] */
		{0x15, 0, 5, 0xc000003e},	/* AUDIT_ARCH_X86_64 */
		{0x20, 0, 0, 0},		/* ld [nr] */
		{0x15, 0, 3, 1},		/* write */
		{0x20, 0, 0, 16},		/* args[0] low word */
		{0x15, 0, 1, 1},
		{0x06, 0, 0, 0x7fff0000},	/* allow */
		{0x06, 0, 0, 0x00050001},	/* errno 1 */
	};
	struct bpftk_seccomp_data sd = {1, 0xc000003e, 0, {1, 2, 3, 4, 5, 6}};

	CHECK(bpftk_cbpf_validate(f, 8, BPFTK_CBPF_SECCOMP, NULL) == 0);
	CHECK_EQ_U64(bpftk_cbpf_run_seccomp(f, 8, &sd), 0x7fff0000);
	sd.args[0] = 2;
	CHECK_EQ_U64(bpftk_cbpf_run_seccomp(f, 8, &sd), 0x00050001);
	sd.args[0] = 1;
	sd.arch = 0x40000003;
	CHECK_EQ_U64(bpftk_cbpf_run_seccomp(f, 8, &sd), 0x00050001);
}

TEST_MAIN({
	test_image_vs_libpcap();
	test_enumerate_row();
	test_validate_vs_libpcap();
	test_run_vs_libpcap();
	test_validate_messages();
	test_seccomp_run();
})
