/* h_misc.c — helpers that need no map or packet: clocks, randomness, CPU
 * and task identity, probe reads of caller-registered memory, strings and
 * formatted output (bpf_trace_printk to the embedder's sink, bpf_snprintf
 * into program memory).
 *
 * Invariants: the values come from the environment (the embedder may fix
 * them for reproducible runs); memory the program names is checked with
 * bpftk_henv_mem before use; probe reads that fail zero their destination
 * and return -EFAULT like the kernel's *_nofault copies.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "helpers_int.h"

#define ENV_OR_FAIL(env)                                                     \
	struct bpftk_helper_env *env = bpftk_henv(call);                     \
	if (!env)                                                            \
		return 0

#define MAX_TRACE_PRINTK_VARARGS 3
#define MAX_BPRINTF_VARARGS 12
#define MAX_BPRINTF_BUF 512

static uint64_t clock_ns(const struct bpftk_helper_env *env, int id)
{
	if (env->clock)
		return env->clock(env->clock_arg, id);
	struct timespec ts;
#ifdef CLOCK_BOOTTIME
	clockid_t c = id == BPFTK_CLOCK_BOOT ? CLOCK_BOOTTIME : CLOCK_MONOTONIC;
#else
	clockid_t c = CLOCK_MONOTONIC;
#endif
	if (clock_gettime(c, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t bpftk_h_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3,
			      uint64_t r4, uint64_t r5,
			      struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	return clock_ns(env, BPFTK_CLOCK_MONO);
}

uint64_t bpftk_h_ktime_get_boot_ns(uint64_t r1, uint64_t r2, uint64_t r3,
				   uint64_t r4, uint64_t r5,
				   struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	return clock_ns(env, BPFTK_CLOCK_BOOT);
}

/* jiffies at HZ=250 derived from the monotonic clock (a kernel's jiffies
 * start at an arbitrary value; only differences mean anything). */
uint64_t bpftk_h_jiffies64(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	return clock_ns(env, BPFTK_CLOCK_MONO) / 4000000ULL;
}

/* xorshift64*: any 32-bit stream will do, the kernel's is per-CPU state
 * nobody can predict either; seeding makes runs reproducible. */
uint64_t bpftk_h_get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	uint64_t x = env->rnd;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	env->rnd = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

uint64_t bpftk_h_get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	return env->cpu;
}

uint64_t bpftk_h_get_numa_node_id(uint64_t r1, uint64_t r2, uint64_t r3,
				  uint64_t r4, uint64_t r5,
				  struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)call;
	return 0;
}

uint64_t bpftk_h_get_current_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	return (uint64_t)env->tgid << 32 | env->pid;
}

uint64_t bpftk_h_get_current_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3,
				     uint64_t r4, uint64_t r5,
				     struct bpftk_vm_call *call)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	return (uint64_t)env->gid << 32 | env->uid;
}

/* bpf_get_current_comm(buf, size): the name, truncated and always
 * NUL-terminated (strscpy_pad); size 0 is -EINVAL like the verifier. */
uint64_t bpftk_h_get_current_comm(uint64_t r1, uint64_t r2, uint64_t r3,
				  uint64_t r4, uint64_t r5,
				  struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	if (r2 == 0)
		return (uint64_t)(int64_t)-EINVAL;
	char *buf = bpftk_henv_mem(call, r1, r2, 1, 1);
	if (!buf)
		return 0;
	memset(buf, 0, r2);
	size_t n = strnlen(env->comm, sizeof(env->comm));
	if (n > r2 - 1)
		n = r2 - 1;
	memcpy(buf, env->comm, n);
	return 0;
}

/* One byte the program may read through a probe: registered probe memory
 * or what the program can access anyway. */
static int probe_byte(struct bpftk_helper_env *env, struct bpftk_vm_call *call,
		      uint64_t addr, char *c)
{
	if (bpftk_henv_probe_ok(env, addr, 1) ||
	    bpftk_vm_call_mem_strict(call, addr, 1, 0)) {
		*c = *(const char *)(uintptr_t)addr;
		return 0;
	}
	return -EFAULT;
}

uint64_t bpftk_h_probe_read(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5,
			    struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	ENV_OR_FAIL(env);
	char *dst = bpftk_henv_mem(call, r1, r2, 1, 1);
	if (!dst && r2)
		return 0;
	if (r2 == 0)
		return 0;
	if (bpftk_henv_probe_ok(env, r3, r2) ||
	    bpftk_vm_call_mem_strict(call, r3, (size_t)r2, 0)) {
		memmove(dst, (const void *)(uintptr_t)r3, r2);
		return 0;
	}
	memset(dst, 0, r2);
	return (uint64_t)(int64_t)-EFAULT;
}

