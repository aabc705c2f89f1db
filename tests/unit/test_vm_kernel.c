/* test_vm_kernel.c — differential test of the interpreter against the live
 * Linux kernel: random programs (every ALU row of the instruction table,
 * v4 included, conditional jumps, stack stores, loads and atomics) are run
 * by BPF_PROG_TEST_RUN as socket filters and by bpftk in every engine; the
 * 32-bit return values must agree.  The programs fold all registers into r0
 * before exit, so a wrong result anywhere shows.
 *
 * Skips (exit 77) when bpf() is not permitted here. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpftk/isa.h>
#include <bpftk/vm.h>

#include "test.h"

#define MAXN 200

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	/* xorshift64*: deterministic across runs */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* An interesting 64-bit value: edges of the ranges, small numbers, noise. */
static uint64_t value(void)
{
	static const uint64_t edges[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff,
					 0x8000, 0xffff, 0x7fffffff,
					 0x80000000, 0xffffffff,
					 0x100000000ULL, 0x7fffffffffffffffULL,
					 0x8000000000000000ULL, ~0ULL, ~1ULL};
	switch (rnd() % 4) {
	case 0:
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return rnd() % 64 - 32;
	default:
		return rnd();
	}
}

static struct bpftk_insn mk(uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	struct bpftk_insn i = {code, dst, src, off, imm};
	return i;
}

/* ALU rows of the table, collected once. */
static enum bpftk_op alu_ops[128];
static size_t nalu;

static void collect_ops(void)
{
	for (int op = 1; op < BPFTK_OP__COUNT; op++) {
		const struct bpftk_opinfo *r = bpftk_isa_info(op);
		if (r->form == BPFTK_FORM_ALU_K || r->form == BPFTK_FORM_ALU_X ||
		    r->form == BPFTK_FORM_NEG || r->form == BPFTK_FORM_END)
			alu_ops[nalu++] = (enum bpftk_op)op;
	}
}

/* One random ALU instruction the kernel verifier accepts on scalars. */
static struct bpftk_insn random_alu(void)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(alu_ops[rnd() % nalu]);
	struct bpftk_insn in = mk(r->code, (uint8_t)(rnd() % 10),
				  (uint8_t)(rnd() % 10), 0, (int32_t)value());
	if (r->form != BPFTK_FORM_ALU_X)
		in.src = 0;
	if (r->sel == BPFTK_SEL_OFF)
		in.off = (int16_t)r->selval;
	if (r->sel == BPFTK_SEL_IMM)
		in.imm = r->selval;
	if (r->form == BPFTK_FORM_ALU_X || r->form == BPFTK_FORM_NEG)
		in.imm = 0;
	if (r->form == BPFTK_FORM_ALU_K) {
		unsigned op = r->code & 0xf0;
		int bits = BPFTK_CLASS(r->code) == BPFTK_CLASS_ALU64 ? 64 : 32;
		/* the verifier refuses constant shifts out of range and
		 * constant division by zero */
		if (op == 0x60 || op == 0x70 || op == 0xc0)
			in.imm = (int32_t)(rnd() % (unsigned)bits);
		if ((op == 0x30 || op == 0x90) && in.imm == 0)
			in.imm = -1;
	}
	return in;
}

