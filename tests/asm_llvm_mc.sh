#!/bin/sh
# asm_llvm_mc.sh — differential test of the LLVM dialect against llvm-mc
# (LLVM 14): every `llvm` template of opcodes.def is filled with several
# operand values; the lines llvm-mc accepts are assembled by both llvm-mc
# (-triple bpfel, .text extracted with llvm-objcopy) and `bpftk asm`, and the
# bytes must be identical.  Lines llvm-mc rejects (forms LLVM 14 does not
# know: v4 instructions, store-immediate, atomic fetch forms, ...) are
# counted and left out.  Exit 77 (skipped) without llvm-mc / llvm-objcopy.
#   sh tests/asm_llvm_mc.sh BUILD_DIR SHARED_DIR
set -eu
B=$(cd "$1" && pwd)
MC=$(command -v llvm-mc-14 || command -v llvm-mc || true)
OBJCOPY=$(command -v llvm-objcopy-14 || command -v llvm-objcopy || true)
if [ -z "$MC" ] || [ -z "$OBJCOPY" ]; then
	echo "asm_llvm_mc: llvm-mc or llvm-objcopy missing, skipped"
	exit 77
fi
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# Templates: the first string on the line after each OP( row.
awk '/^OP\(/ { getline; if (match($0, /"[^"]*"/)) print substr($0, RSTART + 1, RLENGTH - 2) }' \
	include/bpftk/opcodes.def > "$T/templates"
ntmpl=$(wc -l < "$T/templates")

# Sample operand values, one column per sample.
awk '
BEGIN {
	split("r0 r1 r5 r9 r10 r3", D, " ");   split("r1 r2 r10 r0 r7 r9", S, " ")
	split("w0 w1 w5 w9 w3 w8", DW, " ");  split("w1 w2 w0 w7 w9 w4", SW, " ")
	split("0 1 -1 2147483647 -2147483648 4294967295", I, " ")
	split("0x1122334455667788 -1 0 4886718345 -9223372036854775808 18446744073709551615", BI, " ")
	split("0 5 -2 7 -100 9", N, " ")
	split("+ 0|- 8|+ 32767|- 32768|+ 1|- 1", O, "|")
	split("+0 +3 -1 +32767 -32768 +100", TG, " ")
}
{
	for (k = 1; k <= 6; k++) {
		line = $0
		gsub(/\{dw\}/, DW[k], line); gsub(/\{sw\}/, SW[k], line)
		gsub(/\{d\}/, D[k], line);   gsub(/\{s\}/, S[k], line)
		gsub(/\{i\}/, I[k], line);   gsub(/\{I\}/, BI[k], line)
		gsub(/\{n\}/, N[k], line);   gsub(/\{o\}/, O[k], line)
		gsub(/\{t\}/, TG[k], line)
		print "\t" line
	}
}' "$T/templates" > "$T/all.s"
nall=$(wc -l < "$T/all.s")

# Keep the lines llvm-mc accepts (it names every rejected line).
"$MC" -triple bpfel -filetype=obj "$T/all.s" -o "$T/probe.o" 2> "$T/mc.err" || true
sed -n 's/^[^:]*all\.s:\([0-9][0-9]*\):[0-9][0-9]*: error:.*/\1/p' "$T/mc.err" \
	| sort -un > "$T/rejected"
awk 'NR == FNR { bad[$1] = 1; next } !(FNR in bad)' "$T/rejected" "$T/all.s" > "$T/ok.s"
nok=$(wc -l < "$T/ok.s")
[ "$nok" -gt 100 ] || { echo "asm_llvm_mc: llvm-mc accepted only $nok lines"; cat "$T/mc.err" | head; exit 1; }

"$MC" -triple bpfel -filetype=obj "$T/ok.s" -o "$T/ok.o"
"$OBJCOPY" -O binary --only-section=.text "$T/ok.o" "$T/mc.bin"
"$B/bpftk" asm --dialect llvm -o "$T/bpftk.bin" "$T/ok.s"

if ! cmp -s "$T/mc.bin" "$T/bpftk.bin"; then
	echo "asm_llvm_mc: bytes differ from llvm-mc; first differences:"
	# show the differing lines: assemble each line alone
	while IFS= read -r l; do
		printf '%s\n' "$l" > "$T/one.s"
		"$MC" -triple bpfel -filetype=obj "$T/one.s" -o "$T/one.o"
		"$OBJCOPY" -O binary --only-section=.text "$T/one.o" "$T/one.mc"
		"$B/bpftk" asm --dialect llvm -o "$T/one.bk" "$T/one.s" || true
		cmp -s "$T/one.mc" "$T/one.bk" || {
			echo "  $l"
			echo "    llvm-mc: $(od -An -tx1 "$T/one.mc")"
			echo "    bpftk:   $(od -An -tx1 "$T/one.bk" 2>/dev/null)"
		}
	done < "$T/ok.s" | head -40
	exit 1
fi
slots=$(( $(wc -c < "$T/mc.bin") / 8 ))
echo "asm_llvm_mc: $ntmpl templates x 6 samples = $nall lines; llvm-mc accepts $nok" \
     "($(wc -l < "$T/rejected") rejected as unknown to it); all $slots slots identical"
