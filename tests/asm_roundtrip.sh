#!/bin/sh
# asm_roundtrip.sh — assemble, disassemble, assemble: the same bytes.
#
#  - every `-- asm` section of ../shared/conformance/tests is assembled,
#    disassembled by `bpftk disasm` as exact LLVM text (hex immediates, raw
#    byte column: a full llvm-objdump style listing) and as conformance text,
#    and each listing assembles back (dialect auto-detected) to the same
#    bytes;
#  - the objects clang builds from tests/data/asm/*.c are listed with
#    `bpftk disasm -e` and every code section assembles back to clang's
#    bytes.
# Exit 77 (skipped) when `bpftk disasm` is not built.
#   sh tests/asm_roundtrip.sh BUILD_DIR SHARED_DIR
set -eu
B=$(cd "$1" && pwd)
S=$2
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
printf 'exit\n' > "$T/probe.s"
"$B/bpftk" asm -o "$T/probe.bin" "$T/probe.s"
if ! "$B/bpftk" disasm --raw-input "$T/probe.bin" > /dev/null 2>&1; then
	echo "asm_roundtrip: bpftk disasm not available, skipped"
	exit 77
fi

fail=0 files=0 trips=0
for f in "$S"/conformance/tests/*.data; do
	awk '/^--/ { s = $0; next } s ~ /^-- *asm/ { print }' "$f" > "$T/in.s"
	"$B/bpftk" asm -d conformance -o "$T/a.bin" "$T/in.s"
	files=$((files + 1))
	for mode in "-d llvm -e -x --raw" "-d conformance"; do
		# shellcheck disable=SC2086 # mode is a list of options
		"$B/bpftk" disasm --raw-input $mode "$T/a.bin" > "$T/l.txt"
		if "$B/bpftk" asm -o "$T/b.bin" "$T/l.txt" 2> "$T/err" &&
		   cmp -s "$T/a.bin" "$T/b.bin"; then
			trips=$((trips + 1))
		else
			echo "asm_roundtrip: $(basename "$f") [$mode] differs"
			head -3 "$T/err"
			fail=1
		fi
	done
done

CLANG=$(command -v clang-14 || command -v clang || true)
OBJCOPY=$(command -v llvm-objcopy-14 || command -v llvm-objcopy || true)
READELF=$(command -v llvm-readelf-14 || command -v llvm-readelf || true)
secs=0
if [ -n "$CLANG" ] && [ -n "$OBJCOPY" ] && [ -n "$READELF" ]; then
	for c in tests/data/asm/*.c; do
		name=$(basename "$c" .c)
		for cpu in $(sed -n 's/^ \* cpus: *//p' "$c" | sed 's/ *\*\/.*//'); do
			o="$T/$name-$cpu.o"
			"$CLANG" -target bpf -O2 -mcpu="$cpu" -c -o "$o" "$c"
			"$B/bpftk" disasm -e "$o" > "$T/l.txt"
			for s in $("$READELF" -S -W "$o" | sed -n 's/^ *\[ *[0-9]*\] //p' |
				   awk '$7 ~ /X/ && $5 !~ /^0*$/ { print $1 }'); do
				"$OBJCOPY" -O binary --only-section="$s" "$o" "$T/want"
				if "$B/bpftk" asm -j "$s" -o "$T/got" "$T/l.txt" 2> "$T/err" &&
				   cmp -s "$T/want" "$T/got"; then
					secs=$((secs + 1))
				else
					echo "asm_roundtrip: $name ($cpu) section $s differs"
					head -3 "$T/err"
					fail=1
				fi
			done
		done
	done
fi
echo "asm_roundtrip: $files conformance programs, $trips listings re-assembled" \
     "to the same bytes; $secs clang object sections re-assembled"
exit $fail
