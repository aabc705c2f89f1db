/* test_object.c — the loader's rules one by one, each against an oracle:
 *  - section names: every libbpf convention through libbpf's own
 *    libbpf_prog_type_by_name (program type and attach type), the legacy
 *    prefixes, type names against libbpf_bpf_prog_type_str /
 *    libbpf_bpf_map_type_str, enum values against the kernel's uapi header;
 *  - global-data map names for unusual object names, against libbpf;
 *  - hand-written objects (bpftk_elf_write): programs sharing a section, a
 *    call between them without a relocation, .text-only objects, sections
 *    without function symbols, both byte orders;
 *  - broken objects, each with the message it must produce: C sources with
 *    extern symbols or data in odd sections compiled by clang, and a clang
 *    object whose relocation entries and instructions are patched;
 *  - every truncation and thousands of random corruptions of real objects
 *    rejected with an error naming the file, or opened consistently;
 *  - allocation failure at every step: -ENOMEM, no leak, no crash;
 *  - API edges: NULL and out-of-range arguments, options sizes, files.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_object_util.h"

static char tmp[64];

static struct bpftk_object *open_bytes(const void *p, size_t n,
				       const char *name, struct bpftk_diags *d,
				       int *err)
{
	struct bpftk_object_opts o = {sizeof(o), NULL, name};
	struct bpftk_object *obj = NULL;
	*err = bpftk_object_open_mem(p, n, &o, &obj, d);
	return obj;
}

/* The first error of d, formatted. */
static const char *first_error(const struct bpftk_diags *d)
{
	static char buf[1024];
	buf[0] = '\0';
	for (size_t i = 0; i < bpftk_diags_count(d); i++)
		if (bpftk_diags_get(d, i)->severity == BPFTK_SEV_ERROR) {
			bpftk_diag_format(bpftk_diags_get(d, i), buf, sizeof(buf));
			break;
		}
	return buf;
}

/* ---- section names ------------------------------------------------------ */

/* Names in libbpf's section_defs (1.1 and later); "+" entries are tried
 * bare and with a suffix. */
static const char *const sec_names[] = {
	"socket", "sk_reuseport/migrate", "sk_reuseport", "kprobe",
	"kprobe/do_sys_open", "uprobe", "uprobe/lib:fn", "uprobe.s",
	"kretprobe/x", "uretprobe", "uretprobe.s/x", "kprobe.multi/a*",
	"kretprobe.multi", "kprobe.session", "uprobe.multi/x",
	"uretprobe.multi", "uprobe.multi.s", "uretprobe.multi.s/y",
	"ksyscall/open", "kretsyscall", "usdt/lib:prov:name", "usdt.s",
	"tc/ingress", "tc/egress", "tcx/ingress", "tcx/egress",
	"netkit/primary", "netkit/peer", "tc", "classifier", "action",
	"tracepoint/sched/sched_switch", "tp/a/b", "tracepoint",
	"raw_tracepoint/sys_enter", "raw_tp", "raw_tracepoint.w/x",
	"raw_tp.w", "tp_btf/task_newtask", "fentry/do_unlinkat",
	"fmod_ret/x", "fexit/x", "fentry.s/x", "fmod_ret.s/x", "fexit.s/x",
	"freplace/x", "lsm/file_open", "lsm.s/bprm", "lsm_cgroup/x",
	"iter/task", "iter.s/task", "syscall", "xdp.frags/devmap",
	"xdp/devmap", "xdp.frags/cpumap", "xdp/cpumap", "xdp.frags", "xdp",
	"perf_event", "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local",
	"sockops", "sk_skb/stream_parser", "sk_skb/stream_verdict",
	"sk_skb/verdict", "sk_skb", "sk_msg", "lirc_mode2", "flow_dissector",
	"cgroup_skb/ingress", "cgroup_skb/egress", "cgroup/skb",
	"cgroup/sock_create", "cgroup/sock_release", "cgroup/sock",
	"cgroup/post_bind4", "cgroup/post_bind6", "cgroup/bind4",
	"cgroup/bind6", "cgroup/connect4", "cgroup/connect6",
	"cgroup/connect_unix", "cgroup/sendmsg4", "cgroup/sendmsg6",
	"cgroup/sendmsg_unix", "cgroup/recvmsg4", "cgroup/recvmsg6",
	"cgroup/recvmsg_unix", "cgroup/getpeername4", "cgroup/getpeername6",
	"cgroup/getpeername_unix", "cgroup/getsockname4",
	"cgroup/getsockname6", "cgroup/getsockname_unix", "cgroup/sysctl",
	"cgroup/getsockopt", "cgroup/setsockopt", "cgroup/dev",
	"struct_ops/x", "struct_ops.s", "sk_lookup", "netfilter",
};

