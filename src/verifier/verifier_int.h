/* verifier_int.h — what only the verifier's files share: the abstract
 * state (registers, stack slots, frames), the walk's environment, and the
 * entry points of each checking file.
 *
 * Invariants:
 *  - a register's `v` is its value when it is a scalar, and the variable
 *    part of its offset when it is a pointer (the fixed part is `off`);
 *    v.b32 is always the low half of v.b64 as far as both know;
 *  - stack slot i of a frame covers bytes fp-8*(i+1) .. fp-8*i-1; a slot
 *    holds a spilled register only when all its 8 bytes say S_SPILL;
 *  - states reached by the walk own their frames (deep copies); stored
 *    checkpoints are never changed except for their branch counts.
 */
#ifndef BPFTK_VERIFIER_INT_H
#define BPFTK_VERIFIER_INT_H

#include <errno.h>

#include <bpftk/helpers.h>
#include <bpftk/progtype.h>
#include <bpftk/verifier.h>

#include "../util/util_int.h"
#include "bounds.h"

/* A scalar: its 64-bit value and, for 32-bit operations, its low half. */
struct scalar {
	struct bounds b64;
	struct bounds b32;
};

BPFTK_INTERNAL struct scalar vsc_unknown(void);
BPFTK_INTERNAL struct scalar vsc_const(uint64_t v);
/* Unknown value of n bytes, zero-extended (a load of n < 8 bytes). */
BPFTK_INTERNAL struct scalar vsc_unknown_bytes(unsigned n);
BPFTK_INTERNAL int vsc_is_const(const struct scalar *s);
BPFTK_INTERNAL int vsc_sync(struct scalar *s);
BPFTK_INTERNAL struct scalar vsc_zext32(const struct bounds *b32);
BPFTK_INTERNAL int vsc_subset(const struct scalar *a, const struct scalar *b);

/* Kinds of register contents. */
enum vtype {
	T_NOT_INIT = 0,
	T_SCALAR,
	T_CTX,	   /* the program's context */
	T_STACK,   /* frame pointer of frame `frame` + off */
	T_MAP_PTR, /* a map (lddw of a map) */
	T_MAP_VALUE, /* a value of map `map` */
	T_PKT,	   /* packet data + off + v */
	T_PKT_END,
	T_PKT_META,
	T_MEM,	   /* `size` bytes (a ring buffer sample) */
	T_FUNC,	   /* a callback: subprogram starting at `map` */
};

struct reg {
	uint8_t type;	   /* enum vtype */
	uint8_t maybe_null; /* pointer that may be NULL until checked */
	uint8_t frame;	   /* T_STACK: frame number */
	uint8_t pad;
	int32_t off;	   /* pointers: fixed offset */
	int32_t map;	   /* map index; T_FUNC: first insn */
	uint32_t id;	   /* shared by copies (null checks, packet ranges) */
	uint32_t ref;	   /* acquired reference (ring buffer), 0 none */
	uint32_t range;	   /* T_PKT/T_PKT_META: bytes known in the packet
			    * from base + v; T_MEM: size */
	struct scalar v;
};

/* Byte kinds of a stack slot. */
enum { S_INVALID = 0, S_MISC, S_ZERO, S_SPILL };

struct slot {
	uint8_t kind[8];
	struct reg spill;
};

#define NSLOTS (BPFTK_STACK_SIZE / 8)

struct frame {
	struct reg regs[BPFTK_NREGS];
	struct slot slots[NSLOTS];
	int callsite; /* insn of the call that made this frame; -1 main */
	int subprog;  /* index of the function */
	int callback; /* entered as a helper's callback: the helper's id
		       * (BPFTK_FUNC_loop); 0 for a bpf-to-bpf call */
	int depth;    /* bytes of stack used so far */
	/* the bpf_loop calls of this frame: a number given when the walk
	 * arrives at one from the code before it, kept while the callback's
	 * returns come back to it, so those rounds know each other */
	uint32_t loop_inst;
	/* stack liveness, one bit per slot: in the walking state, slots
	 * wholly written since the last checkpoint; in a checkpoint, those
	 * written between its parent and it (written), and those that some
	 * path below it read before writing them (read) */
	uint32_t inv; /* this invocation of the function (unique) */
	uint64_t written, read;
};

