/* test_elf.c — the ELF reader and writer.
 *
 *  1. Every object of ../shared/corpus opens; its sections (name, type,
 *     flags, offset, size), symbols (value, size, type, binding, section)
 *     and relocation counts equal what llvm-readelf 14 reports (the
 *     oracle; skipped with a note when it is not installed).
 *  2. Every file of corpus/ebpf-samples/invalid is rejected with a message
 *     naming the file: by the reader, or, for a well-formed container, by
 *     decoding and validating its code sections; the two inputs kept in
 *     that folder for a crash and a time-out they once caused in another
 *     loader, and that are well-formed, are listed and must load cleanly.
 *  3. A small object truncated at every length is rejected; thousands of
 *     corrupted copies (deterministic pseudo-random byte changes) never
 *     crash, and whenever one opens, it can be listed.
 *  4. Writer -> reader round trip in both byte orders; llvm-readelf -a
 *     prints no warning about what we write, and llvm-objdump lists the
 *     big-endian object with the same text as the little-endian one.
 *  5. Writer input errors, hand-made header errors, allocation failures.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/disasm.h>
#include <bpftk/elf.h>
#include <bpftk/isa.h>

#include "test.h"

static char readelf[64], objdump[64];

static int tool_is_14(const char *name)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd),
		 "%s --version 2>/dev/null | grep -q 'LLVM version 14\\.'",
		 name);
	return system(cmd) == 0;
}

static void find_tools(void)
{
	const char *re[] = {"llvm-readelf-14", "llvm-readelf"};
	const char *od[] = {"llvm-objdump-14", "llvm-objdump"};
	for (int i = 0; i < 2 && !readelf[0]; i++)
		if (tool_is_14(re[i]))
			snprintf(readelf, sizeof(readelf), "%s", re[i]);
	for (int i = 0; i < 2 && !objdump[0]; i++)
		if (tool_is_14(od[i]))
			snprintf(objdump, sizeof(objdump), "%s", od[i]);
}

static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	size_t cap = 1 << 16, n = 0, k;
	char *buf = malloc(cap);
	while (buf && (k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
		n += k;
		if (cap - n < 2) {
			char *q = realloc(buf, cap * 2);
			if (!q) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = q;
			cap *= 2;
		}
	}
	int st = pclose(p);
	if (buf)
		buf[n] = '\0';
	if (st != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b)
		*len = (size_t)n;
	return b;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) || w != len ? -1 : 0;
}

static const char *temp_path(const char *tag)
{
	static char buf[4][160];
	static int k;
	char *p = buf[k++ % 4];
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(p, 160, "%s/bpftk-test-elf-%ld-%d%s", dir, (long)getpid(), k,
		 tag);
	return p;
}

/* Regular files below dir (recursively), sorted; returns the count. */
static size_t list_files(const char *dir, char ***out, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return n;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		DIR *sub = opendir(path);
		if (sub) {
			closedir(sub);
			n = list_files(path, out, n);
			continue;
		}
		char **v = realloc(*out, (n + 1) * sizeof(*v));
		if (!v)
			break;
		*out = v;
		v[n++] = strdup(path);
	}
	closedir(d);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_elf_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char m[4] = {0};
	if (!f)
		return 0;
	size_t n = fread(m, 1, 4, f);
	fclose(f);
	return n == 4 && !memcmp(m, "\177ELF", 4);
}

/* The first error of d formatted, or "". */
static const char *first_error(struct bpftk_diags *d, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		if (g->severity == BPFTK_SEV_ERROR) {
			bpftk_diag_format(g, buf, size);
			break;
		}
	}
	return buf;
}

/* ---- 1. corpus against llvm-readelf ------------------------------------ */

static const char *type_name(uint8_t t)
{
	static const char *const n[] = {"NOTYPE", "OBJECT", "FUNC", "SECTION",
					"FILE",	  "COMMON", "TLS"};
	return t < 7 ? n[t] : "?";
}

