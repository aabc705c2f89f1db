/* bpftk/isa.h — the eBPF instruction set (RFC 9669): the opcode table,
 * decoding from and encoding to wire bytes, and validity rules.
 *
 * Everything here is generated from bpftk/opcodes.def: adding an opcode is
 * adding a row there.
 */
#ifndef BPFTK_ISA_H
#define BPFTK_ISA_H

#include <bpftk/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Instruction classes (low 3 bits of the opcode). */
enum {
	BPFTK_CLASS_LD = 0x00,
	BPFTK_CLASS_LDX = 0x01,
	BPFTK_CLASS_ST = 0x02,
	BPFTK_CLASS_STX = 0x03,
	BPFTK_CLASS_ALU = 0x04,
	BPFTK_CLASS_JMP = 0x05,
	BPFTK_CLASS_JMP32 = 0x06,
	BPFTK_CLASS_ALU64 = 0x07,
};
#define BPFTK_CLASS(code) ((code) & 0x07)
/* Access size of a load/store opcode in bytes (1, 2, 4, 8). */
#define BPFTK_MEM_BYTES(code) \
	((unsigned)"\4\2\1\10"[((code) >> 3) & 3])

#define BPFTK_NREGS 11		/* r0..r10 */
#define BPFTK_REG_FP 10		/* read-only frame pointer */
#define BPFTK_STACK_SIZE 512	/* bytes per call frame */
#define BPFTK_MAX_CALL_DEPTH 8	/* frames, like the kernel */

/* lddw source-register values (kernel "pseudo" forms). */
enum {
	BPFTK_PSEUDO_MAP_FD = 1,
	BPFTK_PSEUDO_MAP_VALUE = 2,
	BPFTK_PSEUDO_BTF_ID = 3,
	BPFTK_PSEUDO_FUNC = 4,
	BPFTK_PSEUDO_MAP_IDX = 5,
	BPFTK_PSEUDO_MAP_IDX_VALUE = 6,
};
/* call source-register values. */
enum {
	BPFTK_CALL_HELPER = 0,
	BPFTK_CALL_LOCAL = 1,
	BPFTK_CALL_KFUNC = 2,
};

/* One decoded instruction slot.  lddw takes two slots; the second has
 * code 0 and carries the upper 32 bits of the constant in imm. */
struct bpftk_insn {
	uint8_t code;
	uint8_t dst; /* 0..15 as decoded; valid programs use 0..10 */
	uint8_t src;
	int16_t off;
	int32_t imm;
};

enum bpftk_op {
	BPFTK_OP_INVALID = 0,
#define OP(id, ...) BPFTK_OP_##id,
#include <bpftk/opcodes.def>
#undef OP
	BPFTK_OP__COUNT
};

enum bpftk_sel { BPFTK_SEL_NONE, BPFTK_SEL_OFF, BPFTK_SEL_IMM, BPFTK_SEL_SRC };

/* Operand forms: which fields carry operands; the rest are reserved. */
enum bpftk_form {
	BPFTK_FORM_ALU_K,  /* dst, imm             (off = selector or 0) */
	BPFTK_FORM_ALU_X,  /* dst, src             (off = selector or 0) */
	BPFTK_FORM_NEG,	   /* dst */
	BPFTK_FORM_END,	   /* dst, imm = width */
	BPFTK_FORM_LDDW,   /* dst, src = kind, imm + next imm */
	BPFTK_FORM_LDABS,  /* imm */
	BPFTK_FORM_LDIND,  /* src, imm */
	BPFTK_FORM_LDX,	   /* dst, src, off */
	BPFTK_FORM_ST,	   /* dst, off, imm */
	BPFTK_FORM_STX,	   /* dst, src, off */
	BPFTK_FORM_ATOMIC, /* dst, src, off, imm = operation */
	BPFTK_FORM_JA,	   /* off */
	BPFTK_FORM_JA32,   /* imm */
	BPFTK_FORM_JCC_K,  /* dst, imm, off */
	BPFTK_FORM_JCC_X,  /* dst, src, off */
	BPFTK_FORM_CALL,   /* imm, src = kind */
	BPFTK_FORM_CALLX,  /* dst */
	BPFTK_FORM_EXIT,   /* nothing */
	BPFTK_FORM__COUNT
};

