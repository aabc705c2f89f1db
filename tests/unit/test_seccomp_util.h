/* test_seccomp_util.h — shared by the test_seccomp*.c programs: compile a
 * policy text, run a filter on one struct seccomp_data, and install a
 * filter in a forked child.  Include once per test program. */
#ifndef BPFTK_TEST_SECCOMP_UTIL_H
#define BPFTK_TEST_SECCOMP_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpftk/cbpf.h>
#include <bpftk/seccomp.h>

#include "test.h"

/* Parses and compiles text and checks the filter with bpftk's seccomp
 * validator (the kernel's rules); prints the diagnostics on failure.
 * Returns the policy (and *prog, *n) or NULL. */
static inline struct bpftk_seccomp_policy *
compile_text(const char *text, struct bpftk_cbpf_insn **prog, size_t *n)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_seccomp_policy *p = NULL;
	int err = bpftk_seccomp_parse(text, "t.policy", &p, d);
	if (!err)
		err = bpftk_seccomp_compile(p, prog, n, d);
	if (!err) {
		err = bpftk_cbpf_validate(*prog, *n, BPFTK_CBPF_SECCOMP, d);
		if (err) {
			bpftk_seccomp_free(*prog);
			*prog = NULL;
		}
	}
	if (err) {
		char buf[512];
		for (size_t i = 0; i < bpftk_diags_count(d); i++) {
			bpftk_diag_format(bpftk_diags_get(d, i), buf,
					  sizeof(buf));
			fprintf(stderr, "%s\n", buf);
		}
		fprintf(stderr, "policy failed (%d):\n%s\n", err, text);
		bpftk_seccomp_policy_free(p);
		p = NULL;
	}
	bpftk_diags_free(d);
	return p;
}

/* The filter's verdict through bpftk's classic interpreter (compile_text
 * has checked it with the seccomp validator). */
static inline uint32_t run_filter(const struct bpftk_cbpf_insn *prog, size_t n,
				  const struct bpftk_seccomp_data *sd)
{
	return bpftk_cbpf_run_seccomp(prog, n, sd);
}

/* Installs prog (no_new_privs + seccomp(SECCOMP_SET_MODE_FILTER)) in a
 * forked child.  Returns 0 when the kernel accepted it, else the errno of
 * the refusal (EINVAL = rejected); -1 if seccomp filters are not available
 * (ENOSYS) or the child could not run.  The child makes no syscall once the
 * filter is in (whatever the policy does to them): it reports through
 * shared memory and spins until the parent kills it. */
static inline int kernel_accepts(const struct bpftk_cbpf_insn *prog, size_t n)
{
	_Atomic int *shared = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	atomic_init(shared, -2);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		munmap((void *)shared, sizeof(int));
		return -1;
	}
	if (pid == 0) {
		struct sock_fprog fp = {(unsigned short)n,
					(struct sock_filter *)(void *)prog};
		int r = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
			r = errno;
		atomic_store(shared, r);
		for (;;)
			;
	}
	int r;
	while ((r = atomic_load(shared)) == -2)
		sched_yield();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	munmap((void *)shared, sizeof(int));
	return r == ENOSYS ? -1 : r;
}

/* ---- random policies and inputs ---------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static inline uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static inline uint64_t interesting(void)
{
	static const uint64_t v[] = {0,
				     1,
				     2,
				     0x7f,
				     0xffffffffull,
				     0x100000000ull,
				     0x100000001ull,
				     0xffffffff00000000ull,
				     0x8000000000000000ull,
				     UINT64_MAX,
				     UINT64_MAX - 1,
				     0x80000000ull};
	return rnd() % 3 ? v[rnd() % (sizeof(v) / sizeof(v[0]))] : rnd();
}

static inline void append(char **s, size_t *len, const char *fmt, ...)
	BPFTK_PRINTF(3, 4);
static inline void append(char **s, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	va_start(ap, fmt);
	int k = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*s = realloc(*s, *len + (size_t)k + 1);
	memcpy(*s + *len, buf, (size_t)k + 1);
	*len += (size_t)k;
}

static inline uint64_t near(const uint64_t *consts, size_t nconst)
{
	if (!nconst || rnd() % 4 == 0)
		return interesting();
	uint64_t k = consts[rnd() % nconst];
	switch (rnd() % 6) {
	case 0: return k + 1;
	case 1: return k - 1;
	case 2: return k ^ 0x100000000ull;
	case 3: return k ^ 0x8000000000000000ull;
	case 4: return k ^ (rnd() & 0xffffffff00000000ull);
	default: return k;
	}
}

#endif
