/* asm_directive.c — what surrounds instructions in LLVM-dialect text:
 * assembler directives as `clang -target bpf -S` (LLVM 14) emits them, and
 * the decorations of llvm-objdump listings and kernel verifier logs.
 *
 * Directives either switch sections (.text, .section, .data, ...), mark
 * symbols (.globl, .type x,@function), hold data (.byte, .asciz, ... — only
 * allowed outside code sections, where they are skipped; the string of a
 * "license" section is kept) or are ignored (.file, .p2align, .size,
 * .addrsig, debug-line bookkeeping).  Anything else is an error, so a typo
 * never silently drops code.
 */
#include <string.h>

#include "asm_int.h"

/* Names of sections that hold data even without flags saying so. */
static int data_like(const char *p, size_t len)
{
	static const char *const exact[] = {
		".data", ".rodata", ".bss",   ".BTF",	   ".maps",   "maps",
		"license", "version", ".comment", ".eh_frame", ".BTF.ext",
	};
	static const char *const prefix[] = {".debug", ".llvm", ".note",
					     ".rel"};
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		size_t l = strlen(exact[i]);
		if (len >= l && !memcmp(p, exact[i], l) &&
		    (len == l || p[l] == '.'))
			return 1;
	}
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		size_t l = strlen(prefix[i]);
		if (len >= l && !memcmp(p, prefix[i], l))
			return 1;
	}
	return 0;
}

static int is_one_of(const struct tok *t, const char *const *list)
{
	for (; *list; list++)
		if (asm_tok_is(t, *list))
			return 1;
	return 0;
}

static const char *const ignored[] = {
	".file",     ".p2align",  ".align",	".balign",   ".size",
	".addrsig",  ".addrsig_sym", ".ident", ".weak",	     ".hidden",
	".protected", ".internal", ".local",	".comm",     ".lcomm",
	".loc",	     ".set",	  ".equ",	".cfi_sections", ".cfi_startproc",
	".cfi_endproc", ".cfi_def_cfa", ".cfi_offset", ".end", NULL,
};

static const char *const data_directives[] = {
	".byte",  ".short", ".half",  ".hword", ".2byte", ".word",   ".long",
	".int",	  ".4byte", ".quad",  ".8byte", ".dword", ".ascii",  ".asciz",
	".string", ".zero", ".space", ".skip",	".fill",  ".uleb128", ".sleb128",
	NULL,
};

static void enter(struct asm_ctx *c, const char *name, size_t len, int code,
		  int col)
{
	size_t before = c->nsecs;
	if (asm_section_switch(c, name, len, code))
		return;
	struct asm_section *s = &c->secs[c->cur];
	if (c->nsecs > before && !code && !s->noted) {
		s->noted = 1;
		asm_note(c, col, "skipping non-code section '%s'", s->name);
	}
}

/* .section NAME [, "FLAGS" [, @TYPE ...]] — NAME may be quoted */
static int section(struct asm_ctx *c, const struct tok *t, size_t n)
{
	if (n < 2) {
		asm_error(c, t[0].col + (int)t[0].len,
			  "expected section name, found end of line");
		return -1;
	}
	const char *name = t[1].p;
	size_t len = t[1].len, i = 2;
	if (t[1].kind == TK_STR) {
		name++;
		len -= 2;
	} else {
		/* unquoted names may contain '/' or '-': take the raw text */
		while (i < n && !asm_tok_is(&t[i], ","))
			i++;
		len = (size_t)(t[i - 1].p + t[i - 1].len - name);
	}
	int code = !data_like(name, len);
	if (i < n && asm_tok_is(&t[i], ",") && i + 1 < n) {
		if (t[i + 1].kind != TK_STR) {
			asm_error(c, t[i + 1].col,
				  "expected section flags string, found "
				  "'%.*s'",
				  (int)t[i + 1].len, t[i + 1].p);
			return -1;
		}
		code = memchr(t[i + 1].p, 'x', t[i + 1].len) != NULL;
	}
	if (!len) {
		asm_error(c, t[1].col, "empty section name");
		return -1;
	}
	enter(c, name, len, code, t[0].col);
	return 0;
}

