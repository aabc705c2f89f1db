/* emit.c — the x86-64 encoder: prefixes, REX, ModRM/SIB and displacement
 * for the few instruction shapes the translator needs, one small function
 * per shape with the assembly it writes beside it.
 *
 * Invariants: every function writes exactly one instruction; none looks
 * at the BPF program.  Encodings follow the Intel SDM vol. 2 tables:
 *   REX = 0100WRXB, ModRM = mod(2) reg(3) rm(3), SIB = scale index base.
 * rm = 100 (rsp, r12) needs a SIB byte; mod = 00 with rm = 101 (rbp, r13)
 * means rip-relative, so those bases always get a displacement.
 */
#include "x86_int.h"

const uint8_t bpftk_x86_reg[BPFTK_NREGS] = {
	RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP,
};

static void prefixes(struct jit_buf *b, unsigned flags, int reg, int index,
		     int rm)
{
	if (flags & X_LOCK)
		jit_byte(b, 0xf0);
	if (flags & X_66)
		jit_byte(b, 0x66);
	unsigned rex = 0x40;
	if (flags & X_W)
		rex |= 8;
	if (reg > 7)
		rex |= 4;
	if (index > 7)
		rex |= 2;
	if (rm > 7)
		rex |= 1;
	/* spl/bpl/sil/dil exist only with a REX prefix */
	int byte_low = (flags & X_BYTE) && ((reg >= 4 && reg <= 7) ||
					     (rm >= 4 && rm <= 7));
	if (rex != 0x40 || byte_low)
		jit_byte(b, rex);
}

static void opcode(struct jit_buf *b, uint32_t op)
{
	if (op > 0xffff)
		jit_byte(b, op >> 16);
	if (op > 0xff)
		jit_byte(b, (op >> 8) & 0xff);
	jit_byte(b, op & 0xff);
}

void x86_rr(struct jit_buf *b, unsigned flags, uint32_t op, int reg, int rm)
{
	prefixes(b, flags, reg, 0, rm);
	opcode(b, op);
	jit_byte(b, 0xc0 | (reg & 7) << 3 | (rm & 7)); /* mod 11 */
}

void x86_mem(struct jit_buf *b, unsigned flags, uint32_t op, int reg, int base,
	     int index, int32_t disp)
{
	/* X_BYTE may add a REX the base does not need: harmless */
	prefixes(b, flags, reg, index < 0 ? 0 : index, base);
	opcode(b, op);
	int mod = (disp == 0 && (base & 7) != 5) ? 0
		  : (disp >= -128 && disp <= 127) ? 1
						  : 2;
	if (index >= 0 || (base & 7) == 4) {
		jit_byte(b, mod << 6 | (reg & 7) << 3 | 4);
		/* scale 1; index 100 means none (rsp cannot be an index) */
		jit_byte(b, (index >= 0 ? (index & 7) : 4) << 3 | (base & 7));
	} else {
		jit_byte(b, mod << 6 | (reg & 7) << 3 | (base & 7));
	}
	if (mod == 1)
		jit_byte(b, (uint8_t)(int8_t)disp);
	else if (mod == 2)
		jit_u32(b, (uint32_t)disp);
}

void emit_mov_rr(struct jit_buf *b, int w, int dst, int src)
{
	x86_rr(b, w ? X_W : 0, 0x89, src, dst); /* mov dst, src */
}

void emit_mov_imm32(struct jit_buf *b, int dst, uint32_t imm)
{
	if (imm == 0) {
		x86_rr(b, 0, 0x31, dst, dst); /* xor dst32, dst32 */
		return;
	}
	prefixes(b, 0, 0, 0, dst);
	jit_byte(b, 0xb8 + (dst & 7)); /* mov dst32, imm32 */
	jit_u32(b, imm);
}