static void test_sec_types(void)
{
	size_t known = 0, newer = 0;
	for (size_t i = 0; i < sizeof(sec_names) / sizeof(sec_names[0]); i++) {
		enum bpftk_prog_type t;
		int at;
		enum bpf_prog_type lt;
		enum bpf_attach_type la;
		enum bpftk_sec_match m = bpftk_object_sec_type(sec_names[i], &t,
							       &at);
		if (m != BPFTK_SEC_MATCH_EXACT)
			fprintf(stderr, "section '%s' not matched exactly\n",
				sec_names[i]);
		CHECK(m == BPFTK_SEC_MATCH_EXACT);
		if (libbpf_prog_type_by_name(sec_names[i], &lt, &la)) {
			newer++; /* after libbpf 1.1 */
			continue;
		}
		known++;
		if ((int)t != (int)lt || (at < 0 ? 0 : at) != (int)la)
			fprintf(stderr, "section '%s': type %d attach %d, libbpf "
				"%d %d\n", sec_names[i], t, at, lt, la);
		CHECK_EQ_U64(t, lt);
		CHECK_EQ_U64(at < 0 ? 0 : at, la);
	}
	printf("section names: %zu agree with libbpf, %zu newer than this "
	       "libbpf\n", known, newer);
	CHECK(known > 80);
	/* what libbpf 1.x does not match, and we match as legacy */
	static const struct {
		const char *name;
		enum bpftk_prog_type t;
		enum bpftk_sec_match m;
	} legacy[] = {
		{"xdp1", BPFTK_PROG_TYPE_XDP, BPFTK_SEC_MATCH_LEGACY},
		{"xdp_prog/0", BPFTK_PROG_TYPE_XDP, BPFTK_SEC_MATCH_LEGACY},
		{"socket1", BPFTK_PROG_TYPE_SOCKET_FILTER, BPFTK_SEC_MATCH_LEGACY},
		{"cgroup/sock1", BPFTK_PROG_TYPE_CGROUP_SOCK,
		 BPFTK_SEC_MATCH_LEGACY},
		{"kprobe_x", BPFTK_PROG_TYPE_KPROBE, BPFTK_SEC_MATCH_LEGACY},
		{"sk_skb/x", BPFTK_PROG_TYPE_SK_SKB, BPFTK_SEC_MATCH_LEGACY},
		{"filter", BPFTK_PROG_TYPE_UNSPEC, BPFTK_SEC_MATCH_NONE},
		{"", BPFTK_PROG_TYPE_UNSPEC, BPFTK_SEC_MATCH_NONE},
		{"2/1", BPFTK_PROG_TYPE_UNSPEC, BPFTK_SEC_MATCH_NONE},
	};
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		enum bpftk_prog_type t;
		int at;
		enum bpf_prog_type lt;
		enum bpf_attach_type la;
		CHECK_EQ_U64(bpftk_object_sec_type(legacy[i].name, &t, &at),
			     legacy[i].m);
		CHECK_EQ_U64(t, legacy[i].t);
		CHECK(libbpf_prog_type_by_name(legacy[i].name, &lt, &la) != 0);
	}
	CHECK_EQ_U64(bpftk_object_sec_type(NULL, NULL, NULL),
		     BPFTK_SEC_MATCH_NONE);
}

static void test_type_names(void)
{
	for (int t = 0; t < BPFTK_PROG_TYPE__COUNT; t++) {
		const char *l = libbpf_bpf_prog_type_str((enum bpf_prog_type)t);
		if (l)
			CHECK_STR(bpftk_object_prog_type_name(
					  (enum bpftk_prog_type)t),
				  l);
	}
	CHECK(bpftk_object_prog_type_name(BPFTK_PROG_TYPE__COUNT) == NULL);
	for (uint32_t t = 0; t < 40; t++) {
		const char *l = libbpf_bpf_map_type_str((enum bpf_map_type)t);
		if (l)
			CHECK_STR(bpftk_object_map_type_name(t), l);
	}
	CHECK(bpftk_object_map_type_name(1000) == NULL);
	/* the enum is the kernel's */
	CHECK_EQ_U64(BPFTK_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SOCKET_FILTER);
	CHECK_EQ_U64(BPFTK_PROG_TYPE_XDP, BPF_PROG_TYPE_XDP);
	CHECK_EQ_U64(BPFTK_PROG_TYPE_CGROUP_SOCK_ADDR,
		     BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
	CHECK_EQ_U64(BPFTK_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE_FLOW_DISSECTOR);
	CHECK_EQ_U64(BPFTK_PROG_TYPE_TRACING, BPF_PROG_TYPE_TRACING);
	CHECK_EQ_U64(BPFTK_PROG_TYPE_LSM, BPF_PROG_TYPE_LSM);
	CHECK_EQ_U64(BPFTK_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_SYSCALL);
	CHECK_EQ_U64(BPFTK_MAP_F_RDONLY_PROG, BPF_F_RDONLY_PROG);
	CHECK_EQ_U64(BPFTK_MAP_F_MMAPABLE, BPF_F_MMAPABLE);
}

/* ---- global-data map names ------------------------------------------------ */

static void test_data_names(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/build/"
		 "global_variable.o", test_shared);
	size_t len;
	char *data = slurp(path, &len);
	CHECK(data != NULL);
	if (!data)
		return;
	static const char *const names[] = {
		"a", "x-y z", "exactly_15_char", "a_rather_long_object_name",
		"dots.in.name", "1234567890"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bpftk_object_opts o = {sizeof(o), names[i], "g.o"};
		struct bpftk_object *obj = NULL;
		CHECK(bpftk_object_open_mem(data, len, &o, &obj, NULL) == 0);
		if (obj)
			CHECK(compare_libbpf(names[i], obj, data, len));
		bpftk_object_close(obj);
	}
	/* the default: the file's base name up to its first '.' */
	struct bpftk_object_opts o = {sizeof(o), NULL, "/x/y/prog.bpf.o"};
	struct bpftk_object *obj = NULL;
	CHECK(bpftk_object_open_mem(data, len, &o, &obj, NULL) == 0);
	if (obj) {
		CHECK_STR(bpftk_object_name(obj), "prog");
		CHECK_STR(bpftk_object_map_name(bpftk_object_map_at(obj, 0)),
			  "prog.bss");
	}
	bpftk_object_close(obj);
	free(data);
}