#define MAX_REFS 16

struct vstate {
	struct frame *frames[BPFTK_MAX_CALL_DEPTH];
	int nframes;
	uint32_t refs[MAX_REFS]; /* acquired, not yet released */
	int ref_insn[MAX_REFS];
	int nrefs;
	int lock_map;	  /* map of the held spin lock, -1 none */
	uint32_t lock_id; /* id of the map value pointer it was taken on */
	int32_t hist;	  /* index of the last branch decision, -1 none */
	/* the walk is back at a bpf_loop call from its callback's exit (for
	 * the next visit of that call only) */
	int reentry;
	/* for pruning */
	struct vstate *parent; /* nearest checkpoint on this path */
	int branches;	       /* open paths below this checkpoint */
	int pc;
	uint32_t hits, misses; /* of a checkpoint, for eviction */
};

struct subprog {
	int start, end; /* [start, end) */
	int max_depth;	/* bytes of stack, rounded up to 8 */
};

struct hist {
	int pc;
	int taken; /* 0, 1: a branch; 2, 3: bpf_loop into its callback, out */
	int32_t prev;
};

struct visited {
	struct vstate **v;
	int n, cap;
};

struct env {
	const struct bpftk_insn *insns;
	int n;
	struct bpftk_verify_opts o;
	const struct bpftk_progtype *pt;
	struct bpftk_diags *d;
	const char *name;
	/* static facts */
	struct subprog *subs;
	int nsubs;
	uint8_t *prune; /* insn is a join point */
	uint8_t *base_kind; /* memory insns: 1 context, 2 other pointer */
	uint16_t *live;	    /* registers that may be read from here on */
	/* walk */
	struct vstate *cur;
	struct vstate **stack; /* pending branches */
	int nstack, capstack;
	struct visited *seen; /* per insn, checkpoints */
	struct hist *hist;
	int nhist, caphist;
	uint32_t next_id;
	uint64_t processed;
	uint64_t last_store; /* e->processed when a checkpoint was stored */
	uint64_t nstates;    /* checkpoints stored now */
	uint32_t next_inv;   /* invocation numbers of frames */
	int err; /* first error of the walk */
	struct bpftk_verify_result *res;
	struct bpftk_buf msg; /* scratch for the message being built */
	const char *call_name; /* helper being checked, for messages */
	/* the argument whose memory is being checked (1..5, 0 none): the
	 * memory checks' messages then say whose argument it is */
	int call_arg;
};

struct bpftk_verify_result {
	struct bpftk_verify_stats stats;
	struct bpftk_verify_insn_facts *facts;
	size_t n;
};

/* state.c */
BPFTK_INTERNAL struct vstate *vf_st_new(void);
BPFTK_INTERNAL struct vstate *vf_st_copy(const struct vstate *s);
BPFTK_INTERNAL void vf_st_free(struct vstate *s);
BPFTK_INTERNAL struct frame *vf_frame_new(int callsite, int subprog);
BPFTK_INTERNAL void vf_reg_mark_unknown(struct reg *r);
BPFTK_INTERNAL void vf_reg_mark_const(struct reg *r, uint64_t v);
BPFTK_INTERNAL void vf_reg_mark_not_init(struct reg *r);
/* old covers cur: every execution from cur is one from old.  live[i]
 * (NULL: all) says which registers of frame i matter; with use_read,
 * only the stack slots old's finished walk read are compared. */
BPFTK_INTERNAL int vf_st_covers(const struct vstate *old,
				const struct vstate *cur, const uint16_t *live,
				int use_read);
BPFTK_INTERNAL int vf_st_equal(const struct vstate *a, const struct vstate *b,
			    const uint16_t *live);
/* Makes cur cover old where both hold numbers (registers, spilled
 * scalars, data bytes of stack slots) that old does not cover: those
 * become unknown.  Frames must match (same count and calls). */
