#!/bin/bash
# Guest figures through the built qmpbook binary and qmpbook's test guest
# (Tests/Guest/build-guest.sh): boot to the ready marker and to an answering
# agent, guest-exec of `true` per second, and a send-console → wait-console
# round trip through the guest's shell. One boot; prints one line per figure.
#   Benchmarks/guest/run.sh [QMPBOOK] [EXECS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
qmpbook="${1:-$root/.build/debug/qmpbook}"
execs="${2:-200}"
rounds=50
if [ -z "${GUEST_KERNEL:-}" ] || [ -z "${GUEST_INITRD:-}" ]; then
    eval "$(bash "$root/Tests/Guest/build-guest.sh")"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
{
    cat <<YAML
name: guest benchmark
targets:
  vm:
    launch: [qemu-system-x86_64, -M, pc, -nodefaults, -display, none, -m, 256, -no-reboot,
             -kernel, "$GUEST_KERNEL", -initrd, "$GUEST_INITRD", -append, "console=ttyS0 panic=-1 quiet"]
    console: true
    agent: isa-serial
    timeout: 60s
defaults: {timeout: 120s}
steps:
  - {name: boot, wait-console: "QMPBOOK-GUEST-READY"}
  - {name: agent, agent: guest-ping}
YAML
    for i in $(seq "$execs"); do echo "  - {name: exec$i, guest-exec: [\"true\"]}"; done
    for i in $(seq "$rounds"); do
        echo "  - {name: send$i, send-console: \"echo bench-$i-\$((1+1))\\n\"}"
        echo "  - {name: wait$i, wait-console: \"bench-$i-2\"}"
    done
} > "$work/bench.yaml"
"$qmpbook" run "$work/bench.yaml" --report "$work/report.json" --quiet
python3 - "$work/report.json" "$execs" "$rounds" <<'PY'
import json, statistics, sys
report = json.load(open(sys.argv[1]))
execs, rounds = int(sys.argv[2]), int(sys.argv[3])
steps = {s["name"]: s for s in report["steps"]}
target = report["targets"][0]
print(f"boot to the ready marker (wait-console from target open): {steps['boot']['duration_ms'] / 1000:.2f} s")
print(f"boot to an answering agent (agent.answered_ms): {target['agent']['answered_ms'] / 1000:.2f} s")
durations = [steps[f"exec{i}"]["duration_ms"] for i in range(1, execs + 1)]
print(f"guest-exec of true: {1000 * execs / sum(durations):.1f}/s (median {statistics.median(durations):.1f} ms, {execs} runs)")
waits = [steps[f"send{i}"]["duration_ms"] + steps[f"wait{i}"]["duration_ms"] for i in range(1, rounds + 1)]
print(f"send-console → wait-console round trip through the guest shell: median {statistics.median(waits):.1f} ms, "
      f"p90 {sorted(waits)[int(rounds * 0.9) - 1]:.1f} ms ({rounds} rounds)")
PY
