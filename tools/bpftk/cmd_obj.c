/* cmd_obj.c — `bpftk obj show [-j] FILE.o`: what a BPF object holds, as the
 * loader sees it: programs (section, name, type, instruction count), maps
 * (name, type, key/value size, max_entries, flags) and a BTF summary; -j
 * prints the same as JSON, in the spirit of bpftool's -j.  A thin layer over
 * bpftk_object_open_mem() and the accessors of bpftk/object.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/disasm.h>
#include <bpftk/object.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk obj show [-j] [-d] FILE.o\n"
		"\n"
		"Opens a BPF ELF object the way a loader would (programs with\n"
		"their subprograms appended, maps, global data, relocations,\n"
		"BTF) and lists its programs (section, name, type, instruction\n"
		"count), maps (name, type, key and value size, max_entries,\n"
		"flags) and a BTF summary.  FILE '-' is standard input.\n"
		"\n"
		"options:\n"
		"  -j, --json    print JSON instead of text\n"
		"  -d, --disasm  also list each program's final instructions\n"
		"                (relocated, subprograms appended) with the\n"
		"                source lines of .BTF.ext line info\n"
		"  -h, --help    this text\n"
		"\n"
		"exit codes: 0 ok, 1 the object was rejected, 2 usage error,\n"
		"4 I/O error\n");
}

static const char *match_name(enum bpftk_sec_match m)
{
	return m == BPFTK_SEC_MATCH_EXACT    ? "exact"
	       : m == BPFTK_SEC_MATCH_LEGACY ? "legacy"
					     : "none";
}

static const char *kind_name(enum bpftk_object_map_kind k)
{
	static const char *const names[] = {"legacy", "btf",	"data",
					    "rodata", "bss", "kconfig"};
	return (unsigned)k < 6 ? names[k] : "?";
}

static const char *type_str(enum bpftk_prog_type t)
{
	const char *s = bpftk_object_prog_type_name(t);
	return s ? s : "unknown";
}

static const char *map_type_str(uint32_t t)
{
	const char *s = bpftk_object_map_type_name(t);
	return s ? s : "unknown";
}

/* ---- text ------------------------------------------------------------------ */

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* The program's instructions, each function and source line announced
 * before its first instruction, like bpftool's "prog dump xlated linum". */
static void show_insns(const struct bpftk_object_prog *p)
{
	size_t n, fk = 0;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	struct bpftk_disasm_opts dopts;
	memset(&dopts, 0, sizeof(dopts));
	dopts.sz = sizeof(dopts);
	const char *last_text = NULL;
	for (size_t i = 0; i < n; i++) {
		struct bpftk_object_func f;
		if (!bpftk_object_prog_func(p, fk, &f) && f.insn == i) {
			printf("    %s%s:\n", f.name,
			       fk ? " (subprogram)" : "");
			fk++;
			last_text = NULL;
		}
		struct bpftk_object_line l;
		if (!bpftk_object_prog_line(p, i, &l) && l.insn == i &&
		    l.line && l.text != last_text) {
			printf("      ; %s  [%s:%u:%u]\n", l.text,
			       base_name(l.file), l.line, l.col);
			last_text = l.text;
		}
		char buf[256];
		if (i && in[i - 1].code == 0x18)
			continue; /* second slot of lddw */
		bpftk_disasm_insn(in, n, i, &dopts, buf, sizeof(buf));
		printf("    %5zu: %s\n", i, buf);
	}
}

