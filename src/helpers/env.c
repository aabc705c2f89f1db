/* env.c — the environment helpers run in: maps the program may name,
 * memory it may touch, task identity, clock, randomness, printk sink, and
 * what the program asked of its runner (tail call, redirect).
 *
 * Invariants: maps[0..nbound) and mem are set up before runs and stay;
 * maps[nbound..] (inner maps found by lookups) and handed (map values and
 * samples given to the program) are dropped by reset_run.  mem_check only
 * answers for memory whose lifetime the env can vouch for.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers_int.h"

static void *vec_push(struct env_vec *v, size_t elem)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *p = bpftk_realloc(v->v, cap * elem);
		if (!p)
			return NULL;
		v->v = p;
		v->cap = cap;
	}
	return (char *)v->v + elem * v->n++;
}

static void read_comm(char *comm)
{
	memset(comm, 0, BPFTK_COMM_LEN);
	FILE *f = fopen("/proc/self/comm", "r");
	if (!f)
		return;
	if (fgets(comm, BPFTK_COMM_LEN, f)) {
		char *nl = strchr(comm, '\n');
		if (nl)
			*nl = '\0';
	}
	fclose(f);
}

int bpftk_helper_env_new(struct bpftk_helper_env **out)
{
	if (!out)
		return -EINVAL;
	struct bpftk_helper_env *env = bpftk_calloc(1, sizeof(*env));
	*out = env;
	if (!env)
		return -ENOMEM;
	/* like the kernel's task: tgid is the process, pid the thread; a
	 * single-threaded host gives the same number twice */
	env->pid = env->tgid = (uint32_t)getpid();
	env->uid = (uint32_t)getuid();
	env->gid = (uint32_t)getgid();
	read_comm(env->comm);
	env->rnd = 0x853c49e6748fea9bULL ^ (uint64_t)(uintptr_t)env;
	return 0;
}

void bpftk_helper_env_free(struct bpftk_helper_env *env)
{
	if (!env)
		return;
	bpftk_free(env->maps.v);
	bpftk_free(env->mem.v);
	bpftk_free(env->handed.v);
	bpftk_free(env->hidx);
	bpftk_free(env->probe.v);
	bpftk_free(env);
}

