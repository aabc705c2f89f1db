#!/bin/sh
# asm_clang.sh — the assembler on what clang emits, against what clang
# assembles itself.  For every C snippet in tests/data/asm (each names the
# -mcpu values it builds for in a "cpus:" line), for every code section:
#
#   1. `clang -target bpf -O2 -S` output assembled by `bpftk asm` must equal
#      the section bytes of `clang -target bpf -O2 -c` (llvm-objcopy);
#   2. the `llvm-objdump -d --mattr=+alu32` listing of clang's object (with
#      alu32 it decodes every 32-bit atomic), assembled by `bpftk asm`, must
#      give the same bytes again, except that llvm-objdump 14 prints a local
#      call as "call N" (helper syntax), so a slot that is a local call in the
#      oracle may come back as a helper call with the same immediate;
#   3. `bpftk asm -f elf` of the .s must hold the same section bytes, the same
#      function symbols (name and offset) and the same license string.
#
# The snippets have no relocations (static calls only, no globals), so the
# comparison covers every byte.  Exit 77 (skipped) without the LLVM tools.
#   sh tests/asm_clang.sh BUILD_DIR SHARED_DIR
set -eu
B=$(cd "$1" && pwd)
tool() { command -v "$1-14" || command -v "$1" || true; }
CLANG=$(tool clang)
OBJCOPY=$(tool llvm-objcopy)
OBJDUMP=$(tool llvm-objdump)
READELF=$(tool llvm-readelf)
for t in "$CLANG" "$OBJCOPY" "$OBJDUMP" "$READELF"; do
	[ -n "$t" ] || { echo "asm_clang: clang / llvm tools missing, skipped"; exit 77; }
done
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# Code sections with bytes: NAME per line.
code_sections() {
	"$READELF" -S -W "$1" | sed -n 's/^ *\[ *[0-9]*\] //p' |
		awk '$7 ~ /X/ && $5 !~ /^0*$/ { print $1 }'
}
# One slot per line as 16 hex digits in wire order.
slots() { od -An -v -tx1 "$1" | tr -d ' \n' | fold -w 16; echo; }
# Function symbols as "name value", sorted.
funcs() {
	"$READELF" -s -W "$1" | awk '$4 == "FUNC" { print $8, $2 + 0 }' | sort
}

fail=0 secs=0 nslots=0 objs=0 listed=0
for c in tests/data/asm/*.c; do
	name=$(basename "$c" .c)
	cpus=$(sed -n 's/^ \* cpus: *//p' "$c" | sed 's/ *\*\/.*//')
	for cpu in $cpus; do
		base="$T/$name-$cpu"
		"$CLANG" -target bpf -O2 -mcpu="$cpu" -S -o "$base.s" "$c"
		"$CLANG" -target bpf -O2 -mcpu="$cpu" -c -o "$base.o" "$c"
		if "$READELF" -r "$base.o" | grep -q R_BPF; then
			echo "asm_clang: $name ($cpu) has relocations; keep snippets relocation-free"
			fail=1
			continue
		fi
		"$OBJDUMP" -d --mattr=+alu32 "$base.o" > "$base.lst"
		"$B/bpftk" asm -f elf -o "$base.ours.o" "$base.s" 2> "$base.err" ||
			{ cat "$base.err"; fail=1; continue; }
		objs=$((objs + 1))
		for s in $(code_sections "$base.o"); do
			secs=$((secs + 1))
			"$OBJCOPY" -O binary --only-section="$s" "$base.o" "$base.want"
			nslots=$((nslots + $(wc -c < "$base.want") / 8))
			# 1. clang -S output
			"$B/bpftk" asm -d llvm -j "$s" -o "$base.got" "$base.s" 2> /dev/null
			if ! cmp -s "$base.want" "$base.got"; then
				echo "asm_clang: $name ($cpu) section $s: .s assembles differently"
				slots "$base.want" > "$base.w"; slots "$base.got" > "$base.g"
				diff "$base.w" "$base.g" | head -10
				fail=1
			fi
			# 2. llvm-objdump listing
			"$B/bpftk" asm -d llvm -j "$s" -o "$base.lgot" "$base.lst" ||
				{ fail=1; continue; }
			slots "$base.want" > "$base.w"; slots "$base.lgot" > "$base.l"
			if ! awk 'NR == FNR { w[FNR] = $0; n = FNR; next }
				{ g[FNR] = $0; m = FNR }
				END {
					if (n != m) exit 1
					for (i = 1; i <= n; i++) {
						if (w[i] == g[i]) continue
						# local call (85, src 1) read back as helper call
						if (substr(w[i], 1, 4) == "8510" &&
						    substr(g[i], 1, 4) == "8500" &&
						    substr(w[i], 5) == substr(g[i], 5)) continue
						exit 1
					}
				}' "$base.w" "$base.l"; then
				echo "asm_clang: $name ($cpu) section $s: objdump listing assembles differently"
				diff "$base.w" "$base.l" | head -10
				fail=1
			else
				listed=$((listed + 1))
			fi
			# 3. ELF output
			"$OBJCOPY" -O binary --only-section="$s" "$base.ours.o" "$base.elf"
			if ! cmp -s "$base.want" "$base.elf"; then
				echo "asm_clang: $name ($cpu) section $s: ELF output differs"
				fail=1
			fi
		done
		funcs "$base.o" > "$base.fw"
		funcs "$base.ours.o" > "$base.fg"
		if ! cmp -s "$base.fw" "$base.fg"; then
			echo "asm_clang: $name ($cpu): function symbols differ (clang, bpftk):"
			diff "$base.fw" "$base.fg" | head
			fail=1
		fi
		if "$READELF" -S -W "$base.o" | grep -q ' license '; then
			"$OBJCOPY" -O binary --only-section=license "$base.o" "$base.lw"
			"$OBJCOPY" -O binary --only-section=license "$base.ours.o" "$base.lg"
			cmp -s "$base.lw" "$base.lg" || { echo "asm_clang: $name ($cpu): license differs"; fail=1; }
		fi
		"$OBJDUMP" -d "$base.ours.o" > /dev/null
	done
done
[ "$secs" -gt 0 ] || { echo "asm_clang: no code sections compiled"; exit 1; }
echo "asm_clang: $objs objects, $secs code sections, $nslots slots:" \
     ".s and ELF output identical to clang's, $listed objdump listings re-assembled"
exit $fail
