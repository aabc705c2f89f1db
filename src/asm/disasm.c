/* disasm.c — the text of one instruction, from the instruction table only.
 *
 * LLVM dialect: the row's `llvm` template (or `exact` with opts->exact) is
 * expanded hole by hole (holes are documented at the top of opcodes.def).
 * Conformance dialect: the row's `name` followed by operands whose layout
 * follows from the row's form alone — one pattern per form below, the same
 * patterns the conformance assembler reads.
 *
 * Invariants: no opcode number appears in this file; everything about an
 * instruction comes from its row (bpftk_isa_lookup / bpftk_isa_info) and
 * its form (bpftk_isa_form_uses).  A slot with no row, a register field
 * LLVM cannot name (r12..r15), or an lddw without its second slot prints
 * "<unknown>" and spans one slot.  With `exact`, so does any slot whose
 * text could not assemble back to the same bytes (a reserved field set).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "disasm_int.h"

/* Registers LLVM's BPF backend can name: r0..r10 and its internal r11. */
#define LLVM_MAX_REG 11

struct bpftk_disasm_opts disasm_opts(const struct bpftk_disasm_opts *o)
{
	struct bpftk_disasm_opts r;
	memset(&r, 0, sizeof(r));
	if (o) {
		size_t n = o->sz && o->sz < sizeof(r) ? o->sz : sizeof(r);
		memcpy(&r, o, n);
	}
	r.sz = sizeof(r);
	return r;
}

/* A bounded output cursor: like snprintf, it keeps counting past the end. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *w, const char *fmt, ...) BPFTK_PRINTF(2, 3);
static void put(struct out *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = w->len < w->size ? w->size - w->len : 0;
	int k = vsnprintf(room ? w->buf + w->len : NULL, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		w->len += (size_t)k;
}

/* A signed value as LLVM prints immediates: decimal, or LLVM 19 hex with
 * the sign in front ("-0x54"). */
static void put_int(struct out *w, int64_t v, int hex)
{
	if (!hex)
		put(w, "%" PRId64, v);
	else if (v < 0)
		put(w, "-0x%" PRIx64, (uint64_t)0 - (uint64_t)v);
	else
		put(w, "0x%" PRIx64, (uint64_t)v);
}

static void put_uint(struct out *w, uint64_t v, int hex)
{
	put(w, hex ? "0x%" PRIx64 : "%" PRIu64, v);
}

/* "+3" / "-1": a jump or call distance in slots. */
static void put_rel(struct out *w, int64_t v, int hex)
{
	if (v >= 0)
		put(w, "+");
	put_int(w, v, hex);
}

struct ctx {
	const struct bpftk_insn *in;
	const struct bpftk_insn *next; /* lddw's second slot, or NULL */
	const struct bpftk_opinfo *row;
	struct bpftk_disasm_opts o;
};

/* The distance a jump or local call travels: ja32 and calls carry it in
 * imm, every other jump in off.  The form says which field is used. */
static int64_t distance(const struct ctx *c)
{
	unsigned uses = bpftk_isa_form_uses((enum bpftk_form)c->row->form);
	if ((uses & BPFTK_USES_OFF) || !(uses & BPFTK_USES_IMM))
		return c->in->off;
	return c->in->imm;
}

static int64_t lddw_value(const struct ctx *c)
{
	uint64_t v = (uint32_t)c->in->imm |
		     (uint64_t)(uint32_t)c->next->imm << 32;
	return (int64_t)v;
}

/* Expands one hole of an LLVM-dialect template; returns 0 if unknown. */
static int hole(struct out *w, const struct ctx *c, const char *h, size_t n)
{
	int hex = c->o.hex;
	/* LLVM prints the 32-bit immediates of a pseudo lddw zero-extended:
	 * they are halves of a 64-bit operand. */
	int lddw = c->row->form == BPFTK_FORM_LDDW;
#define IS(s) (n == sizeof(s) - 1 && !memcmp(h, s, n))
	if (IS("d"))
		put(w, "r%u", c->in->dst);
	else if (IS("s"))
		put(w, "r%u", c->in->src);
	else if (IS("dw"))
		put(w, "w%u", c->in->dst);
	else if (IS("sw"))
		put(w, "w%u", c->in->src);
	else if (IS("i") && lddw)
		put_uint(w, (uint32_t)c->in->imm, hex);
	else if (IS("i"))
		put_int(w, c->in->imm, hex);
	else if (IS("I") && c->next)
		put_int(w, lddw_value(c), hex);
	else if (IS("n") && c->next)
		put_uint(w, (uint32_t)c->next->imm, hex);
	else if (IS("o")) {
		put(w, c->in->off < 0 ? "- " : "+ ");
		put_int(w, c->in->off < 0 ? -(int64_t)c->in->off : c->in->off,
			hex);
	} else if (IS("t"))
		put_rel(w, distance(c), hex);
	else
		return 0;
#undef IS
	return 1;
}

static void expand(struct out *w, const struct ctx *c, const char *t)
{
	while (*t) {
		const char *e = *t == '{' ? strchr(t, '}') : NULL;
		if (e && hole(w, c, t + 1, (size_t)(e - t - 1))) {
			t = e + 1;
			continue;
		}
		put(w, "%c", *t++);
	}
}

/* ---- conformance dialect ------------------------------------------------ */

/* "[%r10-8]", "[%r1]" */
static void put_mem(struct out *w, unsigned reg, int16_t off, int hex)
{
	put(w, "[%%r%u", reg);
	if (off)
		put_rel(w, off, hex);
	put(w, "]");
}

