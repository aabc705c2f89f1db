/* cmd_disasm.c — `bpftk disasm`: print an ELF object the way llvm-objdump -d
 * does, or raw bytecode as bare instruction lines.  A thin layer over
 * bpftk_elf_open_mem() and bpftk_disasm_elf() / bpftk_disasm_prog().
 *
 * --jited compiles each program with the JIT (bpftk_vm_jit_code) and prints
 * its machine code under the BPF instruction each part comes from, decoded
 * with capstone when the tool was built with it (hex bytes otherwise).
 * Helper calls are bound to a stub helper: the code is for reading only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/disasm.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>
#include <bpftk/object.h>
#include <bpftk/vm.h>

#ifdef BPFTK_HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

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
		"      --jited         compile with the JIT and print the machine\n"
		"                      code under each BPF instruction\n"
		"  -h, --help          this text\n"
		"\n"
		"exit codes: 0 ok, 1 the input was rejected, 2 usage error,\n"
		"4 I/O error\n");
}

struct disasm_args {
	const char *file;
	struct bpftk_disasm_opts o;
	int raw_input;
	int jited;
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
		} else if (cli_is(s, "--jited", NULL)) {
			a->jited = 1;
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

static uint64_t stub_helper(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5, struct bpftk_vm_call *c)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)c;
	return 0;
}

/* Machine code [from, to) of the image, one host instruction a line. */
static void print_code(const uint8_t *code, size_t from, size_t to)
{
#ifdef BPFTK_HAVE_CAPSTONE
	csh h;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK) {
		cs_insn *ins = NULL;
		size_t k = cs_disasm(h, code + from, to - from, from, 0, &ins);
		size_t done = from;
		for (size_t i = 0; i < k; i++) {
			char hex[3 * 16 + 1] = "";
			for (size_t b = 0; b < ins[i].size && b < 15; b++)
				sprintf(hex + 3 * b, "%02x ", ins[i].bytes[b]);
			printf("\t%6llx:  %-33s%s %s\n",
			       (unsigned long long)ins[i].address, hex,
			       ins[i].mnemonic, ins[i].op_str);
			done = (size_t)ins[i].address + ins[i].size;
		}
		cs_free(ins, k);
		cs_close(&h);
		from = done; /* what capstone could not decode: bytes below */
	}
#endif
	for (size_t at = from; at < to; at += 16) {
		printf("\t%6zx: ", at);
		for (size_t b = at; b < to && b < at + 16; b++)
			printf(" %02x", code[b]);
		printf("\n");
	}
}

/* One program through the JIT, printed. */
static int jited_prog(const char *name, const struct bpftk_insn *insns,
		      size_t n, const struct bpftk_disasm_opts *o,
		      struct bpftk_diags *d)
{
	struct bpftk_vm_opts vo = {.sz = sizeof(vo), .mode = BPFTK_VM_JIT,
				   .name = name};
	struct bpftk_vm *vm = NULL;
	int rc = EXIT_REJECTED;
	if (bpftk_vm_new(&vo, &vm)) {
		cli_error("disasm: out of memory");
		return EXIT_IO;
	}
	for (size_t pc = 0; pc < n; pc++)
		if (bpftk_isa_lookup(&insns[pc]) == BPFTK_OP_CALL &&
		    insns[pc].imm >= 0 &&
		    (uint32_t)insns[pc].imm < BPFTK_VM_MAX_HELPERS)
			bpftk_vm_register_helper(vm, (uint32_t)insns[pc].imm,
						 NULL, stub_helper);
	const uint8_t *code;
	size_t len;
	const uint32_t *off;
	const char *arch;
	if (bpftk_vm_load(vm, insns, n, d) ||
	    bpftk_vm_jit_code(vm, &code, &len, &off, &arch)) {
		cli_error("disasm: %s: the JIT did not compile the program",
			  name);
		goto out;
	}
	printf("%s: %zu BPF slots, %zu bytes of %s code\n", name, n, len,
	       arch);
	printf("  <entry and shared stubs>:\n");
	print_code(code, 0, off[0]);
	for (size_t pc = 0; pc < n;) {
		char text[256];
		int k = bpftk_disasm_insn(insns, n, pc, o, text, sizeof(text));
		if (k < 1)
			k = 1;
		size_t next = pc + (size_t)k < n ? pc + (size_t)k : n;
		printf("%5zu: %s\n", pc, text);
		print_code(code, off[pc], off[next]);
		pc = next;
	}
	printf("  <end: running past the last instruction>:\n");
	print_code(code, off[n], len);
	rc = EXIT_OK;
out:
	bpftk_vm_free(vm);
	return rc;
}

static int disasm_jited(const struct disasm_args *a, const char *data,
			size_t len, struct bpftk_diags *d)
{
	if (a->raw_input || !is_elf(data, len)) {
		size_t n = len / 8;
		struct bpftk_insn *insns = calloc(n ? n : 1, sizeof(*insns));
		if (!insns) {
			cli_error("disasm: out of memory");
			return EXIT_IO;
		}
		int rc = EXIT_REJECTED;
		if (bpftk_isa_decode(data, len, a->o.big_endian, insns, d,
				     a->file) >= 0)
			rc = jited_prog(a->file, insns, n, &a->o, d);
		free(insns);
		return rc;
	}
	struct bpftk_object *obj = NULL;
	if (bpftk_object_open_mem(data, len, NULL, &obj, d))
		return EXIT_REJECTED;
	int rc = EXIT_OK, any = 0;
	for (size_t i = 0; i < bpftk_object_prog_count(obj); i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(obj, i);
		if (a->o.section &&
		    strcmp(a->o.section, bpftk_object_prog_section(p)))
			continue;
		size_t n = 0;
		const struct bpftk_insn *insns = bpftk_object_prog_insns(p, &n);
		if (any++)
			printf("\n");
		int r = jited_prog(bpftk_object_prog_name(p), insns, n, &a->o, d);
		if (r != EXIT_OK)
			rc = r;
	}
	bpftk_object_close(obj);
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
	if (a.jited)
		r = disasm_jited(&a, data, len, d);
	else if (a.raw_input || !is_elf(data, len))
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
