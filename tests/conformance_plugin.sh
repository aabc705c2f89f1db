#!/bin/sh
# conformance_plugin.sh — drives build/bpftk-conformance exactly as the
# upstream bpf_conformance runner does (program as space-separated hex bytes
# on stdin, memory as hex in argv[1], options after it; r0 in hex on stdout)
# over every program of ../shared/conformance/tests, in checked, fast and JIT mode.
# Programs are assembled with `bpftk asm`; results are compared with the
# files' `-- result`.
#   sh tests/conformance_plugin.sh BUILD_DIR SHARED_DIR
set -u
B=$1
S=$2/conformance/tests
P=$B/bpftk-conformance
[ -d "$S" ] || { echo "no conformance data at $S, skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

section() { # section NAME FILE: the lines of one "-- NAME" section
	awk -v want="$2" '/^--/ { cur = $2; next } cur == want && !/^#/ { print }' "$1"
}
norm() { # hex number without 0x and leading zeros, lower case
	tr 'A-F' 'a-f' | sed -e 's/^0x//' -e 's/^0*//' -e 's/^$/0/'
}

pass=0 fail=0
for f in "$S"/*.data; do
	name=$(basename "$f" .data)
	section "$f" asm > "$T/p.s"
	if ! "$B/bpftk" asm --dialect conformance -o "$T/p.bin" "$T/p.s" 2> "$T/err"; then
		echo "FAIL $name: does not assemble: $(head -n 1 "$T/err")"
		fail=$((fail + 1)); continue
	fi
	od -An -v -tx1 "$T/p.bin" | tr -s ' \n' ' ' > "$T/p.hex"
	mem=$(section "$f" mem | tr -s ' \n' ' ' | sed 's/^ *//; s/ *$//')
	want=$(section "$f" result | head -n 1 | norm)
	for mode in --checked --fast --jit; do
		if [ -n "$mem" ]; then
			got=$("$P" "$mem" $mode < "$T/p.hex")
		else
			got=$("$P" $mode < "$T/p.hex")
		fi
		rc=$?
		got=$(printf '%s' "$got" | norm)
		if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
			pass=$((pass + 1))
		else
			echo "FAIL $name $mode: rc $rc, got '$got', want '$want'"
			fail=$((fail + 1))
		fi
	done
done

# The protocol's failure path: a program that faults exits non-zero and
# prints the error; a malformed program is rejected.
printf '61 10 00 10 00 00 00 00 95 00 00 00 00 00 00 00' | "$P" "aa bb" > "$T/out"
if [ $? -ne 0 ] && grep -q 'insn 0' "$T/out"; then pass=$((pass + 1)); else
	echo "FAIL out-of-bounds load did not fail with a message"; fail=$((fail + 1)); fi
printf '07 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00' | "$P" > "$T/out"
if [ $? -ne 0 ] && grep -q 'src' "$T/out"; then pass=$((pass + 1)); else
	echo "FAIL reserved src field not rejected"; fail=$((fail + 1)); fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
