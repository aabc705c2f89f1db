/* test_cbpf_pcap.c — classic BPF text and execution against libpcap, over
 * the pcap-filter test data of ../shared:
 *  - every listing of accept.tsv (expected_opt and expected_unopt, as
 *    libpcap's TESTrun expects them) assembles with bpftk_cbpf_asm and
 *    disassembles back to the same text (those listings carry no trailing
 *    blanks and, in the `_enumerate_bpf_image` row, "; 0xNNNN" comments:
 *    both are left out of the comparison);
 *  - every accept.tsv expression the installed libpcap compiles (optimized
 *    and not) gives a program our disassembler prints byte for byte as
 *    bpf_image() does, that our PCAP validator accepts, and that our
 *    interpreter runs with the same result as bpf_filter() on every packet
 *    of ../shared/pcaps and ../shared/pcap-filter/captures of its link type
 *    (at most 300 per file), and so does its eBPF translation in the vm,
 *    checked and fast;
 *  - `tcpdump -d` itself prints what our disassembler prints for a few
 *    expressions compiled on a capture;
 *  - assembler error messages name file:line:col and what was expected. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/cbpf.h>
#include <bpftk/vm.h>

#include "test.h"
#include "test_cbpf_util.h"

struct packet {
	int dlt;
	uint32_t caplen, wirelen;
	uint8_t *data;
};

static struct packet *pkts;
static size_t npkts, pktcap;

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[2048], err[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *p;
		int per_file = 0;

		if (!strstr(e->d_name, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(p = pcap_open_offline(path, err)))
			continue;
		while (per_file < 300 && pcap_next_ex(p, &h, &data) == 1) {
			if (npkts == pktcap) {
				pktcap = pktcap ? 2 * pktcap : 1024;
				pkts = realloc(pkts, pktcap * sizeof(*pkts));
			}
			pkts[npkts].dlt = pcap_datalink(p);
			pkts[npkts].caplen = h->caplen;
			pkts[npkts].wirelen = h->len;
			pkts[npkts].data = malloc(h->caplen ? h->caplen : 1);
			memcpy(pkts[npkts].data, data, h->caplen);
			npkts++;
			per_file++;
		}
		pcap_close(p);
	}
	closedir(d);
}

/* The listing as compared: per line, a "; ..." comment and trailing
 * blanks removed. */
static void normalize(char *s)
{
	char *o = s, *line = s;
	while (*line) {
		char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char *semi = memchr(line, ';', len);
		if (semi)
			len = (size_t)(semi - line);
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		memmove(o, line, len);
		o += len;
		if (eol)
			*o++ = '\n';
		line = eol ? eol + 1 : line + strlen(line);
	}
	*o = 0;
}

static unsigned listings, listing_mismatch;

static void check_listing(const char *name, char *listing)
{
	struct bpftk_cbpf_insn *prog = NULL;
	struct bpftk_diags *d;
	char *text = NULL;
	size_t n = 0;
	int err;

	if (!*listing)
		return;
	d = bpftk_diags_new();
	listings++;
	err = bpftk_cbpf_asm(listing, name, &prog, &n, d);
	if (!err)
		err = bpftk_cbpf_disasm(prog, n, &text);
	normalize(listing);
	if (text)
		normalize(text);
	if (err || strcmp(text, listing)) {
		if (listing_mismatch++ < 5) {
			char buf[256] = "";
			if (bpftk_diags_count(d))
				bpftk_diag_format(bpftk_diags_get(d, 0), buf,
						  sizeof(buf));
			fprintf(stderr, "%s: err %d %s\nwant:\n%s\ngot:\n%s\n",
				name, err, buf, listing, text ? text : "");
		}
	}
	bpftk_cbpf_free(text);
	bpftk_cbpf_free(prog);
	bpftk_diags_free(d);
}

static unsigned compiled, image_mismatch, invalid, runs, run_mismatch,
	matched, eb_progs, eb_runs, eb_mismatch;

