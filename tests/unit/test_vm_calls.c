/* test_vm_calls.c — local calls (frames, saved registers, depth limit),
 * helpers (registered, unregistered, callx, failing, memory access through
 * the call context) and one loaded vm run from four threads at once. */
#include <pthread.h>

#include "test.h"
#include "test_vm_util.h"

/* r6..r9 survive a call; the callee gets its own frame 512 bytes below the
 * caller's; the caller's frame stays reachable through a pointer. */
static void test_frames(void)
{
	struct bpftk_insn p[] = {
		/* 0 */ I(STXDW, 10, 1, -16, 0), /* keep the output pointer */
		MOVK(6, 6), MOVK(7, 7), MOVK(8, 8), MOVK(9, 9),
		/* 5 */ I(STDW, 10, 0, -8, 111),
		MOVX(1, 10),
		/* 7 */ I(CALL_LOCAL, 0, 0, 0, 14), /* -> 22 */
		I(LDXDW, 1, 10, -16, 0),
		I(STXDW, 1, 0, 0, 0),	   /* out[0] = callee's r0 */
		I(LDXDW, 2, 10, -8, 0),
		I(STXDW, 1, 2, 8, 0),	   /* out[1] = caller's slot */
		MOVX(2, 6), I(ADD64_X, 2, 7, 0, 0), I(ADD64_X, 2, 8, 0, 0),
		I(ADD64_X, 2, 9, 0, 0),
		I(STXDW, 1, 2, 16, 0),	   /* out[2] = r6 + r7 + r8 + r9 */
		MOVX(2, 10),
		I(STXDW, 1, 2, 24, 0),	   /* out[3] = caller's r10 */
		MOVK(0, 0),
		EXIT(),
		EXIT(), /* 21: never reached */
		/* 22: callee */
		MOVK(6, 60), MOVK(7, 70), MOVK(8, 80), MOVK(9, 90),
		I(STDW, 10, 0, -8, 222),      /* its own frame */
		I(LDXDW, 0, 1, -8, 0),	      /* 111 from the caller's frame */
		MOVX(2, 1), I(SUB64_X, 2, 10, 0, 0), /* caller r10 - own r10 */
		I(MUL64_K, 2, 0, 0, 1000),
		I(ADD64_X, 0, 2, 0, 0),
		EXIT(),
	};
	uint64_t out[4] = {0};
	vt_eval("frames", p, NINSN(p), out, sizeof(out), NULL);
	CHECK_EQ_U64(out[0], 111 + 512 * 1000);
	CHECK_EQ_U64(out[1], 111);
	CHECK_EQ_U64(out[2], 6 + 7 + 8 + 9);
	CHECK(out[3] != 0);
}

/* f(n) = n == 0 ? 0 : f(n - 1) + 1, called with n from main: n + 2 frames. */
static void test_depth(void)
{
	for (int n = 0; n <= 7; n++) {
		struct bpftk_insn p[] = {
			MOVK(1, n),
			I(CALL_LOCAL, 0, 0, 0, 1), /* -> 3 */
			EXIT(),
			I(JNE64_K, 1, 0, 2, 0), /* 3 */
			MOVK(0, 0),
			EXIT(),
			I(SUB64_K, 1, 0, 0, 1), /* 6 */
			I(CALL_LOCAL, 0, 0, 0, -5), /* 7: -> 3 */
			I(ADD64_K, 0, 0, 0, 1),
			EXIT(),
		};
		char what[32];
		snprintf(what, sizeof(what), "recursion %d", n);
		struct vt_out o =
			vt_run_on(what, p, NINSN(p), NULL, 0, NULL, VT_ALL, 0);
		if (n + 2 <= BPFTK_MAX_CALL_DEPTH) {
			CHECK(o.load_err == 0 && o.err == 0);
			CHECK_EQ_U64(o.r0, n);
		} else {
			/* the 9th frame is refused, in every mode */
			CHECK(o.err == -E2BIG);
			CHECK(o.insn == 7);
			CHECK(strstr(o.msg, "nested too deep") != NULL);
			CHECK(strstr(o.msg, "8 frames") != NULL);
		}
	}
}

/* ---- helpers --------------------------------------------------------- */

static uint64_t h_mix(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e, struct bpftk_vm_call *call)
{
	uint64_t *ctx = bpftk_vm_call_ctx(call);
	uint64_t base = ctx ? *ctx : 0;
	return base + a + b * 10 + c * 100 + d * 1000 + e * 10000 +
	       bpftk_vm_call_id(call) * 100000;
}

static uint64_t h_first(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e, (void)call;
	return a;
}

static uint64_t h_fail(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e;
	bpftk_vm_call_fail(call, -EPERM, "refused argument %" PRIu64, a);
	return 0;
}

