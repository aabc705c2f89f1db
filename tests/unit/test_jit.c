/* test_jit.c — the x86-64 JIT (vm mode BPFTK_VM_JIT).
 *
 *  - the shared conformance suite (../shared/conformance/tests): every
 *    program compiles without falling back and gives the file's r0;
 *  - run-time rules the suite does not reach, each checked against the
 *    value the rule implies and against the fast interpreter (same error,
 *    fault location, r0 and memory): r1..r5 kept across helper calls,
 *    bpftk_vm_call_exit / _fail / _return, callbacks through
 *    bpftk_vm_call_sub
 *    (nested, failing), callx to an unregistered id, the call depth limit,
 *    frames that read as zeros when first reached, LD_ABS/LD_IND out of
 *    the packet, running off the end, 32-bit shifts by a register that
 *    masks to 0;
 *  - host safety: the code pages are read+execute and not writable
 *    (/proc/self/maps), the code is printable through bpftk_vm_jit_code;
 *    with constant blinding no constant of the program is in the code;
 *  - every allocation of a JIT load failing in turn: -ENOMEM, or success
 *    (with a fallback warning when the JIT's own allocation failed; none
 *    when only its optional call analysis went without memory) and the
 *    right result either way, nothing leaked.
 */
#include <dirent.h>
#include <inttypes.h>

#include <bpftk/asm.h>

#include "test.h"
#include "test_conf_case.h"
#include "test_alloc.h"
#include "test_vm_util.h"

/* ---- one run ------------------------------------------------------------- */

struct jo {
	int load_err, err, warned;
	uint64_t r0;
	long insn;
	char msg[512];
};

static int use_cb_helpers;

static uint64_t h_first(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e, (void)call;
	return a;
}

/* 6: ends the program with r0 = a */
static uint64_t h_exit(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e;
	bpftk_vm_call_exit(call, a);
	return 0;
}

/* 7: fails when a is odd */
static uint64_t h_fail(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e;
	if (a & 1)
		bpftk_vm_call_fail(call, -EPERM, "odd %" PRIu64, a);
	return a;
}

/* 8: runs the callback at slot a with r1 = b, r2 = c; returns its r0 + 1 */
static uint64_t h_sub(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		      uint64_t e, struct bpftk_vm_call *call)
{
	uint64_t args[5] = {b, c, d, e, 0}, r0 = 0;
	int err = bpftk_vm_call_sub(call, a, args, &r0);
	if (err) {
		bpftk_vm_call_fail(call, err, NULL);
		return 0;
	}
	return r0 + 1;
}

/* 9: leaves the calling BPF function with r0 = a */
static uint64_t h_return(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			 uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e;
	bpftk_vm_call_return(call, a);
	return 0;
}

static struct jo run_mode(enum bpftk_vm_mode mode, const struct bpftk_insn *p,
			  size_t n, void *mem, size_t len)
{
	struct jo o;
	memset(&o, 0, sizeof(o));
	o.insn = -1;
	struct bpftk_vm_opts opts = {.sz = sizeof(opts), .mode = mode,
				     .name = "t"};
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	if (bpftk_vm_new(&opts, &vm) ||
	    bpftk_vm_register_helper(vm, 5, "first", h_first) ||
	    bpftk_vm_register_helper(vm, 6, "exit", h_exit) ||
	    bpftk_vm_register_helper(vm, 7, "fail", h_fail) ||
	    bpftk_vm_register_helper(vm, 9, "return", h_return) ||
	    (use_cb_helpers &&
	     bpftk_vm_register_helper(vm, 8, "sub", h_sub))) {
		o.load_err = -ENOMEM;
		bpftk_diags_free(d);
		bpftk_vm_free(vm);
		return o;
	}
	o.load_err = bpftk_vm_load(vm, p, n, d);
	o.warned = bpftk_diags_count(d) > 0;
	size_t first = bpftk_diags_count(d);
	if (!o.load_err)
		o.err = bpftk_vm_run_mem(vm, mem, len, &o.r0, d);
	if (bpftk_diags_count(d) > first) {
		const struct bpftk_diag *g = bpftk_diags_get(d, first);
		o.insn = g->insn;
		snprintf(o.msg, sizeof(o.msg), "%s", g->msg);
	}
	bpftk_diags_free(d);
	bpftk_vm_free(vm);
	return o;
}

