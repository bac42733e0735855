"""CPU time and context switches per command, client process only.

Wall-clock ratios on a shared machine move with its load; CPU time
(`perf stat` task-clock) and context switches of the client process move
far less. Runs each client several times, alternating, against one QEMU,
subtracts each client's start-up CPU, and prints medians.

    python3 Benchmarks/qmp/cost.py [--repeats 5] [--before OLD-QMP-BENCH]

Needs `perf` and the binaries run.sh builds (.build/release/qmp-bench,
Benchmarks/.out/raw_client). --before adds an older qmp-bench build.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile

from compare import C_CLIENT, SWIFT_BENCH, launch_qemu

WORKLOADS = [("roundtrip", 2000), ("event", 300), ("getfd", 1500), ("schema", 15)]


def measure(command, socket_path, workload, count):
    result = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock,context-switches"]
                            + command + [socket_path, workload, str(count)],
                            capture_output=True, text=True, timeout=300, check=True)
    counters = {}
    for line in result.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 3 and fields[0].replace(".", "", 1).isdigit():
            counters[fields[2]] = float(fields[0])
    sample = json.loads(result.stdout.strip().splitlines()[-1])
    return sample["p50_us"], counters["task-clock"], counters["context-switches"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", help="an older qmp-bench binary to compare with")
    options = parser.parse_args()
    clients = {}
    if options.before:
        clients["before"] = [options.before]
    clients["qmpbook (pool)"] = [SWIFT_BENCH]
    clients["qmpbook (reader executor)"] = [SWIFT_BENCH, "--reader-executor"]
    clients["C client"] = [C_CLIENT]

    folder = tempfile.mkdtemp(prefix="qmpbook-cost-")
    qemu, socket_path = launch_qemu(folder)
    results = {}
    try:
        startup = {name: statistics.median(measure(command, socket_path, "roundtrip", 1)[1] for _ in range(3))
                   for name, command in clients.items()}
        for _ in range(options.repeats):
            for workload, count in WORKLOADS:
                for name, command in clients.items():
                    p50, milliseconds, switches = measure(command, socket_path, workload, count)
                    results.setdefault((workload, name), []).append(
                        (p50, (milliseconds - startup[name]) * 1e3 / count, switches / count))
    finally:
        qemu.send_signal(signal.SIGKILL)
        qemu.wait()
        shutil.rmtree(folder, ignore_errors=True)

    print("| workload | client | p50 µs | CPU µs/op | context switches/op |")
    print("|---|---|---:|---:|---:|")
    for (workload, name), samples in results.items():
        print(f"| {workload} | {name} | {statistics.median(s[0] for s in samples):.0f} "
              f"| {statistics.median(s[1] for s in samples):.1f} | {statistics.median(s[2] for s in samples):.2f} |")
    print()
    print("start-up CPU, ms: " + ", ".join(f"{name} {value:.1f}" for name, value in startup.items()))


if __name__ == "__main__":
    main()