/* ---- hand-written objects --------------------------------------------------- */

#define INSN(c, d, s, o, i) {(c), (d), (s), (o), (i)}

static struct bpftk_object *write_open(const struct bpftk_elf_section *secs,
				       size_t n, int big,
				       struct bpftk_diags *d)
{
	void *buf = NULL;
	size_t len = 0;
	CHECK(bpftk_elf_write(secs, n, "GPL", big, &buf, &len, d) == 0);
	int err;
	struct bpftk_object *o = open_bytes(buf, len, "w.o", d, &err);
	CHECK(err == 0);
	bpftk_elf_buf_free(buf);
	return o;
}

static void test_written(void)
{
	/* one section, two global functions; the first calls the second with
	 * a pc-relative call and no relocation */
	struct bpftk_insn xdp[] = {
		INSN(0xb7, 1, 0, 0, 5),	 /* r1 = 5 */
		INSN(0x85, 0, 1, 0, 1),	 /* call +1 -> second */
		INSN(0x95, 0, 0, 0, 0),	 /* exit */
		INSN(0xbf, 0, 1, 0, 0),	 /* second: r0 = r1 */
		INSN(0x07, 0, 0, 0, 1),	 /* r0 += 1 */
		INSN(0x95, 0, 0, 0, 0),	 /* exit */
	};
	struct bpftk_elf_symbol xs[] = {{"first", 0}, {"second", 3}};
	struct bpftk_insn text[] = {INSN(0xb7, 0, 0, 0, 7),
				    INSN(0x95, 0, 0, 0, 0),
				    INSN(0xb7, 0, 0, 0, 8),
				    INSN(0x95, 0, 0, 0, 0)};
	struct bpftk_elf_symbol ts[] = {{"t1", 0}, {"t2", 2}};
	for (int big = 0; big < 2; big++) {
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_elf_section s1[] = {{"xdp", xdp, 6, xs, 2}};
		struct bpftk_object *o = write_open(s1, 1, big, d);
		CHECK(o && bpftk_object_prog_count(o) == 2);
		const struct bpftk_object_prog *p =
			o ? bpftk_object_prog_find(o, "first") : NULL;
		size_t n = 0;
		const struct bpftk_insn *in = p ? bpftk_object_prog_insns(p, &n)
						: NULL;
		/* second appended after first; the call now reaches it */
		CHECK_EQ_U64(n, 6);
		CHECK(in && in[1].imm == 1);
		CHECK_EQ_U64(p ? bpftk_object_prog_func_count(p) : 0, 2);
		CHECK_EQ_U64(p ? bpftk_object_prog_main_insn_cnt(p) : 0, 3);
		CHECK(o && bpftk_object_prog_type(bpftk_object_prog_at(o, 0)) ==
				   BPFTK_PROG_TYPE_XDP);
		CHECK_STR(o ? bpftk_object_license(o) : NULL, "GPL");
		CHECK_EQ_U64(o ? bpftk_object_kversion(o, NULL) : 0, -ENOENT);
		struct bpftk_object_line l;
		CHECK(p && bpftk_object_prog_line(p, 0, &l) == -ENOENT);
		bpftk_object_close(o);

		/* .text only: its global functions are the programs */
		struct bpftk_elf_section s2[] = {{".text", text, 4, ts, 2}};
		o = write_open(s2, 1, big, d);
		CHECK(o && bpftk_object_prog_count(o) == 2);
		CHECK_STR(o ? bpftk_object_prog_name(bpftk_object_prog_at(o, 1))
			    : NULL,
			  "t2");
		bpftk_object_close(o);

		/* .text beside a program section: subprograms only */
		struct bpftk_elf_section s3[] = {{"xdp", xdp, 6, xs, 2},
						 {".text", text, 4, ts, 2}};
		o = write_open(s3, 2, big, d);
		CHECK(o && bpftk_object_prog_count(o) == 2);
		bpftk_object_close(o);

		/* no function symbols: the section is one program named
		 * after the section */
		struct bpftk_elf_section s4[] = {{"socket7", text, 4, NULL, 0}};
		o = write_open(s4, 1, big, d);
		CHECK(o && bpftk_object_prog_count(o) == 1);
		if (o) {
			p = bpftk_object_prog_at(o, 0);
			CHECK_STR(bpftk_object_prog_name(p), "socket7");
			CHECK_EQ_U64(bpftk_object_prog_main_insn_cnt(p), 4);
			CHECK(bpftk_object_prog_type(p) ==
			      BPFTK_PROG_TYPE_SOCKET_FILTER);
			CHECK(bpftk_object_prog_sec_match(p) ==
			      BPFTK_SEC_MATCH_LEGACY);
		}
		bpftk_object_close(o);

		/* no code at all */
		o = write_open(NULL, 0, big, d);
		CHECK(o && bpftk_object_prog_count(o) == 0 &&
		      bpftk_object_map_count(o) == 0);
		bpftk_object_close(o);

		/* a call to nowhere: an error at the instruction */
		struct bpftk_insn bad[] = {INSN(0x85, 0, 1, 0, 5),
					   INSN(0x95, 0, 0, 0, 0)};
		struct bpftk_elf_section s5[] = {{"xdp", bad, 2, NULL, 0}};
		void *buf = NULL;
		size_t len = 0;
		CHECK(bpftk_elf_write(s5, 1, NULL, big, &buf, &len, d) == 0);
		int err;
		bpftk_diags_clear(d);
		o = open_bytes(buf, len, "bad.o", d, &err);
		CHECK(err == -EINVAL && !o);
		CHECK(strstr(first_error(d), "bad.o: prog 'xdp' insn 0: error: "
					     "call target") != NULL);
		bpftk_elf_buf_free(buf);

		/* a map reference nobody relocated */
		struct bpftk_insn raw[] = {INSN(0x18, 1, 5, 0, 0),
					   INSN(0, 0, 0, 0, 0),
					   INSN(0x95, 0, 0, 0, 0)};
		struct bpftk_elf_section s6[] = {{"xdp", raw, 3, NULL, 0}};
		CHECK(bpftk_elf_write(s6, 1, NULL, big, &buf, &len, d) == 0);
		bpftk_diags_clear(d);
		o = open_bytes(buf, len, "raw.o", d, &err);
		CHECK(err == -EINVAL && !o);
		CHECK(strstr(first_error(d), "raw.o: prog 'xdp' insn 0: error: "
					     "64-bit load of pseudo source 5 "
					     "without a relocation") != NULL);
		bpftk_elf_buf_free(buf);
		bpftk_diags_free(d);
	}
}

