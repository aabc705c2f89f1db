/* test_vm_faults.c — what stops a program: checked-mode memory faults (each
 * an error with the instruction and the address in its message, never a
 * crash), the instruction budget, running off the end; what stops a load;
 * option and life-cycle rules; and allocation failure at every step. */
#include "test.h"
#include "test_vm_util.h"

/* The programs below first store r10 (or the pointer they will use) at
 * out[0], so the test knows the faulting address of this very run. */
static void check_fault(const char *what, const struct bpftk_insn *p,
			size_t n, long insn, int64_t delta, const char *why,
			const char *kind)
{
	uint64_t out[2] = {0, 0};
	struct vt_out o = vt_run_on(what, p, n, out, sizeof(out), NULL,
				    VT_CHECKED, 0);
	char addr[64];
	snprintf(addr, sizeof(addr), "at 0x%" PRIx64,
		 out[0] + (uint64_t)delta);
	int ok = o.load_err == 0 && o.err == -EFAULT && o.insn == insn &&
		 strstr(o.msg, addr) && strstr(o.msg, why) &&
		 strstr(o.msg, kind);
	if (!ok)
		fprintf(stderr, "%s: load %d err %d insn %ld: %s (want %s, %s)\n",
			what, o.load_err, o.err, o.insn, o.msg, addr, why);
	CHECK(ok);
}

static void test_memory_faults(void)
{
	/* stack overflow: below the only frame */
	struct bpftk_insn below[] = {
		I(STXDW, 1, 10, 0, 0), I(LDXDW, 0, 10, -520, 0), EXIT()};
	check_fault("below stack", below, NINSN(below), 1, -520,
		    "below the current stack frame", "load of 8 bytes");
	/* stack underflow: above r10 */
	struct bpftk_insn above[] = {
		I(STXDW, 1, 10, 0, 0), I(STXW, 10, 1, 0, 0), EXIT()};
	check_fault("above stack", above, NINSN(above), 1, 0,
		    "above the top of the stack", "store of 4 bytes");
	/* straddling r10 */
	struct bpftk_insn cross[] = {
		I(STXDW, 1, 10, 0, 0), I(LDXDW, 0, 10, -4, 0), EXIT()};
	check_fault("crosses r10", cross, NINSN(cross), 1, -4,
		    "crosses the bounds of the stack", "load of 8 bytes");
	/* end of the memory region: 8 bytes at offset 12 of 16 */
	struct bpftk_insn end[] = {
		I(STXDW, 1, 1, 0, 0), I(LDXDW, 0, 1, 12, 0), EXIT()};
	check_fault("region end", end, NINSN(end), 1, 12,
		    "crosses the bounds of region", "load of 8 bytes");
	struct bpftk_insn past[] = {
		I(STXDW, 1, 1, 0, 0), I(STB, 1, 0, 16, 1), EXIT()};
	check_fault("region past end", past, NINSN(past), 1, 16,
		    "not in the stack or any registered region",
		    "store of 1 byte ");
	struct bpftk_insn before[] = {
		I(STXDW, 1, 1, 0, 0), I(LDXB, 0, 1, -1, 0), EXIT()};
	check_fault("region before start", before, NINSN(before), 1, -1,
		    "not in the stack", "load of 1 byte ");
	/* NULL */
	struct bpftk_insn null[] = {MOVK(2, 0), I(LDXDW, 0, 2, 0, 0), EXIT()};
	check_fault("null", null, NINSN(null), 1, 0, "null pointer",
		    "load of 8 bytes");
	struct bpftk_insn null8[] = {MOVK(2, 0), I(STDW, 2, 0, 8, 1), EXIT()};
	check_fault("null+8", null8, NINSN(null8), 1, 8, "null pointer",
		    "store of 8 bytes");
	/* a wild pointer */
	struct bpftk_insn wild[] = {
		LD64(2, 0x123456789000ull), I(STXDW, 1, 2, 0, 0),
		I(ATOMIC64_ADD, 2, 1, 0, 0), EXIT()};
	check_fault("wild atomic", wild, NINSN(wild), 3, 0,
		    "not in the stack or any registered region",
		    "atomic read-modify-write of 8 bytes");
	/* misaligned atomic on the stack */
	struct bpftk_insn mis[] = {
		I(STXDW, 1, 10, 0, 0), MOVK(2, 1),
		I(ATOMIC32_ADD, 10, 2, -10, 0), EXIT()};
	check_fault("misaligned atomic", mis, NINSN(mis), 2, -10,
		    "4-byte alignment", "misaligned atomic access of 4 bytes");
	/* a huge offset does not wrap around into the stack */
	struct bpftk_insn wrap[] = {
		I(STXDW, 1, 10, 0, 0), MOVX(2, 10),
		LD64(3, 0x8000000000000000ull), I(ADD64_X, 2, 3, 0, 0),
		I(LDXB, 0, 2, 0, 0), EXIT()};
	check_fault("wrap", wrap, NINSN(wrap), 5, (int64_t)0x8000000000000000ull,
		    "not in the stack", "load of 1 byte ");
}

