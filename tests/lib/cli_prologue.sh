# cli_prologue.sh — what the command-line test scripts share, sourced
# (not run: tests/lib is outside the tests/*.sh glob) after setting NAME
# to the script's name, with the script's arguments:
#   NAME=x_cli; . "$(dirname "$0")/lib/cli_prologue.sh"
# Sets B (the build directory, absolute), T (a temporary directory removed
# on exit), fail/checks counters, and ok, bad MESSAGE, and
# expect_rc WANT DESCRIPTION COMMAND... (COMMAND's stdout in $T/out, its
# stderr in $T/err; a wrong exit code fails with the stderr shown).
set -u
B=$(cd "$1" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0 checks=0
ok() { checks=$((checks + 1)); }
bad() { echo "$NAME: $*"; fail=1; }
expect_rc() { # want, description, command...
	want=$1 what=$2
	shift 2
	"$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok; else bad "$what: exit $rc, wanted $want"; cat "$T/err"; fi
}