static void check_compiled(const char *expr, int dlt, int snaplen,
			   bpf_u_int32 mask, int optimize)
{
	pcap_t *p = pcap_open_dead(dlt, snaplen);
	struct bpf_program fp;
	struct bpftk_cbpf_insn *prog;
	struct bpftk_diags *d;
	char *ours = NULL, *want;
	size_t n, len = 0;

	if (!p)
		return;
	if (pcap_compile(p, &fp, expr, optimize, mask)) {
		pcap_close(p);
		return;
	}
	compiled++;
	n = fp.bf_len;
	prog = calloc(n, sizeof(*prog));
	want = malloc(n * 128 + 1);
	want[0] = 0;
	for (size_t i = 0; i < n; i++) {
		prog[i].code = fp.bf_insns[i].code;
		prog[i].jt = fp.bf_insns[i].jt;
		prog[i].jf = fp.bf_insns[i].jf;
		prog[i].k = fp.bf_insns[i].k;
		len += (size_t)sprintf(want + len, "%s\n",
				       bpf_image(&fp.bf_insns[i], (int)i));
	}
	CHECK(bpftk_cbpf_disasm(prog, n, &ours) == 0);
	if (!ours || strcmp(ours, want)) {
		if (image_mismatch++ < 5)
			fprintf(stderr, "'%s': listing differs:\n%s\nvs\n%s\n",
				expr, ours ? ours : "", want);
	}
	d = bpftk_diags_new();
	if (bpftk_cbpf_validate(prog, n, BPFTK_CBPF_PCAP, d)) {
		if (invalid++ < 5) {
			char buf[256];
			bpftk_diag_format(bpftk_diags_get(d, 0), buf,
					  sizeof(buf));
			fprintf(stderr, "'%s': rejected: %s\n", expr, buf);
		}
	} else {
		struct bpftk_vm *vms[2];
		int loaded = eb_load(prog, n, BPFTK_CBPF_PCAP, vms) == 0;
		eb_progs += loaded;
		for (size_t i = 0; i < npkts; i++) {
			uint32_t a, b, e[2] = {0, 0};
			if (pkts[i].dlt != dlt)
				continue;
			a = bpftk_cbpf_run(prog, n, BPFTK_CBPF_PCAP,
					   pkts[i].data, pkts[i].wirelen,
					   pkts[i].caplen);
			b = bpf_filter(fp.bf_insns, pkts[i].data,
				       pkts[i].wirelen, pkts[i].caplen);
			runs++;
			matched += b != 0;
			if (a != b && run_mismatch++ < 5)
				fprintf(stderr, "'%s' packet %zu: %u != %u\n",
					expr, i, a, b);
			for (int m = 0; loaded && m < 2; m++) {
				int err = eb_run(vms, m, pkts[i].data,
						 pkts[i].wirelen,
						 pkts[i].caplen, NULL, NULL,
						 &e[m]);
				eb_runs++;
				if ((err || e[m] != b) && eb_mismatch++ < 5)
					fprintf(stderr,
						"'%s' packet %zu eBPF mode "
						"%d: err %d, %u != %u\n",
						expr, i, m, err, e[m], b);
			}
		}
		if (loaded)
			eb_free(vms);
	}
	bpftk_diags_free(d);
	bpftk_cbpf_free(ours);
	free(want);
	free(prog);
	pcap_freecode(&fp);
	pcap_close(p);
}

static unsigned rows;

static void accept_row(char **fl, void *ctx)
{
	char name[300];
	int dlt, snaplen;
	bpf_u_int32 mask = PCAP_NETMASK_UNKNOWN;
	struct in_addr a;

	(void)ctx;
	rows++;
	for (int i = 0; i < 12; i++)
		tsv_unescape(fl[i]);
	snprintf(name, sizeof(name), "accept.tsv:%s/%s:opt", fl[0], fl[1]);
	check_listing(name, fl[10]);
	name[strlen(name) - 3] = 0;
	strcat(name, "unopt");
	check_listing(name, fl[11]);
	if (!strcmp(fl[4], "_enumerate_bpf_image") || strcmp(fl[6], "no"))
		return; /* Linux extensions need a live capture */
	if (!strncmp(fl[8], "configure the", 13))
		return; /* names this machine does not have: libpcap would
			 * only wait for resolvers to fail */
	dlt = pcap_datalink_name_to_val(fl[2]);
	if (dlt < 0)
		return;
	snaplen = *fl[3] ? atoi(fl[3]) : 262144;
	if (*fl[5] && inet_pton(AF_INET, fl[5], &a) == 1)
		mask = ntohl(a.s_addr);
	check_compiled(fl[4], dlt, snaplen, mask, 1);
	check_compiled(fl[4], dlt, snaplen, mask, 0);
}

