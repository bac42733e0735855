#!/usr/bin/env bash
# Instruction counts for qmpbook, stable on a noisy machine: callgrind on a
# release build, per `execute` step (the difference between two playbook
# sizes, so start-up and handshake cancel out), the same with `--jsonl`,
# `--junit` and `--html`, and for `qmpbook --version`.
#
#     bash Benchmarks/callgrind/run.sh [STEPS]        # default 2000
#
# Two things make valgrind 3.19 run the binary: a preloaded shim that copies
# the signal mask libdispatch passes to rt_sigsuspend (sigsuspend_shim.c),
# and `strip --strip-debug` (valgrind cannot read Swift 6.3's DWARF 5).
# Needs valgrind, qemu-system-x86, gcc. The .out files open in callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-2000}
out=Benchmarks/.out/callgrind
mkdir -p "$out"
gcc -O2 -shared -fPIC -o "$out/sigsuspend_shim.so" Benchmarks/callgrind/sigsuspend_shim.c
swift build -c release --product qmpbook --scratch-path .build-release
cp .build-release/release/qmpbook "$out/qmpbook"
strip --strip-debug "$out/qmpbook"

work=$(mktemp -d /tmp/qmpbook-callgrind.XXXXXX)
qemu-system-x86_64 -M pc -nodefaults -display none -S -qmp "unix:$work/qmp.sock,server=on,wait=off" &
qemu=$!
trap 'kill $qemu 2>/dev/null; rm -rf "$work"' EXIT
while [ ! -S "$work/qmp.sock" ]; do sleep 0.01; done

playbook() {  # playbook N: N query-status steps on the paused QEMU
    { echo "name: callgrind"; echo "targets:"; echo "  vm: {connect: \"unix:$work/qmp.sock\"}"; echo "steps:"
      for _ in $(seq "$1"); do echo "  - execute: query-status"; done; } > "$work/p$1.yaml"
}
instructions() {  # instructions NAME COMMAND...: total Ir of one run
    local name=$1; shift
    LD_PRELOAD="$PWD/$out/sigsuspend_shim.so" valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" \
        "$@" >/dev/null 2>"$out/$name.log"
    callgrind_annotate "$out/$name.out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'
}
playbook "$steps"; playbook $((steps * 2))
version=$(instructions version "$out/qmpbook" --version)
small=$(instructions run-$steps "$out/qmpbook" run "$work/p$steps.yaml" --quiet --no-preflight --report "$work/r1.json")
large=$(instructions run-$((steps * 2)) "$out/qmpbook" run "$work/p$((steps * 2)).yaml" --quiet --no-preflight --report "$work/r2.json")
echo "qmpbook --version: $version instructions"
echo "qmpbook run, $steps steps: $small; $((steps * 2)) steps: $large"
echo "per execute step: $(( (large - small) / steps )) instructions"
# Of those, what runs elsewhere than between a reply and the next command:
# loading the playbook, and what the connection's idle lane does while a
# command is on its way (writing the last step's report entry).
inclusive() {  # inclusive FILE FUNCTION: the inclusive Ir of one function, by its demangled name
    callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" 2>/dev/null | swift demangle --simplified |
        awk -v name="$2" 'index($0, ":" name " ") && !done { gsub(",", "", $1); print $1; done = 1 }' | grep . || echo 0
}
per_step() {  # per_step FUNCTION
    echo $(( ($(inclusive "$out/run-$((steps * 2)).out" "$1") - $(inclusive "$out/run-$steps.out" "$1")) / steps ))
}
load=$(per_step 'static PlaybookLoader.load(path:variables:)')
jobs=$(per_step 'StepSpool.writeWaitingEntries()')
echo "  loading the playbook: $load; in the idle lane, while the next command is on its way: $jobs"
echo "  from a reply to the next command: $(( (large - small) / steps - load - jobs ))"
# The same with each other output: the JSON lines stream (two lines a step,
# written as they happen, and the report at the end), JUnit and the HTML page
# (made at the end from the steps read back).
with_output() {  # with_output NAME OPTION: per-step instructions of a run that also writes OPTION
    local small large
    small=$(instructions "$1-$steps" "$out/qmpbook" run "$work/p$steps.yaml" --quiet --no-preflight --report "$work/r1.json" "$2" "$work/o1")
    large=$(instructions "$1-$((steps * 2))" "$out/qmpbook" run "$work/p$((steps * 2)).yaml" --quiet --no-preflight --report "$work/r2.json" "$2" "$work/o2")
    echo "per execute step with $2: $(( (large - small) / steps )) instructions"
}
with_output jsonl --jsonl
with_output junit --junit
with_output html --html
echo "profiles: $out/*.out (callgrind_annotate FILE | head -40)"
