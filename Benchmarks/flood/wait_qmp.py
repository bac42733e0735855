"""A wait through a flood with QEMU's own Python library, qemu.qmp:
connect, say "ready", take events until DEVICE_DELETED for the marker.

    python wait_qmp.py SOCKET READY-FILE MARKER
"""
import asyncio
import sys

from qemu.qmp import QMPClient


async def main(path, ready, marker):
    qmp = QMPClient("flood")
    with qmp.listener("DEVICE_DELETED") as listener:
        await qmp.connect(path)
        open(ready, "w").close()
        async for event in listener:
            if event.get("data", {}).get("device") == marker:
                break
    await qmp.disconnect()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