void emit_mov_imm64(struct jit_buf *b, int dst, uint64_t imm)
{
	if (imm <= UINT32_MAX) {
		emit_mov_imm32(b, dst, (uint32_t)imm); /* zero-extends */
	} else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
		x86_rr(b, X_W, 0xc7, 0, dst); /* mov dst, simm32 */
		jit_u32(b, (uint32_t)imm);
	} else {
		prefixes(b, X_W, 0, 0, dst);
		jit_byte(b, 0xb8 + (dst & 7)); /* movabs dst, imm64 */
		jit_u64(b, imm);
	}
}

void emit_alu_imm(struct jit_buf *b, int w, int ext, int dst, int32_t imm)
{
	if (imm >= -128 && imm <= 127) {
		x86_rr(b, w ? X_W : 0, 0x83, ext, dst); /* op dst, simm8 */
		jit_byte(b, (uint8_t)(int8_t)imm);
	} else {
		x86_rr(b, w ? X_W : 0, 0x81, ext, dst); /* op dst, imm32 */
		jit_u32(b, (uint32_t)imm);
	}
}

void emit_shift_imm(struct jit_buf *b, unsigned flags, int ext, int dst,
		    unsigned n)
{
	x86_rr(b, flags, 0xc1, ext, dst); /* shl/shr/sar/rol/ror dst, n */
	jit_byte(b, n);
}

void emit_shift_cl(struct jit_buf *b, int w, int ext, int dst)
{
	x86_rr(b, w ? X_W : 0, 0xd3, ext, dst); /* shl/shr/sar dst, cl */
}

void emit_push(struct jit_buf *b, int r)
{
	if (r > 7)
		jit_byte(b, 0x41);
	jit_byte(b, 0x50 + (r & 7)); /* push r */
}

void emit_pop(struct jit_buf *b, int r)
{
	if (r > 7)
		jit_byte(b, 0x41);
	jit_byte(b, 0x58 + (r & 7)); /* pop r */
}

void emit_ld_ctx(struct jit_buf *b, int w, int dst, int32_t off)
{
	x86_mem(b, w ? X_W : 0, 0x8b, dst, X86_CTX, -1, off); /* mov dst, [r12+off] */
}

void emit_st_ctx(struct jit_buf *b, int w, int32_t off, int src)
{
	x86_mem(b, w ? X_W : 0, 0x89, src, X86_CTX, -1, off); /* mov [r12+off], src */
}

void emit_st_ctx_imm(struct jit_buf *b, int w, int32_t off, int32_t imm)
{
	x86_mem(b, w ? X_W : 0, 0xc7, 0, X86_CTX, -1, off); /* mov [r12+off], imm32 */
	jit_u32(b, (uint32_t)imm);
}

void emit_jcc(struct jit_buf *b, int cc, int32_t rel, int near)
{
	if (near) {
		jit_byte(b, 0x0f); /* jcc rel32 */
		jit_byte(b, 0x80 | cc);
		jit_u32(b, (uint32_t)rel);
	} else {
		jit_byte(b, 0x70 | cc); /* jcc rel8 */
		jit_byte(b, (uint8_t)(int8_t)rel);
	}
}

void emit_jmp(struct jit_buf *b, int32_t rel, int near)
{
	if (near) {
		jit_byte(b, 0xe9); /* jmp rel32 */
		jit_u32(b, (uint32_t)rel);
	} else {
		jit_byte(b, 0xeb); /* jmp rel8 */
		jit_byte(b, (uint8_t)(int8_t)rel);
	}
}

void emit_call_rel(struct jit_buf *b, int32_t rel)
{
	jit_byte(b, 0xe8); /* call rel32 */
	jit_u32(b, (uint32_t)rel);
}

void emit_call_reg(struct jit_buf *b, int r)
{
	x86_rr(b, 0, 0xff, 2, r); /* call r */
}

void emit_ret(struct jit_buf *b)
{
	jit_byte(b, 0xc3); /* ret */
}

void emit_bswap(struct jit_buf *b, int w, int r)
{
	prefixes(b, w ? X_W : 0, 0, 0, r);
	jit_byte(b, 0x0f); /* bswap r */
	jit_byte(b, 0xc8 + (r & 7));
}