int bpftk_henv_add_known(struct bpftk_helper_env *env, struct bpftk_map *m)
{
	struct bpftk_map_info info;
	memset(&info, 0, sizeof(info));
	info.sz = sizeof(info);
	if (bpftk_map_get_info(m, &info))
		return -EINVAL;
	struct env_map *e = vec_push(&env->maps, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->map = m;
	e->type = info.type;
	e->key_size = info.key_size;
	e->value_size = info.value_size;
	e->flags = info.map_flags;
	return 0;
}

int bpftk_helper_env_add_map(struct bpftk_helper_env *env,
			     struct bpftk_map *map)
{
	if (!env || !map || env->maps.n != env->nbound)
		return -EINVAL;
	int err = bpftk_henv_add_known(env, map);
	if (!err)
		env->nbound++;
	return err;
}

static int add_mem(struct env_vec *v, const void *ptr, size_t len,
		   int writable)
{
	if (!ptr || !len)
		return -EINVAL;
	struct env_mem *m = vec_push(v, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->addr = (uint64_t)(uintptr_t)ptr;
	m->len = len;
	m->writable = writable != 0;
	return 0;
}

int bpftk_helper_env_add_mem(struct bpftk_helper_env *env, void *ptr,
			     size_t len, int writable)
{
	return env ? add_mem(&env->mem, ptr, len, writable) : -EINVAL;
}

int bpftk_helper_env_add_probe_mem(struct bpftk_helper_env *env,
				   const void *ptr, size_t len)
{
	return env ? add_mem(&env->probe, ptr, len, 0) : -EINVAL;
}

void bpftk_helper_env_set_task(struct bpftk_helper_env *env, uint32_t pid,
			       uint32_t tgid, uint32_t uid, uint32_t gid,
			       const char *comm)
{
	if (!env)
		return;
	env->pid = pid;
	env->tgid = tgid;
	env->uid = uid;
	env->gid = gid;
	memset(env->comm, 0, sizeof(env->comm));
	if (comm)
		strncpy(env->comm, comm, sizeof(env->comm) - 1);
}

void bpftk_helper_env_set_cpu(struct bpftk_helper_env *env, unsigned cpu)
{
	if (env)
		env->cpu = cpu;
}

unsigned bpftk_helper_env_cpu(const struct bpftk_helper_env *env)
{
	return env ? env->cpu : 0;
}

void bpftk_helper_env_set_trace(struct bpftk_helper_env *env,
				bpftk_trace_fn fn, void *arg)
{
	if (env) {
		env->trace = fn;
		env->trace_arg = arg;
	}
}

void bpftk_helper_env_set_clock(struct bpftk_helper_env *env,
				bpftk_clock_fn fn, void *arg)
{
	if (env) {
		env->clock = fn;
		env->clock_arg = arg;
	}
}

void bpftk_helper_env_seed(struct bpftk_helper_env *env, uint64_t seed)
{
	if (env)
		env->rnd = seed ? seed : 1;
}

void bpftk_helper_env_set_ctx(struct bpftk_helper_env *env,
			      struct bpftk_ctx *ctx)
{
	if (env)
		env->ctx = ctx;
}

void bpftk_helper_env_set_user(struct bpftk_helper_env *env, void *user)
{
	if (env)
		env->user = user;
}

void *bpftk_helper_env_user(const struct bpftk_helper_env *env)
{
	return env ? env->user : NULL;
}

struct bpftk_helper_env *bpftk_helper_env_of(const struct bpftk_vm_call *call)
{
	return bpftk_vm_call_ctx(call);
}

static void hidx_clear(struct bpftk_helper_env *env);

void bpftk_helper_env_reset_run(struct bpftk_helper_env *env)
{
	if (!env)
		return;
	env->maps.n = env->nbound;
	hidx_clear(env);
	env->handed.n = 0;
	env->tail = NULL;
	env->tail_count = 0;
	env->redirect_kind = 0;
	memset(&env->redirect, 0, sizeof(env->redirect));
	env->oom = 0;
}

void *bpftk_helper_env_take_tail(struct bpftk_helper_env *env)
{
	if (!env)
		return NULL;
	void *t = env->tail;
	env->tail = NULL;
	return t;
}

unsigned bpftk_helper_env_tail_count(const struct bpftk_helper_env *env)
{
	return env ? env->tail_count : 0;
}

void bpftk_helper_env_set_tail_runner(struct bpftk_helper_env *env,
				      bpftk_tail_run_fn fn, void *arg)
{
	if (!env)
		return;
	env->tail_run = fn;
	env->tail_run_arg = arg;
}

int bpftk_helper_env_redirect(const struct bpftk_helper_env *env,
			      struct bpftk_redirect *r)
{
	if (!env)
		return 0;
	if (r)
		*r = env->redirect;
	return env->redirect_kind;
}

static int within(uint64_t addr, uint64_t size, uint64_t base, uint64_t len)
{
	return addr >= base && size <= len && addr - base <= len - size;
}

static int in_list(const struct env_vec *v, uint64_t addr, uint64_t size,
		   int write)
{
	const struct env_mem *m = v->v;
	for (size_t i = v->n; i-- > 0;)
		if (within(addr, size, m[i].addr, m[i].len) &&
		    (!write || m[i].writable))
			return 1;
	return 0;
}

int bpftk_helper_env_mem_check(void *arg, uint64_t addr, uint64_t size,
			       int write)
{
	const struct bpftk_helper_env *env = arg;
	if (!env || !size)
		return 0;
	const struct bpftk_ctx *c = env->ctx;
	if (c) {
		/* the packet between its current bounds (metadata included),
		 * and the context struct itself (accesses were rewritten and
		 * checked against the descriptor at load) */
		if (c->data_end >= c->data_meta &&
		    within(addr, size, c->data_meta, c->data_end - c->data_meta))
			return 1;
		if (within(addr, size, (uint64_t)(uintptr_t)c, sizeof(*c)))
			return 1;
	}
	return in_list(&env->handed, addr, size, write) ||
	       in_list(&env->mem, addr, size, write);
}

static size_t hidx_slot(const struct bpftk_helper_env *env, uint64_t a)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 32) & (env->hidx_cap - 1);
}

/* Index of the handed region starting at a, or SIZE_MAX. */
static size_t hidx_find(const struct bpftk_helper_env *env, uint64_t a)
{
	const struct env_mem *m = env->handed.v;
	if (!env->hidx_cap)
		return SIZE_MAX;
	for (size_t s = hidx_slot(env, a);; s = (s + 1) & (env->hidx_cap - 1)) {
		uint32_t i = env->hidx[s];
		if (!i)
			return SIZE_MAX;
		if (m[i - 1].addr == a)
			return i - 1;
	}
}

static void hidx_put(struct bpftk_helper_env *env, size_t i)
{
	const struct env_mem *m = env->handed.v;
	size_t s = hidx_slot(env, m[i].addr);
	while (env->hidx[s])
		s = (s + 1) & (env->hidx_cap - 1);
	env->hidx[s] = (uint32_t)(i + 1);
}

/* Empties the index: slot by slot when few are used (a run that looked
 * up a handful of elements should not pay for a big table). */