static void test_accept_tsv(void)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/pcaps", test_shared);
	load_dir(path);
	snprintf(path, sizeof(path), "%s/pcap-filter/captures", test_shared);
	load_dir(path);
	CHECK(accept_rows(test_shared, accept_row, NULL) == 0);
	printf("accept.tsv: %u rows; %u listings assembled and "
	       "disassembled, %u mismatches\n", rows, listings,
	       listing_mismatch);
	printf("libpcap 1.10.3: %u programs compiled; bpf_image listing "
	       "mismatches %u; rejected by our validator %u\n", compiled,
	       image_mismatch, invalid);
	printf("bpf_filter: %zu packets loaded, %u runs (%u matched), %u "
	       "mismatches\n", npkts, runs, matched, run_mismatch);
	printf("eBPF translation: %u programs, %u vm runs (checked and "
	       "fast), %u mismatches with bpf_filter\n", eb_progs, eb_runs,
	       eb_mismatch);
	CHECK(listings > 4000);
	CHECK_EQ_U64(eb_progs, compiled);
	CHECK_EQ_U64(eb_mismatch, 0);
	CHECK_EQ_U64(listing_mismatch, 0);
	CHECK(compiled > 3000);
	CHECK_EQ_U64(image_mismatch, 0);
	CHECK_EQ_U64(invalid, 0);
	CHECK(runs > 100000);
	CHECK_EQ_U64(run_mismatch, 0);
	for (size_t i = 0; i < npkts; i++)
		free(pkts[i].data);
	free(pkts);
}

/* `tcpdump -d -r FILE EXPR` itself (stdout only; the "reading from"
 * line goes to stderr) vs our listing of the same compile. */
static void test_tcpdump_d(void)
{
	static const char *const exprs[] = {
		"udp port 53", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
		"ip6 protochain 17", "vlan and host 10.0.0.1",
		"len - 14 >= 100", "ether proto \\arp or icmp",
		"ip[2:2] > 576 and not net 192.168.0.0/16",
		"portrange 1000-2000", "ip multicast", "greater 100",
	};
	char file[1024], cmd[2048], err[PCAP_ERRBUF_SIZE];
	unsigned compared = 0, mismatches = 0;

	snprintf(file, sizeof(file), "%s/pcaps/dns_udp.pcap", test_shared);
	if (system("tcpdump --version >/dev/null 2>&1")) {
		printf("tcpdump -d: skipped (no tcpdump)\n");
		return;
	}
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		pcap_t *p = pcap_open_offline(file, err);
		struct bpf_program fp;
		char want[65536], *ours = NULL;
		size_t len = 0, k;
		FILE *f;

		CHECK(p != NULL);
		if (!p)
			return;
		CHECK(pcap_compile(p, &fp, exprs[i], 1, PCAP_NETMASK_UNKNOWN) ==
		      0);
		snprintf(cmd, sizeof(cmd), "tcpdump -d -r '%s' '%s' 2>/dev/null",
			 file, exprs[i]);
		f = popen(cmd, "r");
		while (f && (k = fread(want + len, 1, sizeof(want) - 1 - len,
				       f)) > 0)
			len += k;
		want[len] = 0;
		if (f)
			pclose(f);
		{
			struct bpftk_cbpf_insn *prog =
				calloc(fp.bf_len, sizeof(*prog));
			for (size_t j = 0; prog && j < fp.bf_len; j++)
				prog[j] = (struct bpftk_cbpf_insn){
					fp.bf_insns[j].code, fp.bf_insns[j].jt,
					fp.bf_insns[j].jf, fp.bf_insns[j].k};
			CHECK(bpftk_cbpf_disasm(prog, fp.bf_len, &ours) == 0);
			free(prog);
		}
		compared++;
		if (!ours || strcmp(ours, want)) {
			mismatches++;
			fprintf(stderr, "tcpdump -d '%s':\n%s\nours:\n%s\n",
				exprs[i], want, ours ? ours : "");
		}
		bpftk_cbpf_free(ours);
		pcap_freecode(&fp);
		pcap_close(p);
	}
	printf("tcpdump -d: %u expressions, %u listings differ\n", compared,
	       mismatches);
	CHECK_EQ_U64(mismatches, 0);
}

