/* fuzz_asm.c — libFuzzer target for the assembler: the input is assembled
 * as LLVM dialect, as conformance dialect and with auto-detection; what
 * assembles is ISA-validated and encoded.  A last run fails one allocation
 * (which one depends on the input) and must end in -ENOMEM or success.
 * Any crash, leak or sanitizer report is a bug; so is a result that breaks
 * the API's promises (empty section, symbol outside its section, a
 * rejection without an error message), which aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/asm.h>
#include <bpftk/isa.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bpftk_asm_dialect dialects[] = {
		BPFTK_ASM_LLVM, BPFTK_ASM_CONFORMANCE, BPFTK_ASM_AUTO,
		BPFTK_ASM_AUTO};
	for (size_t k = 0; k < sizeof(dialects) / sizeof(dialects[0]); k++) {
		int failing = k == 3;
		if (failing)
			failing_start(data, size, 64);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_asm_opts o = {.sz = sizeof(o),
					   .dialect = dialects[k],
					   .filename = "fuzz.s"};
		struct bpftk_asm_result *r = NULL;
		unsigned long before = calls;
		int err = bpftk_asm_assemble((const char *)data, size, &o, &r, d);
		if (!err != !!r)
			abort();
		if (d && err && !bpftk_diags_errors(d) && err != -ENOMEM)
			abort(); /* rejected without saying why */
		if (failing && before < fail_at && calls >= fail_at &&
		    err != -ENOMEM)
			abort(); /* an allocation failed unnoticed */
		for (size_t i = 0; i < bpftk_asm_result_nsections(r); i++) {
			const struct bpftk_asm_section *s =
				bpftk_asm_result_section(r, i);
			if (!s->n || !s->name)
				abort();
			for (size_t j = 0; j < s->nsyms; j++)
				if (s->syms[j].insn > s->n || !s->syms[j].name)
					abort();
			bpftk_isa_validate(s->insns, s->n, d, s->name);
			unsigned char *bytes = malloc(s->n * 8);
			if (bytes) {
				bpftk_isa_encode(s->insns, s->n, 0, bytes);
				free(bytes);
			}
		}
		for (size_t i = 0; i < bpftk_diags_count(d); i++) {
			char line[256];
			bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		}
		bpftk_asm_result_free(r);
		bpftk_diags_free(d);
		if (failing)
			bpftk_set_allocator(NULL, NULL, NULL);
	}
	return 0;
}
