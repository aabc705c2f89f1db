/* obj_reloc.c — relocations inside functions: what each lddw and call
 * refers to.
 *
 * For every relocation of a code section that falls in a function (as
 * libbpf's bpf_program__record_reloc decides it):
 *   call (src 1)       a function: target slot = symbol offset / 8 +
 *                      imm + 1 (global functions have imm -1; static ones
 *                      are reached through the section symbol and imm);
 *   lddw of code       a function pointer: target = (symbol offset + imm)
 *                      / 8, becomes src = BPFTK_PSEUDO_FUNC;
 *   lddw of a map      src = BPFTK_PSEUDO_MAP_IDX, imm = map index;
 *   lddw of data       src = BPFTK_PSEUDO_MAP_IDX_VALUE, imm = map index,
 *                      next imm = imm + symbol offset (the offset inside
 *                      the value; kconfig externs: their offset);
 * anything else (undefined symbols, special sections, sections that are
 * neither code, maps nor data, relocations on other instructions) is an
 * error naming the program, instruction, symbol and section.  RELA addends
 * are added to the symbol offset (clang emits REL; gcc's RELA objects
 * carry the addend there instead of in imm).
 *
 * Calls without relocations (src 1, within one section) are pc-relative:
 * target = slot + imm + 1 in the caller's section.  Each call is recorded
 * as (target function, offset in it) for the link phase.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "obj_int.h"

#define OP_CALL 0x85 /* BPF_JMP | BPF_CALL */
#define OP_LDDW 0x18 /* BPF_LD | BPF_IMM | BPF_DW */

struct rctx {
	struct obj_ctx *c;
	struct obj_func *f;
	size_t fi;
	const char *sec; /* the function's section name */
	uint8_t *done;	 /* slots with a relocation */
};

/* An error at slot `at` of the function being relocated, naming the
 * function (as the program), and the section and slot llvm-objdump would
 * show. */
static void rerr(struct rctx *x, size_t at, const char *fmt, ...)
	BPFTK_PRINTF(3, 4);
static void rerr(struct rctx *x, size_t at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	obj_err(x->c, x->f->name, (long)at, "%s [section '%s', instruction %zu]",
		msg, x->sec, x->f->off + at);
}

/* The function containing slot `slot` of section sec, or -1. */
static long func_at(const struct bpftk_object *o, size_t sec, size_t slot)
{
	size_t lo = 0, hi = o->nfuncs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct obj_func *f = &o->funcs[mid];
		if (f->sec < sec || (f->sec == sec && f->off + f->n <= slot))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < o->nfuncs && o->funcs[lo].sec == sec &&
	    o->funcs[lo].off <= slot && slot < o->funcs[lo].off + o->funcs[lo].n)
		return (long)lo;
	return -1;
}

static int add_call(struct rctx *x, size_t at, size_t sec, int64_t slot,
		    const char *what)
{
	struct bpftk_object *o = x->c->o;
	long t = slot >= 0 ? func_at(o, sec, (size_t)slot) : -1;
	if (t < 0) {
		rerr(x, at, "%s target (instruction %" PRId64 " of section '%s') "
			"is not inside a function",
			what, slot, obj_sec_name(o, sec));
		return 0;
	}
	struct obj_func *f = x->f;
	if (f->ncalls == f->cap_calls) {
		size_t cap = f->cap_calls ? f->cap_calls * 2 : 4;
		struct obj_call *v =
			bpftk_realloc(f->calls, cap * sizeof(*v));
		if (!v)
			return obj_nomem(x->c);
		f->calls = v;
		f->cap_calls = cap;
	}
	struct obj_call *v = f->calls;
	v[f->ncalls].at = at;
	v[f->ncalls].func = (size_t)t;
	v[f->ncalls].off = (size_t)slot - o->funcs[t].off;
	f->ncalls++;
	return 0;
}

/* Map whose definition starts at off of a map section. */
static long map_def_at(const struct bpftk_object *o, size_t sec,
		       uint64_t off)
{
	for (size_t i = 0; i < o->nmaps; i++)
		if (o->maps[i].sec == sec && o->maps[i].sec_off == off &&
		    (o->maps[i].kind == BPFTK_OBJ_MAP_LEGACY ||
		     o->maps[i].kind == BPFTK_OBJ_MAP_BTF))
			return (long)i;
	return -1;
}

