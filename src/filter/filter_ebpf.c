/* filter_ebpf.c — stub, replaced below */
#include <errno.h>
#include "filter_int.h"
int fl_ebpf_from_cbpf(const struct bpftk_cbpf_insn *prog, size_t n,
		      enum bpftk_filter_ebpf_kind kind, struct bpftk_insn **out,
		      size_t *nout, struct bpftk_diags *d)
{
	(void)prog; (void)n; (void)kind; (void)out; (void)nout; (void)d;
	return -ENOTSUP;
}