static void show_text(const struct bpftk_object *o, int disasm)
{
	const struct bpftk_elf *e = bpftk_object_elf(o);
	printf("%s: object '%s', %s-endian", bpftk_object_filename(o),
	       bpftk_object_name(o), bpftk_elf_big_endian(e) ? "big" : "little");
	if (bpftk_object_license(o))
		printf(", license \"%s\"", bpftk_object_license(o));
	uint32_t kv;
	if (!bpftk_object_kversion(o, &kv))
		printf(", kernel version 0x%x", kv);
	printf("\n");
	size_t np = bpftk_object_prog_count(o);
	printf("programs (%zu):\n", np);
	for (size_t i = 0; i < np; i++) {
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, i);
		size_t n;
		bpftk_object_prog_insns(p, &n);
		enum bpftk_sec_match m = bpftk_object_prog_sec_match(p);
		printf("  %zu: %s  section '%s'  type %s%s  %zu insns", i,
		       bpftk_object_prog_name(p), bpftk_object_prog_section(p),
		       type_str(bpftk_object_prog_type(p)),
		       m == BPFTK_SEC_MATCH_LEGACY ? " (legacy section name)"
						   : "",
		       n);
		size_t nf = bpftk_object_prog_func_count(p);
		if (nf > 1)
			printf(" (%zu own + %zu in %zu subprogram%s)",
			       bpftk_object_prog_main_insn_cnt(p),
			       n - bpftk_object_prog_main_insn_cnt(p), nf - 1,
			       nf > 2 ? "s" : "");
		printf("\n");
		if (disasm)
			show_insns(p);
	}
	size_t nm = bpftk_object_map_count(o);
	printf("maps (%zu):\n", nm);
	for (size_t i = 0; i < nm; i++) {
		const struct bpftk_object_map *m = bpftk_object_map_at(o, i);
		printf("  %zu: %s  %s  key %u  value %u  max_entries %u  flags "
		       "0x%x  (%s",
		       i, bpftk_object_map_name(m),
		       map_type_str(bpftk_object_map_type(m)),
		       bpftk_object_map_key_size(m),
		       bpftk_object_map_value_size(m),
		       bpftk_object_map_max_entries(m),
		       bpftk_object_map_flags(m),
		       kind_name(bpftk_object_map_kind(m)));
		if (bpftk_object_map_section(m)[0])
			printf(", section '%s'", bpftk_object_map_section(m));
		const struct bpftk_object_map *in = bpftk_object_map_inner(m);
		if (in)
			printf(", inner map '%s'", bpftk_object_map_name(in));
		if (bpftk_object_map_slot_count(m))
			printf(", %zu initial slots",
			       bpftk_object_map_slot_count(m));
		printf(")\n");
	}
	struct bpftk_object_btf_info b;
	bpftk_object_btf_info(o, &b);
	if (!b.present) {
		printf("btf: none\n");
		return;
	}
	printf("btf: %u types, %u bytes of strings", b.types, b.str_size);
	if (b.ext_present)
		printf("; .BTF.ext: %zu func_info, %zu line_info, %zu core_relo",
		       b.func_info, b.line_info, b.core_relo);
	printf("\n");
}

/* ---- JSON ------------------------------------------------------------------ */

