/* cli.c — file and diagnostic plumbing shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/common.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("bpftk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_is(const char *arg, const char *a, const char *b)
{
	return (a && !strcmp(arg, a)) || (b && !strcmp(arg, b));
}

int cli_operand(const char *cmd, const char *arg, const char *what,
		const char **slot)
{
	if (arg[0] == '-' && arg[1]) {
		cli_error("%s: unknown option or missing value: '%s' "
			  "(try 'bpftk %s --help')",
			  cmd, arg, cmd);
		return EXIT_USAGE;
	}
	if (*slot) {
		cli_error("%s: more than one %s ('%s', '%s')", cmd, what, *slot,
			  arg);
		return EXIT_USAGE;
	}
	*slot = arg;
	return EXIT_OK;
}

int cli_number(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || x > max)
		return -1;
	*v = x;
	return 0;
}

char *cli_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		char *p = realloc(buf, cap * 2);
		if (!p) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = p;
		cap *= 2;
	}
	int err = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!buf || err) {
		cli_error("cannot read '%s': %s", path,
			  buf ? "read error" : "out of memory");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!f) {
		cli_error("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	size_t w = fwrite(data, 1, len, f);
	int err = (f == stdout) ? fflush(f) : fclose(f);
	if (w != len || err) {
		cli_error("cannot write '%s'", path);
		return -1;
	}
	return 0;
}

void cli_print_diags(const struct bpftk_diags *d)
{
	char line[1024];
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
}
