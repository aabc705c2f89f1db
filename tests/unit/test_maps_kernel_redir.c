/* test_maps_kernel_redir.c — devmap, devmap_hash, cpumap, xskmap, perf event
 * array and cgroup array against the live kernel (the oracle), plus what only bpftk can do
 * with them (xsk queues and perf sinks attached from the API).
 *
 * Each map is created in the kernel (libbpf's bpf_map_create) and in
 * bpftk with the same attributes, over a matrix of sizes and flags (the
 * error codes and the map_flags the kernel reports are compared), then a
 * seeded random sequence of update (every flag; ifindexes of real host
 * interfaces and of none; cpumap queue sizes inside and past the limit;
 * for xskmap, perf event and cgroup arrays the fd of a UDP socket, which
 * is not an AF_XDP socket, perf event or cgroup), lookup, delete and get_next_key walks
 * runs against both, and every return code and value is compared.
 *
 * The kernel part skips (printing why) without libbpf or when bpf() is
 * not permitted; the API part always runs.
 */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpftk/maps.h>

#include "test.h"

static struct bpftk_map *mk(struct bpftk_map_set *s, uint32_t type,
			    uint32_t ks, uint32_t vs, uint32_t max,
			    uint32_t flags, int *err)
{
	struct bpftk_map_create_opts o = {.sz = sizeof(o)};
	struct bpftk_map *m = NULL;
	o.type = (enum bpftk_map_type)type;
	o.key_size = ks;
	o.value_size = vs;
	o.max_entries = max;
	o.map_flags = flags;
	*err = bpftk_map_create(s, &o, &m, NULL);
	return m;
}

/* ---- what the API adds ---- */

struct sink_log {
	unsigned n, cpu;
	size_t size;
	unsigned char last[64];
};

static int sink_fn(void *ctx, unsigned cpu, const void *data, size_t size)
{
	struct sink_log *l = ctx;
	l->n++;
	l->cpu = cpu;
	l->size = size;
	memcpy(l->last, data, size < sizeof(l->last) ? size : sizeof(l->last));
	return 0;
}

static void test_api(void)
{
	struct bpftk_map_set *s;
	struct bpftk_map_set_opts so = {.sz = sizeof(so), .ncpus = 4};
	int err;
	uint32_t k = 1, v[2];
	CHECK(bpftk_map_set_new(&so, &s) == 0);

	/* xskmap: queues attached from the API are what programs find */
	struct bpftk_map *x = mk(s, BPFTK_MAP_TYPE_XSKMAP, 4, 4, 4, 0, &err);
	CHECK(x && err == 0);
	CHECK(bpftk_map_redirect_lookup(x, 1, v) == -ENOENT);
	CHECK(bpftk_map_xsk_attach(x, 1, 7) == 0);
	CHECK(bpftk_map_xsk_attach(x, 4, 7) == -E2BIG);
	CHECK(bpftk_map_redirect_lookup(x, 1, v) == 0 && v[0] == 7);
	uint32_t *q = bpftk_map_prog_lookup(x, &k, 0);
	CHECK(q && *q == 7);
	CHECK(bpftk_map_delete_elem(x, &k) == 0);
	CHECK(bpftk_map_prog_lookup(x, &k, 0) == NULL);
	CHECK(bpftk_map_xsk_attach(NULL, 0, 0) == -EINVAL);

	/* devmap: lo (ifindex 1 exists in every network namespace) */
	struct bpftk_map *d = mk(s, BPFTK_MAP_TYPE_DEVMAP, 4, 8, 4, 0, &err);
	CHECK(d && err == 0);
	uint32_t val[2] = {1, 0};
	CHECK(bpftk_map_update_elem(d, &k, val, 0) == 0);
	CHECK(bpftk_map_redirect_lookup(d, 1, v) == 0 && v[0] == 1);
	uint32_t *pv = bpftk_map_prog_lookup(d, &k, 0);
	CHECK(pv && pv[0] == 1 && pv[1] == 0);
	CHECK(bpftk_map_redirect_lookup(d, 2, v) == -ENOENT);
	CHECK(bpftk_map_redirect_lookup(NULL, 0, v) == -EINVAL);
	struct bpftk_map_info info = {.sz = sizeof(info)};
	CHECK(bpftk_map_get_info(d, &info) == 0);
	CHECK(info.map_flags == BPFTK_F_RDONLY_PROG); /* as the kernel adds */
	CHECK_STR(bpftk_map_type_name(BPFTK_MAP_TYPE_DEVMAP_HASH),
		  "devmap_hash");

	/* perf event array: sinks per index, bound to a CPU */
	struct bpftk_map *p =
		mk(s, BPFTK_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0, &err);
	CHECK(p && err == 0);
	struct sink_log log;
	memset(&log, 0, sizeof(log));
	struct bpftk_perf_sink sk = {sink_fn, &log, 2};
	CHECK(bpftk_perf_event_output(p, 2, BPFTK_F_CURRENT_CPU, "ab", 2, NULL,
				      0) == -ENOENT);
	CHECK(bpftk_perf_event_array_attach(p, 2, &sk) == 0);
	CHECK(bpftk_perf_event_array_attach(p, 9, &sk) == -E2BIG);
	CHECK(bpftk_perf_event_output(p, 2, BPFTK_F_CURRENT_CPU, "ab", 2,
				      "cde", 3) == 0);
	CHECK(log.n == 1 && log.cpu == 2 && log.size == 5 &&
	      !memcmp(log.last, "abcde", 5));
	CHECK(bpftk_perf_event_output(p, 1, 2, "ab", 2, NULL, 0) ==
	      -EOPNOTSUPP); /* the event is on CPU 2 */
	CHECK(bpftk_perf_event_output(p, 2, 4, "ab", 2, NULL, 0) == -E2BIG);
	CHECK(bpftk_perf_event_output(p, 2, 1ULL << 32, "ab", 2, NULL, 0) ==
	      -EINVAL);
	CHECK(bpftk_perf_event_output(d, 2, 2, "ab", 2, NULL, 0) == -EINVAL);
	k = 2;
	CHECK(bpftk_map_delete_elem(p, &k) == 0);
	CHECK(bpftk_map_delete_elem(p, &k) == -ENOENT);
	CHECK(log.n == 1);
	bpftk_map_set_free(s);
}