/* ---- broken C ------------------------------------------------------------ */

static int compile_text(const char *c, const char *out)
{
	char src[128], cmd[1024];
	snprintf(src, sizeof(src), "%s/t.c", tmp);
	FILE *f = fopen(src, "w");
	if (!f)
		return -1;
	fputs("#define SEC(n) __attribute__((section(n), used))\n", f);
	fputs(c, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "clang -target bpf -O2 -g -c %s -o %s "
		 "2>/dev/null", src, out);
	return system(cmd) ? -1 : 0;
}

static const struct {
	const char *c;
	const char *msg;
} broken_c[] = {
	{"extern int ext_var;\n"
	 "SEC(\"xdp\") int p(void *c) { return ext_var; }\n",
	 "prog 'p' insn 0: error: relocation against undefined symbol "
	 "'ext_var'"},
	{"int f(int);\n"
	 "SEC(\"xdp\") int p(void *c) { return f(1); }\n",
	 "prog 'p' insn 1: error: call to undefined function 'f'"},
	{"int odd SEC(\"mydata\") = 3;\n"
	 "SEC(\"xdp\") int p(void *c) { return odd; }\n",
	 "in section 'mydata', which is neither code, a map nor global data"},
	{"struct { int type; } m SEC(\".maps\");\n"
	 "SEC(\"xdp\") int p(void *c) { return 0; }\n",
	 "map 'm': attribute 'type': expected a pointer to an array"},
	{"struct { int (*type)[2]; int (*values)[1]; } m SEC(\".maps\");\n"
	 "SEC(\"xdp\") int p(void *c) { return 0; }\n",
	 "map 'm': 'values' needs a map of maps or a program array"},
	{"struct { int (*max_entries)[2]; } m SEC(\".maps\");\n"
	 "SEC(\"xdp\") int p(void *c) { return 0; }\n",
	 "map 'm': map type is not specified"},
	{"struct { int (*type)[1]; int (*key_size)[4]; long *key; } m "
	 "SEC(\".maps\");\n"
	 "SEC(\"xdp\") int p(void *c) { return 0; }\n",
	 "map 'm': conflicting key size 4 != 8"},
	{"struct { int (*type)[1]; int (*pinning)[7]; } m SEC(\".maps\");\n"
	 "SEC(\"xdp\") int p(void *c) { return 0; }\n",
	 "map 'm': invalid pinning value 7"},
	{"struct d { unsigned a, b, c, d, e; };\n"
	 "struct d m1 SEC(\"maps\") = {1, 4, 4, 1, 0};\n"
	 "int m2 SEC(\"maps\"), m3 SEC(\"maps\");\n"
	 "SEC(\"xdp\") int p(void *c) { return 0; }\n",
	 "legacy maps section 'maps': cannot tell the definition size"},
	{"struct d { unsigned a, b, c, d, e, f, g, h; };\n"
	 "struct d m SEC(\"maps\") = {1, 4, 4, 1, 0, 0, 0, 9};\n"
	 "SEC(\"xdp\") int p(void *c) { return 0; }\n",
	 "has unrecognised non-zero bytes past struct bpf_map_def"},
};

