/* test_object_clang.c — objects compiled at test time from the C files
 * of tests/data/obj with clang -target bpf and -target bpfeb, at every
 * -mcpu this clang knows (v1..v3, v4 from LLVM 18 on), opened by the loader.
 *
 * Oracles, none of them our own output:
 *  - libbpf opening the same little-endian bytes (programs, their
 *    instructions, maps, inner maps, initial data, BTF; test_object_util.h);
 *  - the C sources: which map each program uses (every map lddw must name
 *    it), which function each calls (every call and function pointer must
 *    land on the start of that appended subprogram, in libbpf's order), the
 *    initial slots and legacy definitions written there, and the text of
 *    every line that .BTF.ext line info points at;
 *  - the host: compute.h runs natively, and the programs of calls.c run in
 *    the interpreter with their global data bound must return the same;
 *  - the little-endian build: the big-endian object must give the same
 *    programs, instructions and maps.
 * Skipped (reported, not failed) when clang is missing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/vm.h>

#include "test_object_util.h"

/* the host copy of the programs' computations */
#include "../data/obj/compute.h"

static char tmp[64];
static char datadir[1024];

static int run_cmd(const char *cmd)
{
	int r = system(cmd);
	return r == 0 ? 0 : -1;
}

static int compile(const char *src, const char *target, const char *cpu,
		   int debug, const char *out)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
		 "clang -target %s -mcpu=%s -O2 %s -Wall -Werror -I'%s' -c "
		 "'%s/%s' -o '%s' 2>/dev/null",
		 target, cpu, debug ? "-g" : "", datadir, datadir, src, out);
	return run_cmd(cmd);
}

static struct bpftk_object *open_obj(const char *path, char **data,
				     size_t *len)
{
	*data = slurp(path, len);
	CHECK(*data != NULL);
	if (!*data)
		return NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_object_opts opts = {sizeof(opts), "t", path};
	struct bpftk_object *o = NULL;
	int err = bpftk_object_open_mem(*data, *len, &opts, &o, d);
	if (err || bpftk_diags_count(d)) {
		char buf[512];
		for (size_t i = 0; i < bpftk_diags_count(d); i++) {
			bpftk_diag_format(bpftk_diags_get(d, i), buf, sizeof(buf));
			fprintf(stderr, "%s\n", buf);
		}
	}
	CHECK(err == 0 && bpftk_diags_count(d) == 0);
	bpftk_diags_free(d);
	return o;
}

static const struct bpftk_object_prog *prog(const struct bpftk_object *o,
					    const char *name)
{
	const struct bpftk_object_prog *p = bpftk_object_prog_find(o, name);
	if (!p)
		fprintf(stderr, "program '%s' missing\n", name);
	CHECK(p != NULL);
	return p;
}

static long map_index(const struct bpftk_object *o, const char *name)
{
	const struct bpftk_object_map *m = bpftk_object_map_find(o, name);
	if (!m)
		fprintf(stderr, "map '%s' missing\n", name);
	CHECK(m != NULL);
	return m ? bpftk_object_map_index(m) : -1;
}

/* Every map reference of p names the map `map` (and there is one). */
static void check_map_refs(const struct bpftk_object *o, const char *pname,
			   const char *map)
{
	const struct bpftk_object_prog *p = prog(o, pname);
	if (!p)
		return;
	long want = map_index(o, map);
	size_t n, refs = 0;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	for (size_t i = 0; i + 1 < n; i++) {
		if (in[i].code != 0x18 || in[i].src == 0)
			continue;
		CHECK_EQ_U64(in[i].src, BPFTK_PSEUDO_MAP_IDX);
		CHECK_EQ_U64(in[i].imm, want);
		CHECK_EQ_U64(in[i + 1].imm, 0);
		refs++;
		i++;
	}
	if (!refs)
		fprintf(stderr, "%s: no reference to map %s\n", pname, map);
	CHECK(refs > 0);
}

/* The functions of p in order are `names` (NULL-terminated), and every
 * local call and function pointer lands on the first instruction of one of
 * them. */
