#!/bin/sh
# test.sh — run the whole test suite (builds first if needed).
#   sh scripts/test.sh             uses ./build
# BUILD_DIR picks the build folder; extra arguments go to ctest.
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
[ -f "$BUILD_DIR/CMakeCache.txt" ] || cmake -S . -B "$BUILD_DIR"
cmake --build "$BUILD_DIR" -j "$(nproc)"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" "$@"
