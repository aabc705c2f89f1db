/* test_object_util.h — what the object-loader tests share: libbpf as the
 * oracle (bpf_object__open_mem without loading: programs, their
 * instructions before relocation, maps, inner maps, initial data, BTF) and
 * file reading.  Static functions: each test program includes it once. */
#ifndef TEST_OBJECT_UTIL_H
#define TEST_OBJECT_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <bpftk/object.h>

#include "test.h"

/* what the comparisons covered */
static size_t nlibbpf, nprogs, ninsns, nmaps, nbytes, nextra;

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l;
	(void)f;
	(void)ap;
	return 0;
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

/* Compares o with libbpf's view of the same bytes; returns 0 when libbpf
 * does not open them. */
static int compare_libbpf(const char *rel, const struct bpftk_object *o,
			  const char *data, size_t len)
{
	struct bpf_object_open_opts lopts = {
		.sz = sizeof(lopts), .object_name = bpftk_object_name(o)};
	struct bpf_object *lo = bpf_object__open_mem(data, len, &lopts);
	if (!lo)
		return 0;
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
	return 1;
}


#endif
