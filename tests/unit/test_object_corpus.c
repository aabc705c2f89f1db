/* test_object_corpus.c — every object of SHARED/corpus through the loader,
 * with libbpf (1.x, bpf_object__open_mem without loading) as the oracle
 * wherever libbpf opens the object too.
 *
 * What must hold:
 *  - every file under invalid/ is rejected with an error naming the file,
 *    except those listed in not_malformed[] (with the reason);
 *  - every other object opens, except those listed in must_fail[] (with the
 *    reason and the message expected);
 *  - where libbpf opens the object: the same programs (name, section, the
 *    entry function's instruction count and its instructions, except the
 *    fields relocations rewrite; the type when our section match is exact),
 *    the same maps in the same order (name, type, key/value size,
 *    max_entries, flags, inner map definition, initial data), the same BTF
 *    type count and kernel version.
 * Prints the counts it compared.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <bpftk/object.h>

#include "test.h"

struct expect {
	const char *path;
	const char *why;
	const char *msg; /* substring of the first error */
};

/* Objects that cannot open: both reference an extern function that only
 * a linker could provide (libbpf rejects them too, asking for its BTF). */
static const struct expect must_fail[] = {
	{"build/badrelo.o", "calls extern function ebpf_map_update_elem",
	 "call to undefined function 'ebpf_map_update_elem'"},
	{"build/externalfunction.o", "calls extern function bpf_map_lookup_elem",
	 "call to undefined function 'bpf_map_lookup_elem'"},
};

/* Files of invalid/ that are well-formed objects: what makes them invalid
 * for the verifier they were found with is not the loader's to judge. */
static const struct expect not_malformed[] = {
	{"invalid/timeout-29db93548c671165313b314d4f83a3eefa24df37",
	 "a well-formed eBPF-for-Windows object whose 35-program tail-call "
	 "chain made a verifier time out; libbpf opens it as well",
	 NULL},
};

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l;
	(void)f;
	(void)ap;
	return 0;
}

static const struct expect *find(const struct expect *v, size_t n,
				 const char *rel)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, rel))
			return &v[i];
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc(n > 0 ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t nopened, nrejected, nlibbpf, nprogs, ninsns, nmaps, nbytes;
static size_t nextra;

static const char *first_error(struct bpftk_diags *d, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		if (g->severity == BPFTK_SEV_ERROR) {
			bpftk_diag_format(g, buf, n);
			break;
		}
	}
	return buf;
}

/* Instructions of the entry function against libbpf's copy (taken before
 * libbpf relocates anything): equal except src/imm of the slots our
 * relocation rewrote (lddw and local calls). */
static void compare_insns(const char *rel, const struct bpftk_object_prog *p,
			  const struct bpf_program *lp)
{
	size_t n;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	const struct bpf_insn *li = bpf_program__insns(lp);
	size_t main = bpftk_object_prog_main_insn_cnt(p);
	int bad = 0;
	for (size_t i = 0; i < main && !bad; i++) {
		const struct bpftk_insn *a = &in[i];
		const struct bpf_insn *b = &li[i];
		int lddw = i && in[i - 1].code == 0x18;
		int reloc = a->code == 0x18 || lddw ||
			    (a->code == 0x85 && a->src == 1);
		if (a->code != b->code || a->dst != b->dst_reg ||
		    a->off != b->off ||
		    (!reloc && (a->src != b->src_reg || a->imm != b->imm)))
			bad = 1;
		if (bad)
			fprintf(stderr, "%s: prog %s insn %zu differs from "
				"libbpf's\n", rel, bpftk_object_prog_name(p), i);
		ninsns++;
	}
	CHECK(!bad);
}

/* STT_FUNC symbols in code section `sec`, and in all code sections. */
static void count_funcs(const struct bpftk_object *o, const char *sec,
			size_t *in_sec, size_t *total)
{
	const struct bpftk_elf *e = bpftk_object_elf(o);
	for (size_t i = 1; i < bpftk_elf_symbol_count(e); i++) {
		struct bpftk_elf_sym y;
		struct bpftk_elf_shdr s;
		bpftk_elf_symbol(e, i, &y);
		if (y.type != BPFTK_STT_FUNC || bpftk_elf_section(e, y.shndx, &s) ||
		    !(s.flags & BPFTK_SHF_EXECINSTR))
			continue;
		(*total)++;
		if (!strcmp(s.name, sec))
			(*in_sec)++;
	}
}

