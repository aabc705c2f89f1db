#!/bin/sh
# filter_cli.sh BUILD_DIR SHARED_DIR — `bpftk filter` against tcpdump 4.99
# (libpcap 1.10.3) as the oracle:
#  1. -d prints the listing of `tcpdump -O -d` (unoptimized) byte for byte
#     for expressions whose unoptimized code is the same instruction
#     sequence as libpcap's;
#  2. -r counts, classic and --ebpf, equal the number of packets tcpdump
#     prints for the same filter over captures of ../shared/pcaps; -w
#     writes a capture tcpdump reads back with that many packets;
#  3. --xdp -o writes an object llvm-objdump reads and `bpftk run --pcap`
#     (verifier on) passes exactly the packets the classic filter matches;
#  4. errors: a bad expression exits 1 with file:line:col and a caret,
#     usage errors exit 2, an unreadable capture exits 4;
#  5. the fuzz target (fuzz/fuzz_filter.c, replay driver) over every
#     expression of accept.tsv and reject.tsv with four link type/flag
#     bytes each (under -DBPFTK_SANITIZE=ON: the memory and leak check).
set -u
B=$1
S=$2
BPFTK=$B/bpftk
command -v tcpdump >/dev/null 2>&1 || { echo "no tcpdump: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- 1. listings
for e in 'ip' 'arp' 'tcp port 80' 'udp src port 53' 'host 10.1.2.3' \
	'net 192.168.0.0/16' 'ip6 host ::1' 'vlan 10 and ip' 'ether broadcast' \
	'ether host 01:02:03:04:05:06' 'ip proto 47' 'less 100' 'greater 60' \
	'mpls 5 and ip' 'pppoes 3 and ip' 'tcp portrange 1000-2000' \
	'not icmp and (tcp or udp)' 'ip multicast' 'ether proto 0x88cc'; do
	tcpdump -O -d -y EN10MB "$e" >"$T/want" 2>/dev/null || { bad "tcpdump -d '$e'"; continue; }
	"$BPFTK" filter -d "$e" >"$T/got" 2>"$T/err" || { bad "filter -d '$e': $(cat "$T/err")"; continue; }
	cmp -s "$T/want" "$T/got" || { bad "listing of '$e' differs from tcpdump -O -d"; diff "$T/want" "$T/got" | head -5; }
done
for d in RAW LINUX_SLL LINUX_SLL2 NULL LOOP; do
	# (IPv4 only: 'host' makes libpcap keep the never-true ARP/RARP tests
	# of raw IP links as code, which we drop, and tcpdump -y compiles for
	# a live capture, where DLT_NULL IPv6 differs from a savefile's)
	for e in 'ip' 'ip proto 17' 'ip host 127.0.0.1' 'ip src net 10.0.0.0/8'; do
		tcpdump -O -d -y $d "$e" >"$T/want" 2>/dev/null || continue
		"$BPFTK" filter --dlt $d -d "$e" >"$T/got" 2>&1
		cmp -s "$T/want" "$T/got" || { bad "listing of '$e' on $d differs"; diff "$T/want" "$T/got" | head -5; }
	done
done

# ---- 2. counts over captures
n=0
for f in "$S"/pcaps/*.pcap; do
	for e in 'tcp' 'udp port 53' 'ip6' 'tcp[tcpflags] & tcp-syn != 0' \
		'host 127.0.0.1 or arp' 'greater 100 and not icmp' 'ip[8] < 64'; do
		want=$(tcpdump --count -r "$f" "$e" 2>/dev/null | sed -n 's/^\([0-9]*\) packets.*/\1/p')
		[ -n "$want" ] || continue
		for mode in "" --ebpf; do
			out=$("$BPFTK" filter $mode -r "$f" "$e" 2>"$T/err")
			rc=$?
			if [ $rc = 1 ] && grep -q "not supported" "$T/err"; then
				continue
			fi
			got=$(echo "$out" | sed -n 's/^[0-9]* packets, \([0-9]*\) matched$/\1/p')
			[ "$got" = "$want" ] || bad "$mode -r $(basename "$f") '$e': $got matched, tcpdump $want"
			n=$((n + 1))
		done
	done
done
echo "counts: $n runs compared with tcpdump"
f=$S/pcaps/print-flags.pcap
"$BPFTK" filter -r "$f" -w "$T/m.pcap" 'tcp[tcpflags] & tcp-syn != 0' >/dev/null || bad "-w"
[ "$(tcpdump --count -r "$T/m.pcap" 2>/dev/null)" = \
  "$(tcpdump --count -r "$f" 'tcp[tcpflags] & tcp-syn != 0' 2>/dev/null)" ] || bad "-w capture count"

# ---- 3. XDP objects
x=0
for f in "$S"/pcaps/*.pcap; do
	tcpdump -r "$f" -c1 2>&1 | grep -q 'link-type EN10MB' || continue
	for e in 'tcp port 80' 'udp' 'ip6 and icmp6' 'not arp' 'ip[9] = 6 and tcp[13] & 2 != 0'; do
		"$BPFTK" filter --xdp "$e" -o "$T/x.o" || { bad "--xdp '$e'"; continue; }
		json=$("$BPFTK" run "$T/x.o" --pcap "$f" -j 2>"$T/err") || { bad "run xdp '$e' on $f: $(head -2 "$T/err")"; continue; }
		skipped=$(echo "$json" | sed -n 's/.*"skipped":\([0-9]*\).*/\1/p')
		[ "$skipped" = 0 ] || continue
		pass=$(echo "$json" | sed -n 's/.*"XDP_PASS":\([0-9]*\).*/\1/p')
		want=$("$BPFTK" filter -r "$f" "$e" | sed -n 's/.* \([0-9]*\) matched$/\1/p')
		[ "$pass" = "$want" ] || bad "xdp '$e' on $(basename "$f"): XDP_PASS $pass, classic $want"
		x=$((x + 1))
	done
done
echo "xdp: $x object runs compared"
if command -v llvm-objdump >/dev/null 2>&1; then
	"$BPFTK" filter --xdp 'tcp port 80' -o "$T/x.o" && llvm-objdump -d "$T/x.o" | grep -q '<xdp_filter>:' || bad "llvm-objdump reads the object"
fi

# ---- 4. errors and exit codes
"$BPFTK" filter -d 'tcp port 80 and' >/dev/null 2>"$T/err"
[ $? = 1 ] || bad "syntax error exit code"
grep -q "^expr:1:16: error: can't parse filter expression: syntax error" "$T/err" || bad "syntax error text: $(cat "$T/err")"
grep -q '^ *\^$' "$T/err" || bad "caret line"
"$BPFTK" filter -d 'port 99999' >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q 'port number 99999 greater than maximum 65535' "$T/err" || bad "port range error"
"$BPFTK" filter >/dev/null 2>&1
[ $? = 2 ] || bad "no arguments exit code"
"$BPFTK" filter --dlt NOSUCH -d ip >/dev/null 2>&1
[ $? = 2 ] || bad "unknown dlt exit code"
"$BPFTK" filter -r "$T/nonexistent.pcap" ip >/dev/null 2>&1
[ $? = 4 ] || bad "unreadable capture exit code"
"$BPFTK" filter --xdp 'len > 100' -o "$T/l.o" >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q 'not available to XDP' "$T/err" || bad "len in XDP refused"

# ---- 5. fuzz target replay
F=$B/fuzz/fuzz_filter
if [ -x "$F" ] && command -v python3 >/dev/null 2>&1; then
	mkdir "$T/seeds"
	python3 - "$S/pcap-filter" "$T/seeds" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
def unesc(x):
    out, j = [], 0
    while j < len(x):
        if x[j] == '\\' and j + 1 < len(x):
            out.append({'t': '\t', 'n': '\n', 'r': '\r'}.get(x[j + 1], x[j + 1]))
            j += 2
        else:
            out.append(x[j])
            j += 1
    return ''.join(out)
seen, i = set(), 0
for name, col in (('accept.tsv', 4), ('reject.tsv', 2)):
    for line in open(src + '/' + name, encoding='utf-8').read().split('\n')[1:]:
        f = line.split('\t')
        if len(f) <= col or f[col] in seen:
            continue
        seen.add(f[col])
        for b in (0, 8, 6, 15):
            open('%s/s%d' % (dst, i), 'wb').write(bytes([b]) + unesc(f[col]).encode())
            i += 1
PY
	"$F" "$T/seeds" >"$T/fz" 2>&1 || { tail -20 "$T/fz"; bad "fuzz_filter replay"; }
	tail -1 "$T/fz"
else
	echo "fuzz_filter not built: replay skipped"
fi

[ $fail = 0 ] && echo "filter_cli: ok"
exit $fail
