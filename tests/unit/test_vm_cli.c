/* test_vm_cli.c — `bpftk run` end to end: raw and ELF programs, memory from
 * a file or hex, both modes, timing output, and the exit codes and messages
 * of faults, rejected programs, usage and I/O errors.  The command is the
 * bpftk binary of this build (next to tests/); scratch files go to the
 * build's tests/ folder. */
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpftk/elf.h>

#include "test.h"
#include "test_vm_util.h"

static char bin_dir[PATH_MAX];	     /* .../build/tests */
static char bpftk[PATH_MAX + 16];    /* .../build/bpftk */

static int find_bpftk(void)
{
	ssize_t n = readlink("/proc/self/exe", bin_dir, sizeof(bin_dir) - 1);
	if (n <= 0)
		return -1;
	bin_dir[n] = '\0';
	char *slash = strrchr(bin_dir, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(bpftk, sizeof(bpftk), "%s/../bpftk", bin_dir) >=
	    sizeof(bpftk))
		return -1; /* path too long */
	return access(bpftk, X_OK);
}

/* Runs `bpftk run ARGS`; returns the exit code, output (stdout + stderr)
 * in out. */
static int run(const char *args, char *out, size_t cap)
{
	char cmd[6 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "'%s' run %s 2>&1", bpftk, args);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	size_t n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK(fwrite(data, 1, len, f) == len);
		fclose(f);
	}
}

static void write_prog(const char *path, const struct bpftk_insn *p, size_t n)
{
	uint8_t raw[64 * 8];
	bpftk_isa_encode(p, n, 0, raw);
	write_file(path, raw, n * 8);
}

#define EXPECT(args, code, text)                                             \
	do {                                                                 \
		char out_[4096];                                             \
		int rc_ = run(args, out_, sizeof(out_));                     \
		int ok_ = rc_ == (code) && strstr(out_, (text)) != NULL;     \
		if (!ok_)                                                    \
			fprintf(stderr, "bpftk run %s: exit %d, want %d and "  \
					"'%s':\n%s\n",                       \
				args, rc_, code, text, out_);                \
		CHECK(ok_);                                                  \
	} while (0)

