/* cli.h — shared plumbing of the bpftk command: the subcommand table, file
 * reading, diagnostics printing.  The command is a thin layer over the
 * library API (DESIGN.md); nothing here knows an opcode.
 *
 * Exit codes of every subcommand:
 *   0  success
 *   1  the input was rejected (assembly, object or program errors)
 *   2  usage error (bad option or argument)
 *   3  the program faulted at run time (bad memory access, budget, ...)
 *   4  I/O error (a file could not be read or written)
 */
#ifndef BPFTK_CLI_H
#define BPFTK_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <bpftk/common.h>

enum {
	EXIT_OK = 0,
	EXIT_REJECTED = 1,
	EXIT_USAGE = 2,
	EXIT_FAULT = 3,
	EXIT_IO = 4,
};

struct bpftk_diags;

/* Reads a whole file ("-" = stdin) into a malloc'ed buffer (NUL added, not
 * counted in *len).  Prints an error and returns NULL on failure. */
char *cli_read_file(const char *path, size_t *len);
/* Writes len bytes to path ("-" = stdout); prints an error, returns -1 on
 * failure. */
int cli_write_file(const char *path, const void *data, size_t len);
/* Prints every diagnostic of d to stderr, one per line. */
void cli_print_diags(const struct bpftk_diags *d);
/* "bpftk: " + message on stderr. */
void cli_error(const char *fmt, ...) BPFTK_PRINTF(1, 2);
/* True when arg equals one of the (up to two) option spellings. */
int cli_is(const char *arg, const char *a, const char *b);

/* Subcommands: argv[0] is the subcommand name. */
int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_obj(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