/* A callee sees its own frame and its callers'; once it returned, its frame
 * is gone; a callee cannot reach below its own frame. */
static void test_frame_faults(void)
{
	struct bpftk_insn p[] = {
		I(STXDW, 1, 10, 0, 0),
		I(STXDW, 10, 1, -8, 0),
		I(CALL_LOCAL, 0, 0, 0, 3), /* 2: -> 6 */
		I(LDXDW, 1, 10, -8, 0),	   /* 3 */
		I(LDXDW, 0, 10, -600, 0),  /* 4: the callee's frame is gone */
		EXIT(),
		I(LDXDW, 2, 10, 504, 0),   /* 6: caller's [r10-8] is fine */
		I(STDW, 10, 0, -512, 9),   /* bottom of its own frame: fine */
		I(LDXDW, 0, 10, -88, 0),   /* fine */
		EXIT(),
	};
	check_fault("frame gone", p, NINSN(p), 4, -600,
		    "below the current stack frame", "load of 8 bytes");
	struct bpftk_insn deep[] = {
		I(STXDW, 1, 10, 0, 0),
		I(CALL_LOCAL, 0, 0, 0, 1), /* -> 3 */
		EXIT(),
		I(LDXDW, 0, 10, -1024, 0), /* 3: the callee's frame ends at -512 */
		EXIT(),
	};
	check_fault("below callee", deep, NINSN(deep), 3, -1536,
		    "below the current stack frame", "load of 8 bytes");
	/* and in-bounds accesses in both frames run fine everywhere */
	struct bpftk_insn ok[] = {
		I(STDW, 10, 0, -8, 5),
		I(CALL_LOCAL, 0, 0, 0, 2), /* -> 4 */
		I(LDXDW, 0, 10, -8, 0),
		EXIT(),
		I(LDXDW, 0, 10, 504, 0), /* 4: caller's slot */
		I(STDW, 10, 0, -512, 1),
		EXIT(),
	};
	CHECK_EQ_U64(vt_eval("frames ok", ok, NINSN(ok), NULL, 0, NULL), 5);
}

