/* test_run.c — BPF_PROG_TEST_RUN in userspace (run.h): an object's maps
 * created and initialised, its programs bound and loaded, and runs on a
 * packet or context with the kernel's test-run conventions.
 *
 * The pipeline of bpftk_run_new reads in order: maps, then programs
 * (verify, bind relocations, rewrite context accesses, load into a vm with
 * the type's helpers), then the slots of prog arrays and maps of maps,
 * then the helper environment.  One cleanup path frees whatever was built.
 *
 * Invariants: a program runs in an unchecked engine (FAST, JIT) only when
 * bpftk_verify accepted it in this run, as the object gave it (unbound,
 * unrewritten, with the object's maps and the embedder's helpers), for
 * the type it is loaded as, and the JIT gets that verification's facts; a
 * vm has exactly the helpers (bpftk's and the embedder's) the verifier
 * allowed its type;
 * every program pointer stored in a prog array is a struct rprog of this
 * run with a loaded vm; the environment knows every map of
 * the set and the global-data values; packet buffers live in the run and
 * are rebuilt by each bpftk_run_test.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <bpftk/run.h>
#include <bpftk/verifier.h>

#include "../util/util_int.h"

#define ETH_HLEN 14
#define XDP_FRAME 4096	  /* PAGE_SIZE */
#define XDP_HEADROOM 256  /* XDP_PACKET_HEADROOM */
#define XDP_TAILROOM 320  /* SKB_DATA_ALIGN(sizeof(skb_shared_info)) */
#define XDP_FRAME_HDR 40  /* sizeof(struct xdp_frame) */
#define SKB_HEADROOM 64	  /* NET_SKB_PAD */

struct rprog {
	const struct bpftk_object_prog *p;
	enum bpftk_prog_type type; /* as loaded (and verified) */
	const struct bpftk_progtype *pt;
	struct bpftk_vm *vm;
	uint32_t id;
};

struct bpftk_run {
	const struct bpftk_object *obj;
	struct bpftk_run_opts o;
	struct bpftk_map_set *set;
	struct bpftk_map **maps; /* by object map index */
	struct bpftk_map **inner; /* templates, same index */
	size_t nmaps;
	struct rprog *progs;
	size_t nprogs;
	struct rprog *main;
	struct bpftk_helper_env *env;
	struct bpftk_ctx ctx;
	uint8_t *buf;
	size_t buf_len;
	/* the run in progress, for tail calls made inside subprograms */
	struct bpftk_vm_run_opts *cur_vo;
	struct bpftk_diags *cur_d;
};

/* Runs prog and the chain of its tail calls with the run's context: the
 * whole run (run_once), and a tail call inside a subprogram (helpers.h),
 * whose target's r0 goes back to the subprogram's caller. */
static int run_tail(void *arg, void *prog, uint64_t *r0)
{
	struct bpftk_run *r = arg;
	const struct rprog *cur = prog;
	for (;;) {
		int err = bpftk_vm_run(cur->vm, r->cur_vo, r0, r->cur_d);
		if (err)
			return err;
		const struct rprog *next = bpftk_helper_env_take_tail(r->env);
		if (!next)
			return 0;
		cur = next;
	}
}

static void *prog_by_id(void *ctx, uint32_t id)
{
	struct bpftk_run *r = ctx;
	if (!id || id > r->nprogs || !r->progs[id - 1].vm)
		return NULL;
	return &r->progs[id - 1];
}

static uint32_t prog_id(void *ctx, void *prog)
{
	(void)ctx;
	return prog ? ((struct rprog *)prog)->id : 0;
}

