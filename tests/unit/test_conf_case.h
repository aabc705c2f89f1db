/* test_conf_case.h — one bpf_conformance test file (../shared/conformance,
 * format in ../shared/README.md) read for the tests that assemble and run
 * the suite themselves: the asm section as text, the mem section as bytes
 * (at most memcap), the expected result.  Header-only (static). */
#ifndef BPFTK_TEST_CONF_CASE_H
#define BPFTK_TEST_CONF_CASE_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

#endif
