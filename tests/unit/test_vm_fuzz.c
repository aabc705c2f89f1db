/* test_vm_fuzz.c — the interpreter's fuzz target (fuzz/fuzz_vm.c) run over
 * a deterministic stream of inputs in every build, so its cross-checks
 * (both checked engines agree; a clean checked run replays identically in
 * fast mode with superinstructions; allocation failure ends in -ENOMEM)
 * also run under the sanitizers and without libFuzzer.  Inputs: programs
 * built from table rows with random fields (mostly valid, many faulting),
 * and raw random bytes.  A disagreement aborts, which fails the test. */
#include "../../fuzz/fuzz_vm.c"

#include "test.h"
#include "test_vm_fuzz_gen.h"

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
		/* mostly structured programs; every 10th is raw bytes; 3 in
		 * 4 end with exit */
		size_t len = fuzz_vm_gen(buf, 96, i % 10 != 0, 4, next);
		LLVMFuzzerTestOneInput(buf, len);
		inputs++;
	}
	printf("%d fuzz inputs ran without a disagreement: %lu loaded, %lu "
	       "ran to exit\n",
	       inputs, stat_loaded, stat_clean);
	CHECK(inputs == 20000);
}

TEST_MAIN(fuzz_stream())