/* JIT and fast interpreter on copies of mem; they must agree in all and
 * the JIT must not have fallen back.  Returns the JIT's outcome; mem ends
 * as the JIT left it. */
static struct jo both(const char *what, const struct bpftk_insn *p, size_t n,
		      void *mem, size_t len)
{
	unsigned char a[256], b[256];
	if (len > sizeof(a))
		len = sizeof(a);
	if (len) {
		memcpy(a, mem, len);
		memcpy(b, mem, len);
	}
	struct jo f = run_mode(BPFTK_VM_FAST, p, n, len ? a : NULL, len);
	struct jo j = run_mode(BPFTK_VM_JIT, p, n, len ? b : NULL, len);
	int same = f.load_err == j.load_err && f.err == j.err &&
		   f.r0 == j.r0 && f.insn == j.insn && !strcmp(f.msg, j.msg) &&
		   (!len || !memcmp(a, b, len));
	if (!same || j.warned)
		fprintf(stderr,
			"%s: jit/fast: load %d/%d err %d/%d r0 %#" PRIx64
			"/%#" PRIx64 " insn %ld/%ld msg '%s'/'%s' warned %d\n",
			what, j.load_err, f.load_err, j.err, f.err, j.r0, f.r0,
			j.insn, f.insn, j.msg, f.msg, j.warned);
	CHECK(same);
	CHECK(!j.warned);
	if (len)
		memcpy(mem, b, len);
	return j;
}

/* ---- conformance --------------------------------------------------------- */

static void conf_one(const struct conf_case *c, void *arg)
{
	int *ok = arg;
	struct jo j = both(c->name, c->insns, c->n, c->memlen ? c->mem : NULL,
			   c->memlen);
	if (j.load_err || j.err || j.r0 != c->want)
		printf("FAIL %s: load %d err %d r0 %#" PRIx64 " want %#" PRIx64
		       " (%s)\n",
		       c->name, j.load_err, j.err, j.r0, c->want, j.msg);
	else
		(*ok)++;
	CHECK(!j.load_err && !j.err && j.r0 == c->want);
}

static void conformance(void)
{
	int ok = 0, files = for_each_conf_case(test_shared, conf_one, &ok);
	if (files < 0)
		return;
	printf("conformance [jit]: %d/%d passed\n", ok, files);
	CHECK(files > 300);
}

/* ---- run-time rules ------------------------------------------------------ */

static void helpers_keep_args(void)
{
	struct bpftk_insn p[] = {
		MOVK(1, 1), MOVK(2, 2), MOVK(3, 3), MOVK(4, 4), MOVK(5, 5),
		I(CALL, 0, 0, 0, 5),	    /* r0 = r1 */
		I(ADD64_X, 0, 1, 0, 0),	    I(ADD64_X, 0, 2, 0, 0),
		I(ADD64_X, 0, 3, 0, 0),	    I(ADD64_X, 0, 4, 0, 0),
		I(ADD64_X, 0, 5, 0, 0),	    EXIT(),
	};
	struct jo j = both("helper keeps r1..r5", p, NINSN(p), NULL, 0);
	CHECK_EQ_U64(j.r0, 16);
}

static void helper_exit_fail(void)
{
	struct bpftk_insn ex[] = {
		MOVK(1, 42), I(CALL, 0, 0, 0, 6), MOVK(0, 1), EXIT(),
	};
	CHECK_EQ_U64(both("call_exit", ex, NINSN(ex), NULL, 0).r0, 42);
	struct bpftk_insn fl[] = {
		MOVK(1, 2), I(CALL, 0, 0, 0, 7), MOVK(1, 3),
		I(CALL, 0, 0, 0, 7), EXIT(),
	};
	struct jo j = both("call_fail", fl, NINSN(fl), NULL, 0);
	CHECK(j.err == -EPERM && j.insn == 3 && strstr(j.msg, "odd 3"));
}

