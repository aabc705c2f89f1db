/* cbpf_validate.c — the rules a classic program must meet before it runs,
 * per flavour:
 *  - PCAP: libpcap 1.10 bpf_validate() restricted to the opcodes its
 *    bpf_filter() implements (it aborts on the others): scratch indices
 *    < 16, no division by constant 0, jumps inside the program, ends with
 *    a return.  No length limit and no initialisation rule for M[].  A ja
 *    may go backward (k taken as signed, as libpcap does for the loops of
 *    "ip6 protochain"), so PCAP programs can loop; the interpreter bounds
 *    that (BPFTK_CBPF_MAX_BACKJUMPS).
 *  - SOCKET: Linux bpf_check_classic(): 1..4096 instructions, its opcode
 *    list, shifts by constant < 32, ancillary offsets it knows, and
 *    check_load_and_stores() (M[k] read only after a store on every path).
 *  - SECCOMP: Linux seccomp_check_filter() (fewer opcodes; absolute loads
 *    only of aligned words inside struct seccomp_data) and then the SOCKET
 *    rules, as the kernel applies both.
 * Every violation is reported with its instruction index; validation goes
 * on after the first so one run lists all problems. */
#include <errno.h>

#include "cbpf_int.h"

static const char *const flavor_names[] = {"pcap", "socket", "seccomp"};

static int bad(struct bpftk_diags *d, size_t pc, int *err, const char *msg,
	       long v)
{
	bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, (long)pc, msg, v);
	*err = -EINVAL;
	return 0;
}

static void check_insn(const struct bpftk_cbpf_insn *prog, size_t n,
		       size_t pc, enum bpftk_cbpf_flavor flavor,
		       struct bpftk_diags *d, int *err)
{
	const struct bpftk_cbpf_insn *in = &prog[pc];
	const struct cbpf_row *r = cbpf_row(cbpf_lookup(in->code));
	unsigned f;

	if (!r || !((r->info.flavors >> flavor) & 1)) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, (long)pc,
				"opcode 0x%02x is not valid in %s filters",
				in->code, flavor_names[flavor]);
		*err = -EINVAL;
		return;
	}
	f = r->info.flags;
	if ((f & (BPFTK_CBPF_F_RM | BPFTK_CBPF_F_WM)) &&
	    in->k >= BPFTK_CBPF_MEMWORDS)
		bad(d, pc, err, "scratch memory index %ld out of range 0..15",
		    (long)in->k);
	if ((f & BPFTK_CBPF_F_KNZ) && in->k == 0)
		bad(d, pc, err, "division by constant %ld", 0l);
	if ((f & BPFTK_CBPF_F_SHK) && in->k >= 32 &&
	    flavor != BPFTK_CBPF_PCAP)
		bad(d, pc, err, "shift by %ld (Linux allows 0..31)",
		    (long)in->k);
	/* libpcap computes the ja target in 32 bits and its bpf_filter()
	 * adds k sign-extended: "ip6 protochain" loops with backward ja */
	if ((f & BPFTK_CBPF_F_JMP) &&
	    (flavor == BPFTK_CBPF_PCAP ? (uint32_t)(pc + 1 + in->k) >= n
				       : (uint64_t)pc + 1 + in->k >= n))
		bad(d, pc, err, "ja %+ld jumps outside the program",
		    flavor == BPFTK_CBPF_PCAP ? (long)(int32_t)in->k
					      : (long)in->k);
	if ((f & BPFTK_CBPF_F_JCC) && pc + 1 + in->jt >= n)
		bad(d, pc, err, "jt +%ld jumps past the end of the program",
		    (long)in->jt);
	if ((f & BPFTK_CBPF_F_JCC) && pc + 1 + in->jf >= n)
		bad(d, pc, err, "jf +%ld jumps past the end of the program",
		    (long)in->jf);
	if (r->fmt != CBPF_FMT_ABS)
		return; /* the rest is about absolute packet loads */
	if (flavor == BPFTK_CBPF_SECCOMP &&
	    (in->k >= sizeof(struct bpftk_seccomp_data) || in->k % 4))
		bad(d, pc, err,
		    "seccomp load at offset %ld: must be a multiple of 4 "
		    "below 64 (struct seccomp_data)",
		    (long)in->k);
	if (flavor == BPFTK_CBPF_SOCKET && in->k >= BPFTK_SKF_AD_OFF &&
	    !cbpf_anc_name(in->k))
		bad(d, pc, err, "unknown ancillary load SKF_AD_OFF + %ld",
		    (long)(in->k - BPFTK_SKF_AD_OFF));
}

