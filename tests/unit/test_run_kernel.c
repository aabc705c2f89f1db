/* test_run_kernel.c — the live kernel as the oracle of test runs.
 *
 * Each C program of tests/data/progs is compiled with clang -target bpf,
 * loaded into Linux with libbpf and run with BPF_PROG_TEST_RUN on a set of
 * packets built here (IPv4/IPv6, TCP/UDP/ICMP/IPIP, ARP, VLAN and QinQ,
 * truncated at every header boundary); the same object runs in bpftk
 * (bpftk_run_new / bpftk_run_test).  Compared: retval, output packet bytes
 * and length, the final contents of every map (iterated on both sides;
 * per-CPU values summed over CPUs, since the kernel ran on one CPU of its
 * choice), and ring buffer records.
 *
 * Skips (exit 77) with the reason when clang, libbpf or bpf() is missing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/run.h>

#include "test.h"

#ifdef BPFTK_HAVE_LIBBPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel_accept.h"

#define MAXPKT 256
struct pkt {
	uint8_t b[MAXPKT];
	uint32_t len;
	const char *what;
};

static struct pkt pkts[128];
static int npkts;

static uint16_t ip_csum(const uint8_t *p, int n)
{
	uint32_t s = 0;
	for (int i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* eth [vlans] l3 l4 payload; l3: 4 or 6 or 0 (ARP); l4: IPPROTO_* */
static struct pkt *build(const char *what, int vlans, int l3, int l4,
			 uint32_t daddr, uint16_t dport, int payload)
{
	struct pkt *p = &pkts[npkts++];
	memset(p, 0, sizeof(*p));
	p->what = what;
	uint8_t *b = p->b;
	int o = 0;
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 1},
			     src[6] = {0x02, 0, 0, 0, 0, 2};
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	o = 12;
	for (int i = 0; i < vlans; i++) {
		b[o] = i == 0 && vlans == 2 ? 0x88 : 0x81;
		b[o + 1] = i == 0 && vlans == 2 ? 0xa8 : 0x00;
		b[o + 2] = 0;
		b[o + 3] = (uint8_t)(10 + i);
		o += 4;
	}
	int l4len = l4 == 6 ? 20 : l4 == 17 ? 8 : l4 == 1 ? 8 : 0;
	if (l3 == 4) {
		b[o++] = 0x08;
		b[o++] = 0x00;
		uint8_t *ip = b + o;
		int tot = 20 + l4len + payload;
		if (l4 == 4) /* IPIP: an inner IPv4/UDP header */
			tot = 20 + 20 + 8 + payload;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[8] = 64;
		ip[9] = (uint8_t)l4;
		ip[12] = 10, ip[13] = 0, ip[14] = 0, ip[15] = 1;
		ip[16] = (uint8_t)(daddr >> 24), ip[17] = (uint8_t)(daddr >> 16);
		ip[18] = (uint8_t)(daddr >> 8), ip[19] = (uint8_t)daddr;
		uint16_t c = ip_csum(ip, 20);
		ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
		o += 20;
		if (l4 == 4) {
			memcpy(b + o, ip, 20);
			b[o + 9] = 17;
			b[o + 2] = 0, b[o + 3] = (uint8_t)(28 + payload);
			o += 20;
			l4 = 17;
			l4len = 8;
		}
	} else if (l3 == 6) {
		b[o++] = 0x86;
		b[o++] = 0xdd;
		uint8_t *ip6 = b + o;
		ip6[0] = 0x60;
		ip6[4] = 0, ip6[5] = (uint8_t)(l4len + payload);
		ip6[6] = (uint8_t)l4;
		ip6[7] = 64;
		ip6[8] = 0x20, ip6[9] = 0x01, ip6[23] = 1;
		ip6[24] = 0x20, ip6[25] = 0x01, ip6[39] = (uint8_t)daddr;
		o += 40;
	} else {
		b[o++] = 0x08;
		b[o++] = 0x06; /* ARP */
		for (int i = 0; i < 28; i++)
			b[o++] = (uint8_t)i;
		p->len = (uint32_t)o;
		return p;
	}
	if (l4 == 6 || l4 == 17) {
		b[o] = 0x30, b[o + 1] = 0x39; /* 12345 */
		b[o + 2] = (uint8_t)(dport >> 8), b[o + 3] = (uint8_t)dport;
		if (l4 == 17) {
			b[o + 4] = 0, b[o + 5] = (uint8_t)(8 + payload);
			b[o + 6] = 0x12, b[o + 7] = 0x34; /* some checksum */
		} else {
			b[o + 12] = 0x50;
		}
	} else if (l4 == 1) {
		b[o] = 8;
	}
	o += l4len;
	for (int i = 0; i < payload; i++)
		b[o++] = (uint8_t)(i * 7 + 1);
	p->len = (uint32_t)o;
	return p;
}

