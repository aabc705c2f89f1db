/* test_corpus_walk.h — the walk over one folder of the ebpf-samples corpus
 * that the corpus tests (test_object_corpus.c, test_corpus_pcap_kernel.c)
 * share: the folder's object files (or, when asked, every file), in name
 * order so that output and failures come in the same order on every
 * machine, each handed to the test's check as "SUB/NAME" under root.
 * Dot files are never visited; a folder that cannot be read is empty. */
#ifndef BPFTK_TEST_CORPUS_WALK_H
#define BPFTK_TEST_CORPUS_WALK_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* qsort order of an array of strings */
static int corpus_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls check(root, "sub/name") for the files of root/sub whose name ends
 * in ".o", or for all of them when all_files; at most 512 of them. */
static void corpus_walk(const char *root, const char *sub, int all_files,
			void (*check)(const char *root, const char *rel))
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s/%s", root, sub) >= (int)sizeof(dir))
		return;
	DIR *dd = opendir(dir);
	if (!dd)
		return;
	char *names[512];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dd)) && n < 512) {
		if (de->d_name[0] == '.')
			continue;
		size_t l = strlen(de->d_name);
		if (all_files || (l > 2 && !strcmp(de->d_name + l - 2, ".o")))
			names[n++] = strdup(de->d_name);
	}
	closedir(dd);
	qsort(names, n, sizeof(names[0]), corpus_cmp_str);
	for (size_t i = 0; i < n; i++) {
		char rel[1024];
		if (snprintf(rel, sizeof(rel), "%s/%s", sub, names[i]) <
		    (int)sizeof(rel))
			check(root, rel);
		free(names[i]);
	}
}

#endif
