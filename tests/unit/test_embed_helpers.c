/* test_embed_helpers.c — helpers an embedder adds through the API
 * (bpftk_verify_opts.helpers, bpftk_run_opts.helpers): the verifier
 * checks calls to them against their descriptors as it checks bpftk's own
 * (argument kinds, program types, a map value that may be NULL), a run
 * registers them so verified programs call them in every engine, ids of
 * bpftk's helpers are refused with -EEXIST, and descriptors the verifier
 * could not trust are refused before anything is checked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpftk/asm.h>
#include <bpftk/elf.h>
#include <bpftk/helpers.h>
#include <bpftk/object.h>
#include <bpftk/run.h>
#include <bpftk/verifier.h>

#include "test.h"
#include "test_alloc.h"

#define ID_SUM 0x1000	/* tk_sum(mem, size): the bytes' sum + user base */
#define ID_SCALE 0x1001 /* tk_scale(a, b): a * b, for XDP only */
#define ID_FIRST 0x1002 /* tk_first(map): its first value, or NULL */

static unsigned sum_calls;

static uint64_t tk_sum(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		       uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	const uint8_t *p = bpftk_vm_call_mem(call, r1, (size_t)r2, 0);
	if (!p) {
		bpftk_vm_call_fail(call, -EFAULT, "tk_sum: bad memory");
		return 0;
	}
	struct bpftk_helper_env *env = bpftk_helper_env_of(call);
	const uint64_t *base = env ? bpftk_helper_env_user(env) : NULL;
	uint64_t s = base ? *base : 0;
	for (uint64_t i = 0; i < r2; i++)
		s += p[i];
	sum_calls++;
	return s;
}

static uint64_t tk_scale(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5, (void)call;
	return r1 * r2;
}

static uint64_t tk_first(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5, (void)call;
	uint32_t zero = 0;
	return (uint64_t)(uintptr_t)bpftk_map_prog_lookup(
		(struct bpftk_map *)(uintptr_t)r1, &zero, 0);
}

static const struct bpftk_helper helpers[] = {
	{ID_SUM, "tk_sum",
	 {BPFTK_ARG_PTR_TO_MEM, BPFTK_ARG_CONST_SIZE, 0, 0, 0},
	 BPFTK_RET_INTEGER, BPFTK_PT_SOCKET | BPFTK_PT_XDP, tk_sum},
	{ID_SCALE, "tk_scale", {BPFTK_ARG_ANYTHING, BPFTK_ARG_ANYTHING, 0, 0, 0},
	 BPFTK_RET_INTEGER, BPFTK_PT_XDP, tk_scale},
	{ID_FIRST, "tk_first", {BPFTK_ARG_CONST_MAP_PTR, 0, 0, 0, 0},
	 BPFTK_RET_PTR_TO_MAP_VALUE_OR_NULL, BPFTK_PT_ALL, tk_first},
};
#define NHELPERS (sizeof(helpers) / sizeof(helpers[0]))

/* fp-8 = bytes 1..8; r0 = tk_sum(fp-8, 8) = 36 + the env's base */
static const char sum_prog[] = "*(u32 *)(r10 - 8) = 0x04030201\n"
			       "*(u32 *)(r10 - 4) = 0x08070605\n"
			       "r1 = r10\n"
			       "r1 += -8\n"
			       "r2 = 8\n"
			       "call 4096\n"
			       "exit\n";

static struct bpftk_asm_result *assemble(const char *text)
{
	struct bpftk_asm_result *r = NULL;
	CHECK(bpftk_asm_assemble(text, strlen(text), NULL, &r, NULL) == 0);
	return r;
}

static int has(struct bpftk_diags *d, const char *words)
{
	char line[1024];
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		if (strstr(line, words))
			return 1;
	}
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		fprintf(stderr, "  (no \"%s\" in) %s\n", words, line);
	}
	return 0;
}

/* bpftk_verify of text as type, with the helpers hs[0..n); the error,
 * and the diagnostics contain words (when not NULL). */
