/* kernel_accept.h — the live kernel's verdict on one program of an object,
 * for tests and benchmarks that use Linux's verifier as the oracle.
 *
 *     struct kacc_result k;
 *     kacc_load("x.o", "prog_name", BPF_PROG_TYPE_XDP, -1, &k);
 *     k.verdict: KACC_ACCEPTED, KACC_REJECTED or KACC_UNLOADABLE
 *
 * The object is opened with libbpf, every other program has autoload off,
 * the program gets `type` (and `attach`, when >= 0) only where libbpf found
 * no type in its section name, and bpf_object__load runs with a stats-only
 * log (log_level 4), which gives the kernel's "verification time N usec"
 * and "processed N insns" without the size of a full log.  A rejected
 * program is opened and loaded once more with log_level 1 and a large
 * buffer for the tail of the kernel's explanation.
 *
 * KACC_UNLOADABLE means the kernel never judged the program: libbpf could
 * not open the object (legacy "maps" sections are gone from libbpf 1.x),
 * a map could not be created, or the load failed with an empty verifier
 * log (attach target missing, ...).  KACC_REJECTED means the verifier
 * said no; kacc_safety_reason() tells a broken safety rule from a missing
 * kernel feature (unknown helper for the type, unsupported BTF, ...).
 *
 * Header-only (static inline): the tests that include it are single files.
 * Needs <bpf/libbpf.h>; kacc_probe() says whether bpf() may be used.
 */
#ifndef BPFTK_TEST_KERNEL_ACCEPT_H
#define BPFTK_TEST_KERNEL_ACCEPT_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <bpftk/isa.h>
#include <bpftk/object.h>

enum {
	KACC_ACCEPTED = 0,
	KACC_REJECTED = 1,
	KACC_UNLOADABLE = 2,
};

struct kacc_result {
	int verdict;
	int err;	   /* libbpf's negative errno when not accepted */
	long verify_us;	   /* kernel's "verification time", -1 unknown */
	long insns;	   /* kernel's "processed N insns", -1 unknown */
	char reason[512];  /* the kernel's (or libbpf's) last word */
	char tail[2048];   /* the last lines of the kernel log */
};

/* The last libbpf message (warnings and errors), for unloadable reasons. */
static char kacc_libbpf_msg[512];

static inline int kacc_print(enum libbpf_print_level level, const char *fmt,
			     va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[sizeof(kacc_libbpf_msg)];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	/* libbpf ends a failed load with generic lines; keep the specific one */
	if (n && !strstr(line, "failed to load object") &&
	    !strstr(line, "failed to load BPF skeleton"))
		memcpy(kacc_libbpf_msg, line, n + 1);
	return 0;
}