/* bpftk_vm_call_return: the helper's caller returns at once */
static void helper_return(void)
{
	struct bpftk_insn p[] = {
		MOVK(6, 100), MOVK(1, 5),
		I(CALL_LOCAL, 0, 0, 0, 3),	/* f(5) returns 5 via the helper */
		I(ADD64_X, 0, 6, 0, 0),		/* r6 restored: 100 */
		I(MUL64_K, 0, 0, 0, 3), EXIT(),
		/* f */
		MOVK(6, 7), I(CALL, 0, 0, 0, 9), MOVK(0, 1000), EXIT(),
	};
	CHECK_EQ_U64(both("call_return in a function", p, NINSN(p), NULL, 0).r0,
		     315);
	struct bpftk_insn q[] = {
		MOVK(1, 42), I(CALL, 0, 0, 0, 9), MOVK(0, 1), EXIT(),
	};
	CHECK_EQ_U64(both("call_return at the top", q, NINSN(q), NULL, 0).r0,
		     42);
}

static void callx_unregistered(void)
{
	struct bpftk_insn p[] = {
		MOVK(1, 9), MOVK(2, 5), I(CALLX, 2, 0, 0, 0), /* 5: first */
		MOVK(3, 1000), I(CALLX, 3, 0, 0, 0), EXIT(),
	};
	struct jo j = both("callx", p, NINSN(p), NULL, 0);
	CHECK(j.err == -ENOENT && j.insn == 4);
	struct bpftk_insn q[] = {
		MOVK(1, 9), MOVK(2, 5), I(CALLX, 2, 0, 0, 0), EXIT(),
	};
	CHECK_EQ_U64(both("callx ok", q, NINSN(q), NULL, 0).r0, 9);
}

static void call_depth(void)
{
	/* f calls itself forever: the 8th frame is refused */
	struct bpftk_insn p[] = {
		I(CALL_LOCAL, 0, 0, 0, 1), EXIT(),
		I(ADD64_K, 6, 0, 0, 1), I(CALL_LOCAL, 0, 0, 0, -2), EXIT(),
	};
	struct jo j = both("depth", p, NINSN(p), NULL, 0);
	CHECK(j.err == -E2BIG && j.insn == 3);
}

static void frames_zeroed(void)
{
	/* main: f(); f() again after writing its own frame; f reads and
	 * bumps the word at r10 - 8 of its frame and returns what it read */
	struct bpftk_insn p[] = {
		I(STDW, 10, 0, -8, 77),
		I(CALL_LOCAL, 0, 0, 0, 5),  /* f: 0 (fresh frame) */
		MOVX(6, 0),
		I(CALL_LOCAL, 0, 0, 0, 3),  /* f: 1 (left by the first call) */
		I(LSH64_K, 0, 0, 0, 8),
		I(ADD64_X, 0, 6, 0, 0),
		EXIT(),
		/* f */
		I(LDXDW, 0, 10, -8, 0), MOVX(1, 0), I(ADD64_K, 1, 0, 0, 1),
		I(STXDW, 10, 1, -8, 0), EXIT(),
	};
	CHECK_EQ_U64(both("frames", p, NINSN(p), NULL, 0).r0, 0x100);
}

static void callbacks(void)
{
	use_cb_helpers = 1;
	/* the callback at slot 6 doubles r1 and reads its fresh frame */
	struct bpftk_insn p[] = {
		MOVK(1, 6), MOVK(2, 20), MOVK(6, 1000),
		I(CALL, 0, 0, 0, 8),		/* r0 = cb(20) + 1 */
		I(ADD64_X, 0, 6, 0, 0), EXIT(),
		I(LDXDW, 0, 10, -16, 0),	/* cb: 0 */
		I(ADD64_X, 0, 1, 0, 0), I(ADD64_X, 0, 1, 0, 0),
		MOVK(6, 5),			/* r6 of the caller is kept */
		EXIT(),
	};
	CHECK_EQ_U64(both("callback", p, NINSN(p), NULL, 0).r0, 1041);
	/* a callback calling itself through the helper until too deep */
	struct bpftk_insn q[] = {
		MOVK(1, 3), I(CALL, 0, 0, 0, 8), EXIT(),
		MOVK(1, 3), I(CALL, 0, 0, 0, 8), EXIT(),
	};
	struct jo j = both("callback depth", q, NINSN(q), NULL, 0);
	CHECK(j.err == -E2BIG && strstr(j.msg, "callback"));
	/* slot 4 is not a function entry (3 is: it follows an exit) */
	struct bpftk_insn r[] = {
		MOVK(1, 4), I(CALL, 0, 0, 0, 8), EXIT(), MOVK(0, 1), MOVK(0, 2),
		EXIT(),
	};
	j = both("callback entry", r, NINSN(r), NULL, 0);
	CHECK(j.err == -EINVAL && j.insn == 1);
	use_cb_helpers = 0;
}