/* Builds a program into p; returns its length in slots. */
static size_t generate(struct bpftk_insn *p)
{
	size_t n = 0;
	for (uint8_t r = 0; r <= 9; r++) { /* all registers scalar */
		uint64_t v = value();
		p[n++] = mk(0x18, r, 0, 0, (int32_t)(uint32_t)v);
		p[n++] = mk(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
	}
	/* two initialised stack slots */
	p[n++] = mk(0x7b, 10, (uint8_t)(rnd() % 10), -8, 0);
	p[n++] = mk(0x7b, 10, (uint8_t)(rnd() % 10), -16, 0);
	size_t body = 20 + rnd() % 60;
	for (size_t k = 0; k < body && n < MAXN - 40; k++) {
		unsigned what = (unsigned)(rnd() % 16);
		uint8_t a = (uint8_t)(rnd() % 10), b = (uint8_t)(rnd() % 10);
		int16_t slot = (int16_t)(rnd() % 2 ? -8 : -16);
		if (what < 11) {
			p[n++] = random_alu();
		} else if (what == 11) { /* forward conditional jump */
			static const uint8_t jops[] = {0x10, 0x20, 0x30, 0x40, 0x50,
						       0x60, 0x70, 0xa0, 0xb0,
						       0xc0, 0xd0};
			uint8_t code = (uint8_t)(jops[rnd() % 11] |
						 (rnd() % 2 ? 0x05 : 0x06) |
						 (rnd() % 2 ? 0x08 : 0));
			p[n++] = mk(code, a, code & 0x08 ? b : 0,
				    (int16_t)(1 + rnd() % 3),
				    code & 0x08 ? 0 : (int32_t)value());
			for (int f = 0; f < 3; f++)
				p[n++] = random_alu();
		} else if (what == 12) { /* store, then reload, any size */
			static const uint8_t sz[] = {0x00, 0x08, 0x10, 0x18};
			uint8_t s = sz[rnd() % 4];
			p[n++] = mk((uint8_t)(0x63 | s), 10, a, slot, 0);
			p[n++] = mk((uint8_t)(0x61 | s), b, 10, slot, 0);
		} else if (what == 13) { /* sign-extending load */
			static const uint8_t sz[] = {0x00, 0x08, 0x10};
			p[n++] = mk((uint8_t)(0x81 | sz[rnd() % 3]), b, 10, slot, 0);
		} else if (what == 14) { /* store immediate */
			p[n++] = mk((uint8_t)(0x62 | (rnd() % 2 ? 0x18 : 0)), 10, 0,
				    slot, (int32_t)value());
		} else { /* atomic on a stack slot */
			static const int32_t ops[] = {0x00, 0x01, 0x40, 0x41, 0x50,
						      0x51, 0xa0, 0xa1, 0xe1, 0xf1};
			int dw = (int)(rnd() % 2);
			int32_t op = ops[rnd() % 10];
			p[n++] = mk(dw ? 0xdb : 0xc3, 10, a, slot, op);
		}
	}
	/* fold r1..r9 and both stack slots into r0, 64 -> 32 bits */
	for (uint8_t r = 1; r <= 9; r++) {
		p[n++] = mk(0x27, 0, 0, 0, 0x01000193); /* r0 *= prime */
		p[n++] = mk(0xaf, 0, r, 0, 0);		/* r0 ^= rN */
	}
	p[n++] = mk(0x79, 1, 10, -8, 0);
	p[n++] = mk(0xaf, 0, 1, 0, 0);
	p[n++] = mk(0x79, 1, 10, -16, 0);
	p[n++] = mk(0x0f, 0, 1, 0, 0);
	p[n++] = mk(0xbf, 1, 0, 0, 0);
	p[n++] = mk(0x77, 1, 0, 0, 32);
	p[n++] = mk(0xaf, 0, 1, 0, 0);
	p[n++] = mk(0x95, 0, 0, 0, 0);
	return n;
}

static char kernel_log[65536];

/* Loads p as a socket filter and runs it once on a small packet.
 * Returns 0 and the retval, -1 when the kernel refused the program
 * (log in kernel_log), or -errno of the bpf() call for other failures. */
static int kernel_run(const struct bpftk_insn *p, size_t n, uint32_t *ret)
{
	struct bpf_insn k[MAXN];
	for (size_t i = 0; i < n; i++) {
		k[i].code = p[i].code;
		k[i].dst_reg = p[i].dst & 0xf;
		k[i].src_reg = p[i].src & 0xf;
		k[i].off = p[i].off;
		k[i].imm = p[i].imm;
	}
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)k;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.log_buf = (uint64_t)(uintptr_t)kernel_log;
	a.log_size = sizeof(kernel_log);
	a.log_level = 1;
	kernel_log[0] = '\0';
	int fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		return errno == EPERM || errno == ENOSYS ? -errno : -1;
	unsigned char pkt[64] = {0};
	union bpf_attr t;
	memset(&t, 0, sizeof(t));
	t.test.prog_fd = (uint32_t)fd;
	t.test.data_in = (uint64_t)(uintptr_t)pkt;
	t.test.data_size_in = sizeof(pkt);
	t.test.repeat = 1;
	int r = (int)syscall(__NR_bpf, BPF_PROG_TEST_RUN, &t, sizeof(t));
	int err = errno;
	close(fd);
	if (r)
		return -err;
	*ret = t.test.retval;
	return 0;
}

