/* test_verifier_api.c — bpftk_verify as an API: self-contained cases
 * (program text, program type, expected verdict, words the message must
 * contain), the result's stats and per-instruction facts, the state log,
 * argument errors, and every allocation failing in turn (-ENOMEM, no
 * leak, never a wrong verdict).  Accepted bpf_loop programs also run,
 * verified, in the fast interpreter, the JIT and checked mode, with
 * bpf_loop's results as the kernel gives them.
 *
 * The messages are checked for the words a reader needs (what was
 * accessed, what is known, what to do), not for their full text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpftk/asm.h>
#include <bpftk/elf.h>
#include <bpftk/object.h>
#include <bpftk/run.h>
#include <bpftk/verifier.h>

#include "test.h"
#include "test_alloc.h"

/* Map 0 of every case: a hash map with 8-byte keys and values. */
static const struct bpftk_verify_map test_maps[] = {
	{1, 8, 8, 16, 0, -1, -1, "hash8"},
	{27, 0, 0, 4096, 0, -1, -1, "ringbuf"},
};

struct vcase {
	const char *name;
	enum bpftk_prog_type type;
	const char *text;
	int err;	   /* expected return */
	const char *words; /* |-separated substrings of the diagnostics */
};

/* bpf_map_lookup_elem(map 0, &key) with key 0 on the stack; r0 = the
 * value or NULL. */
#define LOOKUP_KEY0                                                          \
	"r1 = 0\n"                                                            \
	"*(u64 *)(r10 - 8) = r1\n"                                            \
	"r2 = r10\n"                                                          \
	"r2 += -8\n"                                                          \
	"ld_pseudo r1, 1, 0\n"                                                \
	"call 1\n"

/* bpf_loop(r1, callback at insn 10, r3 = fp-8 or NULL, r4 = 0) after
 * *(u64 *)(fp-8) = 0; r0 = what the callback left at fp-8.  The callback
 * (insn 10 on) is the case's own text. */
#define LOOP_CALL(n, ctx)                                                     \
	"*(u64 *)(r10 - 8) = 0\n"                                              \
	"r1 = " #n "\n"                                                        \
	"ld_pseudo r2, 4, 7\n"                                                 \
	ctx "r4 = 0\n"                                                         \
	"call 181\n"                                                           \
	"r0 = *(u64 *)(r10 - 8)\n"                                             \
	"exit\n"
#define LOOP_CTX_FP8 "r3 = r10\nr3 += -8\n"
#define LOOP_CTX_NULL "r3 = 0\nr3 += 0\n"

/* bpf_loop summing the indexes 0..9 into fp-8 */
#define LOOP_SUM10 \
	LOOP_CALL(10, LOOP_CTX_FP8) \
	"r0 = *(u64 *)(r2 + 0)\n" \
	"r0 += r1\n" \
	"*(u64 *)(r2 + 0) = r0\n" \
	"r0 = 0\n" \
	"exit\n"

/* rounds that zero fp-8 first, so they repeat; the last index stays */
#define LOOP_REPEAT_LAST \
	LOOP_CALL(10, LOOP_CTX_FP8) \
	"*(u64 *)(r2 + 0) = 0\n" \
	"r0 = 0\n" \
	"if r1 > 5 goto +1\n" \
	"r0 = 0\n" \
	"*(u64 *)(r2 + 0) = r1\n" \
	"exit\n"

/* a counter at fp-8 the callback stops at 8, then indexes fp-16 with it */
#define LOOP_COUNTER8 \
	"*(u64 *)(r10 - 8) = 0\n" \
	"*(u64 *)(r10 - 16) = 0\n" \
	"r1 = 100\n" \
	"ld_pseudo r2, 4, 11\n" \
	"r3 = r10\n" \
	"r3 += -8\n" \
	"r4 = 0\n" \
	"call 181\n" \
	"r1 = *(u64 *)(r10 - 8)\n" \
	"r2 = r10\n" \
	"r2 += -16\n" \
	"r2 += r1\n" \
	"r0 = *(u8 *)(r2 + 0)\n" \
	"exit\n" \
	"r0 = *(u64 *)(r2 + 0)\n" \
	"if r0 > 7 goto +4\n" \
	"r0 += 1\n" \
	"*(u64 *)(r2 + 0) = r0\n" \
	"r0 = 0\n" \
	"exit\n" \
	"r0 = 1\n" \
	"exit\n"