static void test_broken_c(void)
{
	char out[128];
	snprintf(out, sizeof(out), "%s/t.o", tmp);
	for (size_t i = 0; i < sizeof(broken_c) / sizeof(broken_c[0]); i++) {
		if (compile_text(broken_c[i].c, out)) {
			fprintf(stderr, "clang failed on case %zu\n", i);
			CHECK(0);
			continue;
		}
		struct bpftk_diags *d = bpftk_diags_new();
		struct bpftk_object *o = NULL;
		int err = bpftk_object_open_file(out, NULL, &o, d);
		const char *msg = first_error(d);
		if (err != -EINVAL || !strstr(msg, broken_c[i].msg) ||
		    strncmp(msg, out, strlen(out)))
			fprintf(stderr, "case %zu: %d '%s'\n  want '%s'\n", i,
				err, msg, broken_c[i].msg);
		CHECK(err == -EINVAL && o == NULL);
		CHECK(strstr(msg, broken_c[i].msg) != NULL);
		CHECK(!strncmp(msg, out, strlen(out)));
		bpftk_diags_free(d);
	}
	remove(out);
}

/* ---- patched relocations -------------------------------------------------- */

/* A clang object with one map reference and one .data reference; the
 * patches below break its relocations the ways a damaged or hand-made
 * object would. */
static const char *const patch_src =
	"struct { int (*type)[2]; int (*key_size)[4]; int (*value_size)[4];"
	" int (*max_entries)[1]; } m SEC(\".maps\");\n"
	"int counter = 1;\n"
	"SEC(\"xdp\") int p(void *c) { return *(int *)&m + counter; }\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n";

struct relpos {
	size_t file_off; /* of the relocation entry */
	size_t insn_off; /* file offset of the relocated instruction */
	uint32_t sym;
};

static int find_rels(const char *data, size_t len, struct relpos *r,
		     size_t max)
{
	struct bpftk_elf *e = NULL;
	if (bpftk_elf_open_mem(data, len, NULL, &e, NULL))
		return -1;
	size_t n = 0;
	for (size_t i = 1; i < bpftk_elf_section_count(e); i++) {
		struct bpftk_elf_shdr s, t;
		bpftk_elf_section(e, i, &s);
		if (s.type != BPFTK_SHT_REL || bpftk_elf_section(e, s.info, &t) ||
		    strcmp(t.name, "xdp"))
			continue;
		for (size_t k = 0; k < s.size / 16 && n < max; k++) {
			struct bpftk_elf_rel rel;
			bpftk_elf_reloc(e, s.info, k, &rel);
			r[n].file_off = s.offset + k * 16;
			r[n].insn_off = t.offset + rel.offset;
			r[n].sym = rel.sym;
			n++;
		}
	}
	bpftk_elf_close(e);
	return (int)n;
}

static void expect_patch(const char *what, const char *data, size_t len,
			 const char *msg)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int err;
	struct bpftk_object *o = open_bytes(data, len, "p.o", d, &err);
	const char *m = first_error(d);
	if (err != -EINVAL || !strstr(m, msg))
		fprintf(stderr, "%s: %d '%s'\n  want '%s'\n", what, err, m, msg);
	CHECK(err == -EINVAL && !o && strstr(m, msg));
	bpftk_object_close(o);
	bpftk_diags_free(d);
}

