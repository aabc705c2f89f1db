/* fuzz_cbpf.c — libFuzzer target for classic BPF.  The input is read two
 * ways:
 *  - as a program (byte 0 picks the packet split, then 8-byte little-endian
 *    instructions, the rest is the packet): validated in the three flavours;
 *    run by the interpreter whatever the verdict (it promises never to read
 *    outside its inputs); where valid, translated to eBPF and run in the
 *    checked vm, which must give the interpreter's result without a fault;
 *    disassembled, and where every code is known, assembled back to code
 *    with the same listing;
 *  - as assembler text: assembled, and what assembles is validated and
 *    disassembled.
 * A last pass fails one allocation (which one depends on the input) and
 * must end in -ENOMEM or success with nothing left allocated.  Any crash, leak or sanitizer report is
 * a bug; so is a broken promise of the API, which aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/cbpf.h>
#include <bpftk/isa.h>
#include <bpftk/vm.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "../tests/unit/test_alloc.h"

static int failing; /* a failed allocation may also lose a message */

/* r0 of the eBPF translation in the checked vm; aborts on a fault. */
static int run_ebpf(const struct bpftk_insn *e, size_t ne,
		    enum bpftk_cbpf_flavor f, const uint8_t *pkt,
		    uint32_t len, const struct bpftk_cbpf_skb *skb,
		    const struct bpftk_seccomp_data *sd, uint32_t *ret)
{
	struct bpftk_vm_opts o = {0};
	struct bpftk_vm_run_opts ro = {0};
	struct bpftk_vm_region r[2] = {{(void *)(uintptr_t)pkt, len, 0},
				       {(void *)(uintptr_t)skb, sizeof(*skb),
					0}};
	struct bpftk_vm *vm = NULL;
	uint64_t r0 = 0;
	int err;

	o.sz = sizeof(o);
	o.mode = BPFTK_VM_CHECKED;
	if ((err = bpftk_vm_new(&o, &vm)) || (err = bpftk_vm_load(vm, e, ne, NULL))) {
		bpftk_vm_free(vm);
		return err;
	}
	ro.sz = sizeof(ro);
	if (f == BPFTK_CBPF_SECCOMP) {
		r[0] = (struct bpftk_vm_region){(void *)(uintptr_t)sd,
						sizeof(*sd), 0};
		ro.args[0] = (uint64_t)(uintptr_t)sd;
	} else {
		ro.args[0] = (uint64_t)(uintptr_t)pkt;
		ro.args[1] = len;
		ro.args[2] = len + 7;
		ro.args[3] = (uint64_t)(uintptr_t)skb;
	}
	ro.regions = r;
	ro.nregions = 2;
	err = bpftk_vm_run(vm, &ro, &r0, NULL);
	bpftk_vm_free(vm);
	if (err == -ENOMEM)
		return err;
	if (err || r0 >> 32)
		abort(); /* the translation faulted or lost zero-extension */
	*ret = (uint32_t)r0;
	return 0;
}

/* Whether every code is a table row (others list as "unimp"). */
static int all_known(const struct bpftk_cbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!bpftk_cbpf_info(p[i].code))
			return 0;
	return 1;
}

