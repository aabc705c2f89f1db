/* common.h — what the object benchmarks include: the kernel's uapi types
 * and libbpf's section and map macros, written out so that the programs
 * build with plain clang -target bpf and the uapi headers. */
#ifndef BENCH_OBJS_COMMON_H
#define BENCH_OBJS_COMMON_H

#include <linux/bpf.h>
#include <linux/types.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key,
				   const void *value, __u64 flags) = (void *)2;

char LICENSE[] SEC("license") = "GPL";

#endif
