/* test_isa.c — the instruction table, lookup, wire format and validity rules.
 *
 * Oracles: the RFC 9669 opcode layout (class bits, size bits, source bit) is
 * checked independently of the table's own columns, and the bpf_conformance
 * negative `unused-*` cases (raw bytes with a reserved field set) must all be
 * rejected, naming the field the file name says is wrong. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>

#include <bpftk/isa.h>

#include "test.h"

static struct bpftk_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
			    int32_t imm)
{
	struct bpftk_insn i = {code, dst, src, off, imm};
	return i;
}

/* Every row is reachable from its own encoding, names are unique, and the
 * class of each row agrees with the RFC's encoding rules. */
static void test_table(void)
{
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		CHECK(r && r->op == (enum bpftk_op)op);
		struct bpftk_insn in = mk(r->code, 0, 0, 0, 0);
		if (r->sel == BPFTK_SEL_OFF)
			in.off = (int16_t)r->selval;
		if (r->sel == BPFTK_SEL_IMM)
			in.imm = r->selval;
		if (r->sel == BPFTK_SEL_SRC)
			in.src = (uint8_t)r->selval;
		if (bpftk_isa_lookup(&in) != (enum bpftk_op)op)
			fprintf(stderr, "row %s not found by lookup\n", r->name);
		CHECK(bpftk_isa_lookup(&in) == (enum bpftk_op)op);
		/* immediate and register forms share a mnemonic; nothing else */
		for (int o = op + 1; o < BPFTK_OP__COUNT; o++) {
			const struct bpftk_opinfo *q = bpftk_isa_info(o);
			int same = !strcmp(r->name, q->name) && r->form == q->form;
			if (same)
				fprintf(stderr, "duplicate name %s\n", r->name);
			CHECK(!same);
		}
		unsigned cls = BPFTK_CLASS(r->code);
		switch (r->form) {
		case BPFTK_FORM_ALU_K:
		case BPFTK_FORM_ALU_X:
		case BPFTK_FORM_NEG:
			CHECK(cls == BPFTK_CLASS_ALU || cls == BPFTK_CLASS_ALU64);
			CHECK(((r->code & 0x08) != 0) ==
			      (r->form == BPFTK_FORM_ALU_X));
			break;
		case BPFTK_FORM_END:
			CHECK((r->code & 0xf0) == 0xd0);
			break;
		case BPFTK_FORM_LDX:
			CHECK(cls == BPFTK_CLASS_LDX);
			CHECK((r->code & 0xe0) == 0x60 || (r->code & 0xe0) == 0x80);
			break;
		case BPFTK_FORM_ST:
			CHECK(cls == BPFTK_CLASS_ST && (r->code & 0xe0) == 0x60);
			break;
		case BPFTK_FORM_STX:
			CHECK(cls == BPFTK_CLASS_STX && (r->code & 0xe0) == 0x60);
			break;
		case BPFTK_FORM_ATOMIC:
			CHECK(cls == BPFTK_CLASS_STX && (r->code & 0xe0) == 0xc0);
			CHECK(BPFTK_MEM_BYTES(r->code) >= 4);
			break;
		case BPFTK_FORM_LDABS:
			CHECK(cls == BPFTK_CLASS_LD && (r->code & 0xe0) == 0x20);
			break;
		case BPFTK_FORM_LDIND:
			CHECK(cls == BPFTK_CLASS_LD && (r->code & 0xe0) == 0x40);
			break;
		case BPFTK_FORM_LDDW:
			CHECK(r->code == 0x18);
			break;
		case BPFTK_FORM_JCC_K:
		case BPFTK_FORM_JCC_X:
			CHECK(cls == BPFTK_CLASS_JMP || cls == BPFTK_CLASS_JMP32);
			CHECK(((r->code & 0x08) != 0) ==
			      (r->form == BPFTK_FORM_JCC_X));
			break;
		default:
			CHECK(cls == BPFTK_CLASS_JMP || cls == BPFTK_CLASS_JMP32);
		}
		CHECK(r->version >= 1 && r->version <= 4);
		CHECK(r->group < BPFTK_GROUP__COUNT);
		CHECK(r->llvm && r->meaning && r->name);
	}
	/* 32-bit operations live in the 32-bit conformance groups and
	 * 64-bit ones in the 64-bit groups. */
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		unsigned cls = BPFTK_CLASS(r->code);
		if (r->form == BPFTK_FORM_ALU_K || r->form == BPFTK_FORM_ALU_X) {
			if (cls == BPFTK_CLASS_ALU)
				CHECK(r->group == BPFTK_GROUP_BASE32 ||
				      r->group == BPFTK_GROUP_DIVMUL32);
			else
				CHECK(r->group == BPFTK_GROUP_BASE64 ||
				      r->group == BPFTK_GROUP_DIVMUL64);
		}
	}
}

