/* cmd_seccomp.c — `bpftk seccomp`: compile a policy (docs/seccomp-policy.md)
 * to a classic BPF filter, run a command under it, list syscall tables.
 *
 *   bpftk seccomp compile POLICY [-o F.bpf] [-d]
 *       -o: the raw struct sock_filter array (8 bytes per instruction, host
 *       byte order) as seccomp(2) takes it; -d (or no -o): the listing.
 *   bpftk seccomp run POLICY -- CMD [ARG...]
 *       no_new_privs, seccomp(SECCOMP_SET_MODE_FILTER), execvp(CMD): the
 *       exit status is the command's (127 when it cannot be executed).
 *   bpftk seccomp syscalls [ARCH]
 *       the name and number of every syscall of ARCH (default: native).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpftk/cbpf.h>
#include <bpftk/seccomp.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk seccomp compile POLICY [-o FILE] [-d]\n"
		"       bpftk seccomp run POLICY -- CMD [ARG...]\n"
		"       bpftk seccomp syscalls [ARCH]\n\n"
		"compile   the policy to a seccomp filter: -o writes the raw "
		"sock_filter\n"
		"          array, -d (default without -o) prints the listing\n"
		"run       installs the filter (no_new_privs + seccomp) and "
		"executes CMD;\n"
		"          the exit status is CMD's, 127 if it cannot be "
		"executed\n"
		"syscalls  lists the syscall table of ARCH (x86_64, i386, "
		"aarch64)\n\n"
		"The policy language is described in docs/seccomp-policy.md.\n");
}

/* Reads, parses and compiles path; prints diagnostics.  Exit code. */
static int build(const char *path, struct bpftk_seccomp_policy **p,
		 struct bpftk_cbpf_insn **prog, size_t *n)
{
	size_t len;
	char *text = cli_read_file(path, &len);
	struct bpftk_diags *d;
	int err;
	if (!text)
		return EXIT_IO;
	if (strlen(text) != len) {
		cli_error("'%s': the policy contains a NUL byte", path);
		free(text);
		return EXIT_REJECTED;
	}
	d = bpftk_diags_new();
	if (!d) {
		free(text);
		cli_error("out of memory");
		return EXIT_IO;
	}
	err = bpftk_seccomp_parse(text, path, p, d);
	if (!err)
		err = bpftk_seccomp_compile(*p, prog, n, d);
	cli_print_diags(d);
	bpftk_diags_free(d);
	free(text);
	if (err == -ENOMEM)
		cli_error("out of memory");
	return err ? EXIT_REJECTED : EXIT_OK;
}

static int do_compile(int argc, char **argv)
{
	const char *policy = NULL, *out = NULL;
	int listing = 0;
	for (int i = 2; i < argc; i++) {
		if (cli_is(argv[i], "-o", "--output") && i + 1 < argc) {
			out = argv[++i];
		} else if (cli_is(argv[i], "-d", "--listing")) {
			listing = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("seccomp compile: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (!policy) {
			policy = argv[i];
		} else {
			cli_error("seccomp compile: unexpected argument '%s'",
				  argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!policy) {
		cli_error("seccomp compile: no policy file");
		return EXIT_USAGE;
	}
	struct bpftk_seccomp_policy *p = NULL;
	struct bpftk_cbpf_insn *prog = NULL;
	size_t n = 0;
	int rc = build(policy, &p, &prog, &n);
	if (rc == EXIT_OK && out &&
	    cli_write_file(out, prog, n * sizeof(*prog)) < 0)
		rc = EXIT_IO;
	if (rc == EXIT_OK && (listing || !out)) {
		char *text = NULL;
		if (bpftk_cbpf_disasm(prog, n, &text) < 0) {
			cli_error("cannot list the filter");
			rc = EXIT_IO;
		} else {
			fputs(text, stdout);
		}
		bpftk_cbpf_free(text);
	}
	bpftk_seccomp_free(prog);
	bpftk_seccomp_policy_free(p);
	return rc;
}

static int do_run(int argc, char **argv)
{
	int cmd = 0;
	if (argc < 3) {
		cli_error("seccomp run: no policy file");
		return EXIT_USAGE;
	}
	for (int i = 3; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			cmd = i + 1;
			break;
		}
	if (!cmd || cmd >= argc) {
		cli_error("seccomp run: expected '-- CMD [ARG...]' after the "
			  "policy");
		return EXIT_USAGE;
	}
	struct bpftk_seccomp_policy *p = NULL;
	struct bpftk_cbpf_insn *prog = NULL;
	size_t n = 0;
	int rc = build(argv[2], &p, &prog, &n);
	if (rc != EXIT_OK)
		return rc;
	int native = bpftk_seccomp_arch_native();
	if (native < 0 || !(bpftk_seccomp_policy_arches(p) >> native & 1)) {
		cli_error("seccomp run: the policy does not cover this machine's "
			  "architecture (every call would get its badarch "
			  "action)");
		bpftk_seccomp_free(prog);
		bpftk_seccomp_policy_free(p);
		return EXIT_REJECTED;
	}
	bpftk_seccomp_policy_free(p);
	struct sock_fprog fp = {(unsigned short)n,
				(struct sock_filter *)(void *)prog};
	fflush(NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp)) {
		cli_error("seccomp run: cannot install the filter: %s",
			  strerror(errno));
		bpftk_seccomp_free(prog);
		return EXIT_REJECTED;
	}
	bpftk_seccomp_free(prog);
	execvp(argv[cmd], argv + cmd);
	/* the policy may deny this message's write too */
	cli_error("seccomp run: cannot execute '%s': %s", argv[cmd],
		  strerror(errno));
	return 127;
}

static int do_syscalls(int argc, char **argv)
{
	int a = argc > 2 ? bpftk_seccomp_arch_lookup(argv[2])
			 : bpftk_seccomp_arch_native();
	if (argc > 3 || a < 0) {
		if (argc > 2)
			cli_error("seccomp syscalls: unknown architecture '%s' "
				  "(x86_64, i386, aarch64)",
				  argv[2]);
		else
			cli_error("seccomp syscalls: no table for this "
				  "machine; name an architecture");
		return EXIT_USAGE;
	}
	size_t rows = bpftk_seccomp_syscall_count((enum bpftk_seccomp_arch)a);
	for (size_t i = 0; i < rows; i++) {
		const char *name;
		int nr;
		bpftk_seccomp_syscall_get((enum bpftk_seccomp_arch)a, i, &name,
					  &nr);
		printf("%s %d\n", name, nr);
	}
	return EXIT_OK;
}

int cmd_seccomp(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_is(argv[1], "-h", "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "compile"))
		return do_compile(argc, argv);
	if (!strcmp(argv[1], "run"))
		return do_run(argc, argv);
	if (!strcmp(argv[1], "syscalls"))
		return do_syscalls(argc, argv);
	cli_error("seccomp: unknown subcommand '%s' (compile, run, syscalls)",
		  argv[1]);
	return EXIT_USAGE;
}