static void check_layout(const struct bpftk_object *o, const char *pname,
			 const char *const *names)
{
	const struct bpftk_object_prog *p = prog(o, pname);
	if (!p)
		return;
	size_t nf = bpftk_object_prog_func_count(p), k = 0;
	for (; names[k]; k++) {
		struct bpftk_object_func f;
		CHECK(bpftk_object_prog_func(p, k, &f) == 0);
		if (k < nf)
			CHECK_STR(f.name, names[k]);
	}
	CHECK_EQ_U64(nf, k);
	size_t n;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	for (size_t i = 0; i < n; i++) {
		int call = in[i].code == 0x85 && in[i].src == 1;
		int fptr = in[i].code == 0x18 && in[i].src == BPFTK_PSEUDO_FUNC;
		if (!call && !fptr)
			continue;
		long t = (long)i + 1 + in[i].imm;
		int hit = 0;
		for (size_t j = 0; j < nf; j++) {
			struct bpftk_object_func f;
			bpftk_object_prog_func(p, j, &f);
			hit |= (long)f.insn == t && j > 0;
		}
		if (!hit)
			fprintf(stderr, "%s insn %zu: target %ld is not a "
				"subprogram start\n", pname, i, t);
		CHECK(hit);
	}
}

/* ---- line info against the source files ------------------------------- */

static char *source_line(const char *file, uint32_t line)
{
	const char *b = strrchr(file, '/');
	char path[2048];
	snprintf(path, sizeof(path), "%s/%s", datadir, b ? b + 1 : file);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[1024];
	char *r = NULL;
	for (uint32_t i = 1; fgets(buf, sizeof(buf), f); i++)
		if (i == line) {
			buf[strcspn(buf, "\n")] = '\0';
			r = buf;
			break;
		}
	fclose(f);
	return r;
}

static size_t nlines;

static void check_lines(const struct bpftk_object *o)
{
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, i);
		size_t n, cnt = bpftk_object_prog_line_count(p);
		bpftk_object_prog_insns(p, &n);
		CHECK(cnt > 0);
		for (size_t k = 0; k < cnt; k++) {
			struct bpftk_object_line l, q;
			CHECK(bpftk_object_prog_line_at(p, k, &l) == 0);
			CHECK(l.insn < n);
			if (!l.line)
				continue;
			const char *src = source_line(l.file, l.line);
			if (!src || strcmp(src, l.text))
				fprintf(stderr, "%s:%u: line info text '%s', "
					"source '%s'\n", l.file, l.line, l.text,
					src ? src : "(none)");
			CHECK(src && !strcmp(src, l.text));
			/* the lookup finds this record at its instruction */
			CHECK(bpftk_object_prog_line(p, l.insn, &q) == 0);
			nlines++;
		}
		struct bpftk_object_line q;
		CHECK(bpftk_object_prog_line(p, n, &q) == -ENOENT);
	}
}

/* ---- running calls.c ---------------------------------------------------- */

/* Binds global data the way a loader would: each map-value reference
 * becomes the address of a host copy of the map's initial data. */
struct bound {
	uint8_t *buf[16];
	struct bpftk_vm *vm;
};

static int bind_and_load(const struct bpftk_object *o,
			 const struct bpftk_object_prog *p, struct bound *b)
{
	memset(b, 0, sizeof(*b));
	size_t nm = bpftk_object_map_count(o);
	if (nm > 16 || bpftk_vm_new(NULL, &b->vm))
		return -1;
	for (size_t i = 0; i < nm; i++) {
		const struct bpftk_object_map *m = bpftk_object_map_at(o, i);
		size_t len;
		const void *init = bpftk_object_map_initial_data(m, &len);
		if (!init)
			continue;
		b->buf[i] = malloc(len);
		memcpy(b->buf[i], init, len);
		int ro = bpftk_object_map_flags(m) & BPFTK_MAP_F_RDONLY_PROG;
		bpftk_vm_add_region(b->vm, b->buf[i], len, !ro);
	}
	size_t n;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	struct bpftk_insn *v = malloc(n * sizeof(*v));
	memcpy(v, in, n * sizeof(*v));
	for (size_t i = 0; i + 1 < n; i++) {
		if (v[i].code != 0x18 || v[i].src != BPFTK_PSEUDO_MAP_IDX_VALUE)
			continue;
		uint64_t a = (uint64_t)(uintptr_t)(b->buf[v[i].imm] + v[i + 1].imm);
		v[i].src = 0;
		v[i].imm = (int32_t)(uint32_t)a;
		v[i + 1].imm = (int32_t)(uint32_t)(a >> 32);
		i++;
	}
	int err = bpftk_vm_load(b->vm, v, n, NULL);
	free(v);
	return err;
}

