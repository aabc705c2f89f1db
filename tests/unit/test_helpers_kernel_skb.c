/* test_helpers_kernel_skb.c — the skb helpers that change a packet's shape
 * or metadata (bpf_skb_vlan_push/pop, skb_change_proto, skb_change_tail,
 * skb_get_tunnel_key, skb_set_tunnel_key, fib_lookup's argument checks)
 * against the live kernel, the oracle.
 *
 * One tc program (written below, built with clang -target bpf) picks an
 * operation by the packet's first byte, performs it, and writes what the
 * program can observe afterwards into skb->cb[]: the helper's result,
 * vlan_present, vlan_tci, protocol and len.  Every operation runs over a
 * set of packets (IPv4, IPv6, one VLAN tag, two tags, ARP, a 20-byte one)
 * in the kernel (BPF_PROG_TEST_RUN) and in bpftk (bpftk_run_test); return
 * value, cb[] (from ctx_out) and the output packet must be equal.
 *
 * Not compared: growing with skb_change_tail (bpftk's test-run skbs have
 * no tailroom, the kernel reallocates) and 14-byte packets (the kernel's
 * test run refuses tc packets of 14 and 20 bytes with -EINVAL, bpftk runs
 * them; 34 bytes run in both).
 *
 * Skips (exit 77, "skip: ...") without clang, libbpf, or bpf().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpftk/object.h>
#include <bpftk/run.h>

#include "test.h"

#ifndef BPFTK_HAVE_LIBBPF
int main(void)
{
	printf("skip: libbpf not found at build time\n");
	return 77;
}
#else
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "test_helpers_kprog.h"
#include "test_helpers_kdiff.h"

static const char prog_src[] =
	"#include <linux/bpf.h>\n"
	"#include <linux/types.h>\n"
	"#define SEC(n) __attribute__((section(n), used))\n"
	"static long (*vlan_push)(void *, __u16, __u16) = (void *)18;\n"
	"static long (*vlan_pop)(void *) = (void *)19;\n"
	"static long (*get_tk)(void *, void *, __u32, __u64) = (void *)20;\n"
	"static long (*set_tk)(void *, void *, __u32, __u64) = (void *)21;\n"
	"static long (*change_proto)(void *, __u16, __u64) = (void *)31;\n"
	"static long (*change_tail)(void *, __u32, __u64) = (void *)38;\n"
	"static long (*fib)(void *, void *, int, __u32) = (void *)69;\n"
	"SEC(\"tc\") int skbops(struct __sk_buff *skb)\n"
	"{\n"
	"	unsigned char *d = (void *)(long)skb->data;\n"
	"	if (d + 1 > (unsigned char *)(long)skb->data_end)\n"
	"		return 1;\n"
	"	unsigned op = d[0];\n"
	"	long r = -1;\n"
	"	struct bpf_tunnel_key tk = {};\n"
	"	struct bpf_fib_lookup fl = {};\n"
	"	switch (op) {\n"
	"	case 0: r = vlan_push(skb, __builtin_bswap16(0x8100), 42); break;\n"
	"	case 1: vlan_push(skb, __builtin_bswap16(0x88a8), 7);\n"
	"		r = vlan_push(skb, __builtin_bswap16(0x8100), 4095); break;\n"
	"	case 2: r = vlan_pop(skb); break;\n"
	"	case 3: vlan_push(skb, __builtin_bswap16(0x1234), 5);\n"
	"		r = vlan_pop(skb); break;\n"
	"	case 4: r = change_proto(skb, __builtin_bswap16(0x86dd), 0); break;\n"
	"	case 5: r = change_proto(skb, __builtin_bswap16(0x0800), 0); break;\n"
	"	case 6: r = change_proto(skb, __builtin_bswap16(0x0800), 1); break;\n"
	"	case 7: r = change_tail(skb, skb->len - 1, 0); break;\n"
	"	case 8: r = change_tail(skb, 20, 0); break;\n"
	"	case 9: r = change_tail(skb, 4, 0); break;\n"
	"	case 10: r = get_tk(skb, &tk, sizeof(tk), 0) + tk.tunnel_id; break;\n"
	"	case 11: r = set_tk(skb, &tk, sizeof(tk), 0); break;\n"
	"	case 12: r = set_tk(skb, &tk, 20, 0); break;\n"
	"	case 13: r = set_tk(skb, &tk, sizeof(tk), 1u << 9); break;\n"
	"	case 14: fl.family = 7; r = fib(skb, &fl, sizeof(fl), 0); break;\n"
	"	case 15: fl.family = 2; r = fib(skb, &fl, sizeof(fl), 1u << 12);\n"
	"		break;\n"
	"	case 16: vlan_pop(skb); r = vlan_pop(skb); break;\n"
	"	}\n"
	"	skb->cb[0] = (__u32)r;\n"
	"	skb->cb[1] = skb->vlan_present;\n"
	"	skb->cb[2] = skb->vlan_tci;\n"
	"	skb->cb[3] = skb->protocol;\n"
	"	skb->cb[4] = skb->len;\n"
	"	return 0;\n"
	"}\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

#define NOPS 17
#define CB_OFF 48 /* offsetof(struct __sk_buff, cb) */

