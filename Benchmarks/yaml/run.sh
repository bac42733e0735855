#!/usr/bin/env bash
# Benchmark (not a test): load + validate a generated 10,000-step playbook with
# `qmpbook check` (a whole process: start-up, read, parse, validate) against
# PyYAML's libyaml-backed CSafeLoader loading the same file in-process (parse
# only, interpreter start-up excluded). Prints the best of N runs and the ratio.
#
#   Benchmarks/yaml/run.sh [STEPS] [RUNS]      (defaults: 10000 steps, 10 runs)
#
# Uses .build/release/qmpbook, building it first when missing
# (QMPBOOK=/path/to/qmpbook to use another binary).
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
book="$work/generated.yaml"
python3 Benchmarks/yaml/generate.py "$steps" "$book"

"$binary" check "$book" >/dev/null   # valid, and warms the page cache

python3 - "$binary" "$book" "$runs" <<'PY'
import subprocess, sys, time, os, yaml
binary, book, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
if not yaml.__with_libyaml__:
    sys.exit("PyYAML was built without libyaml: CSafeLoader is missing")

def best(fn):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), sorted(times)[len(times) // 2]

def qmpbook():
    subprocess.run([binary, "check", book], check=True, stdout=subprocess.DEVNULL)

def pyyaml():
    with open(book, "rb") as f:
        yaml.load(f, Loader=yaml.CSafeLoader)

size = os.path.getsize(book)
q_best, q_median = best(qmpbook)
p_best, p_median = best(pyyaml)
print(f"file: {size / 1024:.0f} KiB, {sum(1 for _ in open(book))} lines")
print(f"qmpbook check (process, load + validate): best {q_best * 1000:.1f} ms, median {q_median * 1000:.1f} ms")
print(f"PyYAML CSafeLoader (in-process, load):    best {p_best * 1000:.1f} ms, median {p_median * 1000:.1f} ms")
print(f"ratio PyYAML / qmpbook (best): {p_best / q_best:.2f}x  (above 1: qmpbook is faster)")
PY
