/* test_conformance.c — the bpf_conformance suite (../shared/conformance):
 * every program of tests/ assembles and gives its expected r0 in every
 * interpreter engine (checked and fast memory modes, threaded and switch
 * dispatch); every case of negative/ fails somewhere along the way
 * (assembly, validation, load, run, or a result that differs from the wrong
 * one the file expects).  File format: ../shared/README.md. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <bpftk/asm.h>
#include <bpftk/isa.h>
#include <bpftk/vm.h>

#include "test.h"

struct tcase {
	char *asm_text; /* NULL when absent */
	size_t asm_len;
	struct bpftk_insn raw[256];
	size_t nraw;
	int has_raw;
	unsigned char mem[4096];
	size_t memlen;
	int has_result;
	uint64_t result;
	int has_error;
	char error[256]; /* expected error text; empty in unused-* files */
};

static int hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a .data file into c; returns 0 or -1 when it cannot be read. */
static int load_case(const char *path, struct tcase *c)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	char line[1024], section[64] = "";
	size_t cap = 0;
	uint8_t rawbytes[2048];
	size_t nbytes = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "--", 2)) {
			sscanf(line + 2, " %63s", section);
			if (!strcmp(section, "asm") && !c->asm_text) {
				cap = 4096;
				c->asm_text = calloc(1, cap);
			}
			if (!strcmp(section, "raw"))
				c->has_raw = 1;
			if (!strcmp(section, "error"))
				c->has_error = 1;
			continue;
		}
		if (!strcmp(section, "asm") && c->asm_text) {
			size_t l = strlen(line);
			if (c->asm_len + l + 1 > cap) {
				cap = (c->asm_len + l + 1) * 2;
				c->asm_text = realloc(c->asm_text, cap);
			}
			memcpy(c->asm_text + c->asm_len, line, l + 1);
			c->asm_len += l;
		} else if (!strcmp(section, "raw") && line[0] != '#') {
			char *p = line;
			unsigned long long v;
			int used;
			if (!strncmp(p, "0x", 2)) { /* one u64 per instruction */
				if (sscanf(p, "%llx", &v) == 1 && nbytes + 8 <= sizeof(rawbytes))
					for (int k = 0; k < 8; k++)
						rawbytes[nbytes++] = (uint8_t)(v >> (8 * k));
			} else { /* wire bytes */
				while (nbytes < sizeof(rawbytes) &&
				       sscanf(p, "%2llx%n", &v, &used) == 1) {
					rawbytes[nbytes++] = (uint8_t)v;
					p += used;
				}
			}
		} else if (!strcmp(section, "mem")) {
			for (char *p = line; p[0] && p[1];) {
				int hi = hexdigit(p[0]), lo = hexdigit(p[1]);
				if (hi < 0 || lo < 0) {
					p++;
					continue;
				}
				if (c->memlen < sizeof(c->mem))
					c->mem[c->memlen++] = (uint8_t)(hi << 4 | lo);
				p += 2;
			}
		} else if (!strcmp(section, "error") && line[0] != '#' &&
			   !c->error[0]) {
			line[strcspn(line, "\r\n")] = '\0';
			snprintf(c->error, sizeof(c->error), "%s", line);
		} else if (!strcmp(section, "result") && line[0] != '#') {
			char *end;
			unsigned long long v = strtoull(line, &end, 0);
			if (end != line) {
				c->result = v;
				c->has_result = 1;
			}
		}
	}
	fclose(f);
	long n = bpftk_isa_decode(rawbytes, nbytes - nbytes % 8, 0, c->raw, NULL, NULL);
	c->nraw = n > 0 ? (size_t)n : 0;
	return 0;
}

static uint64_t helper_identity(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5, (void)call;
	return r1;
}

/* The program of a case: its asm section assembled, else its raw section.
 * Returns the slot count, or -1 when there is no usable program. */
static long program_of(const struct tcase *c, const char *name,
		       struct bpftk_insn **out, struct bpftk_diags *d)
{
	*out = NULL;
	if (c->asm_text) {
		struct bpftk_asm_opts o = {.sz = sizeof(o),
					   .dialect = BPFTK_ASM_CONFORMANCE,
					   .filename = name};
		struct bpftk_asm_result *r = NULL;
		if (bpftk_asm_assemble(c->asm_text, c->asm_len, &o, &r, d))
			return -1;
		const struct bpftk_asm_section *s = bpftk_asm_result_section(r, 0);
		long n = -1;
		if (s && s->n) {
			*out = malloc(s->n * sizeof(**out));
			memcpy(*out, s->insns, s->n * sizeof(**out));
			n = (long)s->n;
		}
		bpftk_asm_result_free(r);
		return n;
	}
	if (c->has_raw && c->nraw) {
		*out = malloc(c->nraw * sizeof(**out));
		memcpy(*out, c->raw, c->nraw * sizeof(**out));
		return (long)c->nraw;
	}
	return -1;
}

/* Runs a case in one engine.  Returns 1 when it behaves as the file says
 * (the expected r0, or an error when an error is expected). */
