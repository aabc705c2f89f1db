/* test_asm.c — the assembler against data it did not produce:
 *
 *  - every row of the instruction table, with several field values, printed
 *    by this test (from the row's LLVM template, and in the bpf_conformance
 *    syntax documented in ../shared/README.md), assembles back to the
 *    instruction it was printed from, in both dialects;
 *  - every `-- asm` section of ../shared/conformance/tests assembles (and is
 *    ISA-valid); lddw.data matches its `-- raw` section;
 *  - every negative/invalid_* file fails with a message naming the problem.
 *
 * Argument: the path of ../shared.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "test_asm_util.h"

/* ---- printing rows ----------------------------------------------------------- */

static const int32_t sample_imm[] = {-1, 0x7fffffff, INT32_MIN, 12345, 0, -54};
static const int16_t sample_off[] = {-8, 32767, -32768, 0, 3, -1};
static const uint64_t sample_imm64[] = {
	0x1122334455667788ull, UINT64_MAX, 0x8000000000000000ull,
	0,		       0xffffffffull, 0x100000000ull,
};
#define NSAMPLES 6

/* An instruction of row r with sample k in every field its form uses. */
static size_t build(const struct bpftk_opinfo *r, int k, struct bpftk_insn *in)
{
	unsigned uses = bpftk_isa_form_uses((enum bpftk_form)r->form);
	memset(in, 0, 2 * sizeof(*in));
	in[0].code = r->code;
	if (uses & BPFTK_USES_DST)
		in[0].dst = (uint8_t)((r->op * 3 + k) % 11);
	if (uses & BPFTK_USES_SRC)
		in[0].src = (uint8_t)((r->op * 7 + k * 5) % 11);
	if (uses & BPFTK_USES_OFF)
		in[0].off = sample_off[k];
	if (uses & BPFTK_USES_IMM)
		in[0].imm = sample_imm[k];
	size_t n = 1;
	if (r->form == BPFTK_FORM_LDDW) {
		uint64_t v = sample_imm64[k];
		in[0].imm = (int32_t)(uint32_t)v;
		in[1].imm = (int32_t)(uint32_t)(v >> 32);
		n = 2;
	}
	if (r->sel == BPFTK_SEL_OFF)
		in[0].off = (int16_t)r->selval;
	else if (r->sel == BPFTK_SEL_IMM)
		in[0].imm = r->selval;
	else if (r->sel == BPFTK_SEL_SRC)
		in[0].src = (uint8_t)r->selval;
	return n;
}

static void put_num(char **p, char *end, int64_t v, int hex, int plus)
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	const char *sign = v < 0 ? "-" : plus ? "+" : "";
	*p += snprintf(*p, (size_t)(end - *p), hex ? "%s0x%" PRIx64 : "%s%" PRIu64,
		       sign, mag);
}

/* Fills a template of opcodes.def (holes documented there) from in. */
static void print_llvm(const char *tmpl, const struct bpftk_insn *in, int hex,
		       char *buf, size_t size)
{
	char *p = buf, *end = buf + size;
	long dist = bpftk_isa_target(in, 0) - 1;
	uint64_t v64 = (uint64_t)(uint32_t)in[1].imm << 32 | (uint32_t)in[0].imm;
	while (*tmpl && p + 32 < end) {
		if (*tmpl != '{') {
			*p++ = *tmpl++;
			continue;
		}
		const char *h = tmpl + 1;
		tmpl = strchr(tmpl, '}') + 1;
		if (!strncmp(h, "dw}", 3))
			p += snprintf(p, (size_t)(end - p), "w%u", in->dst);
		else if (!strncmp(h, "sw}", 3))
			p += snprintf(p, (size_t)(end - p), "w%u", in->src);
		else if (*h == 'd')
			p += snprintf(p, (size_t)(end - p), "r%u", in->dst);
		else if (*h == 's')
			p += snprintf(p, (size_t)(end - p), "r%u", in->src);
		else if (*h == 'i')
			put_num(&p, end, in->imm, hex, 0);
		else if (*h == 'I')
			put_num(&p, end, (int64_t)v64, hex, 0);
		else if (*h == 'n')
			put_num(&p, end, in[1].imm, hex, 0);
		else if (*h == 'o')
			p += snprintf(p, (size_t)(end - p), "%c %d",
				      in->off < 0 ? '-' : '+', abs(in->off));
		else if (*h == 't')
			put_num(&p, end, dist, hex, 1);
	}
	*p = '\0';
}

