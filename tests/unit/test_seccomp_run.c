/* test_seccomp_run.c — compiled policies in the real kernel: each case
 * forks a child that installs the filter (no_new_privs + seccomp
 * SECCOMP_SET_MODE_FILTER), makes a syscall and reports what it saw through
 * its exit status; the parent checks the outcome the policy promises:
 * allowed, the errno returned, killed by SIGSYS, SIGSYS delivered with the
 * trap data, ENOSYS for trace/notify without a tracer/listener, 64-bit
 * argument halves as the kernel passes them, x32 and i386 (int 0x80) calls
 * against the architecture checks.  Exits 77 when seccomp filters cannot be
 * installed here. */
#define _GNU_SOURCE
#include <signal.h>

#include "test_seccomp_util.h"

static struct bpftk_cbpf_insn *cur_prog;
static size_t cur_n;

/* In the child: installs the current filter or exits 200 + errno. */
static void install(void)
{
	struct sock_fprog fp = {(unsigned short)cur_n,
				(struct sock_filter *)(void *)cur_prog};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		syscall(SYS_exit_group, 200);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
		syscall(SYS_exit_group, errno == EINVAL ? 201 : 202);
}

/* Runs fn in a child under policy text; returns the wait status, or -1. */
static int under(const char *text, int (*fn)(void))
{
	size_t n;
	struct bpftk_seccomp_policy *p = compile_text(text, &cur_prog, &n);
	CHECK(p != NULL);
	if (!p)
		return -1;
	cur_n = n;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10); /* a hung child must not hang the test */
		install();
		/* exit_group straight away: no libc or sanitizer exit path
		 * making calls the policy does not allow */
		syscall(SYS_exit_group, fn());
	}
	int st = -1;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	bpftk_seccomp_free(cur_prog);
	bpftk_seccomp_policy_free(p);
	return st;
}

static int exited(int st, int code)
{
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code)
		return 1;
	fprintf(stderr, "  status 0x%x, wanted exit %d\n", st, code);
	return 0;
}

static int sigsys(int st)
{
	if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		return 1;
	fprintf(stderr, "  status 0x%x, wanted SIGSYS\n", st);
	return 0;
}

/* errno of a failed call, 0 on success (as an exit code) */
static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

static int do_getpid(void) { return err_of(syscall(SYS_getpid)); }
static int do_getppid(void) { return err_of(syscall(SYS_getppid)); }
static int do_getuid(void) { return err_of(syscall(SYS_getuid)); }
static int do_getpgid_1(void)
{
	return err_of(syscall(SYS_getpgid, 0L));
}
static int do_getpgid_hi(void)
{
	return err_of(syscall(SYS_getpgid, (long)0x100000000ll));
}
static int do_umask_77(void)
{
	return err_of(syscall(SYS_umask, 077L));
}
static int do_umask_70(void)
{
	return err_of(syscall(SYS_umask, 070L));
}

static volatile sig_atomic_t trap_ok;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	trap_ok = si->si_code == 1 /* SYS_SECCOMP */ && si->si_errno == 42 &&
		  si->si_syscall == SYS_getpid;
}
static int do_trapped_getpid(void)
{
	/* the parent set the handler before forking; here only the call */
	syscall(SYS_getpid);
	return trap_ok ? 0 : 1;
}

#if defined(__x86_64__)
static int do_x32_getpid(void)
{
	return err_of(syscall(BPFTK_X32_SYSCALL_BIT | SYS_getpid));
}
/* i386 getpid (20) through int 0x80: a compat call, arch I386 */
static long int80(long nr)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}
static int do_i386_getpid(void)
{
	long r = int80(20);
	return r < 0 ? (int)-r : 0;
}
#endif

static void test_arches(void)
{
#if defined(__x86_64__)
	/* x32 numbers on x86_64 are refused by the architecture check
	 * (plain getpid stays allowed) */
	const char *x64 = "arch x86_64\ndefault allow\nbadarch kill\n";
	CHECK(sigsys(under(x64, do_x32_getpid)));
	CHECK(exited(under(x64, do_getpid), 0));
	/* i386 compat calls, when this kernel runs them */
	long r = int80(20);
	if (r > 0) {
		CHECK(sigsys(under(x64, do_i386_getpid)));
		CHECK(exited(under("arch x86_64 i386\ndefault allow\n"
				   "getpid@i386: errno 7\n",
				   do_i386_getpid),
			     7));
		CHECK(exited(under("arch x86_64 i386\ndefault allow\n"
				   "getpid@i386: errno 7\n",
				   do_getpid),
			     0));
	} else {
		printf("note: no i386 compat calls here (int 0x80: %ld)\n",
		       r);
	}
#endif
}

TEST_MAIN({
	struct bpftk_cbpf_insn *prog;
	size_t n;
	struct bpftk_seccomp_policy *p =
		compile_text("default allow\n", &prog, &n);
	int k = p ? kernel_accepts(prog, n) : -1;
	bpftk_seccomp_free(prog);
	bpftk_seccomp_policy_free(p);
	if (k != 0) {
		printf("skip: seccomp filters cannot be installed here (%d)\n",
		       k);
		return 77;
	}
	const char *deny = "default allow\ngetpid: errno 13\n";
	CHECK(exited(under(deny, do_getpid), EACCES));
	CHECK(exited(under(deny, do_getppid), 0));
	CHECK(exited(under("default allow\nerrno 4095 getpid\n", do_getpid),
		     4095 & 0xff));
	CHECK(sigsys(under("default allow\ngetppid: kill\n", do_getppid)));
	CHECK(sigsys(under("default allow\ngetppid: kill_thread\n",
			   do_getppid)));
	/* an allow list: what is not listed kills */
	const char *list = "default kill\nallow getpid exit_group\n";
	CHECK(exited(under(list, do_getpid), 0));
	CHECK(sigsys(under(list, do_getuid)));
	/* trace and notify with nobody attached: ENOSYS */
	CHECK(exited(under("default allow\ngetpid: trace 5\n", do_getpid),
		     ENOSYS));
	CHECK(exited(under("default allow\ngetpid: notify\n", do_getpid),
		     ENOSYS));
	CHECK(exited(under("default allow\ngetpid: log\n", do_getpid), 0));
	/* arguments: the kernel passes all 64 bits */
	const char *hi = "default allow\n"
			 "getpgid: errno 5 if arg0 >= 0x100000000\n";
	CHECK(exited(under(hi, do_getpgid_hi), EIO));
	CHECK(exited(under(hi, do_getpgid_1), 0));
	const char *masked = "default allow\n"
			     "umask: errno 22 if arg0 & 0x7 == 7\n";
	CHECK(exited(under(masked, do_umask_77), EINVAL));
	CHECK(exited(under(masked, do_umask_70), 0));
	/* trap: SIGSYS with the data in si_errno, handled */
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		struct sigaction old;
		sigaction(SIGSYS, &sa, &old);
		CHECK(exited(under("default allow\ngetpid: trap 42\n",
				   do_trapped_getpid),
			     0));
		sigaction(SIGSYS, &old, NULL);
	}
	test_arches();
})
