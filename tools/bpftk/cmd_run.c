/* cmd_run.c — `bpftk run`: runs a program and prints r0.
 *
 * The program is raw bytecode (little-endian slots) or an ELF object (the
 * first executable section, or --section).  Memory comes from a file or hex
 * bytes; the program sees it as r1 = address, r2 = length, and it is also
 * the packet of legacy LD_ABS/LD_IND loads.
 *
 * Every program is verified first (verifier.h) and, once accepted, is
 * compiled by the JIT with what the verifier proved (its facts) and runs
 * natively; where the JIT cannot compile it the vm says so (a warning)
 * and the fast interpreter runs it.  --fast picks that interpreter,
 * --checked the one with every access checked.  A program the verifier
 * rejects does not run, unless the user asks for `--checked --no-verify`:
 * unverified code runs only with checks.
 *
 * With --prog, --data or --ctx an ELF object runs like BPF_PROG_TEST_RUN
 * (run.h): its maps are created, relocations bound, the program gets the
 * context of its type (XDP, tc, socket filter...), and the output is the
 * return value with its name, the packet if the program changed it, and
 * the time per run.
 *
 * With --pcap the program runs over every packet of a capture (hooks.h)
 * and the verdict counts and maps are printed (cli_run_object and
 * cli_dump_maps in cmd_map.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpftk/elf.h>
#include <bpftk/isa.h>
#include <bpftk/object.h>
#include <bpftk/run.h>
#include <bpftk/verifier.h>
#include <bpftk/vm.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk run [options] PROGRAM\n"
		"\n"
		"Verifies PROGRAM (raw bytecode, or an ELF object), compiles it to\n"
		"native code with what the verifier proved, runs it and prints\n"
		"\"r0 = 0x... (decimal)\".  Where the JIT cannot compile a program\n"
		"(another host architecture, say) a warning says so and the fast\n"
		"interpreter runs it.  A program the verifier rejects does not run\n"
		"(see 'bpftk verify' for why).\n"
		"\n"
		"options:\n"
		"  --jit              the JIT (the default for verified programs)\n"
		"  --fast             the unchecked interpreter instead\n"
		"  --checked          the interpreter checking every memory access\n"
		"                     and counting instructions against a budget\n"
		"  --no-verify        skip the verifier; only with --checked\n"
		"  --budget N         instructions a checked run may execute\n"
		"                     (default %llu; 0 = unlimited)\n"
		"  --mem FILE         memory for the program: r1 = its address,\n"
		"                     r2 = its length (also the LD_ABS packet)\n"
		"  --mem-hex \"aa bb\"  the same memory given as hex bytes\n"
		"  --repeat N         run N times and print \"N runs, X ns/run\";\n"
		"                     memory is not reset between runs\n"
		"  --section NAME     ELF section to run (default: the first\n"
		"                     executable section)\n"
		"\n"
		"object runs (like BPF_PROG_TEST_RUN; maps, helpers, program type):\n"
		"  --prog NAME        program (function) of the object (default:\n"
		"                     the first)\n"
		"  --type TYPE        program type (xdp, sched_cls, ...) for a\n"
		"                     section that names none, such as\n"
		"                     Cilium's (default: from the section name,\n"
		"                     as libbpf)\n"
		"  --data FILE        the packet (or memory of a raw program)\n"
		"  --data-hex \"..\"    the same as hex bytes\n"
		"  --ctx FILE         ctx_in (struct xdp_md, __sk_buff, pt_regs)\n"
		"  prints \"retval = N (NAME)\", the output packet in hex when it\n"
		"  changed, and with --repeat the time per run\n"
		"\n"
		"capture runs (XDP, tc, socket filter programs of an object):\n"
		"  --pcap FILE        run over every packet of a pcap capture\n"
		"                     (XDP/tc: Ethernet captures only); prints\n"
		"                     the packet count and the count of each\n"
		"                     verdict (socket filters: kept/dropped),\n"
		"                     then the maps like bpftool; faults are\n"
		"                     counted per packet, the first is shown,\n"
		"                     and the exit code is 3 if any; progress on\n"
		"                     stderr every 100000 packets\n"
		"  -w FILE            write the packets that pass (XDP_PASS,\n"
		"                     TC_ACT_OK/UNSPEC, kept) as the program\n"
		"                     left them to this capture\n"
		"  -j, --json         the capture run's output as JSON\n"
		"  -h, --help         this text\n"
		"\n"
		"exit codes: 0 ok, 1 program rejected (by the verifier, or not\n"
		"loadable), 2 usage, 3 fault at run time\n"
		"(bad memory access, budget, call depth: the diagnostic names the\n"
		"instruction), 4 I/O error\n",
		(unsigned long long)BPFTK_VM_DEFAULT_BUDGET);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "aa bb cc" or "aabbcc" (whitespace between bytes is optional). */
