/* fuzz_seccomp.c — libFuzzer target for the seccomp policy language: the
 * input is a policy text.  What parses must compile (or be refused as too
 * long, -E2BIG) to a filter that bpftk's seccomp validator accepts and that
 * gives, on inputs derived from the text's bytes (every architecture, the
 * syscall numbers around each rule, argument values from the input), the
 * action the policy's own rules give (bpftk_seccomp_eval).  A rejection
 * must say why.  A second run fails one allocation (which one depends on
 * the input) and must end in -ENOMEM or success.  Any crash, leak,
 * sanitizer report or broken promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/cbpf.h>
#include <bpftk/seccomp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_alloc.h"

static void check_filter(const struct bpftk_seccomp_policy *p,
			 const struct bpftk_cbpf_insn *prog, size_t n,
			 const uint8_t *data, size_t size)
{
	static const uint32_t arches[] = {BPFTK_AUDIT_ARCH_X86_64,
					  BPFTK_AUDIT_ARCH_I386,
					  BPFTK_AUDIT_ARCH_AARCH64, 0x40000028u};
	if (bpftk_cbpf_validate(prog, n, BPFTK_CBPF_SECCOMP, NULL))
		abort();
	uint64_t h = 1469598103934665603ull;
	for (int k = 0; k < 64; k++) {
		struct bpftk_seccomp_data sd;
		memset(&sd, 0, sizeof(sd));
		for (size_t i = 0; i < 8 && size; i++)
			h = (h ^ data[(size_t)k * 8 + i < size
					     ? (size_t)k * 8 + i
					     : (k + i) % size]) *
			    1099511628211ull;
		sd.arch = arches[k % 4];
		sd.nr = k < 48 ? (int)(h % 460) : (int)(uint32_t)h;
		for (int a = 0; a < 6; a++) {
			h = h * 6364136223846793005ull + 1442695040888963407ull;
			sd.args[a] = (k & 1) ? h : h % 8;
		}
		if (bpftk_cbpf_run_seccomp(prog, n, &sd) !=
		    bpftk_seccomp_eval(p, &sd))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	for (int failing = 0; failing < 2; failing++) {
		if (failing)
			failing_start(data, size, 48);
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_seccomp_policy *p = NULL;
		struct bpftk_cbpf_insn *prog = NULL;
		size_t n = 0;
		int err = bpftk_seccomp_parse(text, "fuzz.policy", &p, d);
		if (!err != !!p)
			abort();
		if (!err)
			err = bpftk_seccomp_compile(p, &prog, &n, d);
		if (d && err && err != -ENOMEM && !bpftk_diags_errors(d))
			abort(); /* rejected without saying why */
		if (!failing && err && err != -EINVAL && err != -E2BIG)
			abort();
		if (failing && err && err != -ENOMEM && err != -EINVAL &&
		    err != -E2BIG)
			abort();
		if (!err && !failing)
			check_filter(p, prog, n, data, size);
		bpftk_seccomp_free(prog);
		bpftk_seccomp_policy_free(p);
		bpftk_diags_free(d);
		if (failing)
			bpftk_set_allocator(NULL, NULL, NULL);
	}
	free(text);
	return 0;
}
