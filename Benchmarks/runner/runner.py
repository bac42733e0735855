"""`qmpbook run` per `execute` step, whole process, against the C client.

For each size N (default 1,000, 10,000 and 50,000) a playbook of N
`execute: query-status` steps runs against one paused QEMU, and the raw C
client (`Benchmarks/qmp/raw_client.c roundtrip N`, with ids) does N round
trips on the same QEMU; they alternate within each round. Every run goes
through `Benchmarks/startup/measure.c` (wall time, peak RSS, CPU). Reported
per step: the median wall time over the rounds, qmpbook ÷ C, each one's CPU
(user + system, the whole process over N), and qmpbook's peak RSS growth
per step against the smallest size.

With `--same-cpu`, QEMU and every client run on CPU 0 (`taskset -c 0`): a
command and its reply then hand the CPU back and forth instead of waking the
other CPU each time, which on a virtual machine costs an inter-processor
interrupt and a halted vCPU's wake-up per direction. Where the scheduler
puts the two processes otherwise changes from run to run; this placement is
the one that can be reproduced.

    python3 Benchmarks/runner/runner.py --qmpbook PATH --c PATH [--sizes 1000,10000,50000] [--rounds 3] [--same-cpu]

Run through Benchmarks/runner/run.sh, which builds everything first.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "startup"))
from startup import launch_qemu, run_measured  # noqa: E402


def playbook(folder, socket_path, steps):
    path = os.path.join(folder, f"p{steps}.yaml")
    with open(path, "w") as file:
        file.write(f'name: runner {steps}\ntargets:\n  vm: {{connect: "unix:{socket_path}"}}\nsteps:\n')
        file.write("  - execute: query-status\n" * steps)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qmpbook", required=True)
    parser.add_argument("--c", required=True)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--same-cpu", action="store_true", help="run QEMU and the clients on CPU 0")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    pinned = ["taskset", "-c", "0"] if args.same_cpu else []

    folder = tempfile.mkdtemp(prefix="qmpbook-runner.")
    qemu, socket_path = launch_qemu(folder)
    if args.same_cpu:
        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(qemu.pid)], check=True, stdout=subprocess.DEVNULL)
    samples = {(who, size): [] for size in sizes for who in ("qmpbook", "c")}
    try:
        books = {size: playbook(folder, socket_path, size) for size in sizes}
        for _ in range(args.rounds):
            for size in sizes:
                report = os.path.join(folder, "report.json")
                samples[("qmpbook", size)].append(run_measured(
                    pinned + [args.qmpbook, "run", books[size], "--quiet", "--no-preflight", "--report", report]))
                samples[("c", size)].append(run_measured(pinned + [args.c, socket_path, "roundtrip", str(size)]))
    finally:
        qemu.kill()
        qemu.wait()
        shutil.rmtree(folder, ignore_errors=True)

    wall = {key: statistics.median(s[0] for s in runs) for key, runs in samples.items()}
    rss = {key: max(s[1] for s in runs) for key, runs in samples.items()}
    cpu = {key: statistics.median(s[2] for s in runs) for key, runs in samples.items()}
    placement = "QEMU and the clients on CPU 0" if args.same_cpu else "placed by the scheduler"
    print(f"median of {args.rounds} rounds; whole processes (start-up, handshake and report included); {placement}\n")
    print("| steps | qmpbook µs/step | C µs/step | qmpbook ÷ C (≤ 1.1) | qmpbook CPU µs/step (≤ 30) | C CPU µs/step "
          "| qmpbook peak RSS (MB) | RSS growth per step vs smallest (≤ 1 KB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    smallest = sizes[0]
    for size in sizes:
        ours, theirs = wall[("qmpbook", size)] / size * 1e6, wall[("c", size)] / size * 1e6
        growth = "—" if size == smallest else \
            f"{(rss[('qmpbook', size)] - rss[('qmpbook', smallest)]) / (size - smallest):.2f} KB"
        print(f"| {size} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} | {cpu[('qmpbook', size)] / size * 1e6:.1f} "
              f"| {cpu[('c', size)] / size * 1e6:.1f} | {rss[('qmpbook', size)] / 1024:.1f} | {growth} |")
    if 50000 in sizes:
        peak = rss[("qmpbook", 50000)] / 1024
        print(f"\n50,000 steps in {peak:.1f} MB (≤ 80 MB: {'yes' if peak <= 80 else 'no'})")


if __name__ == "__main__":
    sys.exit(main())