static void test_patched(void)
{
	char out[128];
	snprintf(out, sizeof(out), "%s/p.o", tmp);
	if (compile_text(patch_src, out)) {
		CHECK(0);
		return;
	}
	size_t len;
	char *orig = slurp(out, &len);
	remove(out);
	struct relpos r[4];
	int n = orig ? find_rels(orig, len, r, 4) : -1;
	CHECK(n == 2);
	if (n != 2) {
		free(orig);
		return;
	}
	char *b = malloc(len);
	/* the untouched object opens */
	struct bpftk_object *o = NULL;
	CHECK(bpftk_object_open_mem(orig, len, NULL, &o, NULL) == 0);
	bpftk_object_close(o);
	/* relocation on an instruction that is neither lddw nor call */
	memcpy(b, orig, len);
	b[r[0].insn_off] = (char)0xb7;
	expect_patch("opcode", b, len,
		     "neither a call nor a 64-bit load (opcode 0xb7)");
	/* relocation against the null symbol (undefined) */
	memcpy(b, orig, len);
	memset(b + r[0].file_off + 12, 0, 4); /* r_info high half: sym 0 */
	expect_patch("sym 0", b, len, "relocation against undefined symbol");
	/* a relocation on the second slot of an lddw */
	memcpy(b, orig, len);
	b[r[0].file_off] = (char)(b[r[0].file_off] + 8);
	expect_patch("second slot", b, len,
		     "neither a call nor a 64-bit load (opcode 0x00)");
	/* a data offset beyond the end of .data */
	memcpy(b, orig, len);
	for (int k = 0; k < 2; k++)
		b[r[k].insn_off + 4] = 0x40; /* imm = 64 */
	expect_patch("data offset", b, len, "lies outside map");
	free(b);
	free(orig);
}

/* ---- inconsistent BTF ------------------------------------------------------ */

/* Bytes after struct btf_type of each kind (the kernel's BTF format). */
static size_t btf_extra(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64:
		return 12u * btf_vlen(t);
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8u * btf_vlen(t);
	default:
		return 0;
	}
}

/* Rewrites the first member type of the first struct of the object's .BTF
 * to `to` (its own id when to is 0). */
static int patch_btf(char *data, size_t len, uint32_t to)
{
	struct bpftk_elf *e = NULL;
	if (bpftk_elf_open_mem(data, len, NULL, &e, NULL))
		return -1;
	long si = bpftk_elf_section_by_name(e, ".BTF");
	struct bpftk_elf_shdr s;
	int ok = -1;
	if (si > 0 && !bpftk_elf_section(e, (size_t)si, &s)) {
		struct btf *b = btf__new(s.data, (uint32_t)s.size);
		struct btf_header h;
		memcpy(&h, s.data, sizeof(h));
		size_t off = s.offset + h.hdr_len + h.type_off;
		for (uint32_t id = 1; b && id < btf__type_cnt(b); id++) {
			const struct btf_type *t = btf__type_by_id(b, id);
			if (btf_is_struct(t) && btf_vlen(t)) {
				/* struct btf_member: name_off, type, offset */
				uint32_t v = to ? to : id;
				memcpy(data + off + sizeof(*t) + 4, &v, 4);
				ok = 0;
				break;
			}
			off += sizeof(*t) + btf_extra(t);
		}
		btf__free(b);
	}
	bpftk_elf_close(e);
	return ok;
}

/* A .bss claiming 4 GiB (a fuzzer's find): refused, not allocated. */
static void test_huge_bss(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/build/"
		 "global_variable.o", test_shared);
	size_t len;
	char *data = slurp(path, &len);
	struct bpftk_elf *e = NULL;
	CHECK(data && bpftk_elf_open_mem(data, len, NULL, &e, NULL) == 0);
	long bss = e ? bpftk_elf_section_by_name(e, ".bss") : -1;
	bpftk_elf_close(e);
	CHECK(bss > 0);
	if (bss > 0) {
		/* the object is little-endian: e_shoff at 40, sh_size at 32 */
		uint64_t shoff = 0, size = 0xfffc0000ull;
		for (int k = 7; k >= 0; k--)
			shoff = shoff << 8 | (uint8_t)data[40 + k];
		for (int k = 0; k < 8; k++)
			data[shoff + (size_t)bss * 64 + 32 + k] =
				(char)(size >> (8 * k));
		struct bpftk_diags *d = bpftk_diags_new();
		int err;
		struct bpftk_object *o = open_bytes(data, len, "bss.o", d, &err);
		CHECK(err == -EINVAL && !o);
		CHECK(strstr(first_error(d), "bss.o: error: data section '.bss' "
					     "of 4294705152 bytes is too large")
		      != NULL);
		bpftk_diags_free(d);
	}
	free(data);
}

