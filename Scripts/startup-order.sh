#!/usr/bin/env bash
# Remakes Scripts/startup-order.txt: the functions of the install's binary
# that `--version`, `exec`, a short `run` and `check` execute, in the order
# they first run, for the linker to lay out together (Scripts/build-static.sh).
# Run it after changes that move much of the start-up path; names that no
# longer exist are skipped by the linker, and new functions go after the list.
# Needs valgrind, qemu-system-x86, gcc (the callgrind recipe of Benchmarks/).
#
#     Scripts/startup-order.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/Benchmarks/.out/startup-order
mkdir -p "$out"
gcc -O2 -shared -fPIC -o "$out/sigsuspend_shim.so" Benchmarks/callgrind/sigsuspend_shim.c
binary=$(Scripts/build-static.sh --symbols .build-static-symbols | tail -1)
# valgrind cannot read Swift 6.3's DWARF 5: the debug information goes, the symbols stay.
strip --strip-debug -o "$out/qmpbook" "$binary"

work=$(mktemp -d /tmp/qmpbook-order.XXXXXX)
qemu-system-x86_64 -M pc -nodefaults -display none -S -qmp "unix:$work/qmp.sock,server=on,wait=off" &
qemu=$!
trap 'kill $qemu 2>/dev/null; rm -rf "$work"' EXIT
while [ ! -S "$work/qmp.sock" ]; do sleep 0.01; done
printf 'name: order\ntargets:\n  vm: {connect: "unix:%s/qmp.sock"}\nsteps:\n  - execute: query-status\n  - execute: query-status\n' "$work" > "$work/p.yaml"

profile() {  # profile NAME ARGUMENTS...
    local name=$1; shift
    LD_PRELOAD="$out/sigsuspend_shim.so" valgrind --tool=callgrind --demangle=no \
        --callgrind-out-file="$out/$name.out" "$out/qmpbook" "$@" >/dev/null 2>"$out/$name.log"
}
profile exec exec "unix:$work/qmp.sock" query-status
profile version --version
profile run run "$work/p.yaml" --quiet --report "$work/report.json"
profile check check "$work/p.yaml"
python3 Scripts/startup-order.py "$out/qmpbook" "$out"/{exec,version,run,check}.out > Scripts/startup-order.txt
echo "startup-order: $(wc -l < Scripts/startup-order.txt) functions in Scripts/startup-order.txt" >&2
