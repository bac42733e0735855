"""What `qmpbook exec ADDR query-status` does, as a qemu.qmp script: the
whole-process baseline (interpreter start, import, connect, one command)."""
import asyncio
import json
import sys

from qemu.qmp import QMPClient


async def main(path, command):
    qmp = QMPClient("exec")
    await qmp.connect(path)
    print(json.dumps(await qmp.execute(command)))
    await qmp.disconnect()


asyncio.run(main(sys.argv[1], sys.argv[2]))
