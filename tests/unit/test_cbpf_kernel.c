/* test_cbpf_kernel.c — the running Linux kernel as the oracle of the
 * SOCKET and SECCOMP rules and of socket-filter execution:
 *  - random and mutated classic programs attached with setsockopt(
 *    SO_ATTACH_FILTER) (no privilege needed): the kernel accepts exactly
 *    the programs bpftk_cbpf_validate(SOCKET) accepts;
 *  - the same for seccomp(SECCOMP_SET_MODE_FILTER) in a forked child with
 *    no_new_privs (the child reports a rejection by its exit code before
 *    the filter could apply; any other end means it was installed);
 *  - random valid socket programs filter datagrams on an AF_UNIX socket
 *    pair: the kernel delivers a datagram (truncated to the return value)
 *    exactly when bpftk_cbpf_run returns nonzero; half of the programs
 *    read the ancillary fields an AF_UNIX sk_buff has with known values
 *    (all 0: no device, mark, VLAN or hash) and search netlink attributes
 *    in the payload (SKF_AD_NLATTR / NLATTR_NEST), or use SKF_NET_OFF and
 *    SKF_LL_OFF offsets (no link-layer header there).  CPU, random and
 *    payload-offset loads are left out: not reproducible.
 * Prints "skip: ..." and exits 77 where the kernel does not allow it. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpftk/cbpf.h>

#include "test.h"
#include "test_cbpf_util.h"

static int attach(int fd, const struct bpftk_cbpf_insn *p, size_t n)
{
	struct sock_fprog f = {(unsigned short)n, (struct sock_filter *)p};
	if (n > 0xffff)
		return -EINVAL;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &f, sizeof(f))
		       ? -errno
		       : 0;
}

/* Random mutations that break one rule or another. */
static void mutate(struct bpftk_cbpf_insn *p, size_t n)
{
	for (int m = rnd() % 3; m > 0; m--) {
		size_t i = rnd() % n;
		switch (rnd() % 9) {
		case 0: p[i].code = (uint16_t)(rnd() % 256); break;
		case 1: p[i].code = (uint16_t)rnd(); break;
		case 2: p[i].k = rnd_k(); break;
		case 3: p[i].jt = (uint8_t)rnd(); break;
		case 4: p[i].jf = (uint8_t)rnd(); break;
		case 5: p[i].k = BPFTK_SKF_AD_OFF + rnd() % 80; break;
		case 6: p[i].k = rnd() % 20; break;
		case 7: p[i].k = rnd() % 70; break;
		default: p[i].k = 0xffffffff - rnd() % 4; break;
		}
	}
}

static void test_socket_validate(void)
{
	struct bpftk_cbpf_insn p[40];
	unsigned tried = 0, accepted = 0, mismatches = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(fd >= 0);
	for (int iter = 0; fd >= 0 && iter < 30000; iter++) {
		size_t n = 1 + rnd() % 40;
		int ours, kernel;

		rnd_prog(p, n, rnd() % 4 ? BPFTK_CBPF_SOCKET : BPFTK_CBPF_PCAP);
		if (rnd() % 2)
			mutate(p, n);
		ours = bpftk_cbpf_validate(p, n, BPFTK_CBPF_SOCKET, NULL) == 0;
		kernel = attach(fd, p, n) == 0;
		tried++;
		accepted += kernel;
		if (ours != kernel && mismatches++ < 5) {
			char *s = NULL;
			bpftk_cbpf_disasm(p, n, &s);
			fprintf(stderr, "socket: ours %d kernel %d\n%s", ours,
				kernel, s ? s : "");
			bpftk_cbpf_free(s);
		}
	}
	/* lengths */
	{
		static struct bpftk_cbpf_insn big[BPFTK_CBPF_MAXINSNS + 1];
		for (size_t i = 0; i < BPFTK_CBPF_MAXINSNS + 1; i++)
			big[i] = (struct bpftk_cbpf_insn){0x06, 0, 0, 0};
		CHECK(attach(fd, big, BPFTK_CBPF_MAXINSNS) == 0);
		CHECK(bpftk_cbpf_validate(big, BPFTK_CBPF_MAXINSNS,
					  BPFTK_CBPF_SOCKET, NULL) == 0);
		CHECK(attach(fd, big, BPFTK_CBPF_MAXINSNS + 1) == -EINVAL);
		CHECK(bpftk_cbpf_validate(big, BPFTK_CBPF_MAXINSNS + 1,
					  BPFTK_CBPF_SOCKET, NULL) == -EINVAL);
		CHECK(attach(fd, big, 0) == -EINVAL);
	}
	if (fd >= 0)
		close(fd);
	printf("SO_ATTACH_FILTER: %u programs, %u accepted by the kernel, %u "
	       "mismatches with bpftk_cbpf_validate\n", tried, accepted,
	       mismatches);
	CHECK_EQ_U64(mismatches, 0);
	CHECK(accepted > tried / 5 && accepted < tried - tried / 5);
}

