/* xdp_tail.c — tail calls: the entry program dispatches on the IP
 * protocol through a prog array filled from BTF `values`; each target
 * counts and decides; a missing slot falls through; one target tail-calls
 * itself until the kernel's limit of 33 stops it. */
#include "pkt.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &k);
	if (v)
		*v += 1;
}

int on_tcp(struct xdp_md *ctx);
int on_udp(struct xdp_md *ctx);
int on_loop(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} jmp SEC(".maps") = {
	.values = {[1] = (void *)&on_tcp, [2] = (void *)&on_udp,
		   [4] = (void *)&on_loop},
};

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct flow f = {};
	hit(0);
	if (parse(data, end, &f) < 0)
		return XDP_ABORTED;
	if (f.l4 == IPPROTO_TCP)
		bpf_tail_call(ctx, &jmp, 1);
	else if (f.l4 == IPPROTO_UDP)
		bpf_tail_call(ctx, &jmp, 2);
	else if (f.l4 == IPPROTO_ICMP)
		bpf_tail_call(ctx, &jmp, 4);
	else
		bpf_tail_call(ctx, &jmp, 3); /* empty slot: falls through */
	hit(3);
	return XDP_PASS;
}

SEC("xdp")
int on_tcp(struct xdp_md *ctx)
{
	hit(1);
	return XDP_DROP;
}

SEC("xdp")
int on_udp(struct xdp_md *ctx)
{
	hit(2);
	return XDP_TX;
}

SEC("xdp")
int on_loop(struct xdp_md *ctx)
{
	hit(4);
	bpf_tail_call(ctx, &jmp, 4);
	hit(5);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
