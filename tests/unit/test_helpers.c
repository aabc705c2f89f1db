/* test_helpers.c — the helper table and every helper's behaviour.
 *
 * Oracles we did not write: the kernel's helper ids (enum bpf_func_id of
 * <linux/bpf.h>), the C library's printf for the numeric conversions, and
 * the documented semantics of each helper (return codes of full maps,
 * queues that overwrite, probe reads that zero on fault, strncmp, bpf_loop
 * counting...).  Programs are C compiled at test time (tests/data/progs/
 * helpers.c) and run through bpftk_run; skipped without clang.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/helpers.h>
#include <bpftk/run.h>

#include "test.h"

#define ID(name) {#name, BPF_FUNC_##name}
static const struct {
	const char *name;
	int id;
} kernel_ids[] = {
	ID(map_lookup_elem), ID(map_update_elem), ID(map_delete_elem),
	ID(probe_read), ID(ktime_get_ns), ID(trace_printk),
	ID(get_prandom_u32), ID(get_smp_processor_id), ID(skb_store_bytes),
	ID(l3_csum_replace), ID(l4_csum_replace), ID(tail_call),
	ID(clone_redirect), ID(get_current_pid_tgid), ID(get_current_uid_gid),
	ID(get_current_comm), ID(skb_vlan_push), ID(skb_vlan_pop),
	ID(skb_get_tunnel_key), ID(skb_set_tunnel_key), ID(redirect),
	ID(perf_event_output), ID(skb_load_bytes), ID(csum_diff),
	ID(skb_change_proto), ID(skb_under_cgroup), ID(get_hash_recalc), ID(skb_change_tail),
	ID(get_numa_node_id), ID(xdp_adjust_head), ID(probe_read_str),
	ID(redirect_map), ID(xdp_adjust_meta), ID(xdp_adjust_tail),
	ID(fib_lookup),	ID(map_push_elem), ID(map_pop_elem), ID(map_peek_elem), ID(spin_lock),
	ID(spin_unlock), ID(probe_read_user), ID(probe_read_kernel),
	ID(probe_read_user_str), ID(probe_read_kernel_str), ID(jiffies64),
	ID(ktime_get_boot_ns), ID(ringbuf_output), ID(ringbuf_reserve),
	ID(ringbuf_submit), ID(ringbuf_discard), ID(ringbuf_query),
	ID(snprintf), ID(loop), ID(strncmp), ID(map_lookup_percpu_elem),
	ID(get_cgroup_classid), ID(perf_event_read), ID(get_stackid),
	ID(current_task_under_cgroup), ID(perf_event_read_value),
};

static void test_table(void)
{
	size_t n;
	const struct bpftk_helper *t = bpftk_helper_table(&n);
	CHECK_EQ_U64(n, sizeof(kernel_ids) / sizeof(kernel_ids[0]));
	for (size_t i = 0; i < n; i++) {
		CHECK(t[i].fn != NULL && t[i].name && t[i].prog_types);
		if (i)
			CHECK(t[i - 1].id < t[i].id);
		CHECK(bpftk_helper_get(t[i].id) == &t[i]);
	}
	for (size_t i = 0; i < sizeof(kernel_ids) / sizeof(kernel_ids[0]); i++) {
		const struct bpftk_helper *h = bpftk_helper_find(kernel_ids[i].name);
		CHECK(h != NULL);
		if (h)
			CHECK_EQ_U64(h->id, kernel_ids[i].id);
	}
	CHECK(bpftk_helper_find("bpf_map_lookup_elem") ==
	      bpftk_helper_get(BPF_FUNC_map_lookup_elem));
	CHECK(bpftk_helper_find("nope") == NULL);
	CHECK(bpftk_helper_get(BPF_FUNC_get_route_realm) == NULL);
	const struct bpftk_helper *l = bpftk_helper_get(BPF_FUNC_map_lookup_elem);
	CHECK_EQ_U64(l->args[0], BPFTK_ARG_CONST_MAP_PTR);
	CHECK_EQ_U64(l->args[1], BPFTK_ARG_PTR_TO_MAP_KEY);
	CHECK_EQ_U64(l->ret, BPFTK_RET_PTR_TO_MAP_VALUE_OR_NULL);
	CHECK(bpftk_helper_get(BPF_FUNC_xdp_adjust_head)->prog_types ==
	      BPFTK_PT_XDP);
	/* "tracing progs cannot use bpf_spin_lock yet" (the verifier) */
	CHECK(!(bpftk_helper_get(BPF_FUNC_spin_lock)->prog_types &
		BPFTK_PT_TRACING));
}

