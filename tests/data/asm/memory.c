/* memory.c — loads and stores of every size, stack, 64-bit constants,
 * byte swaps and atomics, in program sections of their own.
 * cpus: v1 v2 v3 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

struct hdr {
	u8 a;
	u8 b;
	u16 len;
	u32 seq;
	u64 cookie;
};

__attribute__((section("xdp"))) int parse(struct hdr *h)
{
	volatile u64 buf[4];
	buf[0] = h->cookie;
	buf[1] = __builtin_bswap64(h->cookie);
	buf[2] = __builtin_bswap32(h->seq);
	buf[3] = __builtin_bswap16(h->len);
	h->a = (u8)(buf[0] + buf[2]);
	h->b = 0x7f;
	h->len = (u16)buf[3];
	h->seq = 0x89abcdef;
	__sync_fetch_and_add(&h->cookie, 5);
	__sync_fetch_and_add(&h->seq, 1);
	if (h->cookie == 0x123456789abcdefull)
		return 1;
	return (int)(buf[1] & 0xffff) - 2;
}

__attribute__((section("socket"))) int neg(long *p)
{
	long x = *p;
	x = -x;
	*p = x >> 5;
	return (int)(x >> 60);
}

char _license[] __attribute__((section("license"))) = "Dual BSD/GPL";
