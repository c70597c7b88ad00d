"""The local mail sink: an SMTP server on 127.0.0.1:1025 that keeps every message it gets.

Messages are written as .eml files to var/mail/ (setting mail_sink_dir), so a developer
sees what casetafel sends without a real mail server; the page /dev/mail shows them.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class KeepingHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def sink_folder() -> Path:
    return Path.cwd() / "var" / "mail"


def run_sink(host: str, port: int, folder: Path | None = None) -> None:
    folder = folder or sink_folder()
    controller = Controller(KeepingHandler(folder), hostname=host, port=port)
    controller.start()
    print(f"mail sink listening on {host}:{port}, keeping messages in {folder}")
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
