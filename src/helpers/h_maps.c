/* h_maps.c — helpers that work on maps: element access, queues and
 * stacks, per-CPU lookups, tail calls through prog arrays, ring buffers,
 * spin locks, and bpf_loop (which calls back into the program).
 *
 * Invariants: a map pointer is used only after bpftk_henv_map found it;
 * every pointer returned to the program is recorded with bpftk_henv_hand so
 * that checked runs may use it; results and errors are those of the
 * program-side map API, which follows the kernel.
 */
#include <errno.h>

#include "helpers_int.h"

#define ENV_OR_FAIL(env)                                                     \
	struct bpftk_helper_env *env = bpftk_henv(call);                     \
	if (!env)                                                            \
		return 0

static int is_map_of_maps(uint32_t type)
{
	return type == BPFTK_MAP_TYPE_ARRAY_OF_MAPS ||
	       type == BPFTK_MAP_TYPE_HASH_OF_MAPS;
}

/* What a lookup hands out: an inner map becomes a known map, a value
 * becomes memory the program may use. */
static uint64_t hand_value(struct bpftk_helper_env *env,
			   struct bpftk_vm_call *call, const struct env_map *m,
			   void *v)
{
	if (!v)
		return 0;
	if (is_map_of_maps(m->type)) {
		if (bpftk_henv_add_known(env, v)) {
			bpftk_vm_call_fail(call, -ENOMEM, "out of memory");
			return 0;
		}
	} else if (bpftk_henv_hand(env, v, m->value_size,
				   !(m->flags & BPFTK_F_RDONLY_PROG) &&
					   m->type != BPFTK_MAP_TYPE_XSKMAP)) {
		bpftk_vm_call_fail(call, -ENOMEM, "out of memory");
		return 0;
	}
	return (uint64_t)(uintptr_t)v;
}

uint64_t bpftk_h_map_lookup_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = bpftk_henv_map(env, call, r1, 1);
	if (!m)
		return 0;
	const void *key = bpftk_henv_mem(call, r2, m->key_size, 0, 2);
	if (!key && m->key_size)
		return 0;
	return hand_value(env, call, m,
			  bpftk_map_prog_lookup(m->map, key, env->cpu));
}

uint64_t bpftk_h_map_lookup_percpu_elem(uint64_t r1, uint64_t r2,
					uint64_t r3, uint64_t r4, uint64_t r5,
					struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = bpftk_henv_map(env, call, r1, 1);
	if (!m)
		return 0;
	const void *key = bpftk_henv_mem(call, r2, m->key_size, 0, 2);
	if (!key && m->key_size)
		return 0;
	if (r3 > UINT32_MAX)
		return 0;
	return hand_value(env, call, m,
			  bpftk_map_prog_lookup_percpu(m->map, key,
						       (unsigned)r3));
}

uint64_t bpftk_h_map_update_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = bpftk_henv_map(env, call, r1, 1);
	if (!m)
		return 0;
	const void *key = bpftk_henv_mem(call, r2, m->key_size, 0, 2);
	if (!key && m->key_size)
		return 0;
	const void *val = bpftk_henv_mem(call, r3, m->value_size, 0, 3);
	if (!val && m->value_size)
		return 0;
	return (uint64_t)(int64_t)bpftk_map_prog_update(m->map, key, val, r4,
							 env->cpu);
}

uint64_t bpftk_h_map_delete_elem(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = bpftk_henv_map(env, call, r1, 1);
	if (!m)
		return 0;
	const void *key = bpftk_henv_mem(call, r2, m->key_size, 0, 2);
	if (!key && m->key_size)
		return 0;
	return (uint64_t)(int64_t)bpftk_map_prog_delete(m->map, key);
}

uint64_t bpftk_h_map_push_elem(uint64_t r1, uint64_t r2, uint64_t r3,
			       uint64_t r4, uint64_t r5,
			       struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = bpftk_henv_map(env, call, r1, 1);
	if (!m)
		return 0;
	const void *val = bpftk_henv_mem(call, r2, m->value_size, 0, 2);
	if (!val && m->value_size)
		return 0;
	return (uint64_t)(int64_t)bpftk_map_prog_push(m->map, val, r3);
}

