#!/usr/bin/env bash
# Builds the flood clients and runs Benchmarks/flood/flood.py (see its docstring).
# Needs qemu-system-x86, gcc, python3 with venv (qemu.qmp from PyPI, once);
# go-qemu where Debian's golang-go and golang-github-digitalocean-go-qemu-dev are installed
# (as root this script installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=Benchmarks/.out
mkdir -p "$out"
gcc -O2 -Wall -Wextra -o "$out/wait_client" Benchmarks/flood/wait_client.c
if [ ! -x Benchmarks/.venv/bin/python ]; then
    python3 -m venv Benchmarks/.venv
    Benchmarks/.venv/bin/pip install --quiet qemu.qmp
fi
go=()
gocode=/usr/share/gocode/src/github.com/digitalocean/go-qemu
if [ ! -d "$gocode" ] && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq golang-go golang-github-digitalocean-go-qemu-dev >/dev/null || true
fi
if command -v go >/dev/null && [ -d "$gocode" ]; then
    (cd Benchmarks/flood/gowait && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$PWD/../../.out/gocache" go build -o ../../.out/gowait .)
    go=(--go "$out/gowait")
fi
swift build -c release --product qmpbook --scratch-path .build-release
python3 Benchmarks/flood/flood.py --qmpbook .build-release/release/qmpbook --c "$out/wait_client" \
    --py Benchmarks/.venv/bin/python "${go[@]}" "$@"
