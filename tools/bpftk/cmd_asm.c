/* cmd_asm.c — `bpftk asm`: assemble a file and write raw bytecode or an ELF
 * relocatable object.  A thin layer over bpftk_asm_assemble() and
 * bpftk_elf_write(); all diagnostics come from the library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/asm.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk asm [options] FILE\n"
		"\n"
		"Assembles BPF assembly (FILE '-' = standard input).\n"
		"\n"
		"options:\n"
		"  -d, --dialect D     llvm | conformance | auto (default auto):\n"
		"                      llvm = LLVM / kernel syntax (\"r0 = 1\"),\n"
		"                      also clang -S output and llvm-objdump listings;\n"
		"                      conformance = bpf_conformance syntax (\"mov %%r0, 1\")\n"
		"  -f, --format F      raw | elf (default raw)\n"
		"                      raw: the instructions, 8 bytes each\n"
		"                      elf: an EM_BPF relocatable object, one code\n"
		"                      section per input section\n"
		"  -o, --output OUT    output file (default standard output, not a terminal)\n"
		"  -j, --section NAME  raw output: the code section to write, when the\n"
		"                      input has several\n"
		"  -b, --big-endian    big-endian output (default little endian)\n"
		"  -l, --license STR   elf output: license string (default: the input's\n"
		"                      \"license\" section, if any)\n"
		"  -h, --help          this text\n"
		"\n"
		"exit codes: 0 ok, 1 the input was rejected (errors printed as\n"
		"file:line:col: error: ...), 2 usage error, 4 I/O error\n");
}

struct asm_args {
	const char *file, *out, *section, *license;
	enum bpftk_asm_dialect dialect;
	int elf, big_endian;
};

static int parse_args(int argc, char **argv, struct asm_args *a)
{
	memset(a, 0, sizeof(*a));
	a->out = "-";
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		int has_val = i + 1 < argc;
		if (cli_is(s, "-h", "--help")) {
			usage(stdout);
			return 1;
		} else if (cli_is(s, "-d", "--dialect") && has_val) {
			if (bpftk_asm_dialect_parse(argv[++i], &a->dialect)) {
				cli_error("asm: unknown dialect '%s' (llvm, "
					  "conformance or auto)",
					  argv[i]);
				return -1;
			}
		} else if (cli_is(s, "-f", "--format") && has_val) {
			const char *f = argv[++i];
			if (!strcmp(f, "raw") || !strcmp(f, "elf")) {
				a->elf = !strcmp(f, "elf");
			} else {
				cli_error("asm: unknown format '%s' (raw or elf)",
					  f);
				return -1;
			}
		} else if (cli_is(s, "-o", "--output") && has_val) {
			a->out = argv[++i];
		} else if (cli_is(s, "-j", "--section") && has_val) {
			a->section = argv[++i];
		} else if (cli_is(s, "-l", "--license") && has_val) {
			a->license = argv[++i];
		} else if (cli_is(s, "-b", "--big-endian")) {
			a->big_endian = 1;
		} else if (s[0] == '-' && s[1]) {
			cli_error("asm: unknown option or missing value: '%s' "
				  "(try 'bpftk asm --help')",
				  s);
			return -1;
		} else if (!a->file) {
			a->file = s;
		} else {
			cli_error("asm: more than one input file ('%s', '%s')",
				  a->file, s);
			return -1;
		}
	}
	if (!a->file) {
		cli_error("asm: no input file (try 'bpftk asm --help')");
		return -1;
	}
	return 0;
}

static int write_raw(const struct bpftk_asm_result *r, const struct asm_args *a)
{
	size_t ns = bpftk_asm_result_nsections(r);
	const struct bpftk_asm_section *sec = NULL;
	for (size_t i = 0; i < ns; i++) {
		const struct bpftk_asm_section *s = bpftk_asm_result_section(r, i);
		if (a->section ? !strcmp(s->name, a->section) : ns == 1)
			sec = s;
	}
	if (!sec) {
		if (a->section)
			cli_error("asm: no code section '%s' in %s", a->section,
				  a->file);
		else
			cli_error("asm: %s has %zu code sections; choose one "
				  "with --section, or use -f elf",
				  a->file, ns);
		for (size_t i = 0; i < ns; i++)
			fprintf(stderr, "  %s\n",
				bpftk_asm_result_section(r, i)->name);
		return EXIT_USAGE;
	}
	unsigned char *buf = malloc(sec->n * 8 + 1);
	if (!buf) {
		cli_error("asm: out of memory");
		return EXIT_IO;
	}
	bpftk_isa_encode(sec->insns, sec->n, a->big_endian, buf);
	int rc = cli_write_file(a->out, buf, sec->n * 8) ? EXIT_IO : EXIT_OK;
	free(buf);
	return rc;
}

/* A name for a section's entry when the input gave none (conformance files
 * have no function labels): the input file's base name, then the section
 * name for sections after the first, as an identifier. */
