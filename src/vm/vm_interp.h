/* vm_interp.h — the interpreter loop, written once and compiled four times
 * (checked / fast, each with computed-goto and switch dispatch) by
 * vm_exec_checked.c and vm_exec_fast.c.  No include guard: it is a template.
 *
 * Parameters, defined by the including file:
 *   VM_EXEC_NAME  name of the function to define
 *   VM_CHECKED    1: check every memory access, count instructions
 *   VM_GOTO       1: threaded dispatch (each op holds its handler's label
 *                 address); 0: a portable switch over handler indexes
 *
 * Invariants the loop relies on, established by bpftk_vm_load:
 *  - jumps land inside the program and never on lddw's second slot, and
 *    ops[n] is a sentinel, so ip never leaves ops[0..n];
 *  - constant helper calls name registered helpers;
 *  - the label table is generated from opcodes.def with the OP X-macro, so in
 *    goto mode a row without a handler label does not compile.
 * The run's stack is the caller-visible frames [stack_lo, stack_hi): frame 0
 * is the top 512 bytes, each local call adds the 512 bytes below.
 */

#if VM_GOTO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif

int VM_EXEC_NAME(struct vm_run *run, const void *const **labels_out)
{
#if VM_GOTO
	static const void *const labels[VM_H__COUNT] = {
		[BPFTK_OP_INVALID] = &&h_INVALID,
#define OP(id, ...) [BPFTK_OP_##id] = &&h_##id,
#include <bpftk/opcodes.def>
#undef OP
#define X(id, meaning) [VM_HID_##id] = &&h_##id,
		VM_XOPS(X)
#undef X
	};
	if (labels_out) {
		*labels_out = labels;
		return 0;
	}
#else
	if (labels_out) {
		*labels_out = NULL;
		return 0;
	}
#endif
	const struct bpftk_vm *const vm = run->vm;
	const struct vm_op *const base = vm->ops;
	const struct vm_helper *const helpers = vm->helpers;
	const struct vm_op *ip = base;
	uint64_t reg[BPFTK_NREGS];
	struct {
		const struct vm_op *ret;
		uint64_t saved[4]; /* r6..r9 of the caller */
	} frames[BPFTK_MAX_CALL_DEPTH];
	unsigned depth = 0;
	const uint64_t stack_hi = run->stack_hi;
#if VM_CHECKED
	uint64_t stack_lo = stack_hi - BPFTK_STACK_SIZE;
	uint64_t budget = run->budget;
#endif

	memset(reg, 0, sizeof(reg));
	for (int i = 0; i < 5; i++)
		reg[1 + i] = run->args[i];
	reg[BPFTK_REG_FP] = stack_hi;

#define D reg[ip->dst]
#define S reg[ip->src]
#define IMM (ip->imm)
#define W(x) ((uint64_t)(uint32_t)(x)) /* 32-bit result, zero-extended */
#define PC ((long)(ip - base))

#define FAULT(kind, err_, a, n)                                              \
	do {                                                                 \
		run->fault = (kind);                                         \
		run->err = (err_);                                           \
		run->pc = PC;                                                \
		run->addr = (a);                                             \
		run->size = (n);                                             \
		run->fault_stack_lo =                                        \
			stack_hi - (uint64_t)(depth + 1) * BPFTK_STACK_SIZE; \
		return (err_);                                               \
	} while (0)

#if VM_CHECKED
/* The stack test is one unsigned compare: addr - lo wraps when addr < lo. */
#define MEMCHK(a, n, kind)                                                   \
	do {                                                                 \
		if ((a) - stack_lo > stack_hi - stack_lo - (n) &&            \
		    !bpftk_vm_region_ok(run, (a), (n), (kind) != VM_F_LOAD)) \
			FAULT((kind), -EFAULT, (a), (n));                    \
	} while (0)
#define ATOMCHK(a, n)                                                        \
	do {                                                                 \
		if ((a) & ((n) - 1))                                         \
			FAULT(VM_F_MISALIGNED, -EFAULT, (a), (n));           \
		MEMCHK((a), (n), VM_F_ATOMIC);                               \
	} while (0)
#define BUDGET()                                                             \
	do {                                                                 \
		if (budget-- == 0)                                           \
			FAULT(VM_F_BUDGET, -ETIMEDOUT, 0, 0);                \
	} while (0)
#else
#define MEMCHK(a, n, kind) ((void)0)
#define ATOMCHK(a, n) ((void)0)
#define BUDGET() ((void)0)
#endif

#if VM_GOTO
#define CASE(id) h_##id
#define NEXT                                                                 \
	do {                                                                 \
		BUDGET();                                                    \
		goto *ip->h.addr;                                            \
	} while (0)
	NEXT;
#else
#define CASE(id) case VM_HID_##id
#define NEXT continue
	for (;;) {
		BUDGET();
		switch ((enum vm_handler)ip->h.idx) {
#endif

	/* ---- ALU64 ---------------------------------------------------- */
#define ALU64(id, expr_k, expr_x)                                            \
	CASE(id##_K) : D = (expr_k);                                         \
	ip++;                                                                \
	NEXT;                                                                \
	CASE(id##_X) : D = (expr_x);                                         \
	ip++;                                                                \
	NEXT;
	ALU64(ADD64, D + IMM, D + S)
	ALU64(SUB64, D - IMM, D - S)
	ALU64(MUL64, D * IMM, D * S)
	ALU64(DIV64, IMM ? D / IMM : 0, S ? D / S : 0)
	ALU64(SDIV64, vm_sdiv64(D, IMM), vm_sdiv64(D, S))
	ALU64(OR64, D | IMM, D | S)
	ALU64(AND64, D & IMM, D & S)
	ALU64(LSH64, D << (IMM & 63), D << (S & 63))
	ALU64(RSH64, D >> (IMM & 63), D >> (S & 63))
	ALU64(MOD64, IMM ? D % IMM : D, S ? D % S : D)
	ALU64(SMOD64, vm_smod64(D, IMM), vm_smod64(D, S))
	ALU64(XOR64, D ^ IMM, D ^ S)
	ALU64(ARSH64, vm_asr64(D, (unsigned)(IMM & 63)),
	      vm_asr64(D, (unsigned)(S & 63)))
	CASE(MOV64_K) : D = IMM;
	ip++;
	NEXT;
	CASE(MOV64_X) : D = S;
	ip++;
	NEXT;
	CASE(MOVSX64_8) : D = (uint64_t)(int64_t)(int8_t)(uint8_t)S;
	ip++;
	NEXT;
	CASE(MOVSX64_16) : D = (uint64_t)(int64_t)(int16_t)(uint16_t)S;
	ip++;
	NEXT;
	CASE(MOVSX64_32) : D = (uint64_t)(int64_t)(int32_t)(uint32_t)S;
	ip++;
	NEXT;
	CASE(NEG64) : D = 0 - D;
	ip++;
	NEXT;

	/* ---- ALU32: operands are the low 32 bits, results zero-extended -- */
#define ALU32(id, expr_k, expr_x)                                            \
	CASE(id##_K) : D = W(expr_k);                                        \
	ip++;                                                                \
	NEXT;                                                                \
	CASE(id##_X) : D = W(expr_x);                                        \
	ip++;                                                                \
	NEXT;
#define DW ((uint32_t)D)
#define SW ((uint32_t)S)
#define IW ((uint32_t)IMM)
	ALU32(ADD32, DW + IW, DW + SW)
	ALU32(SUB32, DW - IW, DW - SW)
	ALU32(MUL32, DW * IW, DW * SW)
	ALU32(DIV32, IW ? DW / IW : 0, SW ? DW / SW : 0)
	ALU32(SDIV32, vm_sdiv32(DW, IW), vm_sdiv32(DW, SW))
	ALU32(OR32, DW | IW, DW | SW)
	ALU32(AND32, DW & IW, DW & SW)
	ALU32(LSH32, DW << (IW & 31), DW << (SW & 31))
	ALU32(RSH32, DW >> (IW & 31), DW >> (SW & 31))
	ALU32(MOD32, IW ? DW % IW : DW, SW ? DW % SW : DW)
	ALU32(SMOD32, vm_smod32(DW, IW), vm_smod32(DW, SW))
	ALU32(XOR32, DW ^ IW, DW ^ SW)
	ALU32(ARSH32, vm_asr32(DW, IW & 31), vm_asr32(DW, SW & 31))
	CASE(MOV32_K) : D = W(IW);
	ip++;
	NEXT;
	CASE(MOV32_X) : D = W(SW);
	ip++;
	NEXT;
	CASE(MOVSX32_8) : D = W((int32_t)(int8_t)(uint8_t)S);
	ip++;
	NEXT;
	CASE(MOVSX32_16) : D = W((int32_t)(int16_t)(uint16_t)S);
	ip++;
	NEXT;
	CASE(NEG32) : D = W(0 - DW);
	ip++;
	NEXT;

	/* ---- byte order: le is "from little endian", be "from big endian"
	 * (one of them is a truncation on any host); bswap always swaps. --- */
#if VM_HOST_BIG_ENDIAN
#define FROM_LE16(x) vm_bswap16((uint16_t)(x))
#define FROM_LE32(x) vm_bswap32((uint32_t)(x))
#define FROM_LE64(x) vm_bswap64(x)
#define FROM_BE16(x) ((uint16_t)(x))
#define FROM_BE32(x) ((uint32_t)(x))
#define FROM_BE64(x) (x)
#else
#define FROM_LE16(x) ((uint16_t)(x))
#define FROM_LE32(x) ((uint32_t)(x))
#define FROM_LE64(x) (x)
#define FROM_BE16(x) vm_bswap16((uint16_t)(x))
#define FROM_BE32(x) vm_bswap32((uint32_t)(x))
#define FROM_BE64(x) vm_bswap64(x)
#endif
	CASE(LE16) : D = FROM_LE16(D);
	ip++;
	NEXT;
	CASE(LE32) : D = FROM_LE32(D);
	ip++;
	NEXT;
	CASE(LE64) : D = FROM_LE64(D);
	ip++;
	NEXT;
	CASE(BE16) : D = FROM_BE16(D);
	ip++;
	NEXT;
	CASE(BE32) : D = FROM_BE32(D);
	ip++;
	NEXT;
	CASE(BE64) : D = FROM_BE64(D);
	ip++;
	NEXT;
	CASE(BSWAP16) : D = vm_bswap16((uint16_t)D);
	ip++;
	NEXT;
	CASE(BSWAP32) : D = vm_bswap32((uint32_t)D);
	ip++;
	NEXT;
	CASE(BSWAP64) : D = vm_bswap64(D);
	ip++;
	NEXT;

	/* ---- lddw: the constant was composed at load time; the pseudo forms
	 * load their plain value until maps are bound. ------------------- */
	CASE(LDDW) :
	CASE(LDDW_MAP_FD) :
	CASE(LDDW_MAP_VALUE) :
	CASE(LDDW_BTF_ID) :
	CASE(LDDW_FUNC) :
	CASE(LDDW_MAP_IDX) :
	CASE(LDDW_MAP_IDX_VALUE) : D = IMM;
	ip += 2;
	NEXT;

	/* ---- legacy packet loads: big-endian, out of bounds ends the whole
	 * program with r0 = 0 like the kernel. ---------------------------- */
	{
		int64_t pkt_off;
		uint64_t pkt_n;
#define PKT(id, n, off_expr)                                                 \
	CASE(id) : pkt_off = (off_expr);                                     \
	pkt_n = (n);                                                         \
	goto pkt_load;
		PKT(LDABSW, 4, (int32_t)IMM)
		PKT(LDABSH, 2, (int32_t)IMM)
		PKT(LDABSB, 1, (int32_t)IMM)
		PKT(LDINDW, 4, (int32_t)(SW + IW))
		PKT(LDINDH, 2, (int32_t)(SW + IW))
		PKT(LDINDB, 1, (int32_t)(SW + IW))
	pkt_load:
		if (pkt_off < 0 || (uint64_t)pkt_off > run->data_len ||
		    run->data_len - (uint64_t)pkt_off < pkt_n) {
			run->r0 = 0;
			return 0;
		}
		{
			const uint8_t *p = run->data + pkt_off;
			uint64_t v = 0;
			for (uint64_t k = 0; k < pkt_n; k++)
				v = v << 8 | p[k];
			reg[0] = v;
		}
		ip++;
		NEXT;
	}

	/* ---- loads and stores ------------------------------------------- */
#define LDX(id, n, expr)                                                     \
	CASE(id) : {                                                         \
		uint64_t a = S + (uint64_t)(int64_t)ip->off;                 \
		MEMCHK(a, n, VM_F_LOAD);                                     \
		D = (expr);                                                  \
	}                                                                    \
	ip++;                                                                \
	NEXT;
	LDX(LDXB, 1, vm_ld8(a))
	LDX(LDXH, 2, vm_ld16(a))
	LDX(LDXW, 4, vm_ld32(a))
	LDX(LDXDW, 8, vm_ld64(a))
	LDX(LDXSB, 1, (uint64_t)(int64_t)(int8_t)(uint8_t)vm_ld8(a))
	LDX(LDXSH, 2, (uint64_t)(int64_t)(int16_t)(uint16_t)vm_ld16(a))
	LDX(LDXSW, 4, (uint64_t)(int64_t)(int32_t)(uint32_t)vm_ld32(a))
#define STORE(id, n, fn, val)                                                \
	CASE(id) : {                                                         \
		uint64_t a = D + (uint64_t)(int64_t)ip->off;                 \
		MEMCHK(a, n, VM_F_STORE);                                    \
		fn(a, (val));                                                \
	}                                                                    \
	ip++;                                                                \
	NEXT;
	STORE(STB, 1, vm_st8, IMM)
	STORE(STH, 2, vm_st16, IMM)
	STORE(STW, 4, vm_st32, IMM)
	STORE(STDW, 8, vm_st64, IMM)
	STORE(STXB, 1, vm_st8, S)
	STORE(STXH, 2, vm_st16, S)
	STORE(STXW, 4, vm_st32, S)
	STORE(STXDW, 8, vm_st64, S)

	/* ---- atomics: sequentially consistent read-modify-write ---------- */
#define ATOMIC(id, T, n, fetch, expr)                                        \
	CASE(id) : {                                                         \
		uint64_t a = D + (uint64_t)(int64_t)ip->off;                 \
		ATOMCHK(a, n);                                               \
		T *p = (T *)(uintptr_t)a;                                    \
		T v = (T)S;                                                  \
		T old = expr;                                                \
		if (fetch)                                                   \
			S = old;                                             \
	}                                                                    \
	ip++;                                                                \
	NEXT;
#if defined(__GNUC__) || defined(__clang__)
#define A_ADD(p, v) __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST)
#define A_OR(p, v) __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST)
#define A_AND(p, v) __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST)
#define A_XOR(p, v) __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST)
#define A_XCHG(p, v) __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST)
#else
#error "bpftk: the interpreter needs the __atomic builtins (gcc or clang)"
#endif
	ATOMIC(ATOMIC64_ADD, uint64_t, 8, 0, A_ADD(p, v))
	ATOMIC(ATOMIC64_OR, uint64_t, 8, 0, A_OR(p, v))
	ATOMIC(ATOMIC64_AND, uint64_t, 8, 0, A_AND(p, v))
	ATOMIC(ATOMIC64_XOR, uint64_t, 8, 0, A_XOR(p, v))
	ATOMIC(ATOMIC64_FETCH_ADD, uint64_t, 8, 1, A_ADD(p, v))
	ATOMIC(ATOMIC64_FETCH_OR, uint64_t, 8, 1, A_OR(p, v))
	ATOMIC(ATOMIC64_FETCH_AND, uint64_t, 8, 1, A_AND(p, v))
	ATOMIC(ATOMIC64_FETCH_XOR, uint64_t, 8, 1, A_XOR(p, v))
	ATOMIC(ATOMIC64_XCHG, uint64_t, 8, 1, A_XCHG(p, v))
	ATOMIC(ATOMIC32_ADD, uint32_t, 4, 0, A_ADD(p, v))
	ATOMIC(ATOMIC32_OR, uint32_t, 4, 0, A_OR(p, v))
	ATOMIC(ATOMIC32_AND, uint32_t, 4, 0, A_AND(p, v))
	ATOMIC(ATOMIC32_XOR, uint32_t, 4, 0, A_XOR(p, v))
	ATOMIC(ATOMIC32_FETCH_ADD, uint32_t, 4, 1, A_ADD(p, v))
	ATOMIC(ATOMIC32_FETCH_OR, uint32_t, 4, 1, A_OR(p, v))
	ATOMIC(ATOMIC32_FETCH_AND, uint32_t, 4, 1, A_AND(p, v))
	ATOMIC(ATOMIC32_FETCH_XOR, uint32_t, 4, 1, A_XOR(p, v))
	ATOMIC(ATOMIC32_XCHG, uint32_t, 4, 1, A_XCHG(p, v))
	/* cmpxchg compares with r0 (its low 32 bits for the 32-bit form) and
	 * always leaves the old value, zero-extended, in r0. */
#define CMPXCHG(id, T, n)                                                    \
	CASE(id) : {                                                         \
		uint64_t a = D + (uint64_t)(int64_t)ip->off;                 \
		ATOMCHK(a, n);                                               \
		T *p = (T *)(uintptr_t)a;                                    \
		T expect = (T)reg[0];                                        \
		__atomic_compare_exchange_n(p, &expect, (T)S, 0,             \
					    __ATOMIC_SEQ_CST,                \
					    __ATOMIC_SEQ_CST);               \
		reg[0] = expect;                                             \
	}                                                                    \
	ip++;                                                                \
	NEXT;
	CMPXCHG(ATOMIC64_CMPXCHG, uint64_t, 8)
	CMPXCHG(ATOMIC32_CMPXCHG, uint32_t, 4)

	/* ---- jumps ------------------------------------------------------ */
	CASE(JA) :
	CASE(JA32) : ip += ip->jmp;
	NEXT;
#define JCC(id, cond)                                                        \
	CASE(id) : ip += (cond) ? ip->jmp : 1;                               \
	NEXT;
#define JCC64(id, op_k, op_x)                                                \
	JCC(id##64_K, op_k) JCC(id##64_X, op_x)
#define JCC32(id, op_k, op_x)                                                \
	JCC(id##32_K, op_k) JCC(id##32_X, op_x)
#define SD ((int64_t)D)
#define SS ((int64_t)S)
#define SI ((int64_t)IMM)
#define SDW ((int32_t)DW)
#define SSW ((int32_t)SW)
#define SIW ((int32_t)IW)
	JCC64(JEQ, D == IMM, D == S)
	JCC64(JGT, D > IMM, D > S)
	JCC64(JGE, D >= IMM, D >= S)
	JCC64(JSET, (D & IMM) != 0, (D & S) != 0)
	JCC64(JNE, D != IMM, D != S)
	JCC64(JSGT, SD > SI, SD > SS)
	JCC64(JSGE, SD >= SI, SD >= SS)
	JCC64(JLT, D < IMM, D < S)
	JCC64(JLE, D <= IMM, D <= S)
	JCC64(JSLT, SD < SI, SD < SS)
	JCC64(JSLE, SD <= SI, SD <= SS)
	JCC32(JEQ, DW == IW, DW == SW)
	JCC32(JGT, DW > IW, DW > SW)
	JCC32(JGE, DW >= IW, DW >= SW)
	JCC32(JSET, (DW & IW) != 0, (DW & SW) != 0)
	JCC32(JNE, DW != IW, DW != SW)
	JCC32(JSGT, SDW > SIW, SDW > SSW)
	JCC32(JSGE, SDW >= SIW, SDW >= SSW)
	JCC32(JLT, DW < IW, DW < SW)
	JCC32(JLE, DW <= IW, DW <= SW)
	JCC32(JSLT, SDW < SIW, SDW < SSW)
	JCC32(JSLE, SDW <= SIW, SDW <= SSW)

	/* ---- calls ------------------------------------------------------ */
	{
		bpftk_vm_helper_fn fn;
	CASE(CALL) : fn = helpers[IMM].fn;
		run->call.id = (uint32_t)IMM;
		goto call_helper;
	CASE(CALLX) : if (D >= vm->nhelpers || !helpers[D].fn)
			FAULT(VM_F_CALLX, -ENOENT, D, 0);
		fn = helpers[D].fn;
		run->call.id = (uint32_t)D;
	call_helper:
		run->call.insn = PC;
		run->call.stack_lo =
			stack_hi - (uint64_t)(depth + 1) * BPFTK_STACK_SIZE;
		reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5],
			    &run->call);
		if (run->call.err)
			FAULT(VM_F_HELPER, run->call.err, 0, 0);
		ip++;
		NEXT;
	}
	CASE(CALL_LOCAL) : if (depth + 1 >= BPFTK_MAX_CALL_DEPTH)
			FAULT(VM_F_DEPTH, -E2BIG, 0, 0);
	frames[depth].ret = ip + 1;
	memcpy(frames[depth].saved, &reg[6], sizeof(frames[depth].saved));
	depth++;
	reg[BPFTK_REG_FP] = stack_hi - (uint64_t)depth * BPFTK_STACK_SIZE;
	if (depth >= run->zeroed) { /* a frame's first use in this run */
		memset((void *)(uintptr_t)(reg[BPFTK_REG_FP] - BPFTK_STACK_SIZE),
		       0, BPFTK_STACK_SIZE);
		run->zeroed = depth + 1;
	}
#if VM_CHECKED
	stack_lo -= BPFTK_STACK_SIZE;
#endif
	ip += ip->jmp;
	NEXT;
	CASE(EXIT) : if (depth == 0)
	{
		run->r0 = reg[0];
		return 0;
	}
	depth--;
	ip = frames[depth].ret;
	memcpy(&reg[6], frames[depth].saved, sizeof(frames[depth].saved));
	reg[BPFTK_REG_FP] = stack_hi - (uint64_t)depth * BPFTK_STACK_SIZE;
#if VM_CHECKED
	stack_lo += BPFTK_STACK_SIZE;
#endif
	NEXT;

	/* ---- never reached in a loaded program ------------------------- */
	CASE(END) : FAULT(VM_F_END, -EFAULT, 0, 0);
	CASE(INVALID) :
	CASE(SLOT2) :
	CASE(CALL_KFUNC) : FAULT(VM_F_INTERNAL, -EFAULT, 0, 0);

#if !VM_GOTO
		default:
			FAULT(VM_F_INTERNAL, -EFAULT, 0, 0);
		}
	}
#endif

#undef D
#undef S
#undef IMM
#undef W
#undef PC
#undef FAULT
#undef MEMCHK
#undef ATOMCHK
#undef BUDGET
#undef CASE
#undef NEXT
#undef ALU64
#undef ALU32
#undef DW
#undef SW
#undef IW
#undef FROM_LE16
#undef FROM_LE32
#undef FROM_LE64
#undef FROM_BE16
#undef FROM_BE32
#undef FROM_BE64
#undef PKT
#undef LDX
#undef STORE
#undef ATOMIC
#undef A_ADD
#undef A_OR
#undef A_AND
#undef A_XOR
#undef A_XCHG
#undef CMPXCHG
#undef JCC
#undef JCC64
#undef JCC32
#undef SD
#undef SS
#undef SI
#undef SDW
#undef SSW
#undef SIW
}

#if VM_GOTO
#pragma GCC diagnostic pop
#endif