static const struct {
	enum bpftk_vm_mode mode;
	unsigned flags;
} engines[] = {{BPFTK_VM_CHECKED, 0},
	       {BPFTK_VM_FAST, 0},
	       {BPFTK_VM_CHECKED, BPFTK_VM_SWITCH_DISPATCH},
	       {BPFTK_VM_FAST, BPFTK_VM_SWITCH_DISPATCH}};

static int bpftk_result(const struct bpftk_insn *p, size_t n, size_t e,
			uint64_t *r0)
{
	struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = engines[e].mode,
				  .flags = engines[e].flags};
	struct bpftk_vm *vm = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	int err = bpftk_vm_new(&o, &vm);
	if (!err)
		err = bpftk_vm_load(vm, p, n, d);
	if (!err)
		err = bpftk_vm_run_mem(vm, NULL, 0, r0, d);
	if (err && bpftk_diags_count(d))
		fprintf(stderr, "bpftk: %s\n", bpftk_diags_get(d, 0)->msg);
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	return err;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		test_shared = argv[1]; /* unused: no shared data needed */
	int programs = argc > 2 ? atoi(argv[2]) : 3000;
	collect_ops();
	struct bpftk_insn p[MAXN];
	uint32_t kret;
	/* probe: is bpf() allowed here at all? */
	struct bpftk_insn probe[2] = {mk(0xb7, 0, 0, 0, 7), mk(0x95, 0, 0, 0, 0)};
	int pr = kernel_run(probe, 2, &kret);
	if (pr != 0 || kret != 7) {
		printf("skipped: bpf(BPF_PROG_LOAD/TEST_RUN) not permitted here (%s)\n",
		       pr < -1 ? strerror(-pr) : "refused");
		return 77;
	}
	int compared = 0, refused = 0;
	for (int i = 0; i < programs; i++) {
		size_t n = generate(p);
		int kr = kernel_run(p, n, &kret);
		if (kr) {
			refused++;
			if (refused <= 3)
				fprintf(stderr, "kernel refused program %d (%d): %.600s\n",
					i, kr, kernel_log);
			continue;
		}
		for (size_t e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
			uint64_t r0 = 0;
			int err = bpftk_result(p, n, e, &r0);
			CHECK(err == 0);
			if (!err && (uint32_t)r0 != kret) {
				fprintf(stderr,
					"program %d engine %zu: bpftk 0x%08x, kernel 0x%08x\n",
					i, e, (uint32_t)r0, kret);
				for (size_t k = 0; k < n; k++)
					fprintf(stderr, "  %3zu: %02x %u %u %d %d\n", k,
						p[k].code, p[k].dst, p[k].src,
						p[k].off, p[k].imm);
			}
			CHECK_EQ_U64((uint32_t)r0, kret);
		}
		compared++;
	}
	printf("kernel differential: %d programs compared in 4 engines, %d refused by the kernel verifier\n",
	       compared, refused);
	/* every generated program is meant to be valid for the kernel */
	CHECK(refused == 0);
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