static void build_all(void)
{
	build("ipv4 tcp", 0, 4, 6, 0x0a000105, 80, 20);
	build("ipv4 tcp long", 0, 4, 6, 0x0a000105, 443, 120);
	build("ipv4 udp", 0, 4, 17, 0x0a000205, 53, 12);
	build("ipv4 udp blocked", 0, 4, 17, 0x0a000107, 53, 12);
	build("ipv4 udp port 9", 0, 4, 17, 0x0a000305, 9, 4);
	build("ipv4 udp csum 0", 0, 4, 17, 0x0a000305, 1000, 4)->b[40] = 0;
	pkts[npkts - 1].b[41] = 0;
	build("ipv4 icmp", 0, 4, 1, 0x0a000305, 0, 16);
	build("ipv4 ipip", 0, 4, 4, 0x0a000405, 0, 8);
	build("ipv6 tcp", 0, 6, 6, 5, 22, 10);
	build("ipv6 udp", 0, 6, 17, 6, 9, 10);
	build("vlan ipv4 udp", 1, 4, 17, 0x0a000505, 1234, 6);
	build("qinq ipv4 tcp", 2, 4, 6, 0x0a000505, 80, 6);
	build("vlan ipv6 tcp", 1, 6, 6, 7, 80, 0);
	build("arp", 0, 0, 0, 0, 0, 0);
	build("ipv4 tcp big", 0, 4, 6, 0x0a000105, 80, 200);
	/* truncations of a VLAN IPv4 TCP packet at header boundaries */
	static const uint32_t cuts[] = {14, 17, 18, 20, 37, 38, 45, 57, 58};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct pkt *p = build("truncated", 1, 4, 6, 0x0a000105, 80, 0);
		p->len = cuts[i];
	}
}

struct ring_rec {
	uint8_t b[64];
	size_t n;
};
static struct ring_rec krecs[64], urecs[64];
static int nkrec, nurec;

static int on_krec(void *ctx, void *data, size_t n)
{
	(void)ctx;
	if (nkrec < 64) {
		memcpy(krecs[nkrec].b, data, n < 64 ? n : 64);
		krecs[nkrec++].n = n;
	}
	return 0;
}

static int on_urec(void *ctx, void *data, size_t n)
{
	(void)ctx;
	if (nurec < 64) {
		memcpy(urecs[nurec].b, data, n < 64 ? n : 64);
		urecs[nurec++].n = n;
	}
	return 0;
}

static int compile(const char *name, char *out, size_t cap)
{
	char cmd[2048];
	snprintf(out, cap, "/tmp/bpftk_run_kernel_%d_%s.o", (int)getpid(),
		 name);
	snprintf(cmd, sizeof(cmd),
		 "clang -target bpf -O2 -g -Wall -I/usr/include/$(uname -m)-linux-gnu "
		 "-Itests/data/progs -c tests/data/progs/%s.c -o %s",
		 name, out);
	return system(cmd);
}

static uint64_t sum_words(const uint8_t *v, size_t vs, unsigned ncpus,
			  size_t word)
{
	size_t stride = (vs + 7) & ~(size_t)7;
	uint64_t s = 0;
	for (unsigned c = 0; c < ncpus; c++) {
		uint64_t w = 0;
		memcpy(&w, v + c * stride + word * 8,
		       vs - word * 8 < 8 ? vs - word * 8 : 8);
		s += w;
	}
	return s;
}

