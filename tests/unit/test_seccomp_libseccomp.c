/* test_seccomp_libseccomp.c — bpftk's seccomp compiler against libseccomp
 * (an implementation we did not write), with bpftk's classic interpreter
 * running both programs:
 *  - the syscall tables: every row of ours resolves to the same number in
 *    libseccomp, and every number libseccomp names (0..1023) is ours too;
 *  - random policies built both ways (our text; seccomp_init,
 *    seccomp_rule_add_array, seccomp_export_bpf) give the same action for
 *    every syscall number 0..619 of each architecture, foreign
 *    architectures, x32 and negative numbers, and argument values at,
 *    around and high-half-flipped from each constant;
 *  - a few realistic policies the same way, with instruction counts ours
 *    vs libseccomp (default and binary-tree optimization) printed;
 *  - the kernel accepts every filter of ours (forked child installs it).
 * Policies avoid what the two languages mean differently: first-match
 * order (one rule per syscall), rules with the default action (libseccomp
 * refuses them), trap data, syscall numbers and name@arch, and on i386 the
 * socket/ipc calls that libseccomp also rewrites into socketcall/ipc.
 * Built with BPFTK_HAVE_LIBSECCOMP when CMake finds libseccomp, else
 * skipped (77). */
#include "test_seccomp_util.h"

#ifndef BPFTK_HAVE_LIBSECCOMP
TEST_MAIN({
	printf("skip: built without libseccomp\n");
	return 77;
})
#else
#include <seccomp.h>

static const uint32_t audits[BPFTK_SECCOMP_NARCH] = {
	BPFTK_AUDIT_ARCH_X86_64, BPFTK_AUDIT_ARCH_I386,
	BPFTK_AUDIT_ARCH_AARCH64};

static void test_tables(void)
{
	for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++) {
		size_t rows = bpftk_seccomp_syscall_count(
			(enum bpftk_seccomp_arch)a);
		long same = 0, unknown = 0, differ = 0, theirs_only = 0;
		long newer = 0; /* past our table's end: newer kernels */
		int maxnr = 0;
		bpftk_seccomp_syscall_get((enum bpftk_seccomp_arch)a, rows - 1,
					  NULL, &maxnr);
		for (size_t i = 0; i < rows; i++) {
			const char *name;
			int nr;
			bpftk_seccomp_syscall_get((enum bpftk_seccomp_arch)a, i,
						  &name, &nr);
			int r = seccomp_syscall_resolve_name_arch(audits[a],
								  name);
			if (r == nr) {
				same++;
			} else if (r < 0) {
				unknown++;
			} else {
				differ++;
				fprintf(stderr, "%s %s: ours %d, libseccomp %d\n",
					bpftk_seccomp_arch_name(
						(enum bpftk_seccomp_arch)a),
					name, nr, r);
			}
		}
		for (int nr = 0; nr < 1024; nr++) {
			char *name = seccomp_syscall_resolve_num_arch(audits[a],
								      nr);
			if (!name)
				continue;
			int ours = bpftk_seccomp_syscall_lookup(
				(enum bpftk_seccomp_arch)a, name);
			if (ours < 0 && nr <= maxnr) {
				theirs_only++;
				fprintf(stderr, "%s %s %d: not ours\n",
					bpftk_seccomp_arch_name(
						(enum bpftk_seccomp_arch)a),
					name, nr);
			} else if (ours < 0) {
				newer++;
			}
			else if (ours != nr)
				differ++;
			free(name);
		}
		printf("table %s: %zu rows, %ld same number in libseccomp, "
		       "%ld unknown to it; libseccomp-only names: %ld within "
		       "our range, %ld above it (newer than our UAPI "
		       "headers); %ld different\n",
		       bpftk_seccomp_arch_name((enum bpftk_seccomp_arch)a), rows,
		       same, unknown, theirs_only, newer, differ);
		CHECK_EQ_U64(differ, 0);
		CHECK_EQ_U64(theirs_only, 0);
		CHECK(same > (long)rows * 9 / 10);
	}
}

