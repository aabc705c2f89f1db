#!/bin/sh
# run_pcap.sh BUILD_DIR SHARED_DIR — bpftk run --pcap and bpftk map:
#  1. the XDP example (examples/xdp/run.sh: numbers checked against a
#     capture generated with known content);
#  2. the command's contract: non-Ethernet captures refused for XDP, JSON
#     output parses and agrees with the text, runtime faults counted per
#     packet (against a count of short packets made by python) with exit 3,
#     socket filters on raw-IP captures, map update/lookup/delete.
# The corpus over every capture is tests/unit/test_corpus_pcap_kernel.c
# (in process, strict: kernel-accepted programs must not fault).
set -u
B=$1
S=$2
BPFTK=$B/bpftk
command -v python3 >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }
command -v clang >/dev/null 2>&1 || { echo "no clang: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- 1. the example
sh examples/xdp/run.sh "$B" >"$T/ex" 2>&1
rc=$?
grep -E '^(ok|MISMATCH)' "$T/ex"
[ $rc = 0 ] || { cat "$T/ex"; bad "examples/xdp/run.sh exited $rc"; }

# ---- 2. the contract
CL="clang -target bpf -O2 -g -I/usr/include/$(uname -m)-linux-gnu"
cat >"$T/fault.c" <<'C'
#include <linux/bpf.h>
/* reads byte 100 of the packet without a bounds check: faults (in checked
 * mode) exactly on packets of at most 100 bytes */
__attribute__((section("xdp"), used)) int unchecked(struct xdp_md *ctx)
{
	return *((unsigned char *)(long)ctx->data + 100) ? 2 : 1;
}
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
C
cat >"$T/sock.c" <<'C'
#include <linux/bpf.h>
/* socket filter: keeps the first 20 bytes of each packet */
__attribute__((section("socket"), used)) int keep20(struct __sk_buff *skb)
{
	return 20;
}
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
C
$CL -c "$T/fault.c" -o "$T/fault.o" && $CL -c "$T/sock.c" -o "$T/sock.o" ||
	bad "clang failed on the test programs"
python3 examples/xdp/gen_pcap.py "$T/ex.pcap" >/dev/null
short=$(python3 - "$T/ex.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(); off = 24; n = 0
while off < len(d):
    cap = struct.unpack("<I", d[off + 8:off + 12])[0]
    n += cap <= 100; off += 16 + cap
print(n)
PY
)
# unsafe (no bounds check): only unverified, in checked mode
"$BPFTK" run --checked --no-verify "$T/fault.o" --pcap "$T/ex.pcap" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 3 ] || bad "faulting program: exit $rc, expected 3"
got=$(sed -n 's/.* \([0-9]*\) faults$/\1/p' "$T/out")
[ "$got" = "$short" ] && echo "ok: $got faults = packets of <= 100 bytes" ||
	bad "faults '$got', expected $short (packets of <= 100 bytes)"
grep -q "first runtime fault at packet" "$T/err" || bad "first fault not shown"

"$BPFTK" run --checked --no-verify "$T/fault.o" --pcap "$S/pcaps/LINKTYPE_RAW_ipv4.pcap" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "is not Ethernet" "$T/err" &&
	echo "ok: XDP over a raw-IP capture refused: $(cat "$T/err")" ||
	bad "XDP over raw-IP capture: exit $rc, $(cat "$T/err")"

for cap in LINKTYPE_RAW_ipv4 print-flags; do
	want=$(awk -F'\t' -v f="$cap.pcap" '$1 == f { print $4 }' "$S/pcaps/INDEX.tsv")
	"$BPFTK" run "$T/sock.o" --pcap "$S/pcaps/$cap.pcap" -w "$T/s.pcap" -j >"$T/out" 2>"$T/err" ||
		bad "socket filter over $cap: $(cat "$T/err")"
	python3 - "$T/out" "$T/s.pcap" "$want" <<'PY' || fail=1
import json, struct, sys
j = json.load(open(sys.argv[1]))
d = open(sys.argv[2], "rb").read(); off = 24; caps = []
while off < len(d):
    cap = struct.unpack("<I", d[off + 8:off + 12])[0]
    caps.append(cap); off += 16 + cap
want = int(sys.argv[3])
ok = (j["packets"] == want and j["verdicts"]["kept"] == j["run"] and
      j["written"] == len(caps) and all(c <= 20 + 14 for c in caps))
print("%s: socket filter over %s: %d packets (INDEX.tsv: %d), %d written, caplens %s"
      % ("ok" if ok else "FAIL", j["capture"], j["packets"], want,
         len(caps), sorted(set(caps))))
