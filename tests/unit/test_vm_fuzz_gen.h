/* test_vm_fuzz_gen.h — the input generator that the unit tests replaying
 * fuzz/fuzz_vm.c's input format (test_vm_fuzz.c, test_jit_fuzz.c) share.
 * Include it after the fuzz target's source, which defines HDR and the
 * format: byte 0 options (bit 1: table rows, else raw slots), MEM bytes of
 * memory, then 8-byte slots.  Each test keeps its own random stream, so
 * the inputs it runs stay the same. */
#ifndef BPFTK_TEST_VM_FUZZ_GEN_H
#define BPFTK_TEST_VM_FUZZ_GEN_H

#include <stdint.h>
#include <string.h>

#include <bpftk/isa.h>

/* Fills buf (room for HDR + 8 * max_slots bytes) with random bytes for
 * 1..max_slots slots, as table rows when rows, else raw; the last slot
 * becomes exit unless rnd() % exit_odds is 0.  Returns the input's length. */
static size_t fuzz_vm_gen(uint8_t *buf, size_t max_slots, int rows,
			  unsigned exit_odds, uint64_t (*rnd)(void))
{
	size_t slots = 1 + rnd() % max_slots;
	size_t len = HDR + 8 * slots;
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)rnd();
	if (rows)
		buf[0] |= 2;
	else
		buf[0] &= (uint8_t)~2;
	/* ending in exit lets more programs finish */
	if (rnd() % exit_odds) {
		uint8_t *last = buf + len - 8;
		if (buf[0] & 2) {
			/* structured() reads row 1 + byte */
			last[0] = (uint8_t)(BPFTK_OP_EXIT - 1);
		} else {
			memset(last, 0, 8);
			last[0] = bpftk_isa_info(BPFTK_OP_EXIT)->code;
		}
	}
	return len;
}

#endif