/* libseccomp's filter for ctx, read back from seccomp_export_bpf. */
static struct bpftk_cbpf_insn *export(scmp_filter_ctx ctx, size_t *n)
{
	FILE *f = tmpfile();
	struct bpftk_cbpf_insn *prog = NULL;
	long len;
	*n = 0;
	if (!f)
		return NULL;
	if (seccomp_export_bpf(ctx, fileno(f)) == 0 &&
	    (len = lseek(fileno(f), 0, SEEK_END)) > 0 &&
	    lseek(fileno(f), 0, SEEK_SET) == 0) {
		prog = malloc((size_t)len);
		if (prog && fread(prog, 1, (size_t)len, f) == (size_t)len) {
			*n = (size_t)len / sizeof(*prog);
		} else {
			free(prog);
			prog = NULL;
		}
	}
	fclose(f);
	return prog;
}

static const uint32_t action_vals[] = {
	BPFTK_SECCOMP_RET_ALLOW,	BPFTK_SECCOMP_RET_KILL_PROCESS,
	BPFTK_SECCOMP_RET_KILL_THREAD,	BPFTK_SECCOMP_RET_TRAP,
	BPFTK_SECCOMP_RET_ERRNO | 1,	BPFTK_SECCOMP_RET_ERRNO | 4095,
	BPFTK_SECCOMP_RET_TRACE,	BPFTK_SECCOMP_RET_TRACE | 77,
	BPFTK_SECCOMP_RET_LOG,		BPFTK_SECCOMP_RET_USER_NOTIF,
};
static const char *const action_text[] = {
	"allow", "kill", "kill_thread", "trap", "errno 1", "errno 4095",
	"trace", "trace 77", "log", "notify",
};
#define NACT (sizeof(action_vals) / sizeof(action_vals[0]))

/* names libseccomp turns into socketcall()/ipc() rules too on i386 */
static int muxed_on_i386(const char *name)
{
	static const char *const muxed[] = {
		"socket", "bind", "connect", "listen", "accept", "getsockname",
		"getpeername", "socketpair", "send", "recv", "sendto",
		"recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg",
		"recvmsg", "accept4", "recvmmsg", "sendmmsg", "socketcall",
		"semop", "semget", "semctl", "semtimedop", "msgsnd", "msgrcv",
		"msgget", "msgctl", "shmat", "shmdt", "shmget", "shmctl",
		"ipc"};
	for (size_t i = 0; i < sizeof(muxed) / sizeof(muxed[0]); i++)
		if (!strcmp(name, muxed[i]))
			return 1;
	return 0;
}

struct both {
	char *text;
	size_t len;
	scmp_filter_ctx ctx;
	unsigned arches;
	uint64_t consts[200];
	size_t nconst;
	long skipped; /* rules libseccomp refused */
};

static int both_init(struct both *b, unsigned arches, int def, int badarch)
{
	memset(b, 0, sizeof(*b));
	b->arches = arches;
	b->ctx = seccomp_init(action_vals[def]);
	if (!b->ctx) /* it refuses notify as the default */
		return -1;
	seccomp_arch_remove(b->ctx, SCMP_ARCH_NATIVE);
	append(&b->text, &b->len, "arch");
	for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
		if (arches >> a & 1) {
			seccomp_arch_add(b->ctx, audits[a]);
			append(&b->text, &b->len, " %s",
			       bpftk_seccomp_arch_name((enum bpftk_seccomp_arch)a));
		}
	append(&b->text, &b->len, "\ndefault %s\n", action_text[def]);
	if (badarch >= 0 && seccomp_attr_set(b->ctx, SCMP_FLTATR_ACT_BADARCH,
					     action_vals[badarch]) == 0) {
		append(&b->text, &b->len, "badarch %s\n", action_text[badarch]);
	} else { /* libseccomp's own default (it refuses some actions
		  * there): kill the thread */
		append(&b->text, &b->len, "badarch kill_thread\n");
	}
	return 0;
}

static const char *const op_text[] = {"", "!=", "<", "<=", "==", ">=", ">"};

