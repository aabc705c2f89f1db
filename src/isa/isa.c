/* isa.c — the opcode table as data, lookup by (code, selector), wire
 * decoding/encoding, and the RFC 9669 validity rules.
 *
 * Invariant: rows sharing an opcode byte are told apart by exactly one
 * selector field (offset, immediate or source register); the lookup index
 * maps each of the 256 codes to its run of rows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpftk/isa.h>

#include "../util/util_int.h"

#define NONE BPFTK_SEL_NONE
#define OFF BPFTK_SEL_OFF
#define IMM BPFTK_SEL_IMM
#define SRC BPFTK_SEL_SRC

static const struct bpftk_opinfo table[BPFTK_OP__COUNT] = {
	[BPFTK_OP_INVALID] = {BPFTK_OP_INVALID, 0, 0, 0, "invalid", 0, 0, 0,
			      "<unknown>", NULL, "not an instruction"},
#define OP(id, code, sel, selval, name, form, ver, group, llvm, exact, mean) \
	[BPFTK_OP_##id] = {BPFTK_OP_##id, code, sel, selval, name,           \
			   BPFTK_FORM_##form, ver, BPFTK_GROUP_##group, llvm,  \
			   exact, mean},
#include <bpftk/opcodes.def>
#undef OP
};

#undef NONE
#undef OFF
#undef IMM
#undef SRC

/* Rows grouped by opcode byte, built once from the table. */
static struct {
	int ready;
	uint16_t first[256];
	uint8_t count[256];
	uint16_t order[BPFTK_OP__COUNT];
} idx;

static void build_index(void)
{
	/* Idempotent and deterministic: concurrent first calls write the
	 * same values, so no lock is needed for correctness. */
	size_t k = 0;
	for (unsigned c = 0; c < 256; c++) {
		idx.first[c] = (uint16_t)k;
		for (unsigned op = 1; op < BPFTK_OP__COUNT; op++)
			if (table[op].code == c)
				idx.order[k++] = (uint16_t)op;
		idx.count[c] = (uint8_t)(k - idx.first[c]);
	}
	idx.ready = 1;
}

const struct bpftk_opinfo *bpftk_isa_info(enum bpftk_op op)
{
	if ((unsigned)op == 0 || (unsigned)op >= BPFTK_OP__COUNT)
		return NULL;
	return &table[op];
}

static int32_t selector(const struct bpftk_insn *in, unsigned sel)
{
	switch (sel) {
	case BPFTK_SEL_OFF:
		return in->off;
	case BPFTK_SEL_IMM:
		return in->imm;
	case BPFTK_SEL_SRC:
		return in->src;
	default:
		return 0;
	}
}

enum bpftk_op bpftk_isa_lookup(const struct bpftk_insn *insn)
{
	if (!idx.ready)
		build_index();
	unsigned c = insn->code;
	for (unsigned i = 0; i < idx.count[c]; i++) {
		const struct bpftk_opinfo *r = &table[idx.order[idx.first[c] + i]];
		if (r->sel == BPFTK_SEL_NONE || selector(insn, r->sel) == r->selval)
			return r->op;
	}
	return BPFTK_OP_INVALID;
}

const char *bpftk_isa_group_name(enum bpftk_group g)
{
	static const char *const names[BPFTK_GROUP__COUNT] = {
		"base32",   "base64",	"atomic32", "atomic64",
		"divmul32", "divmul64", "callx",    "packet",
	};
	return (unsigned)g < BPFTK_GROUP__COUNT ? names[g] : "?";
}

const char *bpftk_isa_form_name(enum bpftk_form f)
{
	static const char *const names[BPFTK_FORM__COUNT] = {
		"alu_k", "alu_x", "neg",  "end",   "lddw",  "ldabs",
		"ldind", "ldx",	  "st",	  "stx",   "atomic", "ja",
		"ja32",	 "jcc_k", "jcc_x", "call", "callx", "exit",
	};
	return (unsigned)f < BPFTK_FORM__COUNT ? names[f] : "?";
}

#define D BPFTK_USES_DST
#define S BPFTK_USES_SRC
#define O BPFTK_USES_OFF
#define I BPFTK_USES_IMM
#define W BPFTK_WRITES_DST
#define J BPFTK_IS_JUMP
static const unsigned form_uses[BPFTK_FORM__COUNT] = {
	[BPFTK_FORM_ALU_K] = D | I | W,
	[BPFTK_FORM_ALU_X] = D | S | W,
	[BPFTK_FORM_NEG] = D | W,
	[BPFTK_FORM_END] = D | W,
	[BPFTK_FORM_LDDW] = D | I | W,
	[BPFTK_FORM_LDABS] = I,
	[BPFTK_FORM_LDIND] = S | I,
	[BPFTK_FORM_LDX] = D | S | O | W,
	[BPFTK_FORM_ST] = D | O | I,
	[BPFTK_FORM_STX] = D | S | O,
	[BPFTK_FORM_ATOMIC] = D | S | O,
	[BPFTK_FORM_JA] = O | J,
	[BPFTK_FORM_JA32] = I | J,
	[BPFTK_FORM_JCC_K] = D | I | O | J,
	[BPFTK_FORM_JCC_X] = D | S | O | J,
	[BPFTK_FORM_CALL] = I,
	[BPFTK_FORM_CALLX] = D,
	[BPFTK_FORM_EXIT] = 0,
};
#undef D
#undef S
#undef O
#undef I
#undef W
#undef J

