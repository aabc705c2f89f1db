/* plugin.c — bpftk-conformance: the bpf_conformance plugin protocol.
 *
 * The upstream runner starts `PLUGIN [MEMHEX] [OPTIONS...]`, writes the
 * program to stdin as hex bytes (space separated) and closes it.  We print r0
 * in hex and exit 0, or print the error and exit 1.  r1 points to the memory
 * (if any) and r2 holds its length; helper 5 returns its first argument, as
 * the suite's call tests expect.
 *
 * Options: --checked (default: every access checked, instruction budget),
 * --fast (no checks), --jit (native code; no checks), --switch (portable
 * dispatch loop), --help.  With --jit a warning that the JIT fell back to
 * the interpreter goes to stderr.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/isa.h>
#include <bpftk/vm.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk-conformance [MEMHEX] [--checked|--fast|--jit] [--switch]\n"
		"\n"
		"A bpf_conformance plugin: reads a program as hex bytes on stdin,\n"
		"runs it with r1 = the memory given as hex in MEMHEX (r2 = its\n"
		"length) and prints r0 in hex.  Exit 0 on success; on failure prints\n"
		"the error and exits 1 (2 on a usage error).\n"
		"  --checked  check every memory access, bound the run (default)\n"
		"  --fast     no checks (only for programs known to be safe)\n"
		"  --jit      compile to native code (no checks, like --fast)\n"
		"  --switch   use the portable switch dispatch loop\n");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex bytes, with or without separators ("b7 00", "b700", "0xb7,0x00").
 * Returns the byte count or -1 on a character that is not hex. */
static long parse_hex(const char *s, unsigned char **out)
{
	size_t cap = strlen(s) / 2 + 1, n = 0;
	unsigned char *buf = malloc(cap);
	if (!buf)
		return -1;
	while (*s) {
		if (isspace((unsigned char)*s) || *s == ',') {
			s++;
			continue;
		}
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			s += 2;
			continue;
		}
		int hi = hexval((unsigned char)s[0]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (lo < 0) {
			free(buf);
			return -1;
		}
		buf[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	*out = buf;
	return (long)n;
}

static char *read_stdin(void)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, stdin);
		if (n < cap - 1)
			break;
		char *p = realloc(buf, cap *= 2);
		if (!p)
			free(buf);
		buf = p;
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

static uint64_t helper_identity(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5, (void)call;
	return r1;
}

static void print_diags(const struct bpftk_diags *d)
{
	char line[1024];
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		printf("%s\n", line);
	}
}

int main(int argc, char **argv)
{
	struct bpftk_vm_opts vo = {.sz = sizeof(vo), .mode = BPFTK_VM_CHECKED};
	const char *memhex = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--fast")) {
			vo.mode = BPFTK_VM_FAST;
		} else if (!strcmp(argv[i], "--jit")) {
			vo.mode = BPFTK_VM_JIT;
		} else if (!strcmp(argv[i], "--checked")) {
			vo.mode = BPFTK_VM_CHECKED;
		} else if (!strcmp(argv[i], "--switch")) {
			vo.flags |= BPFTK_VM_SWITCH_DISPATCH;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "bpftk-conformance: unknown option '%s'\n",
				argv[i]);
			usage(stderr);
			return 2;
		} else if (!memhex) {
			memhex = argv[i];
		} else {
			fprintf(stderr, "bpftk-conformance: unexpected argument '%s'\n",
				argv[i]);
			return 2;
		}
	}

	int rc = 1;
	unsigned char *mem = NULL, *code = NULL;
	struct bpftk_insn *insns = NULL;
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	char *text = read_stdin();
	long memlen = 0;
	if (!d || !text) {
		printf("out of memory\n");
		goto out;
	}
	if (memhex && (memlen = parse_hex(memhex, &mem)) < 0) {
		printf("memory argument is not hex bytes\n");
		goto out;
	}
	long len = parse_hex(text, &code);
	if (len < 0) {
		printf("program on stdin is not hex bytes\n");
		goto out;
	}
	if (len == 0) {
		printf("empty program\n");
		goto out;
	}
	insns = malloc(((size_t)len / 8 + 1) * sizeof(*insns));
	if (!insns)
		goto out;
	long n = bpftk_isa_decode(code, (size_t)len, 0, insns, d, "stdin");
	if (n < 0 || bpftk_vm_new(&vo, &vm) ||
	    bpftk_vm_register_helper(vm, 5, "identity", helper_identity) ||
	    bpftk_vm_load(vm, insns, (size_t)n, d)) {
		print_diags(d);
		goto out;
	}
	for (size_t i = 0; i < bpftk_diags_count(d); i++) { /* JIT fallback */
		char line[1024];
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	uint64_t r0 = 0;
	if (bpftk_vm_run_mem(vm, memlen ? mem : NULL, (size_t)memlen, &r0, d)) {
		print_diags(d);
		goto out;
	}
	printf("%llx\n", (unsigned long long)r0);
	rc = 0;
out:
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	free(insns);
	free(code);
	free(mem);
	free(text);
	return rc;
}
