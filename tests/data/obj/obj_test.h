/* obj_test.h — what the test objects of tests/unit/test_object_clang.c
 * share: the kernel's integer types and constants (numbers from the
 * kernel's uapi bpf.h), then libbpf's bpf_helpers.h for SEC(), __uint(),
 * __type(), __array() and the helper declarations.  Written out here so the
 * objects build with clang -target bpf without the host's kernel headers. */
#ifndef OBJ_TEST_H
#define OBJ_TEST_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u32 __wsum;

#include <bpf/bpf_helpers.h>

enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_HASH_OF_MAPS = 13,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_BLOOM_FILTER = 30,
};
enum {
	BPF_F_NO_PREALLOC = 1,
	BPF_F_NUMA_NODE = 4,
};

#endif
