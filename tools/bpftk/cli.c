/* cli.c — file and diagnostic plumbing shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/common.h>
#include <bpftk/object.h>

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

int cli_prog_type(const char *s, int *type)
{
	uint64_t n;
	if (!strcmp(s, "raw") || !strcmp(s, "unspec")) {
		*type = BPFTK_PROG_TYPE_UNSPEC;
		return 0;
	}
	if (!cli_number(s, BPFTK_PROG_TYPE__COUNT - 1, &n)) {
		*type = (int)n;
		return 0;
	}
	for (int i = 1; i < BPFTK_PROG_TYPE__COUNT; i++) {
		const char *name =
			bpftk_object_prog_type_name((enum bpftk_prog_type)i);
		if (name && !strcmp(name, s)) {
			*type = i;
			return 0;
		}
	}
	return -1;
}

void cli_bad_type(const char *cmd, const char *s)
{
	cli_error("%s: unknown program type '%s' (xdp, sched_cls, "
		  "socket_filter, kprobe, tracepoint, raw, ...)",
		  cmd, s);
}

void cli_hint_no_type(const struct bpftk_object *o, const char *prog)
{
	for (size_t i = 0; o && i < bpftk_object_prog_count(o); i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, i);
		if (prog && strcmp(bpftk_object_prog_name(p), prog))
			continue;
		if (bpftk_object_prog_sec_match(p) == BPFTK_SEC_MATCH_NONE &&
		    bpftk_object_prog_type(p) == BPFTK_PROG_TYPE_UNSPEC)
			fprintf(stderr,
				"bpftk: section '%s' names no program type, so "
				"'%s' was taken as a raw program (r1 = memory, "
				"r2 = its length); --type TYPE (xdp, "
				"sched_cls, ...) says what it is\n",
				bpftk_object_prog_section(p),
				bpftk_object_prog_name(p));
		return;
	}
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
