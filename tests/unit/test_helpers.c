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
	ID(setsockopt), ID(perf_prog_read_value), ID(getsockopt),
	ID(sock_ops_cb_flags_set),
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
	CHECK(BPFTK_PT_TRACING & BPFTK_PT_BIT(BPF_PROG_TYPE_RAW_TRACEPOINT));
	CHECK(BPFTK_PT_ALL & BPFTK_PT_BIT(BPF_PROG_TYPE_SOCK_OPS));
	/* the kernel's argument kinds (bpf_sock_ops_setsockopt_proto and
	 * friends, bpf_perf_prog_read_value_proto): setsockopt reads
	 * optval, getsockopt and perf_prog_read_value write their buffer */
	const struct bpftk_helper *so = bpftk_helper_get(BPF_FUNC_setsockopt);
	const struct bpftk_helper *go = bpftk_helper_get(BPF_FUNC_getsockopt);
	const struct bpftk_helper *cb =
		bpftk_helper_get(BPF_FUNC_sock_ops_cb_flags_set);
	const struct bpftk_helper *pv =
		bpftk_helper_get(BPF_FUNC_perf_prog_read_value);
	CHECK(so && go && cb && pv);
	if (!so || !go || !cb || !pv)
		return;
	CHECK_EQ_U64(so->args[0], BPFTK_ARG_PTR_TO_CTX);
	CHECK_EQ_U64(so->args[3], BPFTK_ARG_PTR_TO_MEM);
	CHECK_EQ_U64(so->args[4], BPFTK_ARG_CONST_SIZE);
	CHECK_EQ_U64(go->args[3], BPFTK_ARG_PTR_TO_UNINIT_MEM);
	CHECK_EQ_U64(go->args[4], BPFTK_ARG_CONST_SIZE);
	CHECK_EQ_U64(cb->args[1], BPFTK_ARG_ANYTHING);
	CHECK_EQ_U64(cb->args[2], BPFTK_ARG_NONE);
	CHECK_EQ_U64(pv->args[0], BPFTK_ARG_PTR_TO_CTX);
	CHECK_EQ_U64(pv->args[1], BPFTK_ARG_PTR_TO_UNINIT_MEM);
	CHECK_EQ_U64(pv->args[2], BPFTK_ARG_CONST_SIZE);
	CHECK(so->prog_types == BPFTK_PT_SOCK_OPS &&
	      go->prog_types == BPFTK_PT_SOCK_OPS &&
	      cb->prog_types == BPFTK_PT_SOCK_OPS);
	CHECK(pv->prog_types == BPFTK_PT_PERF_EVENT);
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

/* ---- helpers whose state is absent: sockets, the perf event ---- */

#define INS(c, d, s_, o, i) {(uint8_t)(c), d, s_, o, i}

/* Runs insns[0..n) in the checked vm as a program of `type` whose r1 is a
 * context of that type, with the helpers of the type; *r0 gets r0. */
static int vm_run_ctx(enum bpftk_prog_type type, const struct bpftk_insn *p,
		      size_t n, uint64_t *r0)
{
	static struct bpftk_ctx c;
	memset(&c, 0, sizeof(c));
	c.type = type;
	struct bpftk_vm_opts vo = {.sz = sizeof(vo), .mode = BPFTK_VM_CHECKED};
	struct bpftk_vm *vm = NULL;
	struct bpftk_helper_env *env = NULL;
	int err = bpftk_vm_new(&vo, &vm);
	if (!err)
		err = bpftk_helper_register_all(vm, type);
	if (!err)
		err = bpftk_vm_load(vm, p, n, NULL);
	if (!err)
		err = bpftk_helper_env_new(&env);
	if (!err) {
		bpftk_helper_env_set_ctx(env, &c);
		struct bpftk_vm_run_opts ro = {
			.sz = sizeof(ro),
			.ctx = env,
			.mem_check = bpftk_helper_env_mem_check};
		ro.args[0] = (uint64_t)(uintptr_t)&c;
		err = bpftk_vm_run(vm, &ro, r0, NULL);
	}
	bpftk_helper_env_free(env);
	bpftk_vm_free(vm);
	return err;
}

/* A program that fills 32 stack bytes with 0xff, passes the first `size`
 * of them to helper id (getsockopt(ctx, SOL_TCP, TCP_CONGESTION, buf,
 * size) or perf_prog_read_value(ctx, buf, size)) and returns its answer
 * when exactly those bytes are now zero; otherwise 100 + the index of a
 * word that should be zero and is not, or 200 + the index of a word past
 * size that changed.  size: a multiple of 8, at most 32. */
