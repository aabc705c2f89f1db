/* test_helpers_kernel_redir.c — bpf_redirect_map into devmap, devmap_hash,
 * cpumap and xskmap, and bpf_perf_event_output's error paths, against the
 * live kernel's test run (the oracle).
 *
 * One XDP program (written below, built with clang -target bpf) reads an
 * operation, a key and flags from the packet, calls the helper and returns
 * its result (redirect_map: the XDP action; perf_event_output: its error
 * code as a u32).  The devmaps hold ifindex 1 (lo) at some keys, set the
 * same way in both; the cpumap holds CPU 0, the xskmap and perf event
 * array stay empty (no AF_XDP socket or perf event in either).  Every
 * combination runs in the kernel (BPF_PROG_TEST_RUN) and in bpftk, and the
 * return values must be equal.
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
	"static long (*redirect_map)(void *, __u32, __u64) = (void *)51;\n"
	"static long (*perf_out)(void *, void *, __u64, void *, __u64) =\n"
	"	(void *)25;\n"
	"struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 8);\n"
	"	__type(key, __u32); __type(value, __u32); } dev SEC(\".maps\");\n"
	"struct { __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);\n"
	"	__uint(max_entries, 8); __type(key, __u32);\n"
	"	__type(value, __u32); } devh SEC(\".maps\");\n"
	"struct { __uint(type, BPF_MAP_TYPE_CPUMAP); __uint(max_entries, 4);\n"
	"	__type(key, __u32); __type(value, __u32); } cpu SEC(\".maps\");\n"
	"struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 4);\n"
	"	__type(key, __u32); __type(value, __u32); } xsk SEC(\".maps\");\n"
	"struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);\n"
	"	__uint(max_entries, 4); __type(key, __u32);\n"
	"	__type(value, __u32); } perf SEC(\".maps\");\n"
	"SEC(\"xdp\") int redir(struct xdp_md *ctx)\n"
	"{\n"
	"	unsigned char *d = (void *)(long)ctx->data;\n"
	"	if (d + 24 > (unsigned char *)(long)ctx->data_end)\n"
	"		return 1;\n"
	"	__u32 key = *(__u32 *)(d + 16);\n"
	"	__u64 flags = *(__u64 *)(d + 8);\n"
	"	__u64 v = 7;\n"
	"	switch (d[0]) {\n"
	"	case 0: return redirect_map(&dev, key, flags);\n"
	"	case 1: return redirect_map(&devh, key, flags);\n"
	"	case 2: return redirect_map(&cpu, key, flags);\n"
	"	case 3: return redirect_map(&xsk, key, flags);\n"
	"	case 4: redirect_map(&dev, key, flags);\n"
	"		return redirect_map(&dev, key + 1, flags);\n"
	"	case 5: return (__u32)perf_out(ctx, &perf, flags, &v, sizeof(v));\n"
	"	}\n"
	"	return 2;\n"
	"}\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

static long compared, differ, redirects, errors;

/* Both sides' maps: devmaps hold lo at keys 1, 3 (and 6 in the hash);
 * the cpumap holds CPU 0 with a queue of 192. */
static int fill_kernel(struct bpf_object *o)
{
	uint32_t lo = 1, q = 192, k;
	int dev = bpf_map__fd(bpf_object__find_map_by_name(o, "dev"));
	int devh = bpf_map__fd(bpf_object__find_map_by_name(o, "devh"));
	int cpu = bpf_map__fd(bpf_object__find_map_by_name(o, "cpu"));
	int err = 0;
	k = 1, err |= bpf_map_update_elem(dev, &k, &lo, 0);
	k = 3, err |= bpf_map_update_elem(dev, &k, &lo, 0);
	k = 3, err |= bpf_map_update_elem(devh, &k, &lo, 0);
	k = 6, err |= bpf_map_update_elem(devh, &k, &lo, 0);
	k = 0, err |= bpf_map_update_elem(cpu, &k, &q, 0);
	return err;
}

