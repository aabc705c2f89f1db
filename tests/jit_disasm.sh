#!/bin/sh
# jit_disasm.sh — `bpftk disasm --jited` over every conformance program and
# the XDP example object: exit 0, one line per BPF instruction, and, when
# the tool has capstone, every byte of the JIT's code decoded by capstone
# into whole x86-64 instructions (an encoder we did not write checking the
# instruction boundaries of ours: no bytes left over as hex).
#   sh tests/jit_disasm.sh BUILD_DIR SHARED_DIR
set -u
B=$1
S=$2/conformance/tests
[ -d "$S" ] || { echo "skip: no conformance data at $S"; exit 77; }
case $(uname -m) in x86_64|amd64) ;; *) echo "skip: no JIT for $(uname -m)"; exit 77 ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0 progs=0 lines=0
bad() { echo "jit_disasm: $*"; fail=1; }

printf 'r0 = 7\nexit\n' > "$T/p.s"
"$B/bpftk" asm -o "$T/p.bin" "$T/p.s" && "$B/bpftk" disasm --jited "$T/p.bin" > "$T/out" ||
	bad "disasm --jited of a two-line program failed"
capstone=0
grep -q 'push.*rbp' "$T/out" && capstone=1

for f in "$S"/*.data; do
	name=$(basename "$f" .data)
	awk '/^--/ { cur = $2; next } cur == "asm" && !/^#/ { print }' "$f" > "$T/c.s"
	"$B/bpftk" asm --dialect conformance -o "$T/c.bin" "$T/c.s" 2>/dev/null || continue
	if ! "$B/bpftk" disasm --jited "$T/c.bin" > "$T/c.out" 2> "$T/err"; then
		bad "$name: $(head -1 "$T/err")"
		continue
	fi
	progs=$((progs + 1))
	slots=$(($(wc -c < "$T/c.bin") / 8))
	# one "N: insn" line per instruction (lddw's second slot has none)
	n=$(grep -c '^ *[0-9][0-9]*: ' "$T/c.out")
	lddw=$(grep -c '^ *[0-9][0-9]*: .* ll$' "$T/c.out")
	[ $((n + lddw)) -eq "$slots" ] || bad "$name: $n instruction lines + $lddw lddw for $slots slots"
	if [ $capstone = 1 ] && grep -Eq '^	 *[0-9a-f]+: ( [0-9a-f]{2})+$' "$T/c.out"; then
		bad "$name: bytes capstone does not decode: $(grep -Em1 '^	 *[0-9a-f]+: ( [0-9a-f]{2})+$' "$T/c.out")"
	fi
	lines=$((lines + $(grep -c '^	' "$T/c.out")))
done

# an object: each program of the XDP example
if command -v clang > /dev/null; then
	clang -O2 -target bpf -c examples/xdp/xdp_count.c -o "$T/x.o" 2>/dev/null &&
		{ "$B/bpftk" disasm --jited "$T/x.o" > "$T/x.out" && grep -q 'bytes of x86-64 code' "$T/x.out" ||
			bad "disasm --jited of an object: $(head -2 "$T/x.out")"; }
fi

echo "jit_disasm: $progs programs, $lines machine instructions printed (capstone: $capstone)"
[ $fail = 0 ] && echo "jit_disasm: all checks passed"
exit $fail