/* ---- the kernel ---- */

#ifdef BPFTK_HAVE_LIBBPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint32_t rn(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static long compared, mismatches;

static void same(const char *what, uint32_t type, long op, int k, int b)
{
	compared++;
	if (k == b)
		return;
	if (++mismatches <= 30)
		printf("MISMATCH %s type %u op %ld: kernel %d, bpftk %d\n", what,
		       type, op, k, b);
}

static int kerr(int r)
{
	return r < 0 ? -errno : r;
}

struct pair {
	uint32_t type, ks, vs, max;
	int fd;
	struct bpftk_map *m;
};

static int pair_new(struct bpftk_map_set *s, struct pair *p, uint32_t type,
		    uint32_t vs, uint32_t max, uint32_t flags)
{
	struct bpf_map_create_opts o;
	int berr;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.map_flags = flags;
	p->type = type;
	p->ks = 4;
	p->vs = vs;
	p->max = max;
	p->fd = bpf_map_create((enum bpf_map_type)type, "t", 4, vs, max, &o);
	int kr = p->fd < 0 ? -errno : 0;
	p->m = mk(s, type, 4, vs, max, flags, &berr);
	same("create", type, (long)flags, kr, berr);
	if (!kr && !berr) {
		struct bpf_map_info ki;
		uint32_t len = sizeof(ki);
		memset(&ki, 0, sizeof(ki));
		struct bpftk_map_info bi = {.sz = sizeof(bi)};
		if (!bpf_obj_get_info_by_fd(p->fd, &ki, &len) &&
		    !bpftk_map_get_info(p->m, &bi))
			same("map_flags", type, (long)flags, (int)ki.map_flags,
			     (int)bi.map_flags);
	}
	return !kr && !berr;
}

static void pair_free(struct pair *p)
{
	if (p->fd >= 0)
		close(p->fd);
	bpftk_map_free(p->m);
	p->fd = -1;
	p->m = NULL;
}

static void creation(struct bpftk_map_set *s)
{
	static const uint32_t types[] = {
		BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH,
		BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP,
		BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_CGROUP_ARRAY};
	static const uint32_t vss[] = {0, 4, 8, 12};
	static const uint32_t maxs[] = {0, 1, 64, 1u << 20};
	static const uint32_t flags[] = {0,
					 BPF_F_NUMA_NODE,
					 BPF_F_RDONLY,
					 BPF_F_WRONLY,
					 BPF_F_RDONLY_PROG,
					 BPF_F_NO_PREALLOC,
					 BPF_F_PRESERVE_ELEMS,
					 BPF_F_MMAPABLE,
					 BPF_F_INNER_MAP};
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (size_t v = 0; v < sizeof(vss) / sizeof(vss[0]); v++)
			for (size_t m = 0; m < sizeof(maxs) / sizeof(maxs[0]);
			     m++)
				for (size_t f = 0;
				     f < sizeof(flags) / sizeof(flags[0]); f++) {
					struct pair p;
					/* big maps only once, plainly */
					if (maxs[m] > 64 && (flags[f] || vss[v] != 4))
						continue;
					pair_new(s, &p, types[t], vss[v],
						 maxs[m], flags[f]);
					pair_free(&p);
				}
}