static long kcfg_off(const struct bpftk_object *o, const char *name)
{
	for (size_t i = 0; i < o->nkcfg; i++)
		if (!strcmp(o->kcfg[i].name, name))
			return (long)o->kcfg[i].off;
	return -1;
}

static void set_value_ref(struct rctx *x, size_t at, long map, int64_t off,
			  const char *sym)
{
	struct bpftk_insn *in = &x->f->insns[at];
	const struct bpftk_object_map *m = &x->c->o->maps[map];
	if (off < 0 || off > (int64_t)m->value_size) {
		rerr(x, at, "reference to '%s' at offset %" PRId64
			" lies outside map '%s' (%u bytes)",
			sym, off, m->name, m->value_size);
		return;
	}
	in[0].src = BPFTK_PSEUDO_MAP_IDX_VALUE;
	in[0].imm = (int32_t)map;
	in[1].imm = (int32_t)off;
}

/* lddw with a relocation. */
static int reloc_lddw(struct rctx *x, size_t at, const struct bpftk_elf_sym *s,
		      int64_t addend)
{
	struct obj_ctx *c = x->c;
	struct bpftk_object *o = c->o;
	const char *sn = obj_sym_name(o, s);
	struct bpftk_insn *in = &x->f->insns[at];
	if (at + 1 >= x->f->n) {
		rerr(x, at, "64-bit load relocated against '%s' has no second "
			"slot in its function", sn);
		return 0;
	}
	if (s->shndx == 0) {
		long k = kcfg_off(o, s->name);
		if (k >= 0 && o->kcfg_map >= 0) {
			set_value_ref(x, at, o->kcfg_map, k + in[0].imm + addend,
				      sn);
			return 0;
		}
		rerr(x, at, "relocation against undefined symbol '%s' (an extern "
			"variable needs linking or a kernel)", sn);
		return 0;
	}
	if (s->shndx >= o->nsecs) {
		rerr(x, at, "relocation against '%s' in special section 0x%x "
			"(an uninitialised global variable? compile with "
			"-fno-common)", sn, s->shndx);
		return 0;
	}
	enum sec_kind k = o->sec_kind[s->shndx];
	const char *ts = obj_sec_name(o, s->shndx);
	int64_t off = (int64_t)s->value + addend;
	if (k == SEC_CODE) {
		if (s->type != BPFTK_STT_FUNC && s->type != BPFTK_STT_SECTION) {
			rerr(x, at, 	"function pointer to '%s' in section '%s' is "
				"not a function symbol", sn, ts);
			return 0;
		}
		off += in[0].imm;
		if (off % 8) {
			rerr(x, at, 	"function pointer to '%s' at offset %" PRId64
				" of section '%s' is not on an instruction",
				sn, off, ts);
			return 0;
		}
		in[0].src = BPFTK_PSEUDO_FUNC;
		in[0].imm = 0;
		in[1].imm = 0;
		return add_call(x, at, s->shndx, off / 8, "function pointer");
	}
	if (k == SEC_LEGACY_MAPS || k == SEC_BTF_MAPS) {
		if (s->type == BPFTK_STT_SECTION)
			off += in[0].imm;
		long m = map_def_at(o, s->shndx, (uint64_t)off);
		if (m < 0) {
			rerr(x, at, 	"relocation against '%s': no map starts at "
				"offset %" PRId64 " of section '%s'",
				sn, off, ts);
			return 0;
		}
		in[0].src = BPFTK_PSEUDO_MAP_IDX;
		in[0].imm = (int32_t)m;
		in[1].imm = 0;
		return 0;
	}
	if (k == SEC_DATA) {
		set_value_ref(x, at, o->sec_map[s->shndx], off + in[0].imm, sn);
		return 0;
	}
	rerr(x, at,
		"relocation against '%s' in section '%s', which is neither "
		"code, a map nor global data", sn, ts);
	return 0;
}

