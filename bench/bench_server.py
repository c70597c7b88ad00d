"""The system under test: a fresh database, the casetafel CLI, and a real server process."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parent.parent
WORK_DIR = REPO / "var" / "bench"
PG_DATABASE = "bench_cases"
# The database the bench connects to in order to drop and create its own.
PG_ADMIN_DATABASE = "test"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


class BenchError(Exception):
    """Something is broken (not slow): the bench stops with a non-zero exit."""


@dataclass(frozen=True)
class Target:
    engine: str
    url: str
    sqlite_path: Path | None
    postgres_server: str

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASETAFEL_")}
        env.update(
            CASETAFEL_DATABASE_URL=self.url,
            CASETAFEL_CONFIG_DIR=str(REPO / "config"),
            PYTHONUNBUFFERED="1",
        )
        return env

    @property
    def log_path(self) -> Path:
        return WORK_DIR / f"server-{self.engine}.log"


def fresh_database(engine: str, postgres_server: str) -> Target:
    """An empty database: the SQLite file removed, or the PostgreSQL one dropped and created."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    if engine == "sqlite":
        path = WORK_DIR / "bench_cases.db"
        _remove_sqlite(path)
        return Target(engine, f"sqlite:///{path}", path, postgres_server)
    asyncio.run(_recreate_postgres(postgres_server, create=True))
    return Target(engine, f"{postgres_server}/{PG_DATABASE}", None, postgres_server)


def drop_database(target: Target) -> None:
    if target.sqlite_path is not None:
        _remove_sqlite(target.sqlite_path)
    else:
        asyncio.run(_recreate_postgres(target.postgres_server, create=False))


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _recreate_postgres(server: str, *, create: bool) -> None:
    connection = await asyncpg.connect(f"{server}/{PG_ADMIN_DATABASE}")
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        if create:
            await connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    finally:
        await connection.close()


def cli(target: Target, *args: str, timeout: float = 600) -> tuple[float, str]:
    """Run `casetafel ARGS`; returns the wall-clock seconds and its output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "casetafel.cli", *args],
        env=target.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(
            f"`casetafel {' '.join(args)}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return seconds, done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(target: Target) -> Iterator[str]:
    """`casetafel serve` on a free port until the block ends; yields its base URL."""
    port = free_port()
    with target.log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "casetafel.cli", "serve", "--port", str(port)],
            env=target.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, target)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], target: Target) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise BenchError(f"the server did not become healthy:\n{server_log_tail(target)}")


def server_log_tail(target: Target, lines: int = 40) -> str:
    if not target.log_path.exists():
        return "(no server log)"
    return "\n".join(target.log_path.read_text(errors="replace").splitlines()[-lines:])


def login(url: str, username: str, password: str) -> httpx.Client:
    """A keep-alive client logged in through the real form (CSRF cookie and field)."""
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/inloggen")
    token = CSRF_FIELD.search(form.text)
    if form.status_code != 200 or token is None:
        raise BenchError(f"GET /inloggen: HTTP {form.status_code}, no CSRF field")
    answer = client.post(
        "/inloggen",
        data={
            "username": username,
            "password": password,
            "_csrf_token": token.group(1),
            "next": "/",
        },
    )
    if answer.status_code not in (302, 303) or "casetafel_session" not in client.cookies:
        raise BenchError(f"login as {username}: HTTP {answer.status_code}\n{answer.text[:1000]}")
    return client
