/* test.h — a minimal unit-test harness: CHECK records a failure with its
 * location and goes on; TEST_MAIN prints "N passed, N failed" and sets the
 * exit status.  argv[1] (optional) is the path of ../shared. */
#ifndef BPFTK_TEST_H
#define BPFTK_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed;
static const char *test_shared = "../shared";

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (cond) {                                                  \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                   \
	do {                                                                 \
		unsigned long long a_ = (unsigned long long)(a);             \
		unsigned long long b_ = (unsigned long long)(b);             \
		if (a_ == b_) {                                              \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr,                                      \
				"%s:%d: %s == %s failed: 0x%llx != 0x%llx\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);          \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *a_ = (a), *b_ = (b);                             \
		if (a_ && b_ && !strcmp(a_, b_)) {                           \
			test_passed++;                                       \
		} else {                                                     \
			test_failed++;                                       \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, \
				__LINE__, a_ ? a_ : "(null)",                 \
				b_ ? b_ : "(null)");                          \
		}                                                            \
	} while (0)

#define TEST_MAIN(body)                                                      \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		if (argc > 1)                                                \
			test_shared = argv[1];                               \
		body;                                                        \
		printf("%d passed, %d failed\n", test_passed, test_failed);  \
		return test_failed ? 1 : 0;                                  \
	}

#endif
