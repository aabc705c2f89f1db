/* eval.c — what a policy means for one call, read straight off the rules:
 * the reference the compiled filter is tested against.  Deliberately the
 * plainest code possible (64-bit arithmetic, linear scan, no shared logic
 * with compile.c).
 */
#include "seccomp_int.h"

static int cond_holds(const struct sc_cond *c, uint64_t arg, int is32)
{
	uint64_t v = arg & c->mask, k = c->val;
	if (is32) {
		v &= 0xffffffffu;
		k &= 0xffffffffu;
	}
	switch ((enum sc_op)c->op) {
	case SC_EQ: return v == k;
	case SC_NE: return v != k;
	case SC_LT: return v < k;
	case SC_LE: return v <= k;
	case SC_GT: return v > k;
	case SC_GE: return v >= k;
	}
	return 0;
}

uint32_t bpftk_seccomp_eval(const struct bpftk_seccomp_policy *p,
			    const struct bpftk_seccomp_data *sd)
{
	int arch = -1;
	for (int a = 0; a < BPFTK_SECCOMP_NARCH; a++)
		if ((p->arches >> a & 1) &&
		    sd->arch == bpftk_seccomp_arch_audit(
					(enum bpftk_seccomp_arch)a))
			arch = a;
	if (arch < 0)
		return p->badarch_action;
	if (arch == BPFTK_SECCOMP_X86_64 && sd->nr != -1 &&
	    (uint32_t)sd->nr >= BPFTK_X32_SYSCALL_BIT)
		return p->badarch_action; /* x32, or negative */
	int is32 = sc_arch_is32((enum bpftk_seccomp_arch)arch);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct sc_rule *r = &p->rules[i];
		int ok = r->nr[arch] >= 0 && r->nr[arch] == sd->nr;
		for (size_t j = 0; ok && j < r->ncond; j++) {
			const struct sc_cond *c = &p->conds[r->cond0 + j];
			ok = cond_holds(c, sd->args[c->arg], is32);
		}
		if (ok)
			return r->action;
	}
	return p->default_action;
}
