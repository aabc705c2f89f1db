/* jit.c — the architecture-independent part of the JIT: picks the backend
 * of the host, maps its output as code and enters it.
 *
 * Invariants: code pages are mapped read+write, filled, then switched to
 * read+execute with mprotect before the first run; they are never
 * writable and executable at once.  A loaded jit is immutable, so runs may
 * share it across threads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define JIT_HAVE_MMAP 1
#else
#define JIT_HAVE_MMAP 0
#endif

#include "jit_int.h"

struct bpftk_jit {
	const struct jit_arch_ops *ops;
	uint8_t *code; /* mapped read+execute */
	size_t len, maplen;
	size_t entry;
	uint32_t *offsets;
	size_t n;
};

typedef int (*jit_entry_fn)(void *ctx, const void *target);

void bpftk_jit_buf_grow(struct jit_buf *b, size_t need)
{
	if (b->oom)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + need)
		cap *= 2;
	uint8_t *p = bpftk_realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static const struct jit_arch_ops *host_ops(void)
{
#if (defined(__x86_64__) || defined(_M_X64)) && JIT_HAVE_MMAP
	return &bpftk_jit_x86_64;
#else
	return NULL;
#endif
}

int bpftk_jit_compile(const struct bpftk_insn *insns, size_t n,
		      const struct bpftk_jit_env *env,
		      const struct bpftk_jit_opts *opts, struct bpftk_jit **out,
		      char *why, size_t whylen)
{
	static const struct bpftk_jit_opts defaults;
	*out = NULL;
	const struct jit_arch_ops *ops = host_ops();
	if (!ops) {
		snprintf(why, whylen, "no JIT for this host architecture");
		return -EOPNOTSUPP;
	}
	struct jit_image img;
	memset(&img, 0, sizeof(img));
	int err = ops->compile(insns, n, env, opts ? opts : &defaults, &img,
			       why, whylen);
	if (err) {
		bpftk_free(img.code.p);
		bpftk_free(img.offsets);
		return err;
	}
	struct bpftk_jit *jit = bpftk_calloc(1, sizeof(*jit));
	if (!jit) {
		bpftk_free(img.code.p);
		bpftk_free(img.offsets);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	jit->ops = ops;
	jit->offsets = img.offsets;
	jit->n = n;
	jit->entry = img.entry;
	jit->len = img.code.len;
#if JIT_HAVE_MMAP
	long page = sysconf(_SC_PAGESIZE);
	size_t pg = page > 0 ? (size_t)page : 4096;
	jit->maplen = (img.code.len + pg - 1) / pg * pg;
	void *m = mmap(NULL, jit->maplen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		bpftk_free(img.code.p);
		bpftk_jit_free(jit);
		snprintf(why, whylen, "cannot map %zu bytes of code pages",
			 img.code.len);
		return -ENOMEM;
	}
	memcpy(m, img.code.p, img.code.len);
	bpftk_free(img.code.p);
	if (mprotect(m, jit->maplen, PROT_READ | PROT_EXEC)) {
		munmap(m, jit->maplen);
		bpftk_jit_free(jit);
		snprintf(why, whylen,
			 "cannot make the code pages executable (mprotect)");
		return -ENOMEM;
	}
	jit->code = m;
#endif
	*out = jit;
	return 0;
}

void bpftk_jit_free(struct bpftk_jit *jit)
{
	if (!jit)
		return;
#if JIT_HAVE_MMAP
	if (jit->code)
		munmap(jit->code, jit->maplen);
#endif
	bpftk_free(jit->offsets);
	bpftk_free(jit);
}

int bpftk_jit_enter(const struct bpftk_jit *jit, void *ctx, size_t pc)
{
	jit_entry_fn fn;
	/* ISO C has no conversion from data to function pointers; POSIX
	 * guarantees the representation is the same. */
	const uint8_t *entry = jit->code + jit->entry;
	memcpy(&fn, &entry, sizeof(fn));
	return fn(ctx, jit->code + jit->offsets[pc]);
}

const uint8_t *bpftk_jit_code(const struct bpftk_jit *jit, size_t *len,
			      const uint32_t **offsets)
{
	if (len)
		*len = jit->len;
	if (offsets)
		*offsets = jit->offsets;
	return jit->code;
}

const char *bpftk_jit_arch(const struct bpftk_jit *jit)
{
	return jit->ops->name;
}
