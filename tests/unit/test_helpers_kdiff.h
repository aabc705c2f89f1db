/* test_helpers_kdiff.h — the two sides of the kernel differential tests of
 * helpers (test_helpers_kernel_*.c): bpftk's run of the same object, set
 * up the one way those tests need (checked mode, bpftk's verifier not
 * consulted, so the helpers themselves are compared), and one test run of
 * the same input in the kernel and in bpftk.  Needs libbpf; include it
 * after test_helpers_kprog.h inside the BPFTK_HAVE_LIBBPF branch. */
#ifndef BPFTK_TEST_HELPERS_KDIFF_H
#define BPFTK_TEST_HELPERS_KDIFF_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpftk/object.h>
#include <bpftk/run.h>

#include "test.h"

/* The start of a test program's C source: the uapi headers and libbpf's
 * section and map-definition macros, written out (no libbpf headers
 * needed for the BPF side). */
#define KPROG_PRELUDE                                                        \
	"#include <linux/bpf.h>\n"                                            \
	"#include <linux/types.h>\n"                                          \
	"#define SEC(n) __attribute__((section(n), used))\n"                  \
	"#define __uint(n, v) int(*n)[v]\n"                                   \
	"#define __type(n, v) typeof(v) *n\n"

/* Opens obj in bpftk and prepares a run of prog_name (NULL: the first
 * program); *o and *r stay NULL where that failed (CHECKed here), and the
 * caller frees what was made.  0 when *r is ready, else -1. */
static int kdiff_bpftk_open(const char *obj, const char *prog_name,
			    struct bpftk_object **o, struct bpftk_run **r,
			    struct bpftk_diags *d)
{
	struct bpftk_run_opts ro;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.mode = BPFTK_VM_CHECKED;
	/* helpers in checked mode, whatever bpftk's verifier says */
	ro.flags = BPFTK_RUN_NO_VERIFY;
	ro.prog_name = prog_name;
	CHECK(bpftk_object_open_file(obj, NULL, o, d) == 0);
	CHECK(*o && bpftk_run_new(*o, &ro, r, d) == 0);
	return *r ? 0 : -1;
}

/* Runs the input in the kernel (kfd) and then in bpftk (r).  kt and bt
 * come zeroed, with any output buffers the caller wants filled; the size
 * and input fields are set here.  Returns the kernel's result (0 or
 * -errno) and bpftk's in *be. */
static int kdiff_test_run(int kfd, struct bpftk_run *r, struct bpftk_diags *d,
			  const void *in, uint32_t len,
			  struct bpf_test_run_opts *kt,
			  struct bpftk_test_run_opts *bt, int *be)
{
	kt->sz = sizeof(*kt);
	kt->data_in = in;
	kt->data_size_in = len;
	int ke = bpf_prog_test_run_opts(kfd, kt) ? -errno : 0;
	bt->sz = sizeof(*bt);
	bt->data_in = in;
	bt->data_size_in = len;
	*be = bpftk_run_test(r, bt, d);
	return ke;
}

#endif
