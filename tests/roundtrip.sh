#!/bin/sh
# roundtrip.sh BUILD_DIR SHARED_DIR — disassemble with --exact, assemble
# back, compare bytes, for every program in SHARED_DIR:
#
#  - the bpf_conformance programs (tests/*.data: "-- asm" sections
#    assembled by `bpftk asm`, "-- raw" sections taken as they are);
#  - every executable section of every corpus object llvm-objdump-style
#    listed by `bpftk disasm` (invalid/ included when it opens);
#  - the kernel-verifier cases ([code,dst,src,off,imm] slots).
#
# Each program makes three trips: LLVM dialect, LLVM dialect with hex
# immediates, conformance dialect.  A program whose exact listing contains
# "<unknown>" (an opcode no table row has, or a reserved field set, which no
# text can express) is counted as not representable and skipped.  Prints
# the counts; fails on any mismatch.  Exit 77 (skipped) until `bpftk asm`
# exists.
set -u
build=$1
shared=$2
bpftk=$build/bpftk
here=$(dirname "$0")

if ! "$bpftk" asm --help >/dev/null 2>&1; then
	echo "bpftk asm is not built yet: skipped"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

programs=0 trips=0 bad=0 unrepresentable=0

# Instruction text of a listing: drop labels and headers, the index
# column, and jump target annotations.
strip_listing() {
	sed -n 's/^ *[0-9][0-9]*:	//p' "$1" | sed 's/ <[^ >]*>$//' >"$2"
}

# Bytes of a file, one hex byte per line.
bytes_of() {
	od -An -tx1 -v "$1" | tr -s ' \n' '\n\n' | sed '/^$/d'
}

# disasm MODE KIND INPUT [SECTION]: the exact listing in one mode; KIND is
# "raw" (INPUT is bytecode) or "elf" (SECTION of object INPUT).
disasm() {
	case $1 in
	llvm) m="--exact" ;;
	hex) m="--exact --hex" ;;
	*) m="--exact -d conformance" ;;
	esac
	if [ "$2" = raw ]; then
		"$bpftk" disasm $m --raw-input "$3"
	else
		"$bpftk" disasm $m -j "$4" "$3"
	fi
}

# trip NAME ORIG_HEX KIND INPUT [SECTION]: one program, three trips; each
# listing is assembled back and compared with ORIG_HEX (one hex byte a
# line).
trip() {
	name=$1
	orig=$2
	shift 2
	programs=$((programs + 1))
	for mode in llvm hex conformance; do
		if ! disasm "$mode" "$@" >"$tmp/list" 2>"$tmp/err"; then
			echo "MISMATCH $name ($mode): bpftk disasm failed:" \
			     "$(head -n 1 "$tmp/err")" >&2
			bad=$((bad + 1))
			continue
		fi
		strip_listing "$tmp/list" "$tmp/text.s"
		if grep -q '<unknown>' "$tmp/text.s"; then
			unrepresentable=$((unrepresentable + 1))
			return
		fi
		d=llvm
		[ "$mode" = conformance ] && d=conformance
		if ! "$bpftk" asm -d "$d" -o "$tmp/back.bin" "$tmp/text.s" \
		     2>"$tmp/err"; then
			echo "MISMATCH $name ($mode): does not assemble:" \
			     "$(head -n 2 "$tmp/err")" >&2
			bad=$((bad + 1))
			continue
		fi
		bytes_of "$tmp/back.bin" >"$tmp/back.hex"
		if cmp -s "$orig" "$tmp/back.hex"; then
			trips=$((trips + 1))
		else
			echo "MISMATCH $name ($mode): other bytes" >&2
			diff "$orig" "$tmp/back.hex" | head -n 4 >&2
			bad=$((bad + 1))
		fi
	done
}

# ---- conformance programs -------------------------------------------------
for f in "$shared"/conformance/tests/*.data; do
	base=$(basename "$f")
	if grep -q '^-- *asm' "$f"; then
		awk '/^--/ { s = $0; next } s ~ /^-- *asm/ { print }' "$f" \
			>"$tmp/conf.s"
		if ! "$bpftk" asm -d conformance -o "$tmp/prog.bin" \
		     "$tmp/conf.s" 2>/dev/null; then
			echo "note: $base does not assemble, skipped"
			continue
		fi
	elif grep -q '^-- *raw' "$f"; then
		esc=$(LC_ALL=C awk -f "$here/scripts/conf_raw.awk" "$f")
		printf "$esc" >"$tmp/prog.bin"
	else
		continue
	fi
	bytes_of "$tmp/prog.bin" >"$tmp/orig.hex"
	cp "$tmp/prog.bin" "$tmp/in.bin"
	trip "conformance/$base" "$tmp/orig.hex" raw "$tmp/in.bin"
done
conf_programs=$programs

# ---- corpus objects, every code section -----------------------------------
find "$shared/corpus" -type f | LC_ALL=C sort >"$tmp/files"
elf=$(printf '\177ELF')
while IFS= read -r f; do
	[ "$(head -c 4 "$f")" = "$elf" ] || continue
	"$bpftk" disasm "$f" >"$tmp/all" 2>/dev/null || continue
	sed -n 's/^Disassembly of section \(.*\):$/\1/p' "$tmp/all" \
		>"$tmp/sections"
	while IFS= read -r sec; do
		"$bpftk" disasm --raw -j "$sec" "$f" >"$tmp/rawlist"
		sed -n 's/^ *[0-9][0-9]*:	\([0-9a-f ]*\)	.*/\1/p' \
			"$tmp/rawlist" | tr ' ' '\n' | sed '/^$/d' \
			>"$tmp/orig.hex"
		trip "${f#$shared/}:$sec" "$tmp/orig.hex" elf "$f" "$sec"
	done <"$tmp/sections"
done <"$tmp/files"
corpus_programs=$((programs - conf_programs))

# ---- kernel-verifier cases ------------------------------------------------
LC_ALL=C awk -f "$here/scripts/kv_insns.awk" \
	"$shared/kernel-verifier/cases.jsonl" >"$tmp/kv"
n=0
while IFS= read -r esc; do
	n=$((n + 1))
	[ -n "$esc" ] || continue
	printf "$esc" >"$tmp/kv.bin"
	bytes_of "$tmp/kv.bin" >"$tmp/orig.hex"
	trip "kernel-verifier case $n" "$tmp/orig.hex" raw "$tmp/kv.bin"
done <"$tmp/kv"
kv_programs=$((programs - conf_programs - corpus_programs))

echo "$programs programs ($conf_programs conformance, $corpus_programs" \
     "corpus sections, $kv_programs kernel-verifier cases): $trips round" \
     "trips gave the same bytes, $bad mismatches, $unrepresentable not" \
     "representable as text"
[ "$bad" -eq 0 ] && [ "$trips" -gt 0 ]
