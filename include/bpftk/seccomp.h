/* bpftk/seccomp.h — seccomp policies: a small text language (see
 * docs/seccomp-policy.md) compiled to a classic BPF seccomp filter, and the
 * syscall name <-> number tables of the architectures it knows.
 *
 * Pipeline: bpftk_seccomp_parse (text -> policy, syscall names resolved per
 * architecture) then bpftk_seccomp_compile (policy -> struct
 * bpftk_cbpf_insn[], valid for BPFTK_CBPF_SECCOMP and loadable with
 * seccomp(SECCOMP_SET_MODE_FILTER)).  bpftk_seccomp_eval gives the action
 * the policy itself means for one input, independently of the compiler.
 *
 * Errors (negative errno): -EINVAL (bad text: diagnostics carry
 * file:line:col; or bad arguments), -ENOMEM, -E2BIG (the filter would exceed
 * BPFTK_CBPF_MAXINSNS), -ENOENT (unknown name), -ENOTSUP (no table for the
 * machine we run on).
 */
#ifndef BPFTK_SECCOMP_H
#define BPFTK_SECCOMP_H

#include <bpftk/cbpf.h>
#include <bpftk/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Architectures with a syscall table.  All are little-endian, so the low
 * 32 bits of argument i are at offset 16 + 8 * i of struct seccomp_data. */
enum bpftk_seccomp_arch {
	BPFTK_SECCOMP_X86_64 = 0,
	BPFTK_SECCOMP_I386 = 1,
	BPFTK_SECCOMP_AARCH64 = 2,
	BPFTK_SECCOMP_NARCH
};

/* AUDIT_ARCH_* values as seccomp_data.arch carries them. */
#define BPFTK_AUDIT_ARCH_X86_64 0xc000003eu
#define BPFTK_AUDIT_ARCH_I386 0x40000003u
#define BPFTK_AUDIT_ARCH_AARCH64 0xc00000b7u
/* On x86_64, x32 calls carry AUDIT_ARCH_X86_64 and this bit in nr. */
#define BPFTK_X32_SYSCALL_BIT 0x40000000u

/* SECCOMP_RET_* action values (the low 16 bits carry data). */
#define BPFTK_SECCOMP_RET_KILL_PROCESS 0x80000000u
#define BPFTK_SECCOMP_RET_KILL_THREAD 0x00000000u
#define BPFTK_SECCOMP_RET_TRAP 0x00030000u
#define BPFTK_SECCOMP_RET_ERRNO 0x00050000u
#define BPFTK_SECCOMP_RET_USER_NOTIF 0x7fc00000u
#define BPFTK_SECCOMP_RET_TRACE 0x7ff00000u
#define BPFTK_SECCOMP_RET_LOG 0x7ffc0000u
#define BPFTK_SECCOMP_RET_ALLOW 0x7fff0000u

/* "x86_64", "i386", "aarch64"; NULL for a value out of range. */
BPFTK_API const char *bpftk_seccomp_arch_name(enum bpftk_seccomp_arch a);
/* The architecture named name (also "amd64", "x86", "arm64"), or -ENOENT. */
BPFTK_API int bpftk_seccomp_arch_lookup(const char *name);
/* Its AUDIT_ARCH_* value; 0 for a value out of range. */
BPFTK_API uint32_t bpftk_seccomp_arch_audit(enum bpftk_seccomp_arch a);
/* The architecture this library was built for, or -ENOTSUP. */
BPFTK_API int bpftk_seccomp_arch_native(void);

/* Number of the syscall called name on a, or -ENOENT. */
BPFTK_API int bpftk_seccomp_syscall_lookup(enum bpftk_seccomp_arch a,
					   const char *name);
/* Name of syscall nr on a (static storage), or NULL. */
BPFTK_API const char *bpftk_seccomp_syscall_name(enum bpftk_seccomp_arch a,
						 int nr);
/* Number of rows of a's table; row i (ascending numbers) through *name
 * and *nr.  Returns 0 or -ENOENT when i is past the end. */
BPFTK_API size_t bpftk_seccomp_syscall_count(enum bpftk_seccomp_arch a);
BPFTK_API int bpftk_seccomp_syscall_get(enum bpftk_seccomp_arch a, size_t i,
					const char **name, int *nr);

/* A parsed policy (opaque). */
struct bpftk_seccomp_policy;

/* Parses text (NUL-terminated); file names it in diagnostics
 * ("file:line:col: message"; NULL = "<policy>").  Every problem found is
 * reported.  On success *out is the caller's (bpftk_seccomp_policy_free).
 * Errors: -EINVAL, -ENOMEM. */
BPFTK_API int bpftk_seccomp_parse(const char *text, const char *file,
				  struct bpftk_seccomp_policy **out,
				  struct bpftk_diags *d);
BPFTK_API void bpftk_seccomp_policy_free(struct bpftk_seccomp_policy *p);

/* The architectures the policy filters for, as a bit set (1u << arch):
 * its `arch` statement, or the native one. */
BPFTK_API unsigned bpftk_seccomp_policy_arches(
	const struct bpftk_seccomp_policy *p);

/* Compiles p to a seccomp filter; *out is allocated (bpftk_seccomp_free),
 * *n its instruction count.  Errors: -EINVAL, -E2BIG, -ENOMEM. */
BPFTK_API int bpftk_seccomp_compile(const struct bpftk_seccomp_policy *p,
				    struct bpftk_cbpf_insn **out, size_t *n,
				    struct bpftk_diags *d);

/* The SECCOMP_RET_* value the policy gives the call described by sd,
 * straight from the rules (the reference semantics the compiled filter
 * must reproduce). */
BPFTK_API uint32_t bpftk_seccomp_eval(const struct bpftk_seccomp_policy *p,
				      const struct bpftk_seccomp_data *sd);

/* Frees what bpftk_seccomp_compile allocated; NULL is a no-op. */
BPFTK_API void bpftk_seccomp_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
