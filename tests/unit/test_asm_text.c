/* test_asm_text.c — the assembler's text handling: spellings that must mean
 * the same instruction, labels and local calls, sections and directives of
 * clang's output, listings and verifier logs, value ranges, error messages
 * with their line:col, dialect detection, and allocation failures.
 *
 * Expected encodings are written from RFC 9669's layout (opcode = operation
 * | source | class), never copied from the assembler's output.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "test_asm_util.h"
#include "test_alloc.h"

/* ---- spellings ------------------------------------------------------------------ */

struct spelling {
	const char *text;
	struct bpftk_insn want[2];
	size_t n;
};

static void expect_same(const struct spelling *s, enum bpftk_asm_dialect dl)
{
	struct asm_out o;
	assemble(s->text, dl, &o);
	int ok = !o.err && o.n == s->n && same_slots(o.insns, s->want, s->n);
	if (!ok) {
		fprintf(stderr, "'%s': %s\n", s->text, o.first);
		dump_slots("want", s->want, s->n);
		dump_slots("got ", o.insns, o.n);
	}
	CHECK(ok);
}

static void test_llvm_spellings(void)
{
	/* codes: ALU64 0x07, K 0x00 / X 0x08; MOV 0xb0, ADD 0x00, ARSH 0xc0 */
	const struct spelling s[] = {
		{"r1 = -5", {mk(0xb7, 1, 0, 0, -5)}, 1},
		{"r1=-5", {mk(0xb7, 1, 0, 0, -5)}, 1},
		{"r1 = - 5", {mk(0xb7, 1, 0, 0, -5)}, 1},
		{"r1 += -5", {mk(0x07, 1, 0, 0, -5)}, 1},
		{"r1+=-5", {mk(0x07, 1, 0, 0, -5)}, 1},
		{"r1 += -0x5", {mk(0x07, 1, 0, 0, -5)}, 1},
		{"w1 += w2", {mk(0x0c, 1, 2, 0, 0)}, 1},
		{"r1 = -r1", {mk(0x87, 1, 0, 0, 0)}, 1},
		{"r1 s>>= 3", {mk(0xc7, 1, 0, 0, 3)}, 1},
		{"r1 s/= r2", {mk(0x3f, 1, 2, 1, 0)}, 1},
		{"r1 = (s8)r2", {mk(0xbf, 1, 2, 8, 0)}, 1},
		{"r1 = be16 r1", {mk(0xdc, 1, 0, 0, 16)}, 1},
		/* LDX | MEM | DW = 0x79 */
		{"r1 = *(u64 *)(r10 - 8)", {mk(0x79, 1, 10, -8, 0)}, 1},
		{"r1 = *(u64*)(r10-8)", {mk(0x79, 1, 10, -8, 0)}, 1},
		{"r1 = *(u64 *)(r10 -8)", {mk(0x79, 1, 10, -8, 0)}, 1},
		{"r1 = *(u64 *)(r10)", {mk(0x79, 1, 10, 0, 0)}, 1},
		{"r0 = *(u16 *)(r1 + 12)", {mk(0x69, 0, 1, 12, 0)}, 1},
		{"*(u32 *)(r10 - 4) = r1", {mk(0x63, 10, 1, -4, 0)}, 1},
		{"*(u8 *)(r1 + 2) = 5", {mk(0x72, 1, 0, 2, 5)}, 1},
		/* JMP: JSGE 0x70 | X 0x08 | JMP 0x05 */
		{"if r1 s>= r2 goto +3", {mk(0x7d, 1, 2, 3, 0)}, 1},
		{"if r1 s>=r2 goto 3", {mk(0x7d, 1, 2, 3, 0)}, 1},
		{"if r1 s> 5 goto +3", {mk(0x65, 1, 0, 3, 5)}, 1},
		{"if w1 == w2 goto -1", {mk(0x1e, 1, 2, -1, 0)}, 1},
		{"goto -1", {mk(0x05, 0, 0, -1, 0)}, 1},
		{"goto pc-1", {mk(0x05, 0, 0, -1, 0)}, 1},
		{"gotol +5", {mk(0x06, 0, 0, 0, 5)}, 1},
		{"r0 = 0x123 ll", {mk(0x18, 0, 0, 0, 0x123), mk(0, 0, 0, 0, 0)}, 2},
		{"r0 = 291 ll", {mk(0x18, 0, 0, 0, 0x123), mk(0, 0, 0, 0, 0)}, 2},
		{"r0 = -1 ll", {mk(0x18, 0, 0, 0, -1), mk(0, 0, 0, 0, -1)}, 2},
		{"lock *(u64 *)(r1 + 0) += r2", {mk(0xdb, 1, 2, 0, 0)}, 1},
		{"r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)",
		 {mk(0xdb, 1, 2, 0, 1)}, 1},
		{"r0 = cmpxchg_64(r1 + 0, r0, r2)", {mk(0xdb, 1, 2, 0, 0xf1)}, 1},
		{"call 1", {mk(0x85, 0, 0, 0, 1)}, 1},
		{"call pc+5", {mk(0x85, 0, 1, 0, 5)}, 1},
		{"call pc - 3", {mk(0x85, 0, 1, 0, -3)}, 1},
		{"callx r2", {mk(0x8d, 2, 0, 0, 0)}, 1},
		{"r0 = *(u32 *)skb[12]", {mk(0x20, 0, 0, 0, 12)}, 1},
		{"r0 = *(u16 *)skb[r1]", {mk(0x48, 0, 1, 0, 0)}, 1},
		{"exit", {mk(0x95, 0, 0, 0, 0)}, 1},
		/* clang -mcpu=v3 (alu32) spellings */
		{"r3 = w6", {mk(0xbc, 3, 6, 0, 0)}, 1},
		{"w5 = *(u8 *)(r5 + 0)", {mk(0x71, 5, 5, 0, 0)}, 1},
		{"*(u32 *)(r1 + 0) = w2", {mk(0x63, 1, 2, 0, 0)}, 1},
		{"lock *(u32 *)(r1 + 0) += w2", {mk(0xc3, 1, 2, 0, 0)}, 1},
		{"w3 = atomic_fetch_add((u32 *)(r1 + 0), w3)",
		 {mk(0xc3, 1, 3, 0, 1)}, 1},
		/* comments */
		{"r1 = 5 # c", {mk(0xb7, 1, 0, 0, 5)}, 1},
		{"r1 = 5 // c", {mk(0xb7, 1, 0, 0, 5)}, 1},
		{"r1 = 5 ; c", {mk(0xb7, 1, 0, 0, 5)}, 1},
		/* llvm-objdump listing lines, with and without raw bytes */
		{"       5:\tb7 01 00 00 05 00 00 00\tr1 = 5", {mk(0xb7, 1, 0, 0, 5)}, 1},
		{"       5:\tr1 = 5", {mk(0xb7, 1, 0, 0, 5)}, 1},
		{"       2:\t18 03 00 00 89 67 45 23 00 00 00 00 01 00 00 00\t"
		 "r3 = 4886718345 ll",
		 {mk(0x18, 3, 0, 0, 0x23456789), mk(0, 0, 0, 0, 1)}, 2},
		{"      16:\t6d 32 f4 ff 00 00 00 00\tif r2 s> r3 goto -12 <LBB0_2>",
		 {mk(0x6d, 2, 3, -12, 0)}, 1},
		/* kernel verifier log lines */
		{"0: (b7) r0 = 1", {mk(0xb7, 0, 0, 0, 1)}, 1},
		{"1: (18) r1 = 0x1122334455667788",
		 {mk(0x18, 1, 0, 0, 0x55667788), mk(0, 0, 0, 0, 0x11223344)}, 2},
		{"3: (85) call bpf_map_lookup_elem#1", {mk(0x85, 0, 0, 0, 1)}, 1},
		{"4: (05) goto pc+3", {mk(0x05, 0, 0, 3, 0)}, 1},
		{"5: (7b) *(u64 *)(r10 -8) = r1", {mk(0x7b, 10, 1, -8, 0)}, 1},
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		expect_same(&s[i], BPFTK_ASM_LLVM);
}

static void test_conf_spellings(void)
{
	const struct spelling s[] = {
		{"mov32 %r0, 1", {mk(0xb4, 0, 0, 0, 1)}, 1},
		{"mov %r0, -1", {mk(0xb7, 0, 0, 0, -1)}, 1},
		{"mov32 %r0, 0xffffffff", {mk(0xb4, 0, 0, 0, -1)}, 1},
		{"ldxdw %r0, [%r1+8]", {mk(0x79, 0, 1, 8, 0)}, 1},
		{"ldxdw %r0, [%r1 + 8]", {mk(0x79, 0, 1, 8, 0)}, 1},
		{"ldxh %r0, [%r1]", {mk(0x69, 0, 1, 0, 0)}, 1},
		{"stxw [%r10-8], %r1", {mk(0x63, 10, 1, -8, 0)}, 1},
		{"stw [%r10-4], 5", {mk(0x62, 10, 0, -4, 5)}, 1},
		{"lddw %r0, 0x1122334455667788",
		 {mk(0x18, 0, 0, 0, 0x55667788), mk(0, 0, 0, 0, 0x11223344)}, 2},
		{"jne %r1, 0x10, +2", {mk(0x55, 1, 0, 2, 0x10)}, 1},
		{"ja +3", {mk(0x05, 0, 0, 3, 0)}, 1},
		{"lock add [%r10-8], %r1", {mk(0xdb, 10, 1, -8, 0)}, 1},
		{"lock fetch add32 [%r10-8], %r1", {mk(0xc3, 10, 1, -8, 1)}, 1},
		{"lock xchg32 [%r10-8], %r1", {mk(0xc3, 10, 1, -8, 0xe1)}, 1},
		{"lock cmpxchg [%r10-8], %r1", {mk(0xdb, 10, 1, -8, 0xf1)}, 1},
		{"call 5", {mk(0x85, 0, 0, 0, 5)}, 1},
		{"call %r2", {mk(0x8d, 2, 0, 0, 0)}, 1},
		{"be16 %r0", {mk(0xdc, 0, 0, 0, 16)}, 1},
		{"le32 %r0", {mk(0xd4, 0, 0, 0, 32)}, 1},
		{"swap16 %r0", {mk(0xd7, 0, 0, 0, 16)}, 1},
		{"neg %r0", {mk(0x87, 0, 0, 0, 0)}, 1},
		{"movsx832 %r2, %r1", {mk(0xbc, 2, 1, 8, 0)}, 1},
		{"ldxsb %r0, [%r1-1]", {mk(0x91, 0, 1, -1, 0)}, 1},
		{"sdiv32 %r0, %r1", {mk(0x3c, 0, 1, 1, 0)}, 1},
		{"smod %r0, 3", {mk(0x97, 0, 0, 1, 3)}, 1},
		{"ldabsw 12", {mk(0x20, 0, 0, 0, 12)}, 1},
		{"ldindb %r1, 4", {mk(0x50, 0, 1, 0, 4)}, 1},
		{"exit # done", {mk(0x95, 0, 0, 0, 0)}, 1},
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		expect_same(&s[i], BPFTK_ASM_CONFORMANCE);
}

/* ---- labels ------------------------------------------------------------------ */

static void test_labels(void)
{
	struct asm_out o;
	/* slots: 0 mov; 1 ja32 L2; 2 L1: mov; 3 exit; 4 L2: mov; 5 ja32 L1 */
	assemble("mov %r1, 0\nja32 L2\nL1:\nmov %r2, 0\nexit\nL2:\n"
		 "mov %r0, 0\nja32 L1\n",
		 BPFTK_ASM_CONFORMANCE, &o);
	CHECK(!o.err && o.n == 6);
	CHECK_EQ_U64(o.insns[1].imm, 4 - 1 - 1);		/* to slot 4 */
	CHECK_EQ_U64((int64_t)o.insns[5].imm, (int64_t)(2 - 5 - 1)); /* to 2 */

	/* implied label `exit` is the first exit, even after its use */
	assemble("jeq %r1, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit",
		 BPFTK_ASM_CONFORMANCE, &o);
	CHECK(!o.err && o.insns[0].off == 1);
	/* an explicit label wins */
	assemble("jeq %r1, 0, exit\nexit\nexit:\nexit", BPFTK_ASM_CONFORMANCE,
		 &o);
	CHECK(!o.err && o.insns[0].off == 1);
	/* the LLVM dialect has no implied labels */
	assemble("if r1 == 0 goto exit\nexit", BPFTK_ASM_LLVM, &o);
	CHECK(o.err == -EINVAL && strstr(o.first, "undefined label 'exit'"));

	/* local calls by name, conformance and LLVM: imm = target - pc - 1 */
	assemble("call local f\nexit\nf:\nmov %r0, 1\nexit",
		 BPFTK_ASM_CONFORMANCE, &o);
	CHECK(!o.err && o.insns[0].src == BPFTK_CALL_LOCAL &&
	      o.insns[0].imm == 1);
	assemble("g:\nr0 = 1\nexit\nf:\ncall g\ncall f\nexit", BPFTK_ASM_LLVM,
		 &o);
	/* slots: 0 g: r0 = 1; 1 exit; 2 f: call g; 3 call f; 4 exit */
	CHECK(!o.err && o.insns[2].code == 0x85 &&
	      o.insns[2].src == BPFTK_CALL_LOCAL && o.insns[2].imm == 0 - 2 - 1);
	CHECK(o.insns[3].src == BPFTK_CALL_LOCAL && o.insns[3].imm == 2 - 3 - 1);
	/* labels as clang spells them, and a label before an instruction */
	assemble("LBB0_1:\n.LBB0_2: r1 += 1\nif r1 < 10 goto LBB0_1\n"
		 "goto .LBB0_2\nexit",
		 BPFTK_ASM_LLVM, &o);
	CHECK(!o.err && o.insns[1].off == -2 && o.insns[2].off == -3);

	/* listings: "<addr> <name>:" defines a label */
	assemble("0000000000000000 <f>:\n       0:\tr0 = 0\n"
		 "0000000000000008 <LBB0_1>:\n       1:\tr0 += 1\n"
		 "       2:\tif r0 < 5 goto -2 <LBB0_1>\n       3:\texit\n",
		 BPFTK_ASM_LLVM, &o);
	CHECK(!o.err && o.n == 4 && o.insns[2].off == -2);

	/* many labels (the table grows) and a jump across them */
	size_t cap = 200000, len = 0;
	char *big = malloc(cap);
	len += (size_t)snprintf(big + len, cap - len, "goto L2999\n");
	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(big + len, cap - len, "L%d: r0 = %d\n",
					i, i);
	snprintf(big + len, cap - len, "exit\n");
	struct bpftk_asm_result *r = NULL;
	int err = bpftk_asm_assemble(big, strlen(big), NULL, &r, NULL);
	const struct bpftk_asm_section *s = bpftk_asm_result_section(r, 0);
	CHECK(!err && s && s->n == 3002 && s->insns[0].off == 2999);
	bpftk_asm_result_free(r);
	free(big);
}

/* Jumps beyond 16 bits: an error for goto, fine for gotol / ja32. */
static void test_far_jumps(void)
{
	size_t n = 40000, cap = n * 8 + 100;
	char *text = malloc(cap);
	for (int which = 0; which < 3; which++) {
		static const char *const head[] = {"goto far\n", "gotol far\n",
						   "if r1 == 0 goto far\n"};
		size_t len = (size_t)snprintf(text, cap, "%s", head[which]);
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(text + len, cap - len, "r0 = 0\n");
		snprintf(text + len, cap - len, "far:\nexit\n");
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_asm_result *r = NULL;
		struct bpftk_asm_opts o = {.sz = sizeof(o), .filename = "far.s"};
		int err = bpftk_asm_assemble(text, strlen(text), &o, &r, d);
		char msg[512] = "";
		if (bpftk_diags_count(d))
			bpftk_diag_format(bpftk_diags_get(d, 0), msg, sizeof(msg));
		if (which == 1) {
			const struct bpftk_asm_section *s =
				bpftk_asm_result_section(r, 0);
			CHECK(!err && s && s->insns[0].imm == (int32_t)n);
		} else {
			CHECK(err == -EINVAL);
			CHECK(strstr(msg, "far.s:1:") &&
			      strstr(msg, "offset 40000 does not fit in 16 bits"));
			CHECK((which == 0) == (strstr(msg, "use gotol") != NULL));
		}
		bpftk_asm_result_free(r);
		bpftk_diags_free(d);
	}
	free(text);
}

/* ---- clang output ------------------------------------------------------------ */

/* Shaped like `clang -target bpf -O2 -S` (LLVM 14) output. */
static const char clang_text[] =
	"\t.text\n"
	"\t.file\t\"a.c\"\n"
	"\t.globl\tfoo                             # -- Begin function foo\n"
	"\t.p2align\t3\n"
	"\t.type\tfoo,@function\n"
	"foo:                                    # @foo\n"
	"# %bb.0:\n"
	"\tr1 = 2\n"
	"\tcall helper\n"
	"\tif r0 s> 100000 goto LBB0_2\n"
	"\tr0 += 1\n"
	"LBB0_2:\n"
	"\texit\n"
	".Lfunc_end0:\n"
	"\t.size\tfoo, .Lfunc_end0-foo\n"
	"\t.p2align\t3\n"
	"\t.type\thelper,@function\n"
	"helper:\n"
	"\tr0 = r1\n"
	"\texit\n"
	".Lfunc_end1:\n"
	"\t.size\thelper, .Lfunc_end1-helper\n"
	"\t.section\txdp,\"ax\",@progbits\n"
	"\t.globl\tprog\n"
	"\t.type\tprog,@function\n"
	"prog:\n"
	"\tr3 = 4886718345 ll\n"
	"\tlock *(u64 *)(r1 + 0) += r2\n"
	"\texit\n"
	"\t.type\t_license,@object\n"
	"\t.section\tlicense,\"aw\",@progbits\n"
	"\t.globl\t_license\n"
	"_license:\n"
	"\t.asciz\t\"GPL\"\n"
	"\t.size\t_license, 4\n"
	"\t.section\t.BTF,\"\",@progbits\n"
	"\t.short\t60319\n"
	"\t.byte\t1\n"
	"\t.long\t24\n"
	"\t.ascii\t\"foo\"\n"
	"\t.addrsig\n"
	"\t.addrsig_sym helper\n";

static void test_clang_output(void)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_asm_result *r = NULL;
	int err = bpftk_asm_assemble(clang_text, strlen(clang_text), NULL, &r,
				     d);
	CHECK(!err);
	CHECK(bpftk_asm_result_dialect(r) == BPFTK_ASM_LLVM);
	CHECK_EQ_U64(bpftk_asm_result_nsections(r), 2);
	CHECK_STR(bpftk_asm_result_license(r), "GPL");
	const struct bpftk_asm_section *t = bpftk_asm_result_section(r, 0);
	const struct bpftk_asm_section *x = bpftk_asm_result_section(r, 1);
	CHECK(t && x);
	if (!t || !x)
		goto out;
	CHECK_STR(t->name, ".text");
	/* foo: 0 r1 = 2; 1 call helper; 2 if; 3 r0 += 1; 4 exit;
	 * helper: 5 r0 = r1; 6 exit */
	CHECK_EQ_U64(t->n, 7);
	CHECK(t->insns[1].code == 0x85 && t->insns[1].src == BPFTK_CALL_LOCAL &&
	      t->insns[1].imm == 5 - 1 - 1);
	CHECK_EQ_U64(t->insns[2].off, 1);
	CHECK_EQ_U64(t->nsyms, 2);
	if (t->nsyms == 2) {
		CHECK_STR(t->syms[0].name, "foo");
		CHECK_EQ_U64(t->syms[0].insn, 0);
		CHECK_EQ_U64(t->syms[0].flags,
			     BPFTK_ASM_SYM_FUNC | BPFTK_ASM_SYM_GLOBAL);
		CHECK_STR(t->syms[1].name, "helper");
		CHECK_EQ_U64(t->syms[1].insn, 5);
		CHECK_EQ_U64(t->syms[1].flags, BPFTK_ASM_SYM_FUNC);
	}
	CHECK_STR(x->name, "xdp");
	CHECK_EQ_U64(x->n, 4);
	CHECK(x->nsyms == 1 && !strcmp(x->syms[0].name, "prog"));
	/* the data sections were skipped with a note each */
	int notes = 0;
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		notes += g->severity == BPFTK_SEV_NOTE &&
			 strstr(g->msg, "skipping non-code section") != NULL;
	}
	CHECK_EQ_U64(notes, 2);
	CHECK_EQ_U64(bpftk_diags_errors(d), 0);
out:
	bpftk_asm_result_free(r);
	bpftk_diags_free(d);

	/* listings of several sections */
	struct asm_out o;
	assemble("a.o:\tfile format elf64-bpf\n\nDisassembly of section "
		 "kprobe/sys_write:\n\n0000000000000000 <p>:\n"
		 "       0:\tb7 00 00 00 00 00 00 00\tr0 = 0\n"
		 "\t\t0000000000000000:  R_BPF_64_64\tmymap\n"
		 "       1:\t95 00 00 00 00 00 00 00\texit\n",
		 BPFTK_ASM_AUTO, &o);
	CHECK(!o.err && o.n == 2 && o.nsecs == 1);
}

