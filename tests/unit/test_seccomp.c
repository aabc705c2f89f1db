/* test_seccomp.c — the policy language and compiler on their own:
 *  - bad policies are rejected with "file:line:col: message" at the right
 *    place, every bad line reported;
 *  - compiled filters give, on every input tried, the action the policy's
 *    rules give (bpftk_seccomp_eval): random policies over all three
 *    architectures, every syscall number of each table, foreign
 *    architectures, x32 and negative numbers, argument values at and
 *    around each constant with high-half differences;
 *  - filters long enough to need far jumps stay correct; too long ones
 *    are -E2BIG with a message;
 *  - every allocation failing in turn gives -ENOMEM and leaks nothing.
 * The differential against libseccomp and the runs under the kernel are in
 * test_seccomp_libseccomp.c and test_seccomp_run.c. */
#include "test_alloc.h"
#include "test_seccomp_util.h"

/* ---- errors ------------------------------------------------------------ */

static void check_error(const char *text, const char *where, const char *msg)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_seccomp_policy *p = NULL;
	int err = bpftk_seccomp_parse(text, "bad.policy", &p, d);
	int found = 0;
	char buf[512];
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		bpftk_diag_format(bpftk_diags_get(d, i), buf, sizeof(buf));
		if (strstr(buf, where) && strstr(buf, msg))
			found = 1;
	}
	CHECK_EQ_U64(err, -EINVAL);
	CHECK(p == NULL);
	if (!found) {
		fprintf(stderr, "no \"%s...%s\" for:\n%s\ngot:\n", where, msg,
			text);
		for (size_t i = 0; i < bpftk_diags_count(d); i++) {
			bpftk_diag_format(bpftk_diags_get(d, i), buf,
					  sizeof(buf));
			fprintf(stderr, "  %s\n", buf);
		}
	}
	CHECK(found);
	bpftk_diags_free(d);
}

