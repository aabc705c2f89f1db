/* cmd_verify.c — `bpftk verify`: runs the static verifier over the programs
 * of an ELF object (each, or one by --prog), raw bytecode or assembly text,
 * and says for each whether it is safe, and if not, why.
 *
 * An object's programs are checked as libbpf would load them, with their
 * maps and line info (bpftk_verify_object_prog); raw bytecode and assembly
 * are one program of the type given by --type (default: raw, r1 = memory,
 * r2 = its length, as `bpftk run` runs them).  The verdict line goes to
 * stdout, the diagnostics of a rejection to stderr; -v prints the
 * verifier's state at each instruction (its log) on stdout first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/asm.h>
#include <bpftk/isa.h>
#include <bpftk/object.h>
#include <bpftk/verifier.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk verify [options] FILE\n"
		"\n"
		"Proves the programs of FILE safe, or explains why they are not.\n"
		"FILE is an ELF object (every program, or the one named by\n"
		"--prog), raw bytecode (little-endian 8-byte slots) or BPF\n"
		"assembly text.  Prints for each program\n"
		"  prog NAME: accepted (N insns processed, T us)\n"
		"or the rejection: the instruction (index, disassembly, source\n"
		"line when the object has line info), the rule it breaks, the\n"
		"registers involved and the branch decisions that reach it.\n"
		"\n"
		"options:\n"
		"  --prog NAME    only this program (function) of the object\n"
		"  --type TYPE    program type (xdp, sched_cls, socket_filter,\n"
		"                 kprobe, ...; 'raw': r1 = memory, r2 = length);\n"
		"                 default: from the section name, raw for raw\n"
		"                 bytecode and assembly\n"
		"  --mem-size N   raw programs: bytes of memory r1 points to\n"
		"                 (r2 = N); default 0: no access through r1\n"
		"  --insn-limit N instructions the walk may process before it\n"
		"                 calls the program too complex (default\n"
		"                 4000000; the kernel's is 1000000)\n"
		"  -v, --verbose  the verifier's state at each instruction, in\n"
		"                 the notation of the kernel verifier's log\n"
		"  -h, --help     this text\n"
		"\n"
		"exit codes: 0 every program accepted, 1 a program rejected (or\n"
		"not readable as a program), 2 usage, 4 I/O error\n");
}

static void log_line(void *cookie, const char *line)
{
	(void)cookie;
	printf("%s\n", line);
}

/* Prints the verdict of one program; returns its exit code. */
static int report(const char *name, int err,
		  const struct bpftk_verify_result *res,
		  const struct bpftk_diags *d)
{
	const struct bpftk_verify_stats *st =
		res ? bpftk_verify_result_stats(res) : NULL;
	fflush(stdout);
	cli_print_diags(d);
	if (!err) {
		printf("prog %s: accepted (%" PRIu64 " insns processed, %" PRIu64
		       " us)\n",
		       name, st ? st->insns_processed : 0,
		       st ? (st->time_ns + 500) / 1000 : 0);
		return EXIT_OK;
	}
	switch (err) {
	case -EACCES:
	case -E2BIG:
		printf("prog %s: rejected\n", name);
		return EXIT_REJECTED;
	case -ENOMEM:
		cli_error("prog %s: out of memory", name);
		return EXIT_IO;
	case -EFAULT:
		printf("prog %s: not verified: internal verifier error (a bug "
		       "in bpftk, not in the program)\n",
		       name);
		return EXIT_REJECTED;
	default:
		printf("prog %s: not verified: %s\n", name, strerror(-err));
		return EXIT_REJECTED;
	}
}

/* The options every program of a command line gets (-v, --mem-size,
 * --insn-limit). */
static void base_opts(struct bpftk_verify_opts *vo, int verbose,
		      uint32_t mem_size, uint32_t insn_limit)
{
	memset(vo, 0, sizeof(*vo));
	vo->sz = sizeof(*vo);
	vo->raw_mem_size = mem_size;
	vo->insn_limit = insn_limit;
	if (verbose) {
		vo->flags |= BPFTK_VERIFY_LOG_STATES;
		vo->log = log_line;
	}
}

static int verify_object(const char *path, const char *prog, int have_type,
			 enum bpftk_prog_type type,
			 const struct bpftk_verify_opts *base)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_object *o = NULL;
	if (!d)
		return EXIT_IO;
	int err = bpftk_object_open_file(path, NULL, &o, d);
	if (err) {
		cli_print_diags(d);
		bpftk_diags_free(d);
		return err == -EIO || err == -ENOENT ? EXIT_IO : EXIT_REJECTED;
	}
	int rc = EXIT_OK, found = 0;
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, i);
		const char *name = bpftk_object_prog_name(p);
		if (prog && strcmp(prog, name))
			continue;
		found = 1;
		struct bpftk_verify_opts vo = *base;
		vo.name = name;
		vo.type = have_type ? type : bpftk_object_prog_type(p);
		vo.expected_attach_type = bpftk_object_prog_attach_type(p);
		struct bpftk_verify_result *res = NULL;
		bpftk_diags_clear(d);
		err = bpftk_verify_object_prog(o, p, &vo, &res, d);
		int prc = report(name, err, res, d);
		bpftk_verify_result_free(res);
		if (prc > rc)
			rc = prc;
	}
	if (!found) {
		if (prog)
			cli_error("verify: %s: no program named '%s'", path,
				  prog);
		else
			cli_error("verify: %s: the object has no programs",
				  path);
		rc = EXIT_REJECTED;
	}
	bpftk_object_close(o);
	bpftk_diags_free(d);
	return rc;
}

