/* log.c — words for what the verifier found: the rejection message (the
 * instruction with its disassembly and source line, the rule, the
 * registers involved in plain words, and the branch decisions of the
 * path), and the per-instruction state log in the kernel's notation
 * (R1=ctx() R2=pkt(r=14) R10=fp0 fp-8=mmmmmmmm) for -v.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bpftk/disasm.h>

#include "verifier_int.h"

#define PATH_MAX_SHOWN 12

const char *vf_vtype_name(int t)
{
	static const char *const n[] = {
		[T_NOT_INIT] = "unset register", [T_SCALAR] = "scalar",
		[T_CTX] = "context pointer",	 [T_STACK] = "stack pointer",
		[T_MAP_PTR] = "map",		 [T_MAP_VALUE] = "map value pointer",
		[T_PKT] = "packet pointer",	 [T_PKT_END] = "packet end pointer",
		[T_PKT_META] = "packet metadata pointer",
		[T_MEM] = "memory pointer",	 [T_FUNC] = "function pointer",
	};
	return t >= 0 && t <= T_FUNC ? n[t] : "?";
}

static void range_words(struct bpftk_buf *b, const struct scalar *v)
{
	const struct bounds *x = &v->b64;
	if (vbnd_is_const(x)) {
		bpftk_buf_printf(b, "%lld", (long long)x->smin);
		return;
	}
	if (x->smin >= 0 || x->umax <= (uint64_t)INT64_MAX)
		bpftk_buf_printf(b, "in [%" PRIu64 ", %" PRIu64 "]", x->umin,
				 x->umax);
	else
		bpftk_buf_printf(b, "in [%lld, %lld]", (long long)x->smin,
				 (long long)x->smax);
	if (x->t.mask != ~0ULL && !(x->umax == x->t.mask && x->umin == 0))
		bpftk_buf_printf(b, ", bits 0x%" PRIx64 " unknown",
				 x->t.mask);
}

void vf_describe_reg(struct bpftk_buf *b, int regno, const struct reg *r)
{
	if (regno >= 0)
		bpftk_buf_printf(b, "r%d = ", regno);
	switch (r->type) {
	case T_NOT_INIT:
		bpftk_buf_printf(b, "never written");
		return;
	case T_SCALAR:
		if (vbnd_is_const(&r->v.b64))
			bpftk_buf_printf(b, "the number %lld",
					 (long long)r->v.b64.smin);
		else {
			bpftk_buf_printf(b, "a number ");
			range_words(b, &r->v);
		}
		return;
	default:
		break;
	}
	bpftk_buf_printf(b, "%s%s", vf_vtype_name(r->type),
			 r->maybe_null ? " or NULL" : "");
	bpftk_buf_printf(b, " (offset %d", r->off);
	if (!vbnd_is_const(&r->v.b64) || r->v.b64.umin) {
		bpftk_buf_printf(b, " + a variable ");
		range_words(b, &r->v);
	}
	if (r->type == T_PKT || r->type == T_PKT_META)
		bpftk_buf_printf(b, ", range %u", r->range);
	if (r->type == T_MEM)
		bpftk_buf_printf(b, ", size %u", r->range);
	if (r->type == T_MAP_VALUE || r->type == T_MAP_PTR)
		bpftk_buf_printf(b, ", map %d", r->map);
	if (r->type == T_STACK && r->frame)
		bpftk_buf_printf(b, ", frame %d", r->frame);
	bpftk_buf_printf(b, ")");
}

/* Kernel notation of one register. */
void vf_log_reg(struct bpftk_buf *b, const struct reg *r)
{
	const struct bounds *x = &r->v.b64;
	switch (r->type) {
	case T_SCALAR:
		if (vbnd_is_const(x)) {
			bpftk_buf_printf(b, "%lld", (long long)x->smin);
			return;
		}
		bpftk_buf_printf(b, "scalar(");
		if (x->smin != INT64_MIN || x->smax != INT64_MAX)
			bpftk_buf_printf(b, "smin=%lld,smax=%lld,",
					 (long long)x->smin,
					 (long long)x->smax);
		if (x->umin || x->umax != UINT64_MAX)
			bpftk_buf_printf(b, "umin=%" PRIu64 ",umax=%" PRIu64
					    ",",
					 x->umin, x->umax);
		bpftk_buf_printf(b, "var_off=(0x%" PRIx64 "; 0x%" PRIx64 "))",
				 x->t.value, x->t.mask);
		return;
	case T_CTX: bpftk_buf_printf(b, "ctx("); break;
	case T_STACK:
		bpftk_buf_printf(b, "fp%d", r->off);
		return;
	case T_MAP_PTR: bpftk_buf_printf(b, "map_ptr(map=%d", r->map); break;
	case T_MAP_VALUE:
		bpftk_buf_printf(b, "map_value%s(map=%d",
				 r->maybe_null ? "_or_null" : "", r->map);
		break;
	case T_PKT: bpftk_buf_printf(b, "pkt(r=%u", r->range); break;
	case T_PKT_END: bpftk_buf_printf(b, "pkt_end("); break;
	case T_PKT_META: bpftk_buf_printf(b, "pkt_meta(r=%u", r->range); break;
	case T_MEM:
		bpftk_buf_printf(b, "mem%s(sz=%u", r->maybe_null ? "_or_null" : "",
				 r->range);
		break;
	case T_FUNC: bpftk_buf_printf(b, "func(insn=%d", r->map); break;
	default: bpftk_buf_printf(b, "?("); break;
	}
	if (r->off)
		bpftk_buf_printf(b, "%soff=%d", b->data && b->data[b->len - 1] ==
						      '(' ? "" : ",",
				 r->off);
	if (r->id)
		bpftk_buf_printf(b, ",id=%u", r->id);
	if (r->ref)
		bpftk_buf_printf(b, ",ref_obj_id=%u", r->ref);
	bpftk_buf_printf(b, ")");
}

