/* cmd_filter.c — `bpftk filter`: compile a tcpdump (pcap-filter) expression
 * and list it like `tcpdump -d`, apply it to a capture (counting and
 * optionally writing the matching packets), or write it as an XDP object.
 * A thin layer over bpftk_filter_compile / _compile_ebpf; captures are
 * read and written with libpcap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <bpftk/cbpf.h>
#include <bpftk/disasm.h>
#include <bpftk/elf.h>
#include <bpftk/filter.h>
#include <bpftk/vm.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk filter [options] EXPRESSION...\n"
		"\n"
		"Compiles a pcap-filter(7) expression (the words are joined with\n"
		"spaces, as tcpdump does) to classic BPF, and eBPF on request.\n"
		"\n"
		"  -d                 list the classic program like tcpdump -d\n"
		"                     (with --ebpf: the eBPF program)\n"
		"  -r IN.pcap         apply the filter to every packet of a capture\n"
		"                     (link type and snapshot length from the file)\n"
		"                     and print how many matched\n"
		"  -w OUT.pcap        with -r: write the matching packets\n"
		"      --ebpf         with -r: run the eBPF translation in the\n"
		"                     interpreter instead of the classic program\n"
		"      --xdp          write an XDP object passing matching packets\n"
		"                     (link type EN10MB) to the file given with -o\n"
		"  -o FILE            output object of --xdp\n"
		"      --dlt NAME     link type (default EN10MB; RAW, LINUX_SLL,\n"
		"                     LINUX_SLL2, NULL, LOOP, IPV4, IPV6, PPP, C_HDLC)\n"
		"  -s SNAPLEN         value returned on a match (default 262144)\n"
		"      --netmask A.B.C.D  netmask for 'ip broadcast'\n"
		"  -O                 refuse a filter that can never match, as\n"
		"                     libpcap's optimizer does\n"
		"  -h, --help         this text\n"
		"\n"
		"exit codes: 0 ok, 1 the expression was rejected, 2 usage error,\n"
		"4 I/O error\n");
}

struct filter_args {
	char *expr;
	int list, ebpf, xdp, dlt;
	unsigned flags;
	uint32_t snaplen, netmask;
	const char *in, *out_pcap, *out_obj;
};

static int parse_args(int argc, char **argv, struct filter_args *a)
{
	size_t len = 0;

	memset(a, 0, sizeof(*a));
	a->dlt = DLT_EN10MB;
	a->snaplen = 262144;
	a->netmask = BPFTK_FILTER_NETMASK_UNKNOWN;
	a->expr = calloc(1, 1);
	for (int i = 1; i < argc && a->expr; i++) {
		const char *s = argv[i];
		int has_val = i + 1 < argc;

		if (cli_is(s, "-h", "--help")) {
			usage(stdout);
			return 1;
		} else if (cli_is(s, "-d", NULL)) {
			a->list = 1;
		} else if (cli_is(s, "--ebpf", NULL)) {
			a->ebpf = 1;
		} else if (cli_is(s, "--xdp", NULL)) {
			a->xdp = 1;
		} else if (cli_is(s, "-O", NULL)) {
			a->flags |= BPFTK_FILTER_OPTIMIZE;
		} else if (cli_is(s, "-r", NULL) && has_val) {
			a->in = argv[++i];
		} else if (cli_is(s, "-w", NULL) && has_val) {
			a->out_pcap = argv[++i];
		} else if (cli_is(s, "-o", NULL) && has_val) {
			a->out_obj = argv[++i];
		} else if (cli_is(s, "--dlt", NULL) && has_val) {
			a->dlt = bpftk_filter_dlt_from_name(argv[++i]);
			if (a->dlt < 0) {
				cli_error("filter: unknown link type '%s'", argv[i]);
				return -1;
			}
		} else if (cli_is(s, "-s", NULL) && has_val) {
			uint64_t v;
			if (cli_number(argv[++i], UINT32_MAX, &v)) {
				cli_error("filter: bad snapshot length '%s'", argv[i]);
				return -1;
			}
			a->snaplen = (uint32_t)v;
		} else if (cli_is(s, "--netmask", NULL) && has_val) {
			unsigned b0, b1, b2, b3;
			char extra;

			if (sscanf(argv[++i], "%u.%u.%u.%u%c", &b0, &b1, &b2, &b3,
				   &extra) != 4 || b0 > 255 || b1 > 255 ||
			    b2 > 255 || b3 > 255) {
				cli_error("filter: bad netmask '%s'", argv[i]);
				return -1;
			}
			a->netmask = b0 << 24 | b1 << 16 | b2 << 8 | b3;
		} else if (s[0] == '-' && s[1] && !a->expr[0]) {
			cli_error("filter: unknown option '%s' (try --help)", s);
			return -1;
		} else {
			size_t l = strlen(s);
			char *e = realloc(a->expr, len + l + 2);

			if (!e) {
				free(a->expr);
				a->expr = NULL;
				break;
			}
			a->expr = e;
			if (len)
				a->expr[len++] = ' ';
			memcpy(a->expr + len, s, l + 1);
			len += l;
		}
	}
	if (!a->expr) {
		cli_error("filter: out of memory");
		return -1;
	}
	if (a->xdp && !a->out_obj) {
		cli_error("filter: --xdp needs -o FILE");
		return -1;
	}
	if (a->out_pcap && !a->in) {
		cli_error("filter: -w needs -r");
		return -1;
	}
	if (!a->list && !a->in && !a->xdp) {
		cli_error("filter: nothing to do (-d, -r or --xdp; try --help)");
		return -1;
	}
	return 0;
}

/* The expression with a caret under the column of the first error. */
static void show_error(const char *expr, const struct bpftk_diags *d)
{
	const struct bpftk_diag *g = bpftk_diags_get(d, 0);

	cli_print_diags(d);
	if (!g || g->col < 1 || strchr(expr, '\n'))
		return;
	fprintf(stderr, "  %s\n  %*s^\n", expr, g->col - 1, "");
}