static void unbind(struct bound *b)
{
	bpftk_vm_free(b->vm);
	for (size_t i = 0; i < 16; i++)
		free(b->buf[i]);
}

static size_t nruns;

static void run_calls(const struct bpftk_object *o)
{
	const struct bpftk_object_prog *calc = prog(o, "calc");
	const struct bpftk_object_prog *two = prog(o, "calc_two");
	if (!calc || !two)
		return;
	struct bound b1, b2;
	CHECK(bind_and_load(o, calc, &b1) == 0);
	CHECK(bind_and_load(o, two, &b2) == 0);
	memset(scratch, 0, sizeof(scratch));
	static const int xs[] = {0, 1, 2, 3, 7, 8, 13, -1, -5, 100, 12345,
				 -77777, 3, 3, 2, 1, 0};
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		struct bpftk_vm_run_opts ro;
		memset(&ro, 0, sizeof(ro));
		ro.sz = sizeof(ro);
		ro.args[0] = (uint64_t)(int64_t)xs[i];
		uint64_t r1 = 0, r2 = 0;
		CHECK(bpftk_vm_run(b1.vm, &ro, &r1, NULL) == 0);
		CHECK(bpftk_vm_run(b2.vm, &ro, &r2, NULL) == 0);
		int want1 = global_helper(xs[i]);
		int want2 = sub_two(xs[i]) + 1;
		CHECK_EQ_U64((uint32_t)r1, (uint32_t)want1);
		CHECK_EQ_U64((uint32_t)r2, (uint32_t)want2);
		nruns += 2;
	}
	unbind(&b1);
	unbind(&b2);
}

/* ---- per-source checks ---------------------------------------------------- */

static void check_calls(const struct bpftk_object *o, int big)
{
	static const char *const calc[] = {"calc", "global_helper", "sub_one",
					   "sub_two", NULL};
	static const char *const two[] = {"calc_two", "sub_two", NULL};
	static const char *const looper[] = {"looper", "loop_cb", NULL};
	check_layout(o, "calc", calc);
	check_layout(o, "calc_two", two);
	check_layout(o, "looper", looper);
	/* the kconfig extern is a value reference into the kconfig map */
	const struct bpftk_object_map *k = bpftk_object_map_at(
		o, bpftk_object_map_count(o) - 1);
	CHECK(k && bpftk_object_map_kind(k) == BPFTK_OBJ_MAP_KCONFIG);
	const struct bpftk_object_prog *p = prog(o, "looper");
	size_t n, refs = 0;
	const struct bpftk_insn *in = p ? bpftk_object_prog_insns(p, &n) : NULL;
	for (size_t i = 0; in && i + 1 < n; i++)
		if (in[i].code == 0x18 && in[i].src == BPFTK_PSEUDO_MAP_IDX_VALUE)
			refs += k && in[i].imm == bpftk_object_map_index(k) &&
				in[i + 1].imm == 0;
	CHECK_EQ_U64(refs, 1);
	CHECK_STR(bpftk_object_license(o), "Dual MIT/GPL");
	check_lines(o);
	if (!big)
		run_calls(o);
}

