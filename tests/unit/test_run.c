/* test_run.c — the test-run API on objects compiled at test time
 * (tests/data/progs/run_misc.c, xdp_tail.c): program selection, packet
 * and context conventions per type, global data, tail-call limits, faults
 * with their diagnostics, and argument errors.  The packet semantics
 * themselves are checked against the kernel by test_run_kernel.
 * Skipped (77) without clang.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/run.h>

#include "test.h"

static struct bpftk_object *compile(const char *name)
{
	char obj[256], cmd[1024];
	snprintf(obj, sizeof(obj), "/tmp/bpftk_test_run_%d_%s.o", (int)getpid(),
		 name);
	snprintf(cmd, sizeof(cmd),
		 "clang -target bpf -O2 -g -Wall -I/usr/include/$(uname -m)-linux-gnu "
		 "-Itests/data/progs -c tests/data/progs/%s.c -o %s",
		 name, obj);
	CHECK(system(cmd) == 0);
	struct bpftk_object *o = NULL;
	CHECK(bpftk_object_open_file(obj, NULL, &o, NULL) == 0);
	unlink(obj);
	return o;
}

static struct bpftk_run *start(struct bpftk_object *o, const char *prog,
			       int want_err, const char *want_msg)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_run *r = NULL;
	/* the run machinery in checked mode, faults included: unverified */
	struct bpftk_run_opts ro = {.sz = sizeof(ro), .prog_name = prog,
				    .flags = BPFTK_RUN_NO_VERIFY};
	int err = bpftk_run_new(o, &ro, &r, d);
	CHECK_EQ_U64(err, want_err);
	if (want_msg) {
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		CHECK(g && strstr(g->msg, want_msg));
	}
	bpftk_diags_free(d);
	return r;
}

static uint8_t pkt[64] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0,
			  0x45};

