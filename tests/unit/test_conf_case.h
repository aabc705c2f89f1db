/* test_conf_case.h — the bpf_conformance suite (../shared/conformance,
 * format in ../shared/README.md) for the tests that assemble and run it
 * themselves: read_case reads one file (the asm section as text, the mem
 * section as bytes, at most memcap, the expected result);
 * for_each_conf_case assembles every program of tests/ and hands it on.
 * Header-only (static); include after test.h. */
#ifndef BPFTK_TEST_CONF_CASE_H
#define BPFTK_TEST_CONF_CASE_H

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bpftk/asm.h>

/* 0, or -1 when the file cannot be read or has no asm or result. */
static int read_case(const char *path, char *text, size_t cap,
		     unsigned char *mem, size_t memcap, size_t *memlen,
		     uint64_t *result)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512], sec[32] = "";
	size_t tl = 0;
	int have = 0;
	*memlen = 0;
	text[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "--", 2)) {
			sscanf(line + 2, " %31s", sec);
			continue;
		}
		if (line[0] == '#')
			continue;
		if (!strcmp(sec, "asm") && tl + strlen(line) < cap) {
			memcpy(text + tl, line, strlen(line) + 1);
			tl += strlen(line);
		} else if (!strcmp(sec, "mem")) {
			unsigned v;
			int used;
			for (char *q = line; sscanf(q, " %2x%n", &v, &used) == 1;
			     q += used)
				if (*memlen < memcap)
					mem[(*memlen)++] = (unsigned char)v;
		} else if (!strcmp(sec, "result") && !have) {
			have = sscanf(line, "%" SCNx64, result) == 1;
		}
	}
	fclose(f);
	return have && tl ? 0 : -1;
}

/* One program of the suite, assembled. */
struct conf_case {
	const char *name; /* the file's name */
	const struct bpftk_insn *insns;
	size_t n;
	unsigned char *mem; /* memlen bytes (the program may write them;
			    * read anew for each file); never NULL */
	size_t memlen;
	uint64_t want; /* the expected r0 */
};

/* Calls fn for every program of <shared>/conformance/tests that reads and
 * assembles (a file that does not assemble fails a CHECK); returns how many
 * it called fn for, or -1 when the folder is missing (said on stdout, for
 * a skip). */
static int for_each_conf_case(const char *shared,
			      void (*fn)(const struct conf_case *c, void *arg),
			      void *arg)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/conformance/tests", shared);
	DIR *dp = opendir(dir);
	if (!dp) {
		printf("skip: no conformance data at %s\n", dir);
		return -1;
	}
	static char text[65536];
	static unsigned char mem[256];
	int files = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 5, ".data"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct conf_case c = {e->d_name, NULL, 0, NULL, 0, 0};
		if (read_case(path, text, sizeof(text), mem, sizeof(mem),
			      &c.memlen, &c.want))
			continue;
		struct bpftk_asm_opts ao = {.sz = sizeof(ao),
					    .dialect = BPFTK_ASM_CONFORMANCE,
					    .filename = e->d_name};
		struct bpftk_asm_result *r = NULL;
		if (bpftk_asm_assemble(text, strlen(text), &ao, &r, NULL)) {
			printf("FAIL %s: does not assemble\n", e->d_name);
			CHECK(0);
			continue;
		}
		const struct bpftk_asm_section *s = bpftk_asm_result_section(r, 0);
		c.insns = s->insns;
		c.n = s->n;
		c.mem = mem;
		files++;
		fn(&c, arg);
		bpftk_asm_result_free(r);
	}
	closedir(dp);
	return files;
}

#endif