static int verify(const char *text, enum bpftk_prog_type type,
		  const struct bpftk_helper *hs, size_t n, const char *words)
{
	static const struct bpftk_verify_map maps[] = {
		{2, 4, 16, 1, 0, -1, -1, "array16"}};
	struct bpftk_asm_result *a = assemble(text);
	if (!a)
		return -1000;
	const struct bpftk_asm_section *s = bpftk_asm_result_section(a, 0);
	struct bpftk_verify_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.type = type;
	o.maps = maps;
	o.nmaps = 1;
	o.helpers = hs;
	o.nhelpers = n;
	o.name = "embed";
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_verify(s->insns, s->n, &o, NULL, d);
	if (words)
		CHECK(has(d, words));
	bpftk_diags_free(d);
	bpftk_asm_result_free(a);
	return err;
}

static void test_verify(void)
{
	/* checked against the descriptor: accepted with it, unknown
	 * without it */
	CHECK_EQ_U64(verify(sum_prog, BPFTK_PROG_TYPE_SOCKET_FILTER, helpers,
			    NHELPERS, NULL),
		     0);
	CHECK_EQ_U64(verify(sum_prog, BPFTK_PROG_TYPE_SOCKET_FILTER, NULL, 0,
			    "unknown helper function id 4096"),
		     -EACCES);
	CHECK_EQ_U64(verify(sum_prog, BPFTK_PROG_TYPE_SOCKET_FILTER,
			    helpers + 1, NHELPERS - 1,
			    "nor is it one of the embedder's helpers"),
		     -EACCES);
	/* a number where the memory argument goes */
	CHECK_EQ_U64(verify("r1 = 5\n"
			    "r2 = 8\n"
			    "call 4096\n"
			    "exit\n",
			    BPFTK_PROG_TYPE_SOCKET_FILTER, helpers, NHELPERS,
			    "argument 1 of bpf_tk_sum: r1 must point to 8 bytes"),
		     -EACCES);
	/* a size the verifier cannot bound */
	CHECK_EQ_U64(verify("r1 = r10\n"
			    "r1 += -8\n"
			    "r2 = *(u32 *)(r1 + 0)\n"
			    "*(u64 *)(r10 - 8) = 0\n"
			    "call 4096\n"
			    "exit\n",
			    BPFTK_PROG_TYPE_SOCKET_FILTER, helpers, NHELPERS,
			    "argument 2 of bpf_tk_sum must be a size"),
		     -EACCES);
	/* the size reaches past the stack bytes written */
	CHECK_EQ_U64(verify("*(u64 *)(r10 - 8) = 0\n"
			    "r1 = r10\n"
			    "r1 += -8\n"
			    "r2 = 16\n"
			    "call 4096\n"
			    "exit\n",
			    BPFTK_PROG_TYPE_SOCKET_FILTER, helpers, NHELPERS,
			    "argument 1 of bpf_tk_sum: reads 16 bytes at "
			    "fp-8, outside the stack"),
		     -EACCES);
	/* program types: tk_scale is XDP's */
	const char *scale = "r1 = 6\nr2 = 7\ncall 4097\nr0 = 2\nexit\n";
	CHECK_EQ_U64(verify(scale, BPFTK_PROG_TYPE_XDP, helpers, NHELPERS,
			    NULL),
		     0);
	CHECK_EQ_U64(verify(scale, BPFTK_PROG_TYPE_SOCKET_FILTER, helpers,
			    NHELPERS,
			    "bpf_tk_scale is not available to socket_filter"),
		     -EACCES);
	/* a map value that may be NULL: checked before use, and only
	 * value_size bytes of it */
	const char *first_unchecked = "ld_pseudo r1, 1, 0\n"
				      "call 4098\n"
				      "r0 = *(u64 *)(r0 + 0)\n"
				      "exit\n";
	const char *first_checked = "ld_pseudo r1, 1, 0\n"
				    "call 4098\n"
				    "if r0 == 0 goto +1\n"
				    "r0 = *(u64 *)(r0 + 8)\n"
				    "exit\n";
	const char *first_past = "ld_pseudo r1, 1, 0\n"
				 "call 4098\n"
				 "if r0 == 0 goto +1\n"
				 "r0 = *(u64 *)(r0 + 12)\n"
				 "exit\n";
	CHECK_EQ_U64(verify(first_unchecked, BPFTK_PROG_TYPE_SOCKET_FILTER,
			    helpers, NHELPERS, "may be NULL"),
		     -EACCES);
	CHECK_EQ_U64(verify(first_checked, BPFTK_PROG_TYPE_SOCKET_FILTER,
			    helpers, NHELPERS, NULL),
		     0);
	CHECK_EQ_U64(verify(first_past, BPFTK_PROG_TYPE_SOCKET_FILTER,
			    helpers, NHELPERS, "only 16 bytes"),
		     -EACCES);
	/* r1..r5 are clobbered by the call, as for bpftk's helpers */
	CHECK_EQ_U64(verify("r1 = 6\nr2 = 7\ncall 4097\nr0 = r2\nexit\n",
			    BPFTK_PROG_TYPE_XDP, helpers, NHELPERS,
			    "insn 3: error: (r0 = r2): r2 is read before"),
		     -EACCES);
}