/* an XDP program reading the packet after bpf_loop, whose callback calls
 * helper `helper` on the context (44, bpf_xdp_adjust_head, moves the
 * packet) */
#define LOOP_PKT_CB(helper) \
	"r6 = *(u32 *)(r1 + 0)\n" \
	"r7 = *(u32 *)(r1 + 4)\n" \
	"*(u64 *)(r10 - 8) = r1\n" \
	"r1 = 1\n" \
	"ld_pseudo r2, 4, 12\n" \
	"r3 = r10\n" \
	"r3 += -8\n" \
	"r4 = 0\n" \
	"call 181\n" \
	"r0 = 2\n" \
	"r1 = r6\n" \
	"r1 += 1\n" \
	"if r1 > r7 goto +1\n" \
	"r1 = *(u8 *)(r6 + 0)\n" \
	"r0 = 2\n" \
	"exit\n" \
	"r1 = *(u64 *)(r2 + 0)\n" \
	"r2 = 4\n" \
	"call " helper "\n" \
	"r0 = 0\n" \
	"exit\n"

static const struct vcase cases[] = {
	{"return a constant", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r0 = 0\nexit\n", 0, NULL},
	{"r0 never set", BPFTK_PROG_TYPE_SOCKET_FILTER, "exit\n", -EACCES,
	 "insn 0|(exit)|without setting r0"},
	{"packet read without a bounds check", BPFTK_PROG_TYPE_XDP,
	 "r2 = *(u32 *)(r1 + 0)\n"
	 "r3 = *(u32 *)(r1 + 4)\n"
	 "r0 = *(u32 *)(r2 + 0)\n"
	 "exit\n",
	 -EACCES,
	 "insn 2|r0 = *(u32 *)(r2 + 0)|reads 4 bytes at packet offset 0|only 0 "
	 "bytes are known|packet pointer (offset 0, range 0)|compare r2 + 4 "
	 "with data_end"},
	{"packet read after a bounds check", BPFTK_PROG_TYPE_XDP,
	 "r2 = *(u32 *)(r1 + 0)\n"
	 "r3 = *(u32 *)(r1 + 4)\n"
	 "r4 = r2\n"
	 "r4 += 4\n"
	 "r0 = 0\n"
	 "if r4 > r3 goto +1\n"
	 "r0 = *(u32 *)(r2 + 0)\n"
	 "exit\n",
	 0, NULL},
	{"one byte past the checked range", BPFTK_PROG_TYPE_XDP,
	 "r2 = *(u32 *)(r1 + 0)\n"
	 "r3 = *(u32 *)(r1 + 4)\n"
	 "r4 = r2\n"
	 "r4 += 4\n"
	 "r0 = 0\n"
	 "if r4 > r3 goto +1\n"
	 "r0 = *(u32 *)(r2 + 1)\n"
	 "exit\n",
	 -EACCES, "insn 6|range 4|path: insn 5 (if r4 > r3 goto +1) not taken"},
	{"map value used without a NULL check", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOKUP_KEY0
	 "r0 = *(u64 *)(r0 + 0)\n"
	 "exit\n",
	 -EACCES, "may be NULL|compare it with 0"},
	{"map value after a NULL check, inside the value",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOKUP_KEY0
	 "if r0 == 0 goto +1\n"
	 "r0 = *(u64 *)(r0 + 0)\n"
	 "r0 = 0\n"
	 "exit\n",
	 0, NULL},
	{"map value read past its end", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOKUP_KEY0
	 "if r0 == 0 goto +1\n"
	 "r0 = *(u64 *)(r0 + 4)\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "reads bytes 4..11|only 8 bytes|map value pointer"},
	{"bounded loop", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r0 = 0\n"
	 "r1 = 0\n"
	 "r0 += r1\n"
	 "r1 += 1\n"
	 "if r1 < 10 goto -3\n"
	 "exit\n",
	 0, NULL},
	{"loop without a bound", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r0 = 0\n"
	 "r1 = *(u32 *)(r1 + 0)\n"
	 "if r1 != 0 goto -1\n"
	 "exit\n",
	 -EACCES, "infinite loop|instruction 2"},
	{"unreachable code", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r0 = 0\nexit\nr0 = 1\nexit\n", -EACCES,
	 "instruction 2 can never be reached"},
	{"stack read out of the frame", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r0 = *(u64 *)(r10 + 8)\nexit\n", -EACCES,
	 "outside the stack|fp-512"},
	{"context field that does not exist", BPFTK_PROG_TYPE_XDP,
	 "r0 = *(u32 *)(r1 + 100)\nexit\n", -EACCES,
	 "invalid bpf_context access off=100 size=4|struct xdp_md"},
	{"ring buffer sample not submitted", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "ld_pseudo r1, 1, 1\n"
	 "r2 = 8\n"
	 "r3 = 0\n"
	 "call 131\n"
	 "if r0 == 0 goto +1\n"
	 "r0 = 0\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "unreleased reference|reserved at insn 4"},
	{"ring buffer sample submitted", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "ld_pseudo r1, 1, 1\n"
	 "r2 = 8\n"
	 "r3 = 0\n"
	 "call 131\n"
	 "if r0 == 0 goto +5\n"
	 "r1 = 7\n"
	 "*(u64 *)(r0 + 0) = r1\n"
	 "r1 = r0\n"
	 "r2 = 0\n"
	 "call 132\n"
	 "r0 = 0\n"
	 "exit\n",
	 0, NULL},
	{"bpf-to-bpf call", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r1 = 5\n"
	 "call f\n"
	 "exit\n"
	 "f:\n"
	 "r0 = r1\n"
	 "r0 += 1\n"
	 "exit\n",
	 0, NULL},
	/* found by fuzz_verifier: a raw program's memory pointer is NULL
	 * when it gets no memory, so the NULL side must be walked */
	{"raw memory pointer may be NULL", BPFTK_PROG_TYPE_UNSPEC,
	 "r0 = 0\n"
	 "r9 = 0\n"
	 "if r1 != 0 goto +1\n"
	 "r0 = *(u32 *)(r9 + 0)\n"
	 "exit\n",
	 -EACCES, "insn 3|r9 is a number"},
	{"type bpftk lacks", BPFTK_PROG_TYPE_LIRC_MODE2, "r0 = 0\nexit\n",
	 -EOPNOTSUPP, "not supported"},
	{"bpf_loop: the callback adds its index to the caller's stack",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_SUM10,
	 0, NULL},
	{"bpf_loop: the callback returns 2", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_CALL(10, LOOP_CTX_FP8)
	 "r0 = 2\n"
	 "exit\n",
	 -EACCES,
	 "insn 11|callback of bpf_loop (the function at insn 10)|0 or 1|"
	 "r0 = the number 2|insn 7 (call 181) calls its callback"},
	{"bpf_loop: the callback returns its index",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_CALL(10, LOOP_CTX_FP8)
	 "r0 = r1\n"
	 "exit\n",
	 -EACCES, "insn 11|0 or 1|r0 = a number in [0, 8388607]"},
	{"bpf_loop: the callback writes past the caller's frame",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_CALL(10, LOOP_CTX_FP8)
	 "*(u64 *)(r2 + 8) = r1\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "insn 10|writes 8 bytes at fp+0, outside the stack"},
	{"bpf_loop: the callback reads a NULL context",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_CALL(10, LOOP_CTX_NULL)
	 "r0 = *(u64 *)(r2 + 0)\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "insn 10|r2 is a number"},
	{"bpf_loop: the callback indexes the caller's stack with its index",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_CALL(4, LOOP_CTX_FP8)
	 "r2 += r1\n"
	 "r0 = *(u8 *)(r2 + 0)\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "insn 11|variable offset that may leave the stack"},
	{"bpf_loop: the index bounded by the callback itself",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_CALL(4, LOOP_CTX_FP8)
	 "r0 = 1\n"
	 "if r1 > 7 goto +3\n"
	 "r2 += r1\n"
	 "r3 = *(u8 *)(r2 - 7)\n"
	 "r0 = 0\n"
	 "exit\n",
	 0, NULL},
	/* the state after bpf_loop is what any number of rounds leaves:
	 * after one round fp-8 is 1, after 40 it is 40 */
	{"bpf_loop: a counter left by the callback, used unchecked after it",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "*(u64 *)(r10 - 8) = 0\n"
	 "r1 = 100\n"
	 "ld_pseudo r2, 4, 11\n"
	 "r3 = r10\n"
	 "r3 += -8\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "r1 = *(u64 *)(r10 - 8)\n"
	 "r2 = r10\n"
	 "r2 += -24\n"
	 "r2 += r1\n"
	 "r0 = *(u8 *)(r2 + 0)\n"
	 "exit\n"
	 "r0 = *(u64 *)(r2 + 0)\n"
	 "r0 += 1\n"
	 "*(u64 *)(r2 + 0) = r0\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "insn 11|lower bound is unknown|ends the loop"},
	{"bpf_loop: a counter the callback stops at 8, used after it",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_COUNTER8,
	 0, NULL},
	/* each round starts by zeroing fp-8, so inside the callback a
	 * round's state repeats the one before: bounded by bpf_loop, not
	 * an infinite loop */
	{"bpf_loop: a callback whose rounds repeat",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_REPEAT_LAST,
	 0, NULL},
	{"bpf_loop in a loop without a bound", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r1 = 1\n"
	 "ld_pseudo r2, 4, 5\n"
	 "r3 = 0\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "goto -7\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "infinite loop"},
	{"bpf_loop: an infinite loop inside the callback",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 LOOP_CALL(10, LOOP_CTX_FP8)
	 "r0 = 0\n"
	 "r3 = r1\n"
	 "if r3 != 0 goto -1\n"
	 "exit\n",
	 -EACCES, "infinite loop|instruction 12"},
	/* after a round the packet may have moved: the caller's packet
	 * pointers are stale after bpf_loop, though not after zero rounds */
	{"bpf_loop: the callback moves the packet", BPFTK_PROG_TYPE_XDP,
	 LOOP_PKT_CB("44"),
	 -EACCES,
	 "insn 14|r6 is a number|insn 9 (call 181) calls its callback, insn "
	 "9 (call 181) ends the loop"},
	{"bpf_loop: the same without moving the packet", BPFTK_PROG_TYPE_XDP,
	 LOOP_PKT_CB("5"),
	 0, NULL},
	/* the kernel accepts flags other than 0 (bpf_loop then fails with
	 * -EINVAL at run time); the callback is still checked */
	{"bpf_loop with flags 1", BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r1 = 4\n"
	 "ld_pseudo r2, 4, 6\n"
	 "r3 = 0\n"
	 "r4 = 1\n"
	 "call 181\n"
	 "r0 = 0\n"
	 "exit\n"
	 "r0 = 0\n"
	 "exit\n",
	 0, NULL},
	{"bpf_loop with a number as its callback",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r1 = 4\n"
	 "r2 = 10\n"
	 "r3 = 0\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "argument 2 of bpf_loop must be a callback function"},
	{"bpf_loop: a callback that calls itself through bpf_loop",
	 BPFTK_PROG_TYPE_SOCKET_FILTER,
	 "r1 = 2\n"
	 "ld_pseudo r2, 4, 6\n"
	 "r3 = 0\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "r0 = 0\n"
	 "exit\n"
	 "r1 = 2\n"
	 "ld_pseudo r2, 4, -2\n"
	 "r3 = 0\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "r0 = 0\n"
	 "exit\n",
	 -EACCES, "too deep"},
	/* found by fuzz_verifier: the checked run faulted on it */
	{"misaligned atomic", BPFTK_PROG_TYPE_XDP,
	 "*(u64 *)(r10 - 16) = 0\n"
	 "r1 = 1\n"
	 "lock *(u64 *)(r10 - 12) += r1\n"
	 "r0 = 2\n"
	 "exit\n",
	 -EACCES, "insn 2|misaligned atomic access of 8 bytes|r10"},
};

static struct bpftk_asm_result *assemble(const char *text)
{
	struct bpftk_asm_result *r = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_asm_assemble(text, strlen(text), NULL, &r, d);
	if (err) {
		char line[512];
		for (size_t i = 0; i < bpftk_diags_count(d); i++) {
			bpftk_diag_format(bpftk_diags_get(d, i), line,
					  sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
	}
	bpftk_diags_free(d);
	return r;
}

static void opts_for(struct bpftk_verify_opts *o, const struct vcase *c)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->type = c->type;
	o->maps = test_maps;
	o->nmaps = 2;
	o->name = c->name;
}

static int has_words(struct bpftk_diags *d, const char *words)
{
	char all[8192] = "", line[1024];
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		strncat(all, line, sizeof(all) - strlen(all) - 2);
		strcat(all, "\n");
	}
	char w[256];
	for (const char *p = words; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		snprintf(w, sizeof(w), "%.*s", (int)n, p);
		if (!strstr(all, w)) {
			fprintf(stderr, "missing \"%s\" in:\n%s", w, all);
			return 0;
		}
		p = bar ? bar + 1 : NULL;
	}
	return 1;
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];
		struct bpftk_asm_result *a = assemble(c->text);
		CHECK(a != NULL);
		if (!a)
			continue;
		const struct bpftk_asm_section *s =
			bpftk_asm_result_section(a, 0);
		struct bpftk_verify_opts o;
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_verify_result *res = NULL;
		opts_for(&o, c);
		int err = bpftk_verify(s->insns, s->n, &o, &res, d);
		if (err != c->err)
			fprintf(stderr, "case '%s': %d, expected %d\n", c->name,
				err, c->err);
		CHECK(err == c->err);
		if (c->words)
			CHECK(has_words(d, c->words));
		if (!err) {
			CHECK(bpftk_diags_errors(d) == 0);
			CHECK(res != NULL);
			CHECK(bpftk_verify_result_stats(res)->insns_processed >=
			      2);
		} else if (err == -EACCES) {
			CHECK(bpftk_diags_errors(d) == 1);
		}
		bpftk_verify_result_free(res);
		bpftk_diags_free(d);
		bpftk_asm_result_free(a);
	}
}

static int nlog;
static int saw_fp0;

static void logline(void *cookie, const char *line)
{
	(void)cookie;
	nlog++;
	if (strstr(line, "R10=fp0") && strstr(line, "R1=ctx("))
		saw_fp0 = 1;
}

static void test_facts_and_log(void)
{
	/* insn 0 sets r0 to 7 on every path, insn 4 is never reached */
	struct bpftk_asm_result *a = assemble("r0 = 7\n"
					      "r1 = 1\n"
					      "if r1 == 1 goto +1\n"
					      "r0 = 1\n"
					      "w0 += 1\n"
					      "exit\n");
	const struct bpftk_asm_section *s = bpftk_asm_result_section(a, 0);
	struct bpftk_verify_opts o;
	struct vcase c = {"facts", BPFTK_PROG_TYPE_SOCKET_FILTER, NULL, 0, NULL};
	struct bpftk_verify_result *res = NULL;
	opts_for(&o, &c);
	o.flags = BPFTK_VERIFY_LOG_STATES;
	o.log = logline;
	CHECK(bpftk_verify(s->insns, s->n, &o, &res, NULL) == 0);
	struct bpftk_verify_insn_facts f0 = bpftk_verify_result_facts(res, 0);
	struct bpftk_verify_insn_facts f3 = bpftk_verify_result_facts(res, 3);
	struct bpftk_verify_insn_facts f4 = bpftk_verify_result_facts(res, 4);
	CHECK(f0.reachable && f0.dst_known && f0.dst_value == 7);
	CHECK(!f3.reachable); /* r1 == 1 always: dead code */
	CHECK(f4.reachable && f4.dst_known && f4.dst_value == 8 &&
	      f4.zext_done);
	CHECK(bpftk_verify_result_facts(res, 99).reachable == 0);
	const struct bpftk_verify_stats *st = bpftk_verify_result_stats(res);
	CHECK(st->insns_processed == 5);
	CHECK(st->nfuncs == 1);
	CHECK(nlog == 5);
	CHECK(saw_fp0);
	bpftk_verify_result_free(res);

	/* a limit that is hit: -E2BIG */
	o.flags = 0;
	o.log = NULL;
	o.insn_limit = 3;
	struct bpftk_diags *d = bpftk_diags_new();
	CHECK(bpftk_verify(s->insns, s->n, &o, NULL, d) == -E2BIG);
	CHECK(has_words(d, "too complex"));
	bpftk_diags_free(d);
	bpftk_asm_result_free(a);
}

static void test_args(void)
{
	struct bpftk_insn exit_insn = {0x95, 0, 0, 0, 0};
	struct bpftk_verify_opts o;
	struct bpftk_verify_result *res = (void *)1;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	CHECK(bpftk_verify(NULL, 1, &o, &res, NULL) == -EINVAL);
	CHECK(res == NULL);
	CHECK(bpftk_verify(&exit_insn, 0, &o, NULL, NULL) == -EINVAL);
	CHECK(bpftk_verify(&exit_insn, 1, NULL, NULL, NULL) == -EINVAL);
	o.nmaps = 1; /* maps missing */
	CHECK(bpftk_verify(&exit_insn, 1, &o, NULL, NULL) == -EINVAL);
	bpftk_verify_result_free(NULL);
	CHECK(bpftk_verify_result_stats(NULL) == NULL);
	CHECK(bpftk_verify_object_prog(NULL, NULL, NULL, NULL, NULL) ==
	      -EINVAL);
}

/* Verified bpf_loop programs run (as socket filters on a zeroed packet):
 * r0 in every engine. */
static const struct {
	const char *name;
	const char *text;
	uint64_t r0;
} loop_runs[] = {
	{"sum of the indexes 0..9",
	 LOOP_SUM10,
	 45},
	{"the rounds that repeat: the last index is left",
	 LOOP_REPEAT_LAST,
	 9},
	/* bpf_loop's result: the number of calls made */
	{"the callback stops at index 3",
	 "r1 = 10\n"
	 "ld_pseudo r2, 4, 5\n"
	 "r3 = 0\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "exit\n"
	 "r0 = 1\n"
	 "if r1 == 3 goto +1\n"
	 "r0 = 0\n"
	 "exit\n",
	 4},
	{"nr_loops is 32 bits: 0x100000002 loops twice",
	 "r1 = 0x100000002 ll\n"
	 "ld_pseudo r2, 4, 5\n"
	 "r3 = 0\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "exit\n"
	 "r0 = 0\n"
	 "exit\n",
	 2},
	{"flags 1: -EINVAL, no call",
	 "r1 = 10\n"
	 "ld_pseudo r2, 4, 5\n"
	 "r3 = 0\n"
	 "r4 = 1\n"
	 "call 181\n"
	 "exit\n"
	 "r0 = 1\n"
	 "exit\n",
	 (uint64_t)-EINVAL},
	{"more than 1 << 23 loops: -E2BIG",
	 "r1 = 0x800001\n"
	 "ld_pseudo r2, 4, 5\n"
	 "r3 = 0\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "exit\n"
	 "r0 = 1\n"
	 "exit\n",
	 (uint64_t)-E2BIG},
	{"nested: 3 rounds of 4 rounds, counted on the main stack",
	 LOOP_CALL(3, LOOP_CTX_FP8)
	 "r3 = r2\n"
	 "r1 = 4\n"
	 "ld_pseudo r2, 4, 5\n"
	 "r4 = 0\n"
	 "call 181\n"
	 "r0 = 0\n"
	 "exit\n"
	 "r0 = *(u64 *)(r2 + 0)\n"
	 "r0 += 1\n"
	 "*(u64 *)(r2 + 0) = r0\n"
	 "r0 = 0\n"
	 "exit\n",
	 12},
	{"a counter the callback stops at 8",
	 LOOP_COUNTER8,
	 8},
};

static void test_loop_runs(void)
{
	static const struct {
		enum bpftk_vm_mode mode;
		unsigned flags;
	} engines[] = {
		{BPFTK_VM_CHECKED, 0}, /* verified: the fast interpreter */
		{BPFTK_VM_JIT, 0},
		{BPFTK_VM_CHECKED, BPFTK_RUN_CHECKED},
	};
	uint8_t pkt[64] = {0};
	for (size_t i = 0; i < sizeof(loop_runs) / sizeof(loop_runs[0]); i++) {
		struct bpftk_asm_result *a = assemble(loop_runs[i].text);
		CHECK(a != NULL);
		if (!a)
			continue;
		const struct bpftk_asm_section *s =
			bpftk_asm_result_section(a, 0);
		struct bpftk_elf_symbol sym = {"prog", 0};
		struct bpftk_elf_section sec = {"socket", s->insns, s->n, &sym,
						1};
		void *elf = NULL;
		size_t len = 0;
		struct bpftk_object *o = NULL;
		CHECK(bpftk_elf_write(&sec, 1, "GPL", 0, &elf, &len, NULL) ==
			      0 &&
		      bpftk_object_open_mem(elf, len, NULL, &o, NULL) == 0);
		for (size_t k = 0; o && k < sizeof(engines) / sizeof(engines[0]);
		     k++) {
			struct bpftk_run_opts ro;
			memset(&ro, 0, sizeof(ro));
			ro.sz = sizeof(ro);
			ro.mode = engines[k].mode;
			ro.flags = engines[k].flags;
			struct bpftk_run *r = NULL;
			struct bpftk_diags *d = bpftk_diags_new();
			int err = bpftk_run_new(o, &ro, &r, d);
			if (err)
				has_words(d, "(bpftk_run_new failed)");
			CHECK(err == 0);
#if defined(__x86_64__)
			/* no warning: the JIT compiled it, callback and all */
			CHECK(bpftk_diags_count(d) == 0);
#endif
			struct bpftk_test_run_opts t;
			memset(&t, 0, sizeof(t));
			t.sz = sizeof(t);
			t.data_in = pkt;
			t.data_size_in = sizeof(pkt);
			if (r) {
				CHECK(bpftk_run_test(r, &t, d) == 0);
				if (t.r0 != loop_runs[i].r0)
					fprintf(stderr,
						"'%s' (engine %zu): r0 = %lld, "
						"expected %lld\n",
						loop_runs[i].name, k,
						(long long)t.r0,
						(long long)loop_runs[i].r0);
				CHECK(t.r0 == loop_runs[i].r0);
			}
			bpftk_run_free(r);
			bpftk_diags_free(d);
		}
		bpftk_object_close(o);
		bpftk_elf_buf_free(elf);
		bpftk_asm_result_free(a);
	}
}

/* Every allocation fails in turn: each run ends in -ENOMEM or the right
 * verdict, and nothing leaks. */
static void test_alloc_failures(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];
		struct bpftk_asm_result *a = assemble(c->text);
		const struct bpftk_asm_section *s =
			bpftk_asm_result_section(a, 0);
		struct bpftk_verify_opts o;
		opts_for(&o, c);
		long bad = 0;
		for (fail_at = 1;; fail_at++) {
			struct bpftk_verify_result *res = NULL;
			calls = 0;
			live = 0;
			bpftk_set_allocator(t_malloc, t_realloc, t_free);
			int err = bpftk_verify(s->insns, s->n, &o, &res, NULL);
			bpftk_verify_result_free(res);
			bpftk_set_allocator(NULL, NULL, NULL);
			if (live != 0 || (err != c->err && err != -ENOMEM))
				bad++;
			if (calls < fail_at)
				break; /* no allocation failed: done */
		}
		fail_at = 0;
		CHECK(bad == 0);
		bpftk_asm_result_free(a);
	}
}

TEST_MAIN({
	test_cases();
	test_facts_and_log();
	test_args();
	test_loop_runs();
	test_alloc_failures();
})
