#!/usr/bin/env bash
# Builds qmpbook (release), the C client and measure.c, and runs
# Benchmarks/runner/runner.py (see its docstring). Needs qemu-system-x86 and gcc.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=Benchmarks/.out
mkdir -p "$out"
gcc -O2 -Wall -Wextra -o "$out/raw_client" Benchmarks/qmp/raw_client.c
gcc -O2 -Wall -Wextra -o "$out/measure" Benchmarks/startup/measure.c
swift build -c release --product qmpbook --scratch-path .build-release
python3 Benchmarks/runner/runner.py --qmpbook .build-release/release/qmpbook --c "$out/raw_client" "$@"
