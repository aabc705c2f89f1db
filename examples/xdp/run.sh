#!/bin/sh
# run.sh BUILD_DIR — the XDP example end to end: builds xdp_count.c with
# clang -target bpf, generates a capture of known content (gen_pcap.py
# prints how many packets of each class it wrote), runs the program over
# it with `bpftk run --fast --pcap -w` (the interpreter), and checks
# bpftk's verdict counts, the map the program filled and the written
# capture against those numbers, then the JIT's verdicts (the default
# mode) and a tcpdump filter for the dropped packets.
# Exit 0 ok, 1 mismatch, 77 clang or python3 missing.
set -u
B=${1:?usage: run.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v clang >/dev/null 2>&1 || { echo "run.sh: no clang, skipped"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "run.sh: no python3, skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
clang -target bpf -O2 -g -Wall -I/usr/include/"$(uname -m)"-linux-gnu \
	-c "$HERE/xdp_count.c" -o "$T/xdp_count.o" || exit 1
python3 "$HERE/gen_pcap.py" "$T/in.pcap" >"$T/expect" || exit 1
"$B/bpftk" run --fast "$T/xdp_count.o" --pcap "$T/in.pcap" -w "$T/out.pcap" >"$T/got"
rc=$?
cat "$T/got"
[ $rc = 0 ] || { echo "run.sh: bpftk run exited $rc"; exit 1; }

fail=0
want() { awk -v k="$1" '$1 == k { print $2 }' "$T/expect"; }
check() { # what, got, expected
	if [ "$2" = "$3" ]; then
		echo "ok: $1 = $2"
	else
		echo "MISMATCH: $1 = '$2', expected '$3'"
		fail=1
	fi
}
check packets "$(sed -n 's/^.*: \([0-9]*\) packets .*/\1/p' "$T/got")" "$(want packets)"
check XDP_DROP "$(awk '$1 == "XDP_DROP" { print $2 }' "$T/got")" "$(want dropped)"
check XDP_PASS "$(awk '$1 == "XDP_PASS" { print $2 }' "$T/got")" "$(want passed)"
check written "$(sed -n 's/^wrote \([0-9]*\) packet.*/\1/p' "$T/got")" "$(want passed)"
# map entries: key = class number (first key byte), value = 64-bit count
i=0
for cls in not_ip ipv4_tcp ipv4_udp ipv4_other ipv6_tcp ipv6_udp ipv6_other short; do
	key=$(printf '%02x' $i)
	got=$(awk -v k="$key" '$1 == "key:" && $2 == k {
		v = 0; for (j = 14; j >= 7; j--) v = v * 256 + ("0x" $j) + 0
		print v }' "$T/got")
	check "counts[$cls]" "$got" "$(want $cls)"
	i=$((i + 1))
done
# the written capture, read back independently: passing packets only, as
# they were (the program does not change packets), no UDP to port 9
python3 - "$T/in.pcap" "$T/out.pcap" <<'PY' || fail=1
import struct, sys
def read(p):
    d = open(p, "rb").read()
    assert struct.unpack("<I", d[:4])[0] == 0xa1b2c3d4, "not a LE pcap"
    assert struct.unpack("<I", d[20:24])[0] == 1, "not Ethernet"
    off, out = 24, []
    while off < len(d):
        _, _, cap, _ = struct.unpack("<IIII", d[off:off + 16])
        out.append(d[off + 16:off + 16 + cap])
        off += 16 + cap
    return out
def udp9(f):
    if f[12:14] == b"\x08\x00" and f[23] == 17:
        return f[14 + (f[14] & 15) * 4 + 2:][:2] == b"\x00\x09"
    if f[12:14] == b"\x86\xdd" and f[20] == 17:
        return f[56:58] == b"\x00\x09"
    return False
want = [f for f in read(sys.argv[1]) if not udp9(f)]
got = read(sys.argv[2])
if got != want:
    print("MISMATCH: written capture: %d packets, expected %d" % (len(got), len(want)))
    sys.exit(1)
print("ok: written capture = the %d input packets that are not UDP to port 9" % len(got))
PY
# the same program JIT-compiled gives the same verdicts; the tcpdump
# expression for what it drops matches exactly the dropped packets, through
# the classic and the eBPF filter paths
"$B/bpftk" run "$T/xdp_count.o" --pcap "$T/in.pcap" >"$T/got_jit" ||
	{ echo "run.sh: bpftk run (JIT) failed"; fail=1; }
check "XDP_DROP (JIT)" "$(awk '$1 == "XDP_DROP" { print $2 }' "$T/got_jit")" "$(want dropped)"
check "XDP_PASS (JIT)" "$(awk '$1 == "XDP_PASS" { print $2 }' "$T/got_jit")" "$(want passed)"
for path in "" --ebpf; do
	m=$("$B/bpftk" filter $path -r "$T/in.pcap" 'udp dst port 9' |
		sed -n 's/^[0-9]* packets, \([0-9]*\) matched$/\1/p')
	check "filter ${path:-classic} 'udp dst port 9' matches" "$m" "$(want dropped)"
done
[ $fail = 0 ] && echo "xdp example: all checks passed"
exit $fail
