/* cmd_map.c — `bpftk map dump|lookup|update|delete`: the maps of an
 * object after a run (over a capture, one packet, or nothing), shown the
 * way bpftool shows kernel maps; also the map dump that `bpftk run
 * --pcap` prints (cli_dump_maps).
 *
 * There is no persistent kernel here: each invocation creates the maps,
 * runs the program, applies the one command (lookup/update/delete) and
 * dumps, so a map "exists" only for the life of the command.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftk/hooks.h>
#include <bpftk/maps.h>
#include <bpftk/object.h>
#include <bpftk/run.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bpftk map dump   OBJECT [run options] [-j] [MAP]\n"
		"       bpftk map lookup OBJECT [run options] [-j] MAP key HEX...\n"
		"       bpftk map update OBJECT [run options] [-j] MAP key HEX... "
		"value HEX...\n"
		"       bpftk map delete OBJECT [run options] [-j] MAP key HEX...\n"
		"\n"
		"Creates the maps of OBJECT (an ELF BPF object) as a load would,\n"
		"runs its program (if a run option says on what), applies the\n"
		"command, then dumps the maps (all of them, or MAP) like bpftool:\n"
		"\"key: .. value: ..\" in hex, per-CPU values per CPU.  Maps live\n"
		"only for this command: update/delete show their effect in the\n"
		"dump that follows; lookup prints the value found.\n"
		"\n"
		"run options:\n"
		"  --prog NAME        program (function) to run (default: the first)\n"
		"  --type TYPE        program type (xdp, sched_cls, ...) for a\n"
		"                     section that names none (default: from the\n"
		"                     section name, as libbpf)\n"
		"  --pcap FILE        run it over every packet of a capture\n"
		"  --data FILE        run it once on this packet\n"
		"  --data-hex \"..\"    the same packet as hex bytes\n"
		"  -j, --json         JSON output\n"
		"  -h, --help         this text\n"
		"\n"
		"HEX is bytes like \"01 00 00 00\", one or more arguments, as in\n"
		"bpftool (0x prefixes allowed).  Keys and values must have the\n"
		"map's key and value size (per-CPU maps: one value for all CPUs).\n"
		"\n"
		"exit codes: 0 ok, 1 object or program rejected, or the map\n"
		"command failed (no such key...), 2 usage, 3 runtime fault, 4 I/O\n");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends the bytes of one argument ("01", "0x01", "01 02", "0102"). */
static int parse_hex_arg(const char *s, unsigned char *buf, size_t cap,
			 size_t *n)
{
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		int hi = hexval((unsigned char)s[0]);
		int lo = hi >= 0 && s[1] ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0)
			return -1;
		if (lo < 0 && s[1] && !isspace((unsigned char)s[1]))
			return -1;
		if (*n >= cap)
			return -1;
		buf[(*n)++] = (unsigned char)(lo < 0 ? hi : hi << 4 | lo);
		s += lo < 0 ? 1 : 2;
	}
	return 0;
}

static void print_bytes(FILE *out, const unsigned char *p, size_t n,
			int json)
{
	for (size_t i = 0; i < n; i++) {
		if (json)
			fprintf(out, "%s\"0x%02x\"", i ? "," : "", p[i]);
		else
			fprintf(out, "%s%02x", i ? " " : "", p[i]);
	}
}

/* Prints one entry: value is user_value_size bytes (per-CPU: each CPU's
 * value at a stride of round_up(value_size, 8)). */
static void print_entry(FILE *out, const struct bpftk_map_info *in,
			const unsigned char *key, const unsigned char *val,
			int json, int first)
{
	int percpu = in->user_value_size != in->value_size &&
		     in->ncpus > 0 &&
		     in->user_value_size ==
			     ((in->value_size + 7u) & ~7u) * in->ncpus;
	size_t stride = (in->value_size + 7u) & ~7u;
	if (json) {
		fprintf(out, "%s{\"key\":[", first ? "" : ",");
		print_bytes(out, key, in->key_size, 1);
		if (percpu) {
			fprintf(out, "],\"values\":[");
			for (unsigned c = 0; c < in->ncpus; c++) {
				fprintf(out, "%s{\"cpu\":%u,\"value\":[",
					c ? "," : "", c);
				print_bytes(out, val + c * stride,
					    in->value_size, 1);
				fprintf(out, "]}");
			}
			fprintf(out, "]}");
		} else {
			fprintf(out, "],\"value\":[");
			print_bytes(out, val, in->user_value_size, 1);
			fprintf(out, "]}");
		}
		return;
	}
	fprintf(out, "key: ");
	print_bytes(out, key, in->key_size, 0);
	if (percpu) {
		fprintf(out, "\n");
		for (unsigned c = 0; c < in->ncpus; c++) {
			fprintf(out, "value (CPU %02u): ", c);
			print_bytes(out, val + c * stride, in->value_size, 0);
			fprintf(out, "\n");
		}
	} else {
		fprintf(out, "  value: ");
		print_bytes(out, val, in->user_value_size, 0);
		fprintf(out, "\n");
	}
}

