/* test_filter_alloc.c — the filter compiler under failing allocation: for
 * expressions reaching every part of the compiler (link layers, 802.11
 * prologue, relations, long programs needing jump trampolines, errors) each
 * allocation fails in turn; every compile must end in -ENOMEM (or in its
 * normal result once the failure comes after the last allocation) and
 * leave nothing allocated. */
#include <errno.h>

#include <pcap/pcap.h>

#include <bpftk/filter.h>

#include "test.h"
#include "test_alloc.h"

struct alloc_case {
	const char *expr;
	int dlt;
	unsigned flags;
	int ebpf;
};

static void one(const struct alloc_case *c)
{
	int normal;
	long n_allocs;

	/* the normal outcome and how many allocations it makes */
	bpftk_set_allocator(t_malloc, t_realloc, t_free);
	fail_at = 0;
	calls = 0;
	live = 0;
	{
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_cbpf_insn *p = NULL;
		struct bpftk_insn *e = NULL;
		size_t n = 0;

		normal = c->ebpf ? bpftk_filter_compile_ebpf(c->expr, c->dlt, 65535,
							    0xffffff00u, c->flags,
							    BPFTK_FILTER_EBPF_XDP,
							    &e, &n, d)
				 : bpftk_filter_compile(c->expr, c->dlt, 65535,
							0xffffff00u, c->flags, &p,
							&n, d);
		bpftk_cbpf_free(p);
		bpftk_cbpf_free(e);
		bpftk_diags_free(d);
	}
	n_allocs = calls;
	CHECK(live == 0);
	int bad = 0;
	for (long k = 1; k <= n_allocs + 1; k++) {
		struct bpftk_cbpf_insn *p = NULL;
		struct bpftk_insn *e = NULL;
		size_t n = 0;
		int err;

		fail_at = k;
		calls = 0;
		live = 0;
		/* no diagnostics list: its own allocations would be counted */
		err = c->ebpf ? bpftk_filter_compile_ebpf(c->expr, c->dlt, 65535,
							 0xffffff00u, c->flags,
							 BPFTK_FILTER_EBPF_XDP, &e,
							 &n, NULL)
			      : bpftk_filter_compile(c->expr, c->dlt, 65535,
						     0xffffff00u, c->flags, &p, &n,
						     NULL);
		if (k <= calls && err != -ENOMEM)
			bad++;
		if (k > calls && err != normal)
			bad++;
		if (err && (p || e))
			bad++;
		bpftk_cbpf_free(p);
		bpftk_cbpf_free(e);
		if (live != 0)
			bad++;
	}
	if (bad)
		fprintf(stderr, "alloc: '%s': %d failures over %ld allocations\n",
			c->expr, bad, n_allocs);
	CHECK(bad == 0);
	CHECK(n_allocs > 0);
	bpftk_set_allocator(NULL, NULL, NULL);
}

static void run_all(void)
{
	static char big[8192];
	size_t len = 0;

	/* 300 ports: far jumps through trampolines */
	for (int i = 0; i < 300 && len < sizeof(big) - 32; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%sport %d",
					i ? " or " : "", 1000 + i);
	const struct alloc_case cases[] = {
		{"tcp port 80 and not host 10.0.0.1", DLT_EN10MB, 0, 0},
		{"ip6 net fe80::/10 or vlan 5 and udp", DLT_EN10MB,
		 BPFTK_FILTER_OPTIMIZE, 0},
		{"tcp[tcp[12] >> 4] & 7 = 2 or len - 14 > ip[2:2]", DLT_RAW, 0, 0},
		{"wlan type data and ip and not wlan src 1:2:3:4:5:6",
		 DLT_IEEE802_11_RADIO, 0, 0},
		{"mpls 3 and pppoes 2 and ip", DLT_EN10MB, 0, 0},
		{"tcp port 80 or arp", DLT_EN10MB, 0, 1},
		{big, DLT_EN10MB, 0, 0},
		{"host 1.2.3.4 and (", DLT_EN10MB, 0, 0},
		{"port 99999", DLT_LINUX_SLL, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		one(&cases[i]);
}

TEST_MAIN(run_all())
