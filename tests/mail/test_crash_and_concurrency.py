"""A sender killed mid-batch, and senders running side by side: every message arrives,
exactly once, except the one in flight at a crash, which arrives again with the same
Message-ID."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from casetafel import clock
from casetafel.mail.models import OutboxMessage
from casetafel.mail.sender import LEASE, send_due
from tests.conftest import ENGINE, REPO
from tests.mail.conftest import SmtpServer, queue_mails

CLI = [sys.executable, "-m", "casetafel.cli"]
POSTGRES_ONLY = pytest.mark.skipif(
    ENGINE != "postgres",
    reason="several senders at once need PostgreSQL's row locks; SQLite serves one instance",
)


def _environment(database_url: str, smtp_url: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CASETAFEL_")}
    environment.update(
        CASETAFEL_CONFIG_DIR=str(REPO / "config"),
        CASETAFEL_DATABASE_URL=database_url,
        CASETAFEL_SMTP_URL=smtp_url,
    )
    return environment


async def _message_ids_by_row() -> list[str]:
    rows = await OutboxMessage.select(OutboxMessage.message_id).order_by(OutboxMessage.id)
    return [row["message_id"] for row in rows]


async def test_send_mail_command_reports_what_it_did(clean, database_url, smtp_server):
    await queue_mails(3)
    smtp_server.recorder.fail_next("451 4.7.1 Greylisted")
    smtp_server.recorder.fail_next("550 5.1.1 Onbekend")
    result = await asyncio.to_thread(
        subprocess.run,
        [*CLI, "send-mail"],
        env=_environment(database_url, smtp_server.url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "1 sent, 1 to retry, 1 dead, 0 waiting" in result.stdout
    assert "retry" in result.stdout and "451 4.7.1 Greylisted" in result.stdout
    assert "550 5.1.1 Onbekend" in result.stdout


async def test_kill_9_mid_batch_resends_only_the_message_in_flight(
    clean, database_url, mail_settings, smtp_server: SmtpServer
):
    await queue_mails(5)
    ids = await _message_ids_by_row()
    smtp_server.recorder.hold_after = 2
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "send-mail",
        "--batch-size",
        "50",
        env=_environment(database_url, smtp_server.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The third message is at the server; the sender waits for its reply.
        assert await asyncio.to_thread(smtp_server.recorder.holding.wait, 60)
    finally:
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == -signal.SIGKILL
    smtp_server.recorder.hold_after = None
    smtp_server.recorder.release.set()

    states = [row["state"] for row in await OutboxMessage.select(OutboxMessage.state)]
    assert Counter(states) == {"sent": 2, "sending": 3}
    # Before the lease runs out nobody touches the dead sender's claim.
    assert (await send_due(mail_settings)).claimed == 0
    report = await send_due(mail_settings, now=clock.now() + LEASE + timedelta(seconds=1))
    assert len(report.sent) == 3

    delivered = Counter(smtp_server.recorder.message_ids())
    assert delivered == {ids[0]: 1, ids[1]: 1, ids[2]: 2, ids[3]: 1, ids[4]: 1}
    assert {row["state"] for row in await OutboxMessage.select(OutboxMessage.state)} == {"sent"}


async def test_concurrent_sender_tasks_deliver_every_message_once(
    clean, mail_settings, smtp_server: SmtpServer
):
    await queue_mails(60)

    async def sender() -> int:
        sent = 0
        while (report := await send_due(mail_settings, batch_size=4)).claimed:
            sent += len(report.sent)
        return sent

    totals = await asyncio.gather(*(sender() for _ in range(4)))
    assert sum(totals) == 60
    delivered = Counter(smtp_server.recorder.message_ids())
    assert set(delivered) == set(await _message_ids_by_row())
    assert set(delivered.values()) == {1}


@POSTGRES_ONLY
async def test_two_sender_processes_deliver_every_message_once(
    clean, database_url, smtp_server: SmtpServer, tmp_path: Path
):
    await queue_mails(120)
    smtp_server.recorder.delay = 0.002
    go = tmp_path / "go"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.mail.sender_loop",
            "3",
            str(go),
            env=_environment(database_url, smtp_server.url),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    await asyncio.sleep(1.5)  # both processes are up and waiting for the go-file
    go.touch()
    outputs = [await asyncio.wait_for(p.communicate(), 120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    per_process = [int(stdout.strip()) for stdout, _ in outputs]
    assert sum(per_process) == 120
    assert all(count > 0 for count in per_process), per_process
    delivered = Counter(smtp_server.recorder.message_ids())
    assert set(delivered) == set(await _message_ids_by_row())
    assert set(delivered.values()) == {1}


@POSTGRES_ONLY
async def test_rows_another_sender_is_claiming_are_skipped_not_waited_for(
    clean, database_url, mail_settings, smtp_server: SmtpServer
):
    await queue_mails(3)
    first = await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id).first()
    other = await asyncpg.connect(database_url)
    try:
        async with other.transaction():
            await other.execute(
                "SELECT id FROM outbox_message WHERE id = $1 FOR UPDATE", first["id"]
            )
            report = await asyncio.wait_for(send_due(mail_settings), timeout=10)
            assert len(report.sent) == 2
            assert first["id"] not in {outcome.id for outcome in report.sent}
    finally:
        await other.close()
    report = await send_due(mail_settings)
    assert [outcome.id for outcome in report.sent] == [first["id"]]
