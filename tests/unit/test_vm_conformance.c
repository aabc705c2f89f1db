/* test_vm_conformance.c — our own interpreter cases as data files
 * (tests/data/vm), run on every engine.  The shared bpf_conformance suite
 * itself is run by test_conformance.c.  Format: that of the conformance
 * suite (../shared/README.md; helper 5 returns its first argument) plus:
 *   -- error      a substring of the expected diagnostic ("insn 3: ...")
 *   -- budget N   the instruction budget of the checked engines
 *   -- checked    run only the checked engines (the program faults) */
#include <dirent.h>

#include <bpftk/asm.h>

#include "test.h"
#include "test_vm_util.h"

struct conf_case {
	char *asm_text;
	size_t asm_len;
	uint8_t raw[8 * 512];
	size_t raw_len;
	int has_raw;
	uint8_t mem[4096];
	size_t mem_len;
	int has_result;
	uint64_t result;
	char error[256];
	uint64_t budget;
	int checked_only;
};

static uint64_t h_first(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			uint64_t e, struct bpftk_vm_call *call)
{
	(void)b, (void)c, (void)d, (void)e, (void)call;
	return a;
}

static void setup(struct bpftk_vm *vm)
{
	bpftk_vm_register_helper(vm, 5, "conformance", h_first);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
		if (n + 1 >= cap) {
			char *p = realloc(buf, cap *= 2);
			if (!p) {
				free(buf);
				buf = NULL;
			}
			buf = p;
		}
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Splits a .data file into its sections (see ../shared/README.md). */
static int parse_case(char *text, struct conf_case *c)
{
	memset(c, 0, sizeof(*c));
	enum { NONE, ASM, RAW, MEM, RESULT, ERROR, OTHER } sec = NONE;
	char *line = text;
	while (line && *line) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "--", 2)) {
			const char *name = line + 2;
			while (*name == ' ')
				name++;
			sec = !strncmp(name, "asm", 3)	    ? ASM
			      : !strncmp(name, "raw", 3)    ? RAW
			      : !strncmp(name, "mem", 3)    ? MEM
			      : !strncmp(name, "result", 6) ? RESULT
			      : !strncmp(name, "error", 5)  ? ERROR
							    : OTHER;
			if (!strncmp(name, "budget", 6))
				c->budget = strtoull(name + 6, NULL, 0);
			if (!strncmp(name, "checked", 7))
				c->checked_only = 1;
			if (sec == ASM)
				c->asm_text = next;
			if (sec == RAW)
				c->has_raw = 1;
		} else if (sec == ASM) {
			c->asm_len = (size_t)(line + strlen(line) - c->asm_text);
			line[strlen(line)] = next ? '\n' : '\0';
		} else if (sec == RAW) {
			char *end;
			unsigned long long v = strtoull(line, &end, 0);
			if (end != line && c->raw_len + 8 <= sizeof(c->raw)) {
				for (int k = 0; k < 8; k++)
					c->raw[c->raw_len++] = (uint8_t)(v >> (8 * k));
			}
		} else if (sec == MEM) {
			for (char *p = line; *p;) {
				char *end;
				unsigned long v = strtoul(p, &end, 16);
				if (end == p)
					break;
				if (c->mem_len < sizeof(c->mem))
					c->mem[c->mem_len++] = (uint8_t)v;
				p = end;
			}
		} else if (sec == ERROR) {
			if (*line && !c->error[0])
				snprintf(c->error, sizeof(c->error), "%s", line);
		} else if (sec == RESULT) {
			const char *p = line;
			while (*p == ' ')
				p++;
			if (*p && *p != '#') {
				int hex = !strncmp(p, "0x", 2) || !strncmp(p, "0X", 2);
				c->result = hex ? strtoull(p, NULL, 16)
					: *p == '-' ? (uint64_t)strtoll(p, NULL, 10)
						    : strtoull(p, NULL, 10);
				c->has_result = 1;
				sec = OTHER;
			}
		}
		line = next;
	}
	return c->has_result || c->error[0] ? 0 : -1;
}

/* The program of a case: assembled, else decoded from raw.  Returns the
 * slot count (0 on failure); *insns is malloc'ed. */
static size_t program_of(const char *file, struct conf_case *c,
			 struct bpftk_insn **insns)
{
	*insns = NULL;
	if (c->asm_text && c->asm_len) {
		struct bpftk_asm_opts o;
		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.dialect = BPFTK_ASM_CONFORMANCE;
		o.filename = file;
		struct bpftk_asm_result *res = NULL;
		struct bpftk_diags *d = bpftk_diags_new();
		size_t n = 0;
		if (bpftk_asm_assemble(c->asm_text, c->asm_len, &o, &res, d) == 0 &&
		    bpftk_asm_result_nsections(res) == 1) {
			const struct bpftk_asm_section *s =
				bpftk_asm_result_section(res, 0);
			n = s->n;
			*insns = malloc((n ? n : 1) * sizeof(**insns));
			memcpy(*insns, s->insns, n * sizeof(**insns));
		} else {
			char line[512];
			for (size_t i = 0; i < bpftk_diags_count(d); i++) {
				bpftk_diag_format(bpftk_diags_get(d, i), line,
						  sizeof(line));
				fprintf(stderr, "%s\n", line);
			}
		}
		bpftk_asm_result_free(res);
		bpftk_diags_free(d);
		return n;
	}
	if (c->has_raw && c->raw_len) {
		size_t n = c->raw_len / 8;
		*insns = malloc(n * sizeof(**insns));
		if (bpftk_isa_decode(c->raw, c->raw_len, 0, *insns, NULL, file) < 0)
			return 0;
		return n;
	}
	return 0;
}

/* tests/data/vm: expected result or expected diagnostic. */
static void run_cases(void)
{
	const char *dir = "tests/data/vm";
	DIR *dd = opendir(dir);
	CHECK(dd != NULL);
	if (!dd)
		return;
	int files = 0, passed = 0;
	struct dirent *e;
	struct conf_case *c = malloc(sizeof(*c));
	while ((e = readdir(dd))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".data"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		size_t len;
		char *text = read_all(path, &len);
		if (!text || parse_case(text, c)) {
			fprintf(stderr, "%s: unreadable, or no result or error\n",
				path);
			CHECK(0);
			free(text);
			continue;
		}
		files++;
		struct bpftk_insn *p;
		size_t n = program_of(e->d_name, c, &p);
		CHECK(n > 0);
		struct vt_out o = vt_run_on(e->d_name, p, n,
					    c->mem_len ? c->mem : NULL, c->mem_len,
					    setup,
					    c->checked_only ? VT_CHECKED : VT_ALL,
					    c->budget);
		/* the diagnostic as printed: "insn N: error: message" */
		char line[700];
		snprintf(line, sizeof(line), "insn %ld: error: %s", o.insn,
			 o.msg);
		int ok;
		if (c->error[0])
			ok = (o.load_err || o.err) && strstr(line, c->error);
		else
			ok = n && !o.load_err && !o.err && o.r0 == c->result;
		if (!ok)
			fprintf(stderr, "%s: r0 0x%" PRIx64 " load %d run %d: %s\n",
				path, o.r0, o.load_err, o.err, line);
		CHECK(ok);
		passed += ok;
		free(p);
		free(text);
	}
	closedir(dd);
	free(c);
	printf("tests/data/vm: %d of %d cases as expected\n", passed, files);
	CHECK(files > 0);
}

TEST_MAIN({ run_cases(); })