static void compare_progs(const char *rel, const struct bpftk_object *o,
			  struct bpf_object *lo)
{
	struct bpf_program *lp;
	size_t nl = 0;
	bpf_object__for_each_program(lp, lo)
	{
		nl++;
		const char *name = bpf_program__name(lp);
		const struct bpftk_object_prog *p = bpftk_object_prog_find(o, name);
		if (!p) {
			fprintf(stderr, "%s: libbpf program '%s' missing\n", rel,
				name);
			CHECK(0);
			continue;
		}
		nprogs++;
		CHECK_STR(bpftk_object_prog_section(p),
			  bpf_program__section_name(lp));
		CHECK_EQ_U64(bpftk_object_prog_main_insn_cnt(p),
			     bpf_program__insn_cnt(lp));
		if (bpftk_object_prog_main_insn_cnt(p) ==
		    bpf_program__insn_cnt(lp))
			compare_insns(rel, p, lp);
		if (bpftk_object_prog_sec_match(p) != BPFTK_SEC_MATCH_LEGACY)
			CHECK_EQ_U64(bpftk_object_prog_type(p),
				     bpf_program__type(lp));
	}
	/* Where we differ on purpose: libbpf 1.x makes programs only of
	 * STT_FUNC symbols (old objects have none: we take the section), and
	 * lists .text functions only when .text holds the object's single
	 * function (we list every global .text function when .text is the
	 * only code).  Elsewhere the counts agree. */
	size_t want = 0;
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, i);
		size_t in_sec = 0, total = 0;
		count_funcs(o, bpftk_object_prog_section(p), &in_sec, &total);
		if (in_sec && (strcmp(bpftk_object_prog_section(p), ".text") ||
			       total == 1))
			want++;
	}
	if (nl != want) {
		fprintf(stderr, "%s: %zu programs (%zu libbpf would list), "
			"libbpf %zu\n", rel, bpftk_object_prog_count(o), want,
			nl);
		CHECK(0);
	}
	nextra += bpftk_object_prog_count(o) - want;
}

static void compare_map(const char *rel, const struct bpftk_object_map *m,
			struct bpf_map *lm)
{
	if (strcmp(bpftk_object_map_name(m), bpf_map__name(lm))) {
		fprintf(stderr, "%s: map '%s', libbpf '%s'\n", rel,
			bpftk_object_map_name(m), bpf_map__name(lm));
		CHECK(0);
		return;
	}
	CHECK_EQ_U64(bpftk_object_map_type(m), bpf_map__type(lm));
	CHECK_EQ_U64(bpftk_object_map_key_size(m), bpf_map__key_size(lm));
	CHECK_EQ_U64(bpftk_object_map_value_size(m), bpf_map__value_size(lm));
	CHECK_EQ_U64(bpftk_object_map_max_entries(m),
		     bpf_map__max_entries(lm));
	CHECK_EQ_U64(bpftk_object_map_flags(m), bpf_map__map_flags(lm));
	CHECK_EQ_U64(bpftk_object_map_numa_node(m), bpf_map__numa_node(lm));
	CHECK_EQ_U64(bpftk_object_map_extra(m), bpf_map__map_extra(lm));
	CHECK_EQ_U64(bpftk_object_map_btf_key_type_id(m),
		     bpf_map__btf_key_type_id(lm));
	CHECK_EQ_U64(bpftk_object_map_btf_value_type_id(m),
		     bpf_map__btf_value_type_id(lm));
	size_t ls = 0, ms = 0;
	const void *lv = bpf_map__initial_value(lm, &ls);
	const void *mv = bpftk_object_map_initial_data(m, &ms);
	CHECK_EQ_U64(ms, lv ? ls : 0);
	if (lv && mv && ms == ls) {
		CHECK(!memcmp(lv, mv, ms));
		nbytes += ms;
	}
	struct bpf_map *li = bpf_map__inner_map(lm);
	const struct bpftk_object_map *mi = bpftk_object_map_inner(m);
	CHECK(!li == !mi);
	if (li && mi)
		compare_map(rel, mi, li);
	nmaps++;
}

