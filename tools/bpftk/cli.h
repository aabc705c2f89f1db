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
#include <stdint.h>
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

/* The last branch of a subcommand's option loop: arg is no option it
 * knows, so it is either an unknown option (or one missing its value) or
 * the single operand, stored in *slot ("-" alone is an operand: stdin).
 * Returns EXIT_OK, or EXIT_USAGE after saying why ("CMD: ..." naming the
 * operand as `what`, e.g. "FILE"). */
int cli_operand(const char *cmd, const char *arg, const char *what,
		const char **slot);
/* An option's number: decimal, 0x hex or 0 octal, no sign, nothing after
 * it, at most max.  Returns 0, or -1 leaving *v alone. */
int cli_number(const char *s, uint64_t max, uint64_t *v);
/* A program type as libbpf names it ("xdp", "sched_cls", ...), "raw",
 * or a number; -1 when s is none of them. */
int cli_prog_type(const char *s, int *type);
/* The text of --type's error for `cmd` (unknown type s). */
void cli_bad_type(const char *cmd, const char *s);
struct bpftk_object;
/* After a failed run of program prog (NULL: the first) of o: when its
 * section follows no naming convention (Cilium's "from-netdev", say),
 * says so and points at --type, since it was taken as a raw program. */
void cli_hint_no_type(const struct bpftk_object *o, const char *prog);

struct bpftk_object;
struct bpftk_run;

/* An object run for `bpftk run --pcap` and `bpftk map` (cmd_map.c). */
struct cli_run_args {
	const char *path;     /* the object */
	const char *prog;     /* NULL: the first program */
	const char *pcap;     /* run over this capture, or */
	const char *data;     /* once on this packet, or */
	const char *data_hex; /* on these hex bytes; none: no run */
	const char *out_pcap; /* capture of the passing packets */
	int json;	      /* pcap summary as JSON members */
	FILE *report;	      /* where the run's summary goes */
	int mode;	      /* enum bpftk_vm_mode */
	unsigned run_flags;   /* BPFTK_RUN_* of run.h */
	uint64_t budget;
	int type;	      /* --type (enum bpftk_prog_type), 0: section's */
};
/* Opens the object, creates its maps, loads the program, runs it as asked
 * and reports.  Returns an exit code; on EXIT_OK and EXIT_FAULT *r is the
 * run (maps as the program left them), otherwise NULL.  *o (may be set
 * even on failure) and *r are the caller's to free. */
int cli_run_object(const struct cli_run_args *a, struct bpftk_object **o,
		   struct bpftk_run **r);
/* Dumps the maps of a run (only: one map by name, or NULL for all) like
 * bpftool; JSON: an array of {"name","type","entries"}.  Exit code. */
int cli_dump_maps(struct bpftk_run *r, const struct bpftk_object *o,
		  const char *only, int json, FILE *out);

/* Subcommands: argv[0] is the subcommand name. */
int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_obj(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_seccomp(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