/* ifindexes: lo, other host interfaces, and some that do not exist */
static uint32_t pick_ifindex(void)
{
	static const uint32_t fixed[] = {0, 1, 2, 3, 77777, 0xffffffffu};
	return fixed[rn(sizeof(fixed) / sizeof(fixed[0]))];
}

static void random_ops(struct pair *p, long n, int sock)
{
	unsigned char kv[8], bv[8];
	for (long op = 0; op < n; op++) {
		uint32_t key = rn(p->max + 2), val[2] = {0, 0}, flags = rn(5);
		int kr, br;
		switch (rn(4)) {
		case 0: /* update */
			if (p->type == BPF_MAP_TYPE_CPUMAP) {
				static const uint32_t qs[] = {0, 1, 64, 16384,
							      16385};
				val[0] = qs[rn(5)];
			} else if (p->type == BPF_MAP_TYPE_XSKMAP ||
				   p->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
				   p->type == BPF_MAP_TYPE_CGROUP_ARRAY) {
				val[0] = (uint32_t)sock;
			} else {
				val[0] = pick_ifindex();
			}
			if (p->vs == 8)
				val[1] = rn(3) ? 0 : 0xffffffffu; /* fd -1 */
			kr = kerr(bpf_map_update_elem(p->fd, &key, val, flags));
			br = bpftk_map_update_elem(p->m, &key, val, flags);
			same("update", p->type, op, kr, br);
			break;
		case 1: /* lookup */
			memset(kv, 0xaa, sizeof(kv));
			memset(bv, 0xaa, sizeof(bv));
			kr = kerr(bpf_map_lookup_elem(p->fd, &key, kv));
			br = bpftk_map_lookup_elem(p->m, &key, bv, 0);
			same("lookup", p->type, op, kr, br);
			if (!kr && !br)
				same("lookup value", p->type, op,
				     memcmp(kv, bv, p->vs) != 0, 0);
			break;
		case 2: /* delete */
			kr = kerr(bpf_map_delete_elem(p->fd, &key));
			br = bpftk_map_delete_elem(p->m, &key);
			same("delete", p->type, op, kr, br);
			break;
		default: { /* a full walk */
			uint32_t kk, bk, *kp = NULL, *bp = NULL;
			uint32_t kcur = 0, bcur = 0;
			for (uint32_t i = 0; i <= p->max + 1; i++) {
				kr = kerr(bpf_map_get_next_key(p->fd, kp, &kk));
				br = bpftk_map_get_next_key(p->m, bp, &bk);
				same("get_next_key", p->type, op, kr, br);
				if (kr || br)
					break;
				same("next key", p->type, op, (int)kk, (int)bk);
				kcur = kk;
				bcur = bk;
				kp = &kcur;
				bp = &bcur;
			}
		}
		}
	}
}

static int kernel_part(void)
{
	struct bpftk_map_set *s;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0) {
		printf("skip: bpf() not permitted (%s): kernel comparison "
		       "not run\n",
		       strerror(errno));
		return 0;
	}
	close(fd);
	CHECK(bpftk_map_set_new(NULL, &s) == 0);
	int sock = socket(AF_INET, SOCK_DGRAM, 0);
	creation(s);
	long before = compared;
	printf("creation: %ld comparisons\n", before);
	static const struct {
		uint32_t type, vs, max;
		long ops;
	} runs[] = {
		{BPF_MAP_TYPE_DEVMAP, 4, 8, 3000},
		{BPF_MAP_TYPE_DEVMAP, 8, 5, 2000},
		{BPF_MAP_TYPE_DEVMAP_HASH, 4, 8, 3000},
		{BPF_MAP_TYPE_DEVMAP_HASH, 8, 3, 2000},
		{BPF_MAP_TYPE_CPUMAP, 4, 4, 300},
		{BPF_MAP_TYPE_CPUMAP, 8, 3, 200},
		{BPF_MAP_TYPE_XSKMAP, 4, 6, 1000},
		{BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 6, 1000},
		{BPF_MAP_TYPE_CGROUP_ARRAY, 4, 6, 1000},
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct pair p;
		long c0 = compared;
		if (!pair_new(s, &p, runs[i].type, runs[i].vs, runs[i].max, 0)) {
			CHECK(0);
			continue;
		}
		random_ops(&p, runs[i].ops, sock);
		printf("%-16s value %u max %u: %ld comparisons\n",
		       bpftk_map_type_name((enum bpftk_map_type)runs[i].type),
		       runs[i].vs, runs[i].max, compared - c0);
		pair_free(&p);
	}
	close(sock);
	bpftk_map_set_free(s);
	printf("kernel: %ld comparisons, %ld mismatches\n", compared,
	       mismatches);
	CHECK(mismatches == 0);
	return 1;
}
#else
static int kernel_part(void)
{
	printf("skip: libbpf not found at build time: kernel comparison "
	       "not run\n");
	return 0;
}
#endif

TEST_MAIN({
	test_api();
	kernel_part();
})