/* One descriptor changed by `how`; what bpftk_verify_check_helpers says. */
static int check_one(struct bpftk_helper h, const char *words)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_verify_check_helpers(&h, 1, d);
	if (words)
		CHECK(has(d, words));
	bpftk_diags_free(d);
	return err;
}

static void test_descriptors(void)
{
	struct bpftk_helper h = helpers[0];
	CHECK_EQ_U64(check_one(h, NULL), 0);
	CHECK_EQ_U64(bpftk_verify_check_helpers(helpers, NHELPERS, NULL), 0);
	CHECK_EQ_U64(bpftk_verify_check_helpers(NULL, 0, NULL), 0);
	CHECK_EQ_U64(bpftk_verify_check_helpers(NULL, 1, NULL), -EINVAL);

	/* collisions with bpftk's ids are refused, never overrides */
	h.id = BPFTK_FUNC_map_lookup_elem;
	CHECK_EQ_U64(check_one(h, "id 1 is bpftk's bpf_map_lookup_elem"),
		     -EEXIST);
	h.id = BPFTK_FUNC_loop;
	CHECK_EQ_U64(check_one(h, "bpftk's bpf_loop"), -EEXIST);
	struct bpftk_helper twice[2] = {helpers[0], helpers[1]};
	twice[1].id = twice[0].id;
	struct bpftk_diags *d = bpftk_diags_new();
	CHECK_EQ_U64(bpftk_verify_check_helpers(twice, 2, d), -EEXIST);
	CHECK(has(d, "given twice"));
	bpftk_diags_free(d);

	/* ids the vm cannot number */
	h = helpers[0];
	h.id = 0;
	CHECK_EQ_U64(check_one(h, "1..65535"), -ERANGE);
	h.id = BPFTK_VM_MAX_HELPERS;
	CHECK_EQ_U64(check_one(h, "1..65535"), -ERANGE);
	h.id = BPFTK_VM_MAX_HELPERS - 1;
	CHECK_EQ_U64(check_one(h, NULL), 0);

	/* argument lists the verifier could not check from the
	 * descriptor alone */
	h = helpers[0];
	h.name = NULL;
	CHECK_EQ_U64(check_one(h, "no name"), -EINVAL);
	h = helpers[0];
	h.prog_types = 0;
	CHECK_EQ_U64(check_one(h, "prog_types is 0"), -EINVAL);
	h = helpers[0];
	h.args[1] = BPFTK_ARG_ANYTHING; /* memory without its size */
	CHECK_EQ_U64(check_one(h, "not followed by its size"), -EINVAL);
	h.args[0] = BPFTK_ARG_CONST_SIZE; /* a size without memory */
	h.args[1] = BPFTK_ARG_NONE;
	CHECK_EQ_U64(check_one(h, "not right after a memory argument"),
		     -EINVAL);
	h = helpers[0];
	h.args[3] = BPFTK_ARG_ANYTHING; /* a hole: args[2] is NONE */
	CHECK_EQ_U64(check_one(h, "follows BPFTK_ARG_NONE"), -EINVAL);
	h = helpers[1];
	h.args[0] = BPFTK_ARG_PTR_TO_MAP_KEY;
	CHECK_EQ_U64(check_one(h, "without a map argument"), -EINVAL);
	h = helpers[2];
	h.args[1] = BPFTK_ARG_CONST_MAP_PTR;
	CHECK_EQ_U64(check_one(h, "more than one map"), -EINVAL);
	static const uint8_t refused[] = {
		BPFTK_ARG_PTR_TO_FUNC,	       BPFTK_ARG_PTR_TO_STACK_OR_NULL,
		BPFTK_ARG_PTR_TO_SPIN_LOCK,    BPFTK_ARG_PTR_TO_RINGBUF_MEM,
		BPFTK_ARG_CONST_ALLOC_SIZE_OR_ZERO, BPFTK_ARG_PTR_TO_CONST_STR,
		200};
	for (size_t i = 0; i < sizeof(refused); i++) {
		h = helpers[1];
		h.args[1] = refused[i];
		CHECK_EQ_U64(check_one(h, "argument kind"), -EINVAL);
	}
	h = helpers[1];
	h.ret = BPFTK_RET_PTR_TO_MAP_VALUE_OR_NULL;
	CHECK_EQ_U64(check_one(h, "without a map argument"), -EINVAL);
	h.ret = BPFTK_RET_PTR_TO_RINGBUF_MEM_OR_NULL;
	CHECK_EQ_U64(check_one(h, "ring buffer"), -EINVAL);
	h.ret = 9;
	CHECK_EQ_U64(check_one(h, "return kind"), -EINVAL);

	/* bpftk_verify refuses them before checking anything */
	h = helpers[0];
	h.id = BPFTK_FUNC_ktime_get_ns;
	CHECK_EQ_U64(verify(sum_prog, BPFTK_PROG_TYPE_SOCKET_FILTER, &h, 1,
			    "bpftk's bpf_ktime_get_ns"),
		     -EEXIST);
}

