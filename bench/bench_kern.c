/* bench_kern.c — see bench_kern.h.
 *
 * Why the wrapper: the bench programs take r1 = memory, r2 = length, and
 * no program type's BPF_PROG_TEST_RUN hands a program such a pair (syscall
 * and raw_tracepoint programs get a context, but take no `repeat`; packet
 * types give packet pointers the verifier only lets through behind
 * data_end checks the bench sources do not make).  So the memory goes into
 * the value of a one-element array map, and a 13-instruction sched_cls
 * wrapper looks it up and calls the unchanged bytecode as a bpf-to-bpf
 * subprogram with r1 = the value, r2 = its (constant) size: the verifier
 * then proves every access against the value's size.  sched_cls because
 * tc programs may return any value (the wrapper returns the bench
 * result) and their test run takes `repeat`.  Programs the verifier
 * refuses (data-dependent loops it cannot bound) get no kernel time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_kern.h"

#ifndef BENCH_HAVE_LIBBPF

int bench_kern_probe(char *why, size_t cap)
{
	snprintf(why, cap, "built without libbpf");
	return -1;
}

int bench_kern_mem(const unsigned char *bpf, size_t bpf_len,
		   const unsigned char *mem, size_t mem_len,
		   unsigned long long *r0, double *ns, char *why, size_t cap)
{
	(void)bpf, (void)bpf_len, (void)mem, (void)mem_len, (void)r0, (void)ns;
	return bench_kern_probe(why, cap);
}

int bench_kobj_open(const char *path, const char *prog,
		    struct bench_kobj **out, char *why, size_t cap)
{
	(void)path, (void)prog;
	*out = NULL;
	return bench_kern_probe(why, cap);
}

int bench_kobj_run(struct bench_kobj *k, const void *pkt, size_t len,
		   int repeat, double *ns, unsigned *retval)
{
	(void)k, (void)pkt, (void)len, (void)repeat, (void)ns, (void)retval;
	return -1;
}

int bench_kobj_update(struct bench_kobj *k, const char *map, const void *key,
		      const void *value)
{
	(void)k, (void)map, (void)key, (void)value;
	return -1;
}

void bench_kobj_close(struct bench_kobj *k)
{
	(void)k;
}

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

int bench_kern_probe(char *why, size_t cap)
{
	libbpf_set_print(quiet);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	if (fd < 0) {
		snprintf(why, cap, "bpf() not permitted: %s", strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	struct bpf_insn i;
	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 15;
	i.src_reg = src & 15;
	i.off = off;
	i.imm = imm;
	return i;
}

/* The last non-empty line of a verifier log that is not a statistic. */
static void last_word(const char *log, char *out, size_t cap)
{
	const char *best = NULL, *p = log;
	size_t blen = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && strncmp(p, "processed ", 10) &&
		    strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11)) {
			best = p;
			blen = n;
		}
		p += n + (e ? 1 : 0);
	}
	if (!best)
		snprintf(out, cap, "rejected");
	else
		snprintf(out, cap, "%.*s", (int)(blen < 200 ? blen : 200), best);
}

#define WRAP 13 /* instructions before the bench code */