/* 1 = the kernel installed the filter, 0 = rejected (EINVAL), -1 other. */
static int seccomp_accepts(const struct bpftk_cbpf_insn *p, size_t n)
{
	struct sock_fprog f = {(unsigned short)n, (struct sock_filter *)p};
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(12);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f))
			_exit(errno == EINVAL ? 10 : 11);
		_exit(0); /* under the new filter: any end will do */
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 10)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) > 10)
		return -1;
	return 1;
}

static void test_seccomp_validate(void)
{
	struct bpftk_cbpf_insn p[24];
	unsigned tried = 0, accepted = 0, mismatches = 0, errors = 0;

	for (int iter = 0; iter < 1500; iter++) {
		size_t n = 1 + rnd() % 24;
		int ours, kernel;

		rnd_prog(p, n, rnd() % 3 ? BPFTK_CBPF_SECCOMP
					 : BPFTK_CBPF_SOCKET);
		if (rnd() % 2)
			mutate(p, n);
		ours = bpftk_cbpf_validate(p, n, BPFTK_CBPF_SECCOMP, NULL) == 0;
		kernel = seccomp_accepts(p, n);
		if (kernel < 0) {
			errors++;
			continue;
		}
		tried++;
		accepted += kernel;
		if (ours != kernel && mismatches++ < 5) {
			char *s = NULL;
			bpftk_cbpf_disasm(p, n, &s);
			fprintf(stderr, "seccomp: ours %d kernel %d\n%s", ours,
				kernel, s ? s : "");
			bpftk_cbpf_free(s);
		}
	}
	printf("seccomp(SET_MODE_FILTER): %u programs, %u accepted by the "
	       "kernel, %u mismatches (%u children failed otherwise)\n",
	       tried, accepted, mismatches, errors);
	CHECK_EQ_U64(errors, 0);
	CHECK_EQ_U64(mismatches, 0);
	CHECK(accepted > tried / 5 && accepted < tried - tried / 5);
}

/* Half of the run programs read sk_buff fields an AF_UNIX datagram has
 * with known values (no device, no mark, no VLAN, no hash: all 0) and
 * search netlink attributes in the payload. */
static void ancillarize(struct bpftk_cbpf_insn *p, size_t n)
{
	static const uint32_t anc[] = {
		BPFTK_SKF_AD_PROTOCOL, BPFTK_SKF_AD_PKTTYPE,
		BPFTK_SKF_AD_IFINDEX,  BPFTK_SKF_AD_NLATTR,
		BPFTK_SKF_AD_NLATTR_NEST, BPFTK_SKF_AD_MARK,
		BPFTK_SKF_AD_QUEUE,    BPFTK_SKF_AD_HATYPE,
		BPFTK_SKF_AD_RXHASH,   BPFTK_SKF_AD_ALU_XOR_X,
		BPFTK_SKF_AD_VLAN_TAG, BPFTK_SKF_AD_VLAN_TAG_PRESENT,
		BPFTK_SKF_AD_VLAN_TPID, BPFTK_SKF_AD_NLATTR,
		BPFTK_SKF_AD_NLATTR_NEST};
	const size_t nanc = sizeof(anc) / sizeof(anc[0]);
	for (size_t i = 0; i < n; i++) {
		const struct bpftk_cbpf_opinfo *info = bpftk_cbpf_info(p[i].code);
		if ((info->flags & BPFTK_CBPF_F_PK) && rnd() % 2) {
			/* ancillary, or SKF_NET_OFF / SKF_LL_OFF + 0..19 */
			size_t r = rnd() % (nanc + 2);
			p[i].k = r < nanc    ? BPFTK_SKF_AD_OFF + anc[r]
				 : r == nanc ? BPFTK_SKF_NET_OFF + rnd() % 20
					     : BPFTK_SKF_LL_OFF + rnd() % 20;
		}
		/* small attribute types and start offsets for NLATTR */
		if (p[i].code == (BPFTK_CBPF_LDX | BPFTK_CBPF_IMM) && rnd() % 2)
			p[i].k = rnd() % 4;
	}
}