static int create_map(struct bpftk_run *r, const struct bpftk_object_map *om,
		      struct bpftk_map *inner, struct bpftk_map_set *set,
		      struct bpftk_map **out, struct bpftk_diags *d)
{
	struct bpftk_map_create_opts c;
	memset(&c, 0, sizeof(c));
	c.sz = sizeof(c);
	c.type = (enum bpftk_map_type)bpftk_object_map_type(om);
	c.key_size = bpftk_object_map_key_size(om);
	c.value_size = bpftk_object_map_value_size(om);
	c.max_entries = bpftk_object_map_max_entries(om);
	c.map_flags = bpftk_object_map_flags(om);
	c.name = bpftk_object_map_name(om);
	c.map_extra = bpftk_object_map_extra(om);
	c.inner_map = inner;
	int64_t lock = bpftk_object_map_spin_lock_off(om);
	c.has_spin_lock = lock >= 0;
	c.spin_lock_off = lock >= 0 ? (uint32_t)lock : 0;
	/* names longer than the kernel's 15 characters are cut like libbpf */
	char name[BPFTK_MAP_NAME_LEN];
	if (c.name && strlen(c.name) >= sizeof(name)) {
		memcpy(name, c.name, sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		c.name = name;
	}
	(void)r;
	int err = bpftk_map_create(set, &c, out, d);
	if (err)
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"%s: cannot create map '%s'",
				bpftk_object_filename(r->obj),
				bpftk_object_map_name(om));
	return err;
}

static int create_maps(struct bpftk_run *r, struct bpftk_diags *d)
{
	size_t n = bpftk_object_map_count(r->obj);
	r->maps = bpftk_calloc(n + 1, sizeof(*r->maps));
	r->inner = bpftk_calloc(n + 1, sizeof(*r->inner));
	if (!r->maps || !r->inner)
		return -ENOMEM;
	r->nmaps = n;
	for (size_t i = 0; i < n; i++) {
		const struct bpftk_object_map *om = bpftk_object_map_at(r->obj, i);
		const struct bpftk_object_map *im = bpftk_object_map_inner(om);
		struct bpftk_map *inner = NULL;
		int err;
		if (im && bpftk_object_map_index(im) >= 0 &&
		    (size_t)bpftk_object_map_index(im) < i) {
			inner = r->maps[bpftk_object_map_index(im)];
		} else if (im) {
			err = create_map(r, im, NULL, NULL, &r->inner[i], d);
			if (err)
				return err;
			inner = r->inner[i];
		}
		err = create_map(r, om, inner, r->set, &r->maps[i], d);
		if (err)
			return err;
		size_t len = 0;
		const void *init = bpftk_object_map_initial_data(om, &len);
		if (init && len) {
			uint32_t zero = 0;
			/* the program side writes even read-only data maps */
			void *v = bpftk_map_prog_lookup(r->maps[i], &zero, 0);
			if (!v)
				return -EINVAL;
			memcpy(v, init, len);
		}
	}
	return 0;
}

/* Map slots of maps of maps; program slots need the programs first. */
static int fill_slots(struct bpftk_run *r, int progs, struct bpftk_diags *d)
{
	for (size_t i = 0; i < r->nmaps; i++) {
		const struct bpftk_object_map *om = bpftk_object_map_at(r->obj, i);
		size_t ns = bpftk_object_map_slot_count(om);
		for (size_t k = 0; k < ns; k++) {
			struct bpftk_object_slot s;
			if (bpftk_object_map_slot(om, k, &s))
				continue;
			uint32_t key = (uint32_t)k;
			int err = 0;
			if (!progs && s.kind == BPFTK_OBJ_SLOT_MAP &&
			    s.index < r->nmaps)
				err = bpftk_map_inner_update(
					r->maps[i], &key, r->maps[s.index], 0);
			else if (progs && s.kind == BPFTK_OBJ_SLOT_PROG &&
				 s.index < r->nprogs && r->progs[s.index].vm)
				err = bpftk_map_prog_array_update(
					r->maps[i], key, &r->progs[s.index]);
			if (err) {
				bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0,
						NULL, -1,
						"map '%s': cannot fill slot %zu",
						bpftk_object_map_name(om), k);
				return err;
			}
		}
	}
	return 0;
}

static void set_lddw(struct bpftk_insn *in, uint64_t v)
{
	in[0].src = 0;
	in[0].imm = (int32_t)(uint32_t)v;
	in[1].imm = (int32_t)(uint32_t)(v >> 32);
}

/* Relocations the object left as pseudo loads become plain 64-bit
 * constants the helpers and the program understand. */