static const char *bind_name(uint8_t b)
{
	static const char *const n[] = {"LOCAL", "GLOBAL", "WEAK"};
	return b < 3 ? n[b] : "?";
}

/* Compares sections and symbols of e with llvm-readelf's report. */
static int cross_check(const char *path, const struct bpftk_elf *e)
{
	char cmd[1200];
	int bad = 0;
	snprintf(cmd, sizeof(cmd), "%s -S -s -r --wide '%s' 2>&1", readelf,
		 path);
	char *out = run(cmd);
	if (!out)
		return 1;
	size_t nsec = 0, nsym = 0, nrel_readelf = 0, nrel = 0;
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned idx;
		char name[256], type[32];
		uint64_t addr, off, size;
		const char *br = strchr(l, '[');
		if (br && sscanf(br, "[%u]", &idx) == 1 && strchr(br, ']')) {
			/* "  [ 2] .text   PROGBITS  addr off size ..." */
			const char *p = strchr(br, ']') + 1;
			name[0] = '\0';
			int got = sscanf(p, "%255s %31s %" SCNx64 " %" SCNx64
					    " %" SCNx64,
					 name, type, &addr, &off, &size);
			struct bpftk_elf_shdr s;
			if (idx == 0) {
				nsec++;
				continue;
			}
			if (got != 5 || bpftk_elf_section(e, idx, &s) ||
			    strcmp(s.name, name) || s.offset != off ||
			    s.size != size) {
				fprintf(stderr, "%s: section %u differs: %s\n",
					path, idx, l);
				bad++;
			}
			nsec++;
			continue;
		}
		unsigned long long value, ssize;
		char ty[16], bi[16], vis[16], ndx[16];
		int pos = 0;
		if (sscanf(l, " %u: %llx %llu %15s %15s %15s %15s %n", &idx,
			   &value, &ssize, ty, bi, vis, ndx, &pos) == 7) {
			struct bpftk_elf_sym y;
			const char *nm = l + pos;
			if (bpftk_elf_symbol(e, idx, &y)) {
				bad++;
				continue;
			}
			const char *ours = y.name;
			struct bpftk_elf_shdr s;
			if (y.type == BPFTK_STT_SECTION &&
			    !bpftk_elf_section(e, y.shndx, &s))
				ours = s.name;
			char nd[16];
			if (y.shndx == 0)
				snprintf(nd, sizeof(nd), "UND");
			else if (y.shndx == 0xfff1)
				snprintf(nd, sizeof(nd), "ABS");
			else if (y.shndx == 0xfff2)
				snprintf(nd, sizeof(nd), "COM");
			else
				snprintf(nd, sizeof(nd), "%u", y.shndx);
			if (y.value != value || y.size != ssize ||
			    strcmp(type_name(y.type), ty) ||
			    strcmp(bind_name(y.bind), bi) || strcmp(nd, ndx) ||
			    strcmp(ours, nm)) {
				fprintf(stderr, "%s: symbol %u differs: %s\n",
					path, idx, l);
				bad++;
			}
			nsym++;
			continue;
		}
		const char *c = strstr(l, " contains ");
		unsigned long n;
		if (!strncmp(l, "Relocation section", 18) && c &&
		    sscanf(c, " contains %lu", &n) == 1)
			nrel_readelf += n;
	}
	for (size_t i = 0; i < bpftk_elf_section_count(e); i++)
		nrel += bpftk_elf_reloc_count(e, i);
	if (nsec != bpftk_elf_section_count(e) ||
	    nsym != bpftk_elf_symbol_count(e) || nrel != nrel_readelf) {
		fprintf(stderr, "%s: counts differ: sections %zu/%zu symbols "
				"%zu/%zu relocations %zu/%zu\n",
			path, nsec, bpftk_elf_section_count(e), nsym,
			bpftk_elf_symbol_count(e), nrel_readelf, nrel);
		bad++;
	}
	free(out);
	return bad;
}

