#!/bin/sh
# asm_cli.sh — `bpftk asm` as a command: options, output formats and byte
# order, exit codes (0 ok, 1 rejected, 2 usage, 4 I/O), messages with their
# file:line:col.  Expected bytes are written out from RFC 9669's encoding.
#   sh tests/asm_cli.sh BUILD_DIR SHARED_DIR
NAME=asm_cli
. "$(dirname "$0")/lib/cli_prologue.sh"
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# r0 = 1 (b7: ALU64|K|MOV), exit (95: JMP|EXIT)
printf 'r0 = 1\nexit\n' > "$T/p.s"
expect_rc 0 "raw output" "$B/bpftk" asm -o "$T/p.bin" "$T/p.s"
[ "$(hex "$T/p.bin")" = "b7000000010000009500000000000000" ] && ok || bad "raw bytes $(hex "$T/p.bin")"
expect_rc 0 "big-endian" "$B/bpftk" asm --big-endian -o "$T/pbe.bin" "$T/p.s"
[ "$(hex "$T/pbe.bin")" = "b7000000000000019500000000000000" ] && ok || bad "big-endian bytes $(hex "$T/pbe.bin")"
# standard input, conformance dialect forced
printf 'mov %%r0, 1\nexit\n' | "$B/bpftk" asm -d conformance -o "$T/c.bin" - && ok || bad "stdin"
cmp -s "$T/p.bin" "$T/c.bin" && ok || bad "conformance text differs from LLVM text"

# usage errors
expect_rc 0 "--help" "$B/bpftk" asm --help
grep -q -- '--dialect' "$T/out" && grep -q 'exit codes' "$T/out" && ok || bad "--help text"
expect_rc 2 "unknown option" "$B/bpftk" asm --frobnicate "$T/p.s"
expect_rc 2 "bad dialect" "$B/bpftk" asm -d gas "$T/p.s"
expect_rc 2 "bad format" "$B/bpftk" asm -f coff "$T/p.s"
expect_rc 2 "no file" "$B/bpftk" asm
expect_rc 2 "two files" "$B/bpftk" asm "$T/p.s" "$T/p.s"
# I/O errors
expect_rc 4 "missing input" "$B/bpftk" asm -o "$T/x.bin" "$T/missing.s"
expect_rc 4 "unwritable output" "$B/bpftk" asm -o "$T/no/such/dir/x.bin" "$T/p.s"

# rejected input: every bad line reported as file:line:col
printf 'r0 = 1\nr1 = r50\nfoo\nexit\n' > "$T/e.s"
expect_rc 1 "bad input" "$B/bpftk" asm -o "$T/e.bin" "$T/e.s"
grep -q "e.s:2:6: error: expected register, found 'r50'" "$T/err" && ok || bad "message for r50: $(cat "$T/err")"
grep -q "e.s:3:1: error: unknown instruction 'foo'" "$T/err" && ok || bad "message for foo"
[ ! -s "$T/e.bin" ] && ok || bad "output written for rejected input"

# several sections: raw needs --section
printf 'r0 = 1\nexit\n.section s2,"ax"\nr0 = 2\nexit\n' > "$T/m.s"
expect_rc 2 "raw of two sections" "$B/bpftk" asm -o "$T/m.bin" "$T/m.s"
expect_rc 0 "raw --section" "$B/bpftk" asm -j s2 -o "$T/m.bin" "$T/m.s"
[ "$(hex "$T/m.bin")" = "b7000000020000009500000000000000" ] && ok || bad "section s2 bytes"
expect_rc 2 "missing section" "$B/bpftk" asm -j nope -o "$T/m.bin" "$T/m.s"

# ELF output, checked with the LLVM tools when present
expect_rc 0 "elf" "$B/bpftk" asm -f elf --license GPL -o "$T/m.o" "$T/m.s"
READELF=$(command -v llvm-readelf-14 || command -v llvm-readelf || true)
OBJCOPY=$(command -v llvm-objcopy-14 || command -v llvm-objcopy || true)
if [ -n "$READELF" ] && [ -n "$OBJCOPY" ]; then
	"$READELF" -S -W "$T/m.o" | grep -q ' s2 ' && ok || bad "elf: no section s2"
	"$OBJCOPY" -O binary --only-section=s2 "$T/m.o" "$T/s2.bin"
	cmp -s "$T/s2.bin" "$T/m.bin" && ok || bad "elf: section s2 bytes"
	"$OBJCOPY" -O binary --only-section=license "$T/m.o" "$T/lic"
	[ "$(hex "$T/lic")" = "47504c00" ] && ok || bad "elf: license $(hex "$T/lic")"
	[ "$("$READELF" -s -W "$T/m.o" | awk '$4 == "FUNC"' | wc -l)" -eq 2 ] && ok || bad "elf: 2 function symbols"
fi
echo "asm_cli: $checks checks passed"
exit $fail