static void test_errors(void)
{
	static const struct {
		const char *text, *where, *msg;
	} cases[] = {
		{"allow read\n", "bad.policy:2:1:", "'default ACTION'"},
		{"default allow\nallow nosuchcall\n", "bad.policy:2:7:",
		 "unknown syscall 'nosuchcall'"},
		{"default allow\nerrno read\n", "bad.policy:2:7:",
		 "expected errno value, found 'read'"},
		{"default allow\nerrno 4096 read\n", "bad.policy:2:7:",
		 "out of range (0..4095)"},
		{"default frobnicate\n", "bad.policy:1:9:", "expected an action"},
		{"default allow\nread: allow if arg6 == 1\n", "bad.policy:2:16:",
		 "expected an argument arg0..arg5"},
		{"default allow\nread: allow if arg0 = 1\n", "bad.policy:2:21:",
		 "expected a comparison"},
		{"default allow\nread: allow if arg0 == 1 or arg1 == 2\n",
		 "bad.policy:2:26:", "expected end of line, found 'or'"},
		{"default allow\nread allow\n", "bad.policy:2:6:",
		 "expected ':' after the syscall names"},
		{"default allow\nread: allow if arg0 in 5..4\n", "bad.policy:2:27:",
		 "empty range"},
		{"default allow\nread: allow if arg0 == 0x1ffffffffffffffff\n",
		 "bad.policy:2:24:", "out of range"},
		{"default allow\nread: allow if arg0 == 12ab\n", "bad.policy:2:24:",
		 "out of range"},
		{"default allow\ndefault kill\n", "bad.policy:2:1:",
		 "second 'default' statement"},
		{"default allow\narch x86_64\narch i386\n", "bad.policy:3:1:",
		 "second 'arch' statement"},
		{"default allow\narch sparc\n", "bad.policy:2:6:",
		 "expected an architecture"},
		{"default allow\narch aarch64\nallow open\n", "bad.policy:3:7:",
		 "does not exist on any architecture of the policy"},
		{"default allow\narch x86_64\nallow socketcall@i386\n",
		 "bad.policy:3:7:", "i386 is not in the policy's 'arch' list"},
		{"default allow\nallow open@aarch64\n", "bad.policy:2:7:",
		 "unknown syscall 'open' on aarch64"},
		{"default allow\nallow read $\n", "bad.policy:2:12:",
		 "expected a syscall name or number, found '$'"},
		{"default allow\nallow 4294967296\n", "bad.policy:2:7:",
		 "syscall number"},
		{"default allow\nkill\n", "bad.policy:2:5:",
		 "expected a syscall name or number, found end of line"},
		{"default allow\nread: allow if\n", "bad.policy:2:15:",
		 "expected an argument"},
		{"# comment only\ndefault allow # trailing\nread: trap 70000\n",
		 "bad.policy:3:12:", "out of range (0..65535)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error(cases[i].text, cases[i].where, cases[i].msg);

	/* every bad line is reported, not only the first */
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_seccomp_policy *p = NULL;
	CHECK_EQ_U64(bpftk_seccomp_parse("default allow\nallow x1\nallow x2\n"
					 "read: frob\n",
					 NULL, &p, d),
		     -EINVAL);
	CHECK_EQ_U64(bpftk_diags_errors(d), 3);
	const struct bpftk_diag *g = bpftk_diags_get(d, 2);
	CHECK(g && g->line == 4 && g->col == 7 && !strcmp(g->file, "<policy>"));
	bpftk_diags_free(d);
	/* a rule behind an unconditional one: accepted, with a warning */
	d = bpftk_diags_new();
	CHECK_EQ_U64(bpftk_seccomp_parse("default kill\nallow write\n"
					 "write: errno 1 if arg0 == 2\n"
					 "write@x86_64, read: errno 2\n",
					 NULL, &p, d),
		     0);
	CHECK_EQ_U64(bpftk_diags_count(d), 2); /* line 3, write@ of line 4 */
	g = bpftk_diags_get(d, 0);
	CHECK(g && g->severity == BPFTK_SEV_WARNING && g->line == 3 &&
	      g->col == 1 && strstr(g->msg, "never reached") &&
	      strstr(g->msg, "line 2"));
	g = bpftk_diags_get(d, 1);
	CHECK(g && g->line == 4 && g->col == 1);
	bpftk_seccomp_policy_free(p);
	bpftk_diags_free(d);
	CHECK_EQ_U64(bpftk_seccomp_parse(NULL, NULL, &p, NULL), -EINVAL);
	CHECK_EQ_U64(bpftk_seccomp_parse("", NULL, NULL, NULL), -EINVAL);
}

/* ---- what the language means ------------------------------------------- */

static uint32_t verdict(const struct bpftk_seccomp_policy *p,
			const struct bpftk_cbpf_insn *prog, size_t n,
			const struct bpftk_seccomp_data *sd, long *mismatches)
{
	uint32_t want = bpftk_seccomp_eval(p, sd), got = run_filter(prog, n, sd);
	if (want != got && ++*mismatches <= 5)
		fprintf(stderr,
			"arch 0x%x nr %d args %llx %llx %llx: filter 0x%x, "
			"policy 0x%x\n",
			sd->arch, sd->nr, (unsigned long long)sd->args[0],
			(unsigned long long)sd->args[1],
			(unsigned long long)sd->args[2], got, want);
	return got;
}

/* The semantics, spelled out on small policies whose answers follow from
 * the documentation (numbers from the kernel tables through lookup). */
static void test_semantics(void)
{
	struct bpftk_cbpf_insn *prog = NULL;
	size_t n = 0;
	long bad = 0;
	const char *text =
		"arch x86_64 i386\n"
		"default errno 1\n"
		"badarch kill_thread\n"
		"allow read, write close\n"
		"write: kill_thread            # shadowed by the allow above\n"
		"openat: errno 13 if arg2 & 0x3 == 0x1\n"
		"openat: trap 7 if arg2 & 3 != 0 && arg1 > 0xffffffff\n"
		"openat: allow\n"
		"kill: trace 9 if arg0 in 100..200\n"
		"mmap@x86_64: log if arg0 < -4096 and arg1 >= 0x100000000\n"
		"socketcall@i386: notify\n"
		"1000: allow\n";
	struct bpftk_seccomp_policy *p = compile_text(text, &prog, &n);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ_U64(bpftk_seccomp_policy_arches(p),
		     (1u << BPFTK_SECCOMP_X86_64) | (1u << BPFTK_SECCOMP_I386));
	struct bpftk_seccomp_data sd;
	const uint32_t x64 = BPFTK_AUDIT_ARCH_X86_64;
	int nr_openat = bpftk_seccomp_syscall_lookup(BPFTK_SECCOMP_X86_64,
						     "openat");
	int nr_write = bpftk_seccomp_syscall_lookup(BPFTK_SECCOMP_X86_64,
						    "write");
	int nr_kill = bpftk_seccomp_syscall_lookup(BPFTK_SECCOMP_X86_64,
						   "kill");
	int nr_mmap = bpftk_seccomp_syscall_lookup(BPFTK_SECCOMP_X86_64,
						   "mmap");
	int nr_sc = bpftk_seccomp_syscall_lookup(BPFTK_SECCOMP_I386,
						 "socketcall");
	static const struct {
		int which; /* 0 openat 1 write 2 kill 3 mmap 4 i386 socketcall */
		uint64_t a0, a1, a2;
		uint32_t want;
	} cases[] = {
		{0, 0, 0, 1, BPFTK_SECCOMP_RET_ERRNO | 13},
		{0, 0, 0, 0x100000001ull, BPFTK_SECCOMP_RET_ERRNO | 13},
		{0, 0, 0, 0x2, BPFTK_SECCOMP_RET_ALLOW},
		{0, 0, 0x100000000ull, 0x2, BPFTK_SECCOMP_RET_TRAP | 7},
		{0, 0, 0xffffffffull, 0x2, BPFTK_SECCOMP_RET_ALLOW},
		{0, 0, 0, 0, BPFTK_SECCOMP_RET_ALLOW},
		{1, 0, 0, 0, BPFTK_SECCOMP_RET_ALLOW},
		{2, 99, 0, 0, BPFTK_SECCOMP_RET_ERRNO | 1},
		{2, 100, 0, 0, BPFTK_SECCOMP_RET_TRACE | 9},
		{2, 200, 0, 0, BPFTK_SECCOMP_RET_TRACE | 9},
		{2, 201, 0, 0, BPFTK_SECCOMP_RET_ERRNO | 1},
		{2, 0x100000064ull, 0, 0, BPFTK_SECCOMP_RET_ERRNO | 1},
		{3, 0xfffffffffffff000ull, 0x100000000ull, 0,
		 BPFTK_SECCOMP_RET_ERRNO | 1},
		{3, 0xffffffffffffefffull, 0x100000000ull, 0,
		 BPFTK_SECCOMP_RET_LOG},
		{3, 0xffffffffffffefffull, 0xffffffffull, 0,
		 BPFTK_SECCOMP_RET_ERRNO | 1},
		{4, 0, 0, 0, BPFTK_SECCOMP_RET_USER_NOTIF},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&sd, 0, sizeof(sd));
		const int nrs[] = {nr_openat, nr_write, nr_kill, nr_mmap, nr_sc};
		sd.nr = nrs[cases[i].which];
		sd.arch = cases[i].which == 4 ? BPFTK_AUDIT_ARCH_I386 : x64;
		sd.args[0] = cases[i].a0;
		sd.args[1] = cases[i].a1;
		sd.args[2] = cases[i].a2;
		CHECK_EQ_U64(bpftk_seccomp_eval(p, &sd), cases[i].want);
		CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad), cases[i].want);
	}
	/* i386 compares the low half only: 0x100000001 & 3 == 1 there too */
	memset(&sd, 0, sizeof(sd));
	sd.arch = BPFTK_AUDIT_ARCH_I386;
	sd.nr = bpftk_seccomp_syscall_lookup(BPFTK_SECCOMP_I386, "openat");
	sd.args[2] = 0x100000002ull;
	sd.args[1] = 0x100000000ull; /* low half 0: not > 0xffffffff */
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad), BPFTK_SECCOMP_RET_ALLOW);
	/* numbers: 1000 on both, mmap@x86_64 not on i386 */
	sd.nr = 1000;
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad), BPFTK_SECCOMP_RET_ALLOW);
	sd.nr = nr_mmap; /* i386's number nr_mmap is some other call */
	CHECK(verdict(p, prog, n, &sd, &bad) != BPFTK_SECCOMP_RET_LOG);
	/* foreign architecture, x32, negative numbers */
	sd.arch = BPFTK_AUDIT_ARCH_AARCH64;
	sd.nr = 0;
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad),
		     BPFTK_SECCOMP_RET_KILL_THREAD);
	sd.arch = x64;
	sd.nr = (int32_t)(BPFTK_X32_SYSCALL_BIT | 0);
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad),
		     BPFTK_SECCOMP_RET_KILL_THREAD);
	sd.nr = -2;
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad),
		     BPFTK_SECCOMP_RET_KILL_THREAD);
	sd.nr = INT32_MIN; /* negative, bit 30 clear: still foreign */
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad),
		     BPFTK_SECCOMP_RET_KILL_THREAD);
	sd.nr = -1; /* no syscall: default */
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad),
		     BPFTK_SECCOMP_RET_ERRNO | 1);
	sd.arch = BPFTK_AUDIT_ARCH_I386;
	CHECK_EQ_U64(verdict(p, prog, n, &sd, &bad),
		     BPFTK_SECCOMP_RET_ERRNO | 1);
	CHECK_EQ_U64(bad, 0);
	bpftk_seccomp_free(prog);
	bpftk_seccomp_policy_free(p);
}

