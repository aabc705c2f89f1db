/* test_verifier_corpus.c — the live kernel's verifier as the oracle of
 * ours, over every program of every object in SHARED/corpus/ebpf-samples.
 *
 * Each program is loaded into Linux through libbpf (kernel_accept.h) and
 * verified by bpftk_verify_object_prog with the type its section gives.
 * Printed: the counts (kernel accepts / rejects / cannot load; we accept /
 * reject; both accept) and every disagreement with both reasons.
 *
 * What must hold:
 *  - a program the kernel rejects for a safety reason is never accepted
 *    by us (a rejection for a missing kernel feature does not count),
 *    except the differences listed in known[] with their reason;
 *  - "kernel accepts, we reject" stays at or below MAX_WE_REJECT, the
 *    level the verifier has reached (goal 0): the test guards regressions;
 *  - no verification ends in an internal error (-EFAULT).
 * Skips (exit 77) when bpf() is not permitted.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpftk/object.h>
#include <bpftk/verifier.h>

#include "kernel_accept.h"
#include "test.h"

/* Programs the kernel accepts and we reject, at most: none (the last
 * three, Cilium's largest tail calls, needed a walk longer than the
 * kernel's 1,000,000 instructions: BPFTK_VERIFY_INSN_LIMIT). */
#define MAX_WE_REJECT 0

/* Kernel safety rejections bpftk accepts on purpose, with the reason. */
static const struct {
	const char *rel, *prog, *why;
} known[] = {
	{"build/bpf2bpf.o", "func",
	 "add1 and add2 are global functions: the kernel verifies each alone "
	 "from its BTF signature (its int * argument may be NULL); bpftk "
	 "verifies every call with the caller's arguments (a stack pointer)"},
};

static const char *known_why(const char *rel, const char *prog)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(known[i].rel, rel) && !strcmp(known[i].prog, prog))
			return known[i].why;
	return NULL;
}

static unsigned n_progs, k_acc, k_rej, k_unl, we_acc, we_rej, both_acc,
	k_rej_safety, we_internal, k_acc_we_rej, k_rej_we_acc,
	k_unl_we_acc;

static void first_error(struct bpftk_diags *d, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		if (g->severity == BPFTK_SEV_ERROR) {
			bpftk_diag_format(g, buf, n);
			char *nl = strchr(buf, '\n');
			if (nl)
				*nl = '\0';
			return;
		}
	}
}

static void check_prog(const char *path, const char *rel,
		       const struct bpftk_object *o,
		       const struct bpftk_object_prog *p)
{
	const char *name = bpftk_object_prog_name(p);
	struct kacc_result k;
	int type;
	CHECK(kacc_load_any(path, o, p, &type, &k) == 0);
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_verify_opts vo;
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.type = (enum bpftk_prog_type)type;
	vo.expected_attach_type = bpftk_object_prog_attach_type(p);
	int err = bpftk_verify_object_prog(o, p, &vo, NULL, d);
	char why[1024];
	first_error(d, why, sizeof(why));
	n_progs++;
	k_acc += k.verdict == KACC_ACCEPTED;
	k_rej += k.verdict == KACC_REJECTED;
	k_unl += k.verdict == KACC_UNLOADABLE;
	we_acc += err == 0;
	we_rej += err == -EACCES || err == -E2BIG;
	both_acc += err == 0 && k.verdict == KACC_ACCEPTED;
	int safety = k.verdict == KACC_REJECTED && kacc_safety_reason(k.reason);
	k_rej_safety += safety;
	if (err == -EFAULT) {
		we_internal++;
		printf("  INTERNAL %s %s: %s\n", rel, name, why);
	}
	if (k.verdict == KACC_ACCEPTED && err) {
		k_acc_we_rej++;
		printf("  kernel accepts, bpftk rejects (%d) %s %s:\n"
		       "      bpftk: %s\n",
		       err, rel, name, why);
	} else if (k.verdict == KACC_REJECTED && !err) {
		k_rej_we_acc++;
		printf("  kernel rejects (%s), bpftk accepts %s %s:\n"
		       "      kernel: %s\n",
		       safety ? "SAFETY" : "missing feature", rel, name,
		       k.reason);
		const char *why_ok = known_why(rel, name);
		if (why_ok)
			printf("      known difference: %s\n", why_ok);
		else if (safety)
			fprintf(stderr, "%s %s: unsafe program accepted\n",
				rel, name);
		CHECK(!safety || why_ok);
	} else if (k.verdict == KACC_UNLOADABLE && !err) {
		k_unl_we_acc++;
	}
	bpftk_diags_free(d);
}

static void check_file(const char *root, const char *rel)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return;
	struct bpftk_object *o = NULL;
	if (bpftk_object_open_file(path, NULL, &o, NULL))
		return; /* malformed: test_object_corpus judges those */
	for (size_t i = 0; i < bpftk_object_prog_count(o); i++)
		check_prog(path, rel, o, bpftk_object_prog_at(o, i));
	bpftk_object_close(o);
}

TEST_MAIN({
	char why[256];
	if (kacc_probe(why, sizeof(why))) {
		printf("skip: %s\n", why);
		return 77;
	}
	char root[4096];
	snprintf(root, sizeof(root), "%s/corpus/ebpf-samples", test_shared);
	kacc_walk(root, "", check_file);
	printf("%u programs: kernel accepts %u, rejects %u (%u for safety), "
	       "cannot load %u\n",
	       n_progs, k_acc, k_rej, k_rej_safety, k_unl);
	printf("bpftk accepts %u, rejects %u; both accept %u\n", we_acc, we_rej,
	       both_acc);
	printf("kernel accepts, bpftk rejects: %u (at most %d allowed)\n",
	       k_acc_we_rej, MAX_WE_REJECT);
	printf("kernel rejects, bpftk accepts: %u; kernel cannot load, bpftk "
	       "accepts: %u; internal errors: %u\n",
	       k_rej_we_acc, k_unl_we_acc, we_internal);
	CHECK(n_progs > 0);
	CHECK(k_acc_we_rej <= MAX_WE_REJECT);
	CHECK(we_internal == 0);
})
