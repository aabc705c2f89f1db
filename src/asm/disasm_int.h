/* disasm_int.h — what the disassembler's two files share and nothing
 * outside src/asm may include. */
#ifndef BPFTK_DISASM_INT_H
#define BPFTK_DISASM_INT_H

#include <bpftk/disasm.h>

#include "../util/util_int.h"

/* The caller's options with defaults for everything an older (shorter)
 * struct lacks or a NULL pointer leaves out; sz of the result is
 * sizeof(struct bpftk_disasm_opts). */
BPFTK_INTERNAL struct bpftk_disasm_opts
disasm_opts(const struct bpftk_disasm_opts *o);

#endif
