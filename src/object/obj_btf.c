/* obj_btf.c — the object's .BTF, parsed by libbpf (btf__new), and the few
 * queries the other phases make of it.
 *
 * libbpf reports parse problems through its print callback, which prints to
 * stderr by default; the library never prints, so while btf__new runs the
 * callback is swapped for one that keeps the last message (it becomes part
 * of our diagnostic).  The callback is process-wide: a mutex serialises our
 * swaps, and messages another thread's libbpf calls emit in that window are
 * dropped.
 *
 * A .BTF that does not parse is a warning and the object opens without BTF
 * (as libbpf does), unless BTF-defined maps or kconfig externs need it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "obj_int.h"
#include "object_int.h"

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_msg[256];

static int keep_message(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	size_t n = strlen(last_msg);
	while (n && (last_msg[n - 1] == '\n' || last_msg[n - 1] == ' '))
		last_msg[--n] = '\0';
	return 0;
}

/* libbpf's helpers below may warn (btf__align_of does on kinds it cannot
 * align); they run with the silent callback too. */
long long obj_btf_size(const struct bpftk_object *o, uint32_t id)
{
	pthread_mutex_lock(&print_lock);
	libbpf_print_fn_t old = libbpf_set_print(keep_message);
	long long r = btf__resolve_size(o->btf, id);
	libbpf_set_print(old);
	pthread_mutex_unlock(&print_lock);
	return r;
}

int obj_btf_align(const struct bpftk_object *o, uint32_t id)
{
	pthread_mutex_lock(&print_lock);
	libbpf_print_fn_t old = libbpf_set_print(keep_message);
	int r = btf__align_of(o->btf, id);
	libbpf_set_print(old);
	pthread_mutex_unlock(&print_lock);
	return r;
}

/* Header of .BTF (struct btf_header): magic, version, flags, hdr_len,
 * type_off, type_len, str_off, str_len. */
static int btf_header(const struct bpftk_object *o, const uint8_t *p,
		      size_t size, uint32_t *str_len)
{
	if (size < 24)
		return -1;
	int big = o->big;
	uint16_t magic = (uint16_t)rd(p, 2, big);
	if (magic != 0xeB9F) {
		big = !big;
		if ((uint16_t)rd(p, 2, big) != 0xeB9F)
			return -1;
	}
	*str_len = (uint32_t)rd(p + 20, 4, big);
	return 0;
}

/* ---- what libbpf's helpers assume ------------------------------------------
 * btf__new checks record sizes, not references: btf__align_of dereferences
 * the types a type refers to without checking them, and follows typedefs,
 * modifiers, arrays and members recursively without a depth limit.  So
 * before any other phase uses the BTF: every referenced id must exist, and
 * the "contains" graph (typedef, modifiers, type tags, array elements,
 * members, variables, section entries — not pointers or prototypes) must
 * be acyclic and at most MAX_NEST deep. */

#define MAX_NEST 1024

/* Calls f(ctx, id) for every type t refers to, stopping at (and
 * returning) the first non-zero result; `by_value` limits it to the
 * containment edges. */
static int refs(const struct btf_type *t, int by_value,
		int (*f)(void *, uint32_t), void *ctx)
{
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_FUNC:
	case BTF_KIND_DECL_TAG:
		return by_value ? 0 : f(ctx, t->type);
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		return f(ctx, t->type);
	case BTF_KIND_ARRAY: {
		int e = f(ctx, btf_array(t)->type);
		return e ? e : by_value ? 0 : f(ctx, btf_array(t)->index_type);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = btf_members(t);
		for (unsigned i = 0; i < btf_vlen(t); i++) {
			int e = f(ctx, m[i].type);
			if (e)
				return e;
		}
		return 0;
	}
	case BTF_KIND_FUNC_PROTO: {
		if (by_value)
			return 0;
		int e = f(ctx, t->type);
		const struct btf_param *p = btf_params(t);
		for (unsigned i = 0; !e && i < btf_vlen(t); i++)
			e = f(ctx, p[i].type);
		return e;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = btf_var_secinfos(t);
		for (unsigned i = 0; i < btf_vlen(t); i++) {
			int e = f(ctx, v[i].type);
			if (e)
				return e;
		}
		return 0;
	}
	default:
		return 0;
	}
}

struct walk {
	uint32_t n;	 /* type count, void included */
	uint8_t *state;	 /* 0 new, 1 on the stack, 2 done */
	uint32_t *stack; /* ids being explored */
	uint32_t *next;	 /* per stack entry: edges already followed */
	size_t depth;
	uint32_t edge, want; /* edge counter while looking for edge `want` */
	uint32_t found;
};

static int in_range(void *ctx, uint32_t id)
{
	return id < ((struct walk *)ctx)->n ? 0 : -1;
}

/* Picks the want-th containment edge of a type. */
static int pick(void *ctx, uint32_t id)
{
	struct walk *w = ctx;
	if (w->edge++ == w->want) {
		w->found = id;
		return 1;
	}
	return 0;
}

