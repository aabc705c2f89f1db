/* test_jit_fuzz.c — the JIT's differential fuzz target (fuzz/fuzz_jit.c)
 * over a deterministic stream of inputs in every build, so its checks (every
 * loadable program compiles; runs that end cleanly in the checked
 * interpreter give the same r0, memory and fault in native code) also run
 * under the sanitizers and without libFuzzer.
 *
 * BPFTK_JIT_FUZZ_N=<count> in the environment sets the number of inputs
 * (default 20000) for long runs; BPFTK_JIT_FUZZ_SEED=<n> picks the stream.
 * A disagreement aborts, which fails the test. */
#include "../../fuzz/fuzz_jit.c"

#include "test.h"
#include "test_vm_fuzz_gen.h"

static uint64_t seed = 0x13198a2e03707344ull;

static uint64_t next(void)
{
	/* xorshift64 */
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void jit_stream(void)
{
	const char *env = getenv("BPFTK_JIT_FUZZ_N");
	unsigned long count = env ? strtoul(env, NULL, 0) : 20000;
	const char *s = getenv("BPFTK_JIT_FUZZ_SEED");
	if (s)
		seed ^= strtoull(s, NULL, 0) * 0x9e3779b97f4a7c15ull;
	uint8_t buf[HDR + 8 * 128];
	for (unsigned long i = 0; i < count; i++) {
		/* table rows most of the time; raw bytes for every 16th input;
		 * 7 in 8 end with exit */
		size_t len = fuzz_vm_gen(buf, 128, i % 16 != 0, 8, next);
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("%lu inputs: %lu compiled by the JIT, %lu run natively with the "
	       "interpreter's result (%lu of them ending in the same fault), no "
	       "disagreement\n",
	       jit_inputs, jit_compiled, jit_compared, jit_faults);
	CHECK(jit_inputs == count);
	CHECK(count < 1000 || jit_compared > count / 20);
}

TEST_MAIN(jit_stream())
