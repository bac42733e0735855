#!/usr/bin/env bash
# Benchmark (not a test): `qmpbook check` (a whole process: start-up, read,
# parse, validate, every ${…} parsed and its names checked) on a generated
# playbook of STEPS steps with expressions, against the same steps with the
# values written out. Prints the best and median of RUNS for each.
#
#   Benchmarks/expressions/run.sh [STEPS] [RUNS]      (defaults: 10000 steps, 10 runs)
#
# Uses .build/release/qmpbook, building it first when missing
# (QMPBOOK=/path/to/qmpbook to use another binary). The in-process figures
# (one resolve, a step with an expression) come from
# Tests/RunnerTests/ExpressionBenchmark.swift (QMPBOOK_BENCHMARK=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-10000}
runs=${2:-10}
binary=${QMPBOOK:-.build/release/qmpbook}
if [ ! -x "$binary" ]; then
    swift build -c release --product qmpbook >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/expressions/generate.py "$steps" plain "$work/plain.yaml"
python3 Benchmarks/expressions/generate.py "$steps" expressions "$work/expressions.yaml"
"$binary" check "$work/plain.yaml" >/dev/null
"$binary" check "$work/expressions.yaml" >/dev/null

python3 - "$binary" "$work" "$runs" <<'PY'
import subprocess, sys, time, os
binary, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def timed(book):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([binary, "check", book], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times), sorted(times)[len(times) // 2]
results = {}
for mode in ["plain", "expressions"]:
    book = os.path.join(work, mode + ".yaml")
    results[mode] = timed(book)
    print(f"{mode:12} {os.path.getsize(book) / 1024:.0f} KiB: best {results[mode][0] * 1000:.1f} ms, median {results[mode][1] * 1000:.1f} ms")
print(f"expressions / plain (best): {results['expressions'][0] / results['plain'][0]:.2f}x")
PY