static void jstr(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void json_prog(const struct bpftk_object_prog *p)
{
	size_t n;
	bpftk_object_prog_insns(p, &n);
	printf("{\"index\":%zu,\"name\":", bpftk_object_prog_index(p));
	jstr(bpftk_object_prog_name(p));
	printf(",\"section\":");
	jstr(bpftk_object_prog_section(p));
	printf(",\"type\":");
	jstr(type_str(bpftk_object_prog_type(p)));
	printf(",\"type_id\":%d", (int)bpftk_object_prog_type(p));
	int at = bpftk_object_prog_attach_type(p);
	if (at >= 0)
		printf(",\"attach_type_id\":%d", at);
	else
		printf(",\"attach_type_id\":null");
	printf(",\"section_match\":\"%s\"",
	       match_name(bpftk_object_prog_sec_match(p)));
	printf(",\"section_offset\":%zu,\"insns\":%zu,\"main_insns\":%zu",
	       bpftk_object_prog_section_offset(p), n,
	       bpftk_object_prog_main_insn_cnt(p));
	printf(",\"functions\":[");
	for (size_t k = 0; k < bpftk_object_prog_func_count(p); k++) {
		struct bpftk_object_func f;
		bpftk_object_prog_func(p, k, &f);
		printf("%s{\"name\":", k ? "," : "");
		jstr(f.name);
		printf(",\"section\":");
		jstr(f.section);
		printf(",\"insn\":%zu,\"insns\":%zu,\"btf_id\":%u}", f.insn,
		       f.n, f.btf_type_id);
	}
	printf("],\"line_info\":%zu}", bpftk_object_prog_line_count(p));
}

static void json_map(const struct bpftk_object_map *m)
{
	printf("{\"index\":%ld,\"name\":", bpftk_object_map_index(m));
	jstr(bpftk_object_map_name(m));
	printf(",\"type\":");
	jstr(map_type_str(bpftk_object_map_type(m)));
	printf(",\"type_id\":%u,\"key_size\":%u,\"value_size\":%u,"
	       "\"max_entries\":%u,\"flags\":%u,\"numa_node\":%u,"
	       "\"pinning\":%u,\"map_extra\":%" PRIu64 ",\"kind\":\"%s\","
	       "\"section\":",
	       bpftk_object_map_type(m), bpftk_object_map_key_size(m),
	       bpftk_object_map_value_size(m), bpftk_object_map_max_entries(m),
	       bpftk_object_map_flags(m), bpftk_object_map_numa_node(m),
	       bpftk_object_map_pinning(m), bpftk_object_map_extra(m),
	       kind_name(bpftk_object_map_kind(m)));
	jstr(bpftk_object_map_section(m));
	const struct bpftk_object_map *in = bpftk_object_map_inner(m);
	printf(",\"inner\":");
	if (in)
		json_map(in);
	else
		printf("null");
	printf(",\"slots\":[");
	for (size_t k = 0; k < bpftk_object_map_slot_count(m); k++) {
		struct bpftk_object_slot s;
		bpftk_object_map_slot(m, k, &s);
		if (s.kind == BPFTK_OBJ_SLOT_NONE)
			printf("%snull", k ? "," : "");
		else
			printf("%s{\"%s\":%zu}", k ? "," : "",
			       s.kind == BPFTK_OBJ_SLOT_MAP ? "map" : "prog",
			       s.index);
	}
	printf("]}");
}

static void show_json(const struct bpftk_object *o)
{
	printf("{\"file\":");
	jstr(bpftk_object_filename(o));
	printf(",\"name\":");
	jstr(bpftk_object_name(o));
	printf(",\"endian\":\"%s\",\"license\":",
	       bpftk_elf_big_endian(bpftk_object_elf(o)) ? "big" : "little");
	if (bpftk_object_license(o))
		jstr(bpftk_object_license(o));
	else
		printf("null");
	uint32_t kv;
	if (!bpftk_object_kversion(o, &kv))
		printf(",\"kernel_version\":%u", kv);
	else
		printf(",\"kernel_version\":null");
	printf(",\"programs\":[");
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++) {
		printf("%s", i ? "," : "");
		json_prog(bpftk_object_prog_at(o, i));
	}
	printf("],\"maps\":[");
	for (size_t i = 0; i < bpftk_object_map_count(o); i++) {
		printf("%s", i ? "," : "");
		json_map(bpftk_object_map_at(o, i));
	}
	struct bpftk_object_btf_info b;
	bpftk_object_btf_info(o, &b);
	printf("],\"btf\":{\"present\":%s,\"types\":%u,\"str_size\":%u,"
	       "\"size\":%zu,\"ext\":%s,\"func_info\":%zu,\"line_info\":%zu,"
	       "\"core_relo\":%zu}}\n",
	       b.present ? "true" : "false", b.types, b.str_size, b.size,
	       b.ext_present ? "true" : "false", b.func_info, b.line_info,
	       b.core_relo);
}

static int show(int argc, char **argv)
{
	int json = 0, disasm = 0;
	const char *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is(argv[i], "-h", "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (cli_is(argv[i], "-j", "--json")) {
			json = 1;
		} else if (cli_is(argv[i], "-d", "--disasm")) {
			disasm = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("obj show: unknown option '%s' (try 'bpftk "
				  "obj --help')",
				  argv[i]);
			return EXIT_USAGE;
		} else if (file) {
			cli_error("obj show: more than one file given");
			return EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		cli_error("obj show: no object file given (try 'bpftk obj "
			  "--help')");
		return EXIT_USAGE;
	}
	size_t len;
	char *data = cli_read_file(file, &len);
	if (!data)
		return EXIT_IO;
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d) {
		free(data);
		cli_error("out of memory");
		return EXIT_REJECTED;
	}
	struct bpftk_object_opts opts = {sizeof(opts), NULL, file};
	struct bpftk_object *o = NULL;
	int err = bpftk_object_open_mem(data, len, &opts, &o, d);
	free(data);
	cli_print_diags(d);
	bpftk_diags_free(d);
	if (err)
		return EXIT_REJECTED;
	if (json && disasm) {
		cli_error("obj show: -d and -j do not combine");
		bpftk_object_close(o);
		return EXIT_USAGE;
	}
	if (json)
		show_json(o);
	else
		show_text(o, disasm);
	bpftk_object_close(o);
	return fflush(stdout) ? EXIT_IO : EXIT_OK;
}

int cmd_obj(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_is(argv[1], "-h", "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "show"))
		return show(argc - 1, argv + 1);
	cli_error("obj: unknown subcommand '%s' (try 'bpftk obj --help')",
		  argv[1]);
	return EXIT_USAGE;
}