/* Text when it has no NUL byte and is not a whole number of slots or reads
 * like lines of printable characters. */
static int looks_like_text(const char *data, size_t len)
{
	size_t printable = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (!c)
			return 0;
		printable += (c >= 32 && c < 127) || c == '\n' || c == '\t' ||
			     c == '\r';
	}
	return len % 8 || printable == len;
}

static int verify_insns(const char *path, const char *data, size_t len,
			enum bpftk_prog_type type,
			const struct bpftk_verify_opts *base)
{
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d)
		return EXIT_IO;
	struct bpftk_insn *buf = NULL;
	const struct bpftk_insn *insns = NULL;
	struct bpftk_asm_result *ar = NULL;
	size_t n = 0;
	int rc = EXIT_OK;
	if (looks_like_text(data, len)) {
		struct bpftk_asm_opts ao;
		memset(&ao, 0, sizeof(ao));
		ao.sz = sizeof(ao);
		ao.filename = path;
		int err = bpftk_asm_assemble(data, len, &ao, &ar, d);
		const struct bpftk_asm_section *s =
			err ? NULL : bpftk_asm_result_section(ar, 0);
		if (err || !s) {
			if (!err)
				cli_error("verify: %s: no instructions", path);
			rc = err == -ENOMEM ? EXIT_IO : EXIT_REJECTED;
			goto out;
		}
		if (bpftk_asm_result_nsections(ar) > 1)
			fprintf(stderr,
				"bpftk: note: %s: verifying section '%s' only "
				"(assemble and link an object for the rest)\n",
				path, s->name);
		insns = s->insns;
		n = s->n;
	} else {
		buf = malloc((len / 8 ? len / 8 : 1) * sizeof(*buf));
		if (!buf) {
			rc = EXIT_IO;
			goto out;
		}
		long got = bpftk_isa_decode(data, len, 0, buf, d, NULL);
		if (got < 0) {
			rc = EXIT_REJECTED;
			goto out;
		}
		insns = buf;
		n = (size_t)got;
	}
	struct bpftk_verify_opts vo = *base;
	vo.name = path;
	vo.type = type;
	struct bpftk_verify_result *res = NULL;
	int err = bpftk_verify(insns, n, &vo, &res, d);
	rc = report(path, err, res, d); /* prints d */
	bpftk_verify_result_free(res);
	bpftk_diags_clear(d);
out:
	cli_print_diags(d); /* why it never reached the verifier */
	bpftk_asm_result_free(ar);
	free(buf);
	bpftk_diags_free(d);
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	const char *file = NULL, *prog = NULL;
	enum bpftk_prog_type type = BPFTK_PROG_TYPE_UNSPEC;
	int have_type = 0, verbose = 0;
	uint32_t mem_size = 0, insn_limit = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (cli_is(a, "-h", "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (cli_is(a, "-v", "--verbose")) {
			verbose = 1;
		} else if (!strcmp(a, "--prog") && more) {
			prog = argv[++i];
		} else if (!strcmp(a, "--mem-size") && more) {
			uint64_t v;
			if (cli_number(argv[++i], UINT32_MAX, &v)) {
				cli_error("verify: --mem-size needs a byte "
					  "count, not '%s'",
					  argv[i]);
				return EXIT_USAGE;
			}
			mem_size = (uint32_t)v;
		} else if (!strcmp(a, "--insn-limit") && more) {
			uint64_t v;
			if (cli_number(argv[++i], UINT32_MAX, &v) || !v) {
				cli_error("verify: --insn-limit needs a count "
					  "of at least 1, not '%s'",
					  argv[i]);
				return EXIT_USAGE;
			}
			insn_limit = (uint32_t)v;
		} else if (!strcmp(a, "--type") && more) {
			int t;
			if (cli_prog_type(argv[++i], &t)) {
				cli_bad_type("verify", argv[i]);
				return EXIT_USAGE;
			}
			type = (enum bpftk_prog_type)t;
			have_type = 1;
		} else if (cli_operand("verify", a, "FILE", &file)) {
			return EXIT_USAGE;
		}
	}
	if (!file) {
		usage(stderr);
		return EXIT_USAGE;
	}
	size_t len;
	char *data = cli_read_file(file, &len);
	if (!data)
		return EXIT_IO;
	int rc;
	struct bpftk_verify_opts base;
	base_opts(&base, verbose, mem_size, insn_limit);
	if (len >= 4 && !memcmp(data, "\177ELF", 4)) {
		rc = verify_object(file, prog, have_type, type, &base);
	} else if (prog) {
		cli_error("verify: --prog names a program of an ELF object; "
			  "'%s' is not one",
			  file);
		rc = EXIT_USAGE;
	} else {
		rc = verify_insns(file, data, len, type, &base);
	}
	free(data);
	return rc;
}
