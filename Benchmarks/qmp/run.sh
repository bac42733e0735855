#!/usr/bin/env bash
# Builds the benchmark clients and runs Benchmarks/qmp/compare.py.
# Needs qemu-system-x86 and a C compiler; creates Benchmarks/.venv with qemu.qmp from PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p Benchmarks/.out
gcc -O2 -Wall -Wextra -o Benchmarks/.out/raw_client Benchmarks/qmp/raw_client.c
if [ ! -x Benchmarks/.venv/bin/python ]; then
    python3 -m venv Benchmarks/.venv
    Benchmarks/.venv/bin/pip install --quiet qemu.qmp
fi
swift build -c release --product qmpbook
swift build -c release --product qmp-bench
python3 Benchmarks/qmp/compare.py "$@"