struct packet {
	const char *name;
	unsigned char b[128];
	uint32_t len;
};

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Ethernet (MACs 00.. and 11..), then the given ethertypes/tags, then
 * payload bytes 0x40.. up to len. */
static struct packet mkpkt(const char *name, const unsigned *types,
			   size_t ntypes, uint32_t len)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.len = len;
	for (uint32_t i = 0; i < len; i++)
		p.b[i] = (unsigned char)(0x40 + i);
	memset(p.b, 0, 6);
	memset(p.b + 6, 0x11, 6);
	size_t off = 12;
	for (size_t i = 0; i < ntypes && off + 2 <= len; i++) {
		put16(p.b + off, types[i]);
		off += (types[i] == 0x8100 || types[i] == 0x88a8) ? 4 : 2;
	}
	if (off < len && len >= 34 && types[ntypes - 1] == 0x0800)
		p.b[off] = 0x45;
	if (off < len && len >= 54 && types[ntypes - 1] == 0x86dd)
		p.b[off] = 0x60;
	return p;
}

static long compared, differ;

static void cmp(const char *what, int op, const char *pkt, long k, long b)
{
	compared++;
	if (k == b)
		return;
	differ++;
	if (differ <= 30)
		printf("DIFF op %d %s: %s kernel %ld (%#lx), bpftk %ld (%#lx)\n",
		       op, pkt, what, k, (unsigned long)k, b, (unsigned long)b);
}

static void run(void)
{
	struct kprog kp;
	if (kprog_build(&kp, prog_src))
		return;
	const char *obj = kp.obj;

	/* kernel */
	struct bpf_object *ko = bpf_object__open_file(obj, NULL);
	CHECK(!libbpf_get_error(ko) && bpf_object__load(ko) == 0);
	int kfd = bpf_program__fd(bpf_object__find_program_by_name(ko, "skbops"));
	/* bpftk */
	struct bpftk_object *o = NULL;
	struct bpftk_run *r = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	kdiff_bpftk_open(obj, NULL, &o, &r, d);
	if (!r || kfd < 0) {
		bpf_object__close(ko);
		bpftk_object_close(o);
		bpftk_diags_free(d);
		kprog_clean(&kp);
		return;
	}

	static const unsigned t4[] = {0x0800}, t6[] = {0x86dd},
			      tv[] = {0x8100, 0x0800},
			      tqq[] = {0x88a8, 0x8100, 0x86dd}, tx[] = {0x0806};
	struct packet pk[] = {
		mkpkt("ipv4", t4, 1, 60),   mkpkt("ipv6", t6, 1, 74),
		mkpkt("vlan", tv, 2, 64),   mkpkt("qinq", tqq, 3, 90),
		mkpkt("arp", tx, 1, 42),    mkpkt("short", tx, 1, 34),
	};
	for (int op = 0; op < NOPS; op++)
		for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
			unsigned char in[128], kout[256], bout[256];
			unsigned char kctx[192], bctx[192];
			memcpy(in, pk[i].b, pk[i].len);
			in[0] = (unsigned char)op;
			memset(kctx, 0, sizeof(kctx));
			memset(bctx, 0, sizeof(bctx));
			memset(kout, 0, sizeof(kout));
			memset(bout, 0, sizeof(bout));
			struct bpf_test_run_opts kt;
			memset(&kt, 0, sizeof(kt));
			kt.data_out = kout;
			kt.data_size_out = sizeof(kout);
			kt.ctx_out = kctx;
			kt.ctx_size_out = sizeof(struct __sk_buff);
			struct bpftk_test_run_opts bt;
			memset(&bt, 0, sizeof(bt));
			bt.data_out = bout;
			bt.data_size_out = sizeof(bout);
			bt.ctx_out = bctx;
			bt.ctx_size_out = sizeof(struct __sk_buff);
			int be, ke = kdiff_test_run(kfd, r, d, in, pk[i].len,
						    &kt, &bt, &be);
			cmp("run error", op, pk[i].name, ke, be);
			if (ke || be)
				continue;
			cmp("retval", op, pk[i].name, kt.retval, bt.retval);
			static const char *const cbn[5] = {
				"helper result", "vlan_present", "vlan_tci",
				"protocol", "len"};
			for (int c = 0; c < 5; c++) {
				uint32_t kv, bv;
				memcpy(&kv, kctx + CB_OFF + 4 * c, 4);
				memcpy(&bv, bctx + CB_OFF + 4 * c, 4);
				cmp(cbn[c], op, pk[i].name, (int32_t)kv,
				    (int32_t)bv);
			}
			cmp("data_out size", op, pk[i].name, kt.data_size_out,
			    bt.data_size_out);
			if (kt.data_size_out == bt.data_size_out)
				cmp("data_out bytes", op, pk[i].name,
				    memcmp(kout, bout, kt.data_size_out) != 0, 0);
		}
	printf("skb helpers: %d operations x %zu packets, %ld comparisons, "
	       "%ld differences\n",
	       NOPS, sizeof(pk) / sizeof(pk[0]), compared, differ);
	CHECK(differ == 0);
	bpftk_run_free(r);
	bpftk_object_close(o);
	bpftk_diags_free(d);
	bpf_object__close(ko);
	kprog_clean(&kp);
}

TEST_MAIN(run())
#endif