/* sum_prog as an object with a socket filter program. */
struct objbuf {
	void *elf;
	struct bpftk_object *obj;
	struct bpftk_asm_result *a;
};

static int make_obj(struct objbuf *b, const char *text)
{
	static struct bpftk_elf_symbol sym = {"prog", 0};
	memset(b, 0, sizeof(*b));
	b->a = assemble(text);
	if (!b->a)
		return -1;
	const struct bpftk_asm_section *s = bpftk_asm_result_section(b->a, 0);
	struct bpftk_elf_section sec = {"socket", s->insns, s->n, &sym, 1};
	size_t len = 0;
	if (bpftk_elf_write(&sec, 1, "GPL", 0, &b->elf, &len, NULL) ||
	    bpftk_object_open_mem(b->elf, len, NULL, &b->obj, NULL))
		return -1;
	return 0;
}

static void free_obj(struct objbuf *b)
{
	bpftk_object_close(b->obj);
	bpftk_elf_buf_free(b->elf);
	bpftk_asm_result_free(b->a);
}

static int start(const struct bpftk_object *o, enum bpftk_vm_mode mode,
		 unsigned flags, const struct bpftk_helper *hs, size_t n,
		 struct bpftk_run **r, const char *words)
{
	struct bpftk_run_opts ro;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.mode = mode;
	ro.flags = flags;
	ro.helpers = hs;
	ro.nhelpers = n;
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_run_new(o, &ro, r, d);
	if (words)
		CHECK(has(d, words));
	bpftk_diags_free(d);
	return err;
}

