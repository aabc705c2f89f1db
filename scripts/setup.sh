#!/bin/sh
# setup.sh — set up a fresh Debian 12 machine, build bpftk, run the example.
#   sh scripts/setup.sh            (as root: installs packages with apt-get)
# BPFTK_NO_APT=1 skips the package step; BUILD_DIR picks the build folder.
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

if [ "${BPFTK_NO_APT:-0}" != 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		# compilers and build; llvm tools are test oracles (objdump, mc,
		# objcopy); libclang-rt for sanitizers and libFuzzer; libbpf
		# parses BTF for the object loader and is its test oracle; python3
		# checks JSON output in tests; tcpdump and libseccomp are the
		# oracles of the filter and seccomp compilers; capstone prints
		# JIT output.
		apt-get install -y -q --no-install-recommends \
			build-essential cmake pkg-config clang llvm \
			libclang-rt-14-dev binutils libbpf-dev libpcap-dev python3 \
			tcpdump libseccomp-dev libcapstone-dev
	else
		echo "setup: not root, skipping apt-get (set BPFTK_NO_APT=1 to silence)" >&2
	fi
fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j "$(nproc)"

sh examples/run.sh "$BUILD_DIR"
