#!/bin/sh
# install.sh — `cmake --install` into a scratch prefix, then build a small
# program against the installed shared library through pkg-config and run it:
# proves the install target, the pkg-config file and the exported symbols.
#   sh tests/install.sh BUILD_DIR SHARED_DIR
set -eu
B=$(cd "$1" && pwd)
command -v pkg-config >/dev/null || { echo "install: pkg-config missing, skipped"; exit 77; }
# a sanitizer build's library needs the sanitizer runtime in every program
# linked against it; the plain build covers installation
if grep -q '^BPFTK_SANITIZE:BOOL=ON' "$B/CMakeCache.txt" 2>/dev/null; then
	echo "install: sanitizer build, skipped (checked in the plain build)"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cmake --install "$B" --prefix "$T/prefix" >/dev/null
libdir=$(ls -d "$T"/prefix/lib* | head -n 1)
test -f "$libdir/libbpftk.a"
test -f "$T/prefix/include/bpftk/opcodes.def"
test -x "$T/prefix/bin/bpftk"
cat > "$T/use.c" <<'C'
#include <stdio.h>
#include <bpftk/isa.h>
int main(void)
{
	/* r0 = 7; exit — validated through the installed library */
	struct bpftk_insn p[2] = {{0xb7, 0, 0, 0, 7}, {0x95, 0, 0, 0, 0}};
	const struct bpftk_opinfo *r = bpftk_isa_info(bpftk_isa_lookup(&p[0]));
	if (!r || bpftk_isa_validate(p, 2, NULL, "p") != 0)
		return 1;
	printf("%s %s\n", bpftk_version(), r->name);
	return 0;
}
C
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c11 -Wall -Werror $(pkg-config --cflags bpftk) "$T/use.c" -o "$T/use" $(pkg-config --libs bpftk)
out=$(LD_LIBRARY_PATH="$libdir" "$T/use")
echo "installed library says: $out"
[ "$out" = "$(pkg-config --modversion bpftk) mov" ]
# the shared library exports the API and hides internals
if command -v nm >/dev/null; then
	nm -D --defined-only "$libdir/libbpftk.so" | grep -q ' bpftk_isa_validate$'
	! nm -D --defined-only "$libdir/libbpftk.so" | grep -q ' bpftk_malloc$'
fi
echo "install: ok"
