/* test_run_cli.c — `bpftk run` on objects: return value and its name per
 * program type, the output packet when it changed, timing with --repeat,
 * --prog selection, ctx files, and the exit codes of errors.  The objects
 * are compiled from tests/data/progs at test time (skipped without clang);
 * expected packets are derived from the input here, not from our output.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static char bpftk[PATH_MAX + 16];
static char tmp[64];

static int find_bpftk(void)
{
	char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return -1;
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	size_t len = strlen(dir);
	memcpy(bpftk, dir, len);
	memcpy(bpftk + len, "/../bpftk", 10);
	return access(bpftk, X_OK);
}

static int run(const char *args, char *out, size_t cap)
{
	char cmd[PATH_MAX + 1024];
	if (strlen(args) > 900)
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s' run %s 2>&1", bpftk, args);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	size_t n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void compile(const char *name)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "clang -target bpf -O2 -g -I/usr/include/$(uname -m)-linux-gnu "
		 "-Itests/data/progs -c tests/data/progs/%s.c -o %s/%s.o",
		 name, tmp, name);
	CHECK(system(cmd) == 0);
}

static int body(void)
{
	if (system("clang --version >/dev/null 2>&1")) {
		printf("skipped: clang not found\n");
		return 77;
	}
	if (find_bpftk()) {
		printf("skipped: bpftk binary not found next to tests/\n");
		return 77;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/bpftk_run_cli_%d", (int)getpid());
	char cmd[256], out[8192], args[1024];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", tmp);
	CHECK(system(cmd) == 0);
	compile("xdp_tail");
	compile("run_misc");
	compile("xdp_encap");
	/* an IPv4 UDP packet (what xdp_tail sends to on_udp: XDP_TX) */
	static const char udp_hex[] =
		"02 00 00 00 00 01 02 00 00 00 00 02 08 00 "
		"45 00 00 1c 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 "
		"30 39 00 35 00 08 00 00";
	snprintf(args, sizeof(args), "%s/xdp_tail.o --prog entry --data-hex \"%s\"",
		 tmp, udp_hex);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 0);
	CHECK(strstr(out, "retval = 3 (XDP_TX)") != NULL);
	CHECK(strstr(out, "data_out") == NULL); /* unchanged */
	/* xdp_encap on the same packet: an outer IPv4 header of 20 bytes */
	snprintf(args, sizeof(args),
		 "%s/xdp_encap.o --prog xdp_encap --data-hex \"%s\" --repeat 1",
		 tmp, udp_hex);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 0);
	CHECK(strstr(out, "retval = 3 (XDP_TX)") != NULL);
	CHECK(strstr(out, "data_out (62 bytes):") != NULL);
	CHECK(strstr(out, "1 runs, ") && strstr(out, " ns/run"));
	/* a socket filter: bytes to keep, no verdict names */
	snprintf(args, sizeof(args), "%s/run_misc.o --prog sock_len --data-hex \"%s\"",
		 tmp, udp_hex);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 0);
	CHECK(strstr(out, "retval = 28\n") != NULL);
	/* kprobe with a pt_regs file */
	char ctxf[128];
	snprintf(ctxf, sizeof(ctxf), "%s/regs.bin", tmp);
	FILE *f = fopen(ctxf, "wb");
	unsigned char regs[168] = {0};
	if (f) {
		fwrite(regs, 1, sizeof(regs), f);
		fclose(f);
	}
	snprintf(args, sizeof(args), "%s/run_misc.o --prog kp --ctx %s", tmp,
		 ctxf);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 0);
	CHECK(strstr(out, "retval = 0") != NULL);
	/* errors: unknown program (1), short packet (1), fault (3) */
	snprintf(args, sizeof(args), "%s/run_misc.o --prog nope --data-hex 00",
		 tmp);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 1);
	CHECK(strstr(out, "no program named 'nope'") != NULL);
	snprintf(args, sizeof(args), "%s/xdp_tail.o --data-hex \"00 11\"", tmp);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 1);
	CHECK(strstr(out, "at least an Ethernet header") != NULL);
	/* unsafe: the verifier refuses it; checked, it faults at run time */
	snprintf(args, sizeof(args), "%s/run_misc.o --prog xdp_oob --data-hex \"%s\"",
		 tmp, udp_hex);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 1);
	CHECK(strstr(out, "--checked --no-verify") != NULL);
	snprintf(args, sizeof(args),
		 "--checked --no-verify %s/run_misc.o --prog xdp_oob "
		 "--data-hex \"%s\"",
		 tmp, udp_hex);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 3);
	CHECK(strstr(out, "out-of-bounds load") != NULL);
	snprintf(args, sizeof(args), "%s/run_misc.o --prog kp --section xdp", tmp);
	CHECK_EQ_U64(run(args, out, sizeof(out)), 2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	CHECK(system(cmd) == 0);
	return 0;
}

TEST_MAIN({
	int rc = body();
	if (rc)
		return rc;
})