static int parse_hex(const char *s, unsigned char **out, size_t *len)
{
	unsigned char *buf = malloc(strlen(s) / 2 + 1);
	size_t n = 0;
	if (!buf)
		return -1;
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		int hi = hexval((unsigned char)s[0]);
		int lo = s[1] ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0) {
			free(buf);
			return -1;
		}
		buf[n++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The instructions of PROGRAM: raw slots, or a section of an ELF object.
 * Returns an exit code; *insns is malloc'ed. */
static int read_program(const char *path, const char *section,
			struct bpftk_insn **insns, size_t *n,
			struct bpftk_diags *d)
{
	size_t len;
	char *data = cli_read_file(path, &len);
	if (!data)
		return EXIT_IO;
	int rc = EXIT_OK;
	if (len >= 4 && !memcmp(data, "\177ELF", 4)) {
		struct bpftk_elf *e = NULL;
		long idx = -1;
		if (bpftk_elf_open_mem(data, len, path, &e, d)) {
			rc = EXIT_REJECTED;
			goto out;
		}
		if (section) {
			idx = bpftk_elf_section_by_name(e, section);
			if (idx < 0)
				cli_error("%s: no section '%s'", path, section);
		} else {
			for (size_t i = 1; i < bpftk_elf_section_count(e); i++) {
				struct bpftk_elf_shdr s;
				if (!bpftk_elf_section(e, i, &s) &&
				    (s.flags & BPFTK_SHF_EXECINSTR) && s.size) {
					idx = (long)i;
					break;
				}
			}
			if (idx < 0)
				cli_error("%s: no executable section", path);
		}
		struct bpftk_insn *tmp = NULL;
		if (idx < 0) {
			rc = EXIT_REJECTED;
		} else if (bpftk_elf_section_insns(e, (size_t)idx, &tmp, n, d)) {
			rc = EXIT_REJECTED;
		} else {
			size_t nrel = bpftk_elf_reloc_count(e, (size_t)idx);
			if (nrel)
				fprintf(stderr,
					"bpftk: note: %s: %zu relocation(s) of "
					"the section are not applied\n",
					path, nrel);
			*insns = malloc((*n ? *n : 1) * sizeof(**insns));
			if (!*insns) {
				cli_error("out of memory");
				rc = EXIT_IO;
			} else {
				memcpy(*insns, tmp, *n * sizeof(**insns));
			}
		}
		bpftk_elf_buf_free(tmp);
		bpftk_elf_close(e);
		goto out;
	}
	if (section) {
		cli_error("--section needs an ELF object; '%s' is raw bytecode",
			  path);
		rc = EXIT_USAGE;
		goto out;
	}
	*insns = malloc((len / 8 ? len / 8 : 1) * sizeof(**insns));
	if (!*insns) {
		cli_error("out of memory");
		rc = EXIT_IO;
		goto out;
	}
	long got = bpftk_isa_decode(data, len, 0, *insns, d, NULL);
	if (got < 0) {
		free(*insns);
		*insns = NULL;
		rc = EXIT_REJECTED;
	} else {
		*n = (size_t)got;
	}
out:
	free(data);
	return rc;
}

static void hint_rejected(void)
{
	fprintf(stderr,
		"bpftk: run: the verifier rejected the program, so it does not "
		"run unchecked; to run it anyway with every memory access "
		"checked, add --checked --no-verify\n");
}

/* A raw program (bytecode, a section) is verified as type raw: r1 =
 * memory, r2 = its length, for the memory given (--mem).  With facts, an
 * accepted program's facts per slot for the JIT (malloc'ed; NULL when
 * memory is short, which only costs the JIT's use of them).  Returns an
 * exit code. */
static int verify_raw(const struct bpftk_insn *insns, size_t n,
		      size_t mem_len, struct bpftk_verify_insn_facts **facts,
		      struct bpftk_diags *d)
{
	struct bpftk_verify_opts vo;
	memset(&vo, 0, sizeof(vo));
	vo.sz = sizeof(vo);
	vo.raw_mem_size = (uint32_t)mem_len;
	struct bpftk_verify_result *res = NULL;
	int err = bpftk_verify(insns, n, &vo, facts ? &res : NULL, d);
	if (!err && facts && (*facts = malloc(n * sizeof(**facts))))
		for (size_t pc = 0; pc < n; pc++)
			(*facts)[pc] = bpftk_verify_result_facts(res, pc);
	bpftk_verify_result_free(res);
	if (!err)
		return EXIT_OK;
	if (err == -EACCES || err == -E2BIG)
		hint_rejected();
	return err == -ENOMEM ? EXIT_IO : EXIT_REJECTED;
}

/* The object mode: bpftk_run_new + bpftk_run_test. */
static int run_object(const char *path, const char *prog, int type,
		      unsigned char *data, size_t data_len,
		      const char *ctx_file, enum bpftk_vm_mode mode,
		      unsigned flags, uint64_t budget, uint64_t repeat,
		      struct bpftk_diags *d)
{
	struct bpftk_object *o = NULL;
	struct bpftk_run *r = NULL;
	char *ctx = NULL;
	size_t ctx_len = 0;
	unsigned char *out = NULL;
	int rc = EXIT_OK, err;
	if (ctx_file && !(ctx = cli_read_file(ctx_file, &ctx_len)))
		return EXIT_IO;
	err = bpftk_object_open_file(path, NULL, &o, d);
	if (err) {
		rc = err == -EIO ? EXIT_IO : EXIT_REJECTED;
		goto out;
	}
	struct bpftk_run_opts ro;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.prog_name = prog;
	ro.type = (enum bpftk_prog_type)type;
	ro.mode = mode;
	ro.flags = flags;
	ro.budget = budget;
	ro.raw_mem_size = (uint32_t)data_len;
	err = bpftk_run_new(o, &ro, &r, d);
	if (err) {
		if (!type)
			cli_hint_no_type(o, prog);
		if (err == -EACCES || err == -E2BIG)
			hint_rejected();
		rc = err == -ENOMEM ? EXIT_IO : EXIT_REJECTED;
		goto out;
	}
	size_t cap = data_len + 4096;
	out = malloc(cap);
	unsigned char ctx_out[BPFTK_CTX_USER_MAX];
	struct bpftk_test_run_opts t;
	memset(&t, 0, sizeof(t));
	t.sz = sizeof(t);
	t.data_in = data;
	t.data_size_in = (uint32_t)data_len;
	t.data_out = out;
	t.data_size_out = out ? (uint32_t)cap : 0;
	t.ctx_in = ctx;
	t.ctx_size_in = (uint32_t)ctx_len;
	t.ctx_out = ctx_out;
	t.ctx_size_out = sizeof(ctx_out);
	t.repeat = repeat ? (int)repeat : 1;
	err = bpftk_run_test(r, &t, d);
	if (err) {
		rc = err == -EINVAL || err == -E2BIG ? EXIT_REJECTED
						     : EXIT_FAULT;
		goto out;
	}
	const char *name = bpftk_progtype_ret_name(bpftk_run_progtype(r),
						   t.retval);
	printf("retval = %" PRIu32 "%s%s%s\n", t.retval, name ? " (" : "",
	       name ? name : "", name ? ")" : "");
	if (t.data_size_out != data_len ||
	    (t.data_size_out && memcmp(out, data, t.data_size_out))) {
		printf("data_out (%" PRIu32 " bytes):", t.data_size_out);
		for (uint32_t i = 0; i < t.data_size_out; i++)
			printf("%s%02x", i % 16 ? " " : "\n  ", out[i]);
		printf("\n");
	}
	if (repeat)
		printf("%" PRIu64 " runs, %" PRIu64 " ns/run\n", repeat,
		       t.duration);
out:
	bpftk_run_free(r);
	bpftk_object_close(o);
	free(ctx);
	free(out);
	return rc;
}

/* --pcap: the run over a capture, then the maps (cli_run_object). */
static int run_pcap(const char *path, const char *prog, int type,
		    const char *pcap, const char *out_pcap, int json,
		    enum bpftk_vm_mode mode, unsigned flags, uint64_t budget)
{
	struct cli_run_args a;
	memset(&a, 0, sizeof(a));
	a.path = path;
	a.prog = prog;
	a.type = type;
	a.pcap = pcap;
	a.out_pcap = out_pcap;
	a.json = json;
	a.report = stdout;
	a.mode = (int)mode;
	a.run_flags = flags;
	a.budget = budget;
	struct bpftk_object *o = NULL;
	struct bpftk_run *r = NULL;
	if (json)
		printf("{");
	int rc = cli_run_object(&a, &o, &r);
	if (!r && rc == EXIT_REJECTED && !(flags & BPFTK_RUN_NO_VERIFY))
		fprintf(stderr, "bpftk: run: if the verifier rejected the "
				"program: --checked --no-verify runs it with "
				"every access checked\n");
	if (r) {
		printf(json ? ",\"maps\":" : "maps:\n");
		int drc = cli_dump_maps(r, o, NULL, json, stdout);
		if (drc)
			rc = drc;
	}
	if (json)
		printf("}\n");
	bpftk_run_free(r);
	bpftk_object_close(o);
	return rc;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int cmd_run(int argc, char **argv)
{
	enum bpftk_vm_mode mode = BPFTK_VM_JIT;
	int checked = 0, no_verify = 0, jit_asked = 0;
	const char *mem_file = NULL, *mem_hex = NULL, *section = NULL;
	const char *prog = NULL, *prog_name = NULL, *ctx_file = NULL;
	const char *pcap = NULL, *out_pcap = NULL;
	int object_mode = 0, json = 0, type = 0;
	uint64_t repeat = 0, budget = 0;
	int have_budget = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (cli_is(a, "-h", "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--checked")) {
			checked = 1;
		} else if (!strcmp(a, "--fast")) {
			mode = BPFTK_VM_FAST;
			jit_asked = 0;
		} else if (!strcmp(a, "--jit")) {
			mode = BPFTK_VM_JIT;
			jit_asked = 1;
		} else if (!strcmp(a, "--no-verify")) {
			no_verify = 1;
		} else if (!strcmp(a, "--mem") && more) {
			mem_file = argv[++i];
		} else if (!strcmp(a, "--mem-hex") && more) {
			mem_hex = argv[++i];
		} else if (!strcmp(a, "--section") && more) {
			section = argv[++i];
		} else if (!strcmp(a, "--prog") && more) {
			prog_name = argv[++i];
			object_mode = 1;
		} else if (!strcmp(a, "--type") && more) {
			if (cli_prog_type(argv[++i], &type)) {
				cli_bad_type("run", argv[i]);
				return EXIT_USAGE;
			}
			object_mode = 1;
		} else if (!strcmp(a, "--data") && more) {
			mem_file = argv[++i];
			object_mode = 1;
		} else if (!strcmp(a, "--data-hex") && more) {
			mem_hex = argv[++i];
			object_mode = 1;
		} else if (!strcmp(a, "--pcap") && more) {
			pcap = argv[++i];
			object_mode = 1;
		} else if (!strcmp(a, "-w") && more) {
			out_pcap = argv[++i];
		} else if (cli_is(a, "-j", "--json")) {
			json = 1;
		} else if (!strcmp(a, "--ctx") && more) {
			ctx_file = argv[++i];
			object_mode = 1;
		} else if (!strcmp(a, "--repeat") && more) {
			if (cli_number(argv[++i], UINT64_MAX, &repeat) || repeat == 0) {
				cli_error("run: --repeat needs a count of at "
					  "least 1, not '%s'",
					  argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--budget") && more) {
			if (cli_number(argv[++i], UINT64_MAX, &budget)) {
				cli_error("run: --budget needs a number, not "
					  "'%s'",
					  argv[i]);
				return EXIT_USAGE;
			}
			have_budget = 1;
		} else if (cli_operand("run", a, "PROGRAM", &prog)) {
			return EXIT_USAGE;
		}
	}
	if (!prog) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (no_verify && !checked) {
		cli_error("run: --no-verify runs a program nobody proved safe, "
			  "which bpftk does only with every memory access "
			  "checked: add --checked");
		return EXIT_USAGE;
	}
	if (checked && jit_asked) {
		cli_error("run: --checked and --jit exclude each other");
		return EXIT_USAGE;
	}
	unsigned flags = (checked ? BPFTK_RUN_CHECKED : 0) |
			 (no_verify ? BPFTK_RUN_NO_VERIFY : 0);
	if (checked)
		mode = BPFTK_VM_CHECKED;
	if ((out_pcap || json) && !pcap) {
		cli_error("run: -w and -j go with --pcap");
		return EXIT_USAGE;
	}
	if (pcap) {
		if (mem_file || mem_hex || ctx_file || repeat || section) {
			cli_error("run: --pcap takes no --data, --mem, --ctx, "
				  "--repeat or --section");
			return EXIT_USAGE;
		}
		return run_pcap(prog, prog_name, type, pcap, out_pcap, json, mode,
				flags,
				have_budget ? (budget ? budget
						      : BPFTK_VM_UNLIMITED)
					    : 0);
	}
	if (mem_file && mem_hex) {
		cli_error("run: --mem and --mem-hex exclude each other");
		return EXIT_USAGE;
	}

	unsigned char *mem = NULL;
	size_t mem_len = 0;
	if (mem_file) {
		mem = (unsigned char *)cli_read_file(mem_file, &mem_len);
		if (!mem)
			return EXIT_IO;
	} else if (mem_hex && parse_hex(mem_hex, &mem, &mem_len)) {
		cli_error("run: --mem-hex wants hex bytes like \"aa bb 0c\", "
			  "not '%s'",
			  mem_hex);
		return EXIT_USAGE;
	}

	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_insn *insns = NULL;
	size_t n = 0;
	struct bpftk_vm *vm = NULL;
	struct bpftk_verify_insn_facts *facts = NULL;
	int rc;
	if (object_mode) {
		if (section) {
			cli_error("run: --section is for single sections; "
				  "name the program with --prog");
			rc = EXIT_USAGE;
			goto out;
		}
		rc = d ? run_object(prog, prog_name, type, mem, mem_len, ctx_file,
				    mode, flags,
				    have_budget ? (budget ? budget
							  : BPFTK_VM_UNLIMITED)
						: 0,
				    repeat, d)
		       : EXIT_IO;
		goto out;
	}
	rc = d ? read_program(prog, section, &insns, &n, d) : EXIT_IO;
	/* not even a program: say so the way loading would */
	if (!rc && bpftk_isa_validate(insns, n, d, NULL))
		rc = EXIT_REJECTED;
	if (!rc && !no_verify)
		rc = verify_raw(insns, n, mem_len,
				mode == BPFTK_VM_JIT ? &facts : NULL, d);
	if (rc)
		goto out;

	struct bpftk_vm_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.mode = mode;
	o.budget = have_budget ? (budget ? budget : BPFTK_VM_UNLIMITED) : 0;
	o.name = NULL;
	o.facts = facts;
	o.nfacts = facts ? n : 0;
	if (bpftk_vm_new(&o, &vm)) {
		cli_error("out of memory");
		rc = EXIT_IO;
		goto out;
	}
	int err = bpftk_vm_load(vm, insns, n, d);
	if (err) {
		rc = err == -ENOMEM ? EXIT_IO : EXIT_REJECTED;
		goto out;
	}
	uint64_t r0 = 0;
	double t0 = now_ns();
	err = bpftk_vm_run_mem(vm, mem, mem_len, &r0, d);
	for (uint64_t k = 1; !err && k < repeat; k++) {
		uint64_t again;
		err = bpftk_vm_run_mem(vm, mem, mem_len, &again, d);
	}
	double t1 = now_ns();
	if (err) {
		rc = EXIT_FAULT;
		goto out;
	}
	printf("r0 = 0x%" PRIx64 " (%" PRIu64 ")\n", r0, r0);
	if (repeat)
		printf("%" PRIu64 " runs, %.1f ns/run\n", repeat,
		       (t1 - t0) / (double)repeat);
out:
	cli_print_diags(d);
	bpftk_vm_free(vm);
	bpftk_diags_free(d);
	free(insns);
	free(facts);
	free(mem);
	return rc;
}
