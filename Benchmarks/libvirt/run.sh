#!/usr/bin/env bash
# Builds the libvirt benchmark clients and runs Benchmarks/libvirt/compare.py.
# Needs libvirt-dev, gcc, qemu-system-x86 and a libvirt daemon: by default
# host1 of Tests/Libvirt/hosts.sh (start it and `eval "$(… env DIR)"` first),
# or --uri URI. Extra arguments go to compare.py (--rounds, --count,
# --exec-runs, --baseline-qmpbook PATH).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p Benchmarks/.out
gcc -O2 -Wall -Wextra -o Benchmarks/.out/raw_libvirt Benchmarks/libvirt/raw_libvirt.c -lvirt -lvirt-qemu -lpthread
swift build -c release --product qmpbook
swift build -c release --product libvirt-bench
python3 Benchmarks/libvirt/compare.py "$@"
