#!/bin/sh
# obj_cli.sh BUILD_DIR SHARED_DIR — `bpftk obj show` as a command: help,
# exit codes of tools/bpftk/cli.h (0 ok, 1 rejected, 2 usage, 4 I/O), error
# messages naming the file, standard input, and JSON that python3's json
# module (what python3 -m json.tool uses) accepts for every object of the
# corpus (bpftool-style -j).
set -u
B=$(cd "$1" && pwd)
S=$2
X="$B/bpftk"
C="$S/corpus/ebpf-samples"
[ -x "$X" ] || { echo "obj_cli: $X missing" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
fails=0
expect() { # expect CODE DESCRIPTION -- command...
	want=$1
	what=$2
	shift 3
	"$@" > "$T/out" 2> "$T/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, want $want"
		sed 's/^/  | /' "$T/err" | head -5
		fails=$((fails + 1))
	fi
}
has() { # has FILE TEXT DESCRIPTION
	if ! grep -q -- "$2" "$1"; then
		echo "FAIL: $3: '$2' not in output"
		sed 's/^/  | /' "$1" | head -5
		fails=$((fails + 1))
	fi
}

expect 0 "obj --help" -- "$X" obj --help
has "$T/out" "usage: bpftk obj show" "obj --help"
expect 0 "obj show --help" -- "$X" obj show --help
has "$T/out" "exit codes" "obj show --help"
expect 0 "bpftk --help" -- "$X" --help
has "$T/out" "obj " "command list"
expect 2 "obj without subcommand" -- "$X" obj
expect 2 "unknown subcommand" -- "$X" obj frob
has "$T/err" "unknown subcommand 'frob'" "unknown subcommand"
expect 2 "show without file" -- "$X" obj show
expect 2 "two files" -- "$X" obj show a.o b.o
expect 2 "unknown option" -- "$X" obj show --frob "$C/build/bpf2bpf.o"
has "$T/err" "unknown option '--frob'" "unknown option"
expect 2 "-d with -j" -- "$X" obj show -d -j "$C/build/bpf2bpf.o"
expect 4 "missing file" -- "$X" obj show "$T/none.o"
has "$T/err" "none.o" "missing file message"
printf 'not an object' > "$T/junk.o"
expect 1 "rejected object" -- "$X" obj show "$T/junk.o"
has "$T/err" "junk.o: error: " "rejection message"
expect 1 "extern call" -- "$X" obj show "$C/build/badrelo.o"
has "$T/err" "badrelo.o: prog 'func' insn 5: error: call to undefined function 'ebpf_map_update_elem'" "relocation message"

expect 0 "text" -- "$X" obj show "$C/build/bpf2bpf.o"
has "$T/out" "func  section 'test'  type unspec  58 insns (37 own + 21 in 2 subprograms)" "program line"
expect 0 "disasm" -- "$X" obj show -d "$C/build/bpf2bpf.o"
has "$T/out" "add1 (subprogram):" "subprogram listing"
has "$T/out" "bpf2bpf.c:" "source lines"
expect 0 "stdin" -- sh -c "'$X' obj show - < '$C/linux/sockex1_kern.o'"
has "$T/out" "maps (1):" "stdin object"

if command -v python3 >/dev/null 2>&1; then
	mkdir "$T/json"
	n=0
	for f in $(find "$C" -type f -name '*.o' ! -path '*/invalid/*' | sort); do
		n=$((n + 1))
		"$X" obj show -j "$f" > "$T/json/$n.json" 2>/dev/null ||
			rm -f "$T/json/$n.json"
	done
	# one interpreter for all documents: json.load is what json.tool uses
	if ! python3 -c '
import json, sys, glob
bad = 0
for p in sorted(glob.glob(sys.argv[1] + "/*.json")):
    try:
        json.load(open(p))
    except ValueError as e:
        print("FAIL: invalid JSON %s: %s" % (p, e))
        bad += 1
print("obj_cli: %d JSON documents parsed" % len(glob.glob(sys.argv[1] + "/*.json")))
sys.exit(1 if bad else 0)
' "$T/json"; then
		fails=$((fails + 1))
	fi
	"$X" obj show -j "$C/build/map_in_map.o" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = d["maps"][1]
assert m["name"] == "array_of_maps" and m["inner"]["name"] == "array_of_maps.inner", m
assert m["slots"] == [{"map": 0}], m["slots"]
assert d["programs"][0]["section"] == ".text"
' || { echo "FAIL: map_in_map JSON content"; fails=$((fails + 1)); }
else
	echo "obj_cli: python3 missing, JSON not parsed"
fi
echo "obj_cli: $fails failures"
[ "$fails" = 0 ]