static int bind(struct bpftk_run *r, struct bpftk_insn *in, size_t n,
		const char *name, struct bpftk_diags *d)
{
	for (size_t pc = 0; pc + 1 < n; pc++) {
		enum bpftk_op op = bpftk_isa_lookup(&in[pc]);
		const struct bpftk_opinfo *info = bpftk_isa_info(op);
		if (!info || info->form != BPFTK_FORM_LDDW)
			continue;
		uint32_t idx = (uint32_t)in[pc].imm;
		if (op == BPFTK_OP_LDDW_MAP_IDX ||
		    op == BPFTK_OP_LDDW_MAP_IDX_VALUE) {
			if (idx >= r->nmaps) {
				bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0,
						name, (long)pc,
						"map index %u out of range",
						idx);
				return -EINVAL;
			}
			uint64_t v = (uint64_t)(uintptr_t)r->maps[idx];
			if (op == BPFTK_OP_LDDW_MAP_IDX_VALUE) {
				uint32_t zero = 0;
				uint8_t *val = bpftk_map_prog_lookup(
					r->maps[idx], &zero, 0);
				if (!val) {
					bpftk_diags_add(
						d, BPFTK_SEV_ERROR, NULL, 0, 0,
						name, (long)pc,
						"map '%s' has no value to "
						"point into",
						bpftk_map_name(r->maps[idx]));
					return -EINVAL;
				}
				v = (uint64_t)(uintptr_t)(val +
							  (uint32_t)in[pc + 1]
								  .imm);
			}
			set_lddw(&in[pc], v);
		} else if (op == BPFTK_OP_LDDW_FUNC) {
			long t = (long)pc + 1 + in[pc].imm;
			set_lddw(&in[pc], BPFTK_HELPER_FUNC_TAG | (uint64_t)t);
		} else if (op != BPFTK_OP_LDDW) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, name,
					(long)pc,
					"'%s' cannot be bound without a kernel",
					info->name);
			return -EINVAL;
		}
		pc++;
	}
	return 0;
}

/* The embedder's descriptor of helper id, or NULL. */
static const struct bpftk_helper *extra_helper(const struct bpftk_run *r,
					       uint32_t id)
{
	for (size_t i = 0; i < r->o.nhelpers; i++)
		if (r->o.helpers[i].id == id)
			return &r->o.helpers[i];
	return NULL;
}

static int extra_allowed(const struct bpftk_helper *h,
			 const struct bpftk_progtype *pt)
{
	return (unsigned)pt->type < 64 &&
	       (h->prog_types & BPFTK_PT_BIT(pt->type)) != 0;
}

/* Helper calls the program's type may not make, named the way the
 * kernel's verifier would ("unknown func bpf_xdp_adjust_head#44"). */
static int check_calls(const struct bpftk_run *r, const struct rprog *rp,
		       const struct bpftk_insn *in, size_t n, const char *name,
		       struct bpftk_diags *d)
{
	int err = 0;
	for (size_t pc = 0; pc < n; pc++) {
		if (bpftk_isa_lookup(&in[pc]) != BPFTK_OP_CALL)
			continue;
		uint32_t id = (uint32_t)in[pc].imm;
		if (bpftk_progtype_helper_allowed(rp->pt, id))
			continue;
		const struct bpftk_helper *h = extra_helper(r, id);
		if (h && extra_allowed(h, rp->pt))
			continue;
		if (!h)
			h = bpftk_helper_get(id);
		if (h)
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, name,
					(long)pc,
					"helper bpf_%s#%u is not available to "
					"%s programs",
					h->name, id, rp->pt->name);
		else
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, name,
					(long)pc,
					"helper #%u is not implemented by bpftk",
					id);
		err = -EINVAL;
	}
	return err;
}

/* The engine of a program: unchecked ones only after the verifier said
 * yes (bpftk_run_new refuses FAST and JIT with BPFTK_RUN_NO_VERIFY). */
static enum bpftk_vm_mode engine(const struct bpftk_run *r)
{
	if (r->o.flags & (BPFTK_RUN_NO_VERIFY | BPFTK_RUN_CHECKED))
		return BPFTK_VM_CHECKED;
	return r->o.mode == BPFTK_VM_CHECKED ? BPFTK_VM_FAST : r->o.mode;
}

