/* bench_vm.h — the table of benchmark programs, generated into
 * bench_progs.c by embed.cmake from the sources in bench/progs. */
#ifndef BENCH_VM_H
#define BENCH_VM_H

#include <stddef.h>
#include <stdint.h>

struct bench_prog {
	const char *name;
	/* the program compiled natively (clang -O2) */
	unsigned long long (*native)(unsigned char *mem, unsigned long long len);
	/* fills the memory the program runs on */
	void (*input)(unsigned char *mem, unsigned long long len);
	const unsigned long long *size; /* bytes of memory */
	/* the same source compiled with clang -target bpf -O2 -mcpu=v3 */
	const unsigned char *bpf;
	size_t bpf_len;
};

extern const struct bench_prog bench_progs[];
extern const size_t bench_nprogs;

#endif
