#!/bin/sh
# seccomp_cli.sh — `bpftk seccomp` as a command: the example policy
# compiles (-o: 8 bytes per listed instruction), real commands run under
# policies with the outcome the policy promises (EPERM seen by the command,
# killed by SIGSYS, allowed), exit codes (0 ok, 1 rejected, 2 usage,
# 4 I/O, 127 exec failure), file:line:col messages, the syscall tables
# printed by `seccomp syscalls` against libseccomp's scmp_sys_resolver, and
# the fuzz target (fuzz/fuzz_seccomp.c) replayed over the policies used.
# Runs need seccomp filters (skipped, exit 77, when they cannot be
# installed).
#   sh tests/seccomp_cli.sh BUILD_DIR SHARED_DIR
NAME=seccomp_cli
. "$(dirname "$0")/lib/cli_prologue.sh"
S="$B/bpftk seccomp"

# compile: listing and raw output agree in length
expect_rc 0 "example listing" $S compile examples/seccomp/sandbox.policy -d
lines=$(grep -c '^(' "$T/out")
expect_rc 0 "example raw" $S compile examples/seccomp/sandbox.policy -o "$T/f.bpf"
size=$(wc -c < "$T/f.bpf")
[ "$size" -eq $((lines * 8)) ] && [ "$lines" -gt 5 ] && ok || bad "raw size $size for $lines listed instructions"

# errors and usage
printf 'default allow\nallow read nosuch\n' > "$T/bad.policy"
expect_rc 1 "unknown syscall" $S compile "$T/bad.policy"
grep -q "bad.policy:2:12: error: unknown syscall 'nosuch'" "$T/err" && ok || bad "message: $(cat "$T/err")"
expect_rc 2 "no policy" $S compile
expect_rc 2 "unknown option" $S compile -x "$T/bad.policy"
expect_rc 2 "unknown subcommand" $S frob
expect_rc 2 "run without --" $S run examples/seccomp/sandbox.policy true
expect_rc 4 "missing file" $S compile "$T/none.policy"
expect_rc 2 "unknown arch" $S syscalls sparc

# tables against libseccomp's resolver
if command -v scmp_sys_resolver > /dev/null; then
	for a in x86_64 i386 aarch64; do
		$S syscalls $a > "$T/tab" || bad "syscalls $a"
		ra=$a
		[ $a = i386 ] && ra=x86 # libseccomp's name for it
		n=0 same=0 differ=0
		while read -r name nr; do
			n=$((n + 1))
			r=$(scmp_sys_resolver -a $ra "$name")
			case $r in
			-*) ;; # unknown to this libseccomp
			"$nr") same=$((same + 1)) ;;
			*) differ=$((differ + 1))
			   [ $differ -le 3 ] && bad "$a $name: ours $nr, scmp_sys_resolver $r" ;;
			esac
		done < "$T/tab"
		[ "$differ" -eq 0 ] && [ "$same" -gt $((n * 9 / 10)) ] && ok ||
			bad "$a: $same of $n names resolved alike, $differ differ"
		echo "seccomp_cli: $a: $same of $n syscalls as scmp_sys_resolver, $differ different"
	done
else
	echo "seccomp_cli: no scmp_sys_resolver, tables not compared"
fi

# runs
printf 'default allow\n' > "$T/allow.policy"
if ! $S run "$T/allow.policy" -- true 2> "$T/err"; then
	echo "skip: seccomp filters cannot be installed here: $(cat "$T/err")"
	[ $fail -eq 0 ] && exit 77
	exit 1
fi
printf 'default allow\nuname: errno 1\n' > "$T/uname.policy"
expect_rc 1 "uname denied" $S run "$T/uname.policy" -- uname
grep -q "Operation not permitted" "$T/err" && ok || bad "uname: $(cat "$T/err")"
expect_rc 0 "true allowed" $S run "$T/uname.policy" -- true
printf 'default allow\nuname: errno 13\n' > "$T/acces.policy"
expect_rc 1 "uname EACCES" $S run "$T/acces.policy" -- uname
grep -q "Permission denied" "$T/err" && ok || bad "uname: $(cat "$T/err")"
# killed: the shell reports 128 + SIGSYS (31 on x86 and arm64)
printf 'default allow\nuname: kill\n' > "$T/kill.policy"
expect_rc 159 "uname killed" $S run "$T/kill.policy" -- uname
expect_rc 0 "echo survives" $S run "$T/kill.policy" -- echo hi
[ "$(cat "$T/out")" = hi ] && ok || bad "echo output '$(cat "$T/out")'"
# arguments: write to fd 2 refused, to fd 1 allowed
printf 'default allow\nwrite: errno 5 if arg0 == 2\n' > "$T/fd.policy"
expect_rc 0 "stdout write" $S run "$T/fd.policy" -- sh -c 'echo out'
[ "$(cat "$T/out")" = out ] && ok || bad "stdout '$(cat "$T/out")'"
# ls writes its complaint to fd 2 itself (a shell's >&2 would dup it to 1)
expect_rc 2 "stderr write" $S run "$T/fd.policy" -- ls /nonexistent
[ ! -s "$T/err" ] && ok || bad "stderr got '$(cat "$T/err")'"
# the example sandbox runs a small command
expect_rc 0 "sandbox echo" $S run examples/seccomp/sandbox.policy -- /bin/echo sandboxed
[ "$(cat "$T/out")" = sandboxed ] && ok || bad "sandbox output '$(cat "$T/out")'"
expect_rc 127 "exec failure" $S run "$T/allow.policy" -- /nonexistent/cmd
# a policy for another architecture is refused before anything runs
printf 'arch aarch64\ndefault allow\n' > "$T/arm.policy"
if [ "$(uname -m)" != aarch64 ]; then
	expect_rc 1 "foreign policy" $S run "$T/arm.policy" -- true
fi

# the fuzz target over every policy written here and the example
if [ -x "$B/fuzz/fuzz_seccomp" ]; then
	"$B/fuzz/fuzz_seccomp" examples/seccomp "$T" > "$T/out" 2>&1 && ok ||
		{ bad "fuzz_seccomp replay failed"; cat "$T/out"; }
fi

echo "seccomp_cli: $checks checks, $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