BPFTK_INTERNAL void vf_st_widen(const struct vstate *old, struct vstate *cur);

/* liveness.c: fills e->live */
BPFTK_INTERNAL int vf_compute_liveness(struct env *e);
/* Stack slots `bits` of frame fi are read (or wholly written) by the
 * current state: recorded on the checkpoints above it. */
BPFTK_INTERNAL void vf_stack_read(struct env *e, int fi, uint64_t bits);
BPFTK_INTERNAL void vf_stack_written(struct env *e, int fi, uint64_t bits);

/* log.c */
BPFTK_INTERNAL const char *vf_vtype_name(int t);
BPFTK_INTERNAL void vf_log_reg(struct bpftk_buf *b, const struct reg *r);
BPFTK_INTERNAL void vf_log_state(struct env *e, int pc);
BPFTK_INTERNAL int vf_reject(struct env *e, int pc, int err, const char *fmt,
			  ...) BPFTK_PRINTF(4, 5);
BPFTK_INTERNAL int vf_internal_error(struct env *e, int pc, const char *what);
/* "r2 = packet pointer (offset 0, range 0)" into e->msg-style buffers */
BPFTK_INTERNAL void vf_describe_reg(struct bpftk_buf *b, int regno,
				 const struct reg *r);

/* vf_check_alu.c */
BPFTK_INTERNAL int vf_check_alu(struct env *e, int pc);
/* check_jmp: conditional jumps; *next gets the fall-through state decision */
BPFTK_INTERNAL int vf_check_cond_jmp(struct env *e, int pc, int *next_pc);

/* vf_check_mem.c */
BPFTK_INTERNAL int vf_check_mem(struct env *e, int pc);
/* Checks `size` bytes at r + off (read or write) for helper arguments;
 * size_reg (may be NULL) gives a variable size. */
BPFTK_INTERNAL int vf_check_mem_region(struct env *e, int pc, int regno,
				    const struct reg *r, int32_t off,
				    uint64_t size, int write, int zero_ok);
BPFTK_INTERNAL struct frame *vf_cur_frame(struct env *e);

/* vf_check_call.c */
BPFTK_INTERNAL int vf_check_call(struct env *e, int pc, int *next_pc);
BPFTK_INTERNAL int vf_check_exit(struct env *e, int pc, int *next_pc,
			      int *done);
BPFTK_INTERNAL int vf_find_subprog(const struct env *e, int pc);
/* insn pc calls a helper that calls back into the program (bpf_loop) */
BPFTK_INTERNAL int vf_is_callback_call(const struct env *e, int pc);

/* embed_helpers.c: the descriptor of helper id (bpftk's table, then the
 * embedder's), or NULL; whether the program's type may call it */
BPFTK_INTERNAL const struct bpftk_helper *vf_helper(const struct env *e,
						    uint32_t id);
BPFTK_INTERNAL int vf_helper_allowed(const struct env *e,
				     const struct bpftk_helper *h);

/* check_ref.c */
BPFTK_INTERNAL int vf_ref_acquire(struct env *e, int pc, uint32_t *id);
BPFTK_INTERNAL int vf_ref_release(struct env *e, int pc, uint32_t id);
BPFTK_INTERNAL int vf_ref_check_exit(struct env *e, int pc);
BPFTK_INTERNAL void vf_invalidate_pkt(struct env *e);

/* verifier.c: the walk's bookkeeping */
BPFTK_INTERNAL uint32_t vf_new_id(struct env *e);
/* A copy of the current state queued to continue at pc (NULL: -ENOMEM,
 * already reported). */
BPFTK_INTERNAL struct vstate *vf_push_branch(struct env *e, int pc);
/* Records a branch decision in the path of st. */
BPFTK_INTERNAL void vf_hist_add(struct env *e, struct vstate *st, int pc,
			     int taken);
/* Every register and spilled register of st, for passes over all. */
BPFTK_INTERNAL void vf_st_for_each_reg(struct vstate *st,
				    void (*fn)(struct reg *r, void *arg),
				    void *arg);

#endif