/* ---- random policies, compiled vs meant --------------------------------- */

static const char *const actions[] = {
	"allow", "kill", "kill_thread", "trap", "trap 3", "errno 1",
	"errno 4095", "trace", "trace 77", "log", "notify", "kill_process",
};
static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};

/* A random policy text; consts[] gets the constants it compares with. */
static char *random_policy(unsigned *arches, uint64_t *consts, size_t *nconst)
{
	char *s = NULL;
	size_t len = 0;
	*nconst = 0;
	*arches = 0;
	while (!*arches)
		*arches = (unsigned)(rnd() % 8);
	append(&s, &len, "arch");
	for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
		if (*arches >> a & 1)
			append(&s, &len, " %s",
			       bpftk_seccomp_arch_name((enum bpftk_seccomp_arch)a));
	append(&s, &len, "\ndefault %s\n", actions[rnd() % 12]);
	if (rnd() % 2)
		append(&s, &len, "badarch %s\n", actions[rnd() % 12]);
	int nrules = (int)(rnd() % 40);
	for (int r = 0; r < nrules; r++) {
		int a;
		do
			a = (int)(rnd() % BPFTK_SECCOMP_NARCH);
		while (!(*arches >> a & 1));
		const char *name;
		bpftk_seccomp_syscall_get(
			(enum bpftk_seccomp_arch)a,
			rnd() % (rnd() % 2 ? 12 : bpftk_seccomp_syscall_count(
							   (enum bpftk_seccomp_arch)a)),
			&name, NULL);
		char sys[80];
		if (rnd() % 10 == 0)
			snprintf(sys, sizeof(sys), "%u", (unsigned)(rnd() % 600));
		else if (rnd() % 5 == 0)
			snprintf(sys, sizeof(sys), "%s@%s", name,
				 bpftk_seccomp_arch_name((enum bpftk_seccomp_arch)a));
		else
			snprintf(sys, sizeof(sys), "%s", name);
		const char *act = actions[rnd() % 12];
		/* "trap 262" would be trap with data 262: numbers go in
		 * the rule form */
		if (rnd() % 2 && !(sys[0] >= '0' && sys[0] <= '9'))
			append(&s, &len, "%s %s", act, sys);
		else
			append(&s, &len, "%s: %s", sys, act);
		int nc = (int)(rnd() % 4);
		for (int c = 0; c < nc; c++) {
			uint64_t k = interesting();
			append(&s, &len, c ? " and" : " if");
			int arg = (int)(rnd() % 6);
			if (rnd() % 6 == 0) {
				uint64_t k2 = k + rnd() % 1000;
				if (k2 < k)
					k2 = UINT64_MAX;
				append(&s, &len, " arg%d in 0x%llx..%llu", arg,
				       (unsigned long long)k,
				       (unsigned long long)k2);
				consts[(*nconst)++] = k2;
			} else if (rnd() % 4 == 0) {
				uint64_t m = interesting();
				append(&s, &len, " arg%d & 0x%llx %s %llu", arg,
				       (unsigned long long)m, ops[rnd() % 6],
				       (unsigned long long)k);
			} else {
				append(&s, &len, " arg%d %s 0x%llx", arg,
				       ops[rnd() % 6], (unsigned long long)k);
			}
			consts[(*nconst)++] = k;
		}
		append(&s, &len, "\n");
	}
	return s;
}

