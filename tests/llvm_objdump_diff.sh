#!/bin/sh
# llvm_objdump_diff.sh BUILD_DIR SHARED_DIR — differential test of
# `bpftk disasm` against llvm-objdump 14 (the oracle) over every ELF file of
# SHARED_DIR/corpus.
#
# For each object llvm-objdump accepts without a warning, the listings of
#   llvm-objdump -d --no-show-raw-insn   vs  bpftk disasm
#   llvm-objdump -d -r                   vs  bpftk disasm --raw -r
# must be identical line for line (instruction text, labels, jump target
# annotations, raw bytes, relocation lines).  Objects llvm-objdump rejects
# or warns about must be rejected by bpftk too (exit status 1, with a
# message); files under invalid/ that only bpftk rejects are listed.  Prints "N objects, M instructions compared, K mismatches";
# fails on any mismatch.  Exit 77 (skipped) when LLVM 14's llvm-objdump is
# not installed, since later versions print immediates differently.
set -u
build=$1
shared=$2
bpftk=$build/bpftk
corpus=$shared/corpus

objdump=
for c in llvm-objdump-14 llvm-objdump; do
	if command -v "$c" >/dev/null 2>&1 &&
	   "$c" --version 2>/dev/null | grep -q 'LLVM version 14\.'; then
		objdump=$c
		break
	fi
done
if [ -z "$objdump" ]; then
	echo "llvm-objdump from LLVM 14 not found: skipped"
	exit 77
fi
if [ ! -x "$bpftk" ] || [ ! -d "$corpus" ]; then
	echo "missing $bpftk or $corpus" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
list=$tmp/files
find "$corpus" -type f | LC_ALL=C sort >"$list"
elf=$(printf '\177ELF')

objects=0 insns=0 bad=0 rejected=0 stricter=0 files=0
while IFS= read -r f; do
	[ "$(head -c 4 "$f")" = "$elf" ] || continue
	files=$((files + 1))
	# The file name is part of the listing's first line: run both tools on
	# the same relative spelling.
	if ! "$objdump" -d --no-show-raw-insn "$f" >"$tmp/theirs" 2>"$tmp/err" ||
	   [ -s "$tmp/err" ]; then
		# llvm-objdump rejects it or warns: bpftk must reject it.
		"$bpftk" disasm "$f" >/dev/null 2>"$tmp/ours_err"
		rc=$?
		if [ $rc -ne 1 ] || [ ! -s "$tmp/ours_err" ]; then
			echo "MISMATCH $f: llvm-objdump complains" \
			     "($(head -n 1 "$tmp/err")) but bpftk disasm" \
			     "exited $rc" >&2
			bad=$((bad + 1))
		fi
		rejected=$((rejected + 1))
		continue
	fi
	if ! "$bpftk" disasm "$f" >/dev/null 2>"$tmp/ours_err"; then
		# bpftk checks more than llvm-objdump does (e.g. the instruction
		# offsets .BTF.ext records); allowed for the corpus's known-bad
		# files only.
		case $f in
		*/invalid/*)
			echo "note: $f: llvm-objdump lists it, bpftk rejects it:" \
			     "$(head -n 1 "$tmp/ours_err")"
			stricter=$((stricter + 1))
			continue ;;
		esac
	fi
	objects=$((objects + 1))
	n=$(grep -c '^ *[0-9][0-9]*:	' "$tmp/theirs")
	insns=$((insns + n))
	for mode in plain raw; do
		if [ $mode = raw ]; then
			"$objdump" -d -r "$f" >"$tmp/theirs" 2>/dev/null
			set -- --raw -r
		else
			set --
		fi
		if ! "$bpftk" disasm "$@" "$f" >"$tmp/ours" 2>"$tmp/ours_err"; then
			echo "MISMATCH $f: bpftk disasm $* failed:" \
			     "$(head -n 3 "$tmp/ours_err")" >&2
			bad=$((bad + n))
			continue
		fi
		if ! cmp -s "$tmp/ours" "$tmp/theirs"; then
			k=$(diff "$tmp/theirs" "$tmp/ours" | grep -c '^<')
			[ "$k" -gt 0 ] || k=1
			bad=$((bad + k))
			echo "MISMATCH $f (bpftk disasm $*): $k lines differ" >&2
			diff "$tmp/theirs" "$tmp/ours" | head -n 10 >&2
		fi
	done
done <"$list"

echo "$objects objects, $insns instructions compared, $bad mismatches" \
     "($files ELF files, $rejected rejected by llvm-objdump and by bpftk," \
     "$stricter known-bad files rejected by bpftk only)"
[ "$bad" -eq 0 ] && [ "$objects" -gt 0 ]
