/* sc_emit.h — the code buffer compile.c writes classic BPF into (emit.c):
 * forward jumps to labels, shared return instructions, knowledge of what
 * the accumulator holds, and the final layout that makes every jump fit
 * classic BPF's 8-bit offsets. */
#ifndef BPFTK_SC_EMIT_H
#define BPFTK_SC_EMIT_H

#include "seccomp_int.h"

/* The few classic opcodes a seccomp filter needs, from cbpf.h's fields. */
enum {
	CB_LD_W_ABS = BPFTK_CBPF_LD | BPFTK_CBPF_W | BPFTK_CBPF_ABS,
	CB_ALU_AND_K = BPFTK_CBPF_ALU | BPFTK_CBPF_AND | BPFTK_CBPF_K,
	CB_JA = BPFTK_CBPF_JMP | BPFTK_CBPF_JA,
	CB_JEQ_K = BPFTK_CBPF_JMP | BPFTK_CBPF_JEQ | BPFTK_CBPF_K,
	CB_JGT_K = BPFTK_CBPF_JMP | BPFTK_CBPF_JGT | BPFTK_CBPF_K,
	CB_JGE_K = BPFTK_CBPF_JMP | BPFTK_CBPF_JGE | BPFTK_CBPF_K,
	CB_RET_K = BPFTK_CBPF_RET | BPFTK_CBPF_K,
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
/* A = (32-bit word at off of struct seccomp_data) & mask: nothing when A
 * holds that already, only the `and` when A holds the whole word. */
BPFTK_INTERNAL void sc_ld(struct sc_emit *e, uint32_t off, uint32_t mask);
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
