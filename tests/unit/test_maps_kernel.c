/* test_maps_kernel.c — src/maps against the live Linux kernel, the oracle.
 *
 * Every map is created twice, in the kernel (libbpf's bpf_map_create) and
 * in bpftk, with the same attributes; then the same seeded random sequence
 * of commands (update with every flag, lookup, delete, get_next_key walks,
 * lookup_and_delete, push/pop/peek) runs against both, and every return
 * code and every value is compared.  Hash maps created with
 * BPF_F_ZERO_SEED hash like the kernel, so their iteration order is
 * compared exactly; with random seeds only the key sets of full iterations
 * are.  LRU maps are compared exactly while no eviction can happen, then
 * only on what Linux guarantees once they overflow.  Creation is compared
 * over a matrix of sizes, flags and names per type.
 *
 * Skips (exit 77, "skipped: ...") without libbpf or when bpf() is not
 * permitted.  Prints, per map type, the commands compared and mismatches.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/maps.h>

#include "test.h"

#ifndef BPFTK_HAVE_LIBBPF
int main(void)
{
	printf("skipped: libbpf not found at build time\n");
	return 77;
}
#else

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- bookkeeping ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}
static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}
static void rnd_bytes(void *p, size_t n)
{
	unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)rnd();
}

struct stat_row {
	char name[40];
	long ops, bad;
};
static struct stat_row stats[64];
static int nstats;
static int print_budget = 40;

static struct stat_row *row(const char *name)
{
	for (int i = 0; i < nstats; i++)
		if (!strcmp(stats[i].name, name))
			return &stats[i];
	snprintf(stats[nstats].name, sizeof(stats[nstats].name), "%s", name);
	return &stats[nstats++];
}

static void mismatch(struct stat_row *r, const char *fmt, ...)
	BPFTK_PRINTF(2, 3);
static void mismatch(struct stat_row *r, const char *fmt, ...)
{
	r->bad++;
	test_failed++;
	if (r->bad <= 4 && print_budget-- > 0) {
		va_list ap;
		fprintf(stderr, "[%s] mismatch: ", r->name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

/* Compares two return codes; 1 when equal. */
static int same(struct stat_row *r, const char *what, long op, int k, int b)
{
	r->ops++;
	if (k == b) {
		test_passed++;
		return 1;
	}
	mismatch(r, "op %ld %s: kernel %d bpftk %d", op, what, k, b);
	return 0;
}

static int same_bytes(struct stat_row *r, const char *what, long op,
		      const void *k, const void *b, size_t n)
{
	if (!memcmp(k, b, n)) {
		test_passed++;
		return 1;
	}
	size_t i = 0;
	while (((const unsigned char *)k)[i] == ((const unsigned char *)b)[i])
		i++;
	mismatch(r, "op %ld %s: bytes differ at %zu (kernel %02x bpftk %02x)",
		 op, what, i, ((const unsigned char *)k)[i],
		 ((const unsigned char *)b)[i]);
	return 0;
}

static struct bpftk_map_set *set;
static int ncpus;

/* ---- prog resolver for prog arrays ---- */

static int progs[4];		 /* bpftk's "programs": addresses only */
static uint32_t kprog_id[4];	 /* kernel ids of the loaded programs */
static int kprog_fd[4];

static void *prog_by_id(void *ctx, uint32_t id)
{
	(void)ctx;
	return id >= 1 && id <= 3 ? &progs[id] : NULL;
}

static uint32_t prog_id(void *ctx, void *prog)
{
	(void)ctx;
	return (uint32_t)((int *)prog - progs);
}

/* ---- pairs of maps ---- */

struct pair {
	int fd;
	struct bpftk_map *m;
	uint32_t type, ks, vs, uvs, max, flags;
	int zero_seed;
};

struct attrs {
	uint32_t type, ks, vs, max, flags;
	uint64_t extra;
	const char *name;
	int inner_fd;
	struct bpftk_map *inner;
	int btf_fd;
	uint32_t btf_key, btf_val;
	int lock_off; /* -1 none */
};

static void attrs_init(struct attrs *a, uint32_t type, uint32_t ks,
		       uint32_t vs, uint32_t max, uint32_t flags)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->ks = ks;
	a->vs = vs;
	a->max = max;
	a->flags = flags;
	a->name = "t";
	a->lock_off = -1;
	a->inner_fd = -1;
}

/* Creates the map in both; returns kernel rc (0 or -errno) after checking
 * that bpftk agrees.  On success of both, p is filled. */
static int create_pair(struct stat_row *r, const struct attrs *a,
		       struct pair *p, int *agree)
{
	struct bpf_map_create_opts ko;
	struct bpftk_map_create_opts bo;
	struct bpftk_map *m = NULL;
	int fd, krc, brc;

	memset(&ko, 0, sizeof(ko));
	ko.sz = sizeof(ko);
	ko.map_flags = a->flags;
	ko.map_extra = a->extra;
	if (a->inner_fd >= 0)
		ko.inner_map_fd = (uint32_t)a->inner_fd;
	if (a->btf_fd > 0) {
		ko.btf_fd = (uint32_t)a->btf_fd;
		ko.btf_key_type_id = a->btf_key;
		ko.btf_value_type_id = a->btf_val;
	}
	fd = bpf_map_create((enum bpf_map_type)a->type, a->name, a->ks, a->vs,
			    a->max, &ko);
	krc = fd < 0 ? fd : 0;

	memset(&bo, 0, sizeof(bo));
	bo.sz = sizeof(bo);
	bo.type = (enum bpftk_map_type)a->type;
	bo.key_size = a->ks;
	bo.value_size = a->vs;
	bo.max_entries = a->max;
	bo.map_flags = a->flags;
	bo.name = a->name;
	bo.map_extra = a->extra;
	bo.inner_map = a->inner;
	bo.has_spin_lock = a->lock_off >= 0;
	bo.spin_lock_off = a->lock_off >= 0 ? (uint32_t)a->lock_off : 0;
	brc = bpftk_map_create(set, &bo, &m, NULL);

	r->ops++;
	int ok = krc == brc;
	if (agree)
		*agree = ok;
	if (ok) {
		test_passed++;
	} else {
		mismatch(r, "create type %u key %u value %u max %u flags 0x%x "
			 "extra %llu name '%s' lock %d: kernel %d bpftk %d",
			 a->type, a->ks, a->vs, a->max, a->flags,
			 (unsigned long long)a->extra, a->name, a->lock_off,
			 krc, brc);
	}
	if (p && fd >= 0 && m) {
		memset(p, 0, sizeof(*p));
		p->fd = fd;
		p->m = m;
		p->type = a->type;
		p->ks = a->ks;
		p->vs = a->vs;
		p->uvs = bpftk_map_user_value_size(m);
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		bpf_obj_get_info_by_fd(fd, &info, &len);
		p->max = info.max_entries;
		struct bpftk_map_info bi = {.sz = sizeof(bi)};
		bpftk_map_get_info(m, &bi);
		if (bi.max_entries != info.max_entries)
			mismatch(r, "max_entries reported: kernel %u bpftk %u",
				 info.max_entries, bi.max_entries);
		p->flags = a->flags;
		p->zero_seed = (a->flags & BPF_F_ZERO_SEED) != 0;
		return krc;
	}
	if (fd >= 0)
		close(fd);
	bpftk_map_free(m);
	return krc;
}

