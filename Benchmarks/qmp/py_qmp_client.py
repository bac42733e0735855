"""The same workloads as raw_client.c, through QEMU's own Python library, qemu.qmp.

    python py_qmp_client.py [--no-oob] SOCKET WORKLOAD COUNT

qemu.qmp enables the `oob` capability whenever QEMU offers it (QEMU then
queues up to 8 commands instead of reading one at a time); with --no-oob
it declines, as qmpbook and the C client do unless asked.
"""
import asyncio
import json
import os
import sys
import time

from qemu.qmp import QMPClient

OOB = "--no-oob" not in sys.argv


class WithoutOOB(QMPClient):
    """qemu.qmp negotiating as if QEMU had not offered `oob`."""

    async def _negotiate(self):
        if self._greeting is not None:
            offered = self._greeting.QMP.capabilities
            self._greeting.QMP.capabilities = [name for name in offered if name != "oob"]
        await super()._negotiate()


def report(workload, samples, wall=None):
    samples.sort()
    total = wall if wall is not None else sum(samples)
    count = len(samples)
    print(json.dumps({
        "client": "qemu.qmp" if OOB else "qemu.qmp-no-oob", "workload": workload, "count": count, "seconds": total / 1e9,
        "ops_per_sec": count / (total / 1e9), "p50_us": samples[count // 2] / 1e3,
        "p99_us": samples[int(count * 0.99)] / 1e3, "mean_us": total / 1e3 / count,
    }))


async def main(path, workload, count):
    qmp = QMPClient("bench") if OOB else WithoutOOB("bench")
    await qmp.connect(path)
    samples = []
    clock = time.perf_counter_ns
    if workload == "roundtrip":
        for _ in range(count):
            start = clock()
            await qmp.execute("query-status")
            samples.append(clock() - start)
    elif workload in ("sequential", "concurrent"):
        # COUNT query-status from one task, or shared among 8 asyncio tasks at
        # once; ops/s is COUNT over the wall time, as qmp-bench reports it.
        tasks = 1 if workload == "sequential" else 8

        async def share(n):
            mine = []
            for _ in range(n):
                start = clock()
                await qmp.execute("query-status")
                mine.append(clock() - start)
            return mine

        begin = clock()
        parts = await asyncio.gather(*(share(count // tasks + (t < count % tasks)) for t in range(tasks)))
        wall = clock() - begin
        samples = [sample for part in parts for sample in part]
        await qmp.disconnect()
        report(workload, samples, wall)
        return
    elif workload == "schema":
        for _ in range(count):
            start = clock()
            await qmp.execute("query-qmp-schema")
            samples.append(clock() - start)
    elif workload == "event":
        with qmp.listener(("STOP", "RESUME")) as listener:
            for _ in range(count):
                await qmp.execute("cont")
                await listener.get()
                start = clock()
                await qmp.execute("stop")
                while (await listener.get())["event"] != "STOP":
                    pass
                samples.append(clock() - start)
    elif workload == "getfd":
        fd = os.open("/dev/null", os.O_WRONLY | os.O_CLOEXEC)
        for _ in range(count):
            start = clock()
            qmp.send_fd_scm(fd)
            await qmp.execute("getfd", {"fdname": "bench"})
            samples.append(clock() - start)
        os.close(fd)
    else:
        raise SystemExit(f"unknown workload {workload}")
    await qmp.disconnect()
    report(workload, samples)


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--no-oob"]
    if len(arguments) != 3:
        raise SystemExit("usage: py_qmp_client.py [--no-oob] SOCKET WORKLOAD COUNT")
    asyncio.run(main(arguments[0], arguments[1], int(arguments[2])))
