/* fuzz_filter.c — libFuzzer target for the pcap-filter compiler.  The
 * first input byte picks the link type and flags, the rest is the
 * expression (cut at the first NUL).  What compiles must be a valid
 * classic program for the pcap flavour, run on a fixed packet, and its
 * eBPF translation must pass the ISA validator and (for the raw kind) give
 * the same result in the interpreter; a rejection must carry exactly one
 * error with a column inside the expression.  A last compile fails one
 * allocation (chosen from the input) and must end in -ENOMEM or success.
 * Anything else aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <bpftk/filter.h>
#include <bpftk/isa.h>
#include <bpftk/vm.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_alloc.h"

/* An Ethernet/IPv4/TCP packet, so most filters get somewhere. */
static const uint8_t pkt[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0, 80, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0,
	0, 0,
};

static uint32_t run_ebpf(const struct bpftk_insn *e, size_t n)
{
	struct bpftk_vm *vm = NULL;
	struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_CHECKED};
	struct bpftk_vm_region reg = {(void *)(uintptr_t)pkt, sizeof(pkt), 0};
	struct bpftk_vm_run_opts ro = {.sz = sizeof(ro), .regions = &reg,
				       .nregions = 1};
	uint64_t r0 = 0;

	ro.args[0] = (uint64_t)(uintptr_t)pkt;
	ro.args[1] = sizeof(pkt);
	ro.args[2] = sizeof(pkt);
	if (bpftk_vm_new(&o, &vm) || bpftk_vm_load(vm, e, n, NULL) ||
	    bpftk_vm_run(vm, &ro, &r0, NULL))
		abort(); /* the translation must load and run */
	bpftk_vm_free(vm);
	return (uint32_t)r0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = {DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL,
				   DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
				   DLT_IEEE802_11, DLT_IEEE802_11_RADIO};
	if (size < 1)
		return 0;
	int dlt = dlts[data[0] % 8];
	unsigned flags = (data[0] & 0x08) ? BPFTK_FILTER_OPTIMIZE : 0;
	char *expr = malloc(size);
	if (!expr)
		return 0;
	memcpy(expr, data + 1, size - 1);
	expr[size - 1] = 0;
	size_t len = strlen(expr);

	for (int failing = 0; failing < 2; failing++) {
		if (failing)
			failing_start(data, size, 64);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_cbpf_insn *p = NULL;
		size_t n = 0;
		unsigned long before = calls;
		int err = bpftk_filter_compile(expr, dlt, 262144, 0xffffff00u,
					       flags, &p, &n, d);
		if (failing) {
			if (before < fail_at && calls >= fail_at && err != -ENOMEM &&
			    err != -EINVAL && err != -ENOTSUP)
				abort();
			bpftk_cbpf_free(p);
			bpftk_diags_free(d);
			bpftk_set_allocator(NULL, NULL, NULL);
			break;
		}
		if (err) {
			if (!d || p)
				abort();
			if (err != -ENOMEM) {
				const struct bpftk_diag *g = bpftk_diags_get(d, 0);
				if (bpftk_diags_errors(d) != 1 || !g || g->col < 1 ||
				    (size_t)g->col > len + 1)
					abort();
			}
		} else {
			if (!n || bpftk_cbpf_validate(p, n, BPFTK_CBPF_PCAP, NULL))
				abort();
			uint32_t r = bpftk_cbpf_run(p, n, BPFTK_CBPF_PCAP, pkt,
						    sizeof(pkt), sizeof(pkt));
			struct bpftk_insn *e = NULL;
			size_t ne = 0;
			if (bpftk_filter_compile_ebpf(expr, dlt, 262144, 0xffffff00u,
						      flags, BPFTK_FILTER_EBPF_RAW,
						      &e, &ne, NULL) == 0) {
				if (bpftk_isa_validate(e, ne, NULL, "filter"))
					abort();
				if (run_ebpf(e, ne) != r)
					abort();
			}
			bpftk_cbpf_free(e);
		}
		bpftk_cbpf_free(p);
		bpftk_diags_free(d);
	}
	free(expr);
	return 0;
}