static void test_misc(struct bpftk_object *o)
{
	start(o, "nope", -ENOENT, "no program named 'nope'");
	start(o, "kp_bad_helper", -EINVAL,
	      "helper bpf_xdp_adjust_head#44 is not available to kprobe");
	struct bpftk_run *r = start(o, "sock_len", 0, NULL);
	if (r) {
		uint8_t out[128];
		struct bpftk_test_run_opts t = {.sz = sizeof(t)};
		t.data_in = pkt;
		t.data_size_in = sizeof(pkt);
		t.data_out = out;
		t.data_size_out = sizeof(out);
		struct __sk_buff ctx_out;
		t.ctx_out = &ctx_out;
		t.ctx_size_out = sizeof(ctx_out);
		CHECK(bpftk_run_test(r, &t, NULL) == 0);
		/* socket filters see the packet from the network header */
		CHECK_EQ_U64(t.retval, sizeof(pkt) - 14);
		CHECK_EQ_U64(t.data_size_out, sizeof(pkt));
		CHECK(!memcmp(out, pkt, sizeof(pkt)));
		CHECK_EQ_U64(t.ctx_size_out, sizeof(struct __sk_buff));
		CHECK_EQ_U64(ctx_out.cb[0], sizeof(pkt) - 14);
		CHECK_EQ_U64(ctx_out.len, sizeof(pkt) - 14);
		/* too short for an Ethernet header; output buffer too small */
		t.data_size_in = 13;
		CHECK(bpftk_run_test(r, &t, NULL) == -EINVAL);
		t.data_size_in = sizeof(pkt);
		t.data_size_out = 10;
		CHECK(bpftk_run_test(r, &t, NULL) == -ENOSPC);
		CHECK_EQ_U64(t.data_size_out, sizeof(pkt));
		bpftk_run_free(r);
	}
	r = start(o, "kp", 0, NULL);
	if (r) {
		uint64_t regs[21] = {0};
		regs[14] = 0xfeedbeef; /* di */
		struct bpftk_test_run_opts t = {.sz = sizeof(t)};
		t.ctx_in = regs;
		t.ctx_size_in = sizeof(regs);
		CHECK(bpftk_run_test(r, &t, NULL) == 0);
		/* .bss holds seen_di (and sock_cb) */
		struct bpftk_map *bss = NULL;
		size_t n = bpftk_object_map_count(o);
		for (size_t i = 0; i < n; i++)
			if (bpftk_object_map_kind(bpftk_object_map_at(o, i)) ==
			    BPFTK_OBJ_MAP_BSS)
				bss = bpftk_run_map(
					r, bpftk_object_map_name(
						   bpftk_object_map_at(o, i)));
		CHECK(bss != NULL);
		uint8_t v[64] = {0};
		uint32_t k = 0;
		if (bss)
			CHECK(bpftk_map_lookup_elem(bss, &k, v, 0) == 0);
		uint64_t di; /* after the u32 sock_cb, as clang lays .bss out */
		memcpy(&di, v + 8, 8);
		CHECK_EQ_U64(di, 0xfeedbeef);
		bpftk_run_free(r);
	}
	r = start(o, "raw_sum", 0, NULL);
	if (r) {
		uint8_t mem[4] = {1, 2, 3, 4}, out[4];
		struct bpftk_test_run_opts t = {.sz = sizeof(t)};
		t.data_in = mem;
		t.data_size_in = 4;
		t.data_out = out;
		t.data_size_out = 4;
		CHECK(bpftk_run_test(r, &t, NULL) == 0);
		CHECK_EQ_U64(t.retval, 10);
		CHECK(out[0] == 0xaa && out[1] == 2 && mem[0] == 1);
		bpftk_run_free(r);
	}
	r = start(o, "xdp_oob", 0, NULL);
	if (r) {
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_test_run_opts t = {.sz = sizeof(t)};
		t.data_in = pkt;
		t.data_size_in = sizeof(pkt);
		CHECK(bpftk_run_test(r, &t, d) == -EFAULT);
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		CHECK(g && g->insn >= 0 && strstr(g->msg, "out-of-bounds load"));
		bpftk_diags_free(d);
		/* frames larger than 4096 - 256 - 320 bytes */
		static uint8_t big[4000];
		t.data_in = big;
		t.data_size_in = sizeof(big);
		CHECK(bpftk_run_test(r, &t, NULL) == -E2BIG);
		bpftk_run_free(r);
	}
	r = start(o, "xdp_count", 0, NULL);
	if (r) {
		struct bpftk_test_run_opts t = {.sz = sizeof(t)};
		t.data_in = pkt;
		t.data_size_in = sizeof(pkt);
		t.repeat = 10;
		CHECK(bpftk_run_test(r, &t, NULL) == 0);
		CHECK_EQ_U64(t.retval, XDP_PASS);
		struct bpftk_map *data = NULL;
		for (size_t i = 0; i < bpftk_object_map_count(o); i++)
			if (bpftk_object_map_kind(bpftk_object_map_at(o, i)) ==
			    BPFTK_OBJ_MAP_DATA)
				data = bpftk_run_map(
					r, bpftk_object_map_name(
						   bpftk_object_map_at(o, i)));
		uint64_t v = 0;
		uint32_t k = 0;
		CHECK(data && bpftk_map_lookup_elem(data, &k, &v, 0) == 0);
		CHECK_EQ_U64(v, 15); /* initial 5, ten runs */
		bpftk_run_free(r);
	}
}

static void test_loop_fault(struct bpftk_object *o)
{
	struct bpftk_run *r = start(o, "xdp_loop_fault", 0, NULL);
	if (!r)
		return;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_test_run_opts t = {.sz = sizeof(t)};
	t.data_in = pkt;
	t.data_size_in = sizeof(pkt);
	CHECK(bpftk_run_test(r, &t, d) == -EFAULT);
	const struct bpftk_diag *g = bpftk_diags_get(d, 0);
	CHECK(g && strstr(g->msg, "loop") && strstr(g->msg, "in callback") &&
	      strstr(g->msg, "null pointer"));
	if (g)
		printf("callback fault: %s\n", g->msg);
	bpftk_diags_free(d);
	bpftk_run_free(r);
}