/* Returns the length copied including the NUL; a string longer than size
 * is cut to size - 1 bytes and terminated (strncpy_from_*_nofault). */
uint64_t bpftk_h_probe_read_str(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	ENV_OR_FAIL(env);
	if (r2 == 0)
		return 0;
	char *dst = bpftk_henv_mem(call, r1, r2, 1, 1);
	if (!dst)
		return 0;
	for (uint64_t i = 0; i < r2; i++) {
		char c;
		if (i == r2 - 1) {
			dst[i] = '\0';
			return r2;
		}
		if (probe_byte(env, call, r3 + i, &c)) {
			memset(dst, 0, r2);
			return (uint64_t)(int64_t)-EFAULT;
		}
		dst[i] = c;
		if (!c)
			return i + 1;
	}
	return r2;
}

/* Reads a NUL-terminated string of program memory into dst (cap bytes). */
static int read_str(void *arg, uint64_t addr, char *dst, size_t cap)
{
	struct bpftk_vm_call *call = arg;
	struct bpftk_helper_env *env = bpftk_vm_call_ctx(call);
	for (size_t i = 0; i + 1 < cap; i++) {
		if (probe_byte(env, call, addr + i, &dst[i])) {
			dst[i] = '\0';
			return -EFAULT;
		}
		if (!dst[i])
			return (int)i;
	}
	dst[cap - 1] = '\0';
	return (int)cap - 1;
}

static const char *const_str(struct bpftk_vm_call *call, uint64_t addr,
			     uint64_t max, int arg)
{
	/* a constant string: readable up to and including its NUL */
	for (uint64_t i = 0; i < max; i++) {
		const char *c = bpftk_henv_mem(call, addr + i, 1, 0, arg);
		if (!c)
			return NULL;
		if (!*c)
			return (const char *)(uintptr_t)addr;
	}
	bpftk_vm_call_fail(call, -EINVAL, "r%d: string is not NUL-terminated",
			   arg);
	return NULL;
}

uint64_t bpftk_h_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3,
			      uint64_t r4, uint64_t r5,
			      struct bpftk_vm_call *call)
{
	ENV_OR_FAIL(env);
	const char *fmt = bpftk_henv_mem(call, r1, r2, 0, 1);
	if (!fmt)
		return r2 ? 0 : (uint64_t)(int64_t)-EINVAL;
	uint64_t args[MAX_TRACE_PRINTK_VARARGS] = {r3, r4, r5};
	char buf[MAX_BPRINTF_BUF];
	int n = bpftk_helper_format(buf, sizeof(buf), fmt, r2, args,
				    MAX_TRACE_PRINTK_VARARGS, read_str, call);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	if (env->trace)
		env->trace(env->trace_arg, buf,
			   (size_t)n < sizeof(buf) ? (size_t)n
						   : sizeof(buf) - 1);
	return (uint64_t)n;
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): returns the length the
 * whole output needs including its NUL. */
uint64_t bpftk_h_snprintf(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			  uint64_t r5, struct bpftk_vm_call *call)
{
	if ((r5 & 7) || r5 / 8 > MAX_BPRINTF_VARARGS || (r5 && !r4))
		return (uint64_t)(int64_t)-EINVAL;
	char *str = NULL;
	if (r2 && !(str = bpftk_henv_mem(call, r1, r2, 1, 1)))
		return 0;
	const char *fmt = const_str(call, r3, 4096, 3);
	if (!fmt)
		return 0;
	const uint64_t *data = NULL;
	if (r5 && !(data = bpftk_henv_mem(call, r4, r5, 0, 4)))
		return 0;
	uint64_t args[MAX_BPRINTF_VARARGS];
	if (r5)
		memcpy(args, data, r5);
	int n = bpftk_helper_format(str, r2, fmt, strlen(fmt) + 1, args,
				    r5 / 8, read_str, call);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	return (uint64_t)n + 1;
}

/* bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp, -1, 0 or 1. */
uint64_t bpftk_h_strncmp(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			 uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	const unsigned char *s1 = bpftk_henv_mem(call, r1, r2, 0, 1);
	if (!s1 && r2)
		return 0;
	const unsigned char *s2 =
		(const unsigned char *)const_str(call, r3, 4096, 3);
	if (!s2)
		return 0;
	for (uint64_t i = 0; i < r2; i++) {
		if (s1[i] != s2[i])
			return s1[i] < s2[i] ? (uint64_t)-1 : 1;
		if (!s1[i])
			break;
	}
	return 0;
}
