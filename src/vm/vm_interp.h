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
 *  - the label table is generated from opcodes.def with the OP X-macro (and
 *    the internal, fused and forwarded lists of vm_int.h), so in goto mode a
 *    row without a handler label does not compile;
 *  - a superinstruction or forwarded handler is only entered by falling
 *    through from the slot before it (vm_fuse.c, vm_forward.c); every
 *    handler that writes a register also leaves its value in t.
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
#define VM_FUSED_ONE(name) [VM_HID_##name] = &&h_##name,
		VM_FUSED_ALL
#undef VM_FUSED_ONE
#define VM_FWD_ONE(name) [VM_HID_##name] = &&h_##name,
		VM_FWD_ALL
#undef VM_FWD_ONE
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
	const struct vm_op *ip = base + run->entry_pc;
	uint64_t reg[BPFTK_NREGS];
	uint64_t t = 0; /* the last register value written (vm_forward.c) */
	struct {
		const struct vm_op *ret;
		uint64_t saved[4]; /* r6..r9 of the caller */
	} frames[BPFTK_MAX_CALL_DEPTH];
	unsigned depth = run->entry_depth;
	const unsigned depth0 = depth;
	const uint64_t stack_hi = run->stack_hi;
#if VM_CHECKED
	uint64_t stack_lo = stack_hi - (uint64_t)(depth + 1) * BPFTK_STACK_SIZE;
	uint64_t budget = run->budget;
#endif

	memset(reg, 0, sizeof(reg));
	for (int i = 0; i < 5; i++)
		reg[1 + i] = run->args[i];
	reg[BPFTK_REG_FP] = stack_hi - (uint64_t)depth * BPFTK_STACK_SIZE;

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

/* A handler starts with CASE(id) (ALSO(id) adds labels in front of one).
 * The goto engines count the budget at the head of each handler, so that
 * every handler ends in its own indirect jump: a shared tail would make
 * all dispatches one hard-to-predict branch (clang merges them). */
#if VM_GOTO
#define CASE(id)                                                             \
	h_##id:                                                              \
	BUDGET();
#define ALSO(id) h_##id:
#define NEXT goto *ip->h.addr
	NEXT;