static void test_format(void)
{
	char out[128], ref[128];
	uint64_t a[3] = {(uint64_t)-5, 0xabcdef, 42};
	static const char *const fmts[] = {
		"%d|%x|%u",	 "%5d|%-8x|%03u",   "%lld|%llx|%llu",
		"%+ld|%lX|%li",	 "%i %i %i",	    "plain",
		"%%d %d",	 "%08lx.%.3d.%-4u",
	};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		int n = bpftk_helper_format(out, sizeof(out), fmts[i],
					    strlen(fmts[i]) + 1, a, 3, NULL,
					    NULL);
		/* the same conversions through libc, int-sized without l */
		const char *f = fmts[i];
		int r;
		if (strstr(f, "ll") || strstr(f, "l"))
			r = snprintf(ref, sizeof(ref), f, (long long)a[0],
				     (long long)a[1], (long long)a[2]);
		else if (!strcmp(f, "%%d %d"))
			r = snprintf(ref, sizeof(ref), f, (int)a[0]);
		else
			r = snprintf(ref, sizeof(ref), f, (int)a[0], (int)a[1],
				     (int)a[2]);
		CHECK_EQ_U64(n, r);
		CHECK_STR(out, ref);
	}
	/* refused like bpf_bprintf_prepare */
	static const char *const bad[] = {"%n", "%f", "%hd", "%d %d %d %d",
					  "%lc", "\x01", "%pZ", "%pB"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_U64(bpftk_helper_format(out, sizeof(out), bad[i],
						 strlen(bad[i]) + 1, a, 3, NULL,
						 NULL),
			     -EINVAL);
	CHECK_EQ_U64(bpftk_helper_format(out, sizeof(out), "abc", 3, a, 3,
					 NULL, NULL),
		     -EINVAL); /* no NUL inside fmt_size */
	/* truncation returns the full length */
	CHECK_EQ_U64(bpftk_helper_format(out, 4, "%d", 6, a, 1, NULL, NULL), 2);
	CHECK_EQ_U64(bpftk_helper_format(out, 2, "hello", 6, a, 0, NULL, NULL),
		     5);
	CHECK_STR(out, "h");
	uint64_t p = 0x1234;
	bpftk_helper_format(out, sizeof(out), "%px", 4, &p, 1, NULL, NULL);
	CHECK_STR(out, "0000000000001234");
}

static int run_cmd(const char *cmd)
{
	return system(cmd);
}

static char trace_buf[256];
static void on_trace(void *arg, const char *text, size_t len)
{
	(void)arg;
	snprintf(trace_buf, sizeof(trace_buf), "%.*s", (int)len, text);
}

static uint64_t fixed_clock(void *arg, int id)
{
	(void)arg;
	return id == BPFTK_CLOCK_BOOT ? 456 : 123;
}

static int64_t outv[64];
/* helpers' own checks in checked mode: unverified, unless a test says so */
static unsigned run_flags = BPFTK_RUN_NO_VERIFY;