static void compare_libbpf(const char *rel, const struct bpftk_object *o,
			   const char *data, size_t len)
{
	struct bpf_object_open_opts lopts = {
		.sz = sizeof(lopts), .object_name = bpftk_object_name(o)};
	struct bpf_object *lo = bpf_object__open_mem(data, len, &lopts);
	if (!lo)
		return;
	nlibbpf++;
	compare_progs(rel, o, lo);
	size_t i = 0;
	struct bpf_map *lm;
	bpf_object__for_each_map(lm, lo)
	{
		const struct bpftk_object_map *m = bpftk_object_map_at(o, i++);
		CHECK(m != NULL);
		if (m)
			compare_map(rel, m, lm);
	}
	CHECK_EQ_U64(i, bpftk_object_map_count(o));
	/* without a "version" section libbpf reports the running kernel's */
	uint32_t kv = 0;
	if (!bpftk_object_kversion(o, &kv))
		CHECK_EQ_U64(kv, bpf_object__kversion(lo));
	struct btf *lb = bpf_object__btf(lo);
	struct bpftk_object_btf_info bi;
	bpftk_object_btf_info(o, &bi);
	CHECK(!lb == !bi.present);
	if (lb)
		CHECK_EQ_U64(bi.types + 1, btf__type_cnt(lb));
	bpf_object__close(lo);
}

static void check_file(const char *root, const char *rel)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return;
	size_t len;
	char *data = slurp(path, &len);
	CHECK(data != NULL);
	if (!data)
		return;
	int invalid = !strncmp(rel, "invalid/", 8);
	const struct expect *fail =
		find(must_fail, sizeof(must_fail) / sizeof(must_fail[0]), rel);
	const struct expect *fine = find(
		not_malformed, sizeof(not_malformed) / sizeof(not_malformed[0]),
		rel);
	int should_open = invalid ? fine != NULL : fail == NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_object_opts opts = {sizeof(opts), NULL, rel};
	struct bpftk_object *o = NULL;
	int err = bpftk_object_open_mem(data, len, &opts, &o, d);
	char msg[1024];
	first_error(d, msg, sizeof(msg));
	if (err) {
		nrejected++;
		printf("  rejected %s: %s\n", rel, msg);
		/* the message names the file and says what is wrong */
		CHECK(!strncmp(msg, rel, strlen(rel)) && strstr(msg, "error: "));
		if (fail && fail->msg)
			CHECK(strstr(msg, fail->msg) != NULL);
	} else {
		nopened++;
		if (invalid)
			printf("  opened %s (not malformed: %s)\n", rel,
			       fine ? fine->why : "?");
	}
	if ((err == 0) != should_open)
		fprintf(stderr, "%s: %s unexpectedly: %s\n", rel,
			err ? "rejected" : "opened", msg);
	CHECK((err == 0) == should_open);
	CHECK(err ? o == NULL : o != NULL);
	if (o)
		compare_libbpf(rel, o, data, len);
	bpftk_object_close(o);
	bpftk_diags_free(d);
	free(data);
}

static void walk(const char *root, const char *sub)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s/%s", root, sub) >= (int)sizeof(dir))
		return;
	DIR *dd = opendir(dir);
	if (!dd)
		return;
	char *names[512];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dd)) && n < 512) {
		if (de->d_name[0] == '.')
			continue;
		size_t l = strlen(de->d_name);
		if (!strcmp(sub, "invalid") ||
		    (l > 2 && !strcmp(de->d_name + l - 2, ".o")))
			names[n++] = strdup(de->d_name);
	}
	closedir(dd);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char rel[1024];
		if (snprintf(rel, sizeof(rel), "%s/%s", sub, names[i]) <
		    (int)sizeof(rel))
			check_file(root, rel);
		free(names[i]);
	}
}

static void run(void)
{
	libbpf_set_print(quiet);
	char root[2048];
	if (snprintf(root, sizeof(root), "%s/corpus/ebpf-samples",
		     test_shared) >= (int)sizeof(root))
		return;
	static const char *const subs[] = {"build", "cilium", "linux",
					   "prototype-kernel", "suricata",
					   "invalid"};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		walk(root, subs[i]);
	printf("corpus: %zu opened, %zu rejected; libbpf also opened %zu: "
	       "%zu programs (%zu instructions) and %zu maps (%zu bytes of "
	       "initial data) compared; %zu programs libbpf 1.x does not "
	       "list (no STT_FUNC symbol, or .text-only objects)\n",
	       nopened, nrejected, nlibbpf, nprogs, ninsns, nmaps, nbytes,
	       nextra);
	CHECK(nopened + nrejected > 100);
}

TEST_MAIN(run())
