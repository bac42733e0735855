#!/usr/bin/env bash
# Benchmark (not a test): what the preflight costs for the largest playbook
# in Playbooks/ (the most steps; playbooks with connect:/listen: targets are
# left out, they need a VM of their own), with a cold and a warm schema cache.
#
#   Benchmarks/preflight/run.sh [PLAYBOOK] [RUNS]     (defaults: the largest, 10 runs)
#
# Measures, each over RUNS runs (min and median):
#   1. the preflight itself, as `qmpbook check --live --verbose` reports it:
#      from every target open to the check done (schema fetch or cache read,
#      parse, every step checked); cold = an empty XDG_CACHE_HOME each run,
#      warm = the cache filled by an earlier run;
#   2. the whole `qmpbook check --live` process (launch QEMU, handshake,
#      preflight, stop QEMU), cold and warm;
#   3. the whole `qmpbook run` with the preflight (warm cache) and with
#      --no-preflight: what a user waits for.
#
# Uses .build/release/qmpbook, building it first when missing
# (QMPBOOK=/path/to/qmpbook to use another binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${QMPBOOK:-.build/release/qmpbook}
if [ ! -x "$binary" ]; then
    swift build -c release --product qmpbook >&2
fi
playbook=${1:-}
runs=${2:-10}
if [ -z "$playbook" ]; then
    best=0
    for file in Playbooks/*.yaml; do
        grep -qE '^\s+(connect|listen):' "$file" && continue
        steps=$("$binary" check "$file" | sed -n 's/.*ok (\([0-9]*\) step.*/\1/p')
        if [ "${steps:-0}" -gt "$best" ]; then best=$steps; playbook=$file; fi
    done
fi
echo "playbook: $playbook ($("$binary" check "$playbook"))"

python3 - "$binary" "$playbook" "$runs" <<'PY'
import os, re, shutil, subprocess, sys, tempfile, time
binary, playbook, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
work = tempfile.mkdtemp(prefix="qmpbook-preflight-bench-")

def qmpbook(arguments, cache):
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    start = time.perf_counter()
    done = subprocess.run([binary] + arguments, env=env, capture_output=True, text=True)
    wall = (time.perf_counter() - start) * 1000
    return done, wall

def check(cache):
    done, wall = qmpbook(["check", playbook, "--live", "--verbose"], cache)
    if done.returncode != 0:
        sys.exit(f"check --live failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    found = re.search(r"preflight ok .* in ([0-9.]+) ms", done.stdout)
    return float(found.group(1)), wall, done.stdout

def summary(label, values):
    values = sorted(values)
    print(f"{label:<44} min {values[0]:8.1f} ms   median {values[len(values) // 2]:8.1f} ms")

try:
    cold_preflight, cold_wall = [], []
    for index in range(runs):
        cache = os.path.join(work, f"cold-{index}")
        preflight, wall, output = check(cache)
        if "schema fetched" not in output:
            sys.exit("a cold run did not fetch the schema:\n" + output)
        cold_preflight.append(preflight)
        cold_wall.append(wall)
    warm_cache = os.path.join(work, "warm")
    check(warm_cache)
    warm_preflight, warm_wall = [], []
    for _ in range(runs):
        preflight, wall, output = check(warm_cache)
        if "schema fetched" in output:
            sys.exit("a warm run fetched the schema:\n" + output)
        warm_preflight.append(preflight)
        warm_wall.append(wall)
    files = os.listdir(os.path.join(warm_cache, "qmpbook"))
    size = sum(os.path.getsize(os.path.join(warm_cache, "qmpbook", name)) for name in files)
    print(f"cache: {len(files)} file(s), {size:,} bytes")
    summary("preflight, cold cache (query-qmp-schema)", cold_preflight)
    summary("preflight, warm cache", warm_preflight)
    summary("check --live process, cold cache", cold_wall)
    summary("check --live process, warm cache", warm_wall)

    report = os.path.join(work, "report.json")
    with_preflight, without = [], []
    for _ in range(runs):
        for arguments, into in ((["--no-preflight"], without), ([], with_preflight)):
            done, wall = qmpbook(["run", playbook, "--report", report, "--quiet", "--color", "never"] + arguments, warm_cache)
            if done.returncode != 0:
                sys.exit(f"run failed ({done.returncode}):\n{done.stdout}{done.stderr}")
            into.append(wall)
    summary("run --no-preflight", without)
    summary("run with the preflight, warm cache", with_preflight)
finally:
    shutil.rmtree(work, ignore_errors=True)
PY