static void test_random(void)
{
	long runs = 0, bad = 0, policies = 0, insns = 0;
	for (int iter = 0; iter < 300; iter++) {
		unsigned arches;
		uint64_t consts[200];
		size_t nconst;
		char *text = random_policy(&arches, consts, &nconst);
		struct bpftk_cbpf_insn *prog = NULL;
		size_t n = 0;
		struct bpftk_seccomp_policy *p = compile_text(text, &prog, &n);
		CHECK(p != NULL);
		if (!p) {
			free(text);
			continue;
		}
		policies++;
		insns += (long)n;
		long before = bad;
		static const uint32_t foreign[] = {
			BPFTK_AUDIT_ARCH_X86_64, BPFTK_AUDIT_ARCH_I386,
			BPFTK_AUDIT_ARCH_AARCH64, 0x40000028u /* arm */, 0};
		for (size_t f = 0; f < sizeof(foreign) / sizeof(foreign[0]);
		     f++) {
			struct bpftk_seccomp_data sd;
			for (int nr = -2; nr < 620; nr++) {
				for (int k = 0; k < 4; k++) {
					memset(&sd, 0, sizeof(sd));
					sd.arch = foreign[f];
					sd.nr = nr;
					if (nr == 618)
						sd.nr = (int32_t)rnd();
					if (nr == 619)
						sd.nr = (int32_t)(BPFTK_X32_SYSCALL_BIT |
								  (rnd() % 600));
					for (int i = 0; i < 6; i++)
						sd.args[i] = near(consts, nconst);
					verdict(p, prog, n, &sd, &bad);
					runs++;
				}
			}
		}
		if (bad != before)
			fprintf(stderr, "in policy:\n%s\n", text);
		free(text);
		bpftk_seccomp_free(prog);
		bpftk_seccomp_policy_free(p);
	}
	printf("random: %ld policies (%ld instructions), %ld inputs, "
	       "%ld mismatches\n",
	       policies, insns, runs, bad);
	CHECK_EQ_U64(bad, 0);
}

