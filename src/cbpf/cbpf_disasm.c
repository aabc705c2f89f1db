/* cbpf_disasm.c — classic programs as text, in the exact format of
 * libpcap's bpf_image() / bpf_dump(p, 1) / `tcpdump -d`:
 *
 *     (nnn) mnemonic(padded to 8) operand
 *     (nnn) jcc      operand(padded to 16) jt T<TAB>jf F
 *
 * with jump targets absolute, immediates printed as the table's format
 * column says, Linux ancillary offsets by name, and "unimp 0x<code>" for
 * codes no flavour knows.  One deliberate difference from libpcap 1.10.3:
 * ldx #pktlen (0x81), which 1.10.3 prints as "unimp 0x81" although its
 * bpf_filter() runs it; libpcap 1.11 (the accept.tsv listings) names it. */
#include <errno.h>
#include <stdio.h>

#include "cbpf_int.h"

/* The operand text of a known instruction at pc. */
static void operand_of(const struct cbpf_row *r,
		       const struct bpftk_cbpf_insn *insn, size_t pc, char *op,
		       size_t size)
{
	const char *anc;
	int k = (int)insn->k;

	op[0] = 0;
	switch ((enum cbpf_fmt)r->fmt) {
	case CBPF_FMT_NONE:
		break;
	case CBPF_FMT_IMM_HEX:
	case CBPF_FMT_JK:
		snprintf(op, size, "#0x%x", (unsigned)insn->k);
		break;
	case CBPF_FMT_IMM_DEC:
		snprintf(op, size, "#%d", k);
		break;
	case CBPF_FMT_X:
	case CBPF_FMT_JX:
		snprintf(op, size, "x");
		break;
	case CBPF_FMT_ABS:
		anc = cbpf_anc_name(insn->k);
		if (anc)
			snprintf(op, size, "[%s]", anc);
		else
			snprintf(op, size, "[%d]", k);
		break;
	case CBPF_FMT_IND:
		snprintf(op, size, "[x + %d]", k);
		break;
	case CBPF_FMT_MSH:
		snprintf(op, size, "4*([%d]&0xf)", k);
		break;
	case CBPF_FMT_MEM:
		snprintf(op, size, "M[%d]", k);
		break;
	case CBPF_FMT_LEN:
		snprintf(op, size, "#pktlen");
		break;
	case CBPF_FMT_JA:
		snprintf(op, size, "%d", (int)(uint32_t)(pc + 1 + insn->k));
		break;
	}
}

int bpftk_cbpf_image(const struct bpftk_cbpf_insn *insn, size_t pc, char *buf,
		     size_t size)
{
	const struct cbpf_row *r = cbpf_row(cbpf_lookup(insn->code));
	char operand[64];

	if (r)
		operand_of(r, insn, pc, operand, sizeof(operand));
	else
		snprintf(operand, sizeof(operand), "0x%x",
			 (unsigned)insn->code);
	/* libpcap picks the line layout from the class and op bits, so
	 * unknown conditional-jump codes show jt / jf too */
	if (BPFTK_CBPF_CLASS(insn->code) == BPFTK_CBPF_JMP &&
	    (insn->code & 0xf0) != BPFTK_CBPF_JA)
		return snprintf(buf, size, "%-8s %-16s jt %d\tjf %d",
				r ? r->info.mnem : "unimp", operand,
				(int)(pc + 1 + insn->jt),
				(int)(pc + 1 + insn->jf));
	return snprintf(buf, size, "%-8s %s", r ? r->info.mnem : "unimp",
			operand);
}

int bpftk_cbpf_disasm(const struct bpftk_cbpf_insn *prog, size_t n,
		      char **out)
{
	struct bpftk_buf b = {0};
	char line[160];

	if (!out || (!prog && n))
		return -EINVAL;
	*out = NULL;
	for (size_t pc = 0; pc < n; pc++) {
		bpftk_cbpf_image(&prog[pc], pc, line, sizeof(line));
		bpftk_buf_printf(&b, "(%03d) %s\n", (int)pc, line);
	}
	bpftk_buf_append(&b, "", 0); /* an empty program gives "" */
	if (b.failed) {
		bpftk_buf_free(&b);
		return -ENOMEM;
	}
	*out = b.data;
	return 0;
}
