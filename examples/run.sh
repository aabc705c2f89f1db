#!/bin/sh
# run.sh — the main job on bundled data:
#  1. assemble an example program, disassemble it, run it over an IPv4 header
#     and check the checksum it computes against the one the header was sent
#     with;
#  2. build a real XDP program in C with clang, run it over a capture of known
#     content with `bpftk run --pcap -w`, and check its verdicts, its map and
#     the written capture, then the JIT and a tcpdump filter on the same
#     capture (examples/xdp/run.sh).
#   sh examples/run.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
EX=examples/ipv4-checksum
OUT=$B/examples
mkdir -p "$OUT"

echo "== assemble $EX/csum.s"
"$B/bpftk" asm -o "$OUT/csum.bin" "$EX/csum.s"
echo "== disassemble"
"$B/bpftk" disasm "$OUT/csum.bin"
# The verifier cannot bound the carry-folding loop (its trip count depends on
# the data), so the program runs unverified, with every access checked.
echo "== run over $EX/header.bin (checked mode, unverified)"
"$B/bpftk" run --checked --no-verify --mem "$EX/header.bin" --repeat 100000 "$OUT/csum.bin" | tee "$OUT/result.txt"
grep -q '0xb861' "$OUT/result.txt" || { echo "example: expected checksum 0xb861" >&2; exit 1; }
echo "== example ok: checksum 0xb861 matches the header as sent"

echo "== XDP program over a capture (examples/xdp)"
sh examples/xdp/run.sh "$B"
