/* cmd_version.c — `bpftk version`. */
#include <stdio.h>

#include <bpftk/common.h>

#include "cli.h"

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && cli_is(argv[1], "-h", "--help")) {
		printf("usage: bpftk version\n\nPrints the bpftk version.\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		cli_error("version: unexpected argument '%s'", argv[1]);
		return EXIT_USAGE;
	}
	printf("bpftk %s\n", bpftk_version());
	return EXIT_OK;
}