sys.exit(0 if ok else 1)
PY
done

M="$BPFTK map"
$M update examples/xdp/run.sh m key 0 >/dev/null 2>&1 && bad "map update on a non-object succeeded"
$CL -c examples/xdp/xdp_count.c -o "$T/x.o"
$M update "$T/x.o" --pcap "$T/ex.pcap" counts key 09 00 00 00 value 2a 0 0 0 0 0 0 0 >"$T/out" 2>"$T/err"
grep -q "^key: 09 00 00 00  value: 2a 00 00 00 00 00 00 00" "$T/out" &&
	grep -q "^Found 9 elements" "$T/out" && echo "ok: map update after a capture run" ||
	bad "map update: $(cat "$T/out" "$T/err")"
$M lookup "$T/x.o" --pcap "$T/ex.pcap" counts key 01 00 00 00 >"$T/out" 2>"$T/err"
[ "$(head -1 "$T/out")" = "key: 01 00 00 00  value: 05 00 00 00 00 00 00 00" ] &&
	echo "ok: map lookup" || bad "map lookup: $(cat "$T/out" "$T/err")"
$M delete "$T/x.o" --pcap "$T/ex.pcap" counts key 01 00 00 00 >"$T/out" 2>"$T/err"
! grep -q "^key: 01 " "$T/out" && grep -q "^Found 7 elements" "$T/out" && echo "ok: map delete" ||
	bad "map delete: $(cat "$T/out" "$T/err")"
$M delete "$T/x.o" counts key 01 00 00 00 >/dev/null 2>"$T/err"
[ $? = 1 ] && echo "ok: delete of a missing key: $(cat "$T/err")" || bad "delete of missing key"
$M dump "$T/x.o" -j | python3 -c 'import json,sys; json.load(sys.stdin)' &&
	echo "ok: map dump -j parses" || bad "map dump -j"

# a section that names no type (Cilium's): a hint without --type, a run
# with it, through `run` and `map`; an unknown type is a usage error
CIL=$S/corpus/ebpf-samples/cilium/bpf_xdp.o
if [ -f "$CIL" ]; then
	$BPFTK run "$CIL" --pcap "$S/pcaps/print-flags.pcap" >"$T/out" 2>"$T/err"
	[ $? = 1 ] && grep -q "section 'from-netdev' names no program type.*--type" "$T/err" &&
		echo "ok: no type from the section: hint" || bad "no-type hint: $(cat "$T/err")"
	$BPFTK run "$CIL" --type xdp --pcap "$S/pcaps/print-flags.pcap" >"$T/out" 2>"$T/err" &&
		grep -q "10 packets (EN10MB), 9 run, 1 skipped, 0 faults" "$T/out" &&
		[ "$(awk '$1 ~ /^XDP_/ { n += $2 } END { print n }' "$T/out")" = 9 ] &&
		echo "ok: run --type xdp of a Cilium program" || bad "run --type xdp: $(cat "$T/out" "$T/err")"
	$M dump "$CIL" --type xdp --pcap "$S/pcaps/print-flags.pcap" -j >"$T/out" 2>"$T/err" &&
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" &&
		echo "ok: map dump --type xdp" || bad "map dump --type: $(cat "$T/err")"
	$BPFTK run "$CIL" --type nonsense --pcap "$S/pcaps/print-flags.pcap" >/dev/null 2>"$T/err"
	[ $? = 2 ] && grep -q "unknown program type 'nonsense'" "$T/err" &&
		echo "ok: --type nonsense refused" || bad "--type nonsense: $(cat "$T/err")"
else
	echo "skipped: Cilium object not in $S"
fi

# a long capture: a progress line on stderr every 100000 packets, and
# stdout as for a short one
python3 - "$T/long.pcap" <<'PY'
import struct, sys
frame = bytes(12) + b"\x08\x00" + bytes(46)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    rec = struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame
    f.write(rec * 250000)
PY
$BPFTK run "$T/x.o" --pcap "$T/long.pcap" >"$T/out" 2>"$T/err"
if [ "$(grep -c "long.pcap: [0-9]* packets$" "$T/err")" = 2 ] &&
	grep -q "long.pcap: 100000 packets$" "$T/err" &&
	grep -q "long.pcap: 200000 packets$" "$T/err" &&
	grep -q ": 250000 packets" "$T/out"; then
	echo "ok: progress lines on a 250000-packet capture"
else
	bad "progress: $(cat "$T/err") / $(head -3 "$T/out")"
fi

[ $fail = 0 ] && echo "run_pcap: all checks passed"
exit $fail