/* The verifier sees the program as the kernel would get it from libbpf:
 * before bind() and the context rewrite, with the object's maps.  For the
 * JIT, *facts receives what it proved about each of the n slots (NULL
 * when memory is short: the JIT then does without; bind() and the
 * rewrite keep the slots, and change only loads whose values are
 * pointers, which no fact is about). */
static int verify_prog(const struct bpftk_run *r, const struct rprog *rp,
		       size_t n, struct bpftk_verify_insn_facts **facts,
		       struct bpftk_diags *d)
{
	*facts = NULL;
	if (r->o.flags & BPFTK_RUN_NO_VERIFY)
		return 0;
	struct bpftk_verify_opts vo;
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.type = rp->type;
	vo.expected_attach_type = bpftk_object_prog_attach_type(rp->p);
	vo.name = bpftk_object_prog_name(rp->p);
	vo.raw_mem_size = r->o.raw_mem_size;
	vo.helpers = r->o.helpers;
	vo.nhelpers = r->o.nhelpers;
	struct bpftk_verify_result *res = NULL;
	int err = bpftk_verify_object_prog(r->obj, rp->p, &vo,
					   engine(r) == BPFTK_VM_JIT ? &res
								     : NULL,
					   d);
	if (!err && res && n && (*facts = bpftk_malloc(n * sizeof(**facts))))
		for (size_t pc = 0; pc < n; pc++)
			(*facts)[pc] = bpftk_verify_result_facts(res, pc);
	bpftk_verify_result_free(res);
	return err;
}

/* bpftk's helpers of the program's type, then the embedder's (whose ids
 * are not bpftk's: nothing is replaced). */
static int register_helpers(const struct bpftk_run *r, struct rprog *rp)
{
	int err = bpftk_helper_register_all(rp->vm, rp->pt->type);
	for (size_t i = 0; !err && i < r->o.nhelpers; i++) {
		const struct bpftk_helper *h = &r->o.helpers[i];
		if (extra_allowed(h, rp->pt))
			err = bpftk_vm_register_helper(rp->vm, h->id, h->name,
						       h->fn);
	}
	return err;
}

static int load_prog(struct bpftk_run *r, struct rprog *rp,
		     struct bpftk_diags *d)
{
	const char *name = bpftk_object_prog_name(rp->p);
	size_t n;
	const struct bpftk_insn *src = bpftk_object_prog_insns(rp->p, &n);
	struct bpftk_verify_insn_facts *facts;
	int err = verify_prog(r, rp, n, &facts, d);
	if (err)
		return err;
	struct bpftk_insn *in = bpftk_malloc((n ? n : 1) * sizeof(*in));
	if (!in) {
		bpftk_free(facts);
		return -ENOMEM;
	}
	memcpy(in, src, n * sizeof(*in));
	err = bind(r, in, n, name, d);
	if (!err)
		err = check_calls(r, rp, in, n, name, d);
	if (!err)
		err = bpftk_progtype_rewrite(rp->pt, in, n, name, d);
	struct bpftk_vm_opts vo;
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.mode = engine(r);
	vo.budget = r->o.budget;
	vo.name = name;
	vo.facts = facts;
	vo.nfacts = facts ? n : 0;
	if (!err)
		err = bpftk_vm_new(&vo, &rp->vm);
	if (!err)
		err = register_helpers(r, rp);
	if (!err)
		err = bpftk_vm_load(rp->vm, in, n, d);
	bpftk_free(in);
	bpftk_free(facts);
	if (err) {
		bpftk_vm_free(rp->vm);
		rp->vm = NULL;
	}
	return err;
}