/* Regions of the vm and of the run; read-only ones refuse stores. */
static void test_regions(void)
{
	static uint8_t ro[16] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint64_t rw[2] = {0, 0};
	for (int e = VT_CHECKED_GOTO; e <= VT_CHECKED_SWITCH; e++) {
		struct bpftk_vm *vm;
		CHECK(vt_new(e, 0, &vm) == 0);
		CHECK(bpftk_vm_add_region(vm, ro, sizeof(ro), 0) == 0);
		CHECK(bpftk_vm_add_region(vm, NULL, 4, 1) == -EINVAL);
		CHECK(bpftk_vm_add_region(vm, ro, 0, 1) == -EINVAL);
		struct bpftk_insn p[] = {
			I(LDXDW, 0, 1, 0, 0),	 /* vm region, read */
			I(STXDW, 2, 0, 0, 0),	 /* run region, write */
			I(LDXB, 3, 2, 0, 0),
			I(JEQ64_K, 4, 0, 1, 0),
			I(STXB, 1, 3, 0, 0),	 /* 4: read-only: refused */
			EXIT(),
		};
		CHECK(bpftk_vm_load(vm, p, NINSN(p), NULL) == 0);
		CHECK(bpftk_vm_add_region(vm, rw, 8, 1) == -EBUSY);
		struct bpftk_vm_region reg = {rw, sizeof(rw), 1};
		struct bpftk_vm_run_opts o;
		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.args[0] = (uint64_t)(uintptr_t)ro;
		o.args[1] = (uint64_t)(uintptr_t)rw;
		o.regions = &reg;
		o.nregions = 1;
		uint64_t r0 = 0;
		struct bpftk_diags *d = bpftk_diags_new();
		CHECK(bpftk_vm_run(vm, &o, &r0, d) == 0);
		CHECK_EQ_U64(r0, 0x0807060504030201ull);
		CHECK_EQ_U64(rw[0], r0);
		o.args[3] = 1; /* r4 != 0: try the store */
		CHECK(bpftk_vm_run(vm, &o, &r0, d) == -EFAULT);
		CHECK(bpftk_diags_count(d) == 1);
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		char want[96];
		snprintf(want, sizeof(want),
			 "out-of-bounds store of 1 byte at 0x%" PRIx64,
			 (uint64_t)(uintptr_t)ro);
		CHECK(g && g->insn == 4 && strstr(g->msg, want) &&
		      strstr(g->msg, "read-only"));
		CHECK_STR(g ? g->prog : NULL, "t");
		/* the formatted line names the program and the instruction */
		char line[512];
		bpftk_diag_format(g, line, sizeof(line));
		CHECK(strncmp(line, "prog 't' insn 4: error: out-of-bounds", 37) ==
		      0);
		/* without the run region, the write is refused too */
		o.nregions = 0;
		o.args[3] = 0;
		CHECK(bpftk_vm_run(vm, &o, &r0, d) == -EFAULT);
		/* malformed run options */
		o.regions = NULL;
		o.nregions = 1;
		CHECK(bpftk_vm_run(vm, &o, &r0, d) == -EINVAL);
		bpftk_diags_free(d);
		bpftk_vm_free(vm);
	}
}

/* The budget counts executed instructions, in checked mode only. */
static void test_budget(void)
{
	struct bpftk_insn spin[] = {MOVK(0, 0), I(JA, 0, 0, -1, 0), EXIT()};
	struct vt_out o = vt_run_on("spin", spin, NINSN(spin), NULL, 0, NULL,
				    VT_CHECKED, 1000);
	CHECK(o.err == -ETIMEDOUT && o.insn == 1);
	CHECK(strstr(o.msg, "instruction budget of 1000 exhausted at insn 1") !=
	      NULL);
	/* five instructions: a budget of 5 is enough, 4 is not */
	struct bpftk_insn five[] = {MOVK(0, 1), MOVK(1, 2), MOVK(2, 3),
				    I(ADD64_X, 0, 1, 0, 0), EXIT()};
	o = vt_run_on("budget 5", five, NINSN(five), NULL, 0, NULL,
		      VT_CHECKED, 5);
	CHECK(o.err == 0 && o.r0 == 3);
	o = vt_run_on("budget 4", five, NINSN(five), NULL, 0, NULL,
		      VT_CHECKED, 4);
	CHECK(o.err == -ETIMEDOUT && o.insn == 4);
	/* a counted loop of 1000 iterations x 3 insns runs under the
	 * default budget and in fast mode, which has none */
	struct bpftk_insn loop[] = {
		MOVK(0, 0), MOVK(1, 1000),
		I(ADD64_K, 0, 0, 0, 2), I(SUB64_K, 1, 0, 0, 1),
		I(JNE64_K, 1, 0, -3, 0), EXIT()};
	CHECK_EQ_U64(vt_eval("loop", loop, NINSN(loop), NULL, 0, NULL), 2000);
	o = vt_run_on("loop budget", loop, NINSN(loop), NULL, 0, NULL,
		      VT_CHECKED, 3000);
	CHECK(o.err == -ETIMEDOUT);
	o = vt_run_on("loop unlimited", loop, NINSN(loop), NULL, 0, NULL,
		      VT_CHECKED, BPFTK_VM_UNLIMITED);
	CHECK(o.err == 0 && o.r0 == 2000);
}