static void check_slots(const struct bpftk_object *o, const char *map,
			const enum bpftk_object_slot_kind *kinds,
			const char *const *targets, size_t n)
{
	const struct bpftk_object_map *m = bpftk_object_map_find(o, map);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_U64(bpftk_object_map_slot_count(m), n);
	for (size_t i = 0; i < n; i++) {
		struct bpftk_object_slot s;
		CHECK(bpftk_object_map_slot(m, i, &s) == 0);
		CHECK_EQ_U64(s.kind, kinds[i]);
		if (s.kind == BPFTK_OBJ_SLOT_MAP)
			CHECK_STR(bpftk_object_map_name(
					  bpftk_object_map_at(o, s.index)),
				  targets[i]);
		else if (s.kind == BPFTK_OBJ_SLOT_PROG)
			CHECK_STR(bpftk_object_prog_name(
					  bpftk_object_prog_at(o, s.index)),
				  targets[i]);
	}
}

static void check_maps(const struct bpftk_object *o)
{
	check_map_refs(o, "use_hash", "hash_map");
	check_map_refs(o, "use_sized_array", "sized_array");
	check_map_refs(o, "use_events", "events");
	check_map_refs(o, "use_pinned", "pinned");
	check_map_refs(o, "use_outer", "outer");
	check_map_refs(o, "use_jumps", "jumps");
	/* as written in maps.c */
	static const enum bpftk_object_slot_kind ok[] = {
		BPFTK_OBJ_SLOT_MAP, BPFTK_OBJ_SLOT_NONE, BPFTK_OBJ_SLOT_MAP};
	static const char *const ot[] = {"inner_a", NULL, "inner_b"};
	check_slots(o, "outer", ok, ot, 3);
	static const enum bpftk_object_slot_kind jk[] = {
		BPFTK_OBJ_SLOT_NONE, BPFTK_OBJ_SLOT_PROG, BPFTK_OBJ_SLOT_NONE,
		BPFTK_OBJ_SLOT_PROG};
	static const char *const jt[] = {NULL, "tail_a", NULL, "tail_b"};
	check_slots(o, "jumps", jk, jt, 4);
	const struct bpftk_object_map *m = bpftk_object_map_find(o, "pinned");
	CHECK(m && bpftk_object_map_pinning(m) == 1 &&
	      bpftk_object_map_numa_node(m) == 1);
	m = bpftk_object_map_find(o, "outer_hash");
	const struct bpftk_object_map *in = m ? bpftk_object_map_inner(m) : NULL;
	CHECK(in != NULL);
	if (in) {
		CHECK_STR(bpftk_object_map_name(in), "outer_hash.inner");
		CHECK_EQ_U64(bpftk_object_map_index(in), -1);
		CHECK_EQ_U64(bpftk_object_map_type(in), 1);
		CHECK_EQ_U64(bpftk_object_map_key_size(in), 4);
		CHECK_EQ_U64(bpftk_object_map_value_size(in), 4);
		CHECK_EQ_U64(bpftk_object_map_max_entries(in), 8);
	}
	/* two programs share section "tc" */
	const struct bpftk_object_prog *a = prog(o, "tail_a");
	const struct bpftk_object_prog *b = prog(o, "tail_b");
	CHECK(a && b && !strcmp(bpftk_object_prog_section(a), "tc") &&
	      !strcmp(bpftk_object_prog_section(b), "tc") &&
	      bpftk_object_prog_section_offset(b) ==
		      bpftk_object_prog_section_offset(a) + 16);
	check_lines(o);
}

struct legacy_def {
	const char *name;
	uint32_t type, key, value, max, flags;
};

