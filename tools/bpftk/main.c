/* main.c — the bpftk command: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{"asm", cmd_asm, "assemble BPF assembly (LLVM or bpf_conformance dialect)"},
	{"disasm", cmd_disasm, "disassemble raw bytecode or an ELF object"},
	{"filter", cmd_filter, "compile a tcpdump filter expression; list it, apply it to a capture, or write it as XDP"},
	{"map", cmd_map, "dump, look up, update or delete the maps of an object after a run"},
	{"obj", cmd_obj, "show the programs, maps and BTF of a BPF object"},
	{"run", cmd_run, "run a program in the interpreter"},
	{"seccomp", cmd_seccomp, "compile a seccomp policy to a filter, or run a command under it"},
	{"verify", cmd_verify, "prove the programs of an object safe, or explain why not"},
	{"version", cmd_version, "print the version"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: bpftk <command> [options]   (bpftk <command> --help)\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\nexit codes: 0 ok, 1 input rejected, 2 usage error, "
		     "3 program fault at run time, 4 I/O error\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_is(argv[1], "-h", "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (cli_is(argv[1], "-V", "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	cli_error("unknown command '%s' (try 'bpftk --help')", argv[1]);
	return EXIT_USAGE;
}
