/* test_vm_walk.c — the 256-code walk: for every opcode byte and every
 * selector value a row of the table uses (plus one no row uses), either the
 * table says "invalid" and the vm refuses to load it, or the vm executes it
 * on all four engines with identical results.  Every row of the table must
 * be executed this way (kfunc calls, which the interpreter cannot run, must
 * instead be refused with a clear message), which proves the dispatch has a
 * handler for each row: the switch engines would stop with an internal
 * error, the goto engines would not compile. */
#include "test.h"
#include "test_vm_util.h"

static uint64_t h_ret7(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		       uint64_t e, struct bpftk_vm_call *call)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)call;
	return 7;
}

static void setup(struct bpftk_vm *vm)
{
	CHECK(bpftk_vm_register_helper(vm, 1, "ret7", h_ret7) == 0);
}

/* A small program that executes `in` once; returns its length. */
static size_t wrap(struct bpftk_insn in, enum bpftk_op op,
		   struct bpftk_insn *p)
{
	const struct bpftk_opinfo *r = bpftk_isa_info(op);
	size_t n = 0;
	p[n++] = MOVK(3, 5);
	p[n++] = MOVK(4, 3);
	p[n++] = I(STDW, 10, 0, -8, 0x11);
	switch (r->form) {
	case BPFTK_FORM_ALU_K:
	case BPFTK_FORM_ALU_X:
	case BPFTK_FORM_NEG:
	case BPFTK_FORM_END:
		in.dst = 3;
		if (r->form == BPFTK_FORM_ALU_X)
			in.src = 4;
		if (r->form == BPFTK_FORM_ALU_K)
			in.imm = 3;
		break;
	case BPFTK_FORM_LDDW:
		in.dst = 3;
		in.imm = 1; /* a slot, for the pseudo form naming a function */
		p[n++] = in;
		p[n++] = vt_raw(0, 0, 0, 0, 2);
		p[n++] = MOVX(0, 3);
		p[n++] = EXIT();
		return n;
	case BPFTK_FORM_LDABS:
		in.imm = 1;
		break;
	case BPFTK_FORM_LDIND:
		in.src = 4;
		in.imm = -2;
		break;
	case BPFTK_FORM_LDX:
		in.dst = 3;
		in.src = 10;
		in.off = -8;
		break;
	case BPFTK_FORM_ST:
	case BPFTK_FORM_STX:
	case BPFTK_FORM_ATOMIC:
		in.dst = 10;
		in.off = -8;
		if (r->form == BPFTK_FORM_ST)
			in.imm = 0x22;
		else
			in.src = 4;
		p[n++] = in;
		p[n++] = I(LDXDW, 0, 10, -8, 0);
		p[n++] = I(ADD64_X, 0, 4, 0, 0);
		p[n++] = EXIT();
		return n;
	case BPFTK_FORM_JA:
		in.off = 1;
		p[n++] = in;
		p[n++] = MOVK(3, 99);
		break;
	case BPFTK_FORM_JA32:
		in.imm = 1;
		p[n++] = in;
		p[n++] = MOVK(3, 99);
		break;
	case BPFTK_FORM_JCC_K:
	case BPFTK_FORM_JCC_X:
		in.dst = 3;
		in.off = 1;
		if (r->form == BPFTK_FORM_JCC_X)
			in.src = 4;
		else
			in.imm = 3;
		p[n++] = in;
		p[n++] = MOVK(3, 99);
		break;
	case BPFTK_FORM_CALL:
		if (op == BPFTK_OP_CALL_LOCAL) {
			in.imm = 2; /* -> the function after exit */
			p[n++] = in;
			p[n++] = EXIT();
			p[n++] = EXIT();
			p[n++] = I(ADD64_K, 0, 0, 0, 40);
			p[n++] = EXIT();
			return n;
		}
		in.imm = 1;
		break;
	case BPFTK_FORM_CALLX:
		p[n++] = MOVK(5, 1);
		in.dst = 5;
		break;
	case BPFTK_FORM_EXIT:
		break;
	}
	if (r->form != BPFTK_FORM_JA && r->form != BPFTK_FORM_JA32 &&
	    r->form != BPFTK_FORM_JCC_K && r->form != BPFTK_FORM_JCC_X)
		p[n++] = in;
	p[n++] = MOVX(0, 3);
	p[n++] = EXIT();
	return n;
}

static void walk(void)
{
	int executed[BPFTK_OP__COUNT] = {0};
	int refused = 0, ran = 0;
	uint8_t pkt[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	for (int code = 0; code < 256; code++) {
		/* the selector values rows of this code use, and one unused */
		struct bpftk_insn cand[16];
		int nc = 0;
		int sel = BPFTK_SEL_NONE;
		for (int op = 1; op < BPFTK_OP__COUNT; op++) {
			const struct bpftk_opinfo *r = bpftk_isa_info(op);
			if (r->code != code || nc >= 15)
				continue;
			cand[nc++] = vt_ins(op, 0, 0, 0, 0);
			sel = r->sel;
		}
		struct bpftk_insn other = vt_raw(code, 0, 0, 0, 0);
		if (sel == BPFTK_SEL_OFF)
			other.off = 3;
		else if (sel == BPFTK_SEL_IMM)
			other.imm = 0x77;
		else if (sel == BPFTK_SEL_SRC)
			other.src = 9;
		cand[nc++] = other;
		for (int c = 0; c < nc; c++) {
			enum bpftk_op op = bpftk_isa_lookup(&cand[c]);
			char what[64];
			snprintf(what, sizeof(what), "code 0x%02x cand %d (%s)",
				 code, c,
				 op ? bpftk_isa_info(op)->name : "invalid");
			if (op == BPFTK_OP_INVALID) {
				struct bpftk_insn p[] = {MOVK(0, 0), cand[c],
							 EXIT()};
				struct vt_out o = vt_run_on(what, p, NINSN(p),
							    NULL, 0, setup,
							    VT_ALL, 0);
				if (o.load_err != -EINVAL || o.insn != 1)
					fprintf(stderr, "%s: loaded\n", what);
				CHECK(o.load_err == -EINVAL && o.insn == 1);
				refused++;
				continue;
			}
			struct bpftk_insn p[16];
			size_t n = wrap(cand[c], op, p);
			struct vt_out o = vt_run_on(what, p, n, pkt, sizeof(pkt),
						    setup, VT_ALL, 0);
			if (op == BPFTK_OP_CALL_KFUNC) {
				CHECK(o.load_err == -EINVAL &&
				      strstr(o.msg, "kfunc"));
				executed[op] = 1;
				continue;
			}
			if (o.load_err || o.err)
				fprintf(stderr, "%s: load %d run %d: %s\n", what,
					o.load_err, o.err, o.msg);
			CHECK(o.load_err == 0 && o.err == 0);
			executed[op] = 1;
			ran++;
		}
	}
	int missing = 0;
	for (int op = 1; op < BPFTK_OP__COUNT; op++)
		if (!executed[op]) {
			fprintf(stderr, "row %s was never executed\n",
				bpftk_isa_info(op)->name);
			missing++;
		}
	CHECK(missing == 0);
	printf("%d encodings executed, %d refused, %d rows covered\n", ran,
	       refused, BPFTK_OP__COUNT - 1 - missing);
}

TEST_MAIN(walk())