static void test_bad_btf(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/build/"
		 "map_in_map.o", test_shared);
	static const struct {
		uint32_t to;
		const char *warn;
	} cases[] = {
		{0, "warning: .BTF is inconsistent (a type contains itself)"},
		{0xffffff, "warning: .BTF is inconsistent (a type refers to a "
			   "type id that does not exist)"},
	};
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *data = slurp(path, &len);
		CHECK(data && patch_btf(data, len, cases[i].to) == 0);
		struct bpftk_diags *d = bpftk_diags_new();
		int err;
		struct bpftk_object *o = open_bytes(data, len, "btf.o", d, &err);
		char w[512] = "";
		if (bpftk_diags_count(d))
			bpftk_diag_format(bpftk_diags_get(d, 0), w, sizeof(w));
		CHECK(strstr(w, cases[i].warn) != NULL);
		/* its maps needed that BTF */
		CHECK(err == -EINVAL && !o);
		CHECK(strstr(first_error(d), "holds BTF-defined maps, but the "
					     "object has no usable .BTF"));
		bpftk_diags_free(d);
		free(data);
	}
}

/* ---- truncation, corruption, allocation failure ------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Either an error naming the file, or an object whose programs all
 * validate (checked inside open) and whose references stay in range. */
static void open_damaged(const char *data, size_t len, size_t *rejected)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int err;
	struct bpftk_object *o = open_bytes(data, len, "dmg.o", d, &err);
	if (err) {
		(*rejected)++;
		CHECK(!o && err == -EINVAL);
		CHECK(!strncmp(first_error(d), "dmg.o: ", 7));
	} else {
		for (size_t i = 0; i < bpftk_object_prog_count(o); i++) {
			size_t n;
			const struct bpftk_insn *in = bpftk_object_prog_insns(
				bpftk_object_prog_at(o, i), &n);
			for (size_t k = 0; k + 1 < n; k++)
				if (in[k].code == 0x18 &&
				    (in[k].src == BPFTK_PSEUDO_MAP_IDX ||
				     in[k].src == BPFTK_PSEUDO_MAP_IDX_VALUE))
					CHECK((size_t)in[k].imm <
					      bpftk_object_map_count(o));
		}
	}
	bpftk_object_close(o);
	bpftk_diags_free(d);
}

static const char *const damage_files[] = {
	"build/map_in_map.o", "build/prog_array.o", "build/global_variable.o",
	"build/bpf2bpf.o", "linux/test_map_in_map_kern.o",
	"linux/sockex3_kern.o", "build/ringbuf_in_map.o",
};

static void test_damage(void)
{
	size_t cases = 0, rejected = 0;
	for (size_t f = 0; f < sizeof(damage_files) / sizeof(damage_files[0]);
	     f++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/%s",
			 test_shared, damage_files[f]);
		size_t len;
		char *data = slurp(path, &len);
		CHECK(data != NULL);
		if (!data)
			continue;
		/* every truncation */
		for (size_t n = 0; n < len; n += 1 + n / 64) {
			open_damaged(data, n, &rejected);
			cases++;
		}
		/* random bytes changed, 1 to 8 at a time */
		char *b = malloc(len);
		for (int k = 0; k < 600; k++) {
			memcpy(b, data, len);
			int flips = 1 + (int)(next_rand() % 8);
			for (int j = 0; j < flips; j++)
				b[next_rand() % len] = (char)next_rand();
			open_damaged(b, len, &rejected);
			cases++;
		}
		free(b);
		free(data);
	}
	printf("damaged objects: %zu opened or rejected cleanly (%zu "
	       "rejected)\n", cases, rejected);
}

static long fail_after;
static long allocs;

static void *fail_malloc(size_t n)
{
	if (allocs++ >= fail_after)
		return NULL;
	return malloc(n);
}

static void *fail_realloc(void *p, size_t n)
{
	if (allocs++ >= fail_after)
		return NULL;
	return realloc(p, n);
}

static void test_alloc_failure(void)
{
	size_t steps = 0;
	for (size_t f = 0; f < sizeof(damage_files) / sizeof(damage_files[0]);
	     f++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/%s",
			 test_shared, damage_files[f]);
		size_t len;
		char *data = slurp(path, &len);
		if (!data)
			continue;
		for (fail_after = 0;; fail_after++) {
			struct bpftk_diags *d = bpftk_diags_new();
			allocs = 0;
			bpftk_set_allocator(fail_malloc, fail_realloc, NULL);
			struct bpftk_object *o = NULL;
			int err = bpftk_object_open_mem(data, len, NULL, &o, d);
			bpftk_set_allocator(NULL, NULL, NULL);
			steps++;
			if (!err) {
				CHECK(o != NULL);
				bpftk_object_close(o);
				bpftk_diags_free(d);
				break;
			}
			if (err != -ENOMEM)
				fprintf(stderr, "%s: failing allocation %ld: %d\n",
					damage_files[f], fail_after, err);
			CHECK(err == -ENOMEM && o == NULL);
			bpftk_diags_free(d);
		}
		free(data);
	}
	printf("allocation failure injected at %zu steps\n", steps);
}