#else
#define CASE(id) case VM_HID_##id:
#define ALSO(id) case VM_HID_##id:
#define NEXT continue
	for (;;) {
		BUDGET();
		switch ((enum vm_handler)ip->h.idx) {
#endif

	/* ---- ALU64 (rows in vm_int.h) --------------------------------- */
#define ALU64_AS(label, da, sb, e)                                            \
	CASE(label) {                                                      \
		uint64_t a = (da), b = (sb);                                 \
		D = t = (e);                                                 \
	}                                                                    \
	ip++;                                                                \
	NEXT;
#define ALU64(id, e)                                                         \
	ALU64_AS(id##_K, D, IMM, e)                                          \
	ALU64_AS(id##_X, D, S, e)                                            \
	ALU64_AS(TD_##id##_K, t, IMM, e)                                     \
	ALU64_AS(TD_##id##_X, t, S, e)                                       \
	ALU64_AS(TS_##id##_X, D, t, e)
	VM_ALU64_ROWS(ALU64)
	CASE(MOV64_K) D = t = IMM;
	ip++;
	NEXT;
	CASE(MOV64_X) D = t = S;
	ip++;
	NEXT;
	CASE(TS_MOV64_X) D = t;
	ip++;
	NEXT;
	CASE(MOVSX64_8) D = t = (uint64_t)(int64_t)(int8_t)(uint8_t)S;
	ip++;
	NEXT;
	CASE(MOVSX64_16) D = t = (uint64_t)(int64_t)(int16_t)(uint16_t)S;
	ip++;
	NEXT;
	CASE(MOVSX64_32) D = t = (uint64_t)(int64_t)(int32_t)(uint32_t)S;
	ip++;
	NEXT;
	CASE(NEG64) D = t = 0 - D;
	ip++;
	NEXT;

	/* ---- ALU32: operands are the low 32 bits, results zero-extended -- */
#define DW ((uint32_t)D)
#define SW ((uint32_t)S)
#define IW ((uint32_t)IMM)
#define ALU32_AS(label, da, sb, e)                                            \
	CASE(label) {                                                      \
		uint32_t a = (uint32_t)(da), b = (uint32_t)(sb);             \
		D = t = W(e);                                                \
	}                                                                    \
	ip++;                                                                \
	NEXT;
#define ALU32(id, e)                                                         \
	ALU32_AS(id##_K, D, IMM, e)                                          \
	ALU32_AS(id##_X, D, S, e)                                            \
	ALU32_AS(TD_##id##_K, t, IMM, e)                                     \
	ALU32_AS(TD_##id##_X, t, S, e)                                       \
	ALU32_AS(TS_##id##_X, D, t, e)
	VM_ALU32_ROWS(ALU32)
	CASE(MOV32_K) D = t = W(IW);
	ip++;
	NEXT;
	CASE(MOV32_X) D = t = W(SW);
	ip++;
	NEXT;
	CASE(TS_MOV32_X) D = t = W((uint32_t)t);
	ip++;
	NEXT;
	CASE(MOVSX32_8) D = t = W((int32_t)(int8_t)(uint8_t)S);
	ip++;
	NEXT;
	CASE(MOVSX32_16) D = t = W((int32_t)(int16_t)(uint16_t)S);
	ip++;
	NEXT;
	CASE(NEG32) D = t = W(0 - DW);
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
	CASE(LE16) D = t = FROM_LE16(D);
	ip++;
	NEXT;
	CASE(LE32) D = t = FROM_LE32(D);
	ip++;
	NEXT;
	CASE(LE64) D = t = FROM_LE64(D);
	ip++;
	NEXT;
	CASE(BE16) D = t = FROM_BE16(D);
	ip++;
	NEXT;
	CASE(BE32) D = t = FROM_BE32(D);
	ip++;
	NEXT;
	CASE(BE64) D = t = FROM_BE64(D);
	ip++;
	NEXT;
	CASE(BSWAP16) D = t = vm_bswap16((uint16_t)D);
	ip++;
	NEXT;
	CASE(BSWAP32) D = t = vm_bswap32((uint32_t)D);
	ip++;
	NEXT;
	CASE(BSWAP64) D = t = vm_bswap64(D);
	ip++;
	NEXT;

	/* ---- lddw: the constant was composed at load time; the pseudo forms
	 * load their plain value until maps are bound. ------------------- */
	ALSO(LDDW_MAP_FD)
	ALSO(LDDW_MAP_VALUE)
	ALSO(LDDW_BTF_ID)
	ALSO(LDDW_FUNC)
	ALSO(LDDW_MAP_IDX)
	ALSO(LDDW_MAP_IDX_VALUE)
	CASE(LDDW) D = t = IMM;
	ip += 2;
	NEXT;

	/* ---- legacy packet loads: big-endian, out of bounds ends the whole
	 * program with r0 = 0 like the kernel. ---------------------------- */
	{
		int64_t pkt_off;
		uint64_t pkt_n;
#define PKT(id, n, off_expr)                                                 \
	CASE(id) pkt_off = (off_expr);                                     \
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
#define LDX(id, base, n, expr)                                               \
	CASE(id) {                                                         \
		uint64_t a = (base) + (uint64_t)(int64_t)ip->off;            \
		MEMCHK(a, n, VM_F_LOAD);                                     \
		D = t = (expr);                                              \
	}                                                                    \
	ip++;                                                                \
	NEXT;
#define LDXS(id, n, expr) LDX(id, S, n, expr) LDX(TS_##id, t, n, expr)
	LDXS(LDXB, 1, vm_ld8(a))
	LDXS(LDXH, 2, vm_ld16(a))
	LDXS(LDXW, 4, vm_ld32(a))
	LDXS(LDXDW, 8, vm_ld64(a))
	LDXS(LDXSB, 1, (uint64_t)(int64_t)(int8_t)(uint8_t)vm_ld8(a))
	LDXS(LDXSH, 2, (uint64_t)(int64_t)(int16_t)(uint16_t)vm_ld16(a))
	LDXS(LDXSW, 4, (uint64_t)(int64_t)(int32_t)(uint32_t)vm_ld32(a))
#define STORE(id, base, n, fn, val)                                          \
	CASE(id) {                                                         \
		uint64_t a = (base) + (uint64_t)(int64_t)ip->off;            \
		MEMCHK(a, n, VM_F_STORE);                                    \
		fn(a, (val));                                                \
	}                                                                    \
	ip++;                                                                \
	NEXT;
#define STS(id, n, fn)                                                       \
	STORE(id, D, n, fn, IMM) STORE(TD_##id, t, n, fn, IMM)
#define STXS(id, n, fn)                                                      \
	STORE(id, D, n, fn, S)                                               \
	STORE(TD_##id, t, n, fn, S) STORE(TS_##id, D, n, fn, t)
	STS(STB, 1, vm_st8)
	STS(STH, 2, vm_st16)
	STS(STW, 4, vm_st32)
	STS(STDW, 8, vm_st64)
	STXS(STXB, 1, vm_st8)
	STXS(STXH, 2, vm_st16)
	STXS(STXW, 4, vm_st32)
	STXS(STXDW, 8, vm_st64)

	/* ---- atomics: sequentially consistent read-modify-write ---------- */
#define ATOMIC(id, T, n, fetch, expr)                                        \
	CASE(id) {                                                         \
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
	CASE(id) {                                                         \
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
	ALSO(JA32)
	CASE(JA) ip += ip->jmp;
	NEXT;
#define JCC_AS(label, da, sb, e)                                              \
	CASE(label) {                                                      \
		uint64_t a = (da), b = (sb);                                 \
		ip += (e) ? ip->jmp : 1;                                     \
	}                                                                    \
	NEXT;
#define JCC(id, e)                                                           \
	JCC_AS(id##_K, D, IMM, e)                                            \
	JCC_AS(id##_X, D, S, e)                                              \
	JCC_AS(TD_##id##_K, t, IMM, e)                                       \
	JCC_AS(TD_##id##_X, t, S, e)                                         \
	JCC_AS(TS_##id##_X, D, t, e)
	VM_JCC_ROWS(JCC)

	/* ---- calls ------------------------------------------------------ */
	{
		bpftk_vm_helper_fn fn;
	CASE(CALL) fn = helpers[IMM].fn;
		run->call.id = (uint32_t)IMM;
		goto call_helper;
	CASE(CALLX) if (D >= vm->nhelpers || !helpers[D].fn)
			FAULT(VM_F_CALLX, -ENOENT, D, 0);
		fn = helpers[D].fn;
		run->call.id = (uint32_t)D;
	call_helper:
		run->call.insn = PC;
		run->call.stack_lo =
			stack_hi - (uint64_t)(depth + 1) * BPFTK_STACK_SIZE;
		run->call.depth = depth;
#if VM_CHECKED
		run->budget = budget; /* callbacks of the helper count too */
#endif
		reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5],
			    &run->call);
#if VM_CHECKED
		budget = run->budget;
#endif
		if (run->call.err) {
			if (run->call.err == VM_CALL_EXIT) {
				run->r0 = run->call.exit_r0;
				return 0;
			}
			if (run->call.err == VM_CALL_RETURN) {
				/* the helper left the calling function */
				run->call.err = 0;
				reg[0] = run->call.exit_r0;
				goto leave_function;
			}
			FAULT(VM_F_HELPER, run->call.err, 0, 0);
		}
		ip++;
		NEXT;
	}
	CASE(CALL_LOCAL) if (depth + 1 >= BPFTK_MAX_CALL_DEPTH)
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
	CASE(EXIT)
leave_function:
	if (depth == depth0) {
		run->r0 = reg[0];
#if VM_CHECKED
		run->budget = budget;
#endif
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

	/* ---- superinstructions (fast engines only; see vm_fuse.c) ------
	 * ip[1] and ip[2] are the slots fused into this one; the value the
	 * first slot computes stays in a host register. */
#if VM_CHECKED
#define VM_FUSED_ONE(name) ALSO(name)
	VM_FUSED_ALL
#undef VM_FUSED_ONE
	FAULT(VM_F_INTERNAL, -EFAULT, 0, 0);
#else
#define FUSED_MOVX64(id, e)                                                  \
	CASE(MOVX_##id##_K) {                                              \
		uint64_t a = S, b = ip[1].imm;                               \
		D = t = (e);                                                 \
	}                                                                    \
	ip += 2;                                                             \
	NEXT;                                                                \
	CASE(MOVX_##id##_X) {                                              \
		uint64_t a = S, b = reg[ip[1].src];                          \
		D = t = (e);                                                 \
	}                                                                    \
	ip += 2;                                                             \
	NEXT;
	VM_ALU64_ROWS(FUSED_MOVX64)
#define FUSED_MOVX32(id, e)                                                  \
	CASE(MOV32X_##id##_K) {                                            \
		uint32_t a = SW, b = (uint32_t)ip[1].imm;                    \
		D = t = W(e);                                                \
	}                                                                    \
	ip += 2;                                                             \
	NEXT;                                                                \
	CASE(MOV32X_##id##_X) {                                            \
		uint32_t a = SW, b = (uint32_t)reg[ip[1].src];               \
		D = t = W(e);                                                \
	}                                                                    \
	ip += 2;                                                             \
	NEXT;
	VM_ALU32_ROWS(FUSED_MOVX32)
	/* add then compare the sum: the jump delta of slot 1 counts from it */
#define FUSED_JCC(id, e)                                                     \
	CASE(ADD64K_##id##_K) {                                            \
		uint64_t a = D + IMM, b = ip[1].imm;                         \
		D = a;                                                       \
		ip += (e) ? 1 + ip[1].jmp : 2;                               \
	}                                                                    \
	NEXT;                                                                \
	CASE(ADD64K_##id##_X) {                                            \
		uint64_t a = D + IMM, b;                                     \
		D = a;                                                       \
		b = reg[ip[1].src];                                          \
		ip += (e) ? 1 + ip[1].jmp : 2;                               \
	}                                                                    \
	NEXT;                                                                \
	CASE(ADD32K_##id##_K) {                                            \
		uint64_t a = W(DW + IW), b = ip[1].imm;                      \
		D = a;                                                       \
		ip += (e) ? 1 + ip[1].jmp : 2;                               \
	}                                                                    \
	NEXT;                                                                \
	CASE(ADD32K_##id##_X) {                                            \
		uint64_t a = W(DW + IW), b;                                  \
		D = a;                                                       \
		b = reg[ip[1].src];                                          \
		ip += (e) ? 1 + ip[1].jmp : 2;                               \
	}                                                                    \
	NEXT;
	VM_JCC_ROWS(FUSED_JCC)
	/* a conditional jump whose fall-through is a ja: both ways at once */
#define FUSED_JCC_JA(id, e)                                                  \
	CASE(JA_##id##_K) {                                                  \
		uint64_t a = D, b = IMM;                                     \
		ip += (e) ? ip->jmp : 1 + ip[1].jmp;                         \
	}                                                                    \
	NEXT;                                                                \
	CASE(JA_##id##_X) {                                                  \
		uint64_t a = D, b = S;                                       \
		ip += (e) ? ip->jmp : 1 + ip[1].jmp;                         \
	}                                                                    \
	NEXT;
	VM_JCC_ROWS(FUSED_JCC_JA)
	CASE(LSH_RSH) D = t = (D << (IMM & 63)) >> (ip[1].imm & 63);
	ip += 2;
	NEXT;
	CASE(LSH_ARSH)
	D = t = vm_asr64(D << (IMM & 63), (unsigned)(ip[1].imm & 63));
	ip += 2;
	NEXT;
	/* base + index, kept in d, then a load or store at d + off */
#define FUSED_IDX_LD(id, fn)                                                 \
	CASE(IDX_##id) {                                                   \
		uint64_t a = S + reg[ip[1].src];                             \
		D = a;                                                       \
		reg[ip[2].dst] = t = fn(a + (uint64_t)(int64_t)ip[2].off);   \
	}                                                                    \
	ip += 3;                                                             \
	NEXT;
#define FUSED_IDX_ST(id, fn)                                                 \
	CASE(IDX_##id) {                                                   \
		uint64_t a = S + reg[ip[1].src];                             \
		D = a;                                                       \
		fn(a + (uint64_t)(int64_t)ip[2].off, reg[ip[2].src]);        \
	}                                                                    \
	ip += 3;                                                             \
	NEXT;
	FUSED_IDX_LD(LDXB, vm_ld8)
	FUSED_IDX_LD(LDXH, vm_ld16)
	FUSED_IDX_LD(LDXW, vm_ld32)
	FUSED_IDX_LD(LDXDW, vm_ld64)
	FUSED_IDX_ST(STXB, vm_st8)
	FUSED_IDX_ST(STXH, vm_st16)
	FUSED_IDX_ST(STXW, vm_st32)
	FUSED_IDX_ST(STXDW, vm_st64)
	CASE(MOVX_MOVX) D = S;
	reg[ip[1].dst] = t = reg[ip[1].src];
	ip += 2;
	NEXT;
#endif

	/* ---- never reached in a loaded program ------------------------- */
	CASE(END) FAULT(VM_F_END, -EFAULT, 0, 0);
	ALSO(INVALID)
	ALSO(SLOT2)
	CASE(CALL_KFUNC) FAULT(VM_F_INTERNAL, -EFAULT, 0, 0);

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
#undef ALSO
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
#undef LDXS
#undef STORE
#undef STS
#undef STXS
#undef ALU64_AS
#undef ALU32_AS
#undef JCC_AS
#undef ATOMIC
#undef A_ADD
#undef A_OR
#undef A_AND
#undef A_XOR
#undef A_XCHG
#undef CMPXCHG
#undef JCC
#undef FUSED_MOVX64
#undef FUSED_MOVX32
#undef FUSED_JCC
#undef FUSED_JCC_JA
#undef FUSED_IDX_LD
#undef FUSED_IDX_ST
}

#if VM_GOTO
#pragma GCC diagnostic pop
#endif