static int list_program(const struct filter_args *a)
{
	struct bpftk_diags *d = bpftk_diags_new();
	int rc = EXIT_OK, err;

	if (a->ebpf) {
		struct bpftk_insn *e = NULL;
		size_t n = 0;
		char *text = NULL;
		size_t tlen = 0;

		err = bpftk_filter_compile_ebpf(a->expr, a->dlt, a->snaplen,
						a->netmask, a->flags,
						a->xdp ? BPFTK_FILTER_EBPF_XDP
						       : BPFTK_FILTER_EBPF_RAW,
						&e, &n, d);
		if (!err)
			err = bpftk_disasm_prog(e, n, NULL, &text, &tlen, d);
		if (!err)
			fputs(text, stdout);
		bpftk_disasm_free(text);
		bpftk_cbpf_free(e);
	} else {
		struct bpftk_cbpf_insn *p = NULL;
		size_t n = 0;
		char *text = NULL;

		err = bpftk_filter_compile(a->expr, a->dlt, a->snaplen, a->netmask,
					   a->flags, &p, &n, d);
		if (!err)
			err = bpftk_cbpf_disasm(p, n, &text);
		if (!err)
			fputs(text, stdout);
		bpftk_cbpf_free(text);
		bpftk_cbpf_free(p);
	}
	if (err) {
		show_error(a->expr, d);
		rc = EXIT_REJECTED;
	}
	bpftk_diags_free(d);
	return rc;
}

static int write_xdp(const struct filter_args *a)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_insn *e = NULL;
	size_t n = 0, len = 0;
	void *obj = NULL;
	int rc = EXIT_OK;
	int err = bpftk_filter_compile_ebpf(a->expr, a->dlt, a->snaplen,
					    a->netmask, a->flags,
					    BPFTK_FILTER_EBPF_XDP, &e, &n, d);

	if (err) {
		show_error(a->expr, d);
		rc = EXIT_REJECTED;
	} else {
		struct bpftk_elf_symbol sym = {"xdp_filter", 0};
		struct bpftk_elf_section sec = {"xdp", e, n, &sym, 1};

		err = bpftk_elf_write(&sec, 1, "Dual BSD/GPL", 0, &obj, &len, d);
		if (err) {
			cli_print_diags(d);
			rc = EXIT_REJECTED;
		} else if (cli_write_file(a->out_obj, obj, len) < 0) {
			rc = EXIT_IO;
		}
	}
	bpftk_elf_buf_free(obj);
	bpftk_cbpf_free(e);
	bpftk_diags_free(d);
	return rc;
}