int asm_directive(struct asm_ctx *c, const struct tok *t, size_t n)
{
	char q[64];
	if (asm_tok_is(&t[0], ".text")) {
		enter(c, ".text", 5, 1, t[0].col);
		return 0;
	}
	if (asm_tok_is(&t[0], ".data") || asm_tok_is(&t[0], ".bss") ||
	    asm_tok_is(&t[0], ".rodata")) {
		enter(c, t[0].p, t[0].len, 0, t[0].col);
		return 0;
	}
	if (asm_tok_is(&t[0], ".section") || asm_tok_is(&t[0], ".pushsection"))
		return section(c, t, n);
	if (asm_tok_is(&t[0], ".globl") || asm_tok_is(&t[0], ".global") ||
	    asm_tok_is(&t[0], ".type")) {
		if (n < 2 || t[1].kind != TK_IDENT) {
			asm_error(c, n < 2 ? t[0].col + (int)t[0].len : t[1].col,
				  "expected symbol name after '%.*s'",
				  (int)t[0].len, t[0].p);
			return -1;
		}
		unsigned flag = BPFTK_ASM_SYM_GLOBAL;
		if (asm_tok_is(&t[0], ".type")) {
			/* .type name,@function (also %function, STT_FUNC) */
			flag = 0;
			for (size_t i = 2; i < n; i++)
				if (asm_tok_is(&t[i], "function") ||
				    asm_tok_is(&t[i], "STT_FUNC"))
					flag = BPFTK_ASM_SYM_FUNC;
			if (!flag)
				return 0;
		}
		struct asm_label *l = asm_label_get(c, t[1].p, t[1].len);
		if (l)
			l->flags |= flag;
		return 0;
	}
	if (is_one_of(&t[0], ignored) ||
	    (t[0].len > 5 && !memcmp(t[0].p, ".cfi_", 5)))
		return 0;
	if (is_one_of(&t[0], data_directives)) {
		struct asm_section *s = &c->secs[c->cur];
		if (s->code) {
			asm_quote(t[0].p, t[0].len, q, sizeof(q));
			asm_error(c, t[0].col,
				  "data directive '%s' in code section '%s' is "
				  "not supported",
				  q, s->name);
			return -1;
		}
		int str = asm_tok_is(&t[0], ".asciz") ||
			  asm_tok_is(&t[0], ".ascii") ||
			  asm_tok_is(&t[0], ".string");
		if (str && !strcmp(s->name, "license") && !c->license && n > 1 &&
		    t[1].kind == TK_STR) {
			c->license = t[1].p + 1;
			c->license_len = t[1].len - 2;
		}
		return 0;
	}
	asm_quote(t[0].p, t[0].len, q, sizeof(q));
	asm_error(c, t[0].col, "unknown directive '%s'", q);
	return -1;
}

/* ---- listings ---------------------------------------------------------------- */

static int hex2(const struct tok *t, int *v)
{
	if (t->len != 2 || (t->kind != TK_IDENT && t->kind != TK_NUM))
		return 0;
	int x = 0;
	for (int i = 0; i < 2; i++) {
		char ch = t->p[i];
		int d = ch >= '0' && ch <= '9'	 ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
						 : -1;
		if (d < 0)
			return 0;
		x = x * 16 + d;
	}
	if (v)
		*v = x;
	return 1;
}

int asm_listing_line(struct asm_ctx *c, const struct tok *t, size_t n)
{
	/* "Disassembly of section NAME:" */
	if (n >= 5 && asm_tok_is(&t[0], "Disassembly") &&
	    asm_tok_is(&t[1], "of") && asm_tok_is(&t[2], "section") &&
	    asm_tok_is(&t[n - 1], ":")) {
		const char *b = t[3].p;
		enter(c, b, (size_t)(t[n - 1].p - b), 1, t[0].col);
		return 1;
	}
	/* "a.o:	file format elf64-bpf" */
	for (size_t i = 0; i + 2 < n; i++)
		if (asm_tok_is(&t[i], ":") && asm_tok_is(&t[i + 1], "file") &&
		    asm_tok_is(&t[i + 2], "format"))
			return 1;
	/* "\t\t0000000000000010:  R_BPF_64_32\tfoo" (llvm-objdump -r) */
	if (n >= 3 && t[0].kind == TK_NUM && asm_tok_is(&t[1], ":") &&
	    t[2].kind == TK_IDENT && t[2].len > 6 && !memcmp(t[2].p, "R_BPF_", 6))
		return 1;
	/* "0000000000000028 <LBB0_2>:" */
	if (n >= 5 && t[0].kind == TK_NUM && asm_tok_is(&t[1], "<") &&
	    asm_tok_is(&t[n - 2], ">") && asm_tok_is(&t[n - 1], ":")) {
		if (n == 5 && t[2].kind == TK_IDENT)
			asm_label_define(c, &t[2]);
		return 1;
	}
	return 0;
}

size_t asm_strip_listing(const struct tok *t, size_t *n, int *code)
{
	size_t i = 0;
	*code = -1;
	/* "12:" instruction index */
	if (*n >= 2 && t[0].kind == TK_NUM && asm_tok_is(&t[1], ":")) {
		i = 2;
		/* "(b7)" verifier opcode */
		int v;
		if (i + 2 < *n && asm_tok_is(&t[i], "(") && hex2(&t[i + 1], &v) &&
		    asm_tok_is(&t[i + 2], ")")) {
			*code = v;
			i += 3;
		}
		/* raw bytes: 8, or 16 for lddw */
		size_t k = i;
		while (k < *n && hex2(&t[k], NULL))
			k++;
		if (k - i == 8 || k - i == 16)
			i = k;
	}
	/* trailing "<LBB0_4>" annotation (not a lone "<unknown>") */
	if (*n > i && asm_tok_is(&t[*n - 1], ">")) {
		for (size_t j = *n - 1; j > i + 1; j--) {
			if (asm_tok_is(&t[j - 1], "<")) {
				*n = j - 1;
				break;
			}
		}
	}
	return i;
}
