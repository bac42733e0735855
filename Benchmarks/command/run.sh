#!/bin/sh
# The cost of a `command` step on top of the program itself:
# N `command: [true]` steps in one playbook against N fork+exec+wait of
# `true` from a C loop. qmpbook's fixed cost (launching its QEMU target,
# preflight, report) is measured with a one-step playbook and subtracted.
# Runs are interleaved; the ratio is printed.
# Usage: Benchmarks/command/run.sh [N] [ROUNDS]   (after swift build -c release)
set -eu
N=${1:-1000}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QMPBOOK=${QMPBOOK:-$ROOT/.build/release/qmpbook}
[ -x "$QMPBOOK" ] || QMPBOOK=$ROOT/.build/debug/qmpbook
WORK=$(mktemp -d "${TMPDIR:-/tmp}/qmpbook-bench-command.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cc -O2 -o "$WORK/fork_exec" "$ROOT/Benchmarks/command/fork_exec.c"
header='name: command benchmark
targets:
  vm: {launch: [qemu-system-x86_64, -M, none, -nodefaults, -display, none, -S]}
steps:'
{ echo "$header"; i=0; while [ $i -lt "$N" ]; do echo "  - command: [true]"; i=$((i + 1)); done; } > "$WORK/many.yaml"
{ echo "$header"; echo "  - command: [true]"; } > "$WORK/one.yaml"

now() { date +%s.%N; }
seconds() { start=$(now); "$@" > /dev/null 2>&1; end=$(now); echo "$end - $start" | bc -l; }

echo "N=$N rounds=$ROUNDS load: $(cut -d' ' -f1-3 /proc/loadavg) qmpbook: $QMPBOOK"
for round in $(seq "$ROUNDS"); do
    c=$(seconds "$WORK/fork_exec" "$N")
    one=$(seconds "$QMPBOOK" run "$WORK/one.yaml" --report "$WORK/one.json" --quiet)
    many=$(seconds "$QMPBOOK" run "$WORK/many.yaml" --report "$WORK/many.json" --quiet)
    grep -q '"outcome" *: *"passed"' "$WORK/many.json" || { echo "the benchmark playbook did not pass"; exit 1; }
    steps=$(echo "$many - $one" | bc -l)
    printf 'round %s: C fork+exec %.1f us each; command step %.1f us each; ratio %.1f\n' "$round" \
        "$(echo "$c * 1000000 / $N" | bc -l)" "$(echo "$steps * 1000000 / ($N - 1)" | bc -l)" \
        "$(echo "($steps / ($N - 1)) / ($c / $N)" | bc -l)"
done
