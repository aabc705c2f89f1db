/* test_helpers_kernel_tail.c — tail calls made inside bpf-to-bpf
 * subprograms, against the live kernel.
 *
 * Since Linux 5.10 (x86-64 JIT) a subprogram may tail call: only its own
 * frame is replaced, so the target's return value comes back to the
 * subprogram's caller, which goes on with its callee-saved registers.  The
 * XDP programs below check that: `entry` keeps a packet-derived value in a
 * callee-saved register across a call to `sub`, which tail calls slot k of
 * a prog array; slot 0 holds `leaf` (returns 3), slot 2 `chain` (tail
 * calls slot 0 from its main function), slot 3 `entry` itself (so the
 * chain recurses until the kernel's limit of 33 tail calls makes a call
 * fail), slot 1 stays empty (the call fails, `sub` goes on).  Every slot
 * runs in the kernel (BPF_PROG_TEST_RUN) and in bpftk; retvals must agree.
 *
 * Skips (exit 77, "skip: ...") without clang, libbpf, or bpf().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/object.h>
#include <bpftk/run.h>

#include "test.h"

#ifndef BPFTK_HAVE_LIBBPF
int main(void)
{
	printf("skip: libbpf not found at build time\n");
	return 77;
}
#else
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "test_helpers_kprog.h"
#include "test_helpers_kdiff.h"

static const char prog_src[] =
	KPROG_PRELUDE
	"static long (*tail_call)(void *, void *, __u32) = (void *)12;\n"
	"struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY);\n"
	"	__uint(max_entries, 4); __type(key, __u32);\n"
	"	__type(value, __u32); } jmp SEC(\".maps\");\n"
	"SEC(\"xdp\") int leaf(struct xdp_md *ctx) { return 3; }\n"
	"SEC(\"xdp\") int chain(struct xdp_md *ctx)\n"
	"{\n"
	"	tail_call(ctx, &jmp, 0);\n"
	"	return 7;\n"
	"}\n"
	"static __attribute__((noinline)) int sub(struct xdp_md *ctx, __u32 k)\n"
	"{\n"
	"	volatile int pad = 5;\n"
	"	tail_call(ctx, &jmp, k);\n"
	"	return 100 + pad;\n"
	"}\n"
	"SEC(\"xdp\") int entry(struct xdp_md *ctx)\n"
	"{\n"
	"	unsigned char *d = (void *)(long)ctx->data;\n"
	"	if (d + 2 > (unsigned char *)(long)ctx->data_end)\n"
	"		return 1;\n"
	"	__u32 keep = d[1];\n"
	"	int r = sub(ctx, d[0]);\n"
	"	return r * 1000 + keep;\n"
	"}\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

/* object order: leaf 1, chain 2, entry 3 (bpftk's program ids) */
static const struct {
	uint32_t slot;
	const char *prog;
	uint32_t id;
} slots[] = {{0, "leaf", 1}, {2, "chain", 2}, {3, "entry", 3}};

static void run(void)
{
	struct kprog kp;
	if (kprog_build(&kp, prog_src))
		return;
	const char *obj = kp.obj;

	struct bpf_object *ko = bpf_object__open_file(obj, NULL);
	int kfd = -1, kerr = 0;
	if (!libbpf_get_error(ko) && bpf_object__load(ko) == 0) {
		int jmp = bpf_map__fd(bpf_object__find_map_by_name(ko, "jmp"));
		for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
			int fd = bpf_program__fd(bpf_object__find_program_by_name(
				ko, slots[i].prog));
			kerr |= bpf_map_update_elem(jmp, &slots[i].slot, &fd, 0);
		}
		kfd = bpf_program__fd(
			bpf_object__find_program_by_name(ko, "entry"));
	}
	CHECK(kfd >= 0 && !kerr);

	struct bpftk_object *o = NULL;
	struct bpftk_run *r = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	kdiff_bpftk_open(obj, "entry", &o, &r, d);
	if (r) {
		struct bpftk_map *jmp = bpftk_run_map(r, "jmp");
		for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
			CHECK(bpftk_map_update_elem(jmp, &slots[i].slot,
						    &slots[i].id, 0) == 0);
	}
	long compared = 0, differ = 0;
	for (uint32_t k = 0; r && kfd >= 0 && k < 5; k++) {
		unsigned char pkt[64];
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = (unsigned char)k;
		pkt[1] = (unsigned char)(40 + k);
		struct bpf_test_run_opts kt;
		struct bpftk_test_run_opts bt;
		memset(&kt, 0, sizeof(kt));
		memset(&bt, 0, sizeof(bt));
		int be, ke = kdiff_test_run(kfd, r, d, pkt, sizeof(pkt), &kt,
					    &bt, &be);
		compared++;
		printf("slot %u: kernel %d/%u, bpftk %d/%u\n", k, ke, kt.retval,
		       be, bt.retval);
		if (ke != be || kt.retval != bt.retval)
			differ++;
	}
	printf("tail calls inside a subprogram: %ld runs compared, %ld "
	       "differences\n",
	       compared, differ);
	CHECK(compared == 5 && differ == 0);
	bpftk_run_free(r);
	bpftk_object_close(o);
	bpftk_diags_free(d);
	bpf_object__close(ko);
	kprog_clean(&kp);
}

TEST_MAIN(run())
#endif