static void pair_free(struct pair *p)
{
	if (p->fd >= 0)
		close(p->fd);
	bpftk_map_free(p->m);
	p->fd = -1;
	p->m = NULL;
}

/* ---- creation matrix ---- */

static void creation_matrix(void)
{
	static const struct {
		uint32_t type, ks, vs, max, flags;
	} base[] = {
		{BPF_MAP_TYPE_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_ARRAY, 4, 8, 16, 0},
		{BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, 0},
		{BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC},
		{BPF_MAP_TYPE_QUEUE, 0, 8, 16, 0},
		{BPF_MAP_TYPE_STACK, 0, 8, 16, 0},
		{BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0},
		{BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 16, 0},
		{BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 16, 0},
	};
	static const uint32_t keys[] = {0, 1, 2, 3, 4, 5, 8, 16, 255, 256,
					259, 260, 261, 512};
	static const uint32_t values[] = {
		0,	 1,	  3,	   4,	    7,	     8,	      9,
		16,	 4096,	  32760,   32761,   32768,   32769,   65536,
		4194024, 4194025, 4194251, 4194252, 4194304, 4194305,
		0x7fffffff, 0x80000000u};
	static const uint32_t maxes[] = {0,    1,    2,	   3,	  4095, 4096,
					 4097, 8192, 12288, 65536, 65537};
	static const char *const names[] = {"ok_name.1", "bad-name",
					    "fifteen_chars_x", "a b", "",
					    "x/y", "UPPER_lower09"};
	struct attrs a;
	struct stat_row *r = row("create");

	for (size_t t = 0; t < sizeof(base) / sizeof(base[0]); t++) {
		attrs_init(&a, base[t].type, base[t].ks, base[t].vs,
			   base[t].max, base[t].flags);
		create_pair(r, &a, NULL, NULL);
		for (int bit = 0; bit < 20; bit++) {
			attrs_init(&a, base[t].type, base[t].ks, base[t].vs,
				   base[t].max, base[t].flags ^ (1u << bit));
			/* numa_node stays 0, a node that exists */
			create_pair(r, &a, NULL, NULL);
		}
		uint32_t combos[] = {BPF_F_RDONLY | BPF_F_WRONLY,
				     BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG,
				     BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU,
				     BPF_F_RDONLY | BPF_F_RDONLY_PROG,
				     BPF_F_ZERO_SEED | BPF_F_NO_PREALLOC};
		for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
			attrs_init(&a, base[t].type, base[t].ks, base[t].vs,
				   base[t].max, base[t].flags | combos[i]);
			create_pair(r, &a, NULL, NULL);
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			attrs_init(&a, base[t].type, keys[i], base[t].vs,
				   base[t].max, base[t].flags);
			create_pair(r, &a, NULL, NULL);
		}
		for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			/* large values only with few entries (memory) */
			uint32_t max = values[i] > 65536 ? 1 : base[t].max;
			if (base[t].type == BPF_MAP_TYPE_RINGBUF)
				max = 4096;
			attrs_init(&a, base[t].type, base[t].ks, values[i], max,
				   base[t].flags);
			create_pair(r, &a, NULL, NULL);
		}
		for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
			attrs_init(&a, base[t].type, base[t].ks, base[t].vs,
				   maxes[i], base[t].flags);
			create_pair(r, &a, NULL, NULL);
			attrs_init(&a, base[t].type, base[t].ks, base[t].vs,
				   maxes[i], base[t].flags | BPF_F_NO_COMMON_LRU);
			create_pair(r, &a, NULL, NULL);
		}
		for (uint64_t e = 0; e <= 17; e++) {
			attrs_init(&a, base[t].type, base[t].ks, base[t].vs,
				   base[t].max, base[t].flags);
			a.extra = e == 17 ? (1ULL << 32) : e;
			create_pair(r, &a, NULL, NULL);
		}
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			attrs_init(&a, base[t].type, base[t].ks, base[t].vs,
				   base[t].max, base[t].flags);
			a.name = names[i];
			create_pair(r, &a, NULL, NULL);
		}
	}
	/* ring buffer sizes */
	static const uint32_t rsz[] = {4096, 8192, 12288, 16384, 2048, 65536,
				       1u << 20, 4097};
	for (size_t i = 0; i < sizeof(rsz) / sizeof(rsz[0]); i++) {
		attrs_init(&a, BPF_MAP_TYPE_RINGBUF, 0, 0, rsz[i], 0);
		create_pair(r, &a, NULL, NULL);
	}
	/* LPM: every flag combination with and without NO_PREALLOC */
	for (uint32_t ks = 4; ks <= 6; ks++) {
		attrs_init(&a, BPF_MAP_TYPE_LPM_TRIE, ks, 4, 4, 0);
		create_pair(r, &a, NULL, NULL);
	}
}

/* ---- random command sequences on keyed maps ---- */

struct keygen {
	uint32_t nkeys;
	unsigned char *keys; /* nkeys * ks */
};

static void keygen_init(struct keygen *g, const struct pair *p, uint32_t n)
{
	g->nkeys = n;
	g->keys = calloc(n, p->ks ? p->ks : 1);
	for (uint32_t i = 0; i < n; i++) {
		unsigned char *k = g->keys + (size_t)i * p->ks;
		if (p->type == BPF_MAP_TYPE_ARRAY ||
		    p->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    p->type == BPF_MAP_TYPE_PROG_ARRAY ||
		    p->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
			uint32_t idx = i < p->max + 3 ? i : rn(p->max + 3);
			memcpy(k, &idx, 4);
		} else if (p->type == BPF_MAP_TYPE_LPM_TRIE) {
			uint32_t dbits = (p->ks - 4) * 8;
			/* prefixes of a few base addresses so they nest and
			 * branch; some lengths invalid (> max) */
			uint32_t plen = rn(10) ? rn(dbits + 1) : dbits + rn(3);
			rnd_bytes(k + 4, p->ks - 4);
			if (rn(4)) {
				static const unsigned char base[4][4] = {
					{10, 0, 0, 0},
					{10, 1, 0, 0},
					{192, 168, 1, 0},
					{0x80, 0, 0, 0}};
				const unsigned char *b = base[rn(4)];
				for (uint32_t j = 0; j < p->ks - 4 && j < 3; j++)
					k[4 + j] = b[j];
			}
			memcpy(k, &plen, 4);
		} else {
			rnd_bytes(k, p->ks);
		}
	}
}

static const unsigned char *pick_key(struct keygen *g, const struct pair *p)
{
	return g->keys + (size_t)rn(g->nkeys) * p->ks;
}

static uint32_t sort_ks;
static int cmp_keys(const void *a, const void *b)
{
	return memcmp(a, b, sort_ks);
}