static int load_progs(struct bpftk_run *r, struct bpftk_diags *d)
{
	size_t n = bpftk_object_prog_count(r->obj);
	r->progs = bpftk_calloc(n + 1, sizeof(*r->progs));
	if (!r->progs)
		return -ENOMEM;
	r->nprogs = n;
	if (!n) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"%s: the object has no programs",
				bpftk_object_filename(r->obj));
		return -ENOENT;
	}
	const struct bpftk_object_prog *want =
		r->o.prog_name ? bpftk_object_prog_find(r->obj, r->o.prog_name)
			       : bpftk_object_prog_at(r->obj, 0);
	if (!want) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
				"%s: no program named '%s'",
				bpftk_object_filename(r->obj), r->o.prog_name);
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		struct rprog *rp = &r->progs[i];
		rp->p = bpftk_object_prog_at(r->obj, i);
		rp->id = (uint32_t)i + 1;
		enum bpftk_prog_type t = bpftk_object_prog_type(rp->p);
		if (r->o.type || t == BPFTK_PROG_TYPE_UNSPEC)
			t = r->o.type;
		rp->type = t;
		rp->pt = bpftk_progtype_get(t);
		int err = 0;
		if (!rp->pt) {
			err = -EINVAL;
			if (rp->p == want)
				bpftk_diags_add(
					d, BPFTK_SEV_ERROR, NULL, 0, 0,
					bpftk_object_prog_name(rp->p), -1,
					"program type '%s' cannot run in bpftk",
					bpftk_object_prog_type_name(t)
						? bpftk_object_prog_type_name(t)
						: "?");
		} else {
			/* other programs matter only as tail-call targets:
			 * their problems are reported but do not stop us */
			struct bpftk_diags *pd = rp->p == want ? d : NULL;
			err = load_prog(r, rp, pd);
		}
		if (rp->p == want) {
			if (err)
				return err;
			r->main = rp;
		}
	}
	return 0;
}

static int setup_env(struct bpftk_run *r)
{
	int err = bpftk_helper_env_new(&r->env);
	if (!err)
		bpftk_helper_env_set_tail_runner(r->env, run_tail, r);
	for (size_t i = 0; !err && i < r->nmaps; i++) {
		err = bpftk_helper_env_add_map(r->env, r->maps[i]);
		const struct bpftk_object_map *om = bpftk_object_map_at(r->obj, i);
		size_t len = 0;
		if (!err && bpftk_object_map_initial_data(om, &len) && len) {
			uint32_t zero = 0;
			void *v = bpftk_map_prog_lookup(r->maps[i], &zero, 0);
			int wr = !(bpftk_object_map_flags(om) &
				   BPFTK_F_RDONLY_PROG);
			if (v)
				err = bpftk_helper_env_add_mem(r->env, v, len,
							       wr);
		}
	}
	return err;
}

int bpftk_run_new(const struct bpftk_object *obj,
		  const struct bpftk_run_opts *opts, struct bpftk_run **out,
		  struct bpftk_diags *d)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!obj)
		return -EINVAL;
	struct bpftk_run *r = bpftk_calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->obj = obj;
	r->o.sz = sizeof(r->o);
	int err = opts ? bpftk_opts_copy(&r->o, sizeof(r->o), opts) : 0;
	if (!err && (r->o.flags & ~(unsigned)(BPFTK_RUN_NO_VERIFY |
					       BPFTK_RUN_CHECKED)))
		err = -EINVAL;
	if (!err && (r->o.flags & BPFTK_RUN_NO_VERIFY) &&
	    r->o.mode != BPFTK_VM_CHECKED) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, r->o.prog_name,
				-1,
				"an unverified program runs only in checked "
				"mode (BPFTK_RUN_NO_VERIFY with an unchecked "
				"engine)");
		err = -EINVAL;
	}
	if (!err)
		err = bpftk_verify_check_helpers(r->o.helpers, r->o.nhelpers, d);
	for (size_t i = 0; !err && i < r->o.nhelpers; i++)
		if (!r->o.helpers[i].fn) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, NULL, -1,
					"embedder helper %zu (bpf_%s): no "
					"implementation (fn is NULL)",
					i, r->o.helpers[i].name);
			err = -EINVAL;
		}
	struct bpftk_map_set_opts so;
	memset(&so, 0, sizeof(so));
	so.sz = sizeof(so);
	so.ncpus = r->o.ncpus;
	so.prog_by_id = prog_by_id;
	so.prog_id = prog_id;
	so.prog_ctx = r;
	if (!err)
		err = bpftk_map_set_new(&so, &r->set);
	if (!err)
		err = create_maps(r, d);
	if (!err)
		err = fill_slots(r, 0, d);
	if (!err)
		err = load_progs(r, d);
	/* the descriptors were the caller's for this call only */
	r->o.helpers = NULL;
	r->o.nhelpers = 0;
	if (!err)
		err = fill_slots(r, 1, d);
	if (!err)
		err = setup_env(r);
	if (err) {
		bpftk_run_free(r);
		return err;
	}
	*out = r;
	return 0;
}

