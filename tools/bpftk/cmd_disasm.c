/* cmd_disasm.c — placeholder until the subsystem lands (replaced in this change
 * series; never shipped as a feature). */
#include "cli.h"

int cmd_disasm(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("disasm: not built yet");
	return EXIT_USAGE;
}
