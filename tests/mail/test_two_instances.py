"""Two real app instances (`casetafel serve`, each with its own APScheduler send job) on one
PostgreSQL database: every queued message is delivered exactly once, and both instances send.

Each instance gets its own recording SMTP server, so that what arrived tells which instance
sent it. The rows are queued first but not due; once both instances answer /healthz they
are made due, so both send jobs find work (their runs are at most one interval apart, and
the servers' delay per message makes the queue take longer than that)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from casetafel import clock
from casetafel.mail.models import SENT, OutboxMessage
from tests.conftest import ENGINE, REPO
from tests.mail.conftest import queue_mails
from tests.support.smtp import SmtpServer, free_port

pytestmark = pytest.mark.skipif(
    ENGINE != "postgres", reason="several app instances need PostgreSQL (SKIP LOCKED)"
)

MESSAGES = 200
START_TIMEOUT = 60.0
SEND_TIMEOUT = 120.0


def casetafel_command() -> list[str]:
    """The installed console script next to this Python, as a deployment runs it."""
    script = Path(sys.executable).with_name("casetafel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "casetafel.cli"]


def instance_environment(database_url: str, smtp_url: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CASETAFEL_")}
    environment.update(
        CASETAFEL_CONFIG_DIR=str(REPO / "config"),
        CASETAFEL_DATABASE_URL=database_url,
        CASETAFEL_SMTP_URL=smtp_url,
        CASETAFEL_MAIL_SEND_INTERVAL_SECONDS="1",
    )
    return environment


@asynccontextmanager
async def serving(environment: dict[str, str], log_path: Path) -> AsyncIterator[str]:
    """`casetafel serve` on a free port until the block ends; yields its base URL."""
    port = free_port()
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *casetafel_command(),
            "serve",
            "--port",
            str(port),
            env=environment,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_until_healthy(url, process, log_path)
            yield url
        finally:
            await stop(process)


async def wait_until_healthy(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=1) as http:
        while True:
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"casetafel serve did not start:\n{read_logs(log)}")
            await asyncio.sleep(0.2)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 15)
    except TimeoutError:
        process.kill()
        await process.wait()


async def wait_until_all_sent(logs: list[Path]) -> None:
    deadline = time.monotonic() + SEND_TIMEOUT
    while await OutboxMessage.count().where(OutboxMessage.state == SENT) < MESSAGES:
        if time.monotonic() > deadline:
            states = await OutboxMessage.select(OutboxMessage.state)
            raise AssertionError(
                f"not all sent: {Counter(r['state'] for r in states)}\n{read_logs(*logs)}"
            )
        await asyncio.sleep(0.2)


def read_logs(*paths: Path) -> str:
    return "\n".join(path.read_text() for path in paths)


async def test_two_serve_instances_send_each_message_once(
    clean: None, database_url: str, tmp_path: Path
) -> None:
    await queue_mails(MESSAGES)
    # Queued, but not due before both instances run.
    await OutboxMessage.update({OutboxMessage.due_at: clock.now() + timedelta(days=1)}).where(
        OutboxMessage.state == "pending"
    )
    servers = [SmtpServer(free_port()), SmtpServer(free_port())]
    logs = [tmp_path / "instance-a.log", tmp_path / "instance-b.log"]
    async with AsyncExitStack() as stack:
        for server, log in zip(servers, logs, strict=True):
            server.start()
            stack.callback(server.stop)
            server.recorder.delay = 0.02  # 200 messages take 4 s or more: both jobs get some
            environment = instance_environment(database_url, server.url)
            await stack.enter_async_context(serving(environment, log))
        await OutboxMessage.update({OutboxMessage.due_at: clock.now()}).where(
            OutboxMessage.state == "pending"
        )
        await wait_until_all_sent(logs)

    stored = [r["message_id"] for r in await OutboxMessage.select(OutboxMessage.message_id)]
    per_instance = [server.recorder.message_ids() for server in servers]
    delivered = Counter(message_id for ids in per_instance for message_id in ids)
    assert set(delivered) == set(stored) and len(stored) == MESSAGES
    assert set(delivered.values()) == {1}, "a message arrived more than once"
    assert all(ids for ids in per_instance), [len(ids) for ids in per_instance]
    rows = await OutboxMessage.select(OutboxMessage.state, OutboxMessage.attempts)
    assert {(row["state"], row["attempts"]) for row in rows} == {(SENT, 1)}