static int buf_call(enum bpftk_prog_type type, int id, int size,
		    uint64_t *r0)
{
	struct bpftk_insn p[40];
	size_t n = 0;
	for (int i = 0; i < 4; i++)
		p[n++] = (struct bpftk_insn)INS(BPF_ST | BPF_MEM | BPF_DW, 10,
						0, -32 + 8 * i, -1);
	int buf = id == BPF_FUNC_perf_prog_read_value ? 2 : 4;
	p[n++] = (struct bpftk_insn)INS(BPF_ALU64 | BPF_MOV | BPF_X, buf, 10,
					0, 0);
	p[n++] = (struct bpftk_insn)INS(BPF_ALU64 | BPF_ADD | BPF_K, buf, 0, 0,
					-32);
	if (buf == 4) {
		p[n++] = (struct bpftk_insn)INS(BPF_ALU64 | BPF_MOV | BPF_K, 2,
						0, 0, 6);
		p[n++] = (struct bpftk_insn)INS(BPF_ALU64 | BPF_MOV | BPF_K, 3,
						0, 0, 13);
	}
	p[n++] = (struct bpftk_insn)INS(BPF_ALU64 | BPF_MOV | BPF_K, buf + 1,
					0, 0, size);
	p[n++] = (struct bpftk_insn)INS(BPF_JMP | BPF_CALL, 0, 0, 0, id);
	for (int i = 0; i < 4; i++) {
		int zero = 8 * i < size;
		p[n++] = (struct bpftk_insn)INS(BPF_LDX | BPF_MEM | BPF_DW, 6,
						10, -32 + 8 * i, 0);
		/* the word as it should be: skip the early exit */
		p[n++] = (struct bpftk_insn)INS(BPF_JMP | BPF_JEQ | BPF_K, 6, 0,
						2, zero ? 0 : -1);
		p[n++] = (struct bpftk_insn)INS(BPF_ALU64 | BPF_MOV | BPF_K, 0,
						0, 0, (zero ? 100 : 200) + i);
		p[n++] = (struct bpftk_insn)INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	p[n++] = (struct bpftk_insn)INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return vm_run_ctx(type, p, n, r0);
}

static void test_absent_state(void)
{
	uint64_t r0 = 0;
	/* getsockopt: no full socket, -EINVAL, all of optval cleared */
	CHECK(buf_call(BPFTK_PROG_TYPE_SOCK_OPS, BPF_FUNC_getsockopt, 16,
		       &r0) == 0);
	CHECK_EQ_U64(r0, -EINVAL);
	CHECK(buf_call(BPFTK_PROG_TYPE_SOCK_OPS, BPF_FUNC_getsockopt, 32,
		       &r0) == 0);
	CHECK_EQ_U64(r0, -EINVAL);
	/* perf_prog_read_value: the buffer cleared on failure, whether the
	 * size is sizeof(struct bpf_perf_event_value) or not */
	CHECK(buf_call(BPFTK_PROG_TYPE_PERF_EVENT,
		       BPF_FUNC_perf_prog_read_value,
		       sizeof(struct bpf_perf_event_value), &r0) == 0);
	CHECK_EQ_U64(r0, -EINVAL);
	CHECK(buf_call(BPFTK_PROG_TYPE_PERF_EVENT,
		       BPF_FUNC_perf_prog_read_value, 16, &r0) == 0);
	CHECK_EQ_U64(r0, -EINVAL);
	/* setsockopt and cb_flags_set change nothing and say so */
	const struct bpftk_insn set[] = {
		INS(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 1 << 20),
		INS(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 1),
		INS(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 7),
		INS(BPF_ALU64 | BPF_MOV | BPF_X, 4, 10, 0, 0),
		INS(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, -4),
		INS(BPF_ALU64 | BPF_MOV | BPF_K, 5, 0, 0, 4),
		INS(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_setsockopt),
		INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
	r0 = 0;
	CHECK(vm_run_ctx(BPFTK_PROG_TYPE_SOCK_OPS, set, 8, &r0) == 0);
	CHECK_EQ_U64(r0, -EINVAL);
	const struct bpftk_insn flags[] = {
		INS(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0,
		    BPF_SOCK_OPS_RTT_CB_FLAG),
		INS(BPF_JMP | BPF_CALL, 0, 0, 0,
		    BPF_FUNC_sock_ops_cb_flags_set),
		INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
	r0 = 0;
	CHECK(vm_run_ctx(BPFTK_PROG_TYPE_SOCK_OPS, flags, 3, &r0) == 0);
	CHECK_EQ_U64(r0, -EINVAL);
	/* r1 that is not the context (the stack) stops the program */
	const struct bpftk_insn bad[] = {
		INS(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0),
		INS(BPF_JMP | BPF_CALL, 0, 0, 0,
		    BPF_FUNC_sock_ops_cb_flags_set),
		INS(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
	CHECK(vm_run_ctx(BPFTK_PROG_TYPE_SOCK_OPS, bad, 3, &r0) == -EINVAL);
	/* perf_prog_read_value is a perf_event helper only */
	CHECK(buf_call(BPFTK_PROG_TYPE_SOCK_OPS, BPF_FUNC_perf_prog_read_value,
		       16, &r0) != 0);
}

/* struct bpf_sock_ops as the running kernel has it: uapi headers before
 * Linux 6.2 lack its last field (skb_hwtstamp), bpftk's context has it */
union sockops_ctx {
	struct bpf_sock_ops s;
	uint8_t bytes[BPFTK_CTX_USER_MAX];
};

/* sock_ops programs of the kernel's samples (SHARED/corpus), verified and
 * run like BPF_PROG_TEST_RUN with a struct bpf_sock_ops as ctx_in: the
 * reply they write shows the path taken and the helpers' answers.
 * *out gets the context after the run. */
static int run_sockops(const char *file, const char *prog,
		       const union sockops_ctx *in, unsigned flags,
		       union sockops_ctx *out, uint32_t *retval)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/linux/%s",
		 test_shared, file);
	struct bpftk_object *o = NULL;
	if (bpftk_object_open_file(path, NULL, &o, NULL))
		return -ENOENT;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_run *r = NULL;
	struct bpftk_run_opts ro = {
		.sz = sizeof(ro), .prog_name = prog, .flags = flags};
	int err = bpftk_run_new(o, &ro, &r, d);
	if (!err) {
		struct bpftk_test_run_opts t = {.sz = sizeof(t)};
		t.ctx_in = in;
		t.ctx_size_in = sizeof(*in);
		t.ctx_out = out;
		t.ctx_size_out = sizeof(*out);
		err = bpftk_run_test(r, &t, d);
		*retval = t.retval;
		if (!err)
			CHECK_EQ_U64(t.ctx_size_out,
				     bpftk_run_progtype(r)->ctx_size);
	}
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		char line[512];
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		fprintf(stderr, "%s: %s\n", prog, line);
	}
	bpftk_run_free(r);
	bpftk_diags_free(d);
	bpftk_object_close(o);
	return err;
}

static void test_sock_ops_runs(void)
{
	char probe[512];
	snprintf(probe, sizeof(probe),
		 "%s/corpus/ebpf-samples/linux/tcp_bufs_kern.o", test_shared);
	if (access(probe, R_OK)) {
		printf("no corpus at %s: sock_ops runs skipped\n", probe);
		return;
	}
	static const unsigned modes[] = {0, BPFTK_RUN_CHECKED};
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		union sockops_ctx in, out;
		uint32_t ret = 0;
		/* tcp_bufs: a connect on port 55601 sets SO_SNDBUF and
		 * SO_RCVBUF and replies the sum of the two answers */
		memset(&in, 0, sizeof(in));
		in.s.op = BPF_SOCK_OPS_TCP_CONNECT_CB;
		in.s.local_port = 55601;
		memset(&out, 0xaa, sizeof(out));
		CHECK(run_sockops("tcp_bufs_kern.o", "bpf_bufs", &in, modes[m],
				  &out, &ret) == 0);
		CHECK_EQ_U64(ret, 1);
		CHECK_EQ_U64(out.s.reply, (uint32_t)(-EINVAL - EINVAL));
		CHECK_EQ_U64(out.s.op, BPF_SOCK_OPS_TCP_CONNECT_CB);
		/* the receive window op needs no helper: 40 */
		in.s.op = BPF_SOCK_OPS_RWND_INIT;
		CHECK(run_sockops("tcp_bufs_kern.o", "bpf_bufs", &in, modes[m],
				  &out, &ret) == 0);
		CHECK_EQ_U64(out.s.reply, 40);
		/* another port: -1 */
		in.s.local_port = 80;
		CHECK(run_sockops("tcp_bufs_kern.o", "bpf_bufs", &in, modes[m],
				  &out, &ret) == 0);
		CHECK_EQ_U64(out.s.reply, (uint32_t)-1);
		/* tcp_basertt: the base RTT op between two addresses of one
		 * IPv6 /64 asks getsockopt(TCP_CONGESTION) and replies its
		 * error */
		memset(&in, 0, sizeof(in));
		in.s.op = BPF_SOCK_OPS_BASE_RTT;
		in.s.family = 10; /* AF_INET6 */
		CHECK(run_sockops("tcp_basertt_kern.o", "bpf_basertt", &in,
				  modes[m], &out, &ret) == 0);
		CHECK_EQ_U64(ret, 1);
		CHECK_EQ_U64(out.s.reply, (uint32_t)-EINVAL);
		in.s.family = 2; /* AF_INET: not its case */
		CHECK(run_sockops("tcp_basertt_kern.o", "bpf_basertt", &in,
				  modes[m], &out, &ret) == 0);
		CHECK_EQ_U64(out.s.reply, (uint32_t)-1);
	}
}

TEST_MAIN({
	test_table();
	test_format();
	test_absent_state();
	test_sock_ops_runs();
	test_programs();
})