static void check_legacy(const struct bpftk_object *o)
{
	/* the initialisers of legacy.c */
	static const struct legacy_def defs[] = {
		{"counters", 6, 4, 8, 256, 0},
		{"flows", 1, 16, 24, 1024, 1},
		{"port", 2, 4, 4, 8, 0},
		{"of_port", 12, 4, 0, 2, 4},
	};
	CHECK_EQ_U64(bpftk_object_map_count(o), 4);
	for (size_t i = 0; i < 4; i++) {
		const struct bpftk_object_map *m = bpftk_object_map_at(o, i);
		if (!m)
			continue;
		CHECK_STR(bpftk_object_map_name(m), defs[i].name);
		CHECK_EQ_U64(bpftk_object_map_kind(m), BPFTK_OBJ_MAP_LEGACY);
		CHECK_EQ_U64(bpftk_object_map_type(m), defs[i].type);
		CHECK_EQ_U64(bpftk_object_map_key_size(m), defs[i].key);
		CHECK_EQ_U64(bpftk_object_map_value_size(m), defs[i].value);
		CHECK_EQ_U64(bpftk_object_map_max_entries(m), defs[i].max);
		CHECK_EQ_U64(bpftk_object_map_flags(m), defs[i].flags);
	}
	const struct bpftk_object_map *op = bpftk_object_map_find(o, "of_port");
	const struct bpftk_object_map *in = op ? bpftk_object_map_inner(op) : NULL;
	CHECK(in && !strcmp(bpftk_object_map_name(in), "port"));
	CHECK(op && bpftk_object_map_numa_node(op) == 1);
	size_t nx = 0;
	const uint32_t *x = op ? bpftk_object_map_legacy_extra(op, &nx) : NULL;
	CHECK(x && nx == 2 && x[0] == 0 && x[1] == 1);
	check_map_refs(o, "count", "counters");
	check_map_refs(o, "flow", "flows");
	check_map_refs(o, "ports", "of_port");
	uint32_t kv = 0;
	CHECK(bpftk_object_kversion(o, &kv) == 0 && kv == 0x050a00);
	const struct bpftk_object_prog *p = prog(o, "count");
	CHECK(p && bpftk_object_prog_type(p) == BPFTK_PROG_TYPE_SOCKET_FILTER &&
	      bpftk_object_prog_sec_match(p) == BPFTK_SEC_MATCH_LEGACY);
	p = prog(o, "flow");
	CHECK(p && bpftk_object_prog_type(p) == BPFTK_PROG_TYPE_XDP &&
	      bpftk_object_prog_sec_match(p) == BPFTK_SEC_MATCH_LEGACY);
	p = prog(o, "ports");
	CHECK(p && bpftk_object_prog_type(p) == BPFTK_PROG_TYPE_KPROBE &&
	      bpftk_object_prog_sec_match(p) == BPFTK_SEC_MATCH_EXACT);
	struct bpftk_object_btf_info bi;
	bpftk_object_btf_info(o, &bi);
	CHECK(!bi.present);
}

/* The big-endian build holds the same programs and maps. */
static void same_as_le(const struct bpftk_object *le,
		       const struct bpftk_object *be)
{
	CHECK_EQ_U64(bpftk_object_prog_count(be), bpftk_object_prog_count(le));
	for (size_t i = 0; i < bpftk_object_prog_count(le); i++) {
		const struct bpftk_object_prog *a = bpftk_object_prog_at(le, i);
		const struct bpftk_object_prog *b = bpftk_object_prog_at(be, i);
		if (!b)
			break;
		CHECK_STR(bpftk_object_prog_name(b), bpftk_object_prog_name(a));
		size_t na, nb;
		const struct bpftk_insn *x = bpftk_object_prog_insns(a, &na);
		const struct bpftk_insn *y = bpftk_object_prog_insns(b, &nb);
		CHECK_EQ_U64(nb, na);
		int diff = na != nb;
		for (size_t k = 0; !diff && k < na; k++) {
			/* constants built from bytes differ by byte order */
			int konst = (x[k].code == 0x18 && x[k].src == 0) ||
				    (k && x[k - 1].code == 0x18 &&
				     x[k - 1].src == 0);
			diff = x[k].code != y[k].code || x[k].dst != y[k].dst ||
			       x[k].src != y[k].src || x[k].off != y[k].off ||
			       (!konst && x[k].imm != y[k].imm);
		}
		CHECK(!diff);
	}
	CHECK_EQ_U64(bpftk_object_map_count(be), bpftk_object_map_count(le));
	for (size_t i = 0; i < bpftk_object_map_count(le); i++) {
		const struct bpftk_object_map *a = bpftk_object_map_at(le, i);
		const struct bpftk_object_map *b = bpftk_object_map_at(be, i);
		if (!b)
			break;
		CHECK_STR(bpftk_object_map_name(b), bpftk_object_map_name(a));
		CHECK_EQ_U64(bpftk_object_map_type(b), bpftk_object_map_type(a));
		CHECK_EQ_U64(bpftk_object_map_key_size(b),
			     bpftk_object_map_key_size(a));
		CHECK_EQ_U64(bpftk_object_map_value_size(b),
			     bpftk_object_map_value_size(a));
		CHECK_EQ_U64(bpftk_object_map_max_entries(b),
			     bpftk_object_map_max_entries(a));
		CHECK_EQ_U64(bpftk_object_map_flags(b), bpftk_object_map_flags(a));
		CHECK_EQ_U64(bpftk_object_map_slot_count(b),
			     bpftk_object_map_slot_count(a));
	}
	struct bpftk_object_btf_info x, y;
	bpftk_object_btf_info(le, &x);
	bpftk_object_btf_info(be, &y);
	CHECK_EQ_U64(y.types, x.types);
	CHECK_EQ_U64(y.line_info, x.line_info);
}

