/* x86_int.h — the x86-64 backend's encoder (emit.c) as used by its
 * translator (jit_x86.c): register numbers, the BPF register map, and
 * emit_* helpers that each write one instruction.
 *
 * Register map (the kernel's choice, for the same reason: BPF r1..r5 are
 * the System V argument registers, so a helper call needs no moves, and
 * r6..r9, r10 are callee-saved, so they survive helper calls):
 *   r0 rax  r1 rdi  r2 rsi  r3 rdx  r4 rcx  r5 r8
 *   r6 rbx  r7 r13  r8 r14  r9 r15  r10 rbp
 * r12 holds the run context for the whole run; r9, r10, r11 are scratch
 * (never live across a BPF instruction).
 */
#ifndef BPFTK_X86_INT_H
#define BPFTK_X86_INT_H

#include "../jit_int.h"

enum {
	RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
};

/* BPF register -> x86 register. */
BPFTK_INTERNAL extern const uint8_t bpftk_x86_reg[BPFTK_NREGS];

#define X86_CTX R12
#define X86_T1 R11 /* scratch */
#define X86_T2 R10 /* scratch */
#define X86_T3 R9  /* scratch; also the sixth argument */

/* Flags of x86_rr / x86_mem. */
enum {
	X_W = 1 << 0,	 /* REX.W: 64-bit operand */
	X_66 = 1 << 1,	 /* 0x66: 16-bit operand */
	X_BYTE = 1 << 2, /* byte register operand: REX so sil/dil, not dh/bh */
	X_LOCK = 1 << 3, /* lock prefix */
};

/* Condition codes (the low nibble of jcc). */
enum {
	CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_BE = 0x6,
	CC_A = 0x7, CC_S = 0x8, CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe,
	CC_G = 0xf,
};

/* op is one to three opcode bytes, most significant first (0x0fb6 is
 * 0f b6).  reg is the ModRM reg field: a register or an opcode
 * extension. */
BPFTK_INTERNAL void x86_rr(struct jit_buf *b, unsigned flags, uint32_t op,
			   int reg, int rm);
/* Memory operand [base + index + disp] (index < 0: none). */
BPFTK_INTERNAL void x86_mem(struct jit_buf *b, unsigned flags, uint32_t op,
			    int reg, int base, int index, int32_t disp);

/* Whole instructions. */
BPFTK_INTERNAL void emit_mov_rr(struct jit_buf *b, int w, int dst, int src);
BPFTK_INTERNAL void emit_mov_imm64(struct jit_buf *b, int dst, uint64_t imm);
BPFTK_INTERNAL void emit_mov_imm32(struct jit_buf *b, int dst, uint32_t imm);
/* alu r/m, imm: ext is the /digit (0 add, 1 or, 4 and, 5 sub, 6 xor,
 * 7 cmp) */
BPFTK_INTERNAL void emit_alu_imm(struct jit_buf *b, int w, int ext, int dst,
				 int32_t imm);
/* shift by a constant / by cl: ext 4 shl, 5 shr, 7 sar, 0 rol, 1 ror */
BPFTK_INTERNAL void emit_shift_imm(struct jit_buf *b, unsigned flags, int ext,
				   int dst, unsigned n);
BPFTK_INTERNAL void emit_shift_cl(struct jit_buf *b, int w, int ext, int dst);
BPFTK_INTERNAL void emit_push(struct jit_buf *b, int r);
BPFTK_INTERNAL void emit_pop(struct jit_buf *b, int r);
/* load / store between a register and [base + disp] of the context */
BPFTK_INTERNAL void emit_ld_ctx(struct jit_buf *b, int w, int dst, int32_t off);
BPFTK_INTERNAL void emit_st_ctx(struct jit_buf *b, int w, int32_t off, int src);
/* mov qword/dword [r12 + off], imm32 (sign-extended for qword) */
BPFTK_INTERNAL void emit_st_ctx_imm(struct jit_buf *b, int w, int32_t off,
				   int32_t imm);
/* jumps with a rel8 or rel32 displacement from the end of the jump; the
 * caller chose the size */
BPFTK_INTERNAL void emit_jcc(struct jit_buf *b, int cc, int32_t rel, int near);
BPFTK_INTERNAL void emit_jmp(struct jit_buf *b, int32_t rel, int near);
BPFTK_INTERNAL void emit_call_rel(struct jit_buf *b, int32_t rel);
BPFTK_INTERNAL void emit_call_reg(struct jit_buf *b, int r);
BPFTK_INTERNAL void emit_ret(struct jit_buf *b);
BPFTK_INTERNAL void emit_bswap(struct jit_buf *b, int w, int r);

/* Sizes of the jump encodings. */
#define JCC_SHORT 2
#define JCC_NEAR 6
#define JMP_SHORT 2
#define JMP_NEAR 5

#endif