/* Falling off the end is a clean error in every mode. */
static void test_off_end(void)
{
	struct bpftk_insn p[] = {MOVK(0, 1), MOVK(0, 2)};
	struct vt_out o = vt_run_on("off end", p, NINSN(p), NULL, 0, NULL,
				    VT_ALL, 0);
	CHECK(o.err == -EFAULT && o.insn == 2);
	CHECK(strstr(o.msg, "ran past its last instruction (insn 1)") != NULL);
}

/* What the loader refuses: anything bpftk_isa_validate refuses, plus what
 * the interpreter cannot run. */
static void test_load_errors(void)
{
	struct {
		const char *what;
		struct bpftk_insn p[4];
		size_t n;
		long insn;
		const char *msg;
	} cases[] = {
		{"unknown opcode", {MOVK(0, 0), vt_raw(0xff, 0, 0, 0, 0), EXIT()},
		 3, 1, "unknown opcode 0xff"},
		{"write r10", {MOVK(10, 0), EXIT()}, 2, 0, "r10"},
		{"kfunc", {I(CALL_KFUNC, 0, 0, 0, 1234), EXIT()}, 2, 0,
		 "kfunc calls (BTF id 1234)"},
		{"fetch into r10",
		 {I(ATOMIC64_FETCH_ADD, 1, 10, 0, 0), EXIT()}, 2, 0,
		 "would receive the old value"},
		{"xchg into r10", {I(ATOMIC32_XCHG, 1, 10, 0, 0), EXIT()}, 2, 0,
		 "r10"},
		{"jump out", {I(JA, 0, 0, 5, 0), EXIT()}, 2, 0, "outside"},
		{"lddw cut", {EXIT(), I(LDDW, 0, 0, 0, 0)}, 2, 1, "lddw"},
		{"empty", {EXIT()}, 0, 0, "no instructions"},
	};
	for (size_t i = 0; i < NINSN(cases); i++) {
		struct vt_out o = vt_run_on(cases[i].what, cases[i].p,
					    cases[i].n, NULL, 0, NULL, VT_ALL, 0);
		int ok = o.load_err == -EINVAL && o.insn == cases[i].insn &&
			 strstr(o.msg, cases[i].msg);
		if (!ok)
			fprintf(stderr, "%s: load %d insn %ld: %s\n",
				cases[i].what, o.load_err, o.insn, o.msg);
		CHECK(ok);
	}
	/* cmpxchg writes r0, so r10 as its src is fine */
	struct bpftk_insn cx[] = {MOVK(0, 0), I(ATOMIC64_CMPXCHG, 10, 10, -8, 0),
				  EXIT()};
	CHECK_EQ_U64(vt_eval("cmpxchg r10", cx, NINSN(cx), NULL, 0, NULL), 0);
}

