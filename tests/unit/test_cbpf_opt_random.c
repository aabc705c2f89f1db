/* test_cbpf_opt_random.c — the optimizer's fuzz target (fuzz/fuzz_cbpf_opt.c:
 * random valid programs, optimized, compared with libpcap's bpf_filter() on
 * shaped packets and truncations; aborts on any difference) run over a
 * fixed set of random inputs, so every build checks it, not only fuzzing
 * runs.  Also: the optimizer's errors on programs that are not valid. */
#include <errno.h>
#include <stdint.h>

#include "../../fuzz/fuzz_cbpf_opt.c"
#include "test.h"

static void random_programs(void)
{
	uint64_t s = 88172645463325252ull;
	uint8_t in[256];
	int runs = 0;
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(i % 256);
		for (size_t j = 0; j < len; j++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			in[j] = (uint8_t)s;
		}
		LLVMFuzzerTestOneInput(in, len);
		runs++;
	}
	CHECK(runs == 20000);
}

static void invalid_programs(void)
{
	struct bpftk_cbpf_insn back[2] = {{BPF_JMP | BPF_JA, 0, 0, 0xffffffffu},
					  {BPF_RET | BPF_K, 0, 0, 1}};
	struct bpftk_cbpf_insn noret[1] = {{BPF_LD | BPF_IMM, 0, 0, 1}};
	struct bpftk_cbpf_insn far[2] = {{BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 1},
					 {BPF_RET | BPF_K, 0, 0, 1}};
	struct bpftk_cbpf_insn *p = back;
	size_t n = 2;
	struct bpftk_diags *d = bpftk_diags_new();
	CHECK(bpftk_cbpf_optimize(&p, &n, BPFTK_CBPF_PCAP, d) == -EINVAL);
	CHECK(n == 2 && p == back);
	CHECK(bpftk_diags_errors(d) >= 1);
	if (bpftk_diags_count(d)) /* names the instruction */
		CHECK(bpftk_diags_get(d, 0)->insn == 0);
	p = noret;
	n = 1;
	CHECK(bpftk_cbpf_optimize(&p, &n, BPFTK_CBPF_PCAP, d) == -EINVAL);
	p = far;
	n = 2;
	CHECK(bpftk_cbpf_optimize(&p, &n, BPFTK_CBPF_PCAP, d) == -EINVAL);
	CHECK(bpftk_cbpf_optimize(NULL, &n, BPFTK_CBPF_PCAP, d) == -EINVAL);
	bpftk_diags_free(d);
}

TEST_MAIN({
	invalid_programs();
	random_programs();
})
