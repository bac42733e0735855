"""Whole-process start-up: `qmpbook exec unix:S query-status` and
`qmpbook --version` against one-shot clients doing the same, on one QEMU.

Every client connects, negotiates capabilities, runs query-status, prints
the reply and exits: qmpbook (each build given), a C one-shot, go-qemu (the
library the engine ports) where built, and a qemu.qmp script where given.
Clients alternate within each round; the median wall time and the peak RSS
(wait4's ru_maxrss, both taken by measure.c around fork, exec and reaping)
of the rounds are reported, with the targets' ratios. `true` shows what
spawning and reaping a process costs.

    python3 Benchmarks/startup/startup.py --qmpbook static=PATH [--qmpbook dynamic=PATH]
        --c PATH [--go PATH] [--py PYTHON] [--rounds 40]

Run through Benchmarks/startup/run.sh, which builds everything first.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "qmp"))
from compare import launch_qemu  # noqa: E402  (the QEMU every QMP benchmark uses)
MEASURE = os.path.join(HERE, "..", ".out", "measure")


def run_once(argv):
    """Wall seconds and peak RSS (KiB) of one run (through measure); fails on a non-zero exit."""
    wall, rss, _ = run_measured(argv)
    return wall, rss


def run_measured(argv):
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system) of one run; fails on a non-zero exit."""
    result = subprocess.run([MEASURE] + argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    wall, rss, status, cpu = result.stdout.split()
    if status != "0":
        raise SystemExit(f"{argv[0]} exited {status}: {result.stderr.strip()}")
    return int(wall) / 1e9, int(rss), int(cpu) / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qmpbook", action="append", required=True, help="NAME=PATH of a qmpbook build")
    parser.add_argument("--c", required=True)
    parser.add_argument("--go")
    parser.add_argument("--py", help="a python with qemu.qmp")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    builds = [tuple(item.split("=", 1)) for item in args.qmpbook]
    folder = tempfile.mkdtemp(prefix="qmpbook-startup.")
    qemu, path = launch_qemu(folder)
    try:
        clients = [(f"qmpbook exec ({name})", [binary, "exec", f"unix:{path}", "query-status"]) for name, binary in builds]
        clients.append(("C one-shot", [args.c, path, "query-status"]))
        if args.go:
            clients.append(("go-qemu one-shot", [args.go, path, "query-status"]))
        if args.py:
            clients.append(("qemu.qmp script", [args.py, os.path.join(HERE, "..", "qmp", "py_exec.py"), path, "query-status"]))
        clients += [(f"qmpbook --version ({name})", [binary, "--version"]) for name, binary in builds]
        clients.append(("true", [shutil.which("true")]))
        samples = {name: [] for name, _ in clients}
        for _ in range(3):  # warm the page cache
            for _, argv in clients:
                run_once(argv)
        for _ in range(args.rounds):
            for name, argv in clients:
                samples[name].append(run_once(argv))
    finally:
        qemu.kill()
        qemu.wait()
        shutil.rmtree(folder, ignore_errors=True)

    wall = {name: statistics.median(s[0] for s in runs) for name, runs in samples.items()}
    rss = {name: max(s[1] for s in runs) for name, runs in samples.items()}
    print(f"median of {args.rounds} rounds, clients alternating\n")
    print("| process | wall (ms) | peak RSS (MB) |")
    print("|---|---:|---:|")
    for name, _ in clients:
        print(f"| {name} | {wall[name] * 1e3:.2f} | {rss[name] / 1024:.1f} |")
    print()
    print("| target | ratio | goal | met |")
    print("|---|---:|---|---|")

    def line(what, value, goal, limit):
        print(f"| {what} | {value:.2f} | ≤ {goal} | {'yes' if value <= limit else 'no'} |")

    for name, binary in builds:
        execute = f"qmpbook exec ({name})"
        if args.go:
            line(f"{execute} ÷ go-qemu, wall", wall[execute] / wall["go-qemu one-shot"], "1.0×", 1.0)
        line(f"{execute} ÷ C one-shot, wall", wall[execute] / wall["C one-shot"], "—", float("inf"))
        line(f"{execute} peak RSS, MB", rss[execute] / 1024, "8 MB", 8.0)
        line(f"qmpbook --version ({name}), ms", wall[f"qmpbook --version ({name})"] * 1e3, "3 ms", 3.0)
        line(f"binary ({name}), MB", os.path.getsize(binary) / 1e6, "20 MB", 20.0)


if __name__ == "__main__":
    sys.exit(main())