static void conformance(struct out *w, const struct ctx *c)
{
	const struct bpftk_insn *in = c->in;
	const struct bpftk_opinfo *r = c->row;
	int hex = c->o.hex;
	/* The suite spells callx as "call %rN". */
	put(w, "%s", r->form == BPFTK_FORM_CALLX ? "call" : r->name);
	switch ((enum bpftk_form)r->form) {
	case BPFTK_FORM_ALU_K:
		put(w, " %%r%u, ", in->dst);
		put_int(w, in->imm, hex);
		break;
	case BPFTK_FORM_ALU_X:
		put(w, " %%r%u, %%r%u", in->dst, in->src);
		break;
	case BPFTK_FORM_NEG:
	case BPFTK_FORM_END:
	case BPFTK_FORM_CALLX:
		put(w, " %%r%u", in->dst);
		break;
	case BPFTK_FORM_LDDW:
		put(w, " %%r%u, ", in->dst);
		if (r->sel == BPFTK_SEL_SRC && r->selval != 0) {
			/* two 32-bit fields, signed like every other imm of
			 * this dialect */
			put_int(w, in->imm, hex);
			if (c->o.exact) {
				put(w, ", ");
				put_int(w, c->next->imm, hex);
			}
		} else {
			put_int(w, lddw_value(c), hex);
		}
		break;
	case BPFTK_FORM_LDABS:
		put(w, " ");
		put_int(w, in->imm, hex);
		break;
	case BPFTK_FORM_LDIND:
		put(w, " %%r%u, ", in->src);
		put_int(w, in->imm, hex);
		break;
	case BPFTK_FORM_LDX:
		put(w, " %%r%u, ", in->dst);
		put_mem(w, in->src, in->off, hex);
		break;
	case BPFTK_FORM_ST:
		put(w, " ");
		put_mem(w, in->dst, in->off, hex);
		put(w, ", ");
		put_int(w, in->imm, hex);
		break;
	case BPFTK_FORM_STX:
	case BPFTK_FORM_ATOMIC:
		put(w, " ");
		put_mem(w, in->dst, in->off, hex);
		put(w, ", %%r%u", in->src);
		break;
	case BPFTK_FORM_JA:
	case BPFTK_FORM_JA32:
		put(w, " ");
		put_rel(w, distance(c), hex);
		break;
	case BPFTK_FORM_JCC_K:
		put(w, " %%r%u, ", in->dst);
		put_int(w, in->imm, hex);
		put(w, ", ");
		put_rel(w, in->off, hex);
		break;
	case BPFTK_FORM_JCC_X:
		put(w, " %%r%u, %%r%u, ", in->dst, in->src);
		put_rel(w, in->off, hex);
		break;
	case BPFTK_FORM_CALL:
		put(w, " ");
		if (r->sel == BPFTK_SEL_SRC && r->selval == BPFTK_CALL_LOCAL)
			put_rel(w, in->imm, hex);
		else
			put_int(w, in->imm, hex);
		break;
	case BPFTK_FORM_EXIT:
	case BPFTK_FORM__COUNT:
		break;
	}
}

/* ---- what can be printed ------------------------------------------------ */

/* True when every field the row does not print is zero, so that the text
 * assembles back to exactly these bytes. */
static int lossless(const struct ctx *c)
{
	const struct bpftk_insn *in = c->in;
	const struct bpftk_opinfo *r = c->row;
	unsigned uses = bpftk_isa_form_uses((enum bpftk_form)r->form);
	if (!(uses & BPFTK_USES_DST) && in->dst)
		return 0;
	if (!(uses & BPFTK_USES_SRC) && r->sel != BPFTK_SEL_SRC && in->src)
		return 0;
	if (!(uses & BPFTK_USES_OFF) && r->sel != BPFTK_SEL_OFF && in->off)
		return 0;
	if (!(uses & BPFTK_USES_IMM) && r->sel != BPFTK_SEL_IMM && in->imm &&
	    r->form != BPFTK_FORM_LDDW)
		return 0;
	if ((uses & BPFTK_USES_DST) && in->dst > BPFTK_REG_FP)
		return 0;
	if ((uses & BPFTK_USES_SRC) && in->src > BPFTK_REG_FP)
		return 0;
	if (c->next && (c->next->code || c->next->dst || c->next->src ||
			c->next->off))
		return 0;
	return 1;
}

int bpftk_disasm_insn(const struct bpftk_insn *insns, size_t n, size_t pc,
		      const struct bpftk_disasm_opts *opts, char *buf,
		      size_t size)
{
	struct out w = {buf, size, 0};
	if (size)
		buf[0] = '\0';
	if (!insns || pc >= n)
		return 0;
	struct ctx c = {&insns[pc], NULL, NULL, disasm_opts(opts)};
	const struct bpftk_opinfo *r = bpftk_isa_info(bpftk_isa_lookup(c.in));
	int slots = 1;
	if (r && r->form == BPFTK_FORM_LDDW) {
		if (pc + 1 < n) {
			c.next = &insns[pc + 1];
			slots = 2;
		} else {
			r = NULL; /* half an lddw: LLVM cannot decode it */
		}
	}
	c.row = r;
	if (r) {
		unsigned uses = bpftk_isa_form_uses((enum bpftk_form)r->form);
		if (((uses & BPFTK_USES_DST) && c.in->dst > LLVM_MAX_REG) ||
		    ((uses & BPFTK_USES_SRC) && c.in->src > LLVM_MAX_REG) ||
		    (c.o.exact && !lossless(&c)))
			r = NULL;
	}
	if (!r) {
		put(&w, "<unknown>");
		return 1;
	}
	if (c.o.dialect == BPFTK_DISASM_CONFORMANCE)
		conformance(&w, &c);
	else
		expand(&w, &c, c.o.exact && r->exact ? r->exact : r->llvm);
	return slots;
}