static int run_case(const struct tcase *c, const struct bpftk_insn *p, long n,
		    enum bpftk_vm_mode mode, unsigned flags, char *why, size_t whylen)
{
	struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = mode, .flags = flags,
				  .budget = 100000000};
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	int ok = 0;
	unsigned char mem[4096];
	memcpy(mem, c->mem, c->memlen);
	uint64_t r0 = 0;
	int err = bpftk_vm_new(&o, &vm);
	if (!err)
		err = bpftk_vm_register_helper(vm, 5, "identity", helper_identity);
	if (!err)
		err = bpftk_vm_load(vm, p, (size_t)n, d);
	if (!err)
		err = bpftk_vm_run_mem(vm, c->memlen ? mem : NULL, c->memlen, &r0, d);
	if (err) {
		/* an expected error must also say what the file says */
		const struct bpftk_diag *g = bpftk_diags_get(d, 0);
		ok = c->has_error && (!c->error[0] || (g && strstr(g->msg, c->error)));
		snprintf(why, whylen, "error %d: %s", err, g ? g->msg : "?");
	} else {
		ok = c->has_result && !c->has_error && r0 == c->result;
		snprintf(why, whylen, "r0 = 0x%llx, expected 0x%llx%s",
			 (unsigned long long)r0, (unsigned long long)c->result,
			 c->has_error ? " (an error was expected)" : "");
	}
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	return ok;
}

static const struct {
	enum bpftk_vm_mode mode;
	unsigned flags;
	const char *name;
} engines[] = {
	{BPFTK_VM_CHECKED, 0, "checked"},
	{BPFTK_VM_FAST, 0, "fast"},
	{BPFTK_VM_CHECKED, BPFTK_VM_SWITCH_DISPATCH, "checked/switch"},
	{BPFTK_VM_FAST, BPFTK_VM_SWITCH_DISPATCH, "fast/switch"},
};
#define NENGINES (sizeof(engines) / sizeof(engines[0]))

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the .data files of dir, sorted. */
static size_t list_dir(const char *dir, char ***names)
{
	DIR *dp = opendir(dir);
	size_t n = 0, cap = 512;
	*names = malloc(cap * sizeof(char *));
	struct dirent *e;
	while (dp && (e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".data") && n < cap)
			(*names)[n++] = strdup(e->d_name);
	}
	if (dp)
		closedir(dp);
	qsort(*names, n, sizeof(char *), by_name);
	return n;
}

static void suite(const char *sub, int negative)
{
	char dir[1024], path[2048], why[512];
	snprintf(dir, sizeof(dir), "%s/conformance/%s", test_shared, sub);
	char **names;
	size_t n = list_dir(dir, &names);
	int good[NENGINES] = {0};
	int rejected = 0;
	static struct tcase c;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (load_case(path, &c)) {
			CHECK(!"cannot read case");
			continue;
		}
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_insn *p;
		long np = program_of(&c, names[i], &p, d);
		int failed_somewhere = np < 0;
		if (np < 0 && !negative) {
			const struct bpftk_diag *g = bpftk_diags_get(d, 0);
			char msg[512] = "no program";
			if (g)
				bpftk_diag_format(g, msg, sizeof(msg));
			fprintf(stderr, "%s: does not assemble: %s\n", names[i], msg);
		}
		for (size_t e = 0; np >= 0 && e < NENGINES; e++) {
			int ok = run_case(&c, p, np, engines[e].mode, engines[e].flags,
					  why, sizeof(why));
			good[e] += ok;
			failed_somewhere |= !ok;
			if (!ok && !negative)
				fprintf(stderr, "%s [%s]: %s\n", names[i],
					engines[e].name, why);
		}
		if (negative && c.has_error && !c.error[0]) {
			/* unused-*: a reserved field is set, so the program
			 * must be refused before it runs. */
			struct bpftk_diags *vd = bpftk_diags_new();
			failed_somewhere = np < 0 ||
				bpftk_isa_validate(p, (size_t)np, vd, names[i]) != 0;
			bpftk_diags_free(vd);
		}
		if (negative) {
			/* Any other negative case must fail as a test: in
			 * assembly, loading, running, or by its result. */
			rejected += failed_somewhere;
			if (!failed_somewhere)
				fprintf(stderr, "negative %s was accepted\n", names[i]);
			CHECK(failed_somewhere);
		}
		free(p);
		free(c.asm_text);
		bpftk_diags_free(d);
		free(names[i]);
	}
	free(names);
	if (negative) {
		printf("conformance negative: %d/%zu rejected\n", rejected, n);
		CHECK(n >= 60);
	} else {
		for (size_t e = 0; e < NENGINES; e++) {
			printf("conformance [%s]: %d/%zu passed\n", engines[e].name,
			       good[e], n);
			CHECK(good[e] == (int)n);
		}
		CHECK(n >= 312);
	}
}

TEST_MAIN({
	suite("tests", 0);
	suite("negative", 1);
})
