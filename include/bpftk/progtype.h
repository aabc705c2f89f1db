/* bpftk/progtype.h — program types: one descriptor per type, read by the
 * loader, the runtime and (later) the verifier.
 *
 * A descriptor says what the program's context looks like to the program
 * (the kernel's uapi structs: struct xdp_md, struct __sk_buff, pt_regs),
 * which fields it may read and write and with which sizes, how each access
 * is rewritten at load time to reach the runtime's own context
 * (struct bpftk_ctx below, the way the kernel's convert_ctx_access turns
 * `*(u32 *)(r1 + 0)` of an xdp_md into a load of xdp_buff->data), and what
 * its return value means.  Which helpers a type may call is part of each
 * helper's descriptor (helpers.h); bpftk_progtype_helper_allowed() asks it.
 *
 * The runtime context: r1 of a program with a context points to a struct
 * bpftk_ctx.  Its first bytes mirror the user-visible struct at the same
 * offsets (so plain fields need no rewriting, narrow loads included); the
 * packet pointers live in 64-bit fields after it, and rewritten loads of
 * data / data_end / data_meta read those.  Packet helpers move them.
 *
 * Deciding which instructions access the context needs register types;
 * until the verifier exists a small forward data-flow pass
 * (bpftk_progtype_ctx_accesses) tracks "holds the context pointer" through
 * moves, stack spills and calls and rejects, as the kernel does, an access
 * through a register that holds the context on one path and something else
 * on another, or a context pointer that was modified.
 *
 * Errors: -EINVAL with diagnostics naming the instruction
 * ("insn 3: invalid bpf_context access off=76 size=2"), -ENOMEM.
 */
#ifndef BPFTK_PROGTYPE_H
#define BPFTK_PROGTYPE_H

#include <bpftk/common.h>
#include <bpftk/isa.h>
#include <bpftk/object.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of struct bpftk_ctx reserved for the user-visible mirror. */
#define BPFTK_CTX_USER_MAX 256

/* The runtime's context: what r1 points to. */
struct bpftk_ctx {
	union {
		uint8_t bytes[BPFTK_CTX_USER_MAX];
		uint64_t align;
	} user;		    /* the user-visible struct, same offsets */
	uint64_t data;	    /* address of the first packet byte */
	uint64_t data_end;  /* one past the last packet byte */
	uint64_t data_meta; /* start of XDP metadata (== data when none) */
	/* the packet buffer: data_meta..data_end stay inside
	 * [hard_start + min_head, hard_start + frame_sz - tailroom] */
	uint8_t *hard_start;
	size_t frame_sz;
	size_t min_head; /* XDP: sizeof(struct xdp_frame), 40 bytes */
	size_t tailroom; /* XDP: room reserved for skb_shared_info, 320 */
	enum bpftk_prog_type type;
};

/* Offsets of the pointer fields that rewritten loads read. */
#define BPFTK_CTX_OFF_DATA ((int16_t)offsetof(struct bpftk_ctx, data))
#define BPFTK_CTX_OFF_DATA_END ((int16_t)offsetof(struct bpftk_ctx, data_end))
#define BPFTK_CTX_OFF_DATA_META                                              \
	((int16_t)offsetof(struct bpftk_ctx, data_meta))

/* Access rights of a context field. */
enum {
	BPFTK_CTX_READ = 1u << 0,
	BPFTK_CTX_WRITE = 1u << 1,
	BPFTK_CTX_NARROW = 1u << 2, /* loads of 1, 2 (or 4 of a u64) bytes */
};

/* What a field is at run time. */
enum bpftk_ctx_kind {
	BPFTK_CTX_PLAIN = 0,	 /* a value at the same offset in the mirror */
	BPFTK_CTX_PKT_DATA = 1,	 /* u32 in uapi, the packet start pointer */
	BPFTK_CTX_PKT_END = 2,	 /* the packet end pointer */
	BPFTK_CTX_PKT_META = 3,	 /* the metadata start pointer */
};

struct bpftk_ctx_field {
	const char *name;
	uint16_t off;  /* in the user-visible struct */
	uint16_t size; /* bytes of the field (an array: of one element) */
	uint16_t count; /* elements (cb[5]: 5), 1 for scalars */
	uint8_t access; /* BPFTK_CTX_* bits */
	uint8_t kind;	/* enum bpftk_ctx_kind */
};

/* How r1 (and r2) are set up. */
enum bpftk_ctx_model {
	BPFTK_CTX_MODEL_MEM = 0, /* raw: r1 = memory, r2 = its length */
	BPFTK_CTX_MODEL_CTX = 1, /* r1 = struct bpftk_ctx */
};