/* Dumps one map; returns the number of entries or -1 (out of memory). */
static long dump_map(FILE *out, struct bpftk_map *m, const char *name,
		     int json, int first)
{
	struct bpftk_map_info in;
	memset(&in, 0, sizeof(in));
	in.sz = sizeof(in);
	bpftk_map_get_info(m, &in);
	const char *tn = bpftk_map_type_name(in.type);
	if (json)
		fprintf(out, "%s{\"name\":\"%s\",\"type\":\"%s\",\"entries\":[",
			first ? "" : ",", name, tn ? tn : "unknown");
	else
		fprintf(out, "map %s (%s, key %" PRIu32 " value %" PRIu32
			     " max_entries %" PRIu32 "):\n",
			name, tn ? tn : "unknown", in.key_size, in.value_size,
			in.max_entries);
	long count = 0;
	/* Keyless maps (queue, stack, ring buffer, bloom filter) have no
	 * entries to walk; their contents are not shown. */
	if (in.key_size) {
		unsigned char *k = malloc(in.key_size);
		unsigned char *nk = malloc(in.key_size);
		unsigned char *v = malloc(in.user_value_size + 8);
		if (!k || !nk || !v) {
			free(k);
			free(nk);
			free(v);
			return -1;
		}
		const void *prev = NULL;
		while (!bpftk_map_get_next_key(m, prev, nk)) {
			memcpy(k, nk, in.key_size);
			prev = k;
			if (bpftk_map_lookup_elem(m, k, v, 0))
				continue; /* empty slot of a prog array... */
			print_entry(out, &in, k, v, json, count == 0);
			count++;
		}
		free(k);
		free(nk);
		free(v);
	}
	if (json)
		fprintf(out, "]}");
	else if (in.key_size)
		fprintf(out, "Found %ld element%s\n", count,
			count == 1 ? "" : "s");
	else
		fprintf(out, "(no keys: contents not shown)\n");
	return count;
}

