#!/bin/sh
# verify_cli.sh BUILD_DIR SHARED_DIR — `bpftk verify` and the verifier in
# front of `bpftk run`:
#  1. corpus programs whose kernel verdict is known (loaded into Linux 6.18:
#     packet_start_ok and dependent_read accepted; packet_overflow rejected
#     with "R2 offset is outside of the packet", ptr_arith with "R1 pointer
#     += pointer prohibited"): the verdict line, the exit code, the
#     rejected instruction and its source line, which llvm-objdump -l
#     (the oracle) gives from the same line info;
#  2. raw bytecode and assembly with --mem-size: an access one byte past
#     the memory is rejected, one inside accepted;
#  3. bpftk run: verified programs run (in the JIT by default, --fast,
#     --checked), rejected ones are refused with the way out named,
#     --no-verify only with --checked, and then a fault is a runtime fault
#     (exit 3);
#  4. usage and I/O errors.
set -u
B=$1
S=$2
BPFTK=$B/bpftk
C=$S/corpus/ebpf-samples/build
[ -d "$C" ] || { echo "no corpus at $C: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }

# expect RC PATTERN CMD... : exit code RC and PATTERN (grep -E) in stdout+stderr
expect() {
	want=$1 pat=$2
	shift 2
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$* exited $rc, want $want: $(head -c 600 "$T/out")"
	elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$T/out"; then
		bad "$* printed no /$pat/: $(head -c 600 "$T/out")"
	else
		ok "$*"
	fi
}

# ---- 1. corpus programs with a known kernel verdict
expect 0 '^prog read_write_packet_start: accepted \([0-9]+ insns processed, [0-9]+ us\)$' \
	"$BPFTK" verify "$C/packet_start_ok.o"
expect 0 '^prog dependent_read: accepted' "$BPFTK" verify "$C/dependent_read.o"
expect 1 '^prog read_write_packet_start: rejected$' \
	"$BPFTK" verify "$C/packet_overflow.o"
expect 1 'pointer' "$BPFTK" verify "$C/ptr_arith.o"
# the rejected instruction and its source line, as llvm-objdump -l reads
# the object's line info
"$BPFTK" verify "$C/packet_overflow.o" >/dev/null 2>"$T/err"
insn=$(sed -n "s/^prog 'read_write_packet_start' insn \([0-9]*\): error: .*/\1/p" "$T/err" | head -1)
if [ -z "$insn" ]; then
	bad "packet_overflow: no instruction named: $(cat "$T/err")"
elif command -v llvm-objdump >/dev/null 2>&1; then
	# the last "; file:line" comment before the instruction's listing line
	want=$(llvm-objdump -d -l --no-show-raw-insn "$C/packet_overflow.o" |
		awk -v n="$insn" '/^; .*:[0-9]+$/ { loc = $2 }
			$1 == n ":" { print loc; exit }')
	line=${want##*:}
	file=${want%:*}
	file=${file##*/}
	if [ -n "$line" ] && grep -q "$file:$line" "$T/err"; then
		ok "packet_overflow: insn $insn at $file:$line, as llvm-objdump -l says"
	else
		bad "packet_overflow: insn $insn should be at '$want': $(cat "$T/err")"
	fi
fi
grep -q "note: path" "$T/err" && ok "the path to the rejection is given" ||
	bad "no path notes: $(cat "$T/err")"
# -v: the state at each instruction comes first, then the verdict
"$BPFTK" verify -v "$C/packet_start_ok.o" >"$T/v" 2>&1
n=$(wc -l <"$T/v")
[ "$n" -gt 5 ] && tail -1 "$T/v" | grep -q "accepted" &&
	ok "-v prints $n lines of state before the verdict" ||
	bad "-v log: $(head -c 400 "$T/v")"
expect 0 '^prog read_write_packet_start: accepted' \
	"$BPFTK" verify --prog read_write_packet_start "$C/packet_start_ok.o"
expect 1 "no program named 'nope'" "$BPFTK" verify --prog nope "$C/packet_start_ok.o"
# a type that changes the verdict: XDP's context has no field at 76/80
expect 0 'accepted' "$BPFTK" verify --type xdp "$C/packet_start_ok.o"

# ---- 2. raw bytecode and assembly: r0 = byte 3 of the memory
printf 'r0 = *(u8 *)(r1 + 3)\nexit\n' >"$T/b3.s"
"$BPFTK" asm -o "$T/b3.bin" "$T/b3.s" || bad "asm b3.s"
expect 0 'accepted' "$BPFTK" verify --mem-size 4 "$T/b3.bin"
expect 1 'rejected' "$BPFTK" verify --mem-size 3 "$T/b3.bin"
expect 1 'rejected' "$BPFTK" verify "$T/b3.bin"
expect 0 'accepted' "$BPFTK" verify --mem-size 4 "$T/b3.s"
expect 2 '--mem-size needs' "$BPFTK" verify --mem-size -1 "$T/b3.bin"

# ---- 3. bpftk run
expect 0 '^r0 = 0x4 \(4\)$' "$BPFTK" run --mem-hex "01 02 03 04" "$T/b3.bin"
expect 0 '^r0 = 0x4 \(4\)$' "$BPFTK" run --checked --mem-hex "01 02 03 04" "$T/b3.bin"
expect 1 'add --checked --no-verify' "$BPFTK" run --mem-hex "01 02 03" "$T/b3.bin"
expect 2 'add --checked' "$BPFTK" run --no-verify --mem-hex "01 02 03" "$T/b3.bin"
expect 3 'insn 0: error: out-of-bounds load of 1 byte' \
	"$BPFTK" run --checked --no-verify --mem-hex "01 02 03" "$T/b3.bin"
# the JIT is the default: on x86-64 it compiles the program (no fallback
# warning); elsewhere the warning says the fast interpreter ran it
for how in "" --jit; do
	"$BPFTK" run $how --mem-hex "01 02 03 04" "$T/b3.bin" >"$T/out" 2>"$T/err"
	rc=$?
	case $(uname -m) in
	x86_64|amd64) [ $rc = 0 ] && [ ! -s "$T/err" ] ;;
	*) [ $rc = 0 ] && grep -q 'running in the fast interpreter' "$T/err" ;;
	esac && grep -q '^r0 = 0x4 (4)$' "$T/out" && ok "run $how (JIT)" ||
		bad "run $how: rc $rc: $(cat "$T/out" "$T/err")"
done
expect 0 '^r0 = 0x4 \(4\)$' "$BPFTK" run --fast --mem-hex "01 02 03 04" "$T/b3.bin"
expect 0 '--jit +the JIT \(the default' "$BPFTK" run --help
expect 2 'exclude each other' "$BPFTK" run --jit --checked --mem-hex "01 02 03 04" "$T/b3.bin"
# --checked alone (no --jit given) is not a conflict with the default
expect 0 '^r0 = 0x4 \(4\)$' "$BPFTK" run --fast --checked --mem-hex "01 02 03 04" "$T/b3.bin"
PKT="02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00 00 14 00 00 00 00 40 00 00 00 0a 00 00 01 0a 00 00 02"
expect 1 'add --checked --no-verify' \
	"$BPFTK" run "$C/packet_overflow.o" --data-hex "$PKT"
expect 0 '^retval = ' "$BPFTK" run --checked --no-verify "$C/packet_overflow.o" --data-hex "$PKT"
expect 0 '^retval = ' "$BPFTK" run "$C/packet_start_ok.o" --data-hex "$PKT"

# the walk's budget: Cilium's tail_handle_ipv4 (which Linux accepts) needs
# more than the kernel's 1,000,000 instructions here, within the default
LXC=$S/corpus/ebpf-samples/cilium/bpf_lxc.o
expect 0 '^prog tail_handle_ipv4: accepted' \
	"$BPFTK" verify --type sched_cls --prog tail_handle_ipv4 "$LXC"
expect 1 'program too complex: the walk of all paths passed 1000000 instructions' \
	"$BPFTK" verify --type sched_cls --prog tail_handle_ipv4 --insn-limit 1000000 "$LXC"
expect 2 'insn-limit needs a count' "$BPFTK" verify --insn-limit 0 "$LXC"

# rules of Linux's own, not of the ISA (the kernel refuses both; the
# verifier fuzzer's kernel mode, BPFTK_VFUZZ_KERNEL, found them): a
# constant shift outside [0, width) in a program for the kernel (raw
# programs keep the ISA's modulo), and a pointer stored to the stack in
# fewer than 8 bytes
printf 'r0 = 0\nw0 <<= 32\nexit\n' >"$T/shift32.s"
printf 'r0 = 0\nr0 <<= 63\nw0 s>>= 31\nexit\n' >"$T/shift_ok.s"
printf 'r0 = 0\nr0 >>= -1\nexit\n' >"$T/shift_neg.s"
printf 'r0 = 0\n*(u32 *)(r10 - 8) = r1\nexit\n' >"$T/spill4.s"
printf 'r0 = 0\n*(u64 *)(r10 - 8) = r1\n*(u32 *)(r10 - 16) = r0\nexit\n' >"$T/spill8.s"
expect 1 'invalid shift 32: a 32-bit shift' "$BPFTK" verify --type xdp "$T/shift32.s"
expect 1 'invalid shift -1: a 64-bit shift' "$BPFTK" verify --type sched_cls "$T/shift_neg.s"
expect 0 'accepted' "$BPFTK" verify --type xdp "$T/shift_ok.s"
expect 0 'accepted' "$BPFTK" verify "$T/shift32.s"
expect 1 'invalid size of register spill: a pointer \(context pointer\)' \
	"$BPFTK" verify --type xdp "$T/spill4.s"
expect 0 'accepted' "$BPFTK" verify --type xdp "$T/spill8.s"

# ---- 4. usage and I/O
expect 2 'usage: bpftk verify' "$BPFTK" verify
expect 2 "unknown program type 'frob'" "$BPFTK" verify --type frob "$T/b3.bin"
expect 2 'unknown option' "$BPFTK" verify --frob "$T/b3.bin"
expect 2 'more than one FILE' "$BPFTK" verify "$T/b3.bin" "$T/b3.bin"
expect 4 'cannot open' "$BPFTK" verify "$T/no-such.o"
expect 0 'usage: bpftk verify' "$BPFTK" verify --help

[ $fail = 0 ] && echo "verify_cli: all checks passed"
exit $fail