static int asm_error(const char *text, const char *want)
{
	struct bpftk_diags *d = bpftk_diags_new();
	struct bpftk_cbpf_insn *prog = NULL;
	size_t n = 0;
	char buf[512] = "";
	int err = bpftk_cbpf_asm(text, "t.bpf", &prog, &n, d);

	if (bpftk_diags_count(d))
		bpftk_diag_format(bpftk_diags_get(d, 0), buf, sizeof(buf));
	bpftk_diags_free(d);
	bpftk_cbpf_free(prog);
	if (err != -EINVAL || !strstr(buf, want)) {
		fprintf(stderr, "asm '%s': err %d, '%s' (want '%s')\n", text,
			err, buf, want);
		return 0;
	}
	return prog == NULL && n == 0;
}

static void test_asm_errors(void)
{
	CHECK(asm_error("ldh [12]\nfoo #1\nret #0\n",
			"t.bpf:2:1: error: 'foo' does not take this operand"));
	CHECK(asm_error("ld [12\nret #0\n", "t.bpf:1:7: error: expected ']'"));
	CHECK(asm_error("jeq #1 jt 1\nret #0\n",
			"t.bpf:1:12: error: expected 'jf'"));
	CHECK(asm_error("jeq #1 jt 1 jf 300\nret #0\n",
			"t.bpf:1:16: error: jump target 300 out of reach"));
	CHECK(asm_error("ld #0x1ffffffff\n", "t.bpf:1:5: error: number does "
						  "not fit in 32 bits"));
	CHECK(asm_error("(001) ret #0\n", "t.bpf:1:1: error: instruction "
					  "number (nnn) does not match"));
	CHECK(asm_error("ja nowhere\nret #0\n",
			"t.bpf:1:4: error: unknown label 'nowhere'"));
	CHECK(asm_error("ld M[3] extra\n", "t.bpf:1:9: error: expected the "
					   "end of the line"));
	CHECK(asm_error("ld [bogus]\n", "t.bpf:1:5: error: expected an "
					"offset or an ancillary name"));
	CHECK(asm_error("\n; nothing\n", "expected at least one instruction"));
	CHECK(asm_error("tax #1\n", "'tax' does not take this operand"));
	{
		struct bpftk_cbpf_insn *p = NULL;
		size_t n = 0;
		const char *src = "start: ldh [12]\n"
				  "  jeq #0x800 jt ip jf drop ; IPv4?\n"
				  "ip: ldb [x + 23]\n"
				  "ja done\n"
				  "drop: ret #0\n"
				  "done: ret\n";
		CHECK(bpftk_cbpf_asm(src, "t", &p, &n, NULL) == 0);
		CHECK_EQ_U64(n, 6);
		if (n == 6) {
			CHECK_EQ_U64(p[1].jt, 0);
			CHECK_EQ_U64(p[1].jf, 2);
			CHECK_EQ_U64(p[3].k, 1);
			CHECK_EQ_U64(p[2].code, 0x50);
			CHECK(bpftk_cbpf_validate(p, n, BPFTK_CBPF_PCAP,
						  NULL) == 0);
		}
		bpftk_cbpf_free(p);
	}
}

TEST_MAIN({
	test_accept_tsv();
	test_tcpdump_d();
	test_asm_errors();
})