/* One rule both ways; a rule libseccomp refuses is left out of both. */
static void both_rule(struct both *b, const char *name, int act,
		      const struct scmp_arg_cmp *c, unsigned nc)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR ||
	    seccomp_rule_add_array(b->ctx, action_vals[act], nr, nc, c) < 0) {
		b->skipped++;
		return;
	}
	append(&b->text, &b->len, "%s: %s", name, action_text[act]);
	for (unsigned i = 0; i < nc; i++) {
		append(&b->text, &b->len, i ? " and " : " if ");
		if (c[i].op == SCMP_CMP_MASKED_EQ)
			append(&b->text, &b->len, "arg%u & 0x%llx == 0x%llx",
			       c[i].arg, (unsigned long long)c[i].datum_a,
			       (unsigned long long)c[i].datum_b);
		else
			append(&b->text, &b->len, "arg%u %s 0x%llx", c[i].arg,
			       op_text[c[i].op],
			       (unsigned long long)c[i].datum_a);
		b->consts[b->nconst++] = c[i].datum_a;
		if (c[i].op == SCMP_CMP_MASKED_EQ)
			b->consts[b->nconst++] = c[i].datum_b;
	}
	append(&b->text, &b->len, "\n");
}

/* Whether some conditional jump of prog may run with A holding
 * seccomp_data.arch while comparing it with something other than an
 * AUDIT_ARCH value: a filter that tests syscall numbers against the
 * architecture word (a libseccomp 2.5.4 code generation defect seen with
 * several architectures).  Forward-only flow: one pass in order. */
static int compares_arch_as_nr(const struct bpftk_cbpf_insn *prog, size_t n)
{
	enum { A_ARCH = 1, A_OTHER = 2 };
	unsigned char *st = calloc(n + 1, 1);
	int bad = 0;
	if (!st)
		return 0;
	st[0] = A_OTHER;
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpftk_cbpf_insn *i = &prog[pc];
		unsigned s = st[pc];
		if (!s)
			continue; /* unreachable */
		unsigned cls = BPFTK_CBPF_CLASS(i->code);
		if (cls == BPFTK_CBPF_LD)
			s = i->code == (BPFTK_CBPF_LD | BPFTK_CBPF_W |
					BPFTK_CBPF_ABS) &&
					    i->k == 4
				    ? A_ARCH
				    : A_OTHER;
		else if (cls == BPFTK_CBPF_ALU || cls == BPFTK_CBPF_MISC)
			s = A_OTHER;
		if (cls == BPFTK_CBPF_JMP &&
		    (i->code & 0xf0) == BPFTK_CBPF_JA) {
			if (pc + 1 + i->k <= n)
				st[pc + 1 + i->k] |= (unsigned char)s;
		} else if (cls == BPFTK_CBPF_JMP) {
			int audit = 0;
			for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
				audit |= i->k == audits[a];
			if ((s & A_ARCH) && !audit && i->k != 0x40000028u)
				bad = 1;
			if (pc + 1 + i->jt <= n)
				st[pc + 1 + i->jt] |= (unsigned char)s;
			if (pc + 1 + i->jf <= n)
				st[pc + 1 + i->jf] |= (unsigned char)s;
		} else if (cls != BPFTK_CBPF_RET) {
			st[pc + 1] |= (unsigned char)s;
		}
	}
	free(st);
	return bad;
}

/* Instructions on the longest path through prog (all jumps go forward,
 * so one backward pass). */
static long longest_path(const struct bpftk_cbpf_insn *prog, size_t n)
{
	long *len = calloc(n + 1, sizeof(long));
	long best;
	if (!len || !n) {
		free(len);
		return 0;
	}
	for (size_t pc = n; pc-- > 0;) {
		const struct bpftk_cbpf_insn *i = &prog[pc];
		unsigned cls = BPFTK_CBPF_CLASS(i->code);
		long next = 0;
		if (cls == BPFTK_CBPF_RET)
			next = 0;
		else if (cls == BPFTK_CBPF_JMP &&
			 (i->code & 0xf0) == BPFTK_CBPF_JA)
			next = pc + 1 + i->k < n ? len[pc + 1 + i->k] : 0;
		else if (cls == BPFTK_CBPF_JMP) {
			long a = pc + 1 + i->jt < n ? len[pc + 1 + i->jt] : 0;
			long b = pc + 1 + i->jf < n ? len[pc + 1 + i->jf] : 0;
			next = a > b ? a : b;
		} else
			next = pc + 1 < n ? len[pc + 1] : 0;
		len[pc] = 1 + next;
	}
	best = len[0];
	free(len);
	return best;
}