static void test_corpus(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/corpus", test_shared);
	char **files = NULL;
	size_t n = list_files(dir, &files, 0);
	qsort(files, n, sizeof(*files), cmp_str);
	size_t objects = 0, checked = 0, sections = 0, symbols = 0;
	for (size_t i = 0; i < n; i++) {
		if (strstr(files[i], "/invalid/") || !is_elf_file(files[i]))
			continue;
		size_t len;
		char *data = read_file(files[i], &len);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_elf *e = NULL;
		char msg[512];
		int rc = bpftk_elf_open_mem(data, len, files[i], &e, d);
		if (rc)
			fprintf(stderr, "%s\n", first_error(d, msg, sizeof(msg)));
		CHECK(rc == 0);
		if (!rc) {
			objects++;
			sections += bpftk_elf_section_count(e);
			symbols += bpftk_elf_symbol_count(e);
			/* every code section decodes and is valid RFC 9669 */
			for (size_t s = 0; s < bpftk_elf_section_count(e); s++) {
				struct bpftk_elf_shdr sh;
				bpftk_elf_section(e, s, &sh);
				if (!(sh.flags & BPFTK_SHF_EXECINSTR) || !sh.size)
					continue;
				struct bpftk_insn *in = NULL;
				size_t k;
				CHECK(bpftk_elf_section_insns(e, s, &in, &k, d) ==
				      0);
				CHECK(bpftk_isa_validate(in, k, d, sh.name) == 0);
				bpftk_elf_buf_free(in);
			}
			if (bpftk_diags_errors(d))
				fprintf(stderr, "%s: %s\n", files[i],
					first_error(d, msg, sizeof(msg)));
			if (readelf[0]) {
				CHECK(cross_check(files[i], e) == 0);
				checked++;
			}
		}
		bpftk_elf_close(e);
		bpftk_diags_free(d);
		free(data);
	}
	printf("corpus: %zu objects opened (%zu sections, %zu symbols), %zu "
	       "cross-checked against llvm-readelf\n",
	       objects, sections, symbols, checked);
	CHECK(objects >= 100);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

/* ---- 2. the invalid/ folder --------------------------------------------- */

/* Kept in the folder for a crash or time-out they caused in another
 * loader; both are well-formed objects (a renamed debug section; a long
 * chain of tail calls) and must load. */
static int well_formed_history(const char *path)
{
	return strstr(path, "ef2e42c0bfcf4dab6b9c3926759365b6dfa73634") ||
	       strstr(path, "timeout-29db93548c671165313b314d4f83a3eefa24df37");
}

static void test_invalid(void)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/corpus/ebpf-samples/invalid",
		 test_shared);
	char **files = NULL;
	size_t n = list_files(dir, &files, 0);
	qsort(files, n, sizeof(*files), cmp_str);
	size_t by_reader = 0, by_validation = 0, kept = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *data = read_file(files[i], &len);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_elf *e = NULL;
		char msg[512];
		int rc = bpftk_elf_open_mem(data, len, files[i], &e, d);
		int invalid = 0;
		if (rc) {
			CHECK(rc == -EINVAL);
			/* "FILE: error: ..." */
			first_error(d, msg, sizeof(msg));
			CHECK(!strncmp(msg, files[i], strlen(files[i])) &&
			      strstr(msg, ": error: "));
			printf("  %s\n", msg + strlen(dir) + 1);
			by_reader++;
			invalid = 1;
		} else {
			for (size_t s = 0; s < bpftk_elf_section_count(e); s++) {
				struct bpftk_elf_shdr sh;
				bpftk_elf_section(e, s, &sh);
				if (!(sh.flags & BPFTK_SHF_EXECINSTR) || !sh.size)
					continue;
				struct bpftk_insn *in = NULL;
				size_t k;
				if (bpftk_elf_section_insns(e, s, &in, &k, d) ||
				    bpftk_isa_validate(in, k, d, sh.name))
					invalid = 1;
				bpftk_elf_buf_free(in);
			}
			if (invalid) {
				printf("  %s: %s\n", files[i] + strlen(dir) + 1,
				       first_error(d, msg, sizeof(msg)));
				by_validation++;
			}
		}
		if (well_formed_history(files[i])) {
			CHECK(!invalid);
			kept++;
		} else {
			CHECK(invalid);
			CHECK(bpftk_diags_errors(d) > 0);
		}
		bpftk_elf_close(e);
		bpftk_diags_free(d);
		free(data);
		free(files[i]);
	}
	free(files);
	printf("invalid/: %zu files: %zu rejected by the reader, %zu by "
	       "instruction validation, %zu well-formed (kept there for an "
	       "old crash/time-out)\n",
	       n, by_reader, by_validation, kept);
	CHECK(n >= 11 && by_reader + by_validation + kept == n);
}

