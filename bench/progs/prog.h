/* prog.h — what every benchmark program includes.  Each bench/progs/NAME.c
 * is compiled twice from the same source: natively with clang -O2 into
 * bench_vm (as bench_native_NAME), and with clang -target bpf -O2 -mcpu=v3
 * into bytecode (as NAME, the first function of .text: the interpreter
 * starts at slot 0).  The entry gets r1 = memory, r2 = its length.
 *
 * BENCH_INPUT(NAME, SIZE) { ... } fills the memory the program runs on; it
 * is compiled natively only.  Helpers meant to be inlined are INLINE so the
 * bytecode stays one function (no call relocations); calls.c keeps its
 * callees out of line on purpose. */
#ifndef BENCH_PROG_H
#define BENCH_PROG_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define INLINE static inline __attribute__((always_inline))
#define NOINLINE static __attribute__((noinline))

#ifdef __bpf__
#define BENCH_PROG(name) u64 name(u8 *mem, u64 len)
#else
#define BENCH_PROG(name)                                                     \
	u64 bench_native_##name(u8 *mem, u64 len);                           \
	u64 bench_native_##name(u8 *mem, u64 len)
#define BENCH_INPUT(name, size)                                              \
	const u64 bench_size_##name = (size);                                \
	void bench_input_##name(u8 *mem, u64 len);                           \
	void bench_input_##name(u8 *mem, u64 len)

/* Deterministic pseudo-random bytes (xorshift). */
static inline void bench_fill(u8 *mem, u64 len, u64 seed)
{
	u64 x = seed | 1;
	for (u64 i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mem[i] = (u8)(x >> 24);
	}
}
#endif

#endif