/* Every allocation of bpftk_run_new fails in turn: -ENOMEM, no leak
 * (ASan), and the run works once nothing fails. */
static long fail_at = -1, allocs;
static void *fail_malloc(size_t n)
{
	return allocs++ == fail_at ? NULL : malloc(n);
}
static void *fail_realloc(void *p, size_t n)
{
	return allocs++ == fail_at ? NULL : realloc(p, n);
}

static void test_oom(struct bpftk_object *o)
{
	int ok = 0;
	for (fail_at = 0; fail_at < 2000 && !ok; fail_at++) {
		allocs = 0;
		bpftk_set_allocator(fail_malloc, fail_realloc, free);
		struct bpftk_run *r = NULL;
		struct bpftk_run_opts ro = {.sz = sizeof(ro),
					    .prog_name = "xdp_count"};
		int err = bpftk_run_new(o, &ro, &r, NULL);
		bpftk_set_allocator(NULL, NULL, NULL);
		if (!err) {
			ok = 1;
			bpftk_run_free(r);
		} else if (err != -ENOMEM) {
			fprintf(stderr, "allocation %ld: %d\n", fail_at, err);
			CHECK(err == -ENOMEM);
		}
	}
	CHECK(ok);
}

static void test_tail(struct bpftk_object *o)
{
	struct bpftk_run *r = start(o, "entry", 0, NULL);
	if (!r)
		return;
	/* ICMP: entry -> on_loop, which calls itself until the limit */
	uint8_t icmp[42] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0,
			    0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1};
	struct bpftk_test_run_opts t = {.sz = sizeof(t)};
	t.data_in = icmp;
	t.data_size_in = sizeof(icmp);
	CHECK(bpftk_run_test(r, &t, NULL) == 0);
	CHECK_EQ_U64(t.retval, XDP_TX);
	CHECK_EQ_U64(bpftk_helper_env_tail_count(bpftk_run_env(r)), 33);
	struct bpftk_map *hits = bpftk_run_map(r, "hits");
	uint64_t v = 0;
	uint32_t k = 4;
	CHECK(bpftk_map_lookup_elem(hits, &k, &v, 0) == 0);
	CHECK_EQ_U64(v, 33);
	k = 5;
	CHECK(bpftk_map_lookup_elem(hits, &k, &v, 0) == 0);
	CHECK_EQ_U64(v, 1);
	/* emptying a slot from userspace: the call falls through */
	k = 4;
	CHECK(bpftk_map_delete_elem(bpftk_run_map(r, "jmp"), &k) == 0);
	CHECK(bpftk_run_test(r, &t, NULL) == 0);
	CHECK_EQ_U64(t.retval, XDP_PASS);
	/* program ids follow the object's order (by offset in the section:
	 * on_tcp is 1), put on_tcp in slot 4 */
	uint32_t id = 1;
	CHECK(bpftk_map_update_elem(bpftk_run_map(r, "jmp"), &k, &id, 0) == 0);
	CHECK(bpftk_run_test(r, &t, NULL) == 0);
	CHECK_EQ_U64(t.retval, XDP_DROP);
	bpftk_run_free(r);
}

TEST_MAIN({
	if (system("clang --version >/dev/null 2>&1")) {
		printf("skipped: clang not found\n");
		return 77;
	}
	CHECK(bpftk_run_new(NULL, NULL, NULL, NULL) == -EINVAL);
	CHECK(bpftk_run_test(NULL, NULL, NULL) == -EINVAL);
	bpftk_run_free(NULL);
	struct bpftk_object *o = compile("run_misc");
	if (o) {
		test_misc(o);
		test_loop_fault(o);
		test_oom(o);
	}
	bpftk_object_close(o);
	o = compile("xdp_tail");
	if (o)
		test_tail(o);
	bpftk_object_close(o);
})