/* ---- long filters -------------------------------------------------------- */

static void test_long(void)
{
	/* every x86_64 syscall with its own condition: the shared returns
	 * sit far behind the search tree and the chains */
	char *s = NULL;
	size_t len = 0, count = bpftk_seccomp_syscall_count(BPFTK_SECCOMP_X86_64);
	append(&s, &len, "arch x86_64\ndefault kill\n");
	for (size_t i = 0; i < count; i++) {
		const char *name;
		bpftk_seccomp_syscall_get(BPFTK_SECCOMP_X86_64, i, &name, NULL);
		append(&s, &len, "%s: %s if arg0 == %zu\n", name,
		       actions[i % 12], i);
	}
	struct bpftk_cbpf_insn *prog = NULL;
	size_t n = 0;
	long bad = 0;
	struct bpftk_seccomp_policy *p = compile_text(s, &prog, &n);
	CHECK(p != NULL);
	if (p) {
		CHECK(n > 1000);
		for (size_t i = 0; i < count; i++) {
			struct bpftk_seccomp_data sd;
			memset(&sd, 0, sizeof(sd));
			sd.arch = BPFTK_AUDIT_ARCH_X86_64;
			bpftk_seccomp_syscall_get(BPFTK_SECCOMP_X86_64, i, NULL,
						  &sd.nr);
			for (uint64_t v = i - 1; v != i + 2; v++) {
				sd.args[0] = v;
				verdict(p, prog, n, &sd, &bad);
				sd.args[0] = v | 0x100000000ull;
				verdict(p, prog, n, &sd, &bad);
			}
		}
		CHECK_EQ_U64(bad, 0);
		printf("long: %zu rules, %zu instructions\n", count, n);
	}
	bpftk_seccomp_free(prog);
	bpftk_seccomp_policy_free(p);
	free(s);

	/* too long for BPF_MAXINSNS */
	s = NULL;
	len = 0;
	append(&s, &len, "arch x86_64\ndefault kill\n");
	for (int i = 0; i < 1500; i++)
		append(&s, &len, "read: allow if arg0 == %d and arg1 == 1\n", i);
	struct bpftk_diags *d = bpftk_diags_new();
	CHECK_EQ_U64(bpftk_seccomp_parse(s, NULL, &p, d), 0);
	CHECK_EQ_U64(bpftk_seccomp_compile(p, &prog, &n, d), -E2BIG);
	CHECK(bpftk_diags_errors(d) == 1 &&
	      strstr(bpftk_diags_get(d, 0)->msg, "4096"));
	bpftk_diags_free(d);
	bpftk_seccomp_policy_free(p);
	free(s);
}