static void insn_text(struct env *e, int pc, char *buf, size_t size)
{
	if (bpftk_disasm_insn(e->insns, (size_t)e->n, (size_t)pc, NULL, buf,
			      size) <= 0)
		snprintf(buf, size, "?");
}

void vf_log_state(struct env *e, int pc)
{
	struct bpftk_buf b = {0};
	char text[128];
	struct frame *f = vf_cur_frame(e);
	insn_text(e, pc, text, sizeof(text));
	bpftk_buf_printf(&b, "%d: (%02x) %s ;", pc, e->insns[pc].code, text);
	if (e->cur->nframes > 1)
		bpftk_buf_printf(&b, " frame%d:", e->cur->nframes - 1);
	for (int r = 0; r < BPFTK_NREGS; r++) {
		if (f->regs[r].type == T_NOT_INIT)
			continue;
		bpftk_buf_printf(&b, " R%d=", r);
		vf_log_reg(&b, &f->regs[r]);
	}
	for (int s = 0; s < NSLOTS; s++) {
		const struct slot *sl = &f->slots[s];
		static const char kc[] = "?m0r";
		if (!memcmp(sl->kind, "\0\0\0\0\0\0\0\0", 8))
			continue;
		bpftk_buf_printf(&b, " fp%d=", -8 * (s + 1));
		if (sl->kind[0] == S_SPILL) {
			vf_log_reg(&b, &sl->spill);
			continue;
		}
		for (int i = 7; i >= 0; i--)
			bpftk_buf_printf(&b, "%c", kc[sl->kind[i] & 3]);
	}
	if (!b.failed && b.data)
		e->o.log(e->o.log_cookie, b.data);
	bpftk_buf_free(&b);
}

static void where(struct env *e, int pc, struct bpftk_buf *b)
{
	char text[128];
	insn_text(e, pc, text, sizeof(text));
	bpftk_buf_printf(b, "(%s)", text);
	if (e->o.prog) {
		struct bpftk_object_line l;
		if (!bpftk_object_prog_line(e->o.prog, (size_t)pc, &l) &&
		    l.file)
			bpftk_buf_printf(b, " at %s:%u", l.file, l.line);
	}
	bpftk_buf_printf(b, ": ");
}

static void path_note(struct env *e, int pc)
{
	if (!e->cur || e->cur->hist < 0)
		return;
	/* the same decision made again and again (a loop's rounds) is one
	 * entry with its count */
	int32_t idx[PATH_MAX_SHOWN];
	unsigned times[PATH_MAX_SHOWN];
	int n = 0, more = 0;
	for (int32_t h = e->cur->hist; h >= 0; h = e->hist[h].prev) {
		const struct hist *x = &e->hist[h];
		if (n && e->hist[idx[n - 1]].pc == x->pc &&
		    e->hist[idx[n - 1]].taken == x->taken) {
			times[n - 1]++;
			continue;
		}
		if (n == PATH_MAX_SHOWN) {
			more = 1;
			break;
		}
		times[n] = 1;
		idx[n++] = h;
	}
	struct bpftk_buf b = {0};
	char text[128];
	bpftk_buf_printf(&b, "path: %s", more ? "... " : "");
	for (int i = n - 1; i >= 0; i--) {
		const struct hist *h = &e->hist[idx[i]];
		insn_text(e, h->pc, text, sizeof(text));
		/* 2 and 3: the two ways out of a bpf_loop call */
		static const char *const how[] = {
			"not taken", "taken", "calls its callback",
			"ends the loop"};
		bpftk_buf_printf(&b, "insn %d (%s) %s", h->pc, text,
				 how[h->taken & 3]);
		if (times[i] > 1)
			bpftk_buf_printf(&b, " (%u times)", times[i]);
		bpftk_buf_printf(&b, "%s", i ? ", " : "");
	}
	if (!b.failed && b.data)
		bpftk_diags_add(e->d, BPFTK_SEV_NOTE, NULL, 0, 0, e->name, pc,
				"%s", b.data);
	bpftk_buf_free(&b);
}

int vf_reject(struct env *e, int pc, int err, const char *fmt, ...)
{
	struct bpftk_buf b = {0};
	char msg[1024];
	va_list ap;
	if (e->err)
		return e->err; /* the first problem is the one reported */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(e, pc, &b);
	if (e->call_arg && e->call_name)
		bpftk_buf_printf(&b, "argument %d of bpf_%s: ", e->call_arg,
				 e->call_name);
	bpftk_buf_printf(&b, "%s", msg);
	bpftk_diags_add(e->d, BPFTK_SEV_ERROR, NULL, 0, 0, e->name, pc, "%s",
			b.failed || !b.data ? msg : b.data);
	if (e->o.log)
		e->o.log(e->o.log_cookie, b.failed || !b.data ? msg : b.data);
	bpftk_buf_free(&b);
	path_note(e, pc);
	e->err = err;
	return err;
}

int vf_internal_error(struct env *e, int pc, const char *what)
{
	if (e->err)
		return e->err;
	bpftk_diags_add(e->d, BPFTK_SEV_ERROR, NULL, 0, 0, e->name, pc,
			"internal error in bpftk's verifier (not a problem "
			"of the program): %s",
			what);
	e->err = -EFAULT;
	return -EFAULT;
}