/* ---- 3. truncation and corruption --------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_truncation(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/build/twomaps.o",
		 test_shared);
	size_t len;
	char *data = read_file(path, &len);
	CHECK(data != NULL);
	if (!data)
		return;
	size_t rejected = 0;
	for (size_t cut = 0; cut < len; cut++) {
		/* an exact-size copy so any over-read trips the sanitizer */
		char *p = malloc(cut ? cut : 1);
		memcpy(p, data, cut);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_elf *e = NULL;
		int rc = bpftk_elf_open_mem(p, cut, "cut.o", &e, d);
		if (rc == -EINVAL && bpftk_diags_errors(d) > 0 && !e)
			rejected++;
		bpftk_elf_close(e);
		bpftk_diags_free(d);
		free(p);
	}
	printf("truncation: %zu of %zu lengths rejected\n", rejected, len);
	CHECK_EQ_U64(rejected, len);

	size_t opened = 0, tries = 20000;
	for (size_t t = 0; t < tries; t++) {
		char *p = malloc(len);
		memcpy(p, data, len);
		unsigned flips = 1 + (unsigned)(rnd() % 8);
		for (unsigned k = 0; k < flips; k++) {
			size_t at = (size_t)(rnd() % len);
			/* bias towards the headers, where the offsets live */
			if (rnd() & 1)
				at = (size_t)(rnd() % 64);
			else if (rnd() & 1)
				at = len - 1 - (size_t)(rnd() % (25 * 64));
			p[at] = (char)rnd();
		}
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_elf *e = NULL;
		if (!bpftk_elf_open_mem(p, len, "corrupt.o", &e, d)) {
			char *text = NULL;
			struct bpftk_disasm_opts o = {sizeof(o), 0, 0, 0, 1, 1,
						      NULL, 0};
			CHECK(bpftk_disasm_elf(e, &o, &text, NULL, d) == 0);
			bpftk_disasm_free(text);
			opened++;
		} else {
			CHECK(bpftk_diags_errors(d) > 0);
		}
		bpftk_elf_close(e);
		bpftk_diags_free(d);
		free(p);
	}
	printf("corruption: %zu corrupted copies, %zu still well-formed and "
	       "listed, the rest rejected with a message\n",
	       tries, opened);
	free(data);
}

/* ---- 4. writer round trip ----------------------------------------------- */

static const struct bpftk_insn prog_a[] = {
	{0xb7, 0, 0, 0, 42},	    /* r0 = 42 */
	{0x85, 0, 1, 0, 2},	    /* call local +2 */
	{0x95, 0, 0, 0, 0},	    /* exit */
	{0x18, 1, 0, 0, -2},	    /* r1 = lddw ... */
	{0x00, 0, 0, 0, 0x7654321}, /* ... second slot */
	{0xbf, 0, 1, 0, 0},	    /* r0 = r1 */
	{0x95, 0, 0, 0, 0},	    /* exit */
};
static const struct bpftk_insn prog_b[] = {
	{0x61, 2, 1, 4, 0},  /* r2 = *(u32 *)(r1 + 4) */
	{0x15, 2, 0, 1, 7},  /* if r2 == 7 goto +1 */
	{0xb4, 0, 0, 0, -1}, /* w0 = -1 */
	{0x95, 0, 0, 0, 0},  /* exit */
};

