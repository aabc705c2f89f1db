/* cbpf_int.h — what the files of src/cbpf share and nobody else sees: the
 * op enum and row lookup generated from cbpf_ops.def, listing formats, and
 * the Linux load/store check the validators and the fuzzer's program
 * generator both need.  Not installed. */
#ifndef BPFTK_CBPF_INT_H
#define BPFTK_CBPF_INT_H

#include <bpftk/cbpf.h>

#include "../util/util_int.h"

enum cbpf_op {
	CBPF_OP_INVALID = 0,
#define CB(id, ...) CBPF_OP_##id,
#include "cbpf_ops.def"
#undef CB
	CBPF_OP__COUNT
};

/* Operand formats of the listing (bpf_image()). */
enum cbpf_fmt {
	CBPF_FMT_NONE,	  /* no operand */
	CBPF_FMT_IMM_HEX, /* #0x%x */
	CBPF_FMT_IMM_DEC, /* #%d (k as signed) */
	CBPF_FMT_X,	  /* x */
	CBPF_FMT_ABS,	  /* [%d], or a Linux ancillary name */
	CBPF_FMT_IND,	  /* [x + %d] */
	CBPF_FMT_MSH,	  /* 4*([%d]&0xf) */
	CBPF_FMT_MEM,	  /* M[%d] */
	CBPF_FMT_LEN,	  /* #pktlen */
	CBPF_FMT_JA,	  /* absolute target pc + 1 + k */
	CBPF_FMT_JK,	  /* #0x%x, then jt / jf targets */
	CBPF_FMT_JX,	  /* x, then jt / jf targets */
};

struct cbpf_row {
	struct bpftk_cbpf_opinfo info;
	uint8_t fmt;	   /* enum cbpf_fmt */
	uint16_t ebpf_op;  /* enum bpftk_op, BPFTK_OP_INVALID = expanded */
};

/* Row of an op (CBPF_OP_INVALID gives NULL). */
BPFTK_INTERNAL const struct cbpf_row *cbpf_row(enum cbpf_op op);
/* The op of a code, CBPF_OP_INVALID when no row has it. */
BPFTK_INTERNAL enum cbpf_op cbpf_lookup(uint16_t code);
/* Ancillary name bpf_image() prints for SKF_AD_OFF + off, or NULL. */
BPFTK_INTERNAL const char *cbpf_anc_name(uint32_t k);
/* Byte offset in struct bpftk_cbpf_skb of the field an ancillary load
 * SKF_AD_OFF + off reads, or -1 when the value is computed (ALU_XOR_X,
 * NLATTR, NLATTR_NEST, VLAN_TAG_PRESENT) or k is not ancillary. */
BPFTK_INTERNAL int cbpf_anc_field(uint32_t k);
/* Linux check_load_and_stores: every M[k] read is preceded by a store to
 * M[k] on every path.  Assumes opcodes and jumps already checked.  Reports
 * the first bad read to d; returns 0, -EINVAL or -ENOMEM. */
BPFTK_INTERNAL int cbpf_check_mem_init(const struct bpftk_cbpf_insn *prog,
				       size_t n, struct bpftk_diags *d);

/* Makes room for one more element in a growable array *arr of *cap
 * elements of elem bytes, len of them used (doubling, at least 16).
 * Returns 0 or -ENOMEM (the array is then unchanged). */
BPFTK_INTERNAL int cbpf_grow(void *arr, size_t *cap, size_t len, size_t elem);

#endif
