/* fuzz_object.c — libFuzzer target of the object loader: the input is
 * opened with bpftk_object_open_mem and, when it opens, every accessor is
 * walked (programs, their instructions, functions and every line lookup;
 * maps, inner maps, slots and every byte of initial data; the BTF
 * summary), and every function pointer and map value reference is checked
 * to stay inside its program or map, and libbpf must print nothing.
 * Anything wrong aborts, so the fuzzer reports it; crashes, leaks and out-of-bounds reads are the sanitizers'
 * to find.  Seed it with the objects of the shared corpus.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <bpftk/object.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library never prints: libbpf, which parses BTF for it, must stay
 * silent too, so any message that reaches this callback is a bug. */
static int no_print(enum libbpf_print_level level, const char *fmt,
		    va_list ap)
{
	(void)fmt;
	(void)ap;
	if (level != LIBBPF_DEBUG)
		abort();
	return 0;
}

static volatile uint64_t sink;

static void walk_map(const struct bpftk_object *o,
		     const struct bpftk_object_map *m)
{
	sink += bpftk_object_map_type(m) + bpftk_object_map_key_size(m) +
		bpftk_object_map_value_size(m) +
		bpftk_object_map_max_entries(m) + bpftk_object_map_flags(m) +
		bpftk_object_map_numa_node(m) + bpftk_object_map_pinning(m) +
		bpftk_object_map_extra(m) + bpftk_object_map_kind(m) +
		strlen(bpftk_object_map_name(m)) +
		strlen(bpftk_object_map_section(m));
	size_t n;
	const uint32_t *x = bpftk_object_map_legacy_extra(m, &n);
	for (size_t i = 0; i < n; i++)
		sink += x[i];
	const uint8_t *d = bpftk_object_map_initial_data(m, &n);
	if (d && n != bpftk_object_map_value_size(m))
		abort();
	for (size_t i = 0; d && i < n; i++)
		sink += d[i];
	for (size_t i = 0; i < bpftk_object_map_slot_count(m); i++) {
		struct bpftk_object_slot s;
		if (bpftk_object_map_slot(m, i, &s))
			abort();
		if ((s.kind == BPFTK_OBJ_SLOT_MAP &&
		     s.index >= bpftk_object_map_count(o)) ||
		    (s.kind == BPFTK_OBJ_SLOT_PROG &&
		     s.index >= bpftk_object_prog_count(o)))
			abort();
	}
	const struct bpftk_object_map *in = bpftk_object_map_inner(m);
	if (in && in != m)
		walk_map(o, in);
}

static void walk_prog(const struct bpftk_object *o,
		      const struct bpftk_object_prog *p)
{
	size_t n;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	sink += strlen(bpftk_object_prog_name(p)) +
		strlen(bpftk_object_prog_section(p)) +
		bpftk_object_prog_main_insn_cnt(p) +
		bpftk_object_prog_section_offset(p);
	for (size_t i = 0; i < n; i++) {
		struct bpftk_object_line l;
		if (!bpftk_object_prog_line(p, i, &l))
			sink += strlen(l.file) + strlen(l.text) + l.line;
		if (in[i].code != 0x18 || i + 1 >= n)
			continue;
		if (in[i].src == BPFTK_PSEUDO_FUNC &&
		    ((long)i + 1 + in[i].imm < 0 ||
		     (size_t)((long)i + 1 + in[i].imm) >= n))
			abort();
		if ((in[i].src == BPFTK_PSEUDO_MAP_IDX ||
		     in[i].src == BPFTK_PSEUDO_MAP_IDX_VALUE) &&
		    (in[i].imm < 0 ||
		     (size_t)in[i].imm >= bpftk_object_map_count(o)))
			abort();
		if (in[i].src == BPFTK_PSEUDO_MAP_IDX_VALUE &&
		    (uint32_t)in[i + 1].imm >
			    bpftk_object_map_value_size(
				    bpftk_object_map_at(o, (size_t)in[i].imm)))
			abort();
	}
	for (size_t k = 0; k < bpftk_object_prog_func_count(p); k++) {
		struct bpftk_object_func f;
		if (bpftk_object_prog_func(p, k, &f) || f.insn + f.n > n)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	libbpf_set_print(no_print);
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_object_opts opts = {sizeof(opts), NULL, "fuzz.o"};
	struct bpftk_object *o = NULL;
	char line[512];
	if (bpftk_object_open_mem(data, size, &opts, &o, d) == 0) {
		for (size_t i = 0; i < bpftk_object_prog_count(o); i++)
			walk_prog(o, bpftk_object_prog_at(o, i));
		for (size_t i = 0; i < bpftk_object_map_count(o); i++)
			walk_map(o, bpftk_object_map_at(o, i));
		struct bpftk_object_btf_info b;
		bpftk_object_btf_info(o, &b);
		sink += b.types + b.line_info;
	} else if (o || !bpftk_diags_errors(d)) {
		abort(); /* a rejection always says why */
	}
	for (size_t i = 0; i < bpftk_diags_count(d); i++)
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
	bpftk_object_close(o);
	bpftk_diags_free(d);
	/* the section-name table on a string from the input */
	char sec[64];
	size_t k = size < sizeof(sec) - 1 ? size : sizeof(sec) - 1;
	memcpy(sec, data, k);
	sec[k] = '\0';
	enum bpftk_prog_type t;
	int at;
	sink += bpftk_object_sec_type(sec, &t, &at);
	return 0;
}