/* The bpf_conformance syntax of ../shared/README.md, written out per form
 * here on purpose (not the assembler's pattern table). */
static void print_conf(const struct bpftk_opinfo *r, const struct bpftk_insn *in,
		       char *buf, size_t size)
{
	long dist = bpftk_isa_target(in, 0) - 1;
	const char *nm = r->name;
	switch (r->form) {
	case BPFTK_FORM_ALU_K:
		snprintf(buf, size, "%s %%r%u, %d", nm, in->dst, in->imm);
		break;
	case BPFTK_FORM_ALU_X:
		snprintf(buf, size, "%s %%r%u, %%r%u", nm, in->dst, in->src);
		break;
	case BPFTK_FORM_NEG:
	case BPFTK_FORM_END:
	case BPFTK_FORM_CALLX:
		snprintf(buf, size, "%s %%r%u", nm, in->dst);
		break;
	case BPFTK_FORM_LDDW:
		if (in->src)
			snprintf(buf, size, "%s %%r%u, %d, %d", nm, in->dst,
				 in[0].imm, in[1].imm);
		else
			snprintf(buf, size, "%s %%r%u, 0x%" PRIx64, nm, in->dst,
				 (uint64_t)(uint32_t)in[1].imm << 32 |
					 (uint32_t)in[0].imm);
		break;
	case BPFTK_FORM_LDABS:
		snprintf(buf, size, "%s %d", nm, in->imm);
		break;
	case BPFTK_FORM_LDIND:
		snprintf(buf, size, "%s %%r%u, %d", nm, in->src, in->imm);
		break;
	case BPFTK_FORM_LDX:
		snprintf(buf, size, "%s %%r%u, [%%r%u%+d]", nm, in->dst, in->src,
			 in->off);
		break;
	case BPFTK_FORM_ST:
		snprintf(buf, size, "%s [%%r%u%+d], %d", nm, in->dst, in->off,
			 in->imm);
		break;
	case BPFTK_FORM_STX:
	case BPFTK_FORM_ATOMIC:
		snprintf(buf, size, "%s [%%r%u%+d], %%r%u", nm, in->dst, in->off,
			 in->src);
		break;
	case BPFTK_FORM_JA:
	case BPFTK_FORM_JA32:
		snprintf(buf, size, "%s %+ld", nm, dist);
		break;
	case BPFTK_FORM_JCC_K:
		snprintf(buf, size, "%s %%r%u, %d, %+ld", nm, in->dst, in->imm,
			 dist);
		break;
	case BPFTK_FORM_JCC_X:
		snprintf(buf, size, "%s %%r%u, %%r%u, %+ld", nm, in->dst,
			 in->src, dist);
		break;
	case BPFTK_FORM_CALL:
		if (in->src == BPFTK_CALL_LOCAL)
			snprintf(buf, size, "%s %+d", nm, in->imm);
		else
			snprintf(buf, size, "%s %d", nm, in->imm);
		break;
	default:
		snprintf(buf, size, "%s", nm);
		break;
	}
}

static void check_text(const char *text, enum bpftk_asm_dialect dl,
		       const struct bpftk_insn *want, size_t n, int *okcount)
{
	struct asm_out o;
	assemble(text, dl, &o);
	int ok = !o.err && o.n == n && same_slots(o.insns, want, n);
	if (!ok) {
		fprintf(stderr, "row text '%s' (%s): %s\n", text,
			dl == BPFTK_ASM_LLVM ? "llvm" : "conformance", o.first);
		dump_slots("want", want, n);
		dump_slots("got ", o.insns, o.n);
	}
	CHECK(ok);
	*okcount += ok;
}

static void test_rows(void)
{
	int llvm_ok = 0, conf_ok = 0, texts = 0;
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info((enum bpftk_op)op);
		for (int k = 0; k < NSAMPLES; k++) {
			struct bpftk_insn in[2];
			size_t n = build(r, k, in);
			char text[256];
			print_llvm(r->exact ? r->exact : r->llvm, in, k & 1, text,
				   sizeof(text));
			check_text(text, BPFTK_ASM_LLVM, in, n, &llvm_ok);
			print_conf(r, in, text, sizeof(text));
			check_text(text, BPFTK_ASM_CONFORMANCE, in, n, &conf_ok);
			texts++;
		}
	}
	/* aliases of the conformance dialect: swapN = bswapN, call %rN = callx */
	struct asm_out a, b;
	assemble("swap16 %r3\nswap32 %r3\nswap64 %r3", BPFTK_ASM_CONFORMANCE, &a);
	assemble("bswap16 %r3\nbswap32 %r3\nbswap64 %r3", BPFTK_ASM_CONFORMANCE,
		 &b);
	CHECK(!a.err && a.n == 3 && same_slots(a.insns, b.insns, 3));
	assemble("call %r2", BPFTK_ASM_CONFORMANCE, &a);
	assemble("callx %r2", BPFTK_ASM_CONFORMANCE, &b);
	CHECK(!a.err && a.n == 1 && same_slots(a.insns, b.insns, 1));
	CHECK_EQ_U64(a.insns[0].code, 0x8d); /* RFC 9669: JMP | X | CALL */
	CHECK_EQ_U64(a.insns[0].dst, 2);
	printf("rows: %d texts per dialect, %d llvm and %d conformance "
	       "assembled back to the same bytes\n",
	       texts, llvm_ok, conf_ok);
}