static void as_program(const uint8_t *data, size_t size)
{
	static const struct bpftk_seccomp_data zero_sd;
	struct bpftk_cbpf_insn *p;
	struct bpftk_cbpf_skb skb;
	struct bpftk_seccomp_data sd = zero_sd;
	size_t n, plen;
	const uint8_t *pkt;

	if (size < 1)
		return;
	n = (size - 1) / 8;
	if (n > 64)
		n = 64;
	n = n ? (data[0] % n) + 1 : 0;
	if (!n)
		return;
	p = malloc(n * sizeof(*p));
	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = data + 1 + 8 * i;
		p[i].code = (uint16_t)(b[0] | b[1] << 8);
		p[i].jt = b[2];
		p[i].jf = b[3];
		p[i].k = (uint32_t)b[4] | (uint32_t)b[5] << 8 |
			 (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
	}
	pkt = data + 1 + 8 * n;
	plen = size - 1 - 8 * n;
	memset(&skb, 0, sizeof(skb));
	memcpy(&skb, pkt, plen < sizeof(skb) ? plen : sizeof(skb));
	skb.net_off %= 64;
	memcpy(&sd, pkt, plen < sizeof(sd) ? plen : sizeof(sd));

	for (int f = BPFTK_CBPF_PCAP; f <= BPFTK_CBPF_SECCOMP; f++) {
		struct bpftk_diags *d = bpftk_diags_new();
		int valid = bpftk_cbpf_validate(p, n, (enum bpftk_cbpf_flavor)f,
						d) == 0;
		uint32_t want, got = 0;
		struct bpftk_insn *e = NULL;
		size_t ne = 0;
		int err;

		if (d && !valid && !bpftk_diags_errors(d) && !failing)
			abort(); /* rejected without saying why */
		want = f == BPFTK_CBPF_SECCOMP
			       ? bpftk_cbpf_run_seccomp(p, n, &sd)
			       : bpftk_cbpf_run_skb(p, n,
						    (enum bpftk_cbpf_flavor)f,
						    pkt, (uint32_t)plen + 7,
						    (uint32_t)plen, &skb);
		err = bpftk_cbpf_to_ebpf(p, n, (enum bpftk_cbpf_flavor)f, &e,
					 &ne, d);
		if (!err != !!e ||
		    (err && valid && err != -ENOMEM && err != -E2BIG))
			abort();
		if (!err && !run_ebpf(e, ne, (enum bpftk_cbpf_flavor)f, pkt,
				      (uint32_t)plen, &skb, &sd, &got) &&
		    got != want)
			abort(); /* the translation disagrees */
		bpftk_cbpf_free(e);
		bpftk_diags_free(d);
	}
	{
		/* the listing assembles back to code with the same listing */
		char *text = NULL, *again = NULL;
		struct bpftk_cbpf_insn *q = NULL;
		size_t nq = 0;
		int err = bpftk_cbpf_disasm(p, n, &text);
		if (!err && all_known(p, n)) {
			err = bpftk_cbpf_asm(text, "fuzz", &q, &nq, NULL);
			if (!err)
				err = bpftk_cbpf_disasm(q, nq, &again);
			if (err ? err != -ENOMEM
				: nq != n || strcmp(text, again))
				abort();
		}
		bpftk_cbpf_free(again);
		bpftk_cbpf_free(q);
		bpftk_cbpf_free(text);
	}
	free(p);
}

static void as_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_cbpf_insn *p = NULL;
	size_t n = 0;
	int err;

	if (!text) {
		bpftk_diags_free(d);
		return;
	}
	memcpy(text, data, size);
	text[size] = 0;
	err = bpftk_cbpf_asm(text, "fuzz.bpf", &p, &n, d);
	if (!err != !!p || (err && d && err != -ENOMEM && !failing &&
			    !bpftk_diags_errors(d)))
		abort();
	if (!err) {
		char *out = NULL;
		for (int f = BPFTK_CBPF_PCAP; f <= BPFTK_CBPF_SECCOMP; f++)
			bpftk_cbpf_validate(p, n, (enum bpftk_cbpf_flavor)f, d);
		bpftk_cbpf_disasm(p, n, &out);
		bpftk_cbpf_free(out);
	}
	if (bpftk_diags_count(d)) {
		char line[256];
		bpftk_diag_format(bpftk_diags_get(d, 0), line, sizeof(line));
	}
	bpftk_cbpf_free(p);
	bpftk_diags_free(d);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long h = 0;

	as_program(data, size);
	as_text(data, size);
	for (size_t i = 0; i < size; i++)
		h = h * 31 + data[i];
	fail_at = 1 + (long)(h % 32);
	calls = live = 0;
	failing = 1;
	bpftk_set_allocator(t_malloc, t_realloc, t_free);
	as_program(data, size);
	as_text(data, size);
	bpftk_set_allocator(NULL, NULL, NULL);
	failing = 0;
	if (live)
		abort(); /* a failed allocation leaked what came before */
	return 0;
}
