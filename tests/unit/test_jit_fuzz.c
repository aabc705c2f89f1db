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
		size_t slots = 1 + next() % 128;
		size_t len = HDR + 8 * slots;
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)next();
		/* table rows most of the time; raw bytes for every 16th input */
		if (i % 16)
			buf[0] |= 2;
		else
			buf[0] &= (uint8_t)~2;
		/* most programs end with exit (row index 1 + byte in structured) */
		if (next() % 8) {
			uint8_t *last = buf + len - 8;
			if (buf[0] & 2) {
				last[0] = (uint8_t)(BPFTK_OP_EXIT - 1);
			} else {
				memset(last, 0, 8);
				last[0] = bpftk_isa_info(BPFTK_OP_EXIT)->code;
			}
		}
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
