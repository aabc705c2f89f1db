/* opt_int.h — the classic BPF optimizer's intermediate form, shared by its
 * passes (opt.c drives them; one pass per file) and by nothing else.
 *
 * A program is a DAG of basic blocks.  Block 0 is the entry; every edge goes
 * from a lower to a higher block index (classic jumps only go forward), so
 * walking the array in order visits predecessors first and walking it
 * backwards visits successors first.  Passes keep that order: they redirect
 * edges only to blocks already reachable from the old target, and merge a
 * block only into a later identical one.
 *
 * Registers are numbered for bit sets: A = 0, X = 1, M[i] = 2 + i.
 */
#ifndef BPFTK_CBPF_OPT_INT_H
#define BPFTK_CBPF_OPT_INT_H

#include <bpftk/cbpf.h>
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/util_int.h"

#define OPT_NREG 18
#define OPT_RA 0
#define OPT_RX 1
#define OPT_RM(i) (2 + (i))

/* A straight-line instruction (no jump, no return).  safe: set by value
 * numbering when the instruction cannot end the program early (a load known
 * to be inside the packet, a division by a known non-zero). */
struct opt_stmt {
	uint16_t code;
	uint8_t safe;
	uint32_t k;
};

enum opt_term {
	OPT_T_RET,  /* code/k: the return instruction */
	OPT_T_GOTO, /* unconditional, to jt */
	OPT_T_COND, /* code/k: the conditional jump; jt, jf */
};

struct opt_block {
	struct opt_stmt *s;
	size_t ns, cap;
	enum opt_term term;
	uint16_t code;
	uint32_t k;
	size_t jt, jf;
	int live;	   /* reachable from block 0 */
	size_t npred;
	uint32_t livein;   /* registers read before written (opt_dce) */
	size_t thr_t, thr_f; /* new edge targets found by opt_vn, or 0 */
};

/* A round of value numbering either rewrites instructions or finds edges
 * to redirect, never both: a redirection is justified by the liveness at
 * the start of the round, which a rewrite in the same round may grow (a
 * deleted redundant load makes A live; `ldx M[i]` becomes `tax` when A
 * holds the value).  Redirections found in one round are applied together,
 * so they must not grow liveness either: only those that skip registers
 * dead at the new target, or else a single one. */
enum opt_mode {
	OPT_REWRITE, /* simplify instructions, decide jumps */
	OPT_THREAD,  /* only find edges that can skip a block */
};

struct opt_vnmem; /* opt_vn's working memory, kept across rounds */

struct opt {
	struct opt_block *b;
	size_t nb;
	enum bpftk_cbpf_flavor flavor;
	int changed; /* set by a pass that changed the program */
	enum opt_mode mode; /* what this round of opt_vn may do */
	int ant_removed;    /* opt_dce removed a load this round because a
			     * later one checks the bounds: safe flags set
			     * before may rest on it */
	struct opt_vnmem *vm;
};

/* opt_cfg.c: blocks from instructions (the program is structurally
 * checked: -EINVAL with a diagnostic naming the instruction), reachability
 * and predecessor counts, and freeing. */
int bpftk_opt_build(struct opt *o, const struct bpftk_cbpf_insn *prog,
		    size_t n, struct bpftk_diags *d);
void bpftk_opt_reach(struct opt *o);
void bpftk_opt_release(struct opt *o);
/* Registers an instruction reads and writes, and whether it may end the
 * program with 0 (a packet load, a division by X). */
void bpftk_opt_uses(uint16_t code, uint32_t k, uint32_t *use, uint32_t *def,
		    int *may_fault);

/* opt_vn.c: value numbering of A, X and M[] along the DAG with facts known
 * on each edge; rewrites instructions whose value is already present or
 * constant, decides conditional jumps, records edges that can skip a block
 * (thr_t/thr_f).  Returns 0 or -ENOMEM. */
int bpftk_opt_vn(struct opt *o);
void bpftk_opt_vn_free(struct opt *o);

/* opt_dce.c: liveness (fills livein), removal of instructions whose result
 * is never read, and of whole regions whose every return is the same. */
void bpftk_opt_dce(struct opt *o);
/* Only the liveness part (nothing changes). */
void bpftk_opt_live(struct opt *o);

/* opt_peep.c: folds a block's last ALU instruction into its jump when
 * A is dead after it (needs opt_dce's liveness). */
void bpftk_opt_peep(struct opt *o);

/* opt_jump.c: applies the edge redirections of opt_vn, forwards edges
 * through empty blocks, turns jumps with equal targets into gotos, merges
 * identical blocks.  Returns 0 or -ENOMEM. */
int bpftk_opt_jump(struct opt *o);

/* opt_xmerge.c: a region equal to a later one but for absolute loads
 * where the later one has indexed loads at a constant distance becomes
 * `ldx #distance` and a goto (needs opt_dce's liveness and opt_reach's
 * predecessor counts).  Returns 0, or -1 when out of memory. */
int bpftk_opt_xmerge(struct opt *o);

/* opt_emit.c: lays the live blocks out in order, with `ja` where a goto
 * cannot fall through or a conditional target is more than 255 away.
 * *out is allocated with bpftk_malloc. Returns 0 or -ENOMEM. */
int bpftk_opt_emit(struct opt *o, struct bpftk_cbpf_insn **out, size_t *n);

#endif
