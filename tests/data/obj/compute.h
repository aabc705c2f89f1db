/* compute.h — plain C shared by a test object (calls.c, built for BPF) and
 * the test itself (built for the host): the host's result for the same
 * input is the oracle for running the object's programs.  Global data
 * lands in .rodata, .data, .data.custom and .bss; the noinline functions
 * stay calls, so the BPF object has .text subprograms (static and global)
 * calling each other. */
#ifndef COMPUTE_H
#define COMPUTE_H

#define OBJ_NOINLINE __attribute__((noinline))

const int squares[8] = {0, 1, 4, 9, 16, 25, 36, 49};
int bias = 5;
int custom __attribute__((section(".data.custom"))) = 11;
int scratch[4];

static OBJ_NOINLINE int sub_two(int x)
{
	return squares[x & 7] + bias;
}

static OBJ_NOINLINE int sub_one(int x)
{
	scratch[x & 3] += x;
	return sub_two(x) * 2 + scratch[(x + 1) & 3] + custom;
}

int global_helper(int x);

OBJ_NOINLINE int global_helper(int x)
{
	return sub_one(x) - sub_two(x + 3);
}

#endif
