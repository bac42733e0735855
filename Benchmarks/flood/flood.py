"""A wait for one event through a flood, side by side: qmpbook, a raw C
client, qemu.qmp and go-qemu (where built), clients taking turns.

Scenarios:
  real-end     a second monitor of a real QEMU floods stop/cont (EVENTS
               events), then device_del's a USB tablet: the marker is last
  real-middle  the same with the marker after half the events
  burst-end    a scripted peer writes EVENTS events as fast as the socket
               takes them, the marker last (what QEMU cannot do on demand)
  burst-middle the same with the marker in the middle

Per client and scenario: the lag (from the moment the marker was sent until
the client exited, having seen it), its CPU (user+sys), whether it saw the
marker, and the ratios against go-qemu and the C client.

    python3 flood.py --qmpbook BIN --c BIN --py PYTHON [--go BIN] [--events N] [--rounds R]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "marker"


class Flooder:
    """The second monitor: pipelines stop/cont and counts their replies."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.file.readline()
        self.call({"execute": "qmp_capabilities"})

    def call(self, command):
        self.sock.sendall((json.dumps(command) + "\n").encode())
        while True:
            message = json.loads(self.file.readline())
            if "return" in message or "error" in message:
                return message

    def flood(self, pairs):
        """Sends `pairs` stop/cont pairs (2 events each) and reads every reply."""
        chunk = b'{"execute":"stop"}\n{"execute":"cont"}\n' * 500
        left = pairs * 2

        def write():
            sent = 0
            while sent < pairs:
                count = min(500, pairs - sent)
                self.sock.sendall(chunk if count == 500 else chunk[: len(chunk) // 500 * count])
                sent += count

        writer = threading.Thread(target=write)
        writer.start()
        while left:
            line = self.file.readline()
            if line.startswith(b'{"return"'):
                left -= 1
        writer.join()


def burst_peer(path, events, middle, ready, result):
    """A scripted QMP peer: greeting, answers every command, then a burst of events."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    connection, _ = server.accept()
    connection.sendall(b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\n')
    def answer():
        # Commands need not end in a newline (qemu.qmp sends none): decode the stream.
        decoder = json.JSONDecoder()
        pending = ""
        while chunk := connection.recv(65536):
            pending += chunk.decode()
            while True:
                pending = pending.lstrip()
                try:
                    command, end = decoder.raw_decode(pending)
                except ValueError:
                    break
                pending = pending[end:]
                reply = {"return": {}}
                if "id" in command:
                    reply["id"] = command["id"]
                try:
                    connection.sendall((json.dumps(reply) + "\n").encode())
                except OSError:
                    return

    threading.Thread(target=answer, daemon=True).start()
    while not os.path.exists(ready):
        time.sleep(0.001)
    stamp = '"timestamp": {"seconds": 1700000000, "microseconds": 0}'
    stop = ('{"event": "STOP", "data": {}, %s}\n' % stamp).encode()
    resume = ('{"event": "RESUME", "data": {}, %s}\n' % stamp).encode()
    marker = ('{"event": "DEVICE_DELETED", "data": {"device": "%s", "path": "/machine/peripheral/%s"}, %s}\n' % (MARKER, MARKER, stamp)).encode()
    pair = stop + resume
    before = events // 2 if middle else events
    try:
        connection.sendall(pair * (before // 2))
        result["marker_sent"] = time.monotonic()
        connection.sendall(marker)
        if middle:
            connection.sendall(pair * ((events - before) // 2))
        while True:  # hold the connection until the client leaves
            if not connection.recv(65536):
                break
    except OSError:
        pass
    connection.close()
    server.close()


def command_for(client, args, socket_path, ready, workdir):
    if client == "qmpbook":
        playbook = os.path.join(workdir, "wait.yaml")
        with open(playbook, "w") as f:
            f.write(
                "name: flood wait\n"
                f"targets:\n  vm: {{connect: \"unix:{socket_path}\"}}\n"
                "steps:\n"
                f"  - command: [touch, \"{ready}\"]\n"
                "  - wait-event: DEVICE_DELETED\n"
                f"    match: {{device: {MARKER}}}\n"
                "    timeout: 120s\n"
            )
        return [args.qmpbook, "run", playbook, "--quiet", "--no-preflight",
                "--report", os.path.join(workdir, "wait.report.json")]
    if client == "c":
        return [args.c, socket_path, ready, MARKER]
    if client == "qemu.qmp":
        return [args.py, os.path.join(HERE, "wait_qmp.py"), socket_path, ready, MARKER]
    if client == "go-qemu":
        return [args.go, socket_path, ready, MARKER]
    raise SystemExit(client)


def wait_ready(process, ready):
    while not os.path.exists(ready):
        if process.poll() is not None:
            raise SystemExit(f"client exited before it was ready: {process.args}")
        time.sleep(0.001)


class Exit:
    """Reaps the client on a thread of its own, so the moment it exits is
    recorded even while the flood is still being sent."""

    def __init__(self, process):
        self.process = process
        self.thread = threading.Thread(target=self._reap)
        self.thread.start()

    def _reap(self):
        _, status, usage = os.wait4(self.process.pid, 0)
        self.ended = time.monotonic()
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.cpu = usage.ru_utime + usage.ru_stime

    def join(self, timeout=60):
        """The exit time and CPU; a client still running after `timeout` is killed (not seen)."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.process.kill()
            self.thread.join()
            self.process.returncode = 124
        return self.ended, self.cpu


def run_real(client, args, qemu, flooder, workdir, middle):
    ready = os.path.join(workdir, "ready")
    if os.path.exists(ready):
        os.unlink(ready)
    flooder.call({"execute": "device_add", "arguments": {"driver": "usb-tablet", "id": MARKER, "bus": "xhci.0"}})
    process = subprocess.Popen(command_for(client, args, qemu["client"], ready, workdir), stdout=subprocess.DEVNULL)
    exit = Exit(process)
    wait_ready(process, ready)
    pairs = args.events // 2
    first = pairs // 2 if middle else pairs
    flooder.flood(first)
    reply = flooder.call({"execute": "device_del", "arguments": {"id": MARKER}})
    marker_sent = time.monotonic()
    assert "return" in reply, reply
    if middle:
        flooder.flood(pairs - first)
    ended, cpu = exit.join()
    return {"lag_ms": (ended - marker_sent) * 1e3, "cpu_s": cpu, "seen": process.returncode == 0}


def run_burst(client, args, workdir, middle):
    ready = os.path.join(workdir, "ready")
    path = os.path.join(workdir, "burst.sock")
    for stale in (ready, path):
        if os.path.exists(stale):
            os.unlink(stale)
    result = {}
    peer = threading.Thread(target=burst_peer, args=(path, args.events, middle, ready, result))
    peer.start()
    while not os.path.exists(path):
        time.sleep(0.001)
    process = subprocess.Popen(command_for(client, args, path, ready, workdir), stdout=subprocess.DEVNULL)
    try:
        ended, cpu = Exit(process).join()
    finally:
        peer.join(timeout=10)
    sent = result.get("marker_sent", ended)
    return {"lag_ms": (ended - sent) * 1e3, "cpu_s": cpu, "seen": process.returncode == 0}


def start_qemu(workdir):
    sockets = {"client": os.path.join(workdir, "client.sock"), "flood": os.path.join(workdir, "flood.sock")}
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-M", "pc", "-nodefaults", "-display", "none", "-S",
        "-device", "qemu-xhci,id=xhci",
        "-qmp", f"unix:{sockets['client']},server=on,wait=off",
        "-qmp", f"unix:{sockets['flood']},server=on,wait=off",
    ])
    while not all(os.path.exists(p) for p in sockets.values()):
        time.sleep(0.01)
    return qemu, sockets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qmpbook", required=True)
    parser.add_argument("--c", required=True)
    parser.add_argument("--py", required=True)
    parser.add_argument("--go")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenarios", default="real-end,real-middle,burst-end,burst-middle")
    parser.add_argument("--clients", help="a comma-separated subset (default: all that are built)")
    args = parser.parse_args()
    clients = ["qmpbook", "c", "qemu.qmp"] + (["go-qemu"] if args.go else [])
    if args.clients:
        clients = [c for c in clients if c in args.clients.split(",")]
    scenarios = args.scenarios.split(",")
    results = {(s, c): [] for s in scenarios for c in clients}
    with tempfile.TemporaryDirectory(prefix="qmpbook-flood.") as workdir:
        qemu, sockets = start_qemu(workdir)
        try:
            flooder = Flooder(sockets["flood"])
            for round_ in range(args.rounds):
                order = clients[round_ % len(clients):] + clients[: round_ % len(clients)]
                for scenario in scenarios:
                    for client in order:
                        kind, where = scenario.split("-")
                        if kind == "real":
                            sample = run_real(client, args, sockets, flooder, workdir, where == "middle")
                        else:
                            sample = run_burst(client, args, workdir, where == "middle")
                        results[(scenario, client)].append(sample)
                        print(json.dumps({"round": round_, "scenario": scenario, "client": client, **sample}), file=sys.stderr)
        finally:
            qemu.kill()
            qemu.wait()
    print(f"\n{args.events:,} events, {args.rounds} rounds, medians\n")
    print("| scenario | client | lag after the marker ms | CPU s | saw the marker |")
    print("|---|---|---:|---:|---|")
    medians = {}
    for (scenario, client), samples in results.items():
        lag = statistics.median(s["lag_ms"] for s in samples)
        cpu = statistics.median(s["cpu_s"] for s in samples)
        seen = sum(s["seen"] for s in samples)
        medians[(scenario, client)] = (lag, cpu)
        print(f"| {scenario} | {client} | {lag:.1f} | {cpu:.3f} | {seen}/{len(samples)} |")
    print(f"\n| scenario | ratio | lag | CPU |\n|---|---|---:|---:|")
    for scenario in scenarios if "qmpbook" in clients else []:
        mine = medians[(scenario, "qmpbook")]
        for anchor in [c for c in clients if c != "qmpbook"]:
            other = medians[(scenario, anchor)]
            print(f"| {scenario} | qmpbook ÷ {anchor} | {mine[0] / max(other[0], 0.001):.2f} | {mine[1] / max(other[1], 0.0001):.2f} |")


if __name__ == "__main__":
    main()
