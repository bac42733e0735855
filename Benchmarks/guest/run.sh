#!/bin/bash
# Guest figures through the built qmpbook binary and qmpbook's test guest
# (Tests/Guest/build-guest.sh): boot to the ready marker and to an answering
# agent, guest-exec of `true` per second, and a send-console → wait-console
# round trip through the guest's shell. One boot; prints one line per figure.
# Then the anchors: the same figures by plain socket clients
# (raw_clients.py, its own boot of the same guest), and the ratios.
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
echo "execs=$execs rounds=$rounds load: $(cut -d' ' -f1-3 /proc/loadavg) qmpbook: $qmpbook"
"$qmpbook" run "$work/bench.yaml" --report "$work/report.json" --quiet
python3 "$here/raw_clients.py" "$GUEST_KERNEL" "$GUEST_INITRD" "$execs" "$rounds" > "$work/raw.txt"
python3 - "$work/report.json" "$execs" "$rounds" "$work/raw.txt" <<'PY'
import json, statistics, sys
report = json.load(open(sys.argv[1]))
execs, rounds = int(sys.argv[2]), int(sys.argv[3])
raw = dict(line.split(": ") for line in open(sys.argv[4]).read().split("\n") if line)
raw = {key: float(value) for key, value in raw.items()}
steps = {s["name"]: s for s in report["steps"]}
target = report["targets"][0]
answered = target["agent"]["answered_ms"] / 1000
print(f"boot to the ready marker (wait-console from target open): {steps['boot']['duration_ms'] / 1000:.2f} s")
print(f"boot to an answering agent: qmpbook {answered:.2f} s (agent.answered_ms), "
      f"plain client {raw['agent_answered_s']:.2f} s (from QEMU's start); ratio {answered / raw['agent_answered_s']:.2f}x")
durations = [steps[f"exec{i}"]["duration_ms"] for i in range(1, execs + 1)]
rate = 1000 * execs / sum(durations)
print(f"guest-exec of true: qmpbook {rate:.1f}/s (median {statistics.median(durations):.1f} ms), "
      f"plain client on the same poll schedule {raw['exec_per_s']:.1f}/s (median {raw['exec_median_ms']:.1f} ms); "
      f"ratio {rate / raw['exec_per_s']:.2f}x ({execs} runs)")
waits = sorted(steps[f"send{i}"]["duration_ms"] + steps[f"wait{i}"]["duration_ms"] for i in range(1, rounds + 1))
median = statistics.median(waits)
print(f"send-console → wait-console round trip through the guest shell: qmpbook median {median:.1f} ms, "
      f"p90 {waits[int(rounds * 0.9) - 1]:.1f} ms; plain client median {raw['console_median_ms']:.1f} ms, "
      f"p90 {raw['console_p90_ms']:.1f} ms; ratio {median / raw['console_median_ms']:.2f}x ({rounds} rounds; "
      f"qmpbook's figure is the two steps' durations, without the runner's time between them)")
PY