static int run_prog(struct bpftk_object *o, const char *name,
		    struct bpftk_run **keep, const void *ctx, size_t ctx_len,
		    const void *data, size_t data_len, unsigned cpu)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_run *r = NULL;
	struct bpftk_run_opts ro = {.sz = sizeof(ro), .prog_name = name,
				    .ncpus = 4, .flags = run_flags};
	int err = bpftk_run_new(o, &ro, &r, d);
	static const char mem[8] = "hello";
	if (!err) {
		struct bpftk_helper_env *env = bpftk_run_env(r);
		bpftk_helper_env_set_task(env, 100, 200, 1000, 2000, "tester");
		bpftk_helper_env_set_trace(env, on_trace, NULL);
		bpftk_helper_env_set_clock(env, fixed_clock, NULL);
		bpftk_helper_env_add_probe_mem(env, mem, sizeof(mem));
		uint64_t rec[2] = {(uint64_t)(uintptr_t)mem, 0x10};
		struct bpftk_test_run_opts t = {.sz = sizeof(t)};
		t.ctx_in = ctx ? ctx : rec;
		t.ctx_size_in = ctx ? (uint32_t)ctx_len : sizeof(rec);
		t.data_in = data;
		t.data_size_in = (uint32_t)data_len;
		t.cpu = cpu;
		err = bpftk_run_test(r, &t, d);
	}
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		char line[512];
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		fprintf(stderr, "%s: %s\n", name, line);
	}
	CHECK(err == 0);
	memset(outv, 0x55, sizeof(outv));
	if (!err)
		for (uint32_t k = 0; k < 64; k++)
			bpftk_map_lookup_elem(bpftk_run_map(r, "out"), &k,
					      &outv[k], 0);
	bpftk_diags_free(d);
	if (keep)
		*keep = r;
	else
		bpftk_run_free(r);
	return err;
}

static int count_rec(void *ctx, void *data, size_t n)
{
	uint64_t *sum = ctx;
	uint64_t v;
	memcpy(&v, data, 8);
	*sum += v + n * 1000;
	return 0;
}

