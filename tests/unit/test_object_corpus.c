/* test_object_corpus.c — every object of SHARED/corpus through the loader,
 * with libbpf (1.x, bpf_object__open_mem without loading) as the oracle
 * wherever libbpf opens the object too.
 *
 * What must hold:
 *  - every file under invalid/ is rejected with an error naming the file,
 *    except those listed in not_malformed[] (with the reason);
 *  - every other object opens, except those listed in must_fail[] (with the
 *    reason and the message expected);
 *  - where libbpf opens the object: the same programs (name, section, the
 *    entry function's instruction count and its instructions, except the
 *    fields relocations rewrite; the type when our section match is exact),
 *    the same maps in the same order (name, type, key/value size,
 *    max_entries, flags, inner map definition, initial data), the same BTF
 *    type count and kernel version.
 * Prints the counts it compared.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <bpftk/object.h>

#include "test.h"
#include "test_corpus_walk.h"
#include "test_object_util.h"

struct expect {
	const char *path;
	const char *why;
	const char *msg; /* substring of the first error */
};

/* Objects that cannot open, with the message expected: two reference an
 * extern function only a linker could provide (libbpf rejects them too,
 * asking for its BTF); for two of invalid/ the reason is checked. */
static const struct expect must_fail[] = {
	{"build/badrelo.o", "calls extern function ebpf_map_update_elem",
	 "call to undefined function 'ebpf_map_update_elem'"},
	{"build/externalfunction.o", "calls extern function bpf_map_lookup_elem",
	 "call to undefined function 'bpf_map_lookup_elem'"},
	{"invalid/invalid-lddw.o", "lddw with an invalid source register",
	 "prog 'func' insn 1: error: opcode 0x18: src field 15 is not valid"},
	{"invalid/ef2e42c0bfcf4dab6b9c3926759365b6dfa73634",
	 "a relocation section applies to a section of another name",
	 "'.rel.debug_line' applies to section 12 'info'"},
};

/* Files of invalid/ that are well-formed objects: what makes them invalid
 * for the verifier they were found with is not the loader's to judge. */
static const struct expect not_malformed[] = {
	{"invalid/timeout-29db93548c671165313b314d4f83a3eefa24df37",
	 "a well-formed eBPF-for-Windows object whose 35-program tail-call "
	 "chain made a verifier time out; libbpf opens it as well",
	 NULL},
};

static const struct expect *find(const struct expect *v, size_t n,
				 const char *rel)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, rel))
			return &v[i];
	return NULL;
}

static size_t nopened, nrejected;

static const char *first_error(struct bpftk_diags *d, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		const struct bpftk_diag *g = bpftk_diags_get(d, i);
		if (g->severity == BPFTK_SEV_ERROR) {
			bpftk_diag_format(g, buf, n);
			break;
		}
	}
	return buf;
}

static void check_file(const char *root, const char *rel)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return;
	size_t len;
	char *data = slurp(path, &len);
	CHECK(data != NULL);
	if (!data)
		return;
	int invalid = !strncmp(rel, "invalid/", 8);
	const struct expect *fail =
		find(must_fail, sizeof(must_fail) / sizeof(must_fail[0]), rel);
	const struct expect *fine = find(
		not_malformed, sizeof(not_malformed) / sizeof(not_malformed[0]),
		rel);
	int should_open = invalid ? fine != NULL : fail == NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_object_opts opts = {sizeof(opts), NULL, rel};
	struct bpftk_object *o = NULL;
	int err = bpftk_object_open_mem(data, len, &opts, &o, d);
	char msg[1024];
	first_error(d, msg, sizeof(msg));
	if (err) {
		nrejected++;
		printf("  rejected %s: %s\n", rel, msg);
		/* the message names the file and says what is wrong */
		CHECK(!strncmp(msg, rel, strlen(rel)) && strstr(msg, "error: "));
		if (fail && fail->msg)
			CHECK(strstr(msg, fail->msg) != NULL);
	} else {
		nopened++;
		if (invalid)
			printf("  opened %s (not malformed: %s)\n", rel,
			       fine ? fine->why : "?");
	}
	if ((err == 0) != should_open)
		fprintf(stderr, "%s: %s unexpectedly: %s\n", rel,
			err ? "rejected" : "opened", msg);
	CHECK((err == 0) == should_open);
	CHECK(err ? o == NULL : o != NULL);
	if (o)
		compare_libbpf(rel, o, data, len);
	bpftk_object_close(o);
	bpftk_diags_free(d);
	free(data);
}

static void run(void)
{
	libbpf_set_print(quiet);
	char root[2048];
	if (snprintf(root, sizeof(root), "%s/corpus/ebpf-samples",
		     test_shared) >= (int)sizeof(root))
		return;
	static const char *const subs[] = {"build", "cilium", "linux",
					   "prototype-kernel", "suricata",
					   "invalid"};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		corpus_walk(root, subs[i], !strcmp(subs[i], "invalid"),
			    check_file);
	printf("corpus: %zu opened, %zu rejected; libbpf also opened %zu: "
	       "%zu programs (%zu instructions) and %zu maps (%zu bytes of "
	       "initial data) compared; %zu programs libbpf 1.x does not "
	       "list (no STT_FUNC symbol, or .text-only objects)\n",
	       nopened, nrejected, nlibbpf, nprogs, ninsns, nmaps, nbytes,
	       nextra);
	CHECK(nopened + nrejected > 100);
}

TEST_MAIN(run())