/* ---- the conformance suite ----------------------------------------------------- */

struct datafile {
	char *asm_text;
	size_t asm_len;
	int has_asm;
	uint64_t raw[64];
	size_t nraw;
	char unknown[128]; /* first unknown section header, "" if none */
};

/* Section headers are lines starting with "--" (../shared/README.md). */
static int read_data(const char *path, struct datafile *df)
{
	memset(df, 0, sizeof(*df));
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[1024], sec[128] = "";
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "--", 2)) {
			char *s = line + 2;
			while (*s == ' ')
				s++;
			s[strcspn(s, "\r\n")] = '\0';
			snprintf(sec, sizeof(sec), "%.100s", s);
			static const char *const known[] = {
				"asm", "raw", "mem", "result", "error",
				"no register offset", "c"};
			int ok = 0;
			for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				ok |= !strcmp(sec, known[i]);
			if (!ok && !df->unknown[0])
				snprintf(df->unknown, sizeof(df->unknown), "%.100s", sec);
			if (!strcmp(sec, "asm"))
				df->has_asm = 1;
			continue;
		}
		if (!strcmp(sec, "asm")) {
			size_t l = strlen(line);
			if (df->asm_len + l + 1 > cap) {
				cap = (df->asm_len + l + 1) * 2;
				char *p = realloc(df->asm_text, cap);
				if (!p)
					break;
				df->asm_text = p;
			}
			memcpy(df->asm_text + df->asm_len, line, l + 1);
			df->asm_len += l;
		} else if (!strcmp(sec, "raw") && !strncmp(line, "0x", 2) &&
			   df->nraw < 64) {
			df->raw[df->nraw++] = strtoull(line, NULL, 16);
		}
	}
	fclose(f);
	if (!df->asm_text)
		df->asm_text = calloc(1, 1);
	return 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

static void test_conformance_suite(void)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/conformance/tests", test_shared);
	DIR *dp = opendir(dir);
	CHECK(dp != NULL);
	if (!dp)
		return;
	int files = 0, assembled = 0, valid = 0, detected = 0, raw_checked = 0;
	size_t slots = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (!has_suffix(de->d_name, ".data"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct datafile df;
		if (read_data(path, &df))
			continue;
		files++;
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_asm_opts o = {.sz = sizeof(o),
					   .dialect = BPFTK_ASM_CONFORMANCE,
					   .filename = de->d_name};
		struct bpftk_asm_result *r = NULL, *r2 = NULL;
		int err = bpftk_asm_assemble(df.asm_text, df.asm_len, &o, &r, d);
		o.dialect = BPFTK_ASM_AUTO;
		int err2 = bpftk_asm_assemble(df.asm_text, df.asm_len, &o, &r2, d);
		const struct bpftk_asm_section *s = bpftk_asm_result_section(r, 0);
		const struct bpftk_asm_section *s2 = bpftk_asm_result_section(r2, 0);
		if (err || !s || bpftk_asm_result_nsections(r) != 1) {
			char line[512] = "";
			if (bpftk_diags_count(d))
				bpftk_diag_format(bpftk_diags_get(d, 0), line,
						  sizeof(line));
			fprintf(stderr, "%s does not assemble: %s\n", de->d_name,
				line);
		} else {
			assembled++;
			slots += s->n;
			if (!bpftk_isa_validate(s->insns, s->n, NULL, NULL))
				valid++;
			else
				fprintf(stderr, "%s: not ISA-valid\n", de->d_name);
			if (!err2 && s2 && s2->n == s->n &&
			    same_slots(s->insns, s2->insns, s->n) &&
			    bpftk_asm_result_dialect(r2) == BPFTK_ASM_CONFORMANCE)
				detected++;
			else
				fprintf(stderr, "%s: auto-detection differs\n",
					de->d_name);
			if (df.nraw) {
				/* raw: one u64 per slot, opcode in the low byte */
				int same = df.nraw == s->n;
				for (size_t i = 0; same && i < s->n; i++) {
					unsigned char b[8];
					bpftk_isa_encode(&s->insns[i], 1, 0, b);
					uint64_t v = 0;
					for (int j = 7; j >= 0; j--)
						v = v << 8 | b[j];
					same = v == df.raw[i];
				}
				CHECK(same);
				raw_checked++;
			}
		}
		bpftk_asm_result_free(r);
		bpftk_asm_result_free(r2);
		bpftk_diags_free(d);
		free(df.asm_text);
	}
	closedir(dp);
	CHECK(files >= 300);
	CHECK_EQ_U64(assembled, files);
	CHECK_EQ_U64(valid, files);
	CHECK_EQ_U64(detected, files);
	CHECK(raw_checked >= 1);
	printf("conformance: %d files, %d assembled (%zu slots), %d ISA-valid, "
	       "%d auto-detected, %d matched their raw section\n",
	       files, assembled, slots, valid, detected, raw_checked);
}