/* The 256 opcode bytes: exactly the documented ones exist.  The expected
 * set is computed here from RFC 9669's rules, not from the table. */
static int rfc_valid_code(unsigned c)
{
	unsigned cls = c & 7, op = c & 0xf0, srcbit = c & 8;
	switch (cls) {
	case BPFTK_CLASS_ALU:
	case BPFTK_CLASS_ALU64:
		if (op == 0x80)
			return !srcbit; /* neg has no register form */
		if (op == 0xd0)
			return cls == BPFTK_CLASS_ALU || !srcbit; /* le/be; bswap */
		return op <= 0xc0;
	case BPFTK_CLASS_JMP:
		if (op == 0x00 || op == 0x90)
			return !srcbit; /* ja, exit */
		if (op == 0x80)
			return 1; /* call, callx */
		return op <= 0xd0;
	case BPFTK_CLASS_JMP32:
		if (op == 0x00)
			return !srcbit; /* ja32 */
		if (op == 0x80 || op == 0x90)
			return 0;
		return op <= 0xd0;
	case BPFTK_CLASS_LD: {
		unsigned mode = c & 0xe0, size = c & 0x18;
		if (mode == 0x00)
			return size == 0x18; /* lddw */
		return (mode == 0x20 || mode == 0x40) && size != 0x18;
	}
	case BPFTK_CLASS_LDX: {
		unsigned mode = c & 0xe0, size = c & 0x18;
		return mode == 0x60 || (mode == 0x80 && size != 0x18);
	}
	case BPFTK_CLASS_ST:
		return (c & 0xe0) == 0x60;
	default: /* STX */
		return (c & 0xe0) == 0x60 ||
		       ((c & 0xe0) == 0xc0 &&
			((c & 0x18) == 0x00 || (c & 0x18) == 0x18));
	}
}

static void test_all_codes(void)
{
	int known = 0;
	for (unsigned c = 0; c < 256; c++) {
		int found = 0;
		for (int op = 1; op < BPFTK_OP__COUNT; op++)
			found |= bpftk_isa_info(op)->code == c;
		if (found != rfc_valid_code(c))
			fprintf(stderr, "code 0x%02x: table %d, rfc %d\n", c,
				found, rfc_valid_code(c));
		CHECK(found == rfc_valid_code(c));
		known += found;
		if (!found) {
			struct bpftk_insn p[2] = {mk((uint8_t)c, 0, 0, 0, 0),
						  mk(0x95, 0, 0, 0, 0)};
			struct bpftk_diags *d = bpftk_diags_new();
			CHECK(bpftk_isa_validate(p, 2, d, "t") == -EINVAL);
			CHECK(bpftk_diags_count(d) >= 1 &&
			      strstr(bpftk_diags_get(d, 0)->msg,
				     "unknown opcode") &&
			      bpftk_diags_get(d, 0)->insn == 0);
			bpftk_diags_free(d);
		}
	}
	CHECK(known > 100);
}