/* ---- API edges ------------------------------------------------------------- */

static void test_api(void)
{
	struct bpftk_object *o = (struct bpftk_object *)1;
	CHECK(bpftk_object_open_mem("x", 1, NULL, NULL, NULL) == -EINVAL);
	CHECK(bpftk_object_open_mem(NULL, 0, NULL, &o, NULL) == -EINVAL &&
	      o == NULL);
	struct bpftk_object_opts small = {1, NULL, NULL};
	CHECK(bpftk_object_open_mem("x", 1, &small, &o, NULL) == -EINVAL);
	/* a newer, larger options struct: unknown bytes must be zero */
	struct {
		struct bpftk_object_opts o;
		uint64_t more;
	} big = {{sizeof(big), NULL, "big.o"}, 0};
	CHECK(bpftk_object_open_mem("x", 1, &big.o, &o, NULL) == -EINVAL &&
	      o == NULL); /* opened, rejected as not ELF */
	struct bpftk_diags *dd = bpftk_diags_new();
	bpftk_object_open_mem("x", 1, &big.o, &o, dd);
	CHECK(strstr(first_error(dd), "big.o: error: ") != NULL);
	big.more = 1;
	bpftk_diags_clear(dd);
	CHECK(bpftk_object_open_mem("x", 1, &big.o, &o, dd) == -EINVAL);
	CHECK(bpftk_diags_count(dd) == 0);
	bpftk_diags_free(dd);
	/* an older, smaller one: object_name only */
	struct bpftk_object_opts old = {offsetof(struct bpftk_object_opts,
						 filename),
					"oldname", "ignored.o"};
	dd = bpftk_diags_new();
	bpftk_object_open_mem("x", 1, &old, &o, dd);
	CHECK(strstr(first_error(dd), "<memory>: error: ") != NULL);
	bpftk_diags_free(dd);
	struct bpftk_diags *d = bpftk_diags_new();
	CHECK(bpftk_object_open_file("/nonexistent/x.o", NULL, &o, d) == -EIO);
	CHECK(strstr(first_error(d), "/nonexistent/x.o: error: cannot open") !=
	      NULL);
	bpftk_diags_clear(d);
	int err;
	o = open_bytes("\177ELF", 4, "four.o", d, &err);
	CHECK(err == -EINVAL && !o);
	CHECK(!strncmp(first_error(d), "four.o: error: ", 15));
	bpftk_object_close(NULL);
	/* a real object through the file API, then every out-of-range query */
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus/ebpf-samples/build/"
		 "map_in_map.o", test_shared);
	CHECK(bpftk_object_open_file(path, NULL, &o, d) == 0);
	if (o) {
		CHECK_STR(bpftk_object_name(o), "map_in_map");
		CHECK_STR(bpftk_object_filename(o), path);
		CHECK(bpftk_object_elf(o) != NULL);
		CHECK(bpftk_object_prog_at(o, 99) == NULL);
		CHECK(bpftk_object_map_at(o, 99) == NULL);
		CHECK(bpftk_object_prog_find(o, "nope") == NULL);
		CHECK(bpftk_object_map_find(o, NULL) == NULL);
		const struct bpftk_object_prog *p = bpftk_object_prog_at(o, 0);
		struct bpftk_object_func f;
		struct bpftk_object_line l;
		CHECK(bpftk_object_prog_func(p, 99, &f) == -ERANGE);
		CHECK(bpftk_object_prog_line_at(p, 9999, &l) == -ERANGE);
		const struct bpftk_object_map *m = bpftk_object_map_at(o, 1);
		struct bpftk_object_slot s;
		CHECK(bpftk_object_map_slot(m, 99, &s) == -ERANGE);
		size_t n = 1;
		CHECK(bpftk_object_map_initial_data(m, &n) == NULL && n == 0);
		CHECK(bpftk_object_btf(o) != NULL);
	}
	bpftk_object_close(o);
	bpftk_diags_free(d);
}

static void run(void)
{
	libbpf_set_print(quiet);
	test_sec_types();
	test_type_names();
	test_data_names();
	test_written();
	test_bad_btf();
	test_huge_bss();
	test_api();
	test_damage();
	test_alloc_failure();
	strcpy(tmp, "/tmp/bpftk-objtXXXXXX");
	if (system("clang --version >/dev/null 2>&1") || !mkdtemp(tmp)) {
		printf("clang not found: C cases skipped\n");
		return;
	}
	test_broken_c();
	test_patched();
	rmdir(tmp);
}

TEST_MAIN(run())