void bpftk_run_free(struct bpftk_run *r)
{
	if (!r)
		return;
	bpftk_map_set_free(r->set); /* frees the maps of the set */
	for (size_t i = 0; r->inner && i < r->nmaps; i++)
		bpftk_map_free(r->inner[i]);
	for (size_t i = 0; r->progs && i < r->nprogs; i++)
		bpftk_vm_free(r->progs[i].vm);
	bpftk_helper_env_free(r->env);
	bpftk_free(r->maps);
	bpftk_free(r->inner);
	bpftk_free(r->progs);
	bpftk_free(r->buf);
	bpftk_free(r);
}

const struct bpftk_object_prog *bpftk_run_prog(const struct bpftk_run *r)
{
	return r && r->main ? r->main->p : NULL;
}

const struct bpftk_progtype *bpftk_run_progtype(const struct bpftk_run *r)
{
	return r && r->main ? r->main->pt : NULL;
}

struct bpftk_map_set *bpftk_run_maps(struct bpftk_run *r)
{
	return r ? r->set : NULL;
}

struct bpftk_map *bpftk_run_map(struct bpftk_run *r, const char *name)
{
	if (!r || !name)
		return NULL;
	for (size_t i = 0; i < r->nmaps; i++)
		if (!strcmp(bpftk_object_map_name(bpftk_object_map_at(r->obj, i)),
			    name))
			return r->maps[i];
	return NULL;
}

struct bpftk_helper_env *bpftk_run_env(struct bpftk_run *r)
{
	return r ? r->env : NULL;
}

/* ---- one test run --------------------------------------------------------- */

static int grow_buf(struct bpftk_run *r, size_t len)
{
	if (r->buf_len >= len)
		return 0;
	uint8_t *b = bpftk_realloc(r->buf, len);
	if (!b)
		return -ENOMEM;
	r->buf = b;
	r->buf_len = len;
	return 0;
}

static void put32(struct bpftk_ctx *c, unsigned off, uint32_t v)
{
	memcpy(c->user.bytes + off, &v, 4);
}