int bench_kern_mem(const unsigned char *bpf, size_t bpf_len,
		   const unsigned char *mem, size_t mem_len,
		   unsigned long long *r0, double *ns, char *why, size_t cap)
{
	int map = -1, prog = -1, ret = -1;
	size_t n = bpf_len / 8;
	struct bpf_insn *code = calloc(WRAP + n, sizeof(*code));
	char *log = malloc(1 << 20);
	if (!code || !log) {
		snprintf(why, cap, "out of memory");
		goto out;
	}
	map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bench_mem", 4,
			     (uint32_t)mem_len, 1, NULL);
	uint32_t zero = 0;
	if (map < 0 || bpf_map_update_elem(map, &zero, mem, 0)) {
		snprintf(why, cap, "array of %zu bytes: %s", mem_len,
			 strerror(errno));
		goto out;
	}
	code[0] = insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0);
	code[1] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	code[2] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
	code[3] = insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD,
		       0, map);
	code[4] = insn(0, 0, 0, 0, 0);
	code[5] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	code[6] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, 0);
	code[7] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	code[8] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	code[9] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
	code[10] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0,
			(int32_t)mem_len);
	code[11] = insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, WRAP - 12);
	code[12] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	memcpy(code + WRAP, bpf, n * 8); /* wire format = struct bpf_insn */

	struct bpf_prog_load_opts po;
	memset(&po, 0, sizeof(po));
	po.sz = sizeof(po);
	prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "bench", "GPL", code,
			     WRAP + n, &po);
	if (prog < 0) {
		/* again with a log for the reason (a full level-1 log of a
		 * long verification would overflow: ENOSPC) */
		int e = errno;
		po.log_buf = log;
		po.log_size = 1 << 20;
		po.log_level = 1;
		log[0] = '\0';
		int again = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "bench",
					  "GPL", code, WRAP + n, &po);
		if (again >= 0)
			close(again);
		if (getenv("BENCH_KLOG"))
			fprintf(stderr, "%s\n", log);
		if (log[0])
			last_word(log, why, cap);
		else
			snprintf(why, cap, "load: %s", strerror(e));
		goto out;
	}
	/* calibrate: about 20 ms of kernel time per measurement */
	unsigned char pkt[64] = {0};
	struct bpf_test_run_opts t;
	double best = 0;
	int repeat = 1;
	for (int round = 0; round < 8; round++) {
		memset(&t, 0, sizeof(t));
		t.sz = sizeof(t);
		t.data_in = pkt;
		t.data_size_in = sizeof(pkt);
		t.repeat = repeat;
		bpf_map_update_elem(map, &zero, mem, 0);
		if (bpf_prog_test_run_opts(prog, &t)) {
			snprintf(why, cap, "test run: %s", strerror(errno));
			goto out;
		}
		if (round == 0)
			*r0 = t.retval;
		double per = t.duration ? (double)t.duration : 0.5;
		if ((double)repeat * per < 2e7 && repeat < (1 << 24)) {
			repeat = (int)(2e7 / per) + 1;
			continue;
		}
		if (!best || per < best)
			best = per;
	}
	if (!best) {
		snprintf(why, cap, "no stable timing");
		goto out;
	}
	*ns = best;
	ret = 0;
out:
	if (prog >= 0)
		close(prog);
	if (map >= 0)
		close(map);
	free(code);
	free(log);
	return ret;
}

struct bench_kobj {
	struct bpf_object *obj;
	int fd;
};

int bench_kobj_open(const char *path, const char *prog,
		    struct bench_kobj **out, char *why, size_t cap)
{
	*out = NULL;
	libbpf_set_print(quiet);
	struct bench_kobj *k = calloc(1, sizeof(*k));
	if (!k)
		return -1;
	k->obj = bpf_object__open_file(path, NULL);
	if (libbpf_get_error(k->obj)) {
		snprintf(why, cap, "libbpf cannot open %s", path);
		free(k);
		return -1;
	}
	int err = bpf_object__load(k->obj);
	struct bpf_program *p =
		err ? NULL : bpf_object__find_program_by_name(k->obj, prog);
	if (!p) {
		snprintf(why, cap, "load: %s", strerror(err ? -err : ENOENT));
		bpf_object__close(k->obj);
		free(k);
		return -1;
	}
	k->fd = bpf_program__fd(p);
	*out = k;
	return 0;
}

int bench_kobj_run(struct bench_kobj *k, const void *pkt, size_t len,
		   int repeat, double *ns, unsigned *retval)
{
	struct bpf_test_run_opts t;
	unsigned char out[4096];
	memset(&t, 0, sizeof(t));
	t.sz = sizeof(t);
	t.data_in = pkt;
	t.data_size_in = (uint32_t)len;
	t.data_out = out;
	t.data_size_out = sizeof(out);
	t.repeat = repeat;
	if (bpf_prog_test_run_opts(k->fd, &t))
		return -1;
	*ns = (double)t.duration;
	*retval = t.retval;
	return 0;
}

int bench_kobj_update(struct bench_kobj *k, const char *map, const void *key,
		      const void *value)
{
	struct bpf_map *m = bpf_object__find_map_by_name(k->obj, map);
	if (!m)
		return -1;
	return bpf_map_update_elem(bpf_map__fd(m), key, value, BPF_ANY) ? -1
									  : 0;
}

void bench_kobj_close(struct bench_kobj *k)
{
	if (!k)
		return;
	bpf_object__close(k->obj);
	free(k);
}

#endif