/* memset-like helper that checks its pointer through the call context */
static uint64_t h_fill(uint64_t ptr, uint64_t len, uint64_t byte, uint64_t d,
		       uint64_t e, struct bpftk_vm_call *call)
{
	(void)d, (void)e;
	void *p = bpftk_vm_call_mem(call, ptr, len, 1);
	if (!p) {
		bpftk_vm_call_fail(call, -EFAULT,
				   "bad buffer 0x%" PRIx64 " of %" PRIu64
				   " bytes",
				   ptr, len);
		return 0;
	}
	memset(p, (int)byte, len);
	return bpftk_vm_call_insn(call);
}

static void setup_helpers(struct bpftk_vm *vm)
{
	CHECK(bpftk_vm_register_helper(vm, 1, "mix", h_mix) == 0);
	CHECK(bpftk_vm_register_helper(vm, 5, "first", h_first) == 0);
	CHECK(bpftk_vm_register_helper(vm, 7, "fail", h_fail) == 0);
	CHECK(bpftk_vm_register_helper(vm, 9, "fill", h_fill) == 0);
}

static void test_helpers(void)
{
	/* arguments arrive in order; ids are the registered ones */
	struct bpftk_insn p[] = {
		MOVK(1, 1), MOVK(2, 2), MOVK(3, 3), MOVK(4, 4), MOVK(5, 5),
		I(CALL, 0, 0, 0, 1),
		EXIT(),
	};
	CHECK_EQ_U64(vt_eval("call 1", p, NINSN(p), NULL, 0, setup_helpers),
		     154321);
	/* the conformance suite's call_unwind_fail and callx programs */
	struct bpftk_insn unwind[] = {
		MOVK(1, -1), I(CALL, 0, 0, 0, 5), MOVK(0, 2), EXIT(),
	};
	CHECK_EQ_U64(vt_eval("call 5", unwind, NINSN(unwind), NULL, 0,
			     setup_helpers),
		     2);
	struct bpftk_insn callx[] = {
		MOVK(1, -1), MOVK(2, 5), I(CALLX, 2, 0, 0, 0), EXIT(),
	};
	CHECK_EQ_U64(vt_eval("callx 5", callx, NINSN(callx), NULL, 0,
			     setup_helpers),
		     UINT64_MAX);
	/* helpers keep r6..r9 (and the program its stack) */
	struct bpftk_insn keep[] = {
		MOVK(6, 3), I(STDW, 10, 0, -8, 4), MOVK(1, 100),
		I(CALL, 0, 0, 0, 5),
		I(ADD64_X, 0, 6, 0, 0), I(LDXDW, 1, 10, -8, 0),
		I(ADD64_X, 0, 1, 0, 0), EXIT(),
	};
	CHECK_EQ_U64(vt_eval("helper keeps r6", keep, NINSN(keep), NULL, 0,
			     setup_helpers),
		     107);

	/* a constant call to an unregistered id fails at load time */
	struct bpftk_insn unreg[] = {MOVK(0, 0), I(CALL, 0, 0, 0, 6), EXIT()};
	struct vt_out o = vt_run_on("call 6", unreg, NINSN(unreg), NULL, 0,
				    setup_helpers, VT_ALL, 0);
	CHECK(o.load_err == -EINVAL);
	CHECK(o.insn == 1);
	CHECK(strstr(o.msg, "helper id 6") && strstr(o.msg, "not registered"));
	struct bpftk_insn neg[] = {I(CALL, 0, 0, 0, -1), EXIT()};
	o = vt_run_on("call -1", neg, NINSN(neg), NULL, 0, setup_helpers,
		      VT_ALL, 0);
	CHECK(o.load_err == -EINVAL && o.insn == 0);

	/* callx to an unregistered id fails at run time, naming the id */
	struct bpftk_insn badx[] = {
		MOVK(0, 0), MOVK(3, 6), I(CALLX, 3, 0, 0, 0), EXIT(),
	};
	o = vt_run_on("callx 6", badx, NINSN(badx), NULL, 0, setup_helpers,
		      VT_ALL, 0);
	CHECK(o.load_err == 0 && o.err == -ENOENT && o.insn == 2);
	CHECK(strstr(o.msg, "callx to helper id 6") != NULL);
	struct bpftk_insn hugex[] = {
		LD64(3, 0x100000001ull), I(CALLX, 3, 0, 0, 0), EXIT(),
	};
	o = vt_run_on("callx huge", hugex, NINSN(hugex), NULL, 0,
		      setup_helpers, VT_ALL, 0);
	CHECK(o.err == -ENOENT && o.insn == 2);
	CHECK(strstr(o.msg, "4294967297") != NULL);

	/* a helper that fails stops the program with its error and message */
	struct bpftk_insn fail[] = {
		MOVK(1, 42), I(CALL, 0, 0, 0, 7), MOVK(0, 1), EXIT(),
	};
	o = vt_run_on("helper fails", fail, NINSN(fail), NULL, 0,
		      setup_helpers, VT_ALL, 0);
	CHECK(o.err == -EPERM && o.insn == 1);
	CHECK(strstr(o.msg, "helper 7 (fail)") &&
	      strstr(o.msg, "refused argument 42"));

	/* a helper writes through a pointer it checked: the stack of the
	 * current frame and of callers, and the run's memory */
	struct bpftk_insn fill[] = {
		MOVX(6, 1),
		MOVX(1, 10), I(ADD64_K, 1, 0, 0, -16), MOVK(2, 16),
		MOVK(3, 0xab), I(CALL, 0, 0, 0, 9), /* 5 */
		I(LDXDW, 7, 10, -16, 0),
		I(STXDW, 6, 7, 0, 0),
		I(STXDW, 6, 0, 8, 0), /* the helper returned its insn */
		MOVX(1, 6), I(ADD64_K, 1, 0, 0, 16), MOVK(2, 8),
		MOVK(3, 0xcd), I(CALL, 0, 0, 0, 9),
		MOVK(0, 0),
		EXIT(),
	};
	uint64_t out[3] = {0};
	vt_eval("fill", fill, NINSN(fill), out, sizeof(out), setup_helpers);
	CHECK_EQ_U64(out[0], 0xababababababababull);
	CHECK_EQ_U64(out[1], 5);
	CHECK_EQ_U64(out[2], 0xcdcdcdcdcdcdcdcdull);
	/* ... and refuses what the program may not touch (checked mode):
	 * past the top of the stack, and one byte past the memory */
	struct bpftk_insn badfill[] = {
		MOVX(1, 10), I(ADD64_K, 1, 0, 0, -8), MOVK(2, 16),
		MOVK(3, 0), I(CALL, 0, 0, 0, 9), EXIT(),
	};
	o = vt_run_on("fill past stack", badfill, NINSN(badfill), NULL, 0,
		      setup_helpers, VT_CHECKED, 0);
	CHECK(o.err == -EFAULT && o.insn == 4);
	CHECK(strstr(o.msg, "bad buffer") != NULL);
	struct bpftk_insn badfill2[] = {
		MOVK(2, 25), MOVK(3, 0), I(CALL, 0, 0, 0, 9), EXIT(),
	};
	o = vt_run_on("fill past mem", badfill2, NINSN(badfill2), out,
		      sizeof(out), setup_helpers, VT_CHECKED, 0);
	CHECK(o.err == -EFAULT && o.insn == 2);

	/* the run's ctx reaches the helper */
	for (int e = 0; e < VT_NENGINES; e++) {
		struct bpftk_vm *vm;
		CHECK(vt_new(e, 0, &vm) == 0);
		setup_helpers(vm);
		CHECK(bpftk_vm_load(vm, p, NINSN(p), NULL) == 0);
		uint64_t base = 7000000;
		struct bpftk_vm_run_opts ro;
		memset(&ro, 0, sizeof(ro));
		ro.sz = sizeof(ro);
		ro.ctx = &base;
		uint64_t r0 = 0;
		CHECK(bpftk_vm_run(vm, &ro, &r0, NULL) == 0);
		CHECK_EQ_U64(r0, 7154321);
		CHECK_STR(bpftk_vm_helper_name(vm, 9), "fill");
		CHECK(bpftk_vm_helper_name(vm, 8) == NULL);
		CHECK(bpftk_vm_helper_name(vm, 100000) == NULL);
		bpftk_vm_free(vm);
	}
}