static int prepare(struct bpftk_run *r, const struct bpftk_test_run_opts *t,
		   struct bpftk_diags *d)
{
	const struct bpftk_progtype *pt = r->main->pt;
	struct bpftk_ctx *c = &r->ctx;
	memset(c, 0, sizeof(*c));
	c->type = pt->type;
	const char *name = bpftk_object_prog_name(r->main->p);
	/* the verifier took r2 as this constant: any other length could
	 * take a path it never saw */
	if (pt->model == BPFTK_CTX_MODEL_MEM &&
	    !(r->o.flags & BPFTK_RUN_NO_VERIFY) &&
	    t->data_size_in != r->o.raw_mem_size) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, name, -1,
				"memory of %u bytes: the program was verified "
				"for exactly %u",
				t->data_size_in, r->o.raw_mem_size);
		return -EINVAL;
	}
	if (pt->model == BPFTK_CTX_MODEL_MEM || !pt->has_packet) {
		size_t len = t->data_size_in;
		if (grow_buf(r, len ? len : 1))
			return -ENOMEM;
		if (len)
			memcpy(r->buf, t->data_in, len);
		if (pt->model == BPFTK_CTX_MODEL_CTX && t->ctx_in) {
			size_t n = t->ctx_size_in < BPFTK_CTX_USER_MAX
					   ? t->ctx_size_in
					   : BPFTK_CTX_USER_MAX;
			memcpy(c->user.bytes, t->ctx_in, n);
		}
		return 0;
	}
	if (t->data_size_in < ETH_HLEN) {
		bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, name, -1,
				"packet of %u bytes: a test run needs at least "
				"an Ethernet header (14 bytes)",
				t->data_size_in);
		return -EINVAL;
	}
	size_t head, frame;
	if (pt->type == BPFTK_PROG_TYPE_XDP) {
		head = XDP_HEADROOM;
		frame = XDP_FRAME;
		c->min_head = XDP_FRAME_HDR;
		c->tailroom = XDP_TAILROOM;
		if (t->data_size_in > frame - head - c->tailroom) {
			bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0, name,
					-1,
					"packet of %u bytes does not fit an XDP "
					"frame (at most %zu; fragments are not "
					"supported)",
					t->data_size_in,
					frame - head - c->tailroom);
			return -E2BIG;
		}
	} else {
		head = SKB_HEADROOM;
		frame = head + t->data_size_in;
		c->min_head = 0;
		c->tailroom = 0;
	}
	if (grow_buf(r, frame))
		return -ENOMEM;
	memset(r->buf, 0, frame);
	memcpy(r->buf + head, t->data_in, t->data_size_in);
	c->hard_start = r->buf;
	c->frame_sz = frame;
	uint64_t base = (uint64_t)(uintptr_t)r->buf;
	c->data = c->data_meta = base + head;
	c->data_end = c->data + t->data_size_in;
	if (pt->type == BPFTK_PROG_TYPE_XDP) {
		uint32_t meta = 0, ifindex = 1, rxq = 0;
		if (t->ctx_in && t->ctx_size_in >= 24) {
			const uint8_t *m = t->ctx_in;
			uint32_t dstart, dend;
			memcpy(&dstart, m, 4);
			memcpy(&dend, m + 4, 4);
			memcpy(&ifindex, m + 12, 4);
			memcpy(&rxq, m + 16, 4);
			if (dstart > dend || dend != t->data_size_in ||
			    (dstart & 3) || dstart > 32) {
				bpftk_diags_add(d, BPFTK_SEV_ERROR, NULL, 0, 0,
						name, -1,
						"ctx_in: xdp_md.data must be "
						"the metadata length and "
						"data_end the packet length");
				return -EINVAL;
			}
			meta = dstart;
			if (!ifindex)
				ifindex = 1;
		}
		c->data += meta;
		put32(c, 12, ifindex);
		put32(c, 16, rxq);
		return 0;
	}
	/* __sk_buff: what eth_type_trans and the test run set up on the
	 * loopback device (address 00:00:00:00:00:00, ifindex 1) */
	const uint8_t *eth = t->data_in;
	uint32_t pkt_type = 0;
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[6];
	if (eth[0] & 1)
		pkt_type = memcmp(eth, bcast, 6) ? 2 : 1;
	else if (memcmp(eth, zero, 6))
		pkt_type = 3;
	uint16_t proto;
	memcpy(&proto, eth + 12, 2);
	if (t->ctx_in) {
		size_t n = t->ctx_size_in < pt->ctx_size ? t->ctx_size_in
							 : pt->ctx_size;
		/* the fields a test run takes from ctx_in */
		static const struct {
			unsigned off, len;
		} in_fields[] = {{8, 4}, {32, 4}, {48, 20}, {152, 8}};
		for (size_t i = 0; i < sizeof(in_fields) / sizeof(in_fields[0]);
		     i++)
			if (in_fields[i].off + in_fields[i].len <= n)
				memcpy(c->user.bytes + in_fields[i].off,
				       (const uint8_t *)t->ctx_in +
					       in_fields[i].off,
				       in_fields[i].len);
	}
	if (pt->l2_offset)
		c->data += pt->l2_offset;
	c->data_meta = c->data; /* skbs of a test run carry no metadata */
	put32(c, 0, (uint32_t)(c->data_end - c->data));
	put32(c, 4, pkt_type);
	put32(c, 16, proto);
	put32(c, 40, 1);
	put32(c, 160, t->data_size_in);
	put32(c, 164, 1); /* gso_segs of a linear test skb */
	return 0;
}

