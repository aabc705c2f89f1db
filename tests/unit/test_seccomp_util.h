/* test_seccomp_util.h — shared by the test_seccomp*.c programs: compile a
 * policy text, run a filter on one struct seccomp_data, and install a
 * filter in a forked child.  Include once per test program. */
#ifndef BPFTK_TEST_SECCOMP_UTIL_H
#define BPFTK_TEST_SECCOMP_UTIL_H

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * forked child, which exits at once.  Returns 0 when the kernel accepted
 * it, else the child's errno (EINVAL = rejected); -1 if seccomp filters
 * are not available at all (ENOSYS). */
static inline int kernel_accepts(const struct bpftk_cbpf_insn *prog, size_t n)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sock_fprog fp = {(unsigned short)n,
					(struct sock_filter *)(void *)prog};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(errno & 0xff);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
			_exit(errno & 0xff);
		_exit(0); /* exit_group: the policies allow it or kill */
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st)) /* exit_group killed: installed */
		return 0;
	return WEXITSTATUS(st) == ENOSYS ? -1 : WEXITSTATUS(st);
}

#endif