static void test_writer(void)
{
	struct bpftk_elf_symbol sa[] = {{"main_a", 0}, {"sub_a", 3}};
	struct bpftk_elf_symbol sb[] = {{"main_b", 0}};
	struct bpftk_elf_section secs[] = {
		{"xdp", prog_a, 7, sa, 2},
		{"socket/filter", prog_b, 4, sb, 1},
		{"empty", NULL, 0, NULL, 0},
	};
	char *listing[2] = {NULL, NULL};
	for (int big = 0; big < 2; big++) {
		void *img = NULL;
		size_t len = 0;
		CHECK(bpftk_elf_write(secs, 3, "Dual BSD/GPL", big, &img, &len,
				      NULL) == 0);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_elf *e = NULL;
		CHECK(bpftk_elf_open_mem(img, len, "w.o", &e, d) == 0);
		if (!e) {
			bpftk_elf_buf_free(img);
			bpftk_diags_free(d);
			continue;
		}
		CHECK_EQ_U64(bpftk_elf_big_endian(e), big);
		for (size_t k = 0; k < 3; k++) {
			long i = bpftk_elf_section_by_name(e, secs[k].name);
			struct bpftk_elf_shdr s;
			CHECK(i > 0 && !bpftk_elf_section(e, (size_t)i, &s));
			CHECK_EQ_U64(s.type, BPFTK_SHT_PROGBITS);
			CHECK_EQ_U64(s.flags,
				     BPFTK_SHF_ALLOC | BPFTK_SHF_EXECINSTR);
			struct bpftk_insn *in = NULL;
			size_t n = 0;
			CHECK(bpftk_elf_section_insns(e, (size_t)i, &in, &n,
						      d) == 0);
			CHECK_EQ_U64(n, secs[k].n);
			CHECK(!n || !memcmp(in, secs[k].insns, n * sizeof(*in)));
			bpftk_elf_buf_free(in);
			/* its function symbols: value, size, type, binding */
			for (size_t f = 0; f < secs[k].nsyms; f++) {
				int found = 0;
				for (size_t y = 0; y < bpftk_elf_symbol_count(e);
				     y++) {
					struct bpftk_elf_sym sym;
					bpftk_elf_symbol(e, y, &sym);
					if (strcmp(sym.name, secs[k].syms[f].name))
						continue;
					found = 1;
					CHECK_EQ_U64(sym.shndx, i);
					CHECK_EQ_U64(sym.value,
						     secs[k].syms[f].insn * 8);
					size_t end = f + 1 < secs[k].nsyms
							     ? secs[k].syms[f + 1].insn
							     : secs[k].n;
					CHECK_EQ_U64(sym.size,
						     (end - secs[k].syms[f].insn) * 8);
					CHECK_EQ_U64(sym.type, BPFTK_STT_FUNC);
					CHECK_EQ_U64(sym.bind, BPFTK_STB_GLOBAL);
				}
				CHECK(found);
			}
		}
		long li = bpftk_elf_section_by_name(e, "license");
		struct bpftk_elf_shdr ls;
		CHECK(li > 0 && !bpftk_elf_section(e, (size_t)li, &ls));
		CHECK(ls.size == 13 && !memcmp(ls.data, "Dual BSD/GPL", 13));
		CHECK(bpftk_elf_section_by_name(e, ".symtab") > 0);
		CHECK(bpftk_elf_section_by_name(e, "nope") == -ENOENT);
		bpftk_elf_close(e);
		bpftk_diags_free(d);

		if (readelf[0] && objdump[0]) {
			const char *path = temp_path(big ? "-be.o" : "-le.o");
			CHECK(write_file(path, img, len) == 0);
			char cmd[512];
			/* no warning or error about what we wrote */
			snprintf(cmd, sizeof(cmd), "%s -a %s 2>&1 >/dev/null",
				 readelf, path);
			char *warn = run(cmd);
			CHECK(warn && !warn[0]);
			if (warn && warn[0])
				fprintf(stderr, "llvm-readelf: %s", warn);
			free(warn);
			snprintf(cmd, sizeof(cmd),
				 "%s -h %s | grep -c '%s endian'", readelf, path,
				 big ? "big" : "little");
			char *endian = run(cmd);
			CHECK(endian && atoi(endian) == 1);
			free(endian);
			snprintf(cmd, sizeof(cmd),
				 "%s -d --no-show-raw-insn %s | tail -n +3",
				 objdump, path);
			listing[big] = run(cmd);
			remove(path);
		}
		bpftk_elf_buf_free(img);
	}
	if (readelf[0] && objdump[0]) {
		/* llvm-objdump reads both byte orders to the same program */
		CHECK(listing[0] && listing[1] && !strcmp(listing[0], listing[1]));
		CHECK(listing[0] && strstr(listing[0], "<main_a>:") &&
		      strstr(listing[0], "<sub_a>:"));
	}
	free(listing[0]);
	free(listing[1]);
}