static int is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int maps_checked, keys_checked;

static void compare_maps(struct bpf_object *ko, struct bpftk_run *r,
			 const struct bpftk_object *o, const char *prog)
{
	struct bpf_map *km;
	size_t i = 0;
	unsigned ncpus = bpftk_map_set_ncpus(bpftk_run_maps(r));
	bpf_object__for_each_map(km, ko)
	{
		const struct bpftk_object_map *om = bpftk_object_map_at(o, i++);
		uint32_t t = bpf_map__type(km);
		if (!om || t == BPF_MAP_TYPE_RINGBUF ||
		    t == BPF_MAP_TYPE_PROG_ARRAY)
			continue;
		struct bpftk_map *um = bpftk_run_map(r, bpftk_object_map_name(om));
		CHECK(um != NULL);
		if (!um)
			continue;
		int fd = bpf_map__fd(km);
		size_t ks = bpf_map__key_size(km), vs = bpf_map__value_size(km);
		size_t uvs = is_percpu(t) ? ((vs + 7) & ~(size_t)7) * ncpus : vs;
		uint8_t key[64], next[64], kv[8192], uv[8192];
		int kcount = 0, ucount = 0, first = 1;
		while (!bpf_map_get_next_key(fd, first ? NULL : key, next)) {
			first = 0;
			memcpy(key, next, ks);
			kcount++;
			if (bpf_map_lookup_elem(fd, key, kv))
				continue;
			int uerr = bpftk_map_lookup_elem(um, key, uv, 0);
			if (uerr) {
				fprintf(stderr, "%s: map %s: key missing in bpftk\n",
					prog, bpf_map__name(km));
				CHECK(uerr == 0);
				continue;
			}
			keys_checked++;
			if (is_percpu(t)) {
				for (size_t w = 0; w * 8 < vs; w++) {
					uint64_t a = sum_words(kv, vs, ncpus, w),
						 b = sum_words(uv, vs, ncpus, w);
					if (a != b)
						fprintf(stderr,
							"%s: map %s word %zu: "
							"kernel %llu bpftk %llu\n",
							prog, bpf_map__name(km), w,
							(unsigned long long)a,
							(unsigned long long)b);
					CHECK_EQ_U64(a, b);
				}
			} else {
				int same = !memcmp(kv, uv, uvs);
				if (!same) {
					fprintf(stderr,
						"%s: map %s: values differ at key",
						prog, bpf_map__name(km));
					for (size_t j = 0; j < ks; j++)
						fprintf(stderr, " %02x", key[j]);
					fprintf(stderr, ":\n  kernel");
					for (size_t j = 0; j < uvs && j < 32; j++)
						fprintf(stderr, " %02x", kv[j]);
					fprintf(stderr, "\n  bpftk ");
					for (size_t j = 0; j < uvs && j < 32; j++)
						fprintf(stderr, " %02x", uv[j]);
					fprintf(stderr, "\n");
				}
				CHECK(same);
			}
		}
		first = 1;
		while (!bpftk_map_get_next_key(um, first ? NULL : key, next)) {
			first = 0;
			memcpy(key, next, ks);
			ucount++;
		}
		if (kcount != ucount)
			fprintf(stderr, "%s: map %s: kernel %d keys, bpftk %d\n",
				prog, bpf_map__name(km), kcount, ucount);
		CHECK_EQ_U64(kcount, ucount);
		maps_checked++;
	}
}

static int runs_compared, bytes_compared, programs_skipped;

/* The verifier's log of the program compared: libbpf loads it without a
 * log and, when that fails, once more with one into this buffer. */
static char klog[1 << 16];