static void packet_loads(void)
{
	unsigned char pkt[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct bpftk_insn p[] = {
		I(LDABSW, 0, 0, 0, 4), MOVX(6, 0),     /* 0x05060708 */
		I(LDABSH, 0, 0, 0, 1), I(ADD64_X, 6, 0, 0, 0), /* 0x0203 */
		MOVK(7, 3), I(LDINDB, 0, 7, 0, 4),	/* pkt[7] = 8 */
		I(ADD64_X, 0, 6, 0, 0), EXIT(),
	};
	CHECK_EQ_U64(both("ld_abs", p, NINSN(p), pkt, 8).r0,
		     0x05060708u + 0x0203u + 8);
	struct bpftk_insn q[] = {
		MOVK(0, 5), MOVK(7, -2), I(LDINDB, 0, 7, 0, 1), /* offset -1 */
		MOVK(0, 9), EXIT(),
	};
	CHECK_EQ_U64(both("ld_ind negative", q, NINSN(q), pkt, 8).r0, 0);
	struct bpftk_insn s[] = {
		MOVK(0, 5), I(LDABSW, 0, 0, 0, 5), MOVK(0, 9), EXIT(),
	};
	CHECK_EQ_U64(both("ld_abs past end", s, NINSN(s), pkt, 8).r0, 0);
	CHECK_EQ_U64(both("ld_abs no packet", s, NINSN(s), NULL, 0).r0, 0);
}

static void off_the_end(void)
{
	struct bpftk_insn p[] = {MOVK(0, 1), MOVK(0, 2)};
	struct jo j = both("off the end", p, NINSN(p), NULL, 0);
	CHECK(j.err == -EFAULT && j.insn == 2);
}

static void shifts_by_zero(void)
{
	static const enum bpftk_op ops[] = {BPFTK_OP_LSH32_X, BPFTK_OP_RSH32_X,
					    BPFTK_OP_ARSH32_X};
	for (int k = 0; k < 3; k++) {
		for (int cnt = 0; cnt <= 32; cnt += 32) {
			/* r2 = count in rcx (r4) and elsewhere (r2) */
			for (int reg = 2; reg <= 4; reg += 2) {
				struct bpftk_insn p[] = {
					LD64(0, 0xfedcba9876543210ull),
					MOVK(reg, cnt),
					vt_ins(ops[k], 0, reg, 0, 0), EXIT(),
				};
				CHECK_EQ_U64(both("shift32", p, NINSN(p), NULL, 0).r0,
					     0x76543210u);
			}
		}
	}
}

/* ---- host safety --------------------------------------------------------- */

static void code_pages(void)
{
	struct bpftk_insn p[] = {MOVK(0, 7), EXIT()};
	struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_JIT};
	struct bpftk_vm *vm = NULL;
	CHECK(bpftk_vm_new(&o, &vm) == 0);
	CHECK(bpftk_vm_jit_code(vm, NULL, NULL, NULL, NULL) == -ENOENT);
	CHECK(bpftk_vm_load(vm, p, 2, NULL) == 0);
	const uint8_t *code = NULL;
	size_t len = 0;
	const uint32_t *off = NULL;
	const char *arch = NULL;
	CHECK(bpftk_vm_jit_code(vm, &code, &len, &off, &arch) == 0);
	CHECK(code && len && off && arch && !strcmp(arch, "x86-64"));
	CHECK(off[0] < off[1] && off[1] < off[2] && off[2] < len);
	CHECK(code[off[1]] == 0xc3); /* exit is ret */
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f)) {
			unsigned long lo, hi;
			char perm[8];
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3)
				continue;
			uintptr_t a = (uintptr_t)code;
			if (a >= lo && a < hi) {
				found = 1;
				CHECK(!strncmp(perm, "r-x", 3));
			}
		}
		fclose(f);
		CHECK(found);
	}
	uint64_t r0 = 0;
	CHECK(bpftk_vm_run(vm, NULL, &r0, NULL) == 0 && r0 == 7);
	bpftk_vm_free(vm);
	struct bpftk_vm_opts fo = {.sz = sizeof(fo), .mode = BPFTK_VM_FAST};
	CHECK(bpftk_vm_new(&fo, &vm) == 0 && bpftk_vm_load(vm, p, 2, NULL) == 0);
	CHECK(bpftk_vm_jit_code(vm, &code, NULL, NULL, NULL) == -ENOENT);
	bpftk_vm_free(vm);
	CHECK(bpftk_vm_jit_code(NULL, NULL, NULL, NULL, NULL) == -EINVAL);
}