static void test_wire(void)
{
	struct bpftk_insn in[3] = {mk(0xb7, 1, 0, 0, -2), mk(0x6b, 10, 3, -8, 0),
				   mk(0x18, 2, 1, 0, 0x7fffffff)};
	uint8_t le[24], be[24];
	bpftk_isa_encode(in, 3, 0, le);
	bpftk_isa_encode(in, 3, 1, be);
	/* RFC 9669 section 3: little-endian has dst in the low nibble. */
	CHECK(le[0] == 0xb7 && le[1] == 0x01 && le[4] == 0xfe && le[7] == 0xff);
	CHECK(le[8 + 1] == 0x3a && le[8 + 2] == 0xf8 && le[8 + 3] == 0xff);
	CHECK(be[8 + 1] == 0xa3 && be[8 + 2] == 0xff && be[8 + 3] == 0xf8);
	CHECK(be[16 + 4] == 0x7f && be[16 + 7] == 0xff);
	struct bpftk_insn out[3];
	CHECK(bpftk_isa_decode(le, 24, 0, out, NULL, NULL) == 3);
	CHECK(!memcmp(out, in, sizeof(in)) || (out[1].off == -8 &&
					       out[1].src == 3));
	CHECK(out[0].imm == -2 && out[1].dst == 10 && out[1].src == 3 &&
	      out[1].off == -8 && out[2].src == 1);
	CHECK(bpftk_isa_decode(be, 24, 1, out, NULL, NULL) == 3);
	CHECK(out[0].imm == -2 && out[1].dst == 10 && out[1].src == 3 &&
	      out[1].off == -8 && out[2].imm == 0x7fffffff);
	struct bpftk_diags *d = bpftk_diags_new();
	CHECK(bpftk_isa_decode(le, 13, 0, out, d, "p") == -EINVAL);
	CHECK(bpftk_diags_errors(d) == 1 &&
	      strstr(bpftk_diags_get(d, 0)->msg, "multiple of 8"));
	bpftk_diags_free(d);
}

/* Runs validate on a program and checks the first message mentions `what`
 * at instruction `at` (or that it passes when what is NULL). */
static void expect(const struct bpftk_insn *p, size_t n, const char *what,
		   long at)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int r = bpftk_isa_validate(p, n, d, "t");
	if (!what) {
		CHECK(r == 0 && bpftk_diags_count(d) == 0);
	} else {
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		CHECK(r == -EINVAL);
		CHECK(g && strstr(g->msg, what) && g->insn == at);
		if (g && (!strstr(g->msg, what) || g->insn != at))
			fprintf(stderr, "  got insn %ld: %s (wanted %s at %ld)\n",
				g->insn, g->msg, what, at);
	}
	bpftk_diags_free(d);
}