static int reloc_one(struct rctx *x, const struct bpftk_elf_rel *r)
{
	struct obj_ctx *c = x->c;
	struct bpftk_object *o = c->o;
	size_t at = (size_t)(r->offset / 8) - x->f->off;
	struct bpftk_elf_sym s;
	bpftk_elf_symbol(o->elf, r->sym, &s);
	const char *sn = obj_sym_name(o, &s);
	struct bpftk_insn *in = &x->f->insns[at];
	x->done[at] = 1;
	if (in->code == OP_LDDW)
		return reloc_lddw(x, at, &s, r->addend);
	if (in->code != OP_CALL) {
		rerr(x, at, "relocation against '%s' on an instruction that is "
			"neither a call nor a 64-bit load (opcode 0x%02x)",
			sn, in->code);
		return 0;
	}
	if (s.shndx == 0) {
		rerr(x, at, "call to undefined function '%s' (an extern function "
			"needs linking)", sn);
		return 0;
	}
	if (in->src != BPFTK_CALL_LOCAL) {
		rerr(x, at, "relocation against '%s' on a call that is not a "
			"BPF-to-BPF call (src %u)", sn, in->src);
		return 0;
	}
	if (s.shndx >= o->nsecs || o->sec_kind[s.shndx] != SEC_CODE) {
		rerr(x, at, "call relocation against '%s' in section '%s', which "
			"holds no code", sn,
			s.shndx < o->nsecs ? obj_sec_name(o, s.shndx) : "?");
		return 0;
	}
	int64_t off = (int64_t)s.value + r->addend;
	if (off % 8) {
		rerr(x, at, "call relocation against '%s' at offset %" PRId64
			" is not on an instruction", sn, off);
		return 0;
	}
	return add_call(x, at, s.shndx, off / 8 + (int64_t)in->imm + 1, "call");
}

/* Calls and function pointers that no relocation touched: relative to
 * their own position in the section.  Map and BTF forms of lddw only make
 * sense as a relocation's result: left in the input they would pass for
 * references to this object's maps. */
static int relative_refs(struct rctx *x)
{
	struct obj_func *f = x->f;
	for (size_t i = 0; i < f->n; i++) {
		const struct bpftk_insn *in = &f->insns[i];
		int call = in->code == OP_CALL && in->src == BPFTK_CALL_LOCAL;
		int fptr = in->code == OP_LDDW && in->src == BPFTK_PSEUDO_FUNC;
		/* other src values are the ISA validator's to report */
		int pseudo = in->src >= BPFTK_PSEUDO_MAP_FD &&
			     in->src <= BPFTK_PSEUDO_MAP_IDX_VALUE;
		if (!x->done[i] && in->code == OP_LDDW && pseudo && !fptr) {
			rerr(x, i, "64-bit load of pseudo source %u without a "
				   "relocation (map and BTF references are "
				   "made by relocations)", in->src);
			continue;
		}
		if (x->done[i] || !(call || fptr))
			continue;
		int64_t t = (int64_t)(f->off + i) + 1 + in->imm;
		int err = add_call(x, i, f->sec, t,
				   call ? "call" : "function pointer");
		if (err)
			return err;
	}
	return 0;
}

static int reloc_func(struct obj_ctx *c, size_t fi, uint8_t *done)
{
	struct bpftk_object *o = c->o;
	struct obj_func *f = &o->funcs[fi];
	struct rctx x = {c, f, fi, obj_sec_name(o, f->sec), done};
	memset(done, 0, f->n);
	size_t n = bpftk_elf_reloc_count(o->elf, f->sec);
	for (size_t k = 0; k < n; k++) {
		struct bpftk_elf_rel r;
		bpftk_elf_reloc(o->elf, f->sec, k, &r);
		uint64_t slot = r.offset / 8;
		if (r.type == BPFTK_R_BPF_NONE || slot < f->off ||
		    slot >= f->off + f->n)
			continue;
		int err = reloc_one(&x, &r);
		if (err)
			return err;
	}
	return relative_refs(&x);
}

int obj_funcs_relocate(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	size_t most = 1;
	for (size_t i = 0; i < o->nfuncs; i++)
		if (o->funcs[i].n > most)
			most = o->funcs[i].n;
	uint8_t *done = bpftk_malloc(most);
	if (!done)
		return obj_nomem(c);
	int err = 0;
	for (size_t i = 0; i < o->nfuncs && !err; i++)
		err = reloc_func(c, i, done);
	bpftk_free(done);
	if (!err)
		err = c->errors ? -EINVAL : 0;
	return err;
}
