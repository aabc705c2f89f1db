/* test_helpers_kprog.h — what the kernel differential tests of helpers
 * (test_helpers_kernel_*.c) share: the test program's C source written to
 * a temporary directory and built with clang -target bpf, after checking
 * that clang and bpf() are there (else the test is skipped: exit 77 with
 * "skip: ..."). */
#ifndef BPFTK_TEST_HELPERS_KPROG_H
#define BPFTK_TEST_HELPERS_KPROG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "test.h"

struct kprog {
	char dir[32], src[64], obj[64];
};

/* Builds src_text into k->obj; 0, or -1 after a failed CHECK. */
static int kprog_build(struct kprog *k, const char *src_text)
{
	char cmd[512];
	if (system("clang --version >/dev/null 2>&1")) {
		printf("skip: clang not found\n");
		exit(77);
	}
	int probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (probe < 0) {
		printf("skip: bpf() not permitted (%s)\n", strerror(errno));
		exit(77);
	}
	close(probe);
	snprintf(k->dir, sizeof(k->dir), "/tmp/bpftk_kprogXXXXXX");
	CHECK(mkdtemp(k->dir) != NULL);
	snprintf(k->src, sizeof(k->src), "%s/p.c", k->dir);
	snprintf(k->obj, sizeof(k->obj), "%s/p.o", k->dir);
	FILE *f = fopen(k->src, "w");
	CHECK(f != NULL);
	if (!f)
		return -1;
	fputs(src_text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "clang -target bpf -O2 -g -Wall -Werror "
		 "-I/usr/include/$(uname -m)-linux-gnu -c %s -o %s",
		 k->src, k->obj);
	int rc = system(cmd);
	CHECK(rc == 0);
	return rc ? -1 : 0;
}

static void kprog_clean(struct kprog *k)
{
	unlink(k->src);
	unlink(k->obj);
	rmdir(k->dir);
}

#endif
