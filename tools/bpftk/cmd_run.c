/* cmd_run.c — `bpftk run`: runs a program in the interpreter and prints r0.
 *
 * The program is raw bytecode (little-endian slots) or an ELF object (the
 * first executable section, or --section).  Memory comes from a file or hex
 * bytes; the program sees it as r1 = address, r2 = length, and it is also
 * the packet of legacy LD_ABS/LD_IND loads.  Checked mode is the default
 * (nothing verifies programs yet); --fast runs without checks.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpftk/elf.h>
#include <bpftk/isa.h>
#include <bpftk/vm.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk run [options] PROGRAM\n"
		"\n"
		"Runs PROGRAM (raw bytecode, or an ELF object) in the interpreter\n"
		"and prints \"r0 = 0x... (decimal)\".\n"
		"\n"
		"options:\n"
		"  --checked          check every memory access, count instructions\n"
		"                     against a budget (the default)\n"
		"  --fast             no checks: only for programs known to be safe\n"
		"  --budget N         instructions a checked run may execute\n"
		"                     (default %llu; 0 = unlimited)\n"
		"  --mem FILE         memory for the program: r1 = its address,\n"
		"                     r2 = its length (also the LD_ABS packet)\n"
		"  --mem-hex \"aa bb\"  the same memory given as hex bytes\n"
		"  --repeat N         run N times and print \"N runs, X ns/run\";\n"
		"                     memory is not reset between runs\n"
		"  --section NAME     ELF section to run (default: the first\n"
		"                     executable section)\n"
		"  -h, --help         this text\n"
		"\n"
		"exit codes: 0 ok, 1 program rejected, 2 usage, 3 fault at run time\n"
		"(bad memory access, budget, call depth: the diagnostic names the\n"
		"instruction), 4 I/O error\n",
		(unsigned long long)BPFTK_VM_DEFAULT_BUDGET);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "aa bb cc" or "aabbcc" (whitespace between bytes is optional). */
static int parse_hex(const char *s, unsigned char **out, size_t *len)
{
	unsigned char *buf = malloc(strlen(s) / 2 + 1);
	size_t n = 0;
	if (!buf)
		return -1;
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		int hi = hexval((unsigned char)s[0]);
		int lo = s[1] ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0) {
			free(buf);
			return -1;
		}
		buf[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*v = x;
	return 0;
}

/* The instructions of PROGRAM: raw slots, or a section of an ELF object.
 * Returns an exit code; *insns is malloc'ed. */