/* Options structs and the life cycle. */
static void test_lifecycle(void)
{
	struct bpftk_vm *vm = NULL;
	struct {
		struct bpftk_vm_opts o;
		uint64_t future[2];
	} big;
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.mode = BPFTK_VM_FAST;
	CHECK(bpftk_vm_new(&big.o, &vm) == 0); /* newer, zero tail: fine */
	bpftk_vm_free(vm);
	big.future[1] = 1;
	CHECK(bpftk_vm_new(&big.o, &vm) == -EINVAL && vm == NULL);
	struct bpftk_vm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.mode = (enum bpftk_vm_mode)7;
	CHECK(bpftk_vm_new(&o, &vm) == -EINVAL);
	o.mode = BPFTK_VM_CHECKED;
	o.flags = 0x80;
	CHECK(bpftk_vm_new(&o, &vm) == -EINVAL);
	o.sz = 1;
	CHECK(bpftk_vm_new(&o, &vm) == -EINVAL);
	/* an older, shorter struct: fields past sz are defaults */
	o.sz = offsetof(struct bpftk_vm_opts, flags);
	o.flags = 0x80; /* beyond sz: not read */
	CHECK(bpftk_vm_new(&o, &vm) == 0);
	CHECK(bpftk_vm_new(NULL, NULL) == -EINVAL);
	bpftk_vm_free(NULL);

	struct bpftk_diags *d = bpftk_diags_new();
	uint64_t r0 = 5;
	CHECK(bpftk_vm_run(vm, NULL, &r0, d) == -EINVAL);
	CHECK(bpftk_diags_count(d) == 1 &&
	      strstr(bpftk_diags_get(d, 0)->msg, "no program loaded"));
	CHECK(bpftk_vm_run(NULL, NULL, &r0, d) == -EINVAL);
	CHECK(bpftk_vm_load(vm, NULL, 3, d) == -EINVAL);
	struct bpftk_insn p[] = {MOVK(0, 3), EXIT()};
	CHECK(bpftk_vm_load(vm, p, NINSN(p), d) == 0);
	CHECK(bpftk_vm_load(vm, p, NINSN(p), d) == -EBUSY);
	CHECK(bpftk_vm_run(vm, NULL, NULL, d) == 0);
	CHECK(bpftk_vm_run(vm, NULL, &r0, d) == 0 && r0 == 3);
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
}

/* ---- allocation failure --------------------------------------------- */

static long alloc_calls, alloc_fail_at = -1, alloc_live;

static void *t_malloc(size_t n)
{
	if (alloc_calls++ == alloc_fail_at)
		return NULL;
	alloc_live++;
	return malloc(n);
}

static void *t_realloc(void *p, size_t n)
{
	if (alloc_calls++ == alloc_fail_at)
		return NULL;
	if (!p)
		alloc_live++;
	return realloc(p, n);
}

static void t_free(void *p)
{
	if (p)
		alloc_live--;
	free(p);
}

static uint64_t h_one(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e, struct bpftk_vm_call *call)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)call;
	return 1;
}

/* Every step may fail with -ENOMEM; nothing leaks; once allocation stops
 * failing, everything works. */
static void test_alloc_failure(void)
{
	static uint64_t region[4];
	struct bpftk_insn p[] = {
		I(CALL, 0, 0, 0, 3), LD64(1, 5), I(ADD64_X, 0, 1, 0, 0), EXIT(),
	};
	int done = 0, failures = 0;
	for (long n = 0; n < 200 && !done; n++) {
		alloc_calls = 0;
		alloc_live = 0;
		alloc_fail_at = n;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		struct bpftk_vm *vm = NULL;
		struct bpftk_vm_opts o;
		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.name = "alloc";
		int err = bpftk_vm_new(&o, &vm);
		if (!err)
			err = bpftk_vm_register_helper(vm, 3, "one", h_one);
		if (!err)
			err = bpftk_vm_add_region(vm, region, sizeof(region), 1);
		if (!err)
			err = bpftk_vm_load(vm, p, NINSN(p), NULL);
		uint64_t r0 = 0;
		if (!err)
			err = bpftk_vm_run(vm, NULL, &r0, NULL);
		bpftk_vm_free(vm);
		bpftk_set_allocator(NULL, NULL, NULL);
		CHECK(err == 0 || err == -ENOMEM);
		if (alloc_live != 0)
			fprintf(stderr, "alloc failure at %ld: %ld blocks leaked\n",
				n, alloc_live);
		CHECK(alloc_live == 0);
		if (err == 0) {
			CHECK_EQ_U64(r0, 6);
			done = n >= alloc_calls; /* no failure was injected */
		} else {
			failures++;
		}
	}
	CHECK(done);
	CHECK(failures >= 4);
}

TEST_MAIN({
	test_memory_faults();
	test_frame_faults();
	test_regions();
	test_budget();
	test_off_end();
	test_load_errors();
	test_lifecycle();
	test_alloc_failure();
})