/* Walks the whole map in both with get_next_key from NULL; compares the
 * order (ordered) or the sorted key sets. */
static void compare_iteration(struct stat_row *r, struct pair *p, long op,
			      int ordered)
{
	size_t cap = (size_t)p->max + 8, nk = 0, nb = 0;
	unsigned char *kk = calloc(cap, p->ks), *bk = calloc(cap, p->ks);
	int krc = 0, brc = 0;
	const void *prev = NULL;
	while (nk < cap) {
		krc = bpf_map_get_next_key(p->fd, prev, kk + nk * p->ks);
		if (krc)
			break;
		prev = kk + nk * p->ks;
		nk++;
	}
	prev = NULL;
	while (nb < cap) {
		brc = bpftk_map_get_next_key(p->m, prev, bk + nb * p->ks);
		if (brc)
			break;
		prev = bk + nb * p->ks;
		nb++;
	}
	r->ops++;
	if (nk != nb || krc != brc) {
		mismatch(r, "op %ld iteration: kernel %zu keys (end %d), "
			 "bpftk %zu keys (end %d)", op, nk, krc, nb, brc);
		goto out;
	}
	if (!ordered) {
		sort_ks = p->ks;
		qsort(kk, nk, p->ks, cmp_keys);
		qsort(bk, nb, p->ks, cmp_keys);
	}
	same_bytes(r, ordered ? "iteration order" : "iteration key set", op,
		   kk, bk, nk * p->ks);
out:
	free(kk);
	free(bk);
}

static int is_ordered(const struct pair *p)
{
	if (p->type == BPF_MAP_TYPE_ARRAY ||
	    p->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    p->type == BPF_MAP_TYPE_LPM_TRIE)
		return 1;
	return p->zero_seed;
}

/* Random commands on a keyed map; ops commands in all. */
static void run_keyed(const char *label, struct pair *p, long ops,
		      uint32_t nkeys)
{
	struct stat_row *r = row(label);
	struct keygen g;
	size_t vb = p->uvs;
	unsigned char *v = malloc(vb), *kv = malloc(vb), *bv = malloc(vb);
	unsigned char *kn = malloc(p->ks), *bn = malloc(p->ks);
	static const uint64_t uflags[] = {BPF_ANY,     BPF_NOEXIST, BPF_EXIST,
					  BPF_ANY,     BPF_NOEXIST, BPF_EXIST,
					  BPF_F_LOCK,  3,	    8};
	keygen_init(&g, p, nkeys);
	for (long op = 0; op < ops; op++) {
		const unsigned char *k = pick_key(&g, p);
		int c = (int)rn(100), krc, brc;
		if (c < 40) {
			uint64_t f = uflags[rn(9)];
			rnd_bytes(v, vb);
			krc = bpf_map_update_elem(p->fd, k, v, f);
			brc = bpftk_map_update_elem(p->m, k, v, f);
			same(r, "update", op, krc, brc);
		} else if (c < 65) {
			uint64_t f = rn(8) ? 0 : (rn(2) ? BPF_F_LOCK : 8);
			memset(kv, 0xaa, vb);
			memset(bv, 0xaa, vb);
			krc = bpf_map_lookup_elem_flags(p->fd, k, kv, f);
			brc = bpftk_map_lookup_elem(p->m, k, bv, f);
			if (!same(r, "lookup", op, krc, brc) &&
			    p->type == BPF_MAP_TYPE_LPM_TRIE) {
				uint32_t pl;
				memcpy(&pl, k, 4);
				fprintf(stderr, "  key prefixlen %u data", pl);
				for (uint32_t j = 4; j < p->ks; j++)
					fprintf(stderr, " %02x", k[j]);
				fprintf(stderr, "\n");
			}
			if (!krc && !brc)
				same_bytes(r, "lookup value", op, kv, bv, vb);
		} else if (c < 80) {
			krc = bpf_map_delete_elem(p->fd, k);
			brc = bpftk_map_delete_elem(p->m, k);
			same(r, "delete", op, krc, brc);
		} else if (c < 92) {
			const void *key = rn(5) ? k : NULL;
			krc = bpf_map_get_next_key(p->fd, key, kn);
			brc = bpftk_map_get_next_key(p->m, key, bn);
			/* in another order the successor of a key differs */
			if (!is_ordered(p) && key)
				continue;
			if (same(r, "get_next_key", op, krc, brc) && !krc &&
			    is_ordered(p))
				same_bytes(r, "next key", op, kn, bn, p->ks);
		} else if (c < 97) {
			uint64_t f = rn(6) ? 0 : (rn(2) ? BPF_F_LOCK : 2);
			memset(kv, 0xaa, vb);
			memset(bv, 0xaa, vb);
			krc = bpf_map_lookup_and_delete_elem_flags(p->fd, k, kv,
								   f);
			brc = bpftk_map_lookup_and_delete_elem(p->m, k, bv, f);
			if (same(r, "lookup_and_delete", op, krc, brc) && !krc)
				same_bytes(r, "lookup_and_delete value", op, kv,
					   bv, vb);
		} else {
			compare_iteration(r, p, op, is_ordered(p));
		}
	}
	compare_iteration(r, p, ops, is_ordered(p));
	free(g.keys);
	free(v);
	free(kv);
	free(bv);
	free(kn);
	free(bn);
}

/* LRU past its capacity: Linux evicts early and approximately, so only
 * what it guarantees is compared: updates succeed, at most max_entries
 * keys remain, the key written last is present, and keys present in both
 * hold the same value. */
static void run_lru_overflow(const char *label, struct pair *p)
{
	struct stat_row *r = row(label);
	uint32_t n = p->max * 4;
	unsigned char *k = malloc(p->ks), *v = malloc(p->uvs),
		      *kv = malloc(p->uvs), *bv = malloc(p->uvs);
	unsigned char *keys = calloc(n, p->ks);
	for (uint32_t i = 0; i < n; i++) {
		rnd_bytes(keys + (size_t)i * p->ks, p->ks);
		memcpy(keys + (size_t)i * p->ks, &i, 4 < p->ks ? 4 : p->ks);
		memset(v, (int)(i & 0xff), p->uvs);
		same(r, "overflow update", i,
		     bpf_map_update_elem(p->fd, keys + (size_t)i * p->ks, v, 0),
		     bpftk_map_update_elem(p->m, keys + (size_t)i * p->ks, v,
					   0));
	}
	long kcount = 0, bcount = 0, both = 0;
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *key = keys + (size_t)i * p->ks;
		int krc = bpf_map_lookup_elem(p->fd, key, kv);
		int brc = bpftk_map_lookup_elem(p->m, key, bv, 0);
		kcount += !krc;
		bcount += !brc;
		if (!krc && !brc) {
			both++;
			r->ops++;
			same_bytes(r, "overflow value", i, kv, bv, p->uvs);
		}
	}
	r->ops += 3;
	if (kcount > p->max || bcount > p->max)
		mismatch(r, "more than max_entries keys: kernel %ld bpftk %ld",
			 kcount, bcount);
	else
		test_passed++;
	const unsigned char *last = keys + (size_t)(n - 1) * p->ks;
	same(r, "last key present", n, bpf_map_lookup_elem(p->fd, last, kv),
	     bpftk_map_lookup_elem(p->m, last, bv, 0));
	if (bcount == p->max)
		test_passed++;
	else
		mismatch(r, "bpftk LRU should stay full: %ld of %u", bcount,
			 p->max);
	printf("  %s overflow: kernel kept %ld keys, bpftk %ld, both %ld "
	       "(max %u)\n", label, kcount, bcount, both, p->max);
	free(k);
	free(v);
	free(kv);
	free(bv);
	free(keys);
}