struct totals {
	long path_ours, path_theirs, path_max_ours, path_max_theirs;
	long defective, defect_mismatches;
	long policies, inputs, mismatches, kernel_ok, kernel_no, skipped;
	long ours, theirs, theirs_tree, shorter, longer;
};

/* Compiles both, compares them on every input, counts. */
static void both_check(struct both *b, struct totals *t, const char *label)
{
	struct bpftk_cbpf_insn *ours = NULL, *theirs = NULL, *tree = NULL;
	size_t n_ours = 0, n_theirs = 0, n_tree = 0;
	struct bpftk_seccomp_policy *p = compile_text(b->text, &ours, &n_ours);
	theirs = export(b->ctx, &n_theirs);
	seccomp_attr_set(b->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	tree = export(b->ctx, &n_tree);
	CHECK(p != NULL);
	CHECK(theirs != NULL);
	if (!p || !theirs)
		goto out;
	CHECK_EQ_U64(bpftk_cbpf_validate(theirs, n_theirs, BPFTK_CBPF_SECCOMP,
					 NULL),
		     0);
	t->policies++;
	t->skipped += b->skipped;
	t->ours += (long)n_ours;
	t->theirs += (long)n_theirs;
	t->theirs_tree += (long)(tree ? n_tree : n_theirs);
	size_t best = tree && n_tree < n_theirs ? n_tree : n_theirs;
	t->shorter += n_ours < best;
	t->longer += n_ours > best;
	long po = longest_path(ours, n_ours), pt = longest_path(theirs, n_theirs);
	t->path_ours += po;
	t->path_theirs += pt;
	if (po > t->path_max_ours)
		t->path_max_ours = po;
	if (pt > t->path_max_theirs)
		t->path_max_theirs = pt;
	if (label)
		printf("policy %-13s ours %4zu insns (longest path %3ld), "
		       "libseccomp %4zu (path %3ld; binary tree %4zu)\n",
		       label, n_ours, po, n_theirs, pt, tree ? n_tree : 0);
	int defective = compares_arch_as_nr(theirs, n_theirs);
	t->defective += defective;
	long before = t->mismatches;
	static const uint32_t arches[] = {
		BPFTK_AUDIT_ARCH_X86_64, BPFTK_AUDIT_ARCH_I386,
		BPFTK_AUDIT_ARCH_AARCH64, 0x40000028u /* arm */, 0};
	for (size_t f = 0; f < sizeof(arches) / sizeof(arches[0]); f++)
		for (int nr = -2; nr < 620; nr++)
			for (int k = 0; k < 3; k++) {
				struct bpftk_seccomp_data sd;
				memset(&sd, 0, sizeof(sd));
				sd.arch = arches[f];
				sd.nr = nr == 619 ? (int32_t)(BPFTK_X32_SYSCALL_BIT |
							      (rnd() % 600))
					: nr == 618 ? (int32_t)rnd()
						    : nr;
				for (int i = 0; i < 6; i++)
					sd.args[i] = near(b->consts, b->nconst);
				uint32_t x = run_filter(ours, n_ours, &sd);
				uint32_t y = run_filter(theirs, n_theirs, &sd);
				t->inputs++;
				if (x == y)
					continue;
				if (defective) {
					/* judged by the policy's rules */
					t->defect_mismatches++;
					CHECK_EQ_U64(x, bpftk_seccomp_eval(p, &sd));
					continue;
				}
				if (++t->mismatches <= 5)
					fprintf(stderr,
						"arch 0x%x nr %d args %llx %llx "
						"%llx %llx %llx %llx: ours 0x%x, "
						"libseccomp 0x%x\n",
						sd.arch, sd.nr,
						(unsigned long long)sd.args[0],
						(unsigned long long)sd.args[1],
						(unsigned long long)sd.args[2],
						(unsigned long long)sd.args[3],
						(unsigned long long)sd.args[4],
						(unsigned long long)sd.args[5], x,
						y);
			}
	if (t->mismatches != before) {
		fprintf(stderr, "in policy:\n%s\n", b->text);
		char *l1 = NULL, *l2 = NULL;
		if (getenv("BPFTK_TEST_DUMP") &&
		    !bpftk_cbpf_disasm(ours, n_ours, &l1) &&
		    !bpftk_cbpf_disasm(theirs, n_theirs, &l2)) {
			fprintf(stderr, "ours:\n%slibseccomp:\n%s", l1, l2);
			seccomp_export_pfc(b->ctx, 2);
		}
		bpftk_cbpf_free(l1);
		bpftk_cbpf_free(l2);
	}
	int k = kernel_accepts(ours, n_ours);
	if (k == 0)
		t->kernel_ok++;
	else if (k > 0)
		t->kernel_no++;
out:
	bpftk_seccomp_free(ours);
	bpftk_seccomp_policy_free(p);
	free(theirs);
	free(tree);
	seccomp_release(b->ctx);
	free(b->text);
}

static int random_policy(struct both *b)
{
	unsigned arches = 0;
	while (!arches)
		arches = (unsigned)(rnd() % 8);
	int def;
	do
		def = (int)(rnd() % NACT);
	while (action_vals[def] == BPFTK_SECCOMP_RET_USER_NOTIF);
	if (both_init(b, arches, def, rnd() % 3 ? (int)(rnd() % NACT) : -1))
		return -1;
	int nrules = (int)(rnd() % 30);
	const char *used[32];
	int nused = 0;
	for (int r = 0; r < nrules; r++) {
		int a;
		do
			a = (int)(rnd() % BPFTK_SECCOMP_NARCH);
		while (!(arches >> a & 1));
		const char *name;
		size_t rows = bpftk_seccomp_syscall_count(
			(enum bpftk_seccomp_arch)a);
		bpftk_seccomp_syscall_get((enum bpftk_seccomp_arch)a,
					  rnd() % (rnd() % 2 ? 12 : rows), &name,
					  NULL);
		int dup = 0;
		for (int i = 0; i < nused; i++)
			dup |= !strcmp(used[i], name);
		if (dup || ((arches >> BPFTK_SECCOMP_I386 & 1) &&
			    muxed_on_i386(name)))
			continue;
		used[nused++] = name;
		int act;
		do
			act = (int)(rnd() % NACT);
		while (act == def);
		struct scmp_arg_cmp c[3];
		unsigned nc = (unsigned)(rnd() % 4);
		unsigned argmask = 0;
		for (unsigned i = 0; i < nc; i++) {
			unsigned arg;
			do
				arg = (unsigned)(rnd() % 6);
			while (argmask >> arg & 1);
			argmask |= 1u << arg;
			c[i].arg = arg;
			c[i].op = (enum scmp_compare)(1 + rnd() % 7);
			c[i].datum_a = interesting();
			c[i].datum_b = c[i].op == SCMP_CMP_MASKED_EQ
					       ? interesting() & c[i].datum_a
					       : 0;
		}
		both_rule(b, name, act, c, nc);
	}
	return 0;
}

/* allow every syscall of the table but a few: a container-like list */
static void big_allow_list(struct both *b, enum bpftk_seccomp_arch a)
{
	static const char *const denied[] = {
		"ptrace", "kexec_load", "init_module", "finit_module",
		"delete_module", "reboot", "swapon", "swapoff", "mount",
		"umount2", "pivot_root", "bpf", "perf_event_open", "add_key",
		"keyctl", "request_key", "userfaultfd", "acct", "settimeofday",
		"clock_settime", "open_by_handle_at", "lookup_dcookie",
		"quotactl", "setns", "unshare"};
	both_init(b, 1u << a, 4 /* errno 1 */, 1 /* kill */);
	for (size_t i = 0; i < bpftk_seccomp_syscall_count(a); i++) {
		const char *name;
		int deny = 0;
		bpftk_seccomp_syscall_get(a, i, &name, NULL);
		for (size_t j = 0; j < sizeof(denied) / sizeof(denied[0]); j++)
			deny |= !strcmp(name, denied[j]);
		if (!deny && !(a == BPFTK_SECCOMP_I386 && muxed_on_i386(name)))
			both_rule(b, name, 0, NULL, 0);
	}
}

static void test_policies(void)
{
	struct totals t;
	struct both b;
	memset(&t, 0, sizeof(t));
	/* realistic ones first, with their sizes */
	both_init(&b, 1u << BPFTK_SECCOMP_X86_64, 1 /* kill */, -1);
	static const char *const stdio[] = {"read", "write", "close", "fstat",
					    "lseek", "mmap", "munmap", "brk",
					    "exit_group", "rt_sigreturn"};
	for (size_t i = 0; i < sizeof(stdio) / sizeof(stdio[0]); i++)
		both_rule(&b, stdio[i], 0, NULL, 0);
	both_check(&b, &t, "stdio");
	both_init(&b, 1u << BPFTK_SECCOMP_X86_64, 1, -1);
	struct scmp_arg_cmp c[2] = {
		{0, SCMP_CMP_LE, 2, 0},
		{2, SCMP_CMP_MASKED_EQ, 3, 0}};
	for (size_t i = 0; i < sizeof(stdio) / sizeof(stdio[0]); i++)
		both_rule(&b, stdio[i], 0, c, i == 1 ? 1 : 0);
	both_rule(&b, "openat", 0, c + 1, 1);
	both_rule(&b, "ioctl", 4, c, 1);
	struct scmp_arg_cmp big = {1, SCMP_CMP_GT, 0x100000000ull, 0};
	both_rule(&b, "mprotect", 0, &big, 1);
	both_check(&b, &t, "stdio+args");
	for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++) {
		char label[32];
		snprintf(label, sizeof(label), "allow-%s",
			 bpftk_seccomp_arch_name((enum bpftk_seccomp_arch)a));
		big_allow_list(&b, (enum bpftk_seccomp_arch)a);
		both_check(&b, &t, label);
	}
	both_init(&b, 7, 4, 1);
	for (int i = 0; i < 60; i++) {
		const char *name;
		bpftk_seccomp_syscall_get(BPFTK_SECCOMP_AARCH64, (size_t)i * 5,
					  &name, NULL);
		if (!muxed_on_i386(name))
			both_rule(&b, name, 0, NULL, 0);
	}
	both_check(&b, &t, "3-arch");
	long named = t.policies;
	for (int i = 0; i < 200; i++) {
		if (random_policy(&b) == 0)
			both_check(&b, &t, NULL);
	}
	printf("differential: %ld policies (%ld named + random), %ld inputs, "
	       "%ld mismatches; %ld rules libseccomp refused left out\n",
	       t.policies, named, t.inputs, t.mismatches, t.skipped);
	printf("instructions: ours %ld, libseccomp %ld (binary tree %ld); "
	       "ours shorter than libseccomp's best on %ld policies, longer "
	       "on %ld\n",
	       t.ours, t.theirs, t.theirs_tree, t.shorter, t.longer);
	printf("longest paths: ours %ld in all (at most %ld), libseccomp %ld "
	       "(at most %ld)\n",
	       t.path_ours, t.path_max_ours, t.path_theirs, t.path_max_theirs);
	printf("libseccomp defect: %ld of its filters compare syscall numbers "
	       "with A = arch; %ld differences on those, all where ours "
	       "follows the policy's rules\n",
	       t.defective, t.defect_mismatches);
	printf("kernel: %ld of our filters installed, %ld refused\n",
	       t.kernel_ok, t.kernel_no);
	CHECK_EQ_U64(t.mismatches, 0);
	CHECK_EQ_U64(t.kernel_no, 0);
}

TEST_MAIN({
	test_tables();
	test_policies();
})
#endif
