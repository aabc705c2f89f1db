/* test_cbpf_opt_random.c — the optimizer's fuzz target (fuzz/fuzz_cbpf_opt.c:
 * random valid programs, optimized, compared with libpcap's bpf_filter() on
 * shaped packets and truncations, and seccomp filters on random seccomp
 * data; aborts on any difference) run over a
 * fixed set of random inputs, so every build checks it, not only fuzzing
 * runs.  Also: the optimizer's errors on programs that are not valid, every
 * allocation failing in turn (-ENOMEM, program untouched, no leak), and
 * its emitter's `ja` trampolines for conditional targets beyond 255. */
#include <errno.h>
#include <stdint.h>

#include "../../fuzz/fuzz_cbpf_opt.c"
#include "cbpf/opt_int.h"
#include "test.h"
#include "test_alloc.h"

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

/* Inputs the fuzzer once failed on, replayed (the generator reads an input
 * the same way under every compiler).  sitVAw== : a seccomp filter whose
 * optimized layout put a return between a path that stores M[0] and its
 * load; Linux's linear initialisation scan refuses that, so the optimizer
 * must give back a program the validator accepts. */
static void fuzz_findings(void)
{
	static const uint8_t seccomp_layout[] = {0xb2, 0x2b, 0x55, 0x03};
	CHECK(LLVMFuzzerTestOneInput(seccomp_layout, sizeof(seccomp_layout)) ==
	      0);
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

/* Conditional targets more than 255 away get a `ja` trampoline: a jump
 * over 300 instructions, both ways, laid out by the optimizer's emitter
 * (fed blocks directly: no input program has such a jump). */
static void long_jumps(void)
{
	struct opt o;
	memset(&o, 0, sizeof(o));
	o.nb = 4;
	o.b = bpftk_calloc(4, sizeof(*o.b));
	CHECK(o.b != NULL);
	if (!o.b)
		return;
	/* B0: ldb [0]; jeq #1 -> B3 : B1; B1: 300 x ldx, goto B2; B2: ret #7
	 * B3: ret #9 (after B2, so 300 away) */
	struct opt_block *b = o.b;
	b[0].s = bpftk_calloc(1, sizeof(*b[0].s));
	b[1].s = bpftk_calloc(300, sizeof(*b[1].s));
	CHECK(b[0].s && b[1].s);
	if (!b[0].s || !b[1].s) {
		bpftk_opt_release(&o);
		return;
	}
	b[0].s[0].code = BPF_LD | BPF_B | BPF_ABS;
	b[0].ns = b[0].cap = 1;
	b[0].term = OPT_T_COND;
	b[0].code = BPF_JMP | BPF_JEQ | BPF_K;
	b[0].k = 1;
	b[0].jt = 3;
	b[0].jf = 1;
	for (uint32_t i = 0; i < 300; i++) {
		b[1].s[i].code = BPF_LDX | BPF_IMM;
		b[1].s[i].k = i;
	}
	b[1].ns = b[1].cap = 300;
	b[1].term = OPT_T_GOTO;
	b[1].jt = 2;
	b[2].term = b[3].term = OPT_T_RET;
	b[2].code = b[3].code = BPF_RET | BPF_K;
	b[2].k = 7;
	b[3].k = 9;
	bpftk_opt_reach(&o);
	struct bpftk_cbpf_insn *out = NULL;
	size_t n = 0;
	CHECK(bpftk_opt_emit(&o, &out, &n) == 0);
	CHECK(n == 1 + 1 + 1 + 300 + 2); /* ld, jeq, ja, ldx..., 2 rets */
	struct bpf_insn q[400];
	for (size_t i = 0; out && i < n && i < 400; i++)
		q[i] = mk(out[i].code, out[i].jt, out[i].jf, out[i].k);
	CHECK(out && bpf_validate(q, (int)n));
	uint8_t one = 1, two = 2;
	CHECK(out && bpf_filter(q, &one, 1, 1) == 9);
	CHECK(out && bpf_filter(q, &two, 1, 1) == 7);
	bpftk_free(out);
	bpftk_opt_release(&o);
}

/* Every allocation of an optimization failing in turn: -ENOMEM with the
 * program untouched, or success; nothing leaks. */
static void out_of_memory(void)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 262144);
	struct bpf_program bp;
	CHECK(pd != NULL);
	if (!pd || pcap_compile(pd, &bp, "tcp port 80 or udp port 53 or "
				"ip6 host ::1", 0, PCAP_NETMASK_UNKNOWN) < 0) {
		CHECK(0);
		if (pd)
			pcap_close(pd);
		return;
	}
	size_t n0 = bp.bf_len, fails = 0;
	struct bpftk_cbpf_insn *orig = malloc(n0 * sizeof(*orig));
	struct bpftk_cbpf_insn *p = malloc(n0 * sizeof(*p));
	CHECK(orig && p);
	for (size_t i = 0; orig && i < n0; i++) {
		orig[i].code = bp.bf_insns[i].code;
		orig[i].jt = bp.bf_insns[i].jt;
		orig[i].jf = bp.bf_insns[i].jf;
		orig[i].k = bp.bf_insns[i].k;
	}
	for (fail_at = 1; orig && p && fail_at < 100000; fail_at++) {
		size_t n = n0;
		memcpy(p, orig, n0 * sizeof(*p));
		calls = live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		int err = bpftk_cbpf_optimize(&p, &n, BPFTK_CBPF_PCAP, NULL);
		bpftk_set_allocator(NULL, NULL, NULL);
		CHECK(live == 0);
		if (err == 0 && calls < fail_at)
			break; /* every allocation was tried */
		fails++;
		CHECK(err == -ENOMEM);
		CHECK(n == n0 && !memcmp(p, orig, n0 * sizeof(*p)));
	}
	CHECK(fails > 10);
	free(orig);
	free(p);
	pcap_freecode(&bp);
	pcap_close(pd);
}

TEST_MAIN({
	out_of_memory();
	long_jumps();
	invalid_programs();
	fuzz_findings();
	random_programs();
})