/* ---- ranges ------------------------------------------------------------------- */

static void test_ranges(void)
{
	static const struct {
		const char *text;
		enum bpftk_asm_dialect dl;
		int ok;
		int64_t imm; /* first slot's imm (or off for offsets) */
	} c[] = {
		{"r1 = -2147483648", BPFTK_ASM_LLVM, 1, INT32_MIN},
		{"r1 = -2147483649", BPFTK_ASM_LLVM, 0, 0},
		{"r1 = 4294967295", BPFTK_ASM_LLVM, 1, -1},
		{"r1 = 0xffffffff", BPFTK_ASM_LLVM, 1, -1},
		{"r1 = 4294967296", BPFTK_ASM_LLVM, 0, 0},
		{"r1 = 0x100000000", BPFTK_ASM_LLVM, 0, 0},
		{"mov %r1, 2147483647", BPFTK_ASM_CONFORMANCE, 1, INT32_MAX},
		{"mov %r1, 2147483648", BPFTK_ASM_CONFORMANCE, 0, 0},
		{"mov %r1, 0x80000000", BPFTK_ASM_CONFORMANCE, 1, INT32_MIN},
		{"mov %r1, -0x80000000", BPFTK_ASM_CONFORMANCE, 1, INT32_MIN},
		{"mov %r1, -0x80000001", BPFTK_ASM_CONFORMANCE, 0, 0},
		{"r1 = 18446744073709551615 ll", BPFTK_ASM_LLVM, 1, -1},
		{"r1 = -9223372036854775808 ll", BPFTK_ASM_LLVM, 1, 0},
		{"r1 = -9223372036854775809 ll", BPFTK_ASM_LLVM, 0, 0},
		{"r1 = 18446744073709551616 ll", BPFTK_ASM_LLVM, 0, 0},
		{"lddw %r1, 0xffffffffffffffff", BPFTK_ASM_CONFORMANCE, 1, -1},
		{"lddw %r1, 0x10000000000000000", BPFTK_ASM_CONFORMANCE, 0, 0},
		{"ldxb %r0, [%r1-32768]", BPFTK_ASM_CONFORMANCE, 1, INT16_MIN},
		{"ldxb %r0, [%r1-32769]", BPFTK_ASM_CONFORMANCE, 0, 0},
		{"ldxb %r0, [%r1+0xffff]", BPFTK_ASM_CONFORMANCE, 1, -1},
		{"ldxb %r0, [%r1+0x10000]", BPFTK_ASM_CONFORMANCE, 0, 0},
		{"goto +32767", BPFTK_ASM_LLVM, 1, INT16_MAX},
		{"goto +32768", BPFTK_ASM_LLVM, 0, 0},
		{"goto -32768", BPFTK_ASM_LLVM, 1, INT16_MIN},
		{"goto -32769", BPFTK_ASM_LLVM, 0, 0},
		{"gotol -2147483648", BPFTK_ASM_LLVM, 1, INT32_MIN},
		{"gotol +2147483648", BPFTK_ASM_LLVM, 0, 0},
		{"r1 = 010", BPFTK_ASM_LLVM, 1, 8},
		{"r1 = 0b101", BPFTK_ASM_LLVM, 1, 5},
		{"r1 = 09", BPFTK_ASM_LLVM, 0, 0},
		{"r10 = 1", BPFTK_ASM_LLVM, 1, 1}, /* validity is not syntax */
		{"r11 = 1", BPFTK_ASM_LLVM, 0, 0},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct asm_out o;
		assemble(c[i].text, c[i].dl, &o);
		int64_t got = o.insns[0].imm;
		if (o.insns[0].code == 0x71 || o.insns[0].code == 0x05)
			got = o.insns[0].off;
		int ok = c[i].ok ? !o.err && got == c[i].imm
				 : o.err == -EINVAL && o.first[0];
		if (!ok)
			fprintf(stderr, "range '%s': err %d imm %lld (%s)\n",
				c[i].text, o.err, (long long)got, o.first);
		CHECK(ok);
	}
}

