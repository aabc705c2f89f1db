/* h_sock.c — the helpers of sock_ops programs that act on the TCP socket
 * behind struct bpf_sock_ops: bpf_setsockopt, bpf_getsockopt,
 * bpf_sock_ops_cb_flags_set.
 *
 * A bpftk run has no socket behind its context.  Each helper answers what
 * the kernel answers for a sock_ops context whose socket is not a full
 * socket (sk_fullsock() false, as for a request socket): -EINVAL, with
 * getsockopt's buffer cleared, as the kernel clears what it did not fill.
 * So a program's error paths run as they would in the kernel.
 *
 * Invariants: r1 must be the run's sock_ops context; memory the program
 * names is checked with bpftk_henv_mem before it is read or written.
 */
#include <errno.h>
#include <string.h>

#include "helpers_int.h"

#define ERR(e) ((uint64_t)(int64_t) - (e))

/* The run's sock_ops context, or NULL after failing the call. */
static struct bpftk_ctx *sock_ops_arg(struct bpftk_vm_call *call,
				      uint64_t r1)
{
	return bpftk_henv_ctx(call, r1, BPFTK_PT_SOCK_OPS, "bpf_sock_ops");
}

/* bpf_setsockopt(ctx, level, optname, optval, optlen): the option is not
 * applied; optval must still be readable, as the verifier demands. */
uint64_t bpftk_h_setsockopt(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5,
			    struct bpftk_vm_call *call)
{
	(void)r2, (void)r3;
	if (!sock_ops_arg(call, r1))
		return 0;
	if (r5 && !bpftk_henv_mem(call, r4, r5, 0, 4))
		return 0;
	return ERR(EINVAL);
}

/* bpf_getsockopt(ctx, level, optname, optval, optlen): nothing is read,
 * so all of optval is cleared. */
uint64_t bpftk_h_getsockopt(uint64_t r1, uint64_t r2, uint64_t r3,
			    uint64_t r4, uint64_t r5,
			    struct bpftk_vm_call *call)
{
	(void)r2, (void)r3;
	if (!sock_ops_arg(call, r1))
		return 0;
	void *buf = r5 ? bpftk_henv_mem(call, r4, r5, 1, 4) : NULL;
	if (r5 && !buf)
		return 0;
	if (buf)
		memset(buf, 0, r5);
	return ERR(EINVAL);
}

/* bpf_sock_ops_cb_flags_set(ctx, flags): there is no tcp_sock to keep
 * the flags in. */
uint64_t bpftk_h_sock_ops_cb_flags_set(uint64_t r1, uint64_t r2,
				       uint64_t r3, uint64_t r4, uint64_t r5,
				       struct bpftk_vm_call *call)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	if (!sock_ops_arg(call, r1))
		return 0;
	return ERR(EINVAL);
}