int cbpf_check_mem_init(const struct bpftk_cbpf_insn *prog, size_t n,
			struct bpftk_diags *d)
{
	/* One bit per word; masks[pc] = words stored on every path that
	 * jumps to pc, met with the fall-through state as control reaches
	 * it (jumps only go forward, so one pass sees every edge first). */
	uint16_t *masks = bpftk_malloc(n * sizeof(*masks));
	uint16_t valid = 0;
	int err = 0;

	if (!masks)
		return -ENOMEM;
	for (size_t pc = 0; pc < n; pc++)
		masks[pc] = 0xffff;
	for (size_t pc = 0; pc < n && !err; pc++) {
		const struct bpftk_cbpf_insn *in = &prog[pc];
		const struct cbpf_row *r = cbpf_row(cbpf_lookup(in->code));
		unsigned f = r ? r->info.flags : 0;

		valid &= masks[pc];
		if (f & BPFTK_CBPF_F_WM) {
			valid |= (uint16_t)(1u << (in->k & 15));
		} else if (f & BPFTK_CBPF_F_RM) {
			if (!(valid & (1u << (in->k & 15)))) {
				bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0,
						NULL, (long)pc,
						"M[%u] is read before it is "
						"stored on some path",
						(unsigned)in->k);
				err = -EINVAL;
			}
		} else if (f & BPFTK_CBPF_F_JMP) {
			/* (a backward PCAP ja: loops are not analysed) */
			if ((uint64_t)pc + 1 + in->k >= n) {
				err = -EINVAL;
				break;
			}
			masks[pc + 1 + in->k] &= valid;
			valid = 0xffff;
		} else if (f & BPFTK_CBPF_F_JCC) {
			masks[pc + 1 + in->jt] &= valid;
			masks[pc + 1 + in->jf] &= valid;
			valid = 0xffff;
		}
	}
	bpftk_free(masks);
	return err;
}

int bpftk_cbpf_validate(const struct bpftk_cbpf_insn *prog, size_t n,
			enum bpftk_cbpf_flavor flavor, struct bpftk_diags *d)
{
	int err = 0;

	if ((unsigned)flavor > BPFTK_CBPF_SECCOMP) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"unknown classic BPF flavour %d", (int)flavor);
		return -EINVAL;
	}
	if (n == 0 || (!prog && n)) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"empty program");
		return -EINVAL;
	}
	if (flavor != BPFTK_CBPF_PCAP && n > BPFTK_CBPF_MAXINSNS) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"%zu instructions (Linux allows at most %d)",
				n, BPFTK_CBPF_MAXINSNS);
		return -EINVAL;
	}
	for (size_t pc = 0; pc < n; pc++)
		check_insn(prog, n, pc, flavor, d, &err);
	{
		const struct bpftk_cbpf_opinfo *last =
			bpftk_cbpf_info(prog[n - 1].code);
		if (!last || !(last->flags & BPFTK_CBPF_F_RET))
			bad(d, n - 1, &err,
			    "the program must end with a return (ret), not "
			    "code 0x%02lx",
			    (long)prog[n - 1].code);
	}
	if (!err && flavor != BPFTK_CBPF_PCAP)
		err = cbpf_check_mem_init(prog, n, d);
	return err;
}