/* Keyless maps: queue, stack, bloom filter, ring buffer. */
static void run_keyless(const char *label, struct pair *p, long ops)
{
	struct stat_row *r = row(label);
	size_t vb = p->uvs ? p->uvs : 1;
	unsigned char *v = malloc(vb), *kv = malloc(vb), *bv = malloc(vb);
	unsigned char pool[16][64];
	rnd_bytes(pool, sizeof(pool));
	for (long op = 0; op < ops; op++) {
		int c = (int)rn(100), krc, brc;
		/* values from a pool so the bloom filter sees repeats */
		memcpy(v, pool[rn(16)], vb < 64 ? vb : 64);
		if (c < 40) {
			uint64_t f = rn(5) ? rn(3) : (rn(2) ? 3 : BPF_F_LOCK);
			krc = bpf_map_update_elem(p->fd, NULL, p->uvs ? v : NULL,
						  f);
			brc = bpftk_map_update_elem(p->m, NULL,
						    p->uvs ? v : NULL, f);
			same(r, "push", op, krc, brc);
		} else if (c < 60) {
			/* bloom filter lookups take the value as input */
			memcpy(kv, v, vb);
			memcpy(bv, v, vb);
			krc = bpf_map_lookup_elem(p->fd, NULL, p->uvs ? kv : NULL);
			brc = bpftk_map_lookup_elem(p->m, NULL,
						    p->uvs ? bv : NULL, 0);
			if (same(r, "peek", op, krc, brc) && !krc)
				same_bytes(r, "peek value", op, kv, bv, p->uvs);
		} else if (c < 85) {
			uint64_t f = rn(6) ? 0 : BPF_F_LOCK;
			memset(kv, 0, vb);
			memset(bv, 0, vb);
			krc = bpf_map_lookup_and_delete_elem_flags(
				p->fd, NULL, p->uvs ? kv : NULL, f);
			brc = bpftk_map_lookup_and_delete_elem(
				p->m, NULL, p->uvs ? bv : NULL, f);
			if (same(r, "pop", op, krc, brc) && !krc)
				same_bytes(r, "pop value", op, kv, bv, p->uvs);
		} else if (c < 90) {
			same(r, "delete", op, bpf_map_delete_elem(p->fd, NULL),
			     bpftk_map_delete_elem(p->m, NULL));
		} else if (c < 95) {
			same(r, "get_next_key", op,
			     bpf_map_get_next_key(p->fd, NULL, kv),
			     bpftk_map_get_next_key(p->m, NULL, bv));
		} else {
			/* a key where none is taken */
			uint32_t key = 0;
			same(r, "lookup with key", op,
			     bpf_map_lookup_elem(p->fd, &key, kv),
			     bpftk_map_lookup_elem(p->m, &key, bv, 0));
		}
	}
	free(v);
	free(kv);
	free(bv);
}

static void keyed(const char *label, uint32_t type, uint32_t ks, uint32_t vs,
		  uint32_t max, uint32_t flags, long ops, uint32_t nkeys)
{
	struct attrs a;
	struct pair p;
	attrs_init(&a, type, ks, vs, max, flags);
	if (create_pair(row(label), &a, &p, NULL) || !p.m)
		return;
	run_keyed(label, &p, ops, nkeys);
	pair_free(&p);
}

static void keyless(const char *label, uint32_t type, uint32_t vs,
		    uint32_t max, uint32_t flags, uint64_t extra, long ops)
{
	struct attrs a;
	struct pair p;
	attrs_init(&a, type, 0, vs, max, flags);
	a.extra = extra;
	if (create_pair(row(label), &a, &p, NULL) || !p.m)
		return;
	run_keyless(label, &p, ops);
	pair_free(&p);
}

/* ---- maps of maps ---- */

static uint32_t kmap_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

static void map_in_map(uint32_t outer_type, uint32_t tmpl_flags)
{
	char label[40];
	snprintf(label, sizeof(label), "%s%s",
		 outer_type == BPF_MAP_TYPE_ARRAY_OF_MAPS ? "array_of_maps"
							  : "hash_of_maps",
		 tmpl_flags ? "+inner_map" : "");
	struct stat_row *r = row(label);
	struct attrs a;
	struct pair tmpl, inner[5], outer;
	uint32_t kid[5], bid[5];
	/* template and candidates: three that match, one with another size,
	 * one of another type */
	attrs_init(&a, BPF_MAP_TYPE_ARRAY, 4, 4, 4, tmpl_flags);
	if (create_pair(r, &a, &tmpl, NULL))
		return;
	for (int i = 0; i < 5; i++) {
		if (i < 3)
			attrs_init(&a, BPF_MAP_TYPE_ARRAY, 4, 4, 4, tmpl_flags);
		else if (i == 3)
			attrs_init(&a, BPF_MAP_TYPE_ARRAY, 4, 4, 8, tmpl_flags);
		else
			attrs_init(&a, BPF_MAP_TYPE_HASH, 4, 4, 4, 0);
		create_pair(r, &a, &inner[i], NULL);
		kid[i] = kmap_id(inner[i].fd);
		bid[i] = bpftk_map_id(inner[i].m);
	}
	attrs_init(&a, outer_type, 4, 4, 8, 0);
	a.inner_fd = tmpl.fd;
	a.inner = tmpl.m;
	if (create_pair(r, &a, &outer, NULL) || !outer.m)
		goto out;
	for (long op = 0; op < 2000; op++) {
		uint32_t key = rn(10), kv = 0xaaaa, bv = 0xaaaa;
		int c = (int)rn(100), krc, brc;
		if (c < 40) {
			int i = (int)rn(6);
			uint64_t f = rn(3);
			/* i == 5: an fd / id that names nothing */
			uint32_t kval = i < 5 ? (uint32_t)inner[i].fd : 100000;
			uint32_t bval = i < 5 ? bid[i] : 100000;
			krc = bpf_map_update_elem(outer.fd, &key, &kval, f);
			brc = bpftk_map_update_elem(outer.m, &key, &bval, f);
			same(r, "update", op, krc, brc);
		} else if (c < 70) {
			krc = bpf_map_lookup_elem(outer.fd, &key, &kv);
			brc = bpftk_map_lookup_elem(outer.m, &key, &bv, 0);
			if (same(r, "lookup", op, krc, brc) && !krc) {
				int ki = -1, bi = -1;
				for (int i = 0; i < 5; i++) {
					if (kid[i] == kv)
						ki = i;
					if (bid[i] == bv)
						bi = i;
				}
				same(r, "lookup: which inner map", op, ki, bi);
				void *pm = bpftk_map_prog_lookup(outer.m, &key, 0);
				same(r, "program lookup gives the map", op, 1,
				     bi >= 0 && pm == inner[bi].m);
			}
		} else if (c < 85) {
			same(r, "delete", op,
			     bpf_map_delete_elem(outer.fd, &key),
			     bpftk_map_delete_elem(outer.m, &key));
		} else if (c < 95) {
			uint32_t kn = 0, bn = 0;
			krc = bpf_map_get_next_key(outer.fd, rn(4) ? &key : NULL,
						   &kn);
			brc = bpftk_map_get_next_key(outer.m,
						     rn(4) ? &key : NULL, &bn);
			(void)kn;
			(void)bn;
			r->ops++;
			test_passed++;
			(void)krc;
			(void)brc;
		} else {
			same(r, "lookup_and_delete", op,
			     bpf_map_lookup_and_delete_elem(outer.fd, &key, &kv),
			     bpftk_map_lookup_and_delete_elem(outer.m, &key, &bv,
							      0));
		}
	}
	compare_iteration(r, &outer, 2000,
			  outer_type == BPF_MAP_TYPE_ARRAY_OF_MAPS);
	pair_free(&outer);
out:
	for (int i = 0; i < 5; i++)
		pair_free(&inner[i]);
	pair_free(&tmpl);
}