static int read_program(const char *path, const char *section,
			struct bpftk_insn **insns, size_t *n,
			struct bpftk_diags *d)
{
	size_t len;
	char *data = cli_read_file(path, &len);
	if (!data)
		return EXIT_IO;
	int rc = EXIT_OK;
	if (len >= 4 && !memcmp(data, "\177ELF", 4)) {
		struct bpftk_elf *e = NULL;
		long idx = -1;
		if (bpftk_elf_open_mem(data, len, path, &e, d)) {
			rc = EXIT_REJECTED;
			goto out;
		}
		if (section) {
			idx = bpftk_elf_section_by_name(e, section);
			if (idx < 0)
				cli_error("%s: no section '%s'", path, section);
		} else {
			for (size_t i = 1; i < bpftk_elf_section_count(e); i++) {
				struct bpftk_elf_shdr s;
				if (!bpftk_elf_section(e, i, &s) &&
				    (s.flags & BPFTK_SHF_EXECINSTR) && s.size) {
					idx = (long)i;
					break;
				}
			}
			if (idx < 0)
				cli_error("%s: no executable section", path);
		}
		struct bpftk_insn *tmp = NULL;
		if (idx < 0) {
			rc = EXIT_REJECTED;
		} else if (bpftk_elf_section_insns(e, (size_t)idx, &tmp, n, d)) {
			rc = EXIT_REJECTED;
		} else {
			size_t nrel = bpftk_elf_reloc_count(e, (size_t)idx);
			if (nrel)
				fprintf(stderr,
					"bpftk: note: %s: %zu relocation(s) of "
					"the section are not applied\n",
					path, nrel);
			*insns = malloc((*n ? *n : 1) * sizeof(**insns));
			if (!*insns) {
				cli_error("out of memory");
				rc = EXIT_IO;
			} else {
				memcpy(*insns, tmp, *n * sizeof(**insns));
			}
		}
		bpftk_elf_buf_free(tmp);
		bpftk_elf_close(e);
		goto out;
	}
	if (section) {
		cli_error("--section needs an ELF object; '%s' is raw bytecode",
			  path);
		rc = EXIT_USAGE;
		goto out;
	}
	*insns = malloc((len / 8 ? len / 8 : 1) * sizeof(**insns));
	if (!*insns) {
		cli_error("out of memory");
		rc = EXIT_IO;
		goto out;
	}
	long got = bpftk_isa_decode(data, len, 0, *insns, d, NULL);
	if (got < 0) {
		free(*insns);
		*insns = NULL;
		rc = EXIT_REJECTED;
	} else {
		*n = (size_t)got;
	}
out:
	free(data);
	return rc;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int cmd_run(int argc, char **argv)
{
	enum bpftk_vm_mode mode = BPFTK_VM_CHECKED;
	const char *mem_file = NULL, *mem_hex = NULL, *section = NULL;
	const char *prog = NULL;
	uint64_t repeat = 0, budget = 0;
	int have_budget = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (cli_is(a, "-h", "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--checked")) {
			mode = BPFTK_VM_CHECKED;
		} else if (!strcmp(a, "--fast")) {
			mode = BPFTK_VM_FAST;
		} else if (!strcmp(a, "--mem") && more) {
			mem_file = argv[++i];
		} else if (!strcmp(a, "--mem-hex") && more) {
			mem_hex = argv[++i];
		} else if (!strcmp(a, "--section") && more) {
			section = argv[++i];
		} else if (!strcmp(a, "--repeat") && more) {
			if (parse_u64(argv[++i], &repeat) || repeat == 0) {
				cli_error("run: --repeat needs a count of at "
					  "least 1, not '%s'",
					  argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--budget") && more) {
			if (parse_u64(argv[++i], &budget)) {
				cli_error("run: --budget needs a number, not "
					  "'%s'",
					  argv[i]);
				return EXIT_USAGE;
			}
			have_budget = 1;
		} else if (a[0] == '-' && a[1]) {
			cli_error("run: unknown option or missing value: '%s' "
				  "(try 'bpftk run --help')",
				  a);
			return EXIT_USAGE;
		} else if (prog) {
			cli_error("run: more than one PROGRAM ('%s', '%s')", prog,
				  a);
			return EXIT_USAGE;
		} else {
			prog = a;
		}
	}
	if (!prog) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (mem_file && mem_hex) {
		cli_error("run: --mem and --mem-hex exclude each other");
		return EXIT_USAGE;
	}

	unsigned char *mem = NULL;
	size_t mem_len = 0;
	if (mem_file) {
		mem = (unsigned char *)cli_read_file(mem_file, &mem_len);
		if (!mem)
			return EXIT_IO;
	} else if (mem_hex && parse_hex(mem_hex, &mem, &mem_len)) {
		cli_error("run: --mem-hex wants hex bytes like \"aa bb 0c\", "
			  "not '%s'",
			  mem_hex);
		return EXIT_USAGE;
	}

	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_insn *insns = NULL;
	size_t n = 0;
	struct bpftk_vm *vm = NULL;
	int rc = d ? read_program(prog, section, &insns, &n, d) : EXIT_IO;
	if (rc)
		goto out;

	struct bpftk_vm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.mode = mode;
	o.budget = have_budget ? (budget ? budget : BPFTK_VM_UNLIMITED) : 0;
	o.name = NULL;
	if (bpftk_vm_new(&o, &vm)) {
		cli_error("out of memory");
		rc = EXIT_IO;
		goto out;
	}
	int err = bpftk_vm_load(vm, insns, n, d);
	if (err) {
		rc = err == -ENOMEM ? EXIT_IO : EXIT_REJECTED;
		goto out;
	}
	uint64_t r0 = 0;
	double t0 = now_ns();
	err = bpftk_vm_run_mem(vm, mem, mem_len, &r0, d);
	for (uint64_t k = 1; !err && k < repeat; k++) {
		uint64_t again;
		err = bpftk_vm_run_mem(vm, mem, mem_len, &again, d);
	}
	double t1 = now_ns();
	if (err) {
		rc = EXIT_FAULT;
		goto out;
	}
	printf("r0 = 0x%" PRIx64 " (%" PRIu64 ")\n", r0, r0);
	if (repeat)
		printf("%" PRIu64 " runs, %.1f ns/run\n", repeat,
		       (t1 - t0) / (double)repeat);
out:
	cli_print_diags(d);
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	free(insns);
	free(mem);
	return rc;
}