static uint64_t pop_or_peek(uint64_t r1, uint64_t r2,
			    struct bpftk_vm_call *call, int pop)
{
	ENV_OR_FAIL(env);
	const struct env_map *m = bpftk_henv_map(env, call, r1, 1);
	if (!m)
		return 0;
	void *val = bpftk_henv_mem(call, r2, m->value_size, 1, 2);
	if (!val && m->value_size)
		return 0;
	int err = pop ? bpftk_map_prog_pop(m->map, val)
		      : bpftk_map_prog_peek(m->map, val);
	return (uint64_t)(int64_t)err;
}

uint64_t bpftk_h_map_pop_elem(uint64_t r1, uint64_t r2, uint64_t r3,
			      uint64_t r4, uint64_t r5,
			      struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	return pop_or_peek(r1, r2, call, 1);
}

uint64_t bpftk_h_map_peek_elem(uint64_t r1, uint64_t r2, uint64_t r3,
			       uint64_t r4, uint64_t r5,
			       struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	return pop_or_peek(r1, r2, call, 0);
}

/* bpf_tail_call(ctx, prog_array, index): on success the calling function
 * ends here.  In the main function the program ends and the runner starts
 * the target with the same context; inside a subprogram the target runs
 * now (the env's tail runner) and its r0 returns to the subprogram's
 * caller, as in Linux.  On failure (empty slot, index out of range, 33
 * tail calls already made) the program goes on, as in the kernel. */
uint64_t bpftk_h_tail_call(uint64_t r1, uint64_t r2, uint64_t r3,
			   uint64_t r4, uint64_t r5,
			   struct bpftk_vm_call *call)
{
	(void)r1, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = bpftk_henv_map(env, call, r2, 2);
	if (!m)
		return 0;
	if (m->type != BPFTK_MAP_TYPE_PROG_ARRAY) {
		bpftk_vm_call_fail(call, -EINVAL,
				   "r2: bpf_tail_call needs a prog array");
		return 0;
	}
	if (r3 > UINT32_MAX || env->tail_count >= BPFTK_MAX_TAIL_CALLS)
		return (uint64_t)(int64_t)-ENOENT;
	void *target = bpftk_map_tail_call_target(m->map, (uint32_t)r3);
	if (!target)
		return (uint64_t)(int64_t)-ENOENT;
	env->tail_count++;
	if (bpftk_vm_call_depth(call) > 0 && env->tail_run) {
		uint64_t r0 = 0;
		int err = env->tail_run(env->tail_run_arg, target, &r0);
		if (err) {
			bpftk_vm_call_fail(call, err,
					   "the target of this tail call "
					   "(inside a subprogram) faulted");
			return 0;
		}
		bpftk_vm_call_return(call, r0);
		return 0;
	}
	env->tail = target;
	bpftk_vm_call_exit(call, 0);
	return 0;
}

static const struct env_map *ringbuf_arg(struct bpftk_helper_env *env,
					 struct bpftk_vm_call *call,
					 uint64_t ptr)
{
	const struct env_map *m = bpftk_henv_map(env, call, ptr, 1);
	if (m && m->type != BPFTK_MAP_TYPE_RINGBUF) {
		bpftk_vm_call_fail(call, -EINVAL, "r1: not a ring buffer map");
		return NULL;
	}
	return m;
}