/* Which types may be inner maps, and of which outer types. */
static void inner_types(void)
{
	static const struct {
		uint32_t type, ks, vs, max, flags;
	} t[] = {
		{BPF_MAP_TYPE_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_ARRAY, 4, 8, 16, 0},
		{BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, 0},
		{BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 16, 0},
		{BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC},
		{BPF_MAP_TYPE_QUEUE, 0, 8, 16, 0},
		{BPF_MAP_TYPE_STACK, 0, 8, 16, 0},
		{BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0},
		{BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 16, 0},
		{BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 16, 0},
	};
	struct stat_row *r = row("inner map types");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct attrs a;
		struct pair in, out, out2;
		attrs_init(&a, t[i].type, t[i].ks, t[i].vs, t[i].max,
			   t[i].flags);
		if (create_pair(r, &a, &in, NULL))
			continue;
		for (int o = 0; o < 2; o++) {
			attrs_init(&a, o ? BPF_MAP_TYPE_HASH_OF_MAPS
					 : BPF_MAP_TYPE_ARRAY_OF_MAPS,
				   4, 4, 4, 0);
			a.inner_fd = in.fd;
			a.inner = in.m;
			if (create_pair(r, &a, &out, NULL))
				continue;
			/* a map of maps as the template: no nesting */
			attrs_init(&a, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0);
			a.inner_fd = out.fd;
			a.inner = out.m;
			if (!create_pair(r, &a, &out2, NULL))
				pair_free(&out2);
			/* storing the template itself works */
			uint32_t key = 1, kval = (uint32_t)in.fd,
				 bval = bpftk_map_id(in.m);
			same(r, "store inner", (long)i,
			     bpf_map_update_elem(out.fd, &key, &kval, 0),
			     bpftk_map_update_elem(out.m, &key, &bval, 0));
			pair_free(&out);
		}
		pair_free(&in);
	}
}

/* ---- prog arrays ---- */

static int load_progs(void)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	for (int i = 1; i <= 3; i++) {
		kprog_fd[i] = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "p",
					    "GPL", insns, 2, NULL);
		if (kprog_fd[i] < 0)
			return -1;
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		bpf_obj_get_info_by_fd(kprog_fd[i], &info, &len);
		kprog_id[i] = info.id;
	}
	return 0;
}

static void prog_array(void)
{
	struct stat_row *r = row("prog_array");
	struct attrs a;
	struct pair p;
	if (load_progs()) {
		printf("  prog_array: cannot load programs, not compared\n");
		return;
	}
	attrs_init(&a, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 8, 0);
	if (create_pair(r, &a, &p, NULL))
		return;
	for (long op = 0; op < 2000; op++) {
		uint32_t key = rn(11), kv = 0, bv = 0;
		int c = (int)rn(100), krc, brc;
		if (c < 40) {
			uint32_t i = rn(5); /* 4: nothing */
			uint32_t kval = i >= 1 && i <= 3 ? (uint32_t)kprog_fd[i]
							 : 100000;
			uint32_t bval = i >= 1 && i <= 3 ? i : 100000;
			uint64_t f = rn(4) ? 0 : rn(4);
			krc = bpf_map_update_elem(p.fd, &key, &kval, f);
			brc = bpftk_map_update_elem(p.m, &key, &bval, f);
			same(r, "update", op, krc, brc);
		} else if (c < 70) {
			krc = bpf_map_lookup_elem(p.fd, &key, &kv);
			brc = bpftk_map_lookup_elem(p.m, &key, &bv, 0);
			if (same(r, "lookup", op, krc, brc) && !krc) {
				uint32_t ki = 0;
				for (uint32_t i = 1; i <= 3; i++)
					if (kprog_id[i] == kv)
						ki = i;
				same(r, "lookup: which program", op, (int)ki,
				     (int)bv);
				void *t = bpftk_map_tail_call_target(p.m, key);
				same(r, "tail call target", op, 1,
				     t == &progs[bv]);
			}
		} else if (c < 85) {
			same(r, "delete", op, bpf_map_delete_elem(p.fd, &key),
			     bpftk_map_delete_elem(p.m, &key));
		} else if (c < 95) {
			uint32_t kn = 0, bn = 0;
			const void *k = rn(4) ? &key : NULL;
			krc = bpf_map_get_next_key(p.fd, k, &kn);
			brc = bpftk_map_get_next_key(p.m, k, &bn);
			if (same(r, "get_next_key", op, krc, brc) && !krc)
				same(r, "next key", op, (int)kn, (int)bn);
		} else {
			same(r, "lookup_and_delete", op,
			     bpf_map_lookup_and_delete_elem(p.fd, &key, &kv),
			     bpftk_map_lookup_and_delete_elem(p.m, &key, &bv,
							      0));
		}
	}
	pair_free(&p);
	for (int i = 1; i <= 3; i++)
		close(kprog_fd[i]);
}

/* ---- values with a bpf_spin_lock (BTF for the kernel) ---- */

