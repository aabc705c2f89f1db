/* bench_filter.c — compile speed and code size of the pcap-filter
 * compiler against libpcap's, side by side: every expression of
 * ../shared/pcap-filter/accept.tsv (its DLT, snaplen and netmask columns)
 * compiled with optimization on by pcap_compile(optimize = 1) on a dead
 * handle and by bpftk_filter_compile(BPFTK_FILTER_OPTIMIZE).  Rows either
 * side rejects (or whose link type libpcap does not name) are left out of
 * the comparison and counted, so both columns time the same expressions.
 *
 * The table gives total and mean microseconds per compile, the ratio, the
 * geometric mean of the per-expression ratios (so a few huge expressions
 * do not decide it alone), the instruction counts of both optimized
 * outputs and on how many expressions ours is shorter, equal or longer;
 * then the five expressions on which bpftk is slowest relative to
 * libpcap, which is where a developer looking for compile time starts.
 *
 * Times are the thread's CPU time of a batch of compiles (each compile
 * frees its program inside the batch, as a caller would), batches of at
 * least ~1 ms per expression and side, the best of several rounds.  A
 * round walks all expressions and alternates the two compilers on each,
 * so a change of machine load hits both alike.  The dead handle is made
 * once per expression, outside the timing: it stands for the pcap_t a
 * libpcap caller already has.
 *
 *   bench_filter [--quick] [-v] [ACCEPT.tsv]
 *     --quick   shorter batches and fewer rounds (a smoke run)
 *     -v        list the rows left out, with the compilers' errors
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include <bpftk/cbpf.h>
#include <bpftk/filter.h>

#ifndef BENCH_SHARED
#define BENCH_SHARED "../shared"
#endif

#define TOP 5

struct expr {
	char *text;
	int dlt;
	uint32_t snaplen, netmask;
	pcap_t *dead;
	size_t ours, theirs;	  /* optimized instruction counts */
	unsigned long n_ours, n_lib; /* compiles per batch */
	double t_ours, t_lib;	  /* best ns per compile */
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Splits a line of the table in place; fields are unescaped as the
 * table's README says (\\, \t, \n, \r).  Returns the field count. */