uint64_t bpftk_h_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct bpftk_vm_call *call)
{
	(void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = ringbuf_arg(env, call, r1);
	if (!m)
		return 0;
	const void *data = bpftk_henv_mem(call, r2, r3, 0, 2);
	if (!data && r3)
		return 0;
	return (uint64_t)(int64_t)bpftk_ringbuf_output(m->map, data, r3, r4);
}

uint64_t bpftk_h_ringbuf_reserve(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r4, (void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = ringbuf_arg(env, call, r1);
	if (!m)
		return 0;
	void *p = bpftk_ringbuf_reserve(m->map, r2, r3);
	if (p && bpftk_henv_hand(env, p, r2 ? r2 : 1, 1)) {
		bpftk_ringbuf_discard(p, 0);
		bpftk_vm_call_fail(call, -ENOMEM, "out of memory");
		return 0;
	}
	return (uint64_t)(uintptr_t)p;
}

/* A sample pointer must be one reserve handed out and not yet released:
 * the kernel's verifier tracks that reference; here the list does. */
static void *sample_arg(struct bpftk_helper_env *env,
			struct bpftk_vm_call *call, uint64_t p)
{
	const struct env_mem *h = env->handed.v;
	for (size_t i = 0; i < env->handed.n; i++)
		if (h[i].addr == p) {
			void *s = (void *)(uintptr_t)p;
			bpftk_henv_unhand(env, s);
			return s;
		}
	bpftk_vm_call_fail(call, -EINVAL,
			   "r1 = 0x%llx is not a reserved ring buffer sample",
			   (unsigned long long)p);
	return NULL;
}

uint64_t bpftk_h_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3,
				uint64_t r4, uint64_t r5,
				struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	void *s = sample_arg(env, call, r1);
	if (s)
		bpftk_ringbuf_submit(s, r2);
	return 0;
}

uint64_t bpftk_h_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3,
				 uint64_t r4, uint64_t r5,
				 struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	void *s = sample_arg(env, call, r1);
	if (s)
		bpftk_ringbuf_discard(s, r2);
	return 0;
}

uint64_t bpftk_h_ringbuf_query(uint64_t r1, uint64_t r2, uint64_t r3,
			       uint64_t r4, uint64_t r5,
			       struct bpftk_vm_call *call)
{
	(void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	const struct env_map *m = ringbuf_arg(env, call, r1);
	return m ? bpftk_ringbuf_query(m->map, r2) : 0;
}

static void *lock_arg(struct bpftk_helper_env *env, struct bpftk_vm_call *call,
		      uint64_t p)
{
	/* a lock lives in a map value the program got from a lookup */
	if ((p & 3) || !bpftk_helper_env_mem_check(env, p, 4, 1)) {
		bpftk_vm_call_fail(call, -EINVAL,
				   "r1 = 0x%llx is not a bpf_spin_lock in a "
				   "map value",
				   (unsigned long long)p);
		return NULL;
	}
	return (void *)(uintptr_t)p;
}

uint64_t bpftk_h_spin_lock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
			   uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	void *l = lock_arg(env, call, r1);
	if (l)
		bpftk_map_spin_lock(l);
	return 0;
}

uint64_t bpftk_h_spin_unlock(uint64_t r1, uint64_t r2, uint64_t r3,
			     uint64_t r4, uint64_t r5,
			     struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	ENV_OR_FAIL(env);
	void *l = lock_arg(env, call, r1);
	if (l)
		bpftk_map_spin_unlock(l);
	return 0;
}

#define LOOP_MAX (1u << 23) /* BPF_MAX_LOOPS */

/* bpf_loop(nr_loops, callback, ctx, flags): calls callback(i, ctx) until it
 * returns nonzero; returns the number of calls made.  nr_loops is a u32 in
 * the kernel's signature: only the low half of r1 counts. */
uint64_t bpftk_h_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
		      uint64_t r5, struct bpftk_vm_call *call)
{
	(void)r5;
	if (r4)
		return (uint64_t)(int64_t)-EINVAL;
	uint32_t nr = (uint32_t)r1;
	if (nr > LOOP_MAX)
		return (uint64_t)(int64_t)-E2BIG;
	if ((r2 & 0xff00000000000000ULL) != BPFTK_HELPER_FUNC_TAG) {
		bpftk_vm_call_fail(call, -EINVAL,
				   "r2 = 0x%llx is not a callback (load it "
				   "with a function relocation)",
				   (unsigned long long)r2);
		return 0;
	}
	uint64_t pc = r2 & ~0xff00000000000000ULL;
	uint64_t i;
	for (i = 0; i < nr; i++) {
		uint64_t args[5] = {i, r3, 0, 0, 0}, ret = 0;
		int err = bpftk_vm_call_sub(call, pc, args, &ret);
		if (err) {
			bpftk_vm_call_fail(call, err, NULL);
			return 0;
		}
		if (ret)
			return i + 1;
	}
	return i;
}
