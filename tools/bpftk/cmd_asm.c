/* cmd_asm.c — placeholder until the subsystem lands (replaced in this change
 * series; never shipped as a feature). */
#include "cli.h"

int cmd_asm(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("asm: not built yet");
	return EXIT_USAGE;
}
