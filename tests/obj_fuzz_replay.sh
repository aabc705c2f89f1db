#!/bin/sh
# obj_fuzz_replay.sh BUILD_DIR SHARED_DIR — runs the object loader's fuzz
# target (fuzz/fuzz_object.c, linked with the replay driver in ordinary
# builds) over every file of the shared corpus, valid and invalid, and over
# truncated copies of a few of them.  Under -DBPFTK_SANITIZE=ON this is the
# leak and memory-error check of every loader path those inputs reach; the
# target itself aborts when an open object breaks an invariant (references
# out of range) or a rejection comes without an error.  Exit 77 when the
# target was not built.
set -eu
B=$(cd "$1" && pwd)
S=$2
F="$B/fuzz/fuzz_object"
[ -x "$F" ] || { echo "obj_fuzz_replay: $F not built, skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for f in build/map_in_map.o build/prog_array.o linux/sockex3_kern.o \
	build/global_variable.o; do
	n=$(wc -c < "$S/corpus/ebpf-samples/$f")
	for cut in 0 16 64 200 $((n / 3)) $((n / 2)) $((n - 8)) $((n - 1)); do
		head -c "$cut" "$S/corpus/ebpf-samples/$f" > "$T/$(basename "$f").$cut"
	done
done
"$F" "$S/corpus" "$T"
echo "obj_fuzz_replay: ok"
