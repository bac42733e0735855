"""A raw Python QMP client: write the command, read one line, json.loads it.

The baseline for parsing cost: query-qmp-schema is one ~200 KB line.

    python py_raw_client.py SOCKET schema COUNT
"""
import json
import socket
import sys
import time


def main(path, workload, count):
    if workload != "schema":
        raise SystemExit("py_raw_client only runs the schema workload")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    reader = sock.makefile("rb")
    reader.readline()
    sock.sendall(b'{"execute":"qmp_capabilities"}\n')
    reader.readline()
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        sock.sendall(b'{"execute":"query-qmp-schema","id":1}\n')
        while True:
            reply = json.loads(reader.readline())
            if "event" not in reply:
                break
        assert len(reply["return"]) > 1000
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    total = sum(samples)
    print(json.dumps({
        "client": "python-raw", "workload": workload, "count": count, "seconds": total / 1e9,
        "ops_per_sec": count / (total / 1e9), "p50_us": samples[count // 2] / 1e3,
        "p99_us": samples[int(count * 0.99)] / 1e3, "mean_us": total / 1e3 / count,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