unsigned bpftk_isa_form_uses(enum bpftk_form f)
{
	return (unsigned)f < BPFTK_FORM__COUNT ? form_uses[f] : 0;
}

long bpftk_isa_decode(const void *bytes, size_t len, int big_endian,
		      struct bpftk_insn *out, struct bpftk_diags *d,
		      const char *prog)
{
	if (len % 8) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog,
				(long)(len / 8),
				"program size %zu is not a multiple of 8 bytes "
				"(%zu trailing bytes)",
				len, len % 8);
		return -EINVAL;
	}
	const uint8_t *p = bytes;
	for (size_t i = 0; i < len / 8; i++, p += 8) {
		struct bpftk_insn *in = &out[i];
		in->code = p[0];
		if (big_endian) {
			in->dst = p[1] >> 4;
			in->src = p[1] & 0xf;
			in->off = (int16_t)(uint16_t)((unsigned)p[2] << 8 | p[3]);
			in->imm = (int32_t)((uint32_t)p[4] << 24 |
					    (uint32_t)p[5] << 16 |
					    (uint32_t)p[6] << 8 | p[7]);
		} else {
			in->dst = p[1] & 0xf;
			in->src = p[1] >> 4;
			in->off = (int16_t)(uint16_t)(p[2] | (unsigned)p[3] << 8);
			in->imm = (int32_t)(p[4] | (uint32_t)p[5] << 8 |
					    (uint32_t)p[6] << 16 |
					    (uint32_t)p[7] << 24);
		}
	}
	return (long)(len / 8);
}

void bpftk_isa_encode(const struct bpftk_insn *insns, size_t n, int big_endian,
		      void *out)
{
	uint8_t *p = out;
	for (size_t i = 0; i < n; i++, p += 8) {
		const struct bpftk_insn *in = &insns[i];
		uint16_t off = (uint16_t)in->off;
		uint32_t imm = (uint32_t)in->imm;
		p[0] = in->code;
		if (big_endian) {
			p[1] = (uint8_t)((in->dst & 0xf) << 4 | (in->src & 0xf));
			p[2] = (uint8_t)(off >> 8);
			p[3] = (uint8_t)off;
			p[4] = (uint8_t)(imm >> 24);
			p[5] = (uint8_t)(imm >> 16);
			p[6] = (uint8_t)(imm >> 8);
			p[7] = (uint8_t)imm;
		} else {
			p[1] = (uint8_t)((in->src & 0xf) << 4 | (in->dst & 0xf));
			p[2] = (uint8_t)off;
			p[3] = (uint8_t)(off >> 8);
			p[4] = (uint8_t)imm;
			p[5] = (uint8_t)(imm >> 8);
			p[6] = (uint8_t)(imm >> 16);
			p[7] = (uint8_t)(imm >> 24);
		}
	}
}

long bpftk_isa_target(const struct bpftk_insn *insns, size_t pc)
{
	const struct bpftk_insn *in = &insns[pc];
	enum bpftk_op op = bpftk_isa_lookup(in);
	if (op == BPFTK_OP_JA32 || op == BPFTK_OP_CALL_LOCAL ||
	    op == BPFTK_OP_LDDW_FUNC)
		return (long)pc + 1 + in->imm;
	return (long)pc + 1 + in->off;
}

#define BAD(...)                                                             \
	do {                                                                 \
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, (long)pc, \
				__VA_ARGS__);                                \
		bad = 1;                                                     \
	} while (0)