static void test_cli(void)
{
	if (find_bpftk()) {
		fprintf(stderr, "bpftk binary not found next to %s\n", bin_dir);
		CHECK(0);
		return;
	}
	char prog[PATH_MAX + 32], sum[PATH_MAX + 32], fault[PATH_MAX + 32],
		spin[PATH_MAX + 32], bad[PATH_MAX + 32], mem[PATH_MAX + 32],
		elf[PATH_MAX + 32], args[4 * PATH_MAX];
	snprintf(prog, sizeof(prog), "%s/cli-42.bin", bin_dir);
	snprintf(sum, sizeof(sum), "%s/cli-sum.bin", bin_dir);
	snprintf(fault, sizeof(fault), "%s/cli-fault.bin", bin_dir);
	snprintf(spin, sizeof(spin), "%s/cli-spin.bin", bin_dir);
	snprintf(bad, sizeof(bad), "%s/cli-bad.bin", bin_dir);
	snprintf(mem, sizeof(mem), "%s/cli-mem.bin", bin_dir);
	snprintf(elf, sizeof(elf), "%s/cli-prog.o", bin_dir);

	struct bpftk_insn p42[] = {MOVK(0, 42), EXIT()};
	write_prog(prog, p42, NINSN(p42));
	/* r0 = sum of the r2 bytes at r1 */
	struct bpftk_insn psum[] = {
		MOVK(0, 0),
		I(JEQ64_K, 2, 0, 5, 0),
		I(LDXB, 3, 1, 0, 0),
		I(ADD64_X, 0, 3, 0, 0),
		I(ADD64_K, 1, 0, 0, 1),
		I(SUB64_K, 2, 0, 0, 1),
		I(JA, 0, 0, -6, 0),
		EXIT(),
	};
	write_prog(sum, psum, NINSN(psum));
	struct bpftk_insn pfault[] = {MOVK(0, 0), I(LDXDW, 0, 1, 8, 0), EXIT()};
	write_prog(fault, pfault, NINSN(pfault));
	struct bpftk_insn pspin[] = {I(JA, 0, 0, -1, 0), EXIT()};
	write_prog(spin, pspin, NINSN(pspin));
	struct bpftk_insn pbad[] = {MOVK(0, 0), vt_raw(0xff, 0, 0, 0, 0), EXIT()};
	write_prog(bad, pbad, NINSN(pbad));
	uint8_t bytes[] = {1, 2, 3, 250};
	write_file(mem, bytes, sizeof(bytes));

	snprintf(args, sizeof(args), "'%s'", prog);
	EXPECT(args, 0, "r0 = 0x2a (42)\n");
	snprintf(args, sizeof(args), "--fast '%s'", prog);
	EXPECT(args, 0, "r0 = 0x2a (42)\n");
	snprintf(args, sizeof(args), "--mem '%s' '%s'", mem, sum);
	EXPECT(args, 0, "r0 = 0x100 (256)\n");
	snprintf(args, sizeof(args), "--fast --mem-hex \"ff 01 0a\" '%s'", sum);
	EXPECT(args, 0, "r0 = 0x10a (266)\n");
	snprintf(args, sizeof(args), "--mem-hex ff010a '%s'", sum);
	EXPECT(args, 0, "r0 = 0x10a (266)\n");
	snprintf(args, sizeof(args), "--repeat 25 --mem '%s' '%s'", mem, sum);
	EXPECT(args, 0, "25 runs, ");
	EXPECT(args, 0, " ns/run\n");

	/* faults (of programs only --no-verify lets run): exit 3 with the
	 * diagnostic */
	snprintf(args, sizeof(args),
		 "--checked --no-verify --mem-hex \"00 11 22 33\" '%s'", fault);
	EXPECT(args, 3, "insn 1: error: out-of-bounds load of 8 bytes at 0x");
	snprintf(args, sizeof(args), "--checked --no-verify --budget 50 '%s'",
		 spin);
	EXPECT(args, 3, "insn 0: error: instruction budget of 50 exhausted");
	/* rejected program: exit 1 naming the instruction */
	snprintf(args, sizeof(args), "'%s'", bad);
	EXPECT(args, 1, "insn 1: error: unknown opcode 0xff");
	/* usage and I/O */
	EXPECT("--help", 0, "--mem-hex");
	EXPECT("", 2, "usage: bpftk run");
	EXPECT("--frobnicate x", 2, "unknown option");
	snprintf(args, sizeof(args), "--mem-hex zz '%s'", prog);
	EXPECT(args, 2, "--mem-hex wants hex bytes");
	snprintf(args, sizeof(args), "--repeat 0 '%s'", prog);
	EXPECT(args, 2, "--repeat needs");
	snprintf(args, sizeof(args), "--section x '%s'", prog);
	EXPECT(args, 2, "--section needs an ELF object");
	snprintf(args, sizeof(args), "'%s/no-such-file.bin'", bin_dir);
	EXPECT(args, 4, "cannot open");
	write_file(bad, "\x95\0\0\0", 4);
	snprintf(args, sizeof(args), "'%s'", bad);
	EXPECT(args, 1, "not a multiple of 8");

	/* an ELF object with two programs */
	struct bpftk_elf_section secs[2] = {
		{"prog_a", p42, NINSN(p42), NULL, 0},
		{"prog_sum", psum, NINSN(psum), NULL, 0},
	};
	void *obj = NULL;
	size_t obj_len = 0;
	CHECK(bpftk_elf_write(secs, 2, "GPL", 0, &obj, &obj_len, NULL) == 0);
	if (obj) {
		write_file(elf, obj, obj_len);
		bpftk_elf_buf_free(obj);
		snprintf(args, sizeof(args), "'%s'", elf);
		EXPECT(args, 0, "r0 = 0x2a (42)\n");
		snprintf(args, sizeof(args), "--section prog_sum --mem-hex "
					     "\"05 06\" '%s'",
			 elf);
		EXPECT(args, 0, "r0 = 0xb (11)\n");
		snprintf(args, sizeof(args), "--section nope '%s'", elf);
		EXPECT(args, 1, "no section 'nope'");
	}
	remove(prog);
	remove(sum);
	remove(fault);
	remove(spin);
	remove(bad);
	remove(mem);
	remove(elf);
}

TEST_MAIN(test_cli())
