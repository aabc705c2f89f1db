#!/bin/sh
# asm_fuzz_replay.sh — runs the assembler's fuzz target (fuzz/fuzz_asm.c,
# linked with the replay driver in ordinary builds) over a seed corpus: the
# conformance suite files as they are (sections and all), the `-- asm`
# sections alone, the C-snippet and example assembly, and a few hostile
# inputs written here.  Under -DBPFTK_SANITIZE=ON this is the leak and
# memory-error check of every path those inputs reach.  Exit 77 when the
# target was not built.
#   sh tests/asm_fuzz_replay.sh BUILD_DIR SHARED_DIR
set -eu
B=$(cd "$1" && pwd)
S=$2
F="$B/fuzz/fuzz_asm"
[ -x "$F" ] || { echo "asm_fuzz_replay: $F not built, skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/seeds"
i=0
for f in "$S"/conformance/tests/*.data "$S"/conformance/negative/*.data; do
	i=$((i + 1))
	awk '/^--/ { s = $0; next } s ~ /^-- *asm/ { print }' "$f" > "$T/seeds/asm$i"
done
cp "$S"/conformance/negative/*.data examples/*/*.s "$T/seeds/" 2>/dev/null || true
# hostile inputs
printf 'r0 = 1\n\0exit\n' > "$T/seeds/nul"
printf 'r1 = 999999999999999999999999999999 ll\n' > "$T/seeds/bignum"
printf '%0800d\n' 0 | tr 0 '(' > "$T/seeds/parens"
printf 'a:%.0s' $(seq 1 500) > "$T/seeds/labels"
printf 'goto x\n' > "$T/seeds/undef"
printf '.section "unterminated\n.asciz "x\n' > "$T/seeds/strings"
printf 'lock\nlock fetch\ncall local\ncall\nja\n' > "$T/seeds/truncated"
printf '0: (18) r1 = 0x1\n1: (85) call x#\n   5:\t<unknown>\n' > "$T/seeds/listing"
"$F" "$T/seeds" "$S"/conformance/tests