static int fill_bpftk(struct bpftk_run *r)
{
	uint32_t lo = 1, q = 192, k;
	struct bpftk_map *dev = bpftk_run_map(r, "dev");
	struct bpftk_map *devh = bpftk_run_map(r, "devh");
	struct bpftk_map *cpu = bpftk_run_map(r, "cpu");
	int err = 0;
	k = 1, err |= bpftk_map_update_elem(dev, &k, &lo, 0);
	k = 3, err |= bpftk_map_update_elem(dev, &k, &lo, 0);
	k = 3, err |= bpftk_map_update_elem(devh, &k, &lo, 0);
	k = 6, err |= bpftk_map_update_elem(devh, &k, &lo, 0);
	k = 0, err |= bpftk_map_update_elem(cpu, &k, &q, 0);
	return err;
}

static void run(void)
{
	struct kprog kp;
	if (kprog_build(&kp, prog_src))
		return;
	const char *obj = kp.obj;

	struct bpf_object *ko = bpf_object__open_file(obj, NULL);
	int kfd = -1;
	if (!libbpf_get_error(ko) && bpf_object__load(ko) == 0 &&
	    fill_kernel(ko) == 0)
		kfd = bpf_program__fd(
			bpf_object__find_program_by_name(ko, "redir"));
	CHECK(kfd >= 0);
	struct bpftk_object *o = NULL;
	struct bpftk_run *r = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	kdiff_bpftk_open(obj, NULL, &o, &r, d);
	CHECK(r && fill_bpftk(r) == 0);
	if (!r || kfd < 0)
		goto out;

	static const uint64_t flags[] = {
		0, 1, 2, 3, 4, 1ULL << 3, (1ULL << 3) | 2, (1ULL << 4) | 1,
		(1ULL << 3) | (1ULL << 4), 1ULL << 5, 0xffffffffULL,
		1ULL << 32, 0xffffffffULL | (1ULL << 32), 2ULL << 32, 5};
	for (unsigned op = 0; op < 6; op++)
		for (uint32_t key = 0; key < 9; key++)
			for (size_t fi = 0; fi < sizeof(flags) / sizeof(flags[0]);
			     fi++) {
				unsigned char pkt[64];
				memset(pkt, 0, sizeof(pkt));
				pkt[0] = (unsigned char)op;
				memcpy(pkt + 8, &flags[fi], 8);
				memcpy(pkt + 16, &key, 4);
				struct bpf_test_run_opts kt;
				struct bpftk_test_run_opts bt;
				memset(&kt, 0, sizeof(kt));
				memset(&bt, 0, sizeof(bt));
				int be, ke = kdiff_test_run(kfd, r, d, pkt,
							    sizeof(pkt), &kt,
							    &bt, &be);
				compared++;
				redirects += !ke && kt.retval == 4;
				errors += !ke && (int32_t)kt.retval < 0;
				if (ke != be ||
				    (!ke && kt.retval != bt.retval)) {
					differ++;
					if (differ <= 30)
						printf("DIFF op %u key %u flags "
						       "%#llx: kernel %d/%d, "
						       "bpftk %d/%d\n",
						       op, key,
						       (unsigned long long)flags[fi],
						       ke, (int)kt.retval, be,
						       (int)bt.retval);
				}
			}
	printf("redirect_map/perf_event_output: %ld runs compared (%ld "
	       "XDP_REDIRECT, %ld helper errors), %ld differences\n",
	       compared, redirects, errors, differ);
	CHECK(redirects > 50 && errors > 50);
	CHECK(differ == 0);
	CHECK(compared == 6 * 9 * 15);
out:
	bpftk_run_free(r);
	bpftk_object_close(o);
	bpftk_diags_free(d);
	bpf_object__close(ko);
	kprog_clean(&kp);
}

TEST_MAIN(run())
#endif
