/* cmd_disasm.c — `bpftk disasm`: print an ELF object the way llvm-objdump -d
 * does, or raw bytecode as bare instruction lines.  A thin layer over
 * bpftk_elf_open_mem() and bpftk_disasm_elf() / bpftk_disasm_prog().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/disasm.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk disasm [options] FILE\n"
		"\n"
		"Disassembles an ELF object (every executable section, laid out\n"
		"like llvm-objdump -d) or raw bytecode (FILE '-' = standard input).\n"
		"\n"
		"options:\n"
		"  -d, --dialect D     llvm (default): LLVM / kernel syntax, as\n"
		"                      llvm-objdump 14 prints it (\"r0 = 1\");\n"
		"                      conformance: bpf_conformance syntax\n"
		"                      (\"mov %%r0, 1\")\n"
		"  -x, --hex           immediates in hex, the way LLVM 19 prints them\n"
		"  -e, --exact         lossless text that assembles back to the same\n"
		"                      bytes (\"call pc+5\" for local calls)\n"
		"      --raw           show the raw bytes of each instruction\n"
		"  -j, --section NAME  only this section\n"
		"  -r, --reloc         show relocations after the instructions\n"
		"      --raw-input     FILE is raw bytecode (default: detected; a\n"
		"                      file not starting with \\x7fELF is raw)\n"
		"  -b, --big-endian    raw input is big-endian\n"
		"  -h, --help          this text\n"
		"\n"
		"exit codes: 0 ok, 1 the input was rejected, 2 usage error,\n"
		"4 I/O error\n");
}

struct disasm_args {
	const char *file;
	struct bpftk_disasm_opts o;
	int raw_input;
};

static int parse_args(int argc, char **argv, struct disasm_args *a)
{
	memset(a, 0, sizeof(*a));
	a->o.sz = sizeof(a->o);
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		int has_val = i + 1 < argc;
		if (cli_is(s, "-h", "--help")) {
			usage(stdout);
			return 1;
		} else if (cli_is(s, "-d", "--dialect") && has_val) {
			const char *v = argv[++i];
			if (!strcmp(v, "llvm") || !strcmp(v, "kernel")) {
				a->o.dialect = BPFTK_DISASM_LLVM;
			} else if (!strcmp(v, "conformance")) {
				a->o.dialect = BPFTK_DISASM_CONFORMANCE;
			} else {
				cli_error("disasm: unknown dialect '%s' (llvm or "
					  "conformance)",
					  v);
				return -1;
			}
		} else if (cli_is(s, "-x", "--hex")) {
			a->o.hex = 1;
		} else if (cli_is(s, "-e", "--exact")) {
			a->o.exact = 1;
		} else if (cli_is(s, "--raw", NULL)) {
			a->o.raw = 1;
		} else if (cli_is(s, "-j", "--section") && has_val) {
			a->o.section = argv[++i];
		} else if (cli_is(s, "-r", "--reloc")) {
			a->o.relocs = 1;
		} else if (cli_is(s, "--raw-input", NULL)) {
			a->raw_input = 1;
		} else if (cli_is(s, "-b", "--big-endian")) {
			a->o.big_endian = 1;
		} else if (s[0] == '-' && s[1]) {
			cli_error("disasm: unknown option '%s'%s (try 'bpftk "
				  "disasm --help')",
				  s,
				  has_val ? "" : " or missing argument");
			return -1;
		} else if (!a->file) {
			a->file = s;
		} else {
			cli_error("disasm: more than one input file ('%s' and "
				  "'%s')",
				  a->file, s);
			return -1;
		}
	}
	if (!a->file) {
		cli_error("disasm: no input file (try 'bpftk disasm --help')");
		return -1;
	}
	return 0;
}

static int is_elf(const char *data, size_t len)
{
	return len >= 4 && !memcmp(data, "\177ELF", 4);
}

static int disasm_raw(const struct disasm_args *a, const char *data,
		      size_t len, struct bpftk_diags *d, char **text)
{
	size_t n = len / 8;
	struct bpftk_insn *insns = calloc(n ? n : 1, sizeof(*insns));
	if (!insns) {
		cli_error("disasm: out of memory");
		return EXIT_IO;
	}
	int rc = EXIT_OK;
	if (bpftk_isa_decode(data, len, a->o.big_endian, insns, d, a->file) <
		    0 ||
	    bpftk_disasm_prog(insns, n, &a->o, text, NULL, d))
		rc = EXIT_REJECTED;
	free(insns);
	return rc;
}

static int disasm_elf(const struct disasm_args *a, const char *data,
		      size_t len, struct bpftk_diags *d, char **text)
{
	struct bpftk_elf *e = NULL;
	if (bpftk_elf_open_mem(data, len, a->file, &e, d))
		return EXIT_REJECTED;
	int rc = bpftk_disasm_elf(e, &a->o, text, NULL, d) ? EXIT_REJECTED
							   : EXIT_OK;
	bpftk_elf_close(e);
	return rc;
}

int cmd_disasm(int argc, char **argv)
{
	struct disasm_args a;
	int r = parse_args(argc, argv, &a);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	size_t len = 0;
	char *data = cli_read_file(a.file, &len);
	if (!data)
		return EXIT_IO;
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d) {
		free(data);
		cli_error("disasm: out of memory");
		return EXIT_IO;
	}
	char *text = NULL;
	if (a.raw_input || !is_elf(data, len))
		r = disasm_raw(&a, data, len, d, &text);
	else
		r = disasm_elf(&a, data, len, d, &text);
	cli_print_diags(d);
	if (r == EXIT_OK && text) {
		fputs(text, stdout);
		if (fflush(stdout)) {
			cli_error("disasm: cannot write the listing");
			r = EXIT_IO;
		}
	}
	bpftk_disasm_free(text);
	bpftk_diags_free(d);
	free(data);
	return r;
}