/* ---- 5. errors ---------------------------------------------------------- */

static void expect_write_error(const struct bpftk_elf_section *s, size_t n,
			       const char *license, const char *what)
{
	struct bpftk_diags *d = bpftk_diags_new();
	void *img = (void *)1;
	size_t len = 1;
	char msg[512];
	CHECK(bpftk_elf_write(s, n, license, 0, &img, &len, d) == -EINVAL);
	CHECK(img == NULL && len == 0);
	first_error(d, msg, sizeof(msg));
	if (!strstr(msg, what))
		fprintf(stderr, "expected '%s' in '%s'\n", what, msg);
	CHECK(strstr(msg, what) != NULL);
	bpftk_diags_free(d);
}

static void test_write_errors(void)
{
	struct bpftk_elf_symbol far = {"far", 9}, dup = {"main_a", 1};
	struct bpftk_elf_symbol two[] = {{"x", 0}, {"x", 1}};
	struct bpftk_elf_section s1[] = {{"a", prog_a, 7, &far, 1}};
	expect_write_error(s1, 1, NULL, "outside section 'a'");
	struct bpftk_elf_section s2[] = {{"a", prog_a, 7, NULL, 0},
					 {"a", prog_b, 4, NULL, 0}};
	expect_write_error(s2, 2, NULL, "appears twice");
	struct bpftk_elf_section s3[] = {{"", prog_a, 7, NULL, 0}};
	expect_write_error(s3, 1, NULL, "has no name");
	struct bpftk_elf_section s4[] = {{".symtab", prog_a, 7, NULL, 0}};
	expect_write_error(s4, 1, NULL, "reserved");
	struct bpftk_elf_symbol sa = {"main_a", 0};
	struct bpftk_elf_section s5[] = {{"a", prog_a, 7, &sa, 1},
					 {"b", prog_b, 4, &dup, 1}};
	expect_write_error(s5, 2, NULL, "defined twice");
	struct bpftk_elf_section s6[] = {{"a", prog_a, 7, two, 2}};
	expect_write_error(s6, 1, NULL, "defined twice");
	/* no sections at all is a valid (empty) object */
	void *img;
	size_t len;
	CHECK(bpftk_elf_write(NULL, 0, NULL, 0, &img, &len, NULL) == 0);
	struct bpftk_elf *e = NULL;
	CHECK(bpftk_elf_open_mem(img, len, NULL, &e, NULL) == 0);
	CHECK(e && !strcmp(bpftk_elf_filename(e), "<memory>"));
	bpftk_elf_close(e);
	bpftk_elf_buf_free(img);
}

/* A valid little-endian object to corrupt field by field. */
static void *base_object(size_t *len)
{
	struct bpftk_elf_symbol s = {"f", 0};
	struct bpftk_elf_section sec = {"t", prog_b, 4, &s, 1};
	void *img = NULL;
	bpftk_elf_write(&sec, 1, "GPL", 0, &img, len, NULL);
	return img;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void expect_open_error(const uint8_t *img, size_t len,
			      const char *what)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_elf *e = NULL;
	char msg[512];
	CHECK(bpftk_elf_open_mem(img, len, "h.o", &e, d) == -EINVAL);
	CHECK(e == NULL);
	first_error(d, msg, sizeof(msg));
	if (!strstr(msg, what))
		fprintf(stderr, "expected '%s' in '%s'\n", what, msg);
	CHECK(!strncmp(msg, "h.o: error: ", 12) && strstr(msg, what));
	bpftk_diags_free(d);
}

