/* sc_emit.h — the code buffer compile.c writes classic BPF into (emit.c):
 * forward jumps to labels, shared return instructions, knowledge of what
 * the accumulator holds, and the final layout that makes every jump fit
 * classic BPF's 8-bit offsets. */
#ifndef BPFTK_SC_EMIT_H
#define BPFTK_SC_EMIT_H

#include "seccomp_int.h"

/* Classic BPF opcode fields (struct sock_filter .code): class | size |
 * mode for loads, class | op | source for ALU and jumps.  cbpf.h does not
 * export them; these are the few a seccomp filter needs. */
enum {
	CB_LD_W_ABS = 0x00 | 0x00 | 0x20,
	CB_ALU_AND_K = 0x04 | 0x50 | 0x00,
	CB_JA = 0x05 | 0x00,
	CB_JEQ_K = 0x05 | 0x10 | 0x00,
	CB_JGT_K = 0x05 | 0x20 | 0x00,
	CB_JGE_K = 0x05 | 0x30 | 0x00,
	CB_RET_K = 0x06 | 0x00,
};

struct sc_emit;

/* New buffer, NULL when out of memory. */
BPFTK_INTERNAL struct sc_emit *sc_emit_new(void);
BPFTK_INTERNAL void sc_emit_free(struct sc_emit *e);
/* A fresh label (to place once, after every jump to it). */
BPFTK_INTERNAL int sc_label(struct sc_emit *e);
/* The label of a `ret k` shared by every jump to it (placed by finish). */
BPFTK_INTERNAL int sc_ret_label(struct sc_emit *e, uint32_t k);
BPFTK_INTERNAL void sc_place(struct sc_emit *e, int label);
/* A = 32-bit word at off of struct seccomp_data (omitted when A holds it). */
BPFTK_INTERNAL void sc_ld(struct sc_emit *e, uint32_t off);
BPFTK_INTERNAL void sc_and(struct sc_emit *e, uint32_t k);
/* if (A op k) goto lt else goto lf;  op is CB_JEQ_K, CB_JGT_K or CB_JGE_K */
BPFTK_INTERNAL void sc_jmp(struct sc_emit *e, uint16_t op, uint32_t k, int lt,
			   int lf);
BPFTK_INTERNAL void sc_ja(struct sc_emit *e, int label);
/* Lays the program out: shared returns at the end, jumps of offset 0
 * dropped, far conditional targets reached through nearby copies of the
 * return or `ja`.  Returns 0, -ENOMEM, -E2BIG or -EINVAL (internal error:
 * a label never placed or a backward jump). */
BPFTK_INTERNAL int sc_emit_finish(struct sc_emit *e,
				  struct bpftk_cbpf_insn **out, size_t *n);

#endif