static int finish(struct bpftk_run *r, struct bpftk_test_run_opts *t)
{
	const struct bpftk_progtype *pt = r->main->pt;
	const struct bpftk_ctx *c = &r->ctx;
	const uint8_t *out = r->buf;
	size_t len = t->data_size_in;
	int err = 0;
	if (pt->has_packet) {
		uint64_t from = c->data_meta - pt->l2_offset;
		out = (const uint8_t *)(uintptr_t)from;
		len = (size_t)(c->data_end - from);
	} else if (pt->model == BPFTK_CTX_MODEL_CTX) {
		len = 0;
	}
	if (t->data_out) {
		size_t cap = t->data_size_out;
		memcpy(t->data_out, out, len < cap ? len : cap);
		if (len > cap)
			err = -ENOSPC;
	}
	t->data_size_out = (uint32_t)len;
	if (pt->model == BPFTK_CTX_MODEL_CTX) {
		uint8_t user[BPFTK_CTX_USER_MAX];
		memcpy(user, c->user.bytes, sizeof(user));
		if (pt->type == BPFTK_PROG_TYPE_XDP) {
			uint32_t v = (uint32_t)(c->data - c->data_meta);
			memcpy(user, &v, 4);
			v = (uint32_t)(c->data_end - c->data_meta);
			memcpy(user + 4, &v, 4);
			memset(user + 8, 0, 4);
		}
		if (t->ctx_out) {
			size_t cap = t->ctx_size_out, n = pt->ctx_size;
			memcpy(t->ctx_out, user, n < cap ? n : cap);
			if (n > cap)
				err = -ENOSPC;
		}
		t->ctx_size_out = pt->ctx_size;
	} else {
		t->ctx_size_out = 0;
	}
	return err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One run of the program and the chain of its tail calls. */
static int run_once(struct bpftk_run *r, struct bpftk_vm_run_opts *vo,
		    uint64_t *r0, struct bpftk_diags *d)
{
	bpftk_helper_env_reset_run(r->env);
	r->cur_vo = vo;
	r->cur_d = d;
	return run_tail(r, r->main, r0);
}

int bpftk_run_test(struct bpftk_run *r, struct bpftk_test_run_opts *opts,
		   struct bpftk_diags *d)
{
	struct bpftk_test_run_opts t;
	if (!r || !opts || bpftk_opts_copy(&t, sizeof(t), opts))
		return -EINVAL;
	if (t.data_size_in && !t.data_in)
		return -EINVAL;
	int err = prepare(r, &t, d);
	if (err)
		return err;
	const struct bpftk_progtype *pt = r->main->pt;
	struct bpftk_vm_run_opts vo;
	struct bpftk_vm_region mem = {r->buf, t.data_size_in, 1};
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.ctx = r->env;
	vo.mem_check = bpftk_helper_env_mem_check;
	if (pt->model == BPFTK_CTX_MODEL_MEM) {
		vo.args[0] = t.data_size_in ? (uint64_t)(uintptr_t)r->buf : 0;
		vo.args[1] = t.data_size_in;
		vo.regions = t.data_size_in ? &mem : NULL;
		vo.nregions = t.data_size_in ? 1 : 0;
		vo.data = r->buf;
		vo.data_len = t.data_size_in;
		bpftk_helper_env_set_ctx(r->env, NULL);
	} else {
		vo.args[0] = (uint64_t)(uintptr_t)&r->ctx;
		bpftk_helper_env_set_ctx(r->env, &r->ctx);
		if (pt->has_packet) {
			/* LD_ABS reads skb->data: the packet as it starts */
			vo.data = (const void *)(uintptr_t)r->ctx.data;
			vo.data_len = (size_t)(r->ctx.data_end - r->ctx.data);
		}
	}
	bpftk_helper_env_set_cpu(r->env, t.cpu);
	int repeat = t.repeat > 0 ? t.repeat : 1;
	uint64_t r0 = 0, start = now_ns();
	for (int i = 0; i < repeat; i++) {
		err = run_once(r, &vo, &r0, d);
		if (err)
			break;
	}
	uint64_t total = now_ns() - start;
	if (!err) {
		opts->duration = total / (uint64_t)repeat;
		opts->retval = (uint32_t)r0;
		opts->r0 = r0;
		err = finish(r, &t);
		opts->data_size_out = t.data_size_out;
		opts->ctx_size_out = t.ctx_size_out;
	}
	bpftk_helper_env_set_ctx(r->env, NULL);
	return err;
}