/* What each negative file must be rejected for. */
static const struct {
	const char *file, *msg;
} negative_expect[] = {
	{"invalid_imm32_dec_range.data",
	 "immediate 2147483648 does not fit in 32 bits"},
	{"invalid_imm32_hex_range.data",
	 "immediate 0x100000000 does not fit in 32 bits"},
	{"invalid_label.data", "undefined label 'NOT_A_LABEL'"},
	{"invalid_lock.data", "invalid number of operands for 'lock or'"},
	{"invalid_lock2.data", "invalid number of operands for 'lock'"},
	{"invalid_mnemonic.data", "unknown mnemonic 'ldxq'"},
	{"invalid_offset.data", "expected '[', found '%r1'"},
	{"invalid_offset_range.data", "offset 0x10000 does not fit in 16 bits"},
	{"invalid_operand_count.data",
	 "invalid number of operands for 'lddw': expected 2, found 1"},
	{"invalid_register.data", "expected register, found '%r50'"},
	{"invalid_unknown_directive.data", "no instructions to assemble"},
};

static void test_negative(void)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/conformance/negative", test_shared);
	DIR *dp = opendir(dir);
	CHECK(dp != NULL);
	if (!dp)
		return;
	int seen = 0, rejected = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (strncmp(de->d_name, "invalid_", 8) ||
		    !has_suffix(de->d_name, ".data"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct datafile df;
		if (read_data(path, &df))
			continue;
		seen++;
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_asm_opts o = {.sz = sizeof(o),
					   .dialect = BPFTK_ASM_CONFORMANCE,
					   .filename = de->d_name};
		struct bpftk_asm_result *r = NULL;
		int err = bpftk_asm_assemble(df.asm_text, df.asm_len, &o, &r, d);
		char msg[512] = "";
		for (size_t i = 0; i < bpftk_diags_count(d) && !msg[0]; i++)
			if (bpftk_diags_get(d, i)->severity == BPFTK_SEV_ERROR)
				bpftk_diag_format(bpftk_diags_get(d, i), msg,
						  sizeof(msg));
		const char *want = NULL;
		for (size_t i = 0;
		     i < sizeof(negative_expect) / sizeof(negative_expect[0]); i++)
			if (!strcmp(negative_expect[i].file, de->d_name))
				want = negative_expect[i].msg;
		/* the unknown-directive file is malformed as a file too */
		if (!strcmp(de->d_name, "invalid_unknown_directive.data"))
			CHECK_STR(df.unknown, "Unknown directive");
		int ok = err == -EINVAL && !r && want && strstr(msg, want);
		if (!ok)
			fprintf(stderr, "%s: err %d, message '%s', wanted '%s'\n",
				de->d_name, err, msg, want ? want : "(no entry)");
		CHECK(ok);
		rejected += ok;
		bpftk_asm_result_free(r);
		bpftk_diags_free(d);
		free(df.asm_text);
	}
	closedir(dp);
	CHECK_EQ_U64(seen, sizeof(negative_expect) / sizeof(negative_expect[0]));
	printf("negative: %d invalid_* files, %d rejected with the expected "
	       "message\n",
	       seen, rejected);
}

TEST_MAIN({
	test_rows();
	test_conformance_suite();
	test_negative();
})
