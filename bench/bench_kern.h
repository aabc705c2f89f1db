/* bench_kern.h — the kernel columns of the benchmarks: the same bytecode,
 * or the same object, loaded into the live kernel and timed with
 * BPF_PROG_TEST_RUN (bpf_prog_test_run_opts, repeat = N: the kernel's own
 * nanoseconds per run).  Built only with libbpf (BENCH_HAVE_LIBBPF); the
 * functions then say why not in `why` and return -1. */
#ifndef BENCH_KERN_H
#define BENCH_KERN_H

#include <stddef.h>

/* 0 when bpf() may be used; else the reason in why. */
int bench_kern_probe(char *why, size_t cap);

/* Runs bytecode (r1 = memory, r2 = its length, wire format, local calls
 * allowed) in the kernel on a copy of mem and times it; *r0 gets the
 * low 32 bits of the result.  -1 with why (e.g. the verifier's last
 * word) when it cannot. */
int bench_kern_mem(const unsigned char *bpf, size_t bpf_len,
		   const unsigned char *mem, size_t mem_len,
		   unsigned long long *r0, double *ns, char *why, size_t cap);

/* An object's program (section type XDP) on one packet, repeat times:
 * *ns per run and *retval.  Maps persist over the calls of one handle. */
struct bench_kobj;
int bench_kobj_open(const char *path, const char *prog,
		    struct bench_kobj **out, char *why, size_t cap);
int bench_kobj_run(struct bench_kobj *k, const void *pkt, size_t len,
		   int repeat, double *ns, unsigned *retval);
/* Updates the object's map `map` (BPF_ANY); -1 when it cannot. */
int bench_kobj_update(struct bench_kobj *k, const char *map, const void *key,
		      const void *value);
void bench_kobj_close(struct bench_kobj *k);

#endif