/* A helper running a BPF callback (bpf_loop's way): only at a function
 * entry, where no handler relies on the slot before it. */
static uint64_t h_sub(uint64_t pc, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e;
	uint64_t args[5] = {42, 0, 0, 0, 0}, ret = 0;
	int err = bpftk_vm_call_sub(call, pc, args, &ret);
	if (err)
		bpftk_vm_call_fail(call, err, NULL);
	return ret;
}

static void setup_sub(struct bpftk_vm *vm)
{
	CHECK(bpftk_vm_register_helper(vm, 11, "sub", h_sub) == 0);
}

static void test_callbacks(void)
{
	for (int pc = 3; pc <= 4; pc++) {
		struct bpftk_insn p[] = {
			MOVK(1, pc),
			I(CALL, 0, 0, 0, 11),
			EXIT(),
			MOVX(0, 1), /* 3: the callback */
			I(ADD64_K, 0, 0, 0, 100),
			EXIT(),
		};
		struct vt_out o = vt_run_on("callback", p, NINSN(p), NULL, 0,
					    setup_sub, VT_ALL, 0);
		if (pc == 3) {
			CHECK(o.load_err == 0 && o.err == 0 && o.r0 == 142);
		} else {
			/* the middle of a function is refused */
			CHECK(o.err == -EINVAL && o.insn == 1);
			CHECK(strstr(o.msg, "not a function entry") != NULL);
		}
	}
}