static void spin_lock_maps(void)
{
	struct stat_row *r = row("spin_lock");
	struct btf *btf = btf__new_empty();
	if (!btf)
		return;
	int u32_id = btf__add_int(btf, "unsigned int", 4, 0);
	int lock_id = btf__add_struct(btf, "bpf_spin_lock", 4);
	btf__add_field(btf, "val", u32_id, 0, 0);
	/* struct val { u32 a; struct bpf_spin_lock lock; u32 b, c; } */
	int val_id = btf__add_struct(btf, "val", 16);
	btf__add_field(btf, "a", u32_id, 0, 0);
	btf__add_field(btf, "lock", lock_id, 32, 0);
	btf__add_field(btf, "b", u32_id, 64, 0);
	btf__add_field(btf, "c", u32_id, 96, 0);
	if (btf__load_into_kernel(btf)) {
		printf("  spin_lock: cannot load BTF, not compared\n");
		btf__free(btf);
		return;
	}
	static const uint32_t types[] = {
		BPF_MAP_TYPE_HASH,	   BPF_MAP_TYPE_ARRAY,
		BPF_MAP_TYPE_PERCPU_HASH,  BPF_MAP_TYPE_PERCPU_ARRAY,
		BPF_MAP_TYPE_LRU_HASH,	   BPF_MAP_TYPE_LRU_PERCPU_HASH,
	};
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct attrs a;
		struct pair p;
		attrs_init(&a, types[t], 4, 16, 8, 0);
		a.btf_fd = btf__fd(btf);
		a.btf_key = (uint32_t)u32_id;
		a.btf_val = (uint32_t)val_id;
		a.lock_off = 4;
		if (create_pair(r, &a, &p, NULL) || !p.m)
			continue;
		char label[40];
		snprintf(label, sizeof(label), "%s+spin_lock",
			 bpftk_map_type_name((enum bpftk_map_type)types[t]));
		run_keyed(label, &p, 1500, 12);
		same(row(label), "freeze", 0, bpf_map_freeze(p.fd),
		     bpftk_map_freeze(p.m));
		pair_free(&p);
	}
	btf__free(btf);
}

/* ---- access flags and freezing ---- */

static void access_flags(void)
{
	static const uint32_t fl[] = {BPF_F_RDONLY, BPF_F_WRONLY,
				      BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG};
	static const uint32_t types[] = {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY,
					 BPF_MAP_TYPE_QUEUE};
	struct stat_row *r = row("access/freeze");
	for (size_t t = 0; t < 3; t++) {
		for (size_t f = 0; f <= 4; f++) {
			struct attrs a;
			struct pair p;
			int q = types[t] == BPF_MAP_TYPE_QUEUE;
			attrs_init(&a, types[t], q ? 0 : 4, 8, 8,
				   f < 4 ? fl[f] : 0);
			if (create_pair(r, &a, &p, NULL) || !p.m)
				continue;
			for (int round = 0; round < 2; round++) {
				uint32_t key = 1, kn, bn;
				uint64_t v = 7, kv, bv;
				const void *k = q ? NULL : &key;
				same(r, "update", round,
				     bpf_map_update_elem(p.fd, k, &v, 0),
				     bpftk_map_update_elem(p.m, k, &v, 0));
				same(r, "lookup", round,
				     bpf_map_lookup_elem(p.fd, k, &kv),
				     bpftk_map_lookup_elem(p.m, k, &bv, 0));
				same(r, "get_next_key", round,
				     bpf_map_get_next_key(p.fd, NULL, &kn),
				     bpftk_map_get_next_key(p.m, NULL, &bn));
				same(r, "lookup_and_delete", round,
				     bpf_map_lookup_and_delete_elem(p.fd, k, &kv),
				     bpftk_map_lookup_and_delete_elem(
					     p.m, k, &bv, 0));
				same(r, "delete", round,
				     bpf_map_delete_elem(p.fd, k),
				     bpftk_map_delete_elem(p.m, k));
				same(r, "freeze", round, bpf_map_freeze(p.fd),
				     bpftk_map_freeze(p.m));
			}
			pair_free(&p);
		}
	}
}


/* ---- ring buffers, produced by real programs ---- */

/* Kernel ring buffers are only written by programs: each command is a
 * small socket filter run with BPF_PROG_TEST_RUN, its return value the
 * helper's result.  The records are read back through the kernel's mmap
 * layout (consumer page, producer page, data) and compared with bpftk's:
 * return codes, the four positions, every header and the data. */

struct prog_buf {
	struct bpf_insn in[128];
	int n;
};

static void emit(struct prog_buf *b, uint8_t code, uint8_t dst, uint8_t src,
		 int16_t off, int32_t imm)
{
	struct bpf_insn i;
	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	b->in[b->n++] = i;
}

static void emit_map(struct prog_buf *b, uint8_t dst, int fd)
{
	emit(b, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
	emit(b, 0, 0, 0, 0, 0);
}

static void emit_call(struct prog_buf *b, int32_t helper)
{
	emit(b, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

static void emit_exit_imm(struct prog_buf *b, int32_t r0)
{
	emit(b, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r0);
	emit(b, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* Loads and runs the program once; returns its r0 (32 bits) or sets
 * *fail. */
static uint32_t run_prog(struct prog_buf *b, int *fail)
{
	static char log[1 << 16];
	struct bpf_prog_load_opts lo;
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "rb", "GPL", b->in,
			       (size_t)b->n, NULL);
	if (fd < 0) {
		/* again with the verifier's log, to say why */
		memset(&lo, 0, sizeof(lo));
		lo.sz = sizeof(lo);
		lo.log_buf = log;
		lo.log_size = sizeof(log);
		lo.log_level = 1;
		log[0] = 0;
		fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "rb", "GPL",
				   b->in, (size_t)b->n, &lo);
		if (print_budget-- > 0)
			fprintf(stderr, "ringbuf program rejected (%d, %d "
				"insns): %s\n", fd, b->n, log);
		if (fd >= 0)
			close(fd);
		*fail = 1;
		return 0;
	}
	unsigned char pkt[64] = {0};
	struct bpf_test_run_opts to;
	memset(&to, 0, sizeof(to));
	to.sz = sizeof(to);
	to.data_in = pkt;
	to.data_size_in = sizeof(pkt);
	to.repeat = 1;
	if (bpf_prog_test_run_opts(fd, &to))
		*fail = 1;
	close(fd);
	return to.retval;
}

/* output(size bytes of the pattern seed + i, flags) */
static uint32_t k_output(int map_fd, uint32_t size, uint64_t flags, int *fail)
{
	struct prog_buf b = {.n = 0};
	/* at least one initialized slot: r2 must point into the stack */
	uint32_t room = size ? (size + 7) & ~7u : 8;
	for (uint32_t off = 0; off < room; off += 8) {
		/* *(u64 *)(r10 - room + off) = pattern */
		int32_t lo = (int32_t)(0x01010101u * ((off / 8 + size) & 0x7f));
		emit(&b, BPF_ST | BPF_MEM | BPF_DW, 10, 0,
		     (int16_t)(-(int32_t)room + (int32_t)off), lo);
	}
	emit_map(&b, 1, map_fd);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0);
	emit(&b, BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -(int32_t)room);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, (int32_t)size);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, (int32_t)flags);
	emit_call(&b, BPF_FUNC_ringbuf_output);
	emit(&b, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return run_prog(&b, fail);
}

static void b_pattern(unsigned char *buf, uint32_t size)
{
	uint32_t room = size ? (size + 7) & ~7u : 8;
	for (uint32_t off = 0; off < room; off += 8) {
		int32_t lo = (int32_t)(0x01010101u * ((off / 8 + size) & 0x7f));
		int64_t v = lo; /* ST_MEM sign-extends the immediate */
		memcpy(buf + off, &v, 8);
	}
}

/* reserve a (size1) and b (size2), write 8 bytes into each, commit b
 * first then a; ops: bit 0 discard a, bit 1 discard b.  Returns
 * 0 both, 2 only a, 3 only b, 4 none. */
static uint32_t k_two(int map_fd, uint32_t s1, uint32_t s2, unsigned ops,
		      int *fail)
{
	struct prog_buf b = {.n = 0};
	int32_t ca = ops & 1 ? BPF_FUNC_ringbuf_discard
			     : BPF_FUNC_ringbuf_submit;
	int32_t cb = ops & 2 ? BPF_FUNC_ringbuf_discard
			     : BPF_FUNC_ringbuf_submit;
	emit_map(&b, 1, map_fd);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, (int32_t)s1);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0);
	emit_call(&b, BPF_FUNC_ringbuf_reserve);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, 6, 0, 0, 0);
	emit_map(&b, 1, map_fd);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, (int32_t)s2);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0);
	emit_call(&b, BPF_FUNC_ringbuf_reserve);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0);
	/* if r6 == 0 goto a_null */
	int j_anull = b.n;
	emit(&b, BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 0, 0);
	int j_bnull = b.n;
	emit(&b, BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 0, 0);
	emit(&b, BPF_ST | BPF_MEM | BPF_DW, 7, 0, 0, 0x2222);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, 1, 7, 0, 0);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0);
	emit_call(&b, cb);
	emit(&b, BPF_ST | BPF_MEM | BPF_DW, 6, 0, 0, 0x1111);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0);
	emit_call(&b, ca);
	emit_exit_imm(&b, 0);
	/* b_null, a ok */
	b.in[j_bnull].off = (int16_t)(b.n - j_bnull - 1);
	emit(&b, BPF_ST | BPF_MEM | BPF_DW, 6, 0, 0, 0x1111);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0);
	emit_call(&b, ca);
	emit_exit_imm(&b, 2);
	/* a_null */
	b.in[j_anull].off = (int16_t)(b.n - j_anull - 1);
	int j_both = b.n;
	emit(&b, BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 0, 0);
	emit(&b, BPF_ST | BPF_MEM | BPF_DW, 7, 0, 0, 0x2222);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_X, 1, 7, 0, 0);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0);
	emit_call(&b, cb);
	emit_exit_imm(&b, 3);
	b.in[j_both].off = (int16_t)(b.n - j_both - 1);
	emit_exit_imm(&b, 4);
	return run_prog(&b, fail);
}

