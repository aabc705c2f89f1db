/* run_misc.c — programs for test_run.c: a socket filter, a kprobe reading
 * its pt_regs, a raw program over memory, an XDP program that reads past
 * the packet without a bounds check (which only a verifier would refuse)
 * and one counting runs in .data. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

__u64 runs = 5;
__u64 seen_di;
__u32 sock_cb;

SEC("socket")
int sock_len(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	sock_cb = skb->cb[0];
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	return skb->len;
}

struct regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx,
		si, di, orig_ax, ip, cs, flags, sp, ss;
};

SEC("kprobe/do_nothing")
int kp(struct regs *ctx)
{
	seen_di = ctx->di;
	return 0;
}

SEC("raw")
int raw_sum(unsigned char *mem, unsigned long len)
{
	unsigned long s = 0;
	for (int i = 0; i < 64 && i < len; i++)
		s += mem[i];
	mem[0] = 0xaa;
	return s;
}

SEC("xdp")
int xdp_oob(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	return data[200];
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	runs++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

static long bad_cb(__u64 i, void *ctx)
{
	return *(volatile __u8 *)(long)(i + 16); /* a null-page read */
}

SEC("xdp")
int xdp_loop_fault(struct xdp_md *ctx)
{
	return bpf_loop(3, bad_cb, 0, 0);
}

SEC("kprobe/x")
int kp_bad_helper(void *ctx)
{
	return bpf_xdp_adjust_head(ctx, 0); /* an XDP helper in a kprobe */
}