static size_t nobjects;

static void variant(const char *src, const char *cpu, int debug,
		    void (*check)(const struct bpftk_object *, int))
{
	char le_path[256], be_path[256];
	snprintf(le_path, sizeof(le_path), "%s/%.40s-%s.o", tmp, src, cpu);
	snprintf(be_path, sizeof(be_path), "%s/%.40s-%s-eb.o", tmp, src, cpu);
	int ok = compile(src, "bpf", cpu, debug, le_path) == 0 &&
		 compile(src, "bpfeb", cpu, debug, be_path) == 0;
	if (!ok)
		fprintf(stderr, "clang failed on %s -mcpu=%s\n", src, cpu);
	CHECK(ok);
	if (!ok)
		return;
	char *dl, *db;
	size_t ll, lb;
	struct bpftk_object *le = open_obj(le_path, &dl, &ll);
	struct bpftk_object *be = open_obj(be_path, &db, &lb);
	if (le) {
		check(le, 0);
		int lib = compare_libbpf(le_path, le, dl, ll);
		/* libbpf 1.x does not open legacy maps */
		CHECK(lib == (strcmp(src, "legacy.c") != 0));
	}
	if (be)
		check(be, 1);
	if (le && be)
		same_as_le(le, be);
	nobjects += 2;
	bpftk_object_close(le);
	bpftk_object_close(be);
	free(dl);
	free(db);
	remove(le_path);
	remove(be_path);
}

static void calls_check(const struct bpftk_object *o, int big)
{
	check_calls(o, big);
}

static void maps_check(const struct bpftk_object *o, int big)
{
	(void)big;
	check_maps(o);
}

static void legacy_check(const struct bpftk_object *o, int big)
{
	(void)big;
	check_legacy(o);
}

static void run(void)
{
	if (run_cmd("clang --version >/dev/null 2>&1")) {
		printf("clang not found: skipped\n");
		return;
	}
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');
	if (slash)
		snprintf(datadir, sizeof(datadir), "%.*s/../data/obj",
			 (int)(slash - f), f);
	else
		snprintf(datadir, sizeof(datadir), "tests/data/obj");
	strcpy(tmp, "/tmp/bpftk-objXXXXXX");
	CHECK(mkdtemp(tmp) != NULL);
	libbpf_set_print(quiet);
	static const char *const cpus[] = {"v1", "v2", "v3", "v4"};
	for (size_t i = 0; i < 4; i++) {
		char probe[256];
		snprintf(probe, sizeof(probe), "%s/probe.o", tmp);
		if (compile("calls.c", "bpf", cpus[i], 1, probe)) {
			printf("-mcpu=%s: this clang does not know it, "
			       "skipped\n", cpus[i]);
			continue;
		}
		remove(probe);
		variant("calls.c", cpus[i], 1, calls_check);
		variant("maps.c", cpus[i], 1, maps_check);
		variant("legacy.c", cpus[i], 0, legacy_check);
	}
	rmdir(tmp);
	printf("%zu objects (little- and big-endian); libbpf compared %zu: "
	       "%zu programs, %zu instructions, %zu maps; %zu line records "
	       "matched their source lines; %zu interpreter runs matched the "
	       "host\n",
	       nobjects, nlibbpf, nprogs, ninsns, nmaps, nlines, nruns);
}

TEST_MAIN(run())