/* Checks one slot against its row: registers, and reserved fields. */
static int check_fields(const struct bpftk_insn *in, const struct bpftk_opinfo *r,
			size_t pc, struct bpftk_diags *d, const char *prog)
{
	int bad = 0;
	unsigned uses = form_uses[r->form];
	if (!(uses & BPFTK_USES_DST) && in->dst)
		BAD("'%s': reserved dst field is %u, must be 0", r->name, in->dst);
	else if (in->dst > BPFTK_REG_FP)
		BAD("'%s': dst register r%u does not exist (r0..r10)", r->name,
		    in->dst);
	else if ((uses & BPFTK_WRITES_DST) && in->dst == BPFTK_REG_FP)
		BAD("'%s': dst register r10 is the read-only frame pointer",
		    r->name);
	if (r->sel != BPFTK_SEL_SRC) {
		if (!(uses & BPFTK_USES_SRC) && in->src)
			BAD("'%s': reserved src field is %u, must be 0", r->name,
			    in->src);
		else if (in->src > BPFTK_REG_FP)
			BAD("'%s': src register r%u does not exist (r0..r10)",
			    r->name, in->src);
	}
	/* fetch forms and xchg (imm bit 0) write the old value back into
	 * src; cmpxchg (0xf1) writes it into r0 instead */
	if (r->form == BPFTK_FORM_ATOMIC && (r->selval & 1) &&
	    r->selval != 0xf1 && in->src == BPFTK_REG_FP)
		BAD("'%s': src register r10 is the read-only frame pointer and "
		    "would receive the old value",
		    r->name);
	if (r->sel != BPFTK_SEL_OFF && !(uses & BPFTK_USES_OFF) && in->off)
		BAD("'%s': reserved offset field is %d, must be 0", r->name,
		    in->off);
	if (r->sel != BPFTK_SEL_IMM && !(uses & BPFTK_USES_IMM) &&
	    r->form != BPFTK_FORM_LDDW && in->imm)
		BAD("'%s': reserved imm field is %d, must be 0", r->name,
		    in->imm);
	return bad;
}

/* An unknown instruction: either the opcode byte itself is unknown, or the
 * byte is known and its selector field holds no defined value — then name
 * the field and the values it may hold. */
static void report_unknown(const struct bpftk_insn *in, size_t pc,
			   struct bpftk_diags *d, const char *prog)
{
	static const char *const field[] = {"", "offset", "imm", "src"};
	unsigned c = in->code;
	if (!idx.count[c]) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, (long)pc,
				"unknown opcode 0x%02x", c);
		return;
	}
	const struct bpftk_opinfo *first = &table[idx.order[idx.first[c]]];
	char allowed[128] = "";
	size_t len = 0;
	for (unsigned i = 0; i < idx.count[c] && len < sizeof(allowed) - 16; i++) {
		const struct bpftk_opinfo *r = &table[idx.order[idx.first[c] + i]];
		len += (size_t)snprintf(allowed + len, sizeof(allowed) - len,
					"%s%d (%s)", i ? ", " : "", (int)r->selval,
					r->name);
	}
	bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, prog, (long)pc,
			"opcode 0x%02x: %s field %d is not valid, must be one of %s",
			c, field[first->sel], (int)selector(in, first->sel), allowed);
}

int bpftk_isa_validate(const struct bpftk_insn *insns, size_t n,
		       struct bpftk_diags *d, const char *prog)
{
	int bad = 0;
	size_t pc;
	if (n == 0) {
		pc = 0;
		BAD("program has no instructions");
		return -EINVAL;
	}
	/* Second slots of lddw: a jump may not land there. */
	uint8_t *second = bpftk_calloc(n, 1);
	if (!second)
		return -ENOMEM;
	for (pc = 0; pc < n; pc++) {
		const struct bpftk_insn *in = &insns[pc];
		enum bpftk_op op = bpftk_isa_lookup(in);
		if (op == BPFTK_OP_INVALID) {
			report_unknown(in, pc, d, prog);
			bad = 1;
			continue;
		}
		const struct bpftk_opinfo *r = &table[op];
		if (check_fields(in, r, pc, d, prog))
			bad = 1;
		if (r->form == BPFTK_FORM_LDDW) {
			if (pc + 1 >= n) {
				BAD("lddw is incomplete: its second slot is "
				    "missing at the end of the program");
				continue;
			}
			const struct bpftk_insn *hi = &insns[pc + 1];
			if (hi->code || hi->dst || hi->src || hi->off) {
				pc++;
				BAD("second slot of lddw must have code, "
				    "registers and offset 0 (code 0x%02x, dst "
				    "%u, src %u, off %d)",
				    hi->code, hi->dst, hi->src, hi->off);
			} else {
				pc++;
			}
			second[pc] = 1;
		}
	}
	for (pc = 0; pc < n; pc++) {
		if (second[pc])
			continue;
		enum bpftk_op op = bpftk_isa_lookup(&insns[pc]);
		if (op == BPFTK_OP_INVALID)
			continue;
		const struct bpftk_opinfo *r = &table[op];
		int is_jump = (form_uses[r->form] & BPFTK_IS_JUMP) ||
			      op == BPFTK_OP_CALL_LOCAL ||
			      op == BPFTK_OP_LDDW_FUNC;
		if (!is_jump)
			continue;
		long t = bpftk_isa_target(insns, pc);
		const char *what = op == BPFTK_OP_CALL_LOCAL ? "call" : "jump";
		if (t < 0 || t >= (long)n)
			BAD("%s target %ld is outside the program (0..%zu)",
			    what, t, n - 1);
		else if (second[t])
			BAD("%s target %ld is the second slot of lddw at %ld",
			    what, t, t - 1);
	}
	bpftk_free(second);
	return bad ? -EINVAL : 0;
}