/* Iterative depth-first search from root over containment edges. */
static const char *explore(const struct btf *b, struct walk *w, uint32_t root)
{
	w->depth = 0;
	w->stack[w->depth] = root;
	w->next[w->depth++] = 0;
	w->state[root] = 1;
	while (w->depth) {
		uint32_t id = w->stack[w->depth - 1];
		w->edge = 0;
		w->want = w->next[w->depth - 1]++;
		if (refs(btf__type_by_id(b, id), 1, pick, w) <= 0) {
			w->state[id] = 2;
			w->depth--;
			continue;
		}
		uint32_t t = w->found;
		if (t == 0 || w->state[t] == 2)
			continue;
		if (w->state[t] == 1)
			return "a type contains itself";
		if (w->depth == MAX_NEST)
			return "types nest too deeply";
		w->state[t] = 1;
		w->stack[w->depth] = t;
		w->next[w->depth++] = 0;
	}
	return NULL;
}

/* NULL when the BTF is safe for libbpf's helpers, else why not; *nomem on
 * allocation failure. */
static const char *btf_check(const struct btf *b, int *nomem)
{
	struct walk w = {0};
	w.n = btf__type_cnt(b);
	for (uint32_t id = 1; id < w.n; id++)
		if (refs(btf__type_by_id(b, id), 0, in_range, &w))
			return "a type refers to a type id that does not exist";
	w.state = bpftk_calloc(w.n, 1);
	w.stack = bpftk_calloc(MAX_NEST + 1, sizeof(uint32_t));
	w.next = bpftk_calloc(MAX_NEST + 1, sizeof(uint32_t));
	const char *why = NULL;
	if (!w.state || !w.stack || !w.next)
		*nomem = 1;
	for (uint32_t id = 1; !*nomem && !why && id < w.n; id++)
		if (!w.state[id])
			why = explore(b, &w, id);
	bpftk_free(w.state);
	bpftk_free(w.stack);
	bpftk_free(w.next);
	return why;
}

int obj_btf_load(struct obj_ctx *c)
{
	struct bpftk_object *o = c->o;
	long i = bpftk_elf_section_by_name(o->elf, ".BTF");
	struct bpftk_elf_shdr s;
	if (i < 0 || bpftk_elf_section(o->elf, (size_t)i, &s) || !s.data)
		return 0;
	pthread_mutex_lock(&print_lock);
	last_msg[0] = '\0';
	libbpf_print_fn_t old = libbpf_set_print(keep_message);
	struct btf *b = btf__new(s.data, (uint32_t)s.size);
	int err = b ? 0 : (errno ? -errno : -EINVAL);
	libbpf_set_print(old);
	char msg[sizeof(last_msg)];
	memcpy(msg, last_msg, sizeof(msg));
	pthread_mutex_unlock(&print_lock);
	uint32_t str_len = 0;
	if (s.size > UINT32_MAX)
		err = -E2BIG;
	if (err || btf_header(o, s.data, (size_t)s.size, &str_len)) {
		if (!err)
			btf__free(b);
		if (err == -ENOMEM)
			return obj_nomem(c);
		obj_warn(c, ".BTF does not parse (%s%s%s); ignored",
			 strerror(err < 0 ? -err : EINVAL), msg[0] ? ": " : "",
			 msg);
		return 0;
	}
	int nomem = 0;
	const char *why = btf_check(b, &nomem);
	if (nomem || why) {
		btf__free(b);
		if (nomem)
			return obj_nomem(c);
		obj_warn(c, ".BTF is inconsistent (%s); ignored", why);
		return 0;
	}
	o->btf = b;
	o->btf_info.present = 1;
	o->btf_info.types = btf__type_cnt(b) - 1;
	o->btf_info.str_size = str_len;
	o->btf_info.size = (size_t)s.size;
	return 0;
}

void obj_btf_free(struct bpftk_object *o)
{
	btf__free(o->btf);
	o->btf = NULL;
}

uint32_t obj_btf_datasec(const struct bpftk_object *o, const char *name)
{
	if (!o->btf)
		return 0;
	int id = btf__find_by_name_kind(o->btf, name, BTF_KIND_DATASEC);
	return id > 0 ? (uint32_t)id : 0;
}

int obj_btf_datasec_has_global(const struct bpftk_object *o, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(o->btf, id);
	if (!t || !btf_is_datasec(t))
		return 0;
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, v++) {
		const struct btf_type *vt = btf__type_by_id(o->btf, v->type);
		if (vt && btf_is_var(vt) &&
		    btf_var(vt)->linkage != BTF_VAR_STATIC)
			return 1;
	}
	return 0;
}

long obj_sym_by_name(const struct bpftk_object *o, const char *name,
		     size_t sec)
{
	size_t n = bpftk_elf_symbol_count(o->elf);
	for (size_t i = 1; i < n; i++) {
		struct bpftk_elf_sym s;
		bpftk_elf_symbol(o->elf, i, &s);
		if (s.shndx == sec && s.type != BPFTK_STT_SECTION &&
		    !strcmp(s.name, name))
			return (long)i;
	}
	return -ENOENT;
}

/* ---- public --------------------------------------------------------------- */

void bpftk_object_btf_info(const struct bpftk_object *o,
			   struct bpftk_object_btf_info *info)
{
	*info = o->btf_info;
}

const struct btf *bpftk_object_btf(const struct bpftk_object *o)
{
	return o->btf;
}
