"""Side-by-side QMP client benchmark against one real QEMU.

Runs the same workloads with qmpbook's engine (Swift; "qmpbook" with
callers on the cooperative pool, the default, and "qmpbook-reader" with
callers preferring the connection's executor), a raw C client,
QEMU's Python library qemu.qmp, and (for query-qmp-schema) a raw Python
client that reads the line and calls json.loads. qemu.qmp enables the
`oob` capability whenever QEMU offers it, which lets QEMU queue up to 8
commands instead of reading one at a time; the 8-task workload therefore
runs every client both ways ("+oob", "-no-oob"), and compares like with
like. Clients alternate within
each round against the same QEMU; the median of the rounds is reported,
with the ratios the project targets.

    python3 Benchmarks/qmp/compare.py [--rounds 5] [--scale 1.0]

Run through Benchmarks/qmp/run.sh, which builds everything first.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "Benchmarks", ".out")
VENV_PYTHON = os.path.join(ROOT, "Benchmarks", ".venv", "bin", "python")
SWIFT_BENCH = os.path.join(ROOT, ".build", "release", "qmp-bench")
QMPBOOK = os.path.join(ROOT, ".build", "release", "qmpbook")
C_CLIENT = os.path.join(OUT, "raw_client")


def launch_qemu(folder):
    path = os.path.join(folder, "qmp.sock")
    process = subprocess.Popen(
        ["qemu-system-x86_64", "-M", "pc", "-nodefaults", "-display", "none", "-S",
         "-qmp", f"unix:{path},server=on,wait=off"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            probe = socket.socket(socket.AF_UNIX)
            probe.connect(path)
            probe.close()
            # That probe took QEMU's one monitor connection; wait for it to be free again.
            time.sleep(0.2)
            return process, path
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("QEMU did not create its QMP socket")


def clients_for(workload):
    swift = ("qmpbook", [SWIFT_BENCH])
    swift_reader = ("qmpbook-reader", [SWIFT_BENCH, "--reader-executor"])
    c = ("c-raw", [C_CLIENT])
    qmp = ("qemu.qmp", [VENV_PYTHON, os.path.join(HERE, "py_qmp_client.py")])
    qmp_no_oob = ("qemu.qmp-no-oob", qmp[1] + ["--no-oob"])
    raw_py = ("python-raw", [sys.executable, os.path.join(HERE, "py_raw_client.py")])
    if workload == "schema":
        return [swift, swift_reader, c, qmp, raw_py]
    if workload == "sequential":
        return [swift, swift_reader, qmp, qmp_no_oob]
    if workload == "concurrent":
        with_oob = [(name + "+oob", command + ["--oob"]) for name, command in (swift, swift_reader, c)]
        busy = ("c-raw-busy", [C_CLIENT, "--busy"])
        return [swift, swift_reader, c, qmp_no_oob] + with_oob + [qmp, busy]
    return [swift, swift_reader, c, qmp]


def run_client(command, socket_path, workload, count):
    result = subprocess.run(command + [socket_path, workload, str(count)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} {workload} failed: {result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def time_process(command, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every workload's count")
    options = parser.parse_args()

    counts = {"roundtrip": 5000, "schema": 20, "event": 300, "getfd": 2000,
              "sequential": 4000, "concurrent": 4000}
    counts = {name: max(1, int(count * options.scale)) for name, count in counts.items()}

    folder = tempfile.mkdtemp(prefix="qmpbook-bench-")
    qemu, socket_path = launch_qemu(folder)
    results = {}
    try:
        for round_index in range(options.rounds):
            for workload, count in counts.items():
                clients = clients_for(workload)
                # Rotate the order every round so no client always goes first.
                shift = round_index % len(clients)
                for name, command in clients[shift:] + clients[:shift]:
                    sample = run_client(command, socket_path, workload, count)
                    results.setdefault((workload, name), []).append(sample)
            print(f"round {round_index + 1}/{options.rounds} done", file=sys.stderr)
        exec_qmpbook = time_process([QMPBOOK, "exec", f"unix:{socket_path}", "query-status"], 30)
        exec_python = time_process([VENV_PYTHON, os.path.join(HERE, "py_exec.py"), socket_path, "query-status"], 30)
    finally:
        qemu.send_signal(signal.SIGKILL)
        qemu.wait()
        shutil.rmtree(folder, ignore_errors=True)

    def median(workload, client, key):
        return statistics.median(sample[key] for sample in results[(workload, client)])

    print()
    print("| workload | client | ops/s | p50 µs | p99 µs |")
    print("|---|---|---:|---:|---:|")
    for (workload, client) in sorted(results):
        print(f"| {workload} | {client} | {median(workload, client, 'ops_per_sec'):.0f} "
              f"| {median(workload, client, 'p50_us'):.1f} | {median(workload, client, 'p99_us'):.1f} |")
    print(f"| exec (whole process, median of 30) | qmpbook | | {exec_qmpbook * 1e3:.0f} | |")
    print(f"| exec (whole process, median of 30) | qemu.qmp script | | {exec_python * 1e3:.0f} | |")

    checks = []
    for engine in ("qmpbook", "qmpbook-reader"):
        checks += [
            (f"round trips/s, {engine} ÷ C", median("roundtrip", engine, "ops_per_sec") / median("roundtrip", "c-raw", "ops_per_sec"), ">=", 0.9),
            (f"round trips/s, {engine} ÷ qemu.qmp", median("roundtrip", engine, "ops_per_sec") / median("roundtrip", "qemu.qmp", "ops_per_sec"), ">=", 2.5),
            (f"p50 latency, {engine} ÷ C", median("roundtrip", engine, "p50_us") / median("roundtrip", "c-raw", "p50_us"), "<=", 1.2),
            (f"stop→STOP p50, {engine} ÷ C", median("event", engine, "p50_us") / median("event", "c-raw", "p50_us"), "<=", 1.2),
            (f"query-qmp-schema p50, {engine} ÷ Python json.loads", median("schema", engine, "p50_us") / median("schema", "python-raw", "p50_us"), "<=", 1.1),
            (f"getfd/s, {engine} ÷ C", median("getfd", engine, "ops_per_sec") / median("getfd", "c-raw", "ops_per_sec"), ">=", 0.9),
            (f"8 tasks ÷ 1 task, commands/s, {engine}", median("concurrent", engine, "ops_per_sec") / median("sequential", engine, "ops_per_sec"), ">=", 1.0),
            (f"8 tasks, oob off, commands/s, {engine} ÷ qemu.qmp-no-oob", median("concurrent", engine, "ops_per_sec") / median("concurrent", "qemu.qmp-no-oob", "ops_per_sec"), ">=", 1.0),
            (f"8 tasks, oob on, commands/s, {engine}+oob ÷ qemu.qmp", median("concurrent", engine + "+oob", "ops_per_sec") / median("concurrent", "qemu.qmp", "ops_per_sec"), ">=", 1.0),
            (f"8 tasks, oob off, commands/s, {engine} ÷ C with 8 in flight", median("concurrent", engine, "ops_per_sec") / median("concurrent", "c-raw", "ops_per_sec"), ">=", 0.9),
            (f"8 tasks, oob on, commands/s, {engine}+oob ÷ C+oob with 8 in flight", median("concurrent", engine + "+oob", "ops_per_sec") / median("concurrent", "c-raw+oob", "ops_per_sec"), ">=", 0.9),
            (f"8 tasks, each with its default, {engine} (oob off) ÷ qemu.qmp (oob on)", median("concurrent", engine, "ops_per_sec") / median("concurrent", "qemu.qmp", "ops_per_sec"), None, None),
        ]
    checks += [
        ("qmpbook exec ÷ qemu.qmp script, wall time", exec_qmpbook / exec_python, "<", 1.0),
        ("8 in flight, oob off, C busy-waiting ÷ C blocking (context: what waking an idle CPU costs here)", median("concurrent", "c-raw-busy", "ops_per_sec") / median("concurrent", "c-raw", "ops_per_sec"), None, None),
        ("C client ÷ qemu.qmp, round trips/s (context)", median("roundtrip", "c-raw", "ops_per_sec") / median("roundtrip", "qemu.qmp", "ops_per_sec"), None, None),
        ("C client ÷ Python json.loads, query-qmp-schema p50 (context)", median("schema", "c-raw", "p50_us") / median("schema", "python-raw", "p50_us"), None, None),
    ]
    print()
    print("| ratio | measured | target | met |")
    print("|---|---:|---:|---|")
    for label, value, relation, target in checks:
        if relation is None:
            print(f"| {label} | {value:.2f} | — | — |")
            continue
        met = {"<=": value <= target, ">=": value >= target, "<": value < target}[relation]
        print(f"| {label} | {value:.2f} | {relation} {target} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