/* 0 when bpf() is usable here; else why not in why. */
static inline int kacc_probe(char *why, size_t cap)
{
	libbpf_set_print(kacc_print);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "kacc_probe", 4, 4, 1,
				NULL);
	if (fd < 0) {
		snprintf(why, cap, "bpf() not permitted (%s)",
			 strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Value of the number after `key` in log, or -1. */
static inline long kacc_log_number(const char *log, const char *key)
{
	const char *p = NULL, *q = log;
	while ((q = strstr(q, key)) != NULL)
		p = q++;
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The verifier's last explanation: the last non-empty log line that is not
 * one of the statistics lines printed after every verification. */
static inline void kacc_reason(const char *log, char *out, size_t cap)
{
	out[0] = '\0';
	const char *end = log + strlen(log);
	while (end > log) {
		const char *e = end;
		while (e > log && (e[-1] == '\n' || e[-1] == ' '))
			e--;
		const char *s = e;
		while (s > log && s[-1] != '\n')
			s--;
		end = s;
		if (e == s || !strncmp(s, "processed ", 10) ||
		    !strncmp(s, "verification time", 17) ||
		    !strncmp(s, "stack depth", 11) ||
		    /* the states after "infinite loop detected" */
		    !strncmp(s, "cur state:", 10) ||
		    !strncmp(s, "old state:", 10) ||
		    !strncmp(s, "-- END PROG LOAD LOG --", 23))
			continue;
		/* some messages lack their newline before the stats */
		const char *st = strstr(s + 1, "processed ");
		if (st && st < e)
			e = st;
		size_t n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
		memcpy(out, s, n);
		out[n] = '\0';
		return;
	}
}

static inline void kacc_tail(const char *log, char *out, size_t cap)
{
	size_t n = strlen(log);
	const char *s = n >= cap ? log + n - (cap - 1) : log;
	size_t k = n >= cap ? cap - 1 : n;
	memcpy(out, s, k);
	out[k] = '\0';
}

/* One open + load of the program; log_level as given.  Returns libbpf's
 * result (0 loaded); *opened says whether the object opened at all and
 * *judged whether the verifier wrote a log. */
static inline int kacc_try(const char *path, const char *prog, int type,
			   int attach, unsigned level, char *log, size_t cap,
			   int *opened)
{
	*opened = 0;
	log[0] = '\0';
	kacc_libbpf_msg[0] = '\0';
	libbpf_set_print(kacc_print);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	long oerr = libbpf_get_error(obj);
	if (oerr) {
		if (!kacc_libbpf_msg[0])
			snprintf(kacc_libbpf_msg, sizeof(kacc_libbpf_msg),
				 "libbpf cannot open the object (%s)",
				 strerror((int)-oerr));
		return (int)oerr;
	}
	struct bpf_program *p, *want = NULL;
	bpf_object__for_each_program(p, obj)
	{
		if (!strcmp(bpf_program__name(p), prog))
			want = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!want) {
		snprintf(kacc_libbpf_msg, sizeof(kacc_libbpf_msg),
			 "libbpf finds no program '%s'", prog);
		bpf_object__close(obj);
		return -ENOENT;
	}
	*opened = 1;
	if (bpf_program__type(want) == BPF_PROG_TYPE_UNSPEC && type > 0) {
		bpf_program__set_type(want, (enum bpf_prog_type)type);
		if (attach >= 0)
			bpf_program__set_expected_attach_type(
				want, (enum bpf_attach_type)attach);
	}
	bpf_program__set_log_level(want, level);
	bpf_program__set_log_buf(want, log, cap);
	int err = bpf_object__load(obj);
	bpf_object__close(obj);
	return err;
}

/* Maps of the object created with bpf(), for the raw path: fds[i] is the
 * object's map i.  Returns 0 or a negative errno with why in msg. */
static inline int kacc_maps(const struct bpftk_object *o, int *fds,
			    int *inner, char *msg, size_t cap)
{
	size_t n = bpftk_object_map_count(o);
	for (size_t i = 0; i < n; i++)
		fds[i] = inner[i] = -1;
	for (size_t i = 0; i < n; i++) {
		const struct bpftk_object_map *m = bpftk_object_map_at(o, i);
		const struct bpftk_object_map *im = bpftk_object_map_inner(m);
		struct bpf_map_create_opts mo;
		memset(&mo, 0, sizeof(mo));
		mo.sz = sizeof(mo);
		mo.map_flags = bpftk_object_map_flags(m);
		mo.map_extra = bpftk_object_map_extra(m);
		if (im) {
			long ii = bpftk_object_map_index(im);
			if (ii >= 0 && (size_t)ii < i && fds[ii] >= 0) {
				mo.inner_map_fd = fds[ii];
			} else {
				struct bpf_map_create_opts io;
		memset(&io, 0, sizeof(io));
		io.sz = sizeof(io);
				io.map_flags = bpftk_object_map_flags(im);
				inner[i] = bpf_map_create(
					(enum bpf_map_type)bpftk_object_map_type(im),
					NULL, bpftk_object_map_key_size(im),
					bpftk_object_map_value_size(im),
					bpftk_object_map_max_entries(im), &io);
				if (inner[i] < 0) {
					int e = errno;
					snprintf(msg, cap,
						 "inner map of '%s' cannot be "
						 "created: %s",
						 bpftk_object_map_name(m),
						 strerror(e));
					return -e;
				}
				mo.inner_map_fd = inner[i];
			}
		}
		/* kernel map names: 15 characters of [A-Za-z0-9_.] */
		char name[16];
		const char *nm = bpftk_object_map_name(m);
		size_t k = 0;
		for (; nm && nm[k] && k < sizeof(name) - 1; k++)
			name[k] = (nm[k] == '_' || nm[k] == '.' ||
				   (nm[k] >= '0' && nm[k] <= '9') ||
				   ((nm[k] | 32) >= 'a' && (nm[k] | 32) <= 'z'))
					  ? nm[k]
					  : '_';
		name[k] = '\0';
		fds[i] = bpf_map_create(
			(enum bpf_map_type)bpftk_object_map_type(m), name,
			bpftk_object_map_key_size(m),
			bpftk_object_map_value_size(m),
			bpftk_object_map_max_entries(m), &mo);
		if (fds[i] < 0) {
			int e = errno;
			snprintf(msg, cap, "map '%s' cannot be created: %s", nm,
				 strerror(e));
			return -e;
		}
		size_t len = 0;
		const void *init = bpftk_object_map_initial_data(m, &len);
		if (init && len) {
			uint32_t zero = 0;
			bpf_map_update_elem(fds[i], &zero, init, 0);
			/* libbpf freezes read-only data, so the verifier may
			 * treat its contents as constants */
			if (mo.map_flags & BPF_F_RDONLY_PROG)
				bpf_map_freeze(fds[i]);
		}
	}
	return 0;
}

/* The raw path: bpftk's own reading of the object (for objects libbpf 1.x
 * cannot open) loaded with bpf_prog_load, maps through fd_array.  Returns
 * the load's fd or a negative errno; -EBADF with msg set when the program
 * never reached the verifier. */
static inline int kacc_try_raw(const struct bpftk_object *o,
			       const struct bpftk_object_prog *p, int type,
			       int attach, unsigned level, char *log,
			       size_t cap, char *msg, size_t msg_cap)
{
	log[0] = '\0';
	size_t nm = bpftk_object_map_count(o);
	int *fds = malloc((nm + 1) * 2 * sizeof(int));
	if (!fds)
		return -ENOMEM;
	int *inner = fds + nm + 1;
	int err = kacc_maps(o, fds, inner, msg, msg_cap);
	size_t n = 0;
	const struct bpftk_insn *in = bpftk_object_prog_insns(p, &n);
	/* struct bpftk_insn is not the kernel's bitfield layout: encode */
	void *wire = malloc(n * 8 + 8);
	if (!wire)
		err = -ENOMEM;
	else
		bpftk_isa_encode(in, n, 0, wire);
	if (!err) {
		struct bpf_prog_load_opts po;
		memset(&po, 0, sizeof(po));
		po.sz = sizeof(po);
		po.fd_array = fds;
		po.log_level = level;
		po.log_buf = log;
		po.log_size = (uint32_t)cap;
		if (attach >= 0)
			po.expected_attach_type = (enum bpf_attach_type)attach;
		uint32_t kv = 0;
		if (!bpftk_object_kversion(o, &kv))
			po.kern_version = kv;
		const char *lic = bpftk_object_license(o);
		err = bpf_prog_load((enum bpf_prog_type)type, NULL,
				    lic ? lic : "", wire, n, &po);
		if (err < 0)
			err = -errno;
		else
			close(err);
		if (err < 0 && !log[0]) {
			snprintf(msg, msg_cap,
				 "bpf_prog_load failed before the verifier: %s",
				 strerror(-err));
			err = -EBADF;
		}
	} else if (err != -ENOMEM) {
		err = -EBADF;
	}
	free(wire);
	for (size_t i = 0; i < nm; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		if (inner[i] >= 0)
			close(inner[i]);
	}
	free(fds);
	return err < 0 ? err : 0;
}

/* The kernel's verdict on program p of object o (opened by bpftk from
 * path).  type/attach are used where the section name gives libbpf no
 * type (the raw path always uses them).  Returns 0 (the verdict is in *r)
 * or -ENOMEM. */
static inline int kacc_load(const char *path, const struct bpftk_object *o,
			    const struct bpftk_object_prog *p, int type,
			    int attach, struct kacc_result *r)
{
	memset(r, 0, sizeof(*r));
	r->verify_us = r->insns = -1;
	const char *prog = bpftk_object_prog_name(p);
	size_t cap = 1u << 16;
	char *log = malloc(cap);
	if (!log)
		return -ENOMEM;
	int opened, raw = 0;
	char msg[sizeof(r->reason)];
	int err = kacc_try(path, prog, type, attach, 4, log, cap, &opened);
	if (!opened) {
		raw = 1;
		msg[0] = '\0';
		err = kacc_try_raw(o, p, type, attach, 4, log, cap, msg,
				   sizeof(msg));
	}
	if (!err) {
		r->verdict = KACC_ACCEPTED;
		r->verify_us = kacc_log_number(log, "verification time ");
		r->insns = kacc_log_number(log, "processed ");
		kacc_tail(log, r->tail, sizeof(r->tail));
		free(log);
		return 0;
	}
	r->err = err;
	if (!log[0]) { /* includes the kernel's -ENOMEM (memory limits) */
		r->verdict = KACC_UNLOADABLE;
		snprintf(r->reason, sizeof(r->reason), "%s",
			 raw && msg[0]		? msg
			 : kacc_libbpf_msg[0] ? kacc_libbpf_msg
					      : "load failed before the verifier");
		free(log);
		return 0;
	}
	r->verdict = KACC_REJECTED;
	r->insns = kacc_log_number(log, "processed ");
	/* again with the full log for the explanation: a log that overflows
	 * keeps its tail, which is the part we want */
	free(log);
	cap = 16u << 20;
	log = malloc(cap);
	if (!log)
		return -ENOMEM;
	if (raw)
		kacc_try_raw(o, p, type, attach, 1, log, cap, msg, sizeof(msg));
	else
		kacc_try(path, prog, type, attach, 1, log, cap, &opened);
	kacc_reason(log, r->reason, sizeof(r->reason));
	kacc_tail(log, r->tail, sizeof(r->tail));
	free(log);
	return 0;
}

/* kacc_load with the program's own type, or, where its section names
 * none (iproute2's tc sections, other loaders' conventions), the first
 * of a few common types the kernel accepts it as (else the first it
 * judged at all).  *type gets the type used.  Returns 0 or -ENOMEM. */
static inline int kacc_load_any(const char *path, const struct bpftk_object *o,
				const struct bpftk_object_prog *p, int *type,
				struct kacc_result *r)
{
	*type = (int)bpftk_object_prog_type(p);
	if (*type)
		return kacc_load(path, o, p, *type,
				 bpftk_object_prog_attach_type(p), r);
	static const int guesses[] = {
		BPF_PROG_TYPE_SCHED_CLS,     BPF_PROG_TYPE_XDP,
		BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_KPROBE,
		BPF_PROG_TYPE_CGROUP_SKB,    BPF_PROG_TYPE_LWT_XMIT,
	};
	struct kacc_result first;
	int first_type = 0;
	for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		int err = kacc_load(path, o, p, guesses[i], -1, r);
		if (err)
			return err;
		if (r->verdict == KACC_ACCEPTED) {
			*type = guesses[i];
			return 0;
		}
		if (!first_type || (first.verdict == KACC_UNLOADABLE &&
				    r->verdict == KACC_REJECTED)) {
			first = *r;
			first_type = guesses[i];
		}
	}
	*r = first;
	*type = first_type;
	return 0;
}

/* Nonzero when a rejection is the verifier enforcing safety rather than
 * this kernel lacking something the program asks for. */
static inline int kacc_safety_reason(const char *reason)
{
	static const char *const feature[] = {
		"unknown func",
		"program of this type cannot use helper",
		"cannot call GPL-restricted function",
		"not supported",
		"Unsupported",
		"unsupported",
		"kernel subsystem misconfigured",
		"attach_btf_id",
		"missing btf func_info",
		"BTF is required",
		"invalid btf",
		"calling kernel function",
		"unknown opcode",
		"Invalid argument",
	};
	for (size_t i = 0; i < sizeof(feature) / sizeof(feature[0]); i++)
		if (strstr(reason, feature[i]))
			return 0;
	return 1;
}

/* Calls fn(root, rel) for every regular file below root (rel: its path
 * relative to root), directories in name order, recursively: the corpus
 * walk of the tests and benchmarks that use the kernel as the oracle. */
static inline int kacc_cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void kacc_walk(const char *root, const char *sub,
			     void (*fn)(const char *root, const char *rel))
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s%s%s", root, *sub ? "/" : "", sub);
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		names[n++] = strdup(e->d_name);
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), kacc_cmp_name);
	for (size_t i = 0; i < n; i++) {
		char rel[4096], full[8192];
		snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "",
			 names[i] ? names[i] : "");
		snprintf(full, sizeof(full), "%s/%s", root, rel);
		struct stat st;
		if (names[i] && !stat(full, &st) && S_ISDIR(st.st_mode))
			kacc_walk(root, rel, fn);
		else if (names[i] && !stat(full, &st) && S_ISREG(st.st_mode))
			fn(root, rel);
		free(names[i]);
	}
	free(names);
}

#endif