/* ---- out of memory -------------------------------------------------------- */

static void test_alloc_failures(void)
{
	const char *text = "arch x86_64 i386 aarch64\ndefault kill\n"
			   "allow read write close exit_group\n"
			   "openat: errno 2 if arg2 & 3 == 1 and arg1 > 7\n"
			   "openat: allow\n";
	long failures = 0, ok = 0;
	for (fail_at = 1;; fail_at++) {
		calls = live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_seccomp_policy *p = NULL;
		struct bpftk_cbpf_insn *prog = NULL;
		size_t n = 0;
		int err = d ? bpftk_seccomp_parse(text, NULL, &p, d) : -ENOMEM;
		if (!err)
			err = bpftk_seccomp_compile(p, &prog, &n, d);
		bpftk_seccomp_free(prog);
		bpftk_seccomp_policy_free(p);
		bpftk_diags_free(d);
		bpftk_set_allocator(NULL, NULL, NULL);
		CHECK(err == 0 || err == -ENOMEM);
		CHECK_EQ_U64(live, 0);
		if (err == 0) {
			ok = 1;
			break;
		}
		failures++;
	}
	CHECK(ok);
	printf("alloc: %ld failing allocations each gave -ENOMEM\n", failures);
}

TEST_MAIN({
	test_errors();
	test_semantics();
	test_random();
	test_long();
	test_alloc_failures();
})
