#!/usr/bin/env python3
"""The anchors of Benchmarks/guest/run.sh: the same three figures by plain
socket clients, against a QEMU booting qmpbook's test guest that this script
launches itself (console and agent on unix sockets, wait=off).

  raw_clients.py KERNEL INITRD EXECS ROUNDS

Prints one line per figure, `name: value`, for run.sh to compare.
"""
import base64, json, os, random, socket, subprocess, sys, tempfile, time

kernel, initrd, execs, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
work = tempfile.mkdtemp(prefix="qmpbook-bench-guest-")
console_path, agent_path = os.path.join(work, "console"), os.path.join(work, "qga")
started = time.monotonic()
qemu = subprocess.Popen([
    "qemu-system-x86_64", "-M", "pc", "-nodefaults", "-display", "none", "-m", "256", "-no-reboot",
    "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet",
    "-chardev", f"socket,id=con,path={console_path},server=on,wait=on", "-serial", "chardev:con",
    "-chardev", f"socket,id=qga,path={agent_path},server=on,wait=off", "-device", "isa-serial,chardev=qga,index=1",
], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def dial(path):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            time.sleep(0.005)


try:
    console = dial(console_path)
    agent = dial(agent_path)
    agent_buffer = b""

    def agent_line(timeout):
        global agent_buffer
        agent.settimeout(timeout)
        while b"\n" not in agent_buffer:
            chunk = agent.recv(65536)
            if not chunk:
                raise SystemExit("the agent channel closed")
            agent_buffer += chunk
        line, agent_buffer = agent_buffer.split(b"\n", 1)
        return line

    # Boot to an answering agent: guest-sync-delimited every 500 ms, as qmpbook asks.
    while True:
        token = random.randint(1, 2**31 - 1)
        agent.sendall(b"\xff" + json.dumps({"execute": "guest-sync-delimited", "arguments": {"id": token}}).encode() + b"\n")
        deadline = time.monotonic() + 0.5
        answered = False
        try:
            while time.monotonic() < deadline:
                line = agent_line(max(deadline - time.monotonic(), 0.001))
                line = line[line.rfind(b"\xff") + 1:]
                try:
                    if json.loads(line).get("return") == token:
                        answered = True
                        break
                except ValueError:
                    pass
        except socket.timeout:
            pass
        if answered:
            break
    print(f"agent_answered_s: {time.monotonic() - started:.3f}")

    def command(name, arguments=None):
        message = {"execute": name}
        if arguments is not None:
            message["arguments"] = arguments
        agent.sendall(json.dumps(message).encode() + b"\n")
        return json.loads(agent_line(30))["return"]

    # guest-exec of `true` to completion, polled on qmpbook's schedule (5, 10, 20, 50 ms, then every 100 ms).
    schedule = [0.005, 0.010, 0.020, 0.050]
    durations = []
    for _ in range(execs):
        t0 = time.monotonic()
        pid = command("guest-exec", {"path": "true", "capture-output": True})["pid"]
        attempt = 0
        while True:
            time.sleep(schedule[attempt] if attempt < len(schedule) else 0.1)
            attempt += 1
            status = command("guest-exec-status", {"pid": pid})
            if status["exited"]:
                break
        durations.append(time.monotonic() - t0)
    durations.sort()
    print(f"exec_per_s: {execs / sum(durations):.2f}")
    print(f"exec_median_ms: {1000 * durations[len(durations) // 2]:.2f}")

    # send → the echoed text through the guest's shell.
    console.settimeout(30)
    seen = b""
    waits = []
    for i in range(1, rounds + 1):
        marker = f"raw-{i}-2".encode()
        t0 = time.monotonic()
        console.sendall(f"echo raw-{i}-$((1+1))\n".encode())
        while marker not in seen:
            chunk = console.recv(65536)
            if not chunk:
                raise SystemExit("the console closed")
            seen += chunk
        waits.append(time.monotonic() - t0)
        seen = seen[seen.index(marker) + len(marker):]
    waits.sort()
    print(f"console_median_ms: {1000 * waits[len(waits) // 2]:.2f}")
    print(f"console_p90_ms: {1000 * waits[int(len(waits) * 0.9) - 1]:.2f}")
finally:
    qemu.kill()
    qemu.wait()
    for path in (console_path, agent_path):
        try:
            os.unlink(path)
        except OSError:
            pass
    os.rmdir(work)
