/* calls.c — programs calling .text subprograms (static and global, two
 * levels deep), reading and writing global data, taking a function's
 * address for bpf_loop, and reading a kconfig extern.  The computations are
 * in compute.h so the test can run them natively as the oracle. */
#include "obj_test.h"
#include "compute.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("socket")
int calc(void *ctx)
{
	return global_helper((int)(long)ctx);
}

SEC("socket")
int calc_two(void *ctx)
{
	return sub_two((int)(long)ctx) + 1;
}

static OBJ_NOINLINE long loop_cb(__u32 i, void *data)
{
	*(long *)data += i;
	return 0;
}

SEC("xdp")
int looper(void *ctx)
{
	long sum = 0;
	bpf_loop(4, loop_cb, &sum, 0);
	return (int)sum + (int)LINUX_KERNEL_VERSION;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
