/* test_cbpf_fuzz.c — runs the classic BPF fuzz target (fuzz/fuzz_cbpf.c)
 * as an ordinary test over generated inputs, so every build (and the
 * sanitizer build) checks its promises without libFuzzer: random bytes,
 * random valid programs of each flavour with packets, every listing of
 * ../shared/pcap-filter/accept.tsv as assembler text, and those listings
 * cut short and corrupted; and every allocation of a pipeline (asm,
 * disasm, validate, translate) failing in turn. */
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

/* Every allocation of asm, disasm, validate and to_ebpf failing in turn:
 * each call ends in -ENOMEM (or succeeds when the failure hit nothing it
 * needed) and leaves nothing allocated. */
static void every_allocation_fails(void)
{
	static const char text[] = "ldh [12]\n"
				   "jeq #0x800 jt 2 jf 8\n"
				   "ldb [23]\n"
				   "jeq #6 jt 4 jf 8\n"
				   "ldxb 4*([14]&0xf)\n"
				   "ld [nla]\n"
				   "st M[3]\n"
				   "ldx M[3]\n"
				   "ret #262144\n";
	unsigned ok = 0, nomem = 0;

	for (long k = 1; k < 200; k++) {
		struct bpftk_cbpf_insn *p = NULL;
		struct bpftk_insn *e = NULL;
		struct bpftk_diags *d;
		char *out = NULL;
		size_t n = 0, ne = 0;
		int r[4] = {0, 0, 0, 0};

		fail_at = k;
		calls = live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		d = bpftk_diags_new(); /* may fail: NULL is a valid sink */
		r[0] = bpftk_cbpf_asm(text, "t", &p, &n, d);
		if (!r[0]) {
			r[1] = bpftk_cbpf_disasm(p, n, &out);
			r[2] = bpftk_cbpf_validate(p, n, BPFTK_CBPF_SOCKET, d);
			r[3] = bpftk_cbpf_to_ebpf(p, n, BPFTK_CBPF_SOCKET, &e,
						  &ne, d);
		}
		bpftk_cbpf_free(e);
		bpftk_cbpf_free(out);
		bpftk_cbpf_free(p);
		bpftk_diags_free(d);
		bpftk_set_allocator(NULL, NULL, NULL);
		for (int i = 0; i < 4; i++)
			CHECK(r[i] == 0 || r[i] == -ENOMEM);
		CHECK_EQ_U64(live, 0);
		if (!r[0] && !r[1] && !r[2] && !r[3])
			ok++;
		else
			nomem++;
		if (calls < k)
			break; /* no allocation failed: all have been tried */
	}
	printf("allocation failures: %u runs ended in -ENOMEM, %u succeeded, "
	       "no leak\n", nomem, ok);
	CHECK(nomem > 5);
	CHECK(ok >= 1);
}

TEST_MAIN({
	every_allocation_fails();
	random_inputs();
	CHECK(accept_rows(test_shared, listing_input, NULL) == 0);
	printf("fuzz_cbpf: %u inputs ran without a broken promise\n", inputs);
	CHECK(inputs > 6000);
})
