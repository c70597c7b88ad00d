"""A real Radicale CalDAV server in a subprocess, for the interoperability tests.

Storage lives in a temporary folder, authentication is off (any user name and password are
taken), and the server listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CONFIG = """\
[server]
hosts = 127.0.0.1:{port}

[auth]
type = none

[storage]
filesystem_folder = {storage}

[web]
type = none

[logging]
level = warning
"""


def require_radicale() -> None:
    """Skip without Radicale, but fail in CI, where `pip install -e '.[dev]'` brings it."""
    if importlib.util.find_spec("radicale") is not None:
        return
    reason = "Radicale is not installed (it is a dev dependency: pip install -e '.[dev]')"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI requires it")
    pytest.skip(reason)


@contextmanager
def radicale(folder: Path) -> Iterator[str]:
    """Run `python -m radicale` until the block ends; yields its base URL."""
    port = _free_port()
    config = folder / "config"
    config.write_text(CONFIG.format(port=port, storage=folder / "collections"))
    log_path = folder / "radicale.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(url, process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.request("OPTIONS", f"{url}/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Radicale did not start:\n{log_path.read_text()}")
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
