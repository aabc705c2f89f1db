/* test_cbpf_fuzz.c — runs the classic BPF fuzz target (fuzz/fuzz_cbpf.c)
 * as an ordinary test over generated inputs, so every build (and the
 * sanitizer build) checks its promises without libFuzzer: random bytes,
 * random valid programs of each flavour with packets, every listing of
 * ../shared/pcap-filter/accept.tsv as assembler text, and those listings
 * cut short and corrupted. */
#include "../../fuzz/fuzz_cbpf.c"

#include <stdio.h>

#include "test.h"
#include "test_cbpf_util.h"

static unsigned inputs;

static void feed(const void *p, size_t n)
{
	LLVMFuzzerTestOneInput(p, n);
	inputs++;
}

static void random_inputs(void)
{
	uint8_t buf[1 + 8 * 40 + 96];

	for (int i = 0; i < 3000; i++) {
		size_t n = rnd() % sizeof(buf);
		rnd_bytes(buf, n);
		feed(buf, n);
	}
	for (int i = 0; i < 3000; i++) {
		struct bpftk_cbpf_insn p[40];
		enum bpftk_cbpf_flavor f = (enum bpftk_cbpf_flavor)(i % 3);
		size_t n = rnd_valid_prog(p, 40, f), plen = rnd() % 96;
		buf[0] = (uint8_t)(n - 1);
		for (size_t j = 0; j < n; j++) {
			uint8_t *b = buf + 1 + 8 * j;
			b[0] = (uint8_t)p[j].code;
			b[1] = (uint8_t)(p[j].code >> 8);
			b[2] = p[j].jt;
			b[3] = p[j].jf;
			for (int k = 0; k < 4; k++)
				b[4 + k] = (uint8_t)(p[j].k >> (8 * k));
		}
		rnd_bytes(buf + 1 + 8 * n, plen);
		feed(buf, 1 + 8 * n + plen);
	}
}

static void listing_input(char **fl, void *ctx)
{
	size_t len;

	(void)ctx;
	if (rnd() % 4)
		return;
	tsv_unescape(fl[11]);
	len = strlen(fl[11]);
	feed(fl[11], len);
	if (len) {
		feed(fl[11], rnd() % len);
		fl[11][rnd() % len] = (char)rnd();
		feed(fl[11], len);
	}
}

TEST_MAIN({
	random_inputs();
	CHECK(accept_rows(test_shared, listing_input, NULL) == 0);
	printf("fuzz_cbpf: %u inputs ran without a broken promise\n", inputs);
	CHECK(inputs > 6000);
})