int cli_dump_maps(struct bpftk_run *r, const struct bpftk_object *o,
		  const char *only, int json, FILE *out)
{
	int found = 0, first = 1;
	if (json)
		fprintf(out, "[");
	for (size_t i = 0; i < bpftk_object_map_count(o); i++) {
		const char *name =
			bpftk_object_map_name(bpftk_object_map_at(o, i));
		if (only && strcmp(only, name))
			continue;
		struct bpftk_map *m = bpftk_run_map(r, name);
		if (!m)
			continue;
		found = 1;
		if (dump_map(out, m, name, json, first) < 0) {
			cli_error("out of memory");
			return EXIT_IO;
		}
		first = 0;
	}
	if (json)
		fprintf(out, "]");
	if (only && !found) {
		cli_error("map: the object has no map '%s'", only);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

enum op { OP_DUMP, OP_LOOKUP, OP_UPDATE, OP_DELETE };

int cmd_map(int argc, char **argv)
{
	if (argc < 2 || cli_is(argv[1], "-h", "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	enum op op;
	if (!strcmp(argv[1], "dump"))
		op = OP_DUMP;
	else if (!strcmp(argv[1], "lookup"))
		op = OP_LOOKUP;
	else if (!strcmp(argv[1], "update"))
		op = OP_UPDATE;
	else if (!strcmp(argv[1], "delete"))
		op = OP_DELETE;
	else {
		cli_error("map: unknown command '%s' (dump, lookup, update, "
			  "delete; try 'bpftk map --help')",
			  argv[1]);
		return EXIT_USAGE;
	}
	const char *obj = NULL, *mapname = NULL, *prog = NULL;
	const char *pcap = NULL, *data = NULL, *data_hex = NULL;
	int json = 0, in_key = 0, in_value = 0, have_key = 0, have_value = 0;
	int type = 0;
	unsigned char key[512], value[65536];
	size_t nkey = 0, nvalue = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (cli_is(a, "-h", "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (cli_is(a, "-j", "--json")) {
			json = 1;
		} else if (!strcmp(a, "--prog") && more) {
			prog = argv[++i];
		} else if (!strcmp(a, "--pcap") && more) {
			pcap = argv[++i];
		} else if (!strcmp(a, "--type") && more) {
			if (cli_prog_type(argv[++i], &type)) {
				cli_bad_type("map", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--data") && more) {
			data = argv[++i];
		} else if (!strcmp(a, "--data-hex") && more) {
			data_hex = argv[++i];
		} else if (!strcmp(a, "key") && mapname && op != OP_DUMP) {
			in_key = have_key = 1;
			in_value = 0;
		} else if (!strcmp(a, "value") && mapname && op == OP_UPDATE) {
			in_value = have_value = 1;
			in_key = 0;
		} else if (in_key || in_value) {
			int e = in_key ? parse_hex_arg(a, key, sizeof(key),
						       &nkey)
				       : parse_hex_arg(a, value, sizeof(value),
						       &nvalue);
			if (e) {
				cli_error("map: %s wants hex bytes like "
					  "\"01 00 00 00\", not '%s'",
					  in_key ? "key" : "value", a);
				return EXIT_USAGE;
			}
		} else if (a[0] == '-' && a[1]) {
			cli_error("map: unknown option or missing value: '%s' "
				  "(try 'bpftk map --help')",
				  a);
			return EXIT_USAGE;
		} else if (!obj) {
			obj = a;
		} else if (!mapname) {
			mapname = a;
		} else {
			cli_error("map: unexpected argument '%s' (try 'bpftk "
				  "map --help')",
				  a);
			return EXIT_USAGE;
		}
	}
	if (!obj || (op != OP_DUMP && !mapname)) {
		cli_error("map: %s needs OBJECT%s (try 'bpftk map --help')",
			  argv[1], op != OP_DUMP ? " and MAP" : "");
		return EXIT_USAGE;
	}
	if (op != OP_DUMP && !have_key) {
		cli_error("map: %s needs 'key HEX...'", argv[1]);
		return EXIT_USAGE;
	}
	if (op == OP_UPDATE && !have_value) {
		cli_error("map: update needs 'value HEX...'");
		return EXIT_USAGE;
	}
	if (!!pcap + !!data + !!data_hex > 1) {
		cli_error("map: --pcap, --data and --data-hex exclude each "
			  "other");
		return EXIT_USAGE;
	}

	struct cli_run_args ra;
	memset(&ra, 0, sizeof(ra));
	ra.path = obj;
	ra.prog = prog;
	ra.type = type;
	ra.pcap = pcap;
	ra.data = data;
	ra.data_hex = data_hex;
	ra.report = stderr; /* stdout is the dump */
	struct bpftk_object *o = NULL;
	struct bpftk_run *r = NULL;
	int rc = cli_run_object(&ra, &o, &r);
	if (!r) {
		bpftk_object_close(o);
		return rc;
	}
	int fault_rc = rc;
	struct bpftk_map *m = mapname ? bpftk_run_map(r, mapname) : NULL;
	if (mapname && !m) {
		cli_error("map: %s has no map '%s'", obj, mapname);
		rc = EXIT_USAGE;
		goto out;
	}
	if (op != OP_DUMP) {
		struct bpftk_map_info in;
		memset(&in, 0, sizeof(in));
		in.sz = sizeof(in);
		bpftk_map_get_info(m, &in);
		if (nkey != in.key_size) {
			cli_error("map: key of '%s' is %" PRIu32
				  " bytes, got %zu",
				  mapname, in.key_size, nkey);
			rc = EXIT_USAGE;
			goto out;
		}
		if (op == OP_UPDATE && nvalue != in.value_size &&
		    nvalue != in.user_value_size) {
			cli_error("map: value of '%s' is %" PRIu32
				  " bytes, got %zu",
				  mapname, in.value_size, nvalue);
			rc = EXIT_USAGE;
			goto out;
		}
		if (op == OP_UPDATE && nvalue != in.user_value_size) {
			/* one value for every CPU of a per-CPU map */
			size_t stride = (in.value_size + 7u) & ~7u;
			unsigned char *all = calloc(1, in.user_value_size);
			if (!all) {
				rc = EXIT_IO;
				goto out;
			}
			for (unsigned cpu = 0; cpu < in.ncpus; cpu++)
				memcpy(all + cpu * stride, value, nvalue);
			int e = bpftk_map_update_elem(m, key, all, 0);
			free(all);
			if (e) {
				cli_error("map: update of '%s' failed: %s",
					  mapname, strerror(-e));
				rc = EXIT_REJECTED;
				goto out;
			}
		} else if (op == OP_UPDATE) {
			int e = bpftk_map_update_elem(m, key, value, 0);
			if (e) {
				cli_error("map: update of '%s' failed: %s",
					  mapname, strerror(-e));
				rc = EXIT_REJECTED;
				goto out;
			}
		} else if (op == OP_DELETE) {
			int e = bpftk_map_delete_elem(m, key);
			if (e) {
				cli_error("map: delete in '%s' failed: %s",
					  mapname, strerror(-e));
				rc = EXIT_REJECTED;
				goto out;
			}
		} else {
			unsigned char *v = malloc(in.user_value_size + 8);
			int e = v ? bpftk_map_lookup_elem(m, key, v, 0)
				  : -ENOMEM;
			if (e) {
				cli_error("map: lookup in '%s' failed: %s",
					  mapname, strerror(-e));
				free(v);
				rc = EXIT_REJECTED;
				goto out;
			}
			if (json)
				printf("{\"lookup\":");
			print_entry(stdout, &in, key, v, json, 1);
			if (json)
				printf(",\"maps\":");
			free(v);
		}
	}
	if (json && op != OP_LOOKUP)
		printf("{\"maps\":");
	rc = cli_dump_maps(r, o, mapname, json, stdout);
	if (json)
		printf("}\n");
	if (!rc)
		rc = fault_rc;
out:
	bpftk_run_free(r);
	bpftk_object_close(o);
	return rc;
}

/* ---- object runs shared with `bpftk run --pcap` --------------------------- */

static void progress(void *ctx, uint64_t packets)
{
	fprintf(stderr, "%s: %" PRIu64 " packets\n", (const char *)ctx,
		packets);
}

/* Verdict summary of a capture run: every named return value of the type
 * (zero counts too, so scripts find every line), then unnamed ones. */
static void report_pcap(const struct cli_run_args *a,
			const struct bpftk_progtype *pt,
			const struct bpftk_pcap_stats *st)
{
	FILE *f = a->report;
	const char *ln = bpftk_pcap_link_name(st->link_type);
	int sock = pt->type == BPFTK_PROG_TYPE_SOCKET_FILTER;
	if (a->json)
		fprintf(f,
			"\"capture\":\"%s\",\"link_type\":\"%s\",\"packets\":%"
			PRIu64 ",\"run\":%" PRIu64 ",\"skipped\":%" PRIu64
			",\"faults\":%" PRIu64 ",\"passed\":%" PRIu64
			",\"written\":%" PRIu64 ",\"verdicts\":{",
			a->pcap, ln ? ln : "unknown", st->packets, st->run,
			st->skipped, st->faults, st->passed, st->written);
	else
		fprintf(f,
			"%s: %" PRIu64 " packets (%s), %" PRIu64 " run, %" PRIu64
			" skipped, %" PRIu64 " faults\n",
			a->pcap, st->packets, ln ? ln : "unknown", st->run,
			st->skipped, st->faults);
	int first = 1;
#define VERDICT(name, n)                                                      \
	do {                                                                  \
		if (a->json)                                                  \
			fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",",     \
				name, (uint64_t)(n));                         \
		else                                                          \
			fprintf(f, "  %-16s %" PRIu64 "\n", name,             \
				(uint64_t)(n));                               \
		first = 0;                                                    \
	} while (0)
	if (sock) {
		uint64_t ok = st->run - st->faults;
		VERDICT("kept", st->passed);
		VERDICT("dropped", ok - st->passed);
	} else {
		for (size_t i = 0; i < pt->nret_names; i++) {
			uint32_t v = (uint32_t)(pt->ret_names_base + (int64_t)i);
			uint64_t n = 0;
			for (size_t j = 0; j < st->nverdicts; j++)
				if (st->verdicts[j].retval == v)
					n = st->verdicts[j].count;
			if (pt->ret_names[i])
				VERDICT(pt->ret_names[i], n);
		}
		for (size_t j = 0; j < st->nverdicts; j++) {
			uint32_t v = st->verdicts[j].retval;
			if (bpftk_progtype_ret_name(pt, v))
				continue;
			char nm[32];
			snprintf(nm, sizeof(nm), "retval %" PRIu32, v);
			VERDICT(nm, st->verdicts[j].count);
		}
		if (st->other)
			VERDICT("other", st->other);
	}
#undef VERDICT
	if (a->json)
		fprintf(f, "}");
	else if (a->out_pcap)
		fprintf(f, "wrote %" PRIu64 " packet%s to %s\n", st->written,
			st->written == 1 ? "" : "s", a->out_pcap);
}

int cli_run_object(const struct cli_run_args *a, struct bpftk_object **o,
		   struct bpftk_run **r)
{
	*o = NULL;
	*r = NULL;
	struct bpftk_diags *d = bpftk_diags_new();
	if (!d) {
		cli_error("out of memory");
		return EXIT_IO;
	}
	int rc = EXIT_OK, err;
	unsigned char *pkt = NULL;
	size_t pkt_len = 0;
	err = bpftk_object_open_file(a->path, NULL, o, d);
	if (err) {
		rc = err == -EIO ? EXIT_IO : EXIT_REJECTED;
		goto out;
	}
	struct bpftk_run_opts ro;
	memset(&ro, 0, sizeof(ro));
	ro.sz = sizeof(ro);
	ro.prog_name = a->prog;
	ro.type = (enum bpftk_prog_type)a->type;
	ro.mode = a->mode;
	ro.flags = a->run_flags;
	ro.budget = a->budget;
	err = bpftk_run_new(*o, &ro, r, d);
	if (err) {
		if (!a->type)
			cli_hint_no_type(*o, a->prog);
		rc = err == -ENOMEM ? EXIT_IO : EXIT_REJECTED;
		goto out;
	}
	const struct bpftk_progtype *pt = bpftk_run_progtype(*r);
	if (a->pcap) {
		struct bpftk_pcap_opts po;
		memset(&po, 0, sizeof(po));
		po.sz = sizeof(po);
		po.out_path = a->out_pcap;
		po.progress_every = 100000;
		po.progress = progress;
		po.progress_ctx = (void *)a->pcap;
		struct bpftk_pcap_stats st;
		memset(&st, 0, sizeof(st));
		st.sz = sizeof(st);
		err = bpftk_pcap_run(*r, a->pcap, &po, &st, d);
		if (err) {
			rc = err == -EIO ? EXIT_IO
			     : err == -ENOMEM ? EXIT_IO
					      : EXIT_REJECTED;
			goto out;
		}
		report_pcap(a, pt, &st);
		if (st.faults) {
			cli_error("%s: %" PRIu64 " of %" PRIu64
				  " packets faulted (first: packet %" PRIu64
				  ")",
				  a->pcap, st.faults, st.run, st.first_fault);
			rc = EXIT_FAULT;
		}
		goto out;
	}
	if (a->data) {
		pkt = (unsigned char *)cli_read_file(a->data, &pkt_len);
		if (!pkt) {
			rc = EXIT_IO;
			goto out;
		}
	} else if (a->data_hex) {
		pkt = malloc(strlen(a->data_hex) / 2 + 1);
		if (!pkt || parse_hex_arg(a->data_hex, pkt,
					  strlen(a->data_hex) / 2 + 1,
					  &pkt_len)) {
			cli_error("--data-hex wants hex bytes like \"aa bb\", "
				  "not '%s'",
				  a->data_hex);
			rc = EXIT_USAGE;
			goto out;
		}
	} else {
		goto out; /* maps as loaded */
	}
	struct bpftk_test_run_opts t;
	memset(&t, 0, sizeof(t));
	t.sz = sizeof(t);
	t.data_in = pkt;
	t.data_size_in = (uint32_t)pkt_len;
	t.repeat = 1;
	err = bpftk_run_test(*r, &t, d);
	if (err) {
		rc = err == -EINVAL || err == -E2BIG ? EXIT_REJECTED
						     : EXIT_FAULT;
		goto out;
	}
	const char *name = bpftk_progtype_ret_name(pt, t.retval);
	fprintf(a->report, "retval = %" PRIu32 "%s%s%s\n", t.retval,
		name ? " (" : "", name ? name : "", name ? ")" : "");
out:
	cli_print_diags(d);
	bpftk_diags_free(d);
	free(pkt);
	if (rc != EXIT_OK && rc != EXIT_FAULT) {
		bpftk_run_free(*r);
		*r = NULL;
	}
	return rc;
}
