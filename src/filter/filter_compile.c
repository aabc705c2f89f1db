/* filter_compile.c — the public entry points of the filter compiler; the
 * driver reads as the pipeline: link-layer setup, tokenize, parse (which
 * builds the condition tree), lay out the classic program, optionally
 * optimize.  One arena per compile, freed at the single exit.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <pcap/pcap.h>

#include "filter_int.h"

int bpftk_filter_dlt_from_name(const char *name)
{
	if (!name)
		return -1;
	if (!strncasecmp(name, "DLT_", 4))
		name += 4;
	return pcap_datalink_name_to_val(name);
}

const char *bpftk_filter_dlt_name(int dlt)
{
	return pcap_datalink_val_to_name(dlt);
}

/* Runs the front end and layout into *out; everything else in the arena. */
static int compile(struct fl_state *st, int dlt,
		   struct bpftk_cbpf_insn **out, size_t *n)
{
	if (setjmp(st->fail))
		return st->err;
	if (fl_link_setup(st, dlt) < 0) {
		st->errcol = 1;
		fl_unsupported(st, "link type %s (%d) is not supported by the filter compiler",
			       fl_dlt_name(dlt), dlt);
	}
	fl_lex(st);
	struct fl_cond *root = fl_parse(st);
	struct fl_cond *prologue = st->dlt == DLT_IEEE802_11 ||
					   st->dlt == DLT_IEEE802_11_RADIO
				   ? fl_wlan_prologue(st)
				   : NULL;
	return fl_emit_program(st, prologue, root, out, n);
}

int bpftk_filter_compile(const char *expr, int dlt, uint32_t snaplen,
			 uint32_t netmask, unsigned flags,
			 struct bpftk_cbpf_insn **out, size_t *n,
			 struct bpftk_diags *d)
{
	struct fl_state *st;
	int err;

	if (!expr || !out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	st = bpftk_calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->diags = d;
	st->src = expr;
	st->snaplen = snaplen;
	st->netmask = netmask;
	st->optimize = !!(flags & BPFTK_FILTER_OPTIMIZE);
	st->live = !!(flags & BPFTK_FILTER_LIVE);
	err = compile(st, dlt, out, n);
	fl_arena_free(&st->arena);
	bpftk_free(st);
	if (!err && (flags & BPFTK_FILTER_OPTIMIZE)) {
		size_t before = *n;

		err = bpftk_cbpf_optimize(out, n, BPFTK_CBPF_PCAP, NULL);
		if (err == -ENOMEM) {
			bpftk_free(*out);
			*out = NULL;
			*n = 0;
		} else if (err) {
			/* (the optimizer takes at most BPFTK_CBPF_MAXINSNS) */
			err = bpftk_diags_add(d, BPFTK_SEV_WARNING, "expr", 1, 1,
					      NULL, -1,
					      "program of %zu instructions left unoptimized",
					      before);
			if (err) {
				bpftk_free(*out);
				*out = NULL;
				*n = 0;
			}
		}
	}
	return err;
}

int bpftk_filter_compile_ebpf(const char *expr, int dlt, uint32_t snaplen,
			      uint32_t netmask, unsigned flags,
			      enum bpftk_filter_ebpf_kind kind,
			      struct bpftk_insn **out, size_t *n,
			      struct bpftk_diags *d)
{
	struct bpftk_cbpf_insn *prog;
	size_t np;
	int err;

	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	err = bpftk_filter_compile(expr, dlt, snaplen, netmask, flags, &prog,
				   &np, d);
	if (err)
		return err;
	err = fl_ebpf_from_cbpf(prog, np, kind, out, n, d);
	bpftk_free(prog);
	return err;
}