/* A payload of netlink attributes (native byte order) now and then. */
static void rnd_payload(uint8_t *pkt, uint32_t len)
{
	uint32_t off = 0;

	rnd_bytes(pkt, len);
	if (rnd() % 2)
		return;
	while (off + 4 <= len) {
		uint16_t alen = (uint16_t)(4 + rnd() % 12), type = rnd() % 4;
		if (rnd() % 8 == 0)
			alen = (uint16_t)rnd();
		memcpy(pkt + off, &alen, 2);
		memcpy(pkt + off + 2, &type, 2);
		off += rnd() % 3 ? 4 : (alen + 3u) & ~3u;
	}
}

static void test_socket_run(void)
{
	/* an AF_UNIX datagram: the network header is the payload's start,
	 * there is no link-layer header, everything else is 0 */
	struct bpftk_cbpf_skb unix_skb = {0};
	unix_skb.no_link_header = 1;
	struct bpftk_cbpf_insn p[32];
	uint8_t pkt[80], buf[128];
	unsigned runs = 0, delivered = 0, mismatches = 0;

	for (int iter = 0; iter < 2000; iter++) {
		int sv[2];
		size_t n;

		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
			CHECK(0);
			return;
		}
		do {
			n = rnd_valid_prog(p, 32, BPFTK_CBPF_SOCKET);
			if (iter % 2)
				ancillarize(p, n);
		} while (bpftk_cbpf_validate(p, n, BPFTK_CBPF_SOCKET, NULL));
		CHECK(attach(sv[1], p, n) == 0);
		for (int k = 0; k < 4; k++) {
			uint32_t len = 1 + rnd() % sizeof(pkt);
			uint32_t ours;
			ssize_t got;

			rnd_payload(pkt, len);
			ours = bpftk_cbpf_run_skb(p, n, BPFTK_CBPF_SOCKET, pkt,
						  len, len, &unix_skb);
			CHECK(send(sv[0], pkt, len, 0) == (ssize_t)len);
			got = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
			runs++;
			delivered += got > 0;
			if ((ours ? got != (ssize_t)(ours < len ? ours : len)
				  : got != -1) &&
			    mismatches++ < 5) {
				char *s = NULL;
				bpftk_cbpf_disasm(p, n, &s);
				fprintf(stderr, "run: ours %u, kernel gave %zd "
						"of %u bytes\n%s",
					ours, got, len, s ? s : "");
				bpftk_cbpf_free(s);
			}
		}
		close(sv[0]);
		close(sv[1]);
	}
	printf("AF_UNIX socket filter: %u datagrams, %u delivered, %u "
	       "mismatches with bpftk_cbpf_run\n", runs, delivered,
	       mismatches);
	CHECK_EQ_U64(mismatches, 0);
	CHECK(delivered > runs / 8);
}

int main(int argc, char **argv)
{
	const struct bpftk_cbpf_insn ok[] = {{0x06, 0, 0, 0xffffffff}};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (argc > 1)
		test_shared = argv[1]; /* (no shared data needed here) */
	if (fd < 0 || attach(fd, ok, 1)) {
		printf("skip: SO_ATTACH_FILTER not permitted here (%s)\n",
		       strerror(errno));
		return 77;
	}
	close(fd);
	test_socket_validate();
	test_socket_run();
	if (seccomp_accepts(ok, 1) != 1) {
		printf("skip (seccomp part): seccomp filters not permitted\n");
	} else {
		test_seccomp_validate();
	}
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