/* Constant blinding: the program's constants are in the code without it,
 * nowhere with it, and the result is the same. */
static void blinding(void)
{
	static const uint8_t pattern[4] = {0x78, 0x56, 0x34, 0x12};
	struct bpftk_insn p[] = {
		MOVK(0, 0x12345678), I(ADD64_K, 0, 0, 0, 0x12345678),
		I(XOR32_K, 0, 0, 0, 0x12345678), LD64(1, 0x1234567812345678ull),
		I(ADD64_X, 0, 1, 0, 0), I(JEQ64_K, 0, 0, 1, 0x12345678),
		I(STW, 10, 0, -4, 0x12345678), I(LDXW, 2, 10, -4, 0),
		I(ADD64_X, 0, 2, 0, 0), EXIT(),
	};
	uint64_t want = 0;
	for (unsigned flags = 0; flags <= BPFTK_VM_JIT_BLIND;
	     flags += BPFTK_VM_JIT_BLIND) {
		struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_JIT,
					  .flags = flags};
		struct bpftk_vm *vm = NULL;
		const uint8_t *code = NULL;
		size_t len = 0;
		CHECK(bpftk_vm_new(&o, &vm) == 0);
		CHECK(bpftk_vm_load(vm, p, NINSN(p), NULL) == 0);
		CHECK(bpftk_vm_jit_code(vm, &code, &len, NULL, NULL) == 0);
		int seen = 0;
		for (size_t i = 0; code && i + 4 <= len; i++)
			seen += !memcmp(code + i, pattern, 4);
		uint64_t r0 = 0;
		CHECK(bpftk_vm_run(vm, NULL, &r0, NULL) == 0);
		if (!flags) {
			CHECK(seen >= 5);
			want = r0;
		} else {
			CHECK(seen == 0);
			CHECK_EQ_U64(r0, want);
		}
		bpftk_vm_free(vm);
	}
	/* the fast interpreter agrees */
	CHECK_EQ_U64(run_mode(BPFTK_VM_FAST, p, NINSN(p), NULL, 0).r0, want);
}

/* Every allocation of new + load + run failing in turn. */
static void alloc_failures(void)
{
	struct bpftk_insn p[] = {
		MOVK(1, 3), I(CALL, 0, 0, 0, 5), I(MUL64_K, 0, 0, 0, 7), EXIT(),
	};
	int fell_back = 0, nomem = 0, clean = 0;
	for (fail_at = 1;; fail_at++) {
		calls = 0;
		live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_JIT};
		struct bpftk_vm *vm = NULL;
		struct bpftk_diags *d = bpftk_diags_new();
		int err = d ? bpftk_vm_new(&o, &vm) : -ENOMEM;
		if (!err)
			err = bpftk_vm_register_helper(vm, 5, "first", h_first);
		if (!err)
			err = bpftk_vm_load(vm, p, NINSN(p), d);
		uint64_t r0 = 0;
		int warned = d && bpftk_diags_count(d) > 0;
		if (!err) {
			err = bpftk_vm_run(vm, NULL, &r0, d);
			CHECK(err == 0 && r0 == 21);
			fell_back += warned;
			clean += !warned;
		} else {
			CHECK(err == -ENOMEM);
			nomem++;
		}
		bpftk_vm_free(vm);
		bpftk_diags_free(d);
		bpftk_set_allocator(NULL, NULL, NULL);
		CHECK(live == 0);
		if (calls < fail_at)
			break; /* nothing failed: every allocation was tried */
	}
	printf("allocation failures: %d -ENOMEM, %d fell back to the "
	       "interpreter with a warning, %d clean\n",
	       nomem, fell_back, clean);
	CHECK(fell_back >= 1 && clean >= 1);
}

TEST_MAIN(conformance(); helpers_keep_args(); helper_exit_fail();
	  helper_return();
	  callx_unregistered(); call_depth(); frames_zeroed(); callbacks();
	  packet_loads(); off_the_end(); shifts_by_zero(); code_pages();
	  blinding(); alloc_failures())