static void test_run(void)
{
	struct objbuf b;
	CHECK(make_obj(&b, sum_prog) == 0);
	if (!b.obj) {
		free_obj(&b);
		return;
	}
	static const struct {
		enum bpftk_vm_mode mode;
		unsigned flags;
	} engines[] = {
		{BPFTK_VM_CHECKED, 0}, /* verified: the fast interpreter */
		{BPFTK_VM_JIT, 0},
		{BPFTK_VM_CHECKED, BPFTK_RUN_CHECKED},
		{BPFTK_VM_CHECKED, BPFTK_RUN_NO_VERIFY},
	};
	uint64_t base = 1000;
	uint8_t pkt[64] = {0};
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		struct bpftk_run *r = NULL;
		CHECK_EQ_U64(start(b.obj, engines[i].mode, engines[i].flags,
				   helpers, NHELPERS, &r, NULL),
			     0);
		if (!r)
			continue;
		bpftk_helper_env_set_user(bpftk_run_env(r), &base);
		struct bpftk_test_run_opts t;
		memset(&t, 0, sizeof(t));
		t.sz = sizeof(t);
		t.data_in = pkt;
		t.data_size_in = sizeof(pkt);
		t.repeat = 3;
		sum_calls = 0;
		CHECK_EQ_U64(bpftk_run_test(r, &t, NULL), 0);
		CHECK_EQ_U64(t.r0, 1036);
		CHECK_EQ_U64(sum_calls, 3);
		bpftk_run_free(r);
	}

	struct bpftk_run *r = NULL;
	/* without the helper the verifier refuses the call */
	CHECK_EQ_U64(start(b.obj, BPFTK_VM_CHECKED, 0, NULL, 0, &r,
			   "unknown helper function id 4096"),
		     -EACCES);
	CHECK(r == NULL);
	/* unverified, the loader still knows no helper 4096 */
	CHECK_EQ_U64(start(b.obj, BPFTK_VM_CHECKED, BPFTK_RUN_NO_VERIFY, NULL,
			   0, &r, "helper #4096 is not implemented"),
		     -EINVAL);
	/* a program type outside the helper's prog_types */
	struct bpftk_helper xdp_only = helpers[0];
	xdp_only.prog_types = BPFTK_PT_XDP;
	CHECK_EQ_U64(start(b.obj, BPFTK_VM_CHECKED, 0, &xdp_only, 1, &r,
			   "not available to socket_filter"),
		     -EACCES);
	CHECK_EQ_U64(start(b.obj, BPFTK_VM_CHECKED, BPFTK_RUN_NO_VERIFY,
			   &xdp_only, 1, &r,
			   "bpf_tk_sum#4096 is not available"),
		     -EINVAL);
	/* refused descriptors: a collision, no implementation */
	struct bpftk_helper h = helpers[0];
	h.id = BPFTK_FUNC_get_prandom_u32;
	CHECK_EQ_U64(start(b.obj, BPFTK_VM_CHECKED, 0, &h, 1, &r,
			   "bpftk's bpf_get_prandom_u32"),
		     -EEXIST);
	CHECK_EQ_U64(start(b.obj, BPFTK_VM_CHECKED, BPFTK_RUN_NO_VERIFY, &h, 1,
			   &r, NULL),
		     -EEXIST);
	h = helpers[0];
	h.fn = NULL;
	CHECK_EQ_U64(start(b.obj, BPFTK_VM_CHECKED, 0, &h, 1, &r,
			   "fn is NULL"),
		     -EINVAL);
	CHECK(r == NULL);
	free_obj(&b);
}

/* Every allocation of bpftk_run_new with the helpers fails in turn:
 * -ENOMEM and nothing leaks, or the run loads and computes 1036. */
static void test_alloc_failures(void)
{
	struct objbuf b;
	if (make_obj(&b, sum_prog)) {
		free_obj(&b);
		return;
	}
	long bad = 0;
	uint64_t base = 1000;
	uint8_t pkt[64] = {0};
	for (fail_at = 1;; fail_at++) {
		struct bpftk_run *r = NULL;
		calls = live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		int err = start(b.obj, BPFTK_VM_CHECKED, 0, helpers, NHELPERS,
				&r, NULL);
		int done = calls < fail_at; /* no allocation failed */
		uint64_t r0 = 0;
		if (!err) {
			struct bpftk_test_run_opts t;
			memset(&t, 0, sizeof(t));
			t.sz = sizeof(t);
			t.data_in = pkt;
			t.data_size_in = sizeof(pkt);
			bpftk_helper_env_set_user(bpftk_run_env(r), &base);
			long keep = fail_at;
			fail_at = 0; /* the run itself may allocate */
			if (bpftk_run_test(r, &t, NULL) == 0)
				r0 = t.r0;
			fail_at = keep;
		}
		bpftk_run_free(r);
		bpftk_set_allocator(NULL, NULL, NULL);
		if (live != 0 || (err && err != -ENOMEM) || (!err && r0 != 1036))
			bad++;
		if (done)
			break;
	}
	fail_at = 0;
	CHECK(bad == 0);
	free_obj(&b);
}

TEST_MAIN({
	test_verify();
	test_descriptors();
	test_run();
	test_alloc_failures();
})