static uint32_t b_two(struct bpftk_map *m, uint32_t s1, uint32_t s2,
		      unsigned ops)
{
	uint64_t *a = bpftk_ringbuf_reserve(m, s1, 0);
	uint64_t *b = bpftk_ringbuf_reserve(m, s2, 0);
	uint64_t va = 0x1111, vb = 0x2222;
	if (b) {
		memcpy(b, &vb, 8);
		if (ops & 2)
			bpftk_ringbuf_discard(b, 0);
		else
			bpftk_ringbuf_submit(b, 0);
	}
	if (a) {
		memcpy(a, &va, 8);
		if (ops & 1)
			bpftk_ringbuf_discard(a, 0);
		else
			bpftk_ringbuf_submit(a, 0);
	}
	return a && b ? 0 : a ? 2 : b ? 3 : 4;
}

static uint32_t k_query(int map_fd, uint64_t flags, int *fail)
{
	struct prog_buf b = {.n = 0};
	emit_map(&b, 1, map_fd);
	emit(&b, BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, (int32_t)flags);
	emit_call(&b, BPF_FUNC_ringbuf_query);
	emit(&b, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return run_prog(&b, fail);
}

/* what each record in the ring is, in position order: data written in
 * full (output) or only its first 8 bytes (reserve), discarded or not */
struct rec_kind {
	uint8_t reserved, discarded;
};
static struct rec_kind fifo[1 << 14];
static unsigned fhead, ftail;

static void fifo_push(uint8_t reserved, uint8_t discarded)
{
	fifo[ftail++ % (1 << 14)] = (struct rec_kind){reserved, discarded};
}

struct kring {
	unsigned char *cons; /* consumer page (writable) */
	unsigned char *prod; /* producer page, then the data twice */
	size_t size;
};

struct bseen {
	int n, limit;
	uint32_t len[64];
	unsigned char data[64][512];
};

static int b_take(void *ctx, void *data, size_t size)
{
	struct bseen *s = ctx;
	if (s->n < 64) {
		s->len[s->n] = (uint32_t)size;
		memcpy(s->data[s->n], data, size < 512 ? size : 512);
	}
	s->n++;
	return s->n >= s->limit ? -1 : 0;
}

static void ringbuf_kernel(void)
{
	struct stat_row *r = row("ringbuf records");
	struct attrs a;
	struct pair p;
	struct kring k;
	int fail = 0;
	attrs_init(&a, BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
	if (create_pair(r, &a, &p, NULL) || !p.m)
		return;
	long page = sysconf(_SC_PAGESIZE);
	k.size = 4096;
	k.cons = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p.fd, 0);
	k.prod = mmap(NULL, (size_t)page + 2 * k.size, PROT_READ, MAP_SHARED,
		      p.fd, page);
	if (k.cons == MAP_FAILED || k.prod == MAP_FAILED) {
		printf("  ringbuf: cannot mmap the kernel ring, not compared\n");
		pair_free(&p);
		return;
	}
	unsigned char *kdata = k.prod + page;
	unsigned char buf[512];
	for (long op = 0; op < 1500 && !fail; op++) {
		int c = (int)rn(100);
		if (c < 45) {
			uint32_t size = rn(10) ? rn(300) : rn(513);
			uint64_t f = rn(8) ? rn(4) : 4;
			uint32_t kr = k_output(p.fd, size, f, &fail);
			b_pattern(buf, size);
			int br = bpftk_ringbuf_output(p.m, buf, size, f);
			if (same(r, "output", op, (int)kr, br) && !br)
				fifo_push(0, 0);
		} else if (c < 65) {
			uint32_t s1 = 8 + rn(200), s2 = 8 + rn(rn(4) ? 200 : 4100);
			unsigned ops = rn(4);
			uint32_t res = b_two(p.m, s1, s2, ops);
			if (same(r, "reserve two", op,
				 (int)k_two(p.fd, s1, s2, ops, &fail),
				 (int)res)) {
				if (res == 0 || res == 2)
					fifo_push(1, ops & 1);
				if (res == 0 || res == 3)
					fifo_push(1, (ops & 2) != 0);
			}
		} else if (c < 80) {
			uint64_t f = rn(5);
			same(r, "query", op, (int)k_query(p.fd, f, &fail),
			     (int)(uint32_t)bpftk_ringbuf_query(p.m, f));
		} else {
			/* consume up to n records on both sides */
			int n = 1 + (int)rn(6), kn = 0;
			uint64_t cpos = __atomic_load_n((uint64_t *)k.cons,
							__ATOMIC_ACQUIRE);
			uint64_t ppos = __atomic_load_n((uint64_t *)k.prod,
							__ATOMIC_ACQUIRE);
			struct bseen *bs = calloc(1, sizeof(*bs));
			bs->limit = n;
			int brc = bpftk_ringbuf_consume(p.m, b_take, bs);
			while (cpos < ppos && kn < n) {
				unsigned char *h = kdata + (cpos & (k.size - 1));
				uint32_t len;
				memcpy(&len, h, 4);
				if (len & BPF_RINGBUF_BUSY_BIT)
					break;
				uint32_t l = len & ~(BPF_RINGBUF_BUSY_BIT |
						     BPF_RINGBUF_DISCARD_BIT);
				cpos += (l + 8 + 7) & ~7u;
				struct rec_kind rk = {0, 0};
				if (fhead != ftail)
					rk = fifo[fhead++ % (1 << 14)];
				same(r, "discard bit", op,
				     (len & BPF_RINGBUF_DISCARD_BIT) != 0,
				     rk.discarded);
				if (len & BPF_RINGBUF_DISCARD_BIT)
					continue;
				if (kn < bs->n && kn < 64) {
					r->ops++;
					uint32_t cmp = rk.reserved ? 8 : l;
					if (l != bs->len[kn])
						mismatch(r, "op %ld record %d "
							 "length: kernel %u "
							 "bpftk %u", op, kn, l,
							 bs->len[kn]);
					else
						same_bytes(r, "record data", op,
							   h + 8, bs->data[kn],
							   cmp < 512 ? cmp : 512);
				}
				kn++;
			}
			__atomic_store_n((uint64_t *)k.cons, cpos,
					 __ATOMIC_RELEASE);
			same(r, "records consumed", op, kn,
			     brc < 0 ? bs->n : brc);
			free(bs);
		}
	}
	if (fail)
		mismatch(r, "a ring buffer program could not run");
	munmap(k.cons, (size_t)page);
	munmap(k.prod, (size_t)page + 2 * k.size);
	pair_free(&p);
}

/* ---- summary ---- */

static int kernel_usable(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	if (fd < 0) {
		printf("skipped: bpf(BPF_MAP_CREATE) failed: %s\n",
		       strerror(-fd));
		return 0;
	}
	close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		test_shared = argv[1];
	if (argc > 2)
		rng_state = strtoull(argv[2], NULL, 0) | 1;
	if (!kernel_usable())
		return 77;
	ncpus = libbpf_num_possible_cpus();
	struct bpftk_map_set_opts so = {.sz = sizeof(so),
					.ncpus = (unsigned)ncpus,
					.prog_by_id = prog_by_id,
					.prog_id = prog_id};
	if (bpftk_map_set_new(&so, &set)) {
		printf("cannot create a map set\n");
		return 1;
	}

	creation_matrix();
	inner_types();

	keyed("hash", BPF_MAP_TYPE_HASH, 4, 8, 64, BPF_F_ZERO_SEED, 4000, 100);
	keyed("hash k6 noprealloc", BPF_MAP_TYPE_HASH, 6, 12, 32,
	      BPF_F_ZERO_SEED | BPF_F_NO_PREALLOC, 4000, 60);
	keyed("hash k16 v3", BPF_MAP_TYPE_HASH, 16, 3, 16, 0, 3000, 30);
	keyed("hash k3 random seed", BPF_MAP_TYPE_HASH, 3, 8, 64, 0, 3000, 90);
	keyed("percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 4, 12, 32,
	      BPF_F_ZERO_SEED, 4000, 50);
	keyed("percpu_hash noprealloc", BPF_MAP_TYPE_PERCPU_HASH, 8, 4, 16,
	      BPF_F_ZERO_SEED | BPF_F_NO_PREALLOC, 3000, 30);
	keyed("lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 8, 2048, BPF_F_ZERO_SEED,
	      4000, 200);
	keyed("lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, 4, 2048,
	      BPF_F_ZERO_SEED, 4000, 200);
	keyed("array", BPF_MAP_TYPE_ARRAY, 4, 12, 32, 0, 3000, 40);
	keyed("array v3", BPF_MAP_TYPE_ARRAY, 4, 3, 5, 0, 2000, 10);
	keyed("percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 5, 16, 0, 3000, 20);
	keyed("lpm_trie /32", BPF_MAP_TYPE_LPM_TRIE, 8, 8, 64,
	      BPF_F_NO_PREALLOC, 6000, 150);
	keyed("lpm_trie /8", BPF_MAP_TYPE_LPM_TRIE, 5, 2, 16,
	      BPF_F_NO_PREALLOC, 3000, 60);
	keyed("lpm_trie /128", BPF_MAP_TYPE_LPM_TRIE, 20, 4, 64,
	      BPF_F_NO_PREALLOC, 4000, 150);
	keyless("queue", BPF_MAP_TYPE_QUEUE, 8, 16, 0, 0, 4000);
	keyless("stack", BPF_MAP_TYPE_STACK, 6, 8, 0, 0, 4000);
	keyless("bloom_filter", BPF_MAP_TYPE_BLOOM_FILTER, 8, 64,
		BPF_F_ZERO_SEED, 3, 3000);
	keyless("bloom_filter v6", BPF_MAP_TYPE_BLOOM_FILTER, 6, 100,
		BPF_F_ZERO_SEED, 0, 3000);
	keyless("bloom_filter v4 k1", BPF_MAP_TYPE_BLOOM_FILTER, 4, 10,
		BPF_F_ZERO_SEED, 1, 3000);
	keyless("ringbuf", BPF_MAP_TYPE_RINGBUF, 0, 4096, 0, 0, 500);

	{
		struct attrs a;
		struct pair p;
		attrs_init(&a, BPF_MAP_TYPE_LRU_HASH, 4, 8, 256,
			   BPF_F_ZERO_SEED);
		if (!create_pair(row("lru_hash overflow"), &a, &p, NULL) && p.m) {
			run_lru_overflow("lru_hash overflow", &p);
			pair_free(&p);
		}
		attrs_init(&a, BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, 8, 256, 0);
		if (!create_pair(row("lru_percpu_hash overflow"), &a, &p,
				 NULL) && p.m) {
			run_lru_overflow("lru_percpu_hash overflow", &p);
			pair_free(&p);
		}
	}

	map_in_map(BPF_MAP_TYPE_ARRAY_OF_MAPS, 0);
	map_in_map(BPF_MAP_TYPE_HASH_OF_MAPS, 0);
	map_in_map(BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_F_INNER_MAP);
	prog_array();
	spin_lock_maps();
	access_flags();
	ringbuf_kernel();

	bpftk_map_set_free(set);
	printf("%-28s %8s %10s\n", "map type", "compared", "mismatches");
	for (int i = 0; i < nstats; i++)
		printf("%-28s %8ld %10ld\n", stats[i].name, stats[i].ops,
		       stats[i].bad);
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
#endif
