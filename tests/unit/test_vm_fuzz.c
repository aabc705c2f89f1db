/* test_vm_fuzz.c — the interpreter's fuzz target (fuzz/fuzz_vm.c) run over
 * a deterministic stream of inputs in every build, so its cross-checks
 * (both checked engines agree; a clean checked run replays identically in
 * fast mode with superinstructions; allocation failure ends in -ENOMEM)
 * also run under the sanitizers and without libFuzzer.  Inputs: programs
 * built from table rows with random fields (mostly valid, many faulting),
 * and raw random bytes.  A disagreement aborts, which fails the test. */
#include "../../fuzz/fuzz_vm.c"

#include "test.h"

static uint64_t seed = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	seed ^= seed << 7;
	seed ^= seed >> 9;
	return seed;
}

static void fuzz_stream(void)
{
	uint8_t buf[HDR + 8 * 96];
	int inputs = 0;
	for (int i = 0; i < 20000; i++) {
		size_t slots = 1 + next() % 96;
		size_t len = HDR + 8 * slots;
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)next();
		/* mostly structured programs; every 10th is raw bytes */
		buf[0] = (uint8_t)(i % 10 ? buf[0] | 2 : buf[0] & ~2);
		/* end most programs with exit so that more of them finish */
		if (next() % 4) {
			uint8_t *last = buf + len - 8;
			if (buf[0] & 2) {
				/* structured() reads row 1 + byte */
				last[0] = (uint8_t)(BPFTK_OP_EXIT - 1);
			} else {
				memset(last, 0, 8);
				last[0] = bpftk_isa_info(BPFTK_OP_EXIT)->code;
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
		inputs++;
	}
	printf("%d fuzz inputs ran without a disagreement: %lu loaded, %lu "
	       "ran to exit\n",
	       inputs, stat_loaded, stat_clean);
	CHECK(inputs == 20000);
}

TEST_MAIN(fuzz_stream())
