#!/usr/bin/env python3
"""Round trips through libvirt, qmpbook's engine against a raw C loop, and
the whole `qmpbook exec` process on a socket with libvirt in the binary.

  compare.py --uri URI [--rounds N] [--count N] [--exec-runs N] [--baseline-qmpbook PATH]

Makes a transient paused domain (Tests/Libvirt/domain.xml, a unique name)
on URI with virsh, runs `raw_libvirt` (C, linked to libvirt) and
`libvirt-bench` (LibvirtMonitor) in alternating order each round on COUNT
sequential `query-status`, and prints medians over the rounds and their
ratio (target <= 1.2x). Then times `qmpbook exec unix:SOCKET query-status`
against a QEMU of its own, median of N runs: the binary as built (libvirt
code in it, never loaded), the same with libvirt preloaded (what linking
libvirt would cost every process) and, with --baseline-qmpbook, a qmpbook
built without the libvirt code. The domain and QEMU are destroyed at the end.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "Benchmarks", ".out")
C_CLIENT = os.path.join(OUT, "raw_libvirt")
SWIFT_CLIENT = os.path.join(ROOT, ".build", "release", "libvirt-bench")
QMPBOOK = os.path.join(ROOT, ".build", "release", "qmpbook")
PRELOAD = "libvirt.so.0 libvirt-qemu.so.0"


def run_client(command, uri, domain, count):
    result = subprocess.run(command + [uri, domain, str(count)], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def time_process(command, runs, environment=None):
    """Median wall time of `runs` runs, in milliseconds."""
    env = dict(os.environ, **(environment or {}))
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def time_processes(commands, runs):
    """Median wall times (ms) of the named (command, environment) pairs, run
    in turns (the order rotating each run) so that load changes fall on all alike."""
    env = {name: dict(os.environ, **(extra or {})) for name, (_, extra) in commands.items()}
    samples = {name: [] for name in commands}
    names = list(commands)
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            subprocess.run(commands[name][0], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=60, env=env[name])
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1e3 for name, values in samples.items()}


def launch_qemu(folder):
    socket_path = os.path.join(folder, "qmp.sock")
    qemu = subprocess.Popen(["qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none", "-S",
                             "-qmp", f"unix:{socket_path},server=on,wait=off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(socket_path):
            return qemu, socket_path
        time.sleep(0.025)
    qemu.kill()
    raise SystemExit("QEMU did not create its QMP socket")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", default=os.environ.get("QMPBOOK_LIBVIRT_HOST1_UNIX"))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--exec-runs", type=int, default=30)
    parser.add_argument("--baseline-qmpbook", help="a qmpbook built without the libvirt code, for the exec line")
    options = parser.parse_args()
    if not options.uri:
        raise SystemExit("give --uri, or start Tests/Libvirt/hosts.sh and eval its env")

    folder = tempfile.mkdtemp(prefix="qmpbook-libvirt-bench-")
    name = f"qmpbook-bench-{uuid.uuid4().hex[:8]}"
    with open(os.path.join(ROOT, "Tests", "Libvirt", "domain.xml")) as source:
        xml = source.read().replace("<name>qmpbook-test</name>", f"<name>{name}</name>")
    xml_path = os.path.join(folder, "domain.xml")
    with open(xml_path, "w") as target:
        target.write(xml)
    subprocess.run(["virsh", "-q", "-c", options.uri, "create", xml_path, "--paused"], check=True, stdout=subprocess.DEVNULL)
    qemu = None
    results = {}
    try:
        clients = [("c-libvirt", [C_CLIENT]), ("qmpbook-libvirt", [SWIFT_CLIENT])]
        for client, command in clients:   # warm both (and the daemon) once
            run_client(command, options.uri, name, 20)
        for round_index in range(options.rounds):
            order = clients if round_index % 2 == 0 else clients[::-1]
            for client, command in order:
                results.setdefault(client, []).append(run_client(command, options.uri, name, options.count))
            print(f"round {round_index + 1}/{options.rounds} done", file=sys.stderr)
        exec_libvirt = time_process([QMPBOOK, "exec", f"libvirt:{options.uri}#{name}", "query-status"], options.exec_runs)
        qemu, socket_path = launch_qemu(folder)
        address = f"unix:{socket_path}"
        commands = {
            "built": ([QMPBOOK, "exec", address, "query-status"], None),
            "preloaded": ([QMPBOOK, "exec", address, "query-status"], {"LD_PRELOAD": PRELOAD}),
        }
        if options.baseline_qmpbook:
            commands["baseline"] = ([options.baseline_qmpbook, "exec", address, "query-status"], None)
        times = time_processes(commands, options.exec_runs)
        exec_built, exec_preloaded, exec_baseline = times["built"], times["preloaded"], times.get("baseline")
    finally:
        subprocess.run(["virsh", "-q", "-c", options.uri, "destroy", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if qemu:
            qemu.kill()
            qemu.wait()
        shutil.rmtree(folder, ignore_errors=True)

    def median(client, key):
        return statistics.median(sample[key] for sample in results[client])

    print()
    print(f"| client | round trips/s | p50 µs | p99 µs | mean µs |")
    print("|---|---:|---:|---:|---:|")
    for client in sorted(results):
        print(f"| {client} | {median(client, 'ops_per_sec'):.0f} | {median(client, 'p50_us'):.1f} "
              f"| {median(client, 'p99_us'):.1f} | {median(client, 'mean_us'):.1f} |")
    print()
    print(f"| `qmpbook exec … query-status`, whole process, median of {options.exec_runs} (socket lines run in turns) | ms |")
    print("|---|---:|")
    print(f"| on a socket, libvirt code in the binary, not loaded | {exec_built:.1f} |")
    print(f"| on a socket, libvirt preloaded (what linking it would cost) | {exec_preloaded:.1f} |")
    if exec_baseline is not None:
        print(f"| on a socket, a qmpbook built without the libvirt code | {exec_baseline:.1f} |")
    print(f"| through libvirt (`libvirt:URI#DOMAIN`: dlopen, connect, lookup, query-version, query-status) | {exec_libvirt:.1f} |")

    checks = [
        ("round trip mean, qmpbook ÷ C (virDomainQemuMonitorCommand loop)", median("qmpbook-libvirt", "mean_us") / median("c-libvirt", "mean_us"), "<=", 1.2),
        ("round trip p50, qmpbook ÷ C", median("qmpbook-libvirt", "p50_us") / median("c-libvirt", "p50_us"), "<=", 1.2),
        ("exec on a socket, libvirt preloaded ÷ as built (context)", exec_preloaded / exec_built, None, None),
    ]
    if exec_baseline is not None:
        checks.append(("exec on a socket, as built ÷ built without libvirt code", exec_built / exec_baseline, "<=", 1.1))
    print()
    print("| ratio | measured | target | met |")
    print("|---|---:|---:|---|")
    for label, value, relation, target in checks:
        if relation is None:
            print(f"| {label} | {value:.2f} | — | — |")
            continue
        met = {"<=": value <= target, ">=": value >= target}[relation]
        print(f"| {label} | {value:.2f} | {relation} {target} | {'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
