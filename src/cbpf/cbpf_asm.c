/* cbpf_asm.c — the `tcpdump -d` listing syntax back into classic code.
 * (First commit: not implemented yet; returns -ENOTSUP.) */
#include <errno.h>

#include "cbpf_int.h"

int bpftk_cbpf_asm(const char *text, const char *file,
		   struct bpftk_cbpf_insn **out, size_t *n,
		   struct bpftk_diags *d)
{
	(void)text;
	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	bpftk_diags_add(d, BPFTK_SEV_ERROR, file, 0, 0, NULL, -1,
			"classic BPF assembler not implemented yet");
	return -ENOTSUP;
}