/* RFC 9669 section 2.4 conformance groups. */
enum bpftk_group {
	BPFTK_GROUP_BASE32,
	BPFTK_GROUP_BASE64,
	BPFTK_GROUP_ATOMIC32,
	BPFTK_GROUP_ATOMIC64,
	BPFTK_GROUP_DIVMUL32,
	BPFTK_GROUP_DIVMUL64,
	BPFTK_GROUP_CALLX,
	BPFTK_GROUP_PACKET,
	BPFTK_GROUP__COUNT
};

struct bpftk_opinfo {
	enum bpftk_op op;
	uint8_t code;
	uint8_t sel;	/* enum bpftk_sel */
	int32_t selval;
	const char *name; /* bpf_conformance mnemonic */
	uint8_t form;	  /* enum bpftk_form */
	uint8_t version;  /* 1..4 */
	uint8_t group;	  /* enum bpftk_group */
	const char *llvm; /* LLVM-dialect template (see opcodes.def) */
	const char *exact; /* lossless template, or NULL */
	const char *meaning;
};

/* Row of the table for op; NULL for BPFTK_OP_INVALID or out of range.
 * Static storage. */
BPFTK_API const struct bpftk_opinfo *bpftk_isa_info(enum bpftk_op op);
/* The row an instruction belongs to, from its code and selector field;
 * BPFTK_OP_INVALID if none.  Reserved fields are not checked here. */
BPFTK_API enum bpftk_op bpftk_isa_lookup(const struct bpftk_insn *insn);
BPFTK_API const char *bpftk_isa_group_name(enum bpftk_group g);
BPFTK_API const char *bpftk_isa_form_name(enum bpftk_form f);

/* Operand-use bits of a form. */
enum {
	BPFTK_USES_DST = 1 << 0,
	BPFTK_USES_SRC = 1 << 1,
	BPFTK_USES_OFF = 1 << 2,
	BPFTK_USES_IMM = 1 << 3,
	BPFTK_WRITES_DST = 1 << 4, /* dst register is written */
	BPFTK_IS_JUMP = 1 << 5,	   /* off (or imm for ja32) is a pc offset */
};
BPFTK_API unsigned bpftk_isa_form_uses(enum bpftk_form f);

/* Wire format.  Decodes len bytes (a multiple of 8) in the given byte order
 * (0 little, 1 big) into out[len / 8].  Returns the slot count or -EINVAL
 * (reported to d) when len is not a multiple of 8. */
BPFTK_API long bpftk_isa_decode(const void *bytes, size_t len, int big_endian,
				struct bpftk_insn *out, struct bpftk_diags *d,
				const char *prog);
/* Encodes n slots into out[n * 8]. */
BPFTK_API void bpftk_isa_encode(const struct bpftk_insn *insns, size_t n,
				int big_endian, void *out);

/* Checks what RFC 9669 calls invalid: unknown opcodes, reserved fields not
 * zero, registers above r10, writes to r10, incomplete or malformed lddw,
 * jumps and local calls outside the program or into lddw's second slot.
 * Every problem is reported to d with its instruction index; returns 0 or
 * -EINVAL. */
BPFTK_API int bpftk_isa_validate(const struct bpftk_insn *insns, size_t n,
				 struct bpftk_diags *d, const char *prog);

/* Jump or call target of the instruction at pc (pc + 1 + off, or + imm for
 * ja32 and local calls). */
BPFTK_API long bpftk_isa_target(const struct bpftk_insn *insns, size_t pc);

#ifdef __cplusplus
}
#endif
#endif