static void hidx_clear(struct bpftk_helper_env *env)
{
	const struct env_mem *m = env->handed.v;
	if (!env->hidx_cap || !env->handed.n)
		return;
	if (env->handed.n * 8 >= env->hidx_cap) {
		memset(env->hidx, 0, env->hidx_cap * sizeof(*env->hidx));
		return;
	}
	/* newest first: the slots an entry's probe passes over belong to
	 * older entries (index order is insertion order, rebuilds keep it),
	 * so its chain is still whole when it is removed */
	for (size_t i = env->handed.n; i-- > 0;)
		for (size_t s = hidx_slot(env, m[i].addr); env->hidx[s];
		     s = (s + 1) & (env->hidx_cap - 1))
			if (env->hidx[s] == i + 1) {
				env->hidx[s] = 0;
				break;
			}
}

/* Rebuilds the index for the current list with room for one more;
 * -ENOMEM leaves no index (lookups then fall back to the list). */
static int hidx_rebuild(struct bpftk_helper_env *env)
{
	size_t cap = env->hidx_cap ? env->hidx_cap : 64;
	while (cap < 2 * (env->handed.n + 1))
		cap *= 2;
	if (cap != env->hidx_cap) {
		uint32_t *t = bpftk_calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		bpftk_free(env->hidx);
		env->hidx = t;
		env->hidx_cap = cap;
	} else {
		memset(env->hidx, 0, cap * sizeof(*env->hidx));
	}
	for (size_t i = 0; i < env->handed.n; i++)
		hidx_put(env, i);
	return 0;
}

int bpftk_henv_hand(struct bpftk_helper_env *env, void *p, uint64_t len,
		    int writable)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	struct env_mem *m = env->handed.v;
	/* a loop looking up the same element must not grow the list */
	size_t i = hidx_find(env, a);
	if (i != SIZE_MAX && m[i].len == len) {
		m[i].writable = writable;
		return 0;
	}
	if (add_mem(&env->handed, p, len, writable)) {
		env->oom = 1;
		return -ENOMEM;
	}
	if (2 * env->handed.n > env->hidx_cap) {
		if (hidx_rebuild(env)) {
			env->oom = 1;
			return -ENOMEM;
		}
	} else {
		hidx_put(env, env->handed.n - 1);
	}
	return 0;
}

void bpftk_henv_unhand(struct bpftk_helper_env *env, void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	struct env_mem *m = env->handed.v;
	for (size_t i = 0; i < env->handed.n; i++)
		if (m[i].addr == a) {
			m[i] = m[--env->handed.n];
			/* rare (ring buffer samples): rebuild what moved */
			if (env->hidx_cap)
				hidx_rebuild(env);
			return;
		}
}

int bpftk_henv_probe_ok(const struct bpftk_helper_env *env, uint64_t addr,
			uint64_t len)
{
	return len == 0 || in_list(&env->probe, addr, len, 0);
}

struct bpftk_helper_env *bpftk_henv(struct bpftk_vm_call *call)
{
	struct bpftk_helper_env *env = bpftk_vm_call_ctx(call);
	if (!env)
		bpftk_vm_call_fail(call, -EINVAL,
				   "the run has no helper environment");
	return env;
}

struct bpftk_ctx *bpftk_henv_ctx(struct bpftk_vm_call *call, uint64_t r1,
				 uint64_t types, const char *what)
{
	struct bpftk_helper_env *env = bpftk_henv(call);
	if (!env)
		return NULL;
	const struct bpftk_ctx *c = env->ctx;
	if (!c || (uint64_t)(uintptr_t)c != r1 ||
	    (types && ((unsigned)c->type >= 64 ||
		       !(types & BPFTK_PT_BIT(c->type))))) {
		bpftk_vm_call_fail(call, -EINVAL,
				   "r1 = 0x%llx is not the program's %s",
				   (unsigned long long)r1, what);
		return NULL;
	}
	return env->ctx;
}

const struct env_map *bpftk_henv_map(struct bpftk_helper_env *env,
				     struct bpftk_vm_call *call, uint64_t ptr,
				     int arg)
{
	const struct env_map *m = env->maps.v;
	for (size_t i = 0; i < env->maps.n; i++)
		if ((uint64_t)(uintptr_t)m[i].map == ptr)
			return &m[i];
	bpftk_vm_call_fail(call, -EINVAL,
			   "r%d = 0x%llx is not a map pointer (load maps with "
			   "a map relocation)",
			   arg, (unsigned long long)ptr);
	return NULL;
}

void *bpftk_henv_mem(struct bpftk_vm_call *call, uint64_t addr, uint64_t len,
		     int write, int arg)
{
	if (len == 0)
		return (void *)(uintptr_t)addr;
	void *p = bpftk_vm_call_mem(call, addr, (size_t)len, write);
	if (!p)
		bpftk_vm_call_fail(call, -EFAULT,
				   "r%d: the program may not %s %llu bytes at "
				   "0x%llx",
				   arg, write ? "write" : "read",
				   (unsigned long long)len,
				   (unsigned long long)addr);
	return p;
}