/* ---- errors ------------------------------------------------------------------- */

static void test_errors(void)
{
	static const struct {
		const char *text;
		enum bpftk_asm_dialect dl;
		const char *where; /* "t.s:L:C: error: " */
		const char *msg;
	} c[] = {
		{"mov %r0, 1\nor %r0, %r50\n", BPFTK_ASM_CONFORMANCE,
		 "t.s:2:9: error: ", "expected register, found '%r50'"},
		{"exit\n  ldxq %r0, %r1\n", BPFTK_ASM_CONFORMANCE,
		 "t.s:2:3: error: ", "unknown mnemonic 'ldxq'"},
		{"ja NOT_A_LABEL\nexit\n", BPFTK_ASM_CONFORMANCE,
		 "t.s:1:4: error: ", "undefined label 'NOT_A_LABEL'"},
		{"mov32 %r0, 2147483648\n", BPFTK_ASM_CONFORMANCE,
		 "t.s:1:12: error: ", "immediate 2147483648 does not fit in 32 bits"},
		{"\n\nr1 = 4294967296\n", BPFTK_ASM_LLVM, "t.s:3:6: error: ",
		 "immediate 4294967296 does not fit in 32 bits (signed or unsigned)"},
		{"ldxb %r0, [%r1+0x10000]\n", BPFTK_ASM_CONFORMANCE,
		 "t.s:1:15: error: ", "offset 0x10000 does not fit in 16 bits"},
		{"lock or [%r10-8]\n", BPFTK_ASM_CONFORMANCE, "t.s:1:1: error: ",
		 "invalid number of operands for 'lock or': expected 2, found 1"},
		{"lock\n", BPFTK_ASM_CONFORMANCE, "t.s:1:1: error: ",
		 "invalid number of operands for 'lock'"},
		{"r1 = *(u64 *)(r10 - 8\n", BPFTK_ASM_LLVM, "t.s:1:22: error: ",
		 "expected ')', found end of line"},
		{"r0 = 1\n\tfoo r1\n", BPFTK_ASM_LLVM, "t.s:2:2: error: ",
		 "unknown instruction 'foo'"},
		{"r1 = -r2\n", BPFTK_ASM_LLVM, "t.s:1:7: error: ",
		 "expected the same register both times, found 'r2'"},
		{"r1 += r11\n", BPFTK_ASM_LLVM, "t.s:1:7: error: ",
		 "expected register, found 'r11'"},
		{"r1 = 5 5\n", BPFTK_ASM_LLVM, "t.s:1:8: error: ",
		 "expected end of line or 'll', found '5'"},
		{"r1 = 0x1g\n", BPFTK_ASM_LLVM, "t.s:1:6: error: ",
		 "invalid number '0x1g'"},
		{"r1 = foo\n", BPFTK_ASM_LLVM, "t.s:1:6: error: ",
		 "expected immediate, found 'foo'"},
		{"r1 = 1 ` 2\n", BPFTK_ASM_LLVM, "t.s:1:8: error: ",
		 "unexpected character '`'"},
		{"\t.bogus 3\n", BPFTK_ASM_LLVM, "t.s:1:2: error: ",
		 "unknown directive '.bogus'"},
		{"x:\nx: exit\n", BPFTK_ASM_LLVM, "t.s:2:1: error: ",
		 "label 'x' is already defined at line 1"},
		{".section .BTF,\"\",@progbits\nr0 = 1\n", BPFTK_ASM_LLVM,
		 "t.s:2:1: error: ", "instruction in non-code section '.BTF'"},
		{".text\n.byte 1\n", BPFTK_ASM_LLVM, "t.s:2:1: error: ",
		 "data directive '.byte' in code section '.text'"},
		{"a:\nexit\n.section s2,\"ax\"\ngoto a\n", BPFTK_ASM_LLVM,
		 "t.s:4:6: error: ", "label 'a' is in section '.text'"},
		{"mov %r0, 1\nr0 = 1\n", BPFTK_ASM_CONFORMANCE, "t.s:2:1: error: ",
		 "unknown mnemonic 'r0'"},
		{"r0 = 1\nmov %r0, 1\n", BPFTK_ASM_LLVM, "t.s:2:1: error: ",
		 "bpf_conformance dialect"},
		{"# nothing\n\n", BPFTK_ASM_AUTO, "t.s: error: ",
		 "no instructions to assemble"},
		{".asciz \"abc\n", BPFTK_ASM_LLVM, "t.s:1:8: error: ",
		 "unterminated string"},
		{"  51:\tc3 41 00 00 a0 00 00 00\t<unknown>\n", BPFTK_ASM_LLVM,
		 "t.s:1:31: error: ", "cannot assemble '<unknown>'"},
		{"r1 = w2 + 1\n", BPFTK_ASM_LLVM, "t.s:1:6: error: ",
		 "expected"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct asm_out o;
		assemble(c[i].text, c[i].dl, &o);
		int ok = o.err == -EINVAL &&
			 !strncmp(o.first, c[i].where, strlen(c[i].where)) &&
			 strstr(o.first, c[i].msg);
		if (!ok)
			fprintf(stderr, "error case %zu: got '%s', want '%s%s'\n",
				i, o.first, c[i].where, c[i].msg);
		CHECK(ok);
	}

	/* every bad line is reported, up to a limit */
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_asm_result *r = NULL;
	char many[4000] = "";
	for (int i = 0; i < 300; i++)
		strcat(many, "bad\n");
	CHECK(bpftk_asm_assemble(many, strlen(many), NULL, &r, d) == -EINVAL);
	CHECK(bpftk_diags_errors(d) == 100 && !r);
	bpftk_diags_free(d);

	/* a NUL byte is an error, not the end of the text */
	struct bpftk_diags *d2 = bpftk_diags_new();
	const char nul[] = "r0 = 1\n\0exit\n";
	CHECK(bpftk_asm_assemble(nul, sizeof(nul) - 1, NULL, &r, d2) == -EINVAL);
	CHECK(bpftk_diags_count(d2) &&
	      strstr(bpftk_diags_get(d2, 0)->msg, "\\x00"));
	bpftk_diags_free(d2);

	/* bad arguments */
	CHECK(bpftk_asm_assemble(NULL, 3, NULL, &r, NULL) == -EINVAL);
	CHECK(bpftk_asm_assemble("exit", 4, NULL, NULL, NULL) == -EINVAL);
	struct bpftk_asm_opts bad = {.sz = sizeof(bad), .dialect = 7};
	CHECK(bpftk_asm_assemble("exit", 4, &bad, &r, NULL) == -EINVAL);
	/* an options struct from an older caller (only sz) is fine */
	struct bpftk_asm_opts old = {.sz = sizeof(size_t), .dialect = 7};
	CHECK(bpftk_asm_assemble("exit", 4, &old, &r, NULL) == 0);
	bpftk_asm_result_free(r);
	bpftk_asm_result_free(NULL);

	enum bpftk_asm_dialect dl;
	CHECK(!bpftk_asm_dialect_parse("llvm", &dl) && dl == BPFTK_ASM_LLVM);
	CHECK(!bpftk_asm_dialect_parse("conformance", &dl) &&
	      dl == BPFTK_ASM_CONFORMANCE);
	CHECK(!bpftk_asm_dialect_parse("auto", &dl) && dl == BPFTK_ASM_AUTO);
	CHECK(bpftk_asm_dialect_parse("gas", &dl) == -EINVAL);
}

/* ---- dialect detection -------------------------------------------------------- */

static void test_detection(void)
{
	static const struct {
		const char *text;
		enum bpftk_asm_dialect want;
	} c[] = {
		{"exit", BPFTK_ASM_LLVM},
		{"call 1\nexit", BPFTK_ASM_LLVM},
		{"# c\nexit\nmov32 %r0, 1", BPFTK_ASM_CONFORMANCE},
		{"mov r0, 1\nexit", BPFTK_ASM_CONFORMANCE}, /* mnemonic decides */
		{"lock add [%r10-8], %r1\nexit", BPFTK_ASM_CONFORMANCE},
		{"lock *(u64 *)(r10 - 8) += r1\nexit", BPFTK_ASM_LLVM},
		{"call local f\nf:\nexit", BPFTK_ASM_CONFORMANCE},
		{"\t.text\nexit", BPFTK_ASM_LLVM},
		{"l:\nr0 = 1\nexit", BPFTK_ASM_LLVM},
		{"0: (b7) r0 = 1\n1: (95) exit", BPFTK_ASM_LLVM},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct bpftk_asm_result *r = NULL;
		int err = bpftk_asm_assemble(c[i].text, strlen(c[i].text), NULL,
					     &r, NULL);
		int ok = !err && bpftk_asm_result_dialect(r) == c[i].want;
		if (!ok)
			fprintf(stderr, "detect '%s': err %d dialect %d\n",
				c[i].text, err, bpftk_asm_result_dialect(r));
		CHECK(ok);
		bpftk_asm_result_free(r);
	}
}

/* ---- allocation failures ----------------------------------------------------- */

/* Fails allocation n = 1, 2, ... until a run needs fewer than n: every
 * failing run must return -ENOMEM and free everything; the last run gives
 * final_err. */
static void alloc_run(const char *text, enum bpftk_asm_dialect dl,
		      int final_err, const char *what)
{
	long n, failures = 0, bad = 0, leaks = 0;
	for (n = 1;; n++) {
		fail_at = n;
		calls = 0;
		live = 0;
		bpftk_set_allocator(t_malloc, t_realloc, t_free);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_asm_result *r = NULL;
		struct bpftk_asm_opts o = {.sz = sizeof(o), .dialect = dl,
					   .filename = "t.s"};
		int err = d ? bpftk_asm_assemble(text, strlen(text), &o, &r, d)
			    : -ENOMEM;
		int reached = calls >= n;
		bpftk_asm_result_free(r);
		bpftk_diags_free(d);
		bpftk_set_allocator(NULL, NULL, NULL);
		if (live)
			leaks++;
		if (!reached) {
			CHECK_EQ_U64(err, final_err);
			break;
		}
		failures++;
		if (err != -ENOMEM) {
			fprintf(stderr, "%s: failing allocation %ld gave %d\n",
				what, n, err);
			bad++;
		}
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(leaks, 0);
	CHECK(failures > 5);
	printf("allocation failures: %s: %ld injected, each -ENOMEM, no leak\n",
	       what, failures);
}

static void test_alloc_failures(void)
{
	alloc_run(clang_text, BPFTK_ASM_AUTO, 0, "clang output");
	alloc_run("mov %r1, 0\nja32 L2\nL1:\nmov %r2, 0\nexit\nL2:\n"
		  "call local f\njne %r1, 0x10, exit\nlddw %r0, 0x11\nja32 L1\n"
		  "f:\nexit\n",
		  BPFTK_ASM_AUTO, 0, "conformance text");
	alloc_run("r0 = 1\nbad line\ngoto nowhere\n", BPFTK_ASM_LLVM, -EINVAL,
		  "text with errors");
}

TEST_MAIN({
	test_llvm_spellings();
	test_conf_spellings();
	test_labels();
	test_far_jumps();
	test_clang_output();
	test_ranges();
	test_errors();
	test_detection();
	test_alloc_failures();
})