/* Runs every packet through the kernel and bpftk; returns -1 to skip. */
static int diff_prog(const char *file, const char *prog, int setup_lpm,
		     int only)
{
	char obj[512];
	if (compile(file, obj, sizeof(obj))) {
		fprintf(stderr, "clang failed on %s\n", file);
		CHECK(0);
		return 0;
	}
	struct bpf_object *ko = bpf_object__open_file(obj, NULL);
	CHECK(ko != NULL);
	if (!ko)
		return 0;
	struct bpf_program *bp;
	klog[0] = '\0';
	bpf_object__for_each_program(bp, ko) {
		/* with `only`, the object's other programs cannot load as
		 * they are */
		if (only)
			bpf_program__set_autoload(
				bp, !strcmp(bpf_program__name(bp), prog));
		if (!strcmp(bpf_program__name(bp), prog)) {
			bpf_program__set_log_buf(bp, klog, sizeof(klog));
		}
	}
	if (bpf_object__load(ko)) {
		int e = errno;
		char why[256];
		kacc_reason(klog, why, sizeof(why));
		bpf_object__close(ko);
		unlink(obj);
		if (e == EPERM || e == ENOSYS)
			return -1;
		if (!kacc_safety_reason(why)) {
			/* a kernel built without what the program asks for
			 * (a helper for the type, ...) cannot judge it */
			printf("skipped %s: this kernel lacks a feature it "
			       "uses: %s\n",
			       prog, why);
			programs_skipped++;
			return 0;
		}
		fprintf(stderr, "%s: the kernel refused the object (%s): %s\n",
			file, strerror(e), why[0] ? why : "no verifier log");
		CHECK(0);
		return 0;
	}
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_object *o = NULL;
	int err = bpftk_object_open_file(obj, NULL, &o, d);
	CHECK(err == 0);
	struct bpftk_run *r = NULL;
	struct bpftk_run_opts ro = {.sz = sizeof(ro), .prog_name = prog};
	if (!err)
		err = bpftk_run_new(o, &ro, &r, d);
	/* the kernel accepted it: verified, it runs unchecked; where bpftk's
	 * verifier does not follow yet (counted in test_verifier_corpus), it
	 * is compared unverified, in checked mode */
	if (err == -EACCES || err == -E2BIG) {
		fprintf(stderr, "%s %s: bpftk's verifier rejects what the kernel "
				"accepts; running it unverified\n",
			file, prog);
		bpftk_diags_clear(d);
		ro.flags = BPFTK_RUN_NO_VERIFY;
		err = bpftk_run_new(o, &ro, &r, d);
	}
	CHECK(err == 0);
	for (size_t i = 0; i < bpftk_diags_count(d); i++) {
		char line[512];
		bpftk_diag_format(bpftk_diags_get(d, i), line, sizeof(line));
		fprintf(stderr, "%s: %s\n", file, line);
	}
	if (err)
		goto out;
	if (setup_lpm) {
		struct {
			uint32_t plen;
			uint8_t addr[4];
		} k = {24, {10, 0, 1, 0}};
		uint32_t v = 0;
		struct bpf_map *lm =
			bpf_object__find_map_by_name(ko, "blocked");
		CHECK(!bpf_map_update_elem(bpf_map__fd(lm), &k, &v, 0));
		CHECK(!bpftk_map_update_elem(bpftk_run_map(r, "blocked"), &k,
					     &v, 0));
	}
	struct bpf_program *kp = bpf_object__find_program_by_name(ko, prog);
	int pfd = bpf_program__fd(kp);
	struct bpf_map *rbm = NULL, *m;
	bpf_object__for_each_map(m, ko) if (bpf_map__type(m) ==
					     BPF_MAP_TYPE_RINGBUF) rbm = m;
	struct ring_buffer *rb =
		rbm ? ring_buffer__new(bpf_map__fd(rbm), on_krec, NULL, NULL)
		    : NULL;
	nkrec = nurec = 0;
	for (int i = 0; i < npkts; i++) {
		uint8_t kout[4096], uout[4096];
		struct bpf_test_run_opts kt;
		memset(&kt, 0, sizeof(kt));
		kt.sz = sizeof(kt);
		kt.data_in = pkts[i].b;
		kt.data_size_in = pkts[i].len;
		kt.data_out = kout;
		kt.data_size_out = sizeof(kout);
		kt.repeat = 1;
		int kerr = bpf_prog_test_run_opts(pfd, &kt);
		struct bpftk_test_run_opts ut = {.sz = sizeof(ut)};
		ut.data_in = pkts[i].b;
		ut.data_size_in = pkts[i].len;
		ut.data_out = uout;
		ut.data_size_out = sizeof(uout);
		bpftk_diags_clear(d);
		int uerr = bpftk_run_test(r, &ut, d);
		if ((kerr != 0) != (uerr != 0)) {
			fprintf(stderr, "%s [%s, %u bytes]: kernel %d, bpftk %d\n",
				file, pkts[i].what, pkts[i].len, kerr, uerr);
			for (size_t j = 0; j < bpftk_diags_count(d); j++) {
				char line[512];
				bpftk_diag_format(bpftk_diags_get(d, j), line,
						  sizeof(line));
				fprintf(stderr, "  %s\n", line);
			}
		}
		CHECK((kerr != 0) == (uerr != 0));
		if (kerr || uerr)
			continue;
		runs_compared++;
		if (kt.retval != ut.retval)
			fprintf(stderr, "%s [%s, %u bytes]: retval kernel %u bpftk %u\n",
				file, pkts[i].what, pkts[i].len, kt.retval,
				ut.retval);
		CHECK_EQ_U64(kt.retval, ut.retval);
		int same = kt.data_size_out == ut.data_size_out &&
			   !memcmp(kout, uout, kt.data_size_out);
		if (!same) {
			fprintf(stderr, "%s [%s, %u bytes]: packet out: kernel %u bytes, bpftk %u\n",
				file, pkts[i].what, pkts[i].len,
				kt.data_size_out, ut.data_size_out);
			for (uint32_t j = 0; j < kt.data_size_out && j < 80; j++)
				fprintf(stderr, "%02x%s", kout[j],
					j + 1 < kt.data_size_out && j < 79 ? "" : "\n");
			for (uint32_t j = 0; j < ut.data_size_out && j < 80; j++)
				fprintf(stderr, "%02x%s", uout[j],
					j + 1 < ut.data_size_out && j < 79 ? "" : "\n");
		} else {
			bytes_compared += (int)kt.data_size_out;
		}
		CHECK(same);
		if (rb)
			ring_buffer__consume(rb);
		if (rbm)
			bpftk_ringbuf_consume(
				bpftk_run_map(r, bpf_map__name(rbm)), on_urec,
				NULL);
	}
	if (rbm) {
		CHECK_EQ_U64(nkrec, nurec);
		for (int i = 0; i < nkrec && i < nurec; i++)
			CHECK(krecs[i].n == urecs[i].n &&
			      !memcmp(krecs[i].b, urecs[i].b, krecs[i].n));
	}
	compare_maps(ko, r, o, prog);
	ring_buffer__free(rb);
out:
	bpftk_run_free(r);
	bpftk_object_close(o);
	bpftk_diags_free(d);
	bpf_object__close(ko);
	unlink(obj);
	return 0;
}

