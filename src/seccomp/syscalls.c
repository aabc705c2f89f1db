/* syscalls.c — architecture names and AUDIT_ARCH values, and the syscall
 * name <-> number tables, compiled in from the generated syscalls_*.def
 * (gen_syscalls.sh).  Each table is sorted by number, so number -> name is
 * a binary search; name -> number is a linear scan (a few hundred rows,
 * only at parse time).
 */
#include <errno.h>
#include <string.h>

#include "seccomp_int.h"

struct sysrow {
	const char *name;
	int nr;
};

#define SYSCALL(n, v) {#n, v},
static const struct sysrow tab_x86_64[] = {
#include "syscalls_x86_64.def"
};
static const struct sysrow tab_i386[] = {
#include "syscalls_i386.def"
};
static const struct sysrow tab_aarch64[] = {
#include "syscalls_aarch64.def"
};
#undef SYSCALL

static const struct archinfo {
	const char *name;
	const char *alias;
	uint32_t audit;
	int is32;
	const struct sysrow *tab;
	size_t n;
} arches[BPFTK_SECCOMP_NARCH] = {
	[BPFTK_SECCOMP_X86_64] = {"x86_64", "amd64", BPFTK_AUDIT_ARCH_X86_64, 0,
				  tab_x86_64,
				  sizeof(tab_x86_64) / sizeof(tab_x86_64[0])},
	[BPFTK_SECCOMP_I386] = {"i386", "x86", BPFTK_AUDIT_ARCH_I386, 1,
				tab_i386, sizeof(tab_i386) / sizeof(tab_i386[0])},
	[BPFTK_SECCOMP_AARCH64] = {"aarch64", "arm64",
				   BPFTK_AUDIT_ARCH_AARCH64, 0, tab_aarch64,
				   sizeof(tab_aarch64) /
					   sizeof(tab_aarch64[0])},
};

static const struct archinfo *arch_get(enum bpftk_seccomp_arch a)
{
	return (unsigned)a < BPFTK_SECCOMP_NARCH ? &arches[a] : NULL;
}

const char *bpftk_seccomp_arch_name(enum bpftk_seccomp_arch a)
{
	const struct archinfo *ai = arch_get(a);
	return ai ? ai->name : NULL;
}

int bpftk_seccomp_arch_lookup(const char *name)
{
	for (int a = 0; name && a < BPFTK_SECCOMP_NARCH; a++)
		if (!strcmp(name, arches[a].name) ||
		    !strcmp(name, arches[a].alias))
			return a;
	return -ENOENT;
}

uint32_t bpftk_seccomp_arch_audit(enum bpftk_seccomp_arch a)
{
	const struct archinfo *ai = arch_get(a);
	return ai ? ai->audit : 0;
}

int bpftk_seccomp_arch_native(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return BPFTK_SECCOMP_X86_64;
#elif defined(__i386__)
	return BPFTK_SECCOMP_I386;
#elif defined(__aarch64__) && !defined(__AARCH64EB__) && !defined(__ILP32__)
	return BPFTK_SECCOMP_AARCH64;
#else
	return -ENOTSUP;
#endif
}

int sc_arch_is32(enum bpftk_seccomp_arch a)
{
	const struct archinfo *ai = arch_get(a);
	return ai && ai->is32;
}

int bpftk_seccomp_syscall_lookup(enum bpftk_seccomp_arch a, const char *name)
{
	const struct archinfo *ai = arch_get(a);
	for (size_t i = 0; ai && name && i < ai->n; i++)
		if (!strcmp(ai->tab[i].name, name))
			return ai->tab[i].nr;
	return -ENOENT;
}

const char *bpftk_seccomp_syscall_name(enum bpftk_seccomp_arch a, int nr)
{
	const struct archinfo *ai = arch_get(a);
	size_t lo = 0, hi = ai ? ai->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ai->tab[mid].nr == nr)
			return ai->tab[mid].name;
		if (ai->tab[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t bpftk_seccomp_syscall_count(enum bpftk_seccomp_arch a)
{
	const struct archinfo *ai = arch_get(a);
	return ai ? ai->n : 0;
}

int bpftk_seccomp_syscall_get(enum bpftk_seccomp_arch a, size_t i,
			      const char **name, int *nr)
{
	const struct archinfo *ai = arch_get(a);
	if (!ai || i >= ai->n)
		return -ENOENT;
	if (name)
		*name = ai->tab[i].name;
	if (nr)
		*nr = ai->tab[i].nr;
	return 0;
}