static void test_validate(void)
{
	struct bpftk_insn ok[] = {mk(0x18, 0, 0, 0, 1), mk(0, 0, 0, 0, 2),
				  mk(0x05, 0, 0, -3, 0), mk(0x95, 0, 0, 0, 0)};
	expect(ok, 4, NULL, 0);
	struct bpftk_insn ldd_short[] = {mk(0xb7, 0, 0, 0, 0), mk(0x18, 0, 0, 0, 1)};
	expect(ldd_short, 2, "incomplete", 1);
	struct bpftk_insn ldd_bad[] = {mk(0x18, 0, 0, 0, 1), mk(0xb7, 0, 0, 0, 2),
				       mk(0x95, 0, 0, 0, 0)};
	expect(ldd_bad, 3, "second slot", 1);
	struct bpftk_insn into_ldd[] = {mk(0x05, 0, 0, 1, 0), mk(0x18, 0, 0, 0, 1),
					mk(0, 0, 0, 0, 2), mk(0x95, 0, 0, 0, 0)};
	expect(into_ldd, 4, "second slot of lddw", 0);
	struct bpftk_insn out[] = {mk(0x15, 1, 0, 5, 0), mk(0x95, 0, 0, 0, 0)};
	expect(out, 2, "outside the program", 0);
	struct bpftk_insn back[] = {mk(0x95, 0, 0, 0, 0), mk(0x06, 0, 0, 0, -3)};
	expect(back, 2, "outside the program", 1);
	struct bpftk_insn reg[] = {mk(0xbf, 11, 1, 0, 0), mk(0x95, 0, 0, 0, 0)};
	expect(reg, 2, "r11 does not exist", 0);
	struct bpftk_insn fp[] = {mk(0x07, 10, 0, 0, 8), mk(0x95, 0, 0, 0, 0)};
	expect(fp, 2, "read-only frame pointer", 0);
	struct bpftk_insn call[] = {mk(0x85, 0, 1, 0, 5), mk(0x95, 0, 0, 0, 0)};
	expect(call, 2, "call target 6", 0);
	struct bpftk_insn end[] = {mk(0xd4, 1, 0, 0, 17), mk(0x95, 0, 0, 0, 0)};
	expect(end, 2, "imm field 17 is not valid, must be one of 16 (le16)", 0);
	struct bpftk_insn fetch_fp[] = {mk(0xdb, 1, 10, 0, 0x01), mk(0x95, 0, 0, 0, 0)};
	expect(fetch_fp, 2, "would receive the old value", 0);
	struct bpftk_insn add_fp[] = {mk(0xdb, 1, 10, 0, 0x00), mk(0x95, 0, 0, 0, 0)};
	expect(add_fp, 2, NULL, 0);
	struct bpftk_insn cmpxchg_fp[] = {mk(0xdb, 1, 10, 0, 0xf1), mk(0x95, 0, 0, 0, 0)};
	expect(cmpxchg_fp, 2, NULL, 0);
	struct bpftk_insn xchg_fp[] = {mk(0xc3, 1, 10, 0, 0xe1), mk(0x95, 0, 0, 0, 0)};
	expect(xchg_fp, 2, "would receive the old value", 0);
	struct bpftk_insn atom[] = {mk(0xdb, 1, 2, 0, 0x02), mk(0x95, 0, 0, 0, 0)};
	expect(atom, 2, "imm field 2 is not valid", 0);
	struct bpftk_insn sdiv[] = {mk(0x3f, 1, 2, 2, 0), mk(0x95, 0, 0, 0, 0)};
	expect(sdiv, 2, "offset field 2 is not valid, must be one of 0 (div), 1 (sdiv)", 0);
	expect(ok, 0, "no instructions", 0);
}

/* ../shared/conformance/negative/unused-<insn>-<field>.data */
static void test_unused_files(void)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/conformance/negative", test_shared);
	DIR *dp = opendir(dir);
	CHECK(dp != NULL);
	if (!dp)
		return;
	int files = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		if (strncmp(e->d_name, "unused-", 7))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		uint8_t bytes[512];
		size_t n = 0;
		char line[256];
		int in_raw = 0;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "--", 2)) {
				in_raw = strstr(line, "raw") != NULL;
				continue;
			}
			if (!in_raw || line[0] == '#')
				continue;
			unsigned v;
			int used;
			char *p = line;
			while (n < sizeof(bytes) && sscanf(p, "%2x%n", &v, &used) == 1) {
				bytes[n++] = (uint8_t)v;
				p += used;
			}
		}
		fclose(f);
		/* field named by the file: the part after the last '-' */
		char field[32] = "";
		const char *dash = strrchr(e->d_name, '-');
		if (dash)
			sscanf(dash + 1, "%31[a-z]", field);
		if (!strcmp(field, "offset"))
			strcpy(field, "offset");
		struct bpftk_insn insns[64];
		long cnt = bpftk_isa_decode(bytes, n, 0, insns, NULL, NULL);
		struct bpftk_diags *d = bpftk_diags_new();
		int r = cnt > 0 ? bpftk_isa_validate(insns, (size_t)cnt, d, e->d_name)
				: -EINVAL;
		CHECK(r == -EINVAL);
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		int named = g && strstr(g->msg, field);
		if (!named)
			fprintf(stderr, "%s: expected a message naming '%s', got '%s'\n",
				e->d_name, field, g ? g->msg : "(none)");
		CHECK(named);
		bpftk_diags_free(d);
		files++;
	}
	closedir(dp);
	printf("unused-* negative files rejected: %d\n", files);
	CHECK(files >= 40);
}

TEST_MAIN({
	test_table();
	test_all_codes();
	test_wire();
	test_validate();
	test_unused_files();
})