static void test_programs(void)
{
	if (run_cmd("clang --version >/dev/null 2>&1")) {
		printf("clang not found: helper programs skipped\n");
		return;
	}
	char obj[256], cmd[1024];
	snprintf(obj, sizeof(obj), "/tmp/bpftk_test_helpers_%d.o", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "clang -target bpf -O2 -g -Wall -I/usr/include/$(uname -m)-linux-gnu "
		 "-c tests/data/progs/helpers.c -o %s",
		 obj);
	CHECK(run_cmd(cmd) == 0);
	struct bpftk_object *o = NULL;
	CHECK(bpftk_object_open_file(obj, NULL, &o, NULL) == 0);
	unlink(obj);
	if (!o)
		return;
	/* the lock's place in lk's value is read from BTF, as Linux does */
	for (size_t i = 0; i < bpftk_object_map_count(o); i++) {
		const struct bpftk_object_map *m = bpftk_object_map_at(o, i);
		CHECK_EQ_U64(bpftk_object_map_spin_lock_off(m),
			     strcmp(bpftk_object_map_name(m), "lk") ? -1 : 4);
	}
	struct bpftk_run *r = NULL;
	if (!run_prog(o, "t_maps", &r, NULL, 0, NULL, 0, 0)) {
		static const int64_t want[] = {0,  -EEXIST, 0, -E2BIG, 10, 0,
					       -ENOENT, 1, 0, 0, -E2BIG, 0,
					       0, 6, 7, -ENOENT};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			if (outv[i] != want[i])
				fprintf(stderr, "t_maps out[%zu] = %lld\n", i,
					(long long)outv[i]);
			CHECK_EQ_U64(outv[i], want[i]);
		}
		uint32_t k = 1;
		uint64_t v = 0;
		CHECK(bpftk_map_lookup_elem(bpftk_run_map(r, "h"), &k, &v, 0) == 0);
		CHECK_EQ_U64(v, 77);
	}
	bpftk_run_free(r);
	if (!run_prog(o, "t_task", NULL, NULL, 0, NULL, 0, 2)) {
		CHECK_EQ_U64(outv[0], 200ULL << 32 | 100);
		CHECK_EQ_U64(outv[1], 2000ULL << 32 | 1000);
		char comm[8];
		memcpy(comm, &outv[2], 8);
		CHECK(!memcmp(comm, "tester\0", 7));
		CHECK_EQ_U64(outv[3], 2);
		CHECK_EQ_U64(outv[4], 123);
		CHECK_EQ_U64(outv[5], 456);
		CHECK_EQ_U64(outv[6], 1);
	}
	/* checked, then verified and fast: a probe of an address nobody
	 * registered fails in both (fast mode once crashed on it) */
	for (int verified = 0; verified < 2; verified++) {
		run_flags = verified ? 0 : BPFTK_RUN_NO_VERIFY;
		memset(outv, 0x55, sizeof(outv));
		int perr = run_prog(o, "t_probe", NULL, NULL, 0, NULL, 0, 0);
		CHECK(!perr);
		if (perr)
			continue;
		CHECK_EQ_U64(outv[0], 0);
		CHECK(!memcmp(&outv[1], "hello\0\0", 8));
		CHECK_EQ_U64(outv[2], -EFAULT);
		CHECK_EQ_U64(outv[3], 0);
		CHECK_EQ_U64(outv[4], 6);
		CHECK(!memcmp(&outv[5], "hello", 6));
		CHECK_EQ_U64(outv[6], 4);
		CHECK(!memcmp(&outv[7], "hel", 4));
		CHECK_EQ_U64(outv[8], -EFAULT);
	}
	run_flags = BPFTK_RUN_NO_VERIFY;
	trace_buf[0] = '\0';
	if (!run_prog(o, "t_misc", &r, NULL, 0, NULL, 0, 0)) {
		CHECK_EQ_U64(outv[0], strlen("n=42 s=str x=00ff") + 1);
		CHECK(!memcmp(&outv[1], "n=42 s=s", 8));
		CHECK_EQ_U64(outv[2], 5);
		CHECK(!memcmp(&outv[3], "42-", 4));
		CHECK_EQ_U64(outv[4], -EINVAL);
		CHECK_EQ_U64(outv[5], strlen("v=-5 str|"));
		CHECK_STR(trace_buf, "v=-5 str|");
		CHECK_EQ_U64(outv[6], 0);
		CHECK_EQ_U64(outv[7], 1);
		CHECK_EQ_U64(outv[8], 0);
		CHECK_EQ_U64(outv[9], 10);
		CHECK_EQ_U64(outv[10], 45);
		CHECK_EQ_U64(outv[11], -EINVAL);
		CHECK_EQ_U64(outv[12], 0);
		CHECK_EQ_U64(outv[13], 24 + 16 + 16);
		CHECK_EQ_U64(outv[14], 4096);
		uint64_t sum = 0;
		CHECK_EQ_U64(bpftk_ringbuf_consume(bpftk_run_map(r, "rb"),
						   count_rec, &sum),
			     2);
		CHECK_EQ_U64(sum, 0x1234 + 16000 + 45 + 8000);
	}
	bpftk_run_free(r);
	uint8_t pkt[64] = {0};
	/* verified (its spin lock is found through BTF), then fast */
	run_flags = 0;
	if (!run_prog(o, "t_csum", NULL, NULL, 0, pkt, sizeof(pkt), 0)) {
		/* csum_diff values are checked against the kernel by
		 * test_run_kernel */
		CHECK_EQ_U64(outv[3], -EINVAL);
		CHECK_EQ_U64(outv[4], -EINVAL);
		CHECK_EQ_U64(outv[6], 4); /* XDP_REDIRECT */
		CHECK_EQ_U64(outv[7], 3);
	}
	if (!run_prog(o, "t_meta", NULL, NULL, 0, pkt, sizeof(pkt), 0))
		CHECK_EQ_U64(outv[5], -EINVAL);
	run_flags = BPFTK_RUN_NO_VERIFY;
	bpftk_object_close(o);
}

TEST_MAIN({
	test_table();
	test_format();
	test_programs();
})