static int fields(char *line, char **f, int max)
{
	int n = 0;
	char *w = line;
	f[n++] = w;
	for (char *r = line; *r && *r != '\n'; r++) {
		if (*r == '\t') {
			*w++ = '\0';
			if (n == max)
				return n;
			f[n++] = w;
		} else if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n'
					  : *r == 'r' ? '\r'
						      : *r;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return n;
}

static uint32_t netmask_of(const char *s)
{
	unsigned a, b, c, d;
	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return BPFTK_FILTER_NETMASK_UNKNOWN;
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

static int compile_ours(const struct expr *e, struct bpftk_diags *d,
			size_t *n)
{
	struct bpftk_cbpf_insn *prog = NULL;
	int err = bpftk_filter_compile(e->text, e->dlt, e->snaplen, e->netmask,
				       BPFTK_FILTER_OPTIMIZE, &prog, n, d);
	bpftk_cbpf_free(prog);
	bpftk_diags_clear(d);
	return err;
}

static int compile_lib(const struct expr *e, size_t *n)
{
	struct bpf_program bp;
	if (pcap_compile(e->dead, &bp, e->text, 1, e->netmask))
		return -1;
	*n = bp.bf_len;
	pcap_freecode(&bp);
	return 0;
}

/* ns per compile over a batch of n compiles; side 0 bpftk, 1 libpcap. */
static double batch(const struct expr *e, int side, unsigned long n,
		    struct bpftk_diags *d)
{
	size_t len;
	double t0 = now_ns();
	for (unsigned long k = 0; k < n; k++) {
		if (side)
			compile_lib(e, &len);
		else
			compile_ours(e, d, &len);
	}
	return (now_ns() - t0) / (double)n;
}

/* Compiles per batch so that one batch takes at least min_ns; the last
 * batch's time per compile goes to *t (the first round). */
static unsigned long calibrate(const struct expr *e, int side, double min_ns,
			       struct bpftk_diags *d, double *t)
{
	unsigned long n = 1;
	while ((*t = batch(e, side, n, d)) * (double)n < min_ns &&
	       n < (1ul << 20))
		n *= 2;
	return n;
}

/* The expression on one line, at most width characters. */
static void print_expr(const char *s, int width)
{
	int col = 0;
	for (; *s && col < width; s++, col++)
		putchar(*s == '\n' || *s == '\t' || *s == '\r' ? ' ' : *s);
	if (*s)
		fputs("...", stdout);
}

static int by_ratio(const void *a, const void *b)
{
	const struct expr *x = *(const struct expr *const *)a;
	const struct expr *y = *(const struct expr *const *)b;
	double rx = x->t_ours / x->t_lib, ry = y->t_ours / y->t_lib;
	return rx < ry ? 1 : rx > ry ? -1 : 0;
}

int main(int argc, char **argv)
{
	int quick = 0, verbose = 0;
	const char *table = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (argv[i][0] != '-' && !table)
			table = argv[i];
		else {
			fprintf(stderr,
				"usage: bench_filter [--quick] [-v] [ACCEPT.tsv]\n");
			return 2;
		}
	}
	char path[4096];
	if (!table) {
		const char *shared = getenv("BENCH_SHARED");
		snprintf(path, sizeof(path), "%s/pcap-filter/accept.tsv",
			 shared ? shared : BENCH_SHARED);
		table = path;
	}
	FILE *f = fopen(table, "r");
	if (!f) {
		fprintf(stderr, "bench_filter: cannot open %s\n", table);
		return 1;
	}
	double min_ns = quick ? 1e5 : 1e6;
	int rounds = quick ? 2 : 4;

	struct bpftk_diags *d = bpftk_diags_new();
	size_t cap = 256, ne = 0;
	struct expr *ex = malloc(cap * sizeof(*ex));
	static char line[1 << 16];
	size_t rows = 0, no_dlt = 0, lib_rej = 0, our_rej = 0, both_rej = 0;
	if (!d || !ex)
		return 1;
	/* the header row names the columns; the pseudo-expression of block
	 * bpf_image is filtertest's opcode listing, not a filter */
	while (fgets(line, sizeof(line), f)) {
		char *fl[12];
		if (fields(line, fl, 12) < 6 || !strcmp(fl[0], "name") ||
		    !strcmp(fl[4], "_enumerate_bpf_image"))
			continue;
		rows++;
		int dlt = pcap_datalink_name_to_val(fl[2]);
		if (dlt < 0) {
			no_dlt++;
			continue;
		}
		if (ne == cap) {
			struct expr *m = realloc(ex, 2 * cap * sizeof(*ex));
			if (!m)
				return 1;
			ex = m;
			cap *= 2;
		}
		struct expr *e = &ex[ne];
		memset(e, 0, sizeof(*e));
		e->text = fl[4];
		e->dlt = dlt;
		e->snaplen = *fl[3] ? (uint32_t)strtoul(fl[3], NULL, 10)
				    : 262144;
		e->netmask = netmask_of(fl[5]);
		e->dead = pcap_open_dead(dlt, (int)e->snaplen);
		if (!e->dead)
			return 1;
		int lib_ok = !compile_lib(e, &e->theirs);
		if (verbose && !lib_ok)
			fprintf(stderr, "left out: %s [%s]: libpcap: %s\n",
				fl[0], fl[2], pcap_geterr(e->dead));
		struct bpftk_cbpf_insn *prog = NULL;
		int our_ok = !bpftk_filter_compile(e->text, dlt, e->snaplen,
						   e->netmask,
						   BPFTK_FILTER_OPTIMIZE,
						   &prog, &e->ours, d);
		if (verbose && !our_ok) {
			char msg[512] = "";
			if (bpftk_diags_count(d))
				bpftk_diag_format(bpftk_diags_get(d, 0), msg,
						  sizeof(msg));
			fprintf(stderr, "left out: %s [%s]: bpftk: %s\n", fl[0],
				fl[2], msg);
		}
		bpftk_cbpf_free(prog);
		bpftk_diags_clear(d);
		if (!lib_ok || !our_ok) {
			lib_rej += !lib_ok && our_ok;
			our_rej += lib_ok && !our_ok;
			both_rej += !lib_ok && !our_ok;
			pcap_close(e->dead);
			continue;
		}
		e->text = malloc(strlen(fl[4]) + 1);
		if (!e->text)
			return 1;
		strcpy(e->text, fl[4]);
		ne++;
	}
	fclose(f);
	if (!ne) {
		fprintf(stderr, "bench_filter: no expression both compile\n");
		return 1;
	}

	for (size_t i = 0; i < ne; i++) {
		struct expr *e = &ex[i];
		e->n_ours = calibrate(e, 0, min_ns, d, &e->t_ours);
		e->n_lib = calibrate(e, 1, min_ns, d, &e->t_lib);
	}
	for (int r = 1; r < rounds; r++)
		for (size_t i = 0; i < ne; i++) {
			struct expr *e = &ex[i];
			double t = batch(e, 0, e->n_ours, d);
			if (t < e->t_ours)
				e->t_ours = t;
			t = batch(e, 1, e->n_lib, d);
			if (t < e->t_lib)
				e->t_lib = t;
		}

	double sum_ours = 0, sum_lib = 0, logr = 0;
	size_t ins_ours = 0, ins_lib = 0, shorter = 0, equal = 0, longer = 0;
	for (size_t i = 0; i < ne; i++) {
		const struct expr *e = &ex[i];
		sum_ours += e->t_ours;
		sum_lib += e->t_lib;
		logr += log(e->t_ours / e->t_lib);
		ins_ours += e->ours;
		ins_lib += e->theirs;
		shorter += e->ours < e->theirs;
		equal += e->ours == e->theirs;
		longer += e->ours > e->theirs;
	}
	double m = (double)ne;
	printf("pcap-filter compile, optimized: %zu expressions of %zu rows "
	       "of accept.tsv (left out: %zu libpcap rejects, %zu bpftk "
	       "rejects, %zu both, %zu link type unknown to libpcap)\n",
	       ne, rows, lib_rej, our_rej, both_rej, no_dlt);
	printf("%-16s %10s %10s %10s %9s\n", "compiler", "total ms", "us/expr",
	       "insns", "insn/expr");
	printf("%-16s %10.2f %10.2f %10zu %9.2f\n", "libpcap", sum_lib / 1e6,
	       sum_lib / m / 1e3, ins_lib, (double)ins_lib / m);
	printf("%-16s %10.2f %10.2f %10zu %9.2f\n", "bpftk", sum_ours / 1e6,
	       sum_ours / m / 1e3, ins_ours, (double)ins_ours / m);
	printf("%-16s %9.2fx %9.2fx %9.2fx\n", "bpftk/libpcap",
	       sum_ours / sum_lib, sum_ours / sum_lib,
	       (double)ins_ours / (double)ins_lib);
	printf("per-expression time ratio bpftk/libpcap: geomean %.2fx\n",
	       exp(logr / m));
	printf("bpftk's output vs libpcap's: shorter on %zu, equal on %zu, "
	       "longer on %zu expressions\n",
	       shorter, equal, longer);

	struct expr **order = malloc(ne * sizeof(*order));
	if (!order)
		return 1;
	for (size_t i = 0; i < ne; i++)
		order[i] = &ex[i];
	qsort(order, ne, sizeof(*order), by_ratio);
	printf("\nslowest for bpftk relative to libpcap:\n");
	printf("%9s %10s %7s %11s %-14s %s\n", "bpftk us", "libpcap us",
	       "ratio", "insns b/l", "DLT", "expression");
	for (size_t i = 0; i < ne && i < TOP; i++) {
		const struct expr *e = order[i];
		char ins[32];
		const char *dn = pcap_datalink_val_to_name(e->dlt);
		snprintf(ins, sizeof(ins), "%zu/%zu", e->ours, e->theirs);
		printf("%9.2f %10.2f %6.2fx %11s %-14s ", e->t_ours / 1e3,
		       e->t_lib / 1e3, e->t_ours / e->t_lib, ins,
		       dn ? dn : "?");
		print_expr(e->text, 70);
		putchar('\n');
	}
	/* whether those few decide the totals */
	if (ne > TOP) {
		double ro = 0, rl = 0;
		size_t io = 0, il = 0;
		for (size_t i = TOP; i < ne; i++) {
			ro += order[i]->t_ours;
			rl += order[i]->t_lib;
			io += order[i]->ours;
			il += order[i]->theirs;
		}
		printf("the other %zu: bpftk %.2f ms, libpcap %.2f ms (%.2fx); "
		       "insns %zu vs %zu (%.2fx)\n",
		       ne - TOP, ro / 1e6, rl / 1e6, ro / rl, io, il,
		       (double)io / (double)il);
	}
	printf("times: thread CPU time, best of %d rounds of >= %.1f ms "
	       "batches per expression and compiler; %s\n",
	       rounds, min_ns / 1e6, pcap_lib_version());

	free(order);
	for (size_t i = 0; i < ne; i++) {
		free(ex[i].text);
		pcap_close(ex[i].dead);
	}
	free(ex);
	bpftk_diags_free(d);
	return 0;
}
