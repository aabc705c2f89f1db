/* opt.c — bpftk_cbpf_optimize: the classic BPF optimizer's pipeline.
 *
 * Blocks are built once; then value numbering (which rewrites and decides
 * jumps), dead code removal and edge work repeat until nothing changes
 * (each round only removes instructions or edges, so it settles; the round
 * limit is a backstop).  The result replaces the program only when it is
 * not longer, so the caller's buffer is never reallocated, and only when
 * it passes the flavour's validator: Linux checks scratch-memory
 * initialisation in one linear scan in which a return does not end what
 * the instructions before it proved, so a program equivalent on every
 * path can still be refused once its blocks are laid out anew.
 */
#include <errno.h>
#include <string.h>

#include "opt_int.h"

#define MAX_ROUNDS 1000

int bpftk_cbpf_optimize(struct bpftk_cbpf_insn **prog, size_t *n,
			enum bpftk_cbpf_flavor flavor, struct bpftk_diags *d)
{
	if (!prog || !*prog || !n)
		return -EINVAL;
	struct opt o;
	memset(&o, 0, sizeof(o));
	o.flavor = flavor;
	struct bpftk_cbpf_insn *out = NULL;
	size_t nout = 0;
	int err = bpftk_opt_build(&o, *prog, *n, d);
	if (err)
		goto done;
	bpftk_opt_reach(&o);
	bpftk_opt_dce(&o);
	/* rewrite and redirect rounds in turn until neither changes
	 * anything */
	int idle = 0; /* rounds in a row that changed nothing */
	int xmerged = 0;
	o.mode = OPT_REWRITE;
	for (int round = 0; round < MAX_ROUNDS && idle < 2; round++) {
		o.changed = 0;
		o.ant_removed = 0;
		bpftk_opt_reach(&o);
		err = bpftk_opt_vn(&o);
		if (err)
			goto done;
		/* not with redirections: those may rest on a load being safe
		 * thanks to another that dead code removal would drop as
		 * covered by the very load the redirection skips */
		if (o.mode == OPT_REWRITE)
			bpftk_opt_dce(&o);
		bpftk_opt_peep(&o);
		err = bpftk_opt_jump(&o);
		if (err)
			goto done;
		idle = o.changed ? 0 : idle + 1;
		o.mode = o.mode == OPT_REWRITE ? OPT_THREAD : OPT_REWRITE;
		if (idle == 2 && !xmerged) {
			/* settled: now regions that differ by an index */
			xmerged = 1;
			bpftk_opt_reach(&o);
			bpftk_opt_live(&o);
			if (bpftk_opt_xmerge(&o) < 0) {
				err = -ENOMEM;
				goto done;
			}
			if (o.changed) {
				idle = 0;
				o.mode = OPT_REWRITE;
			}
		}
	}
	bpftk_opt_reach(&o);
	err = bpftk_opt_emit(&o, &out, &nout);
	if (err)
		goto done;
	if (nout > *n)
		goto done;
	err = bpftk_cbpf_validate(out, nout, flavor, NULL);
	if (err == 0) {
		memcpy(*prog, out, nout * sizeof(*out));
		*n = nout;
	} else if (err == -EINVAL) {
		err = 0; /* keep the program as it came */
	}
done:
	bpftk_free(out);
	bpftk_opt_release(&o);
	return err;
}