struct bpftk_progtype {
	enum bpftk_prog_type type; /* BPFTK_PROG_TYPE_UNSPEC: "raw" */
	const char *name;	   /* "xdp", "sched_cls", "raw" ... */
	enum bpftk_ctx_model model;
	const char *ctx_struct; /* "struct xdp_md", NULL for raw */
	uint32_t ctx_size;	/* bytes of the user-visible struct */
	const struct bpftk_ctx_field *fields;
	size_t nfields;
	int has_packet;	      /* the context describes a packet */
	int direct_packet;    /* data/data_end are readable */
	uint32_t headroom;    /* bytes before the packet at entry */
	uint32_t l2_offset;   /* socket filter: data starts after this many
				 bytes of the test packet (ETH_HLEN) */
	int ctx_writable;     /* some field may be written */
	/* return value: meaning and valid range (inclusive, as signed) */
	int64_t ret_min, ret_max;
	const char *ret_meaning;
	const char *const *ret_names; /* names of ret_names_base + i */
	size_t nret_names;
	int64_t ret_names_base;
};

/* Descriptor of a type, or NULL when bpftk does not run that type.
 * Static storage.  KPROBE and TRACEPOINT share the tracing descriptor
 * layout (pt_regs-style, read-only). */
BPFTK_API const struct bpftk_progtype *
bpftk_progtype_get(enum bpftk_prog_type type);
/* The descriptor for a program loaded with expected attach type `attach`
 * (the kernel's enum bpf_attach_type).  Only cgroup_sock_addr depends on
 * it (which address fields exist, the return range): for that type, NULL
 * unless attach is one of its hooks, as the kernel refuses the load; every
 * other type is bpftk_progtype_get(type).  cgroup_sock_addr descriptors
 * are not in bpftk_progtype_all. */
BPFTK_API const struct bpftk_progtype *
bpftk_progtype_get_attach(enum bpftk_prog_type type, int attach);
/* All descriptors, for listing: *n gets the count. */
BPFTK_API const struct bpftk_progtype *const *bpftk_progtype_all(size_t *n);
/* Name of a return value for this type ("XDP_PASS", "TC_ACT_SHOT"), or
 * NULL when it has none.  Static storage. */
BPFTK_API const char *bpftk_progtype_ret_name(const struct bpftk_progtype *pt,
					      uint64_t r0);
/* The field containing [off, off + size), or NULL. */
BPFTK_API const struct bpftk_ctx_field *
bpftk_progtype_field(const struct bpftk_progtype *pt, uint32_t off,
		     uint32_t size);
/* Nonzero when programs of this type may call helper id (from the
 * helper's descriptor). */
BPFTK_API int bpftk_progtype_helper_allowed(const struct bpftk_progtype *pt,
					    uint32_t id);

/* Marks for bpftk_progtype_ctx_accesses. */
enum {
	BPFTK_CTX_ACC_NONE = 0,
	BPFTK_CTX_ACC_LOAD = 1,	 /* ldx through the context pointer */
	BPFTK_CTX_ACC_STORE = 2, /* st / stx through the context pointer */
};

/* The data-flow pass: which instructions of insns[0..n) access the context
 * that r1 holds at entry.  marks must have n bytes; each gets a
 * BPFTK_CTX_ACC_* value.  Unreachable instructions get NONE.  Rejected
 * (-EINVAL, one diagnostic per problem, prog names the program):
 * dereference of a modified context pointer, a register that holds the
 * context on one path and not on another, atomics on the context or
 * storing it.  A context pointer stored other than as an r10 spill is not
 * followed: a value reloaded from memory it may have reached and then
 * dereferenced is refused as "holds the context on one path". */
BPFTK_API int bpftk_progtype_ctx_accesses(const struct bpftk_insn *insns,
					  size_t n, uint8_t *marks,
					  const char *prog,
					  struct bpftk_diags *d);

/* Checks every context access against the descriptor and rewrites
 * insns[0..n) in place (convert_ctx_access): pointer fields become 64-bit
 * loads of struct bpftk_ctx's pointers; other accesses keep their offset.
 * Refused (-EINVAL, "invalid bpf_context access off=%u size=%u" and the
 * field name when there is one): unknown offsets, wrong sizes, writes to
 * read-only fields, narrow pointer loads.  Raw programs (r1 = memory) are
 * left as they are. */
BPFTK_API int bpftk_progtype_rewrite(const struct bpftk_progtype *pt,
				     struct bpftk_insn *insns, size_t n,
				     const char *prog, struct bpftk_diags *d);

#ifdef __cplusplus
}
#endif
#endif