/* A compiled filter of either kind, applied to one packet. */
struct matcher {
	struct bpftk_cbpf_insn *prog;
	size_t n;
	struct bpftk_vm *vm;
};

static uint32_t match(const struct matcher *m, const uint8_t *data,
		      uint32_t caplen, uint32_t len, int *fault)
{
	if (!m->vm)
		return bpftk_cbpf_run(m->prog, m->n, BPFTK_CBPF_PCAP, data, len,
				      caplen);
	struct bpftk_vm_region reg = {(void *)(uintptr_t)data, caplen, 0};
	struct bpftk_vm_run_opts ro = {.sz = sizeof(ro), .regions = &reg,
				       .nregions = 1};
	uint64_t r0 = 0;

	ro.args[0] = (uint64_t)(uintptr_t)data;
	ro.args[1] = caplen;
	ro.args[2] = len;
	if (bpftk_vm_run(m->vm, &ro, &r0, NULL)) {
		*fault = 1;
		return 0;
	}
	return (uint32_t)r0;
}

static int build_matcher(const struct filter_args *a, int dlt,
			 uint32_t snaplen, struct matcher *m,
			 struct bpftk_diags *d)
{
	int err;

	memset(m, 0, sizeof(*m));
	if (!a->ebpf)
		return bpftk_filter_compile(a->expr, dlt, snaplen, a->netmask,
					    a->flags, &m->prog, &m->n, d);
	struct bpftk_insn *e = NULL;
	size_t n = 0;
	struct bpftk_vm_opts o = {.sz = sizeof(o), .mode = BPFTK_VM_CHECKED};

	err = bpftk_filter_compile_ebpf(a->expr, dlt, snaplen, a->netmask,
					a->flags, BPFTK_FILTER_EBPF_RAW, &e, &n,
					d);
	if (!err)
		err = bpftk_vm_new(&o, &m->vm);
	if (!err)
		err = bpftk_vm_load(m->vm, e, n, d);
	bpftk_cbpf_free(e);
	return err;
}

static int apply(const struct filter_args *a)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(a->in, eb);
	pcap_dumper_t *out = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	struct matcher m;
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long total = 0, matched = 0, faults = 0;
	int rc = EXIT_OK, r;

	if (!in) {
		cli_error("filter: cannot read '%s': %s", a->in, eb);
		bpftk_diags_free(d);
		return EXIT_IO;
	}
	if (build_matcher(a, pcap_datalink(in), (uint32_t)pcap_snapshot(in),
			  &m, d)) {
		show_error(a->expr, d);
		rc = EXIT_REJECTED;
		goto out;
	}
	if (a->out_pcap && !(out = pcap_dump_open(in, a->out_pcap))) {
		cli_error("filter: cannot write '%s': %s", a->out_pcap,
			  pcap_geterr(in));
		rc = EXIT_IO;
		goto out;
	}
	while ((r = pcap_next_ex(in, &h, &data)) == 1) {
		int fault = 0;

		total++;
		if (match(&m, data, h->caplen, h->len, &fault)) {
			matched++;
			if (out)
				pcap_dump((u_char *)out, h, data);
		}
		faults += (unsigned long)fault;
	}
	if (r == -1) {
		cli_error("filter: error reading '%s': %s", a->in,
			  pcap_geterr(in));
		rc = EXIT_IO;
	}
	printf("%lu packets, %lu matched\n", total, matched);
	if (faults) {
		cli_error("filter: %lu packets faulted in the eBPF run", faults);
		rc = EXIT_FAULT;
	}
out:
	if (out)
		pcap_dump_close(out);
	bpftk_cbpf_free(m.prog);
	bpftk_vm_free(m.vm);
	pcap_close(in);
	bpftk_diags_free(d);
	return rc;
}

int cmd_filter(int argc, char **argv)
{
	struct filter_args a;
	int rc = parse_args(argc, argv, &a);

	if (rc) {
		free(a.expr);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (a.list)
		rc = list_program(&a);
	if (rc == EXIT_OK && a.xdp)
		rc = write_xdp(&a);
	if (rc == EXIT_OK && a.in)
		rc = apply(&a);
	free(a.expr);
	return rc;
}
