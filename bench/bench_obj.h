/* bench_obj.h — the object benchmarks (bench_obj.c), printed after the
 * bytecode table of bench_vm. */
#ifndef BENCH_OBJ_H
#define BENCH_OBJ_H

/* Prints the table; kernel: bpf() may be used.  -1 when a row failed. */
int bench_obj_main(int quick, int kernel);

#endif
