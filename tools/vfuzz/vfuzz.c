/* vfuzz.c — long-running driver of the verifier soundness fuzzer
 * (fuzz/fuzz_verifier.c): feeds it N pseudo-random inputs from a seed, so a
 * run of ten million programs needs neither libFuzzer nor a corpus, and
 * prints the counts every minute and at the end.  A soundness bug
 * aborts inside the target with the program and the fault printed (set
 * BPFTK_VFUZZ_CRASH_DIR to keep the input, BPFTK_VFUZZ_KEEP_GOING to count
 * bugs and go on); the same COUNT and SEED replay the same sequence.
 *
 * Build (not part of the CMake build, it needs only the library):
 *   cc -O2 -std=gnu11 -Iinclude tools/vfuzz/vfuzz.c fuzz/fuzz_verifier.c \
 *      BUILD/libbpftk.a -lbpf -lpcap -lm -lpthread -o vfuzz
 * Usage: vfuzz [COUNT [SEED]]   (default 10000000, seed 1)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void vfuzz_stats(unsigned long out[12]);

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void print_stats(unsigned long long done, double secs)
{
	unsigned long s[12];
	vfuzz_stats(s);
	printf("%llu inputs (%.0f/s): %lu verified, %lu accepted, %lu ran "
	       "cleanly (%lu runs), %lu refused by the loader after "
	       "acceptance; %lu soundness bugs\n",
	       done, secs > 0 ? (double)done / secs : 0.0, s[1], s[2], s[3],
	       s[5], s[4], s[6]);
	if (s[7])
		printf("  kernel (BPFTK_VFUZZ_KERNEL): %lu of them loaded, %lu "
		       "accepted, %lu rejected for safety (KERNEL-DIFF), %lu "
		       "for a missing feature, %lu at an instruction bpftk "
		       "proved unreachable\n",
		       s[7], s[8], s[9], s[10], s[11]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned long long count = argc > 1 ? strtoull(argv[1], NULL, 0)
					    : 10000000ULL;
	rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	if (!rng)
		rng = 1;
	static uint8_t buf[1024];
	struct timespec t0, t1;
	double last = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long long i = 1; i <= count; i++) {
		size_t len = 16 + next() % 512;
		for (size_t k = 0; k < len; k += 8) {
			uint64_t v = next();
			for (int b = 0; b < 8 && k + (size_t)b < len; b++)
				buf[k + (size_t)b] = (uint8_t)(v >> (8 * b));
		}
		LLVMFuzzerTestOneInput(buf, len);
		if (i % 1000 == 0 || i == count) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			double secs = (double)(t1.tv_sec - t0.tv_sec) +
				      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			if (secs >= last + 60 || i == count) {
				print_stats(i, secs);
				last = secs;
			}
		}
	}
	return 0;
}