/* Registration rules. */
static void test_register(void)
{
	struct bpftk_vm *vm;
	CHECK(bpftk_vm_new(NULL, &vm) == 0);
	CHECK(bpftk_vm_register_helper(vm, 1, NULL, NULL) == -EINVAL);
	CHECK(bpftk_vm_register_helper(vm, BPFTK_VM_MAX_HELPERS, "x", h_mix) ==
	      -ERANGE);
	CHECK(bpftk_vm_register_helper(vm, 3, "a", h_mix) == 0);
	CHECK(bpftk_vm_register_helper(vm, 3, "b", h_first) == 0); /* replace */
	CHECK_STR(bpftk_vm_helper_name(vm, 3), "b");
	CHECK(bpftk_vm_register_helper(vm, 2000, NULL, h_first) == 0);
	CHECK(bpftk_vm_helper_name(vm, 2000) == NULL);
	struct bpftk_insn p[] = {MOVK(1, 9), I(CALL, 0, 0, 0, 3), EXIT()};
	CHECK(bpftk_vm_load(vm, p, NINSN(p), NULL) == 0);
	uint64_t r0;
	CHECK(bpftk_vm_run(vm, NULL, &r0, NULL) == 0);
	CHECK_EQ_U64(r0, 9);
	CHECK(bpftk_vm_register_helper(vm, 4, "late", h_mix) == -EBUSY);
	bpftk_vm_free(vm);
}

/* ---- threads ------------------------------------------------------------ */

struct thread_job {
	struct bpftk_vm *sum_vm;   /* sums the bytes of its memory */
	struct bpftk_vm *count_vm; /* atomically adds 1 to a shared counter */
	uint64_t *counter;
	int seed;
	int runs;
	int bad;
};

static void *thread_main(void *arg)
{
	struct thread_job *j = arg;
	uint8_t buf[256];
	for (int r = 0; r < j->runs; r++) {
		uint64_t want = 0;
		for (size_t k = 0; k < sizeof(buf); k++) {
			buf[k] = (uint8_t)(k * 7 + (size_t)j->seed * 13 +
					   (size_t)r);
			want += buf[k];
		}
		uint64_t got = 0;
		if (bpftk_vm_run_mem(j->sum_vm, buf, sizeof(buf), &got, NULL) ||
		    got != want)
			j->bad++;
		if (bpftk_vm_run_mem(j->count_vm, j->counter, 8, &got, NULL))
			j->bad++;
	}
	return NULL;
}

static void test_threads(void)
{
	/* r0 = sum of the r2 bytes at r1 */
	struct bpftk_insn sum[] = {
		MOVK(0, 0),
		I(JEQ64_K, 2, 0, 5, 0), /* 1: -> 7 */
		I(LDXB, 3, 1, 0, 0),
		I(ADD64_X, 0, 3, 0, 0),
		I(ADD64_K, 1, 0, 0, 1),
		I(SUB64_K, 2, 0, 0, 1),
		I(JA, 0, 0, -6, 0),
		EXIT(),
	};
	struct bpftk_insn count[] = {
		MOVK(2, 1), I(ATOMIC64_ADD, 1, 2, 0, 0), MOVK(0, 0), EXIT(),
	};
	for (int mode = 0; mode < 2; mode++) {
		int engine = mode ? VT_FAST_GOTO : VT_CHECKED_GOTO;
		struct bpftk_vm *sv = NULL, *cv = NULL;
		CHECK(vt_new(engine, 0, &sv) == 0 && vt_new(engine, 0, &cv) == 0);
		CHECK(bpftk_vm_load(sv, sum, NINSN(sum), NULL) == 0);
		CHECK(bpftk_vm_load(cv, count, NINSN(count), NULL) == 0);
		uint64_t counter = 0;
		struct thread_job jobs[4];
		pthread_t th[4];
		for (int t = 0; t < 4; t++) {
			jobs[t].sum_vm = sv;
			jobs[t].count_vm = cv;
			jobs[t].counter = &counter;
			jobs[t].seed = t;
			jobs[t].runs = 3000;
			jobs[t].bad = 0;
			CHECK(pthread_create(&th[t], NULL, thread_main,
					     &jobs[t]) == 0);
		}
		for (int t = 0; t < 4; t++) {
			pthread_join(th[t], NULL);
			CHECK(jobs[t].bad == 0);
		}
		CHECK_EQ_U64(counter, 4 * 3000);
		bpftk_vm_free(sv);
		bpftk_vm_free(cv);
	}
}

TEST_MAIN({
	test_frames();
	test_depth();
	test_helpers();
	test_callbacks();
	test_register();
	test_threads();
})