static void entry_name(const char *file, const char *sec, size_t i, char *buf,
		       size_t size)
{
	const char *b = strrchr(file, '/');
	b = b ? b + 1 : file;
	char raw[160];
	int l = (int)strcspn(b, ".");
	if (!strcmp(file, "-") || l == 0)
		snprintf(raw, sizeof(raw), "prog");
	else
		snprintf(raw, sizeof(raw), "%.*s", l > 64 ? 64 : l, b);
	if (i > 0) {
		size_t o = strlen(raw);
		snprintf(raw + o, sizeof(raw) - o, "_%.64s", sec);
	}
	size_t o = 0;
	if (raw[0] >= '0' && raw[0] <= '9' && o + 1 < size)
		buf[o++] = '_';
	for (const char *p = raw; *p && o + 1 < size; p++) {
		char ch = *p;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '_';
		buf[o++] = ok ? ch : '_';
	}
	buf[o] = '\0';
}

static int write_elf(const struct bpftk_asm_result *r, const struct asm_args *a,
		     struct bpftk_diags *d)
{
	size_t ns = bpftk_asm_result_nsections(r);
	struct bpftk_elf_section *secs = calloc(ns ? ns : 1, sizeof(*secs));
	struct bpftk_elf_symbol **syms = calloc(ns ? ns : 1, sizeof(*syms));
	char(*entry)[192] = calloc(ns ? ns : 1, sizeof(*entry));
	int rc = EXIT_IO;
	if (!secs || !syms || !entry)
		goto nomem;
	for (size_t i = 0; i < ns; i++) {
		const struct bpftk_asm_section *s = bpftk_asm_result_section(r, i);
		syms[i] = calloc(s->nsyms + 1, sizeof(**syms));
		if (!syms[i])
			goto nomem;
		size_t k = 0;
		entry_name(a->file, s->name, i, entry[i], sizeof(entry[i]));
		if (!s->nsyms || s->syms[0].insn != 0)
			syms[i][k++] = (struct bpftk_elf_symbol){entry[i], 0};
		for (size_t j = 0; j < s->nsyms; j++)
			syms[i][k++] = (struct bpftk_elf_symbol){
				s->syms[j].name, s->syms[j].insn};
		secs[i] = (struct bpftk_elf_section){s->name, s->insns, s->n,
						     syms[i], k};
	}
	const char *lic = a->license ? a->license : bpftk_asm_result_license(r);
	void *obj = NULL;
	size_t len = 0;
	int err = bpftk_elf_write(secs, ns, lic, a->big_endian, &obj, &len, d);
	cli_print_diags(d);
	if (err) {
		cli_error("asm: cannot write the ELF object");
		rc = EXIT_REJECTED;
		goto out;
	}
	rc = cli_write_file(a->out, obj, len) ? EXIT_IO : EXIT_OK;
	bpftk_elf_buf_free(obj);
	goto out;
nomem:
	cli_error("asm: out of memory");
out:
	for (size_t i = 0; syms && i < ns; i++)
		free(syms[i]);
	free(syms);
	free(secs);
	free(entry);
	return rc;
}

int cmd_asm(int argc, char **argv)
{
	struct asm_args a;
	int pr = parse_args(argc, argv, &a);
	if (pr)
		return pr > 0 ? EXIT_OK : EXIT_USAGE;
	if (!strcmp(a.out, "-") && isatty(STDOUT_FILENO)) {
		cli_error("asm: refusing to write binary output to a terminal; "
			  "use -o FILE");
		return EXIT_USAGE;
	}
	size_t len;
	char *text = cli_read_file(a.file, &len);
	if (!text)
		return EXIT_IO;
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d) {
		free(text);
		cli_error("asm: out of memory");
		return EXIT_IO;
	}
	struct bpftk_asm_opts opts = {
		.sz = sizeof(opts),
		.dialect = a.dialect,
		.filename = strcmp(a.file, "-") ? a.file : "<stdin>",
	};
	struct bpftk_asm_result *r = NULL;
	int err = bpftk_asm_assemble(text, len, &opts, &r, d);
	cli_print_diags(d);
	bpftk_diags_clear(d);
	int rc;
	if (err == -ENOMEM) {
		cli_error("asm: out of memory");
		rc = EXIT_IO;
	} else if (err) {
		rc = EXIT_REJECTED;
	} else {
		rc = a.elf ? write_elf(r, &a, d) : write_raw(r, &a);
	}
	bpftk_asm_result_free(r);
	bpftk_diags_free(d);
	free(text);
	return rc;
}
