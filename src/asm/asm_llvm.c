/* asm_llvm.c — the LLVM / kernel dialect: an instruction is whichever row of
 * the instruction table has a template its tokens match.
 *
 * Rows are tried in table order, each with its `exact` template first and
 * its `llvm` template second; the first row that matches and whose values
 * fit wins.  That order is what makes "call 5" a helper call (CALL comes
 * before CALL_LOCAL, which shares the text) and "call pc+5" a local call
 * (only CALL_LOCAL's exact template has "pc").  "call name" is a local call
 * to a label (see asm_encode).
 *
 * Kernel verifier lines carry the opcode byte ("(18) r1 = 0x...", without
 * LLVM's "ll"): it restricts the rows tried, and lets lddw go without "ll".
 *
 * clang -mcpu=v3 (alu32) also writes the data register of loads, stores
 * and atomics as wN ("w5 = *(u8 *)(r5 + 0)", "*(u32 *)(r1 + 0) = w2"): the
 * access size is in the opcode, so both names encode alike; and it writes
 * the zero-extending 32-bit move as "r3 = w6", which is "w3 = w6".
 */
#include <stdio.h>
#include <string.h>

#include "asm_int.h"

/* Can template tmpl start with token t0?  A cheap filter before the full
 * match: it may say yes wrongly, never no wrongly.  Skipped templates leave
 * no expectation behind, which is fine: when nothing gets past the first
 * token the message is "unknown instruction" anyway. */
static int may_start(const char *tmpl, const struct tok *t0, unsigned wide)
{
	while (*tmpl == ' ' || *tmpl == '\t')
		tmpl++;
	unsigned r;
	if (tmpl[0] == '{') {
		int reg = tmpl[1] == 'd' || tmpl[1] == 's';
		if (reg && tmpl[2] == '}')
			return asm_tok_reg(t0, 'r', &r) ||
			       ((wide >> (tmpl[1] == 'd' ? H_D : H_S) & 1) &&
				asm_tok_reg(t0, 'w', &r));
		if (reg && tmpl[2] == 'w')
			return asm_tok_reg(t0, 'w', &r);
		return 1;
	}
	return tmpl[0] == t0->p[0] && !strncmp(tmpl, t0->p, t0->len);
}

struct attempt {
	struct match_fail fail;
	struct enc_error err;
	int have_err;
};

static int try_rows(struct asm_ctx *c, const struct tok *t, size_t n, int code,
		    struct attempt *a)
{
	struct match m;
	struct encoded enc;
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info((enum bpftk_op)op);
		if (code >= 0 && r->code != code)
			continue;
		const char *tmpl[2] = {r->exact, r->llvm};
		unsigned wide = r->form == BPFTK_FORM_LDX ? 1u << H_D
				: r->form == BPFTK_FORM_STX ||
						r->form == BPFTK_FORM_ATOMIC
					? 1u << H_S
					: 0;
		for (int k = 0; k < 2; k++) {
			if (!tmpl[k] || !may_start(tmpl[k], &t[0], wide) ||
			    !asm_match(tmpl[k], t, n, 0, STYLE_LLVM, wide, &m,
				       &a->fail))
				continue;
			struct enc_error e;
			if (asm_encode(r, &m, t, STYLE_LLVM, &enc, &e)) {
				asm_commit(c, &enc, t[0].col);
				return 1;
			}
			if (!a->have_err) {
				a->err = e;
				a->have_err = 1;
			}
		}
	}
	return 0;
}

void asm_llvm_insn(struct asm_ctx *c, const struct tok *t, size_t n, int code)
{
	if (n == 3 && asm_tok_is(&t[0], "<") && asm_tok_is(&t[2], ">")) {
		asm_error(c, t[0].col,
			  "cannot assemble '<%.*s>': the disassembler that "
			  "wrote this listing could not decode the instruction",
			  (int)t[1].len, t[1].p);
		return;
	}
	struct attempt a;
	memset(&a, 0, sizeof(a));
	asm_fail_init(&a.fail);
	if (try_rows(c, t, n, code, &a))
		return;
	const struct bpftk_opinfo *lddw = bpftk_isa_info(BPFTK_OP_LDDW);
	if (code == lddw->code && n < 64 && !a.have_err) {
		/* "(18) r1 = 0x1122334455667788": the verifier omits "ll" */
		struct tok ext[65];
		memcpy(ext, t, n * sizeof(*t));
		memset(&ext[n], 0, sizeof(ext[n]));
		ext[n].kind = TK_IDENT;
		ext[n].p = "ll";
		ext[n].len = 2;
		ext[n].col = t[n - 1].col + (int)t[n - 1].len;
		struct attempt b;
		memset(&b, 0, sizeof(b));
		asm_fail_init(&b.fail);
		if (try_rows(c, ext, n + 1, code, &b))
			return;
	}
	unsigned rd;
	if (n == 3 && !a.have_err && asm_tok_reg(&t[0], 'r', &rd) &&
	    asm_tok_is(&t[1], "=") && asm_tok_reg(&t[2], 'w', &rd)) {
		/* "r3 = w6": clang's zero-extending move, i.e. "w3 = w6" */
		struct tok z[3];
		memcpy(z, t, sizeof(z));
		char wname[8];
		snprintf(wname, sizeof(wname), "w%.*s", (int)t[0].len - 1,
			 t[0].p + 1);
		z[0].p = wname;
		struct attempt b;
		memset(&b, 0, sizeof(b));
		asm_fail_init(&b.fail);
		if (t[0].len < sizeof(wname) && try_rows(c, z, 3, code, &b))
			return;
	}
	if (a.have_err) {
		asm_error(c, a.err.col, "%s", a.err.msg);
		return;
	}
	if (a.fail.tok == 0) {
		char q[64];
		asm_quote(t[0].p, t[0].len, q, sizeof(q));
		int conf = asm_conf_detect(t, n) == BPFTK_ASM_CONFORMANCE;
		asm_error(c, t[0].col, "unknown instruction '%s'%s", q,
			  conf ? " (this is bpf_conformance dialect syntax)"
			       : "");
		return;
	}
	asm_fail_report(c, t, n, &a.fail);
}
