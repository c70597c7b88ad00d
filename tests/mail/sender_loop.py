"""A separate sender process for the concurrency test: once the go-file exists, it sends
rounds of `batch_size` until it finds nothing due, then prints how many it sent."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from casetafel import db
from casetafel.mail.sender import send_due
from casetafel.settings import load_settings


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.002)


async def main(batch_size: int, go_file: Path) -> None:
    settings = load_settings()
    db.configure(settings)
    await db.start_pool(settings)
    try:
        await asyncio.to_thread(_wait_for, go_file)
        sent = 0
        while True:
            report = await send_due(settings, batch_size=batch_size)
            if report.claimed == 0:
                break
            sent += len(report.sent)
        print(sent)
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