static int run_all(void)
{
	if (system("clang --version >/dev/null 2>&1")) {
		printf("skipped: clang not found\n");
		return 77;
	}
	libbpf_set_print(NULL);
	build_all();
	static const struct {
		const char *file, *prog;
		int lpm, only;
	} progs[] = {{"xdp_parse", "xdp_parse", 1, 0},
		     {"xdp_encap", "xdp_encap", 0, 1},
		     {"xdp_encap", "xdp_meta", 0, 1},
		     {"xdp_tail", "entry", 0, 0},
		     {"tc_rewrite", "tc_rewrite", 0, 0},
		     {"helpers", "t_csum", 0, 1},
		     {"helpers", "t_meta", 0, 1}};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (diff_prog(progs[i].file, progs[i].prog, progs[i].lpm,
			      progs[i].only) < 0) {
			printf("skipped: bpf() not permitted here\n");
			return 77;
		}
	printf("%d runs compared (%d output bytes), %d maps / %d keys "
	       "compared, %d programs skipped\n",
	       runs_compared, bytes_compared, maps_checked, keys_checked,
	       programs_skipped);
	return -1;
}

TEST_MAIN({
	int rc = run_all();
	if (rc >= 0)
		return rc;
})
#else
TEST_MAIN({
	printf("skipped: built without libbpf\n");
	return 77;
})
#endif