static void test_header_errors(void)
{
	size_t len;
	uint8_t *base = base_object(&len);
	uint8_t *p = malloc(len);
	uint64_t shoff = get64(base + 40);
#define MUTATE(stmt, what)                                                     \
	do {                                                                   \
		memcpy(p, base, len);                                          \
		stmt;                                                          \
		expect_open_error(p, len, what);                               \
	} while (0)
	MUTATE(p[0] = 0, "not an ELF file");
	MUTATE(p[4] = 1, "ELF class 1");
	MUTATE(p[5] = 3, "byte order");
	MUTATE(put16(p + 16, 2), "not a relocatable object");
	MUTATE(put16(p + 18, 62), "not BPF");
	MUTATE(put16(p + 58, 40), "entry size");
	MUTATE(put64(p + 40, 0), "no section header table");
	MUTATE(put64(p + 40, len - 10), "extends past end of file");
	MUTATE(put16(p + 62, 99), "out of range");
	/* section 1 ("t"): bytes beyond the file, a name beyond the table */
	MUTATE(put64(p + shoff + 64 + 24, len), "section 1 't' extends past end");
	MUTATE(put64(p + shoff + 64 + 32, (uint64_t)1 << 62),
	       "section 1 't' extends past end");
	MUTATE(p[shoff + 64] = 0xf0, "invalid name offset");
#undef MUTATE
	expect_open_error(base, 10, "too small");
	free(p);
	bpftk_elf_buf_free(base);
}

static long fail_after = -1;
static void *failing_malloc(size_t n)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return malloc(n);
}
static void *failing_realloc(void *q, size_t n)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return realloc(q, n);
}

static void test_alloc_failures(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/build/twomaps.o",
		 test_shared);
	size_t len;
	char *data = read_file(path, &len);
	struct bpftk_elf_symbol sa[] = {{"main_a", 0}, {"sub_a", 3}};
	struct bpftk_elf_section secs[] = {{"xdp", prog_a, 7, sa, 2}};
	int open_ok = 0, write_ok = 0, nomem = 0;
	for (long k = 0; k < 300 && !(open_ok && write_ok); k++) {
		struct bpftk_elf *e = NULL;
		void *img = NULL;
		size_t ilen;
		fail_after = k;
		bpftk_set_allocator(failing_malloc, failing_realloc, free);
		int r1 = data ? bpftk_elf_open_mem(data, len, path, &e, NULL)
			      : -EINVAL;
		fail_after = k;
		int r2 = bpftk_elf_write(secs, 1, "GPL", 0, &img, &ilen, NULL);
		bpftk_set_allocator(NULL, NULL, NULL);
		CHECK(r1 == 0 || r1 == -ENOMEM);
		CHECK(r2 == 0 || r2 == -ENOMEM);
		CHECK((r1 == 0) == (e != NULL));
		CHECK((r2 == 0) == (img != NULL));
		nomem += (r1 == -ENOMEM) + (r2 == -ENOMEM);
		open_ok |= r1 == 0;
		write_ok |= r2 == 0;
		bpftk_elf_close(e);
		bpftk_elf_buf_free(img);
	}
	CHECK(open_ok && write_ok && nomem > 0);
	free(data);
}

TEST_MAIN({
	find_tools();
	if (!readelf[0] || !objdump[0])
		printf("note: LLVM 14 llvm-readelf/llvm-objdump not found; "
		       "oracle cross-checks skipped\n");
	test_corpus();
	test_invalid();
	test_truncation();
	test_writer();
	test_write_errors();
	test_header_errors();
	test_alloc_failures();
})
