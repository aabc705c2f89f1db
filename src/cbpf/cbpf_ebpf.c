/* cbpf_ebpf.c — translation of classic programs to eBPF.
 * (First commit: not implemented yet; returns -ENOTSUP.) */
#include <errno.h>

#include "cbpf_int.h"

int bpftk_cbpf_to_ebpf(const struct bpftk_cbpf_insn *prog, size_t n,
		       enum bpftk_cbpf_flavor flavor, struct bpftk_insn **out,
		       size_t *nout, struct bpftk_diags *d)
{
	(void)prog;
	(void)n;
	(void)flavor;
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
			"classic to eBPF translation not implemented yet");
	return -ENOTSUP;
}
