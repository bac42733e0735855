#!/usr/bin/env bash
# Builds qmpbook (release: the install, Scripts/build-static.sh, and the
# dynamic build), the C and go-qemu one-shots, and runs startup.py.
# Needs qemu-system-x86 and gcc; go-qemu where Debian's golang-go and
# golang-github-digitalocean-go-qemu-dev are installed (as root this script
# installs them); qemu.qmp from Benchmarks/.venv when it is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=Benchmarks/.out
mkdir -p "$out"
gcc -O2 -Wall -Wextra -o "$out/exec_client" Benchmarks/startup/exec_client.c
gcc -O2 -Wall -Wextra -o "$out/measure" Benchmarks/startup/measure.c
extra=()
gocode=/usr/share/gocode/src/github.com/digitalocean/go-qemu
if [ ! -d "$gocode" ] && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq golang-go golang-github-digitalocean-go-qemu-dev >/dev/null || true
fi
if command -v go >/dev/null && [ -d "$gocode" ]; then
    (cd Benchmarks/startup/goexec && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$PWD/../../.out/gocache" go build -o ../../.out/goexec .)
    extra+=(--go "$out/goexec")
fi
if [ -x Benchmarks/.venv/bin/python ]; then extra+=(--py Benchmarks/.venv/bin/python); fi
static=$(Scripts/build-static.sh .build-static | tail -1)
swift build -c release --product qmpbook --scratch-path .build-release
python3 Benchmarks/startup/startup.py --qmpbook static="$static" \
    --qmpbook dynamic=.build-release/release/qmpbook --c "$out/exec_client" "${extra[@]}" "$@"
