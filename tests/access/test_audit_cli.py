"""`casetafel audit head` keeps the chain's head in a file outside the database, and checks
the head already there before it writes the new one."""

from __future__ import annotations

from pathlib import Path

from casetafel.access import audit
from casetafel.access.models import AuditEvent
from tests.conftest import audit_log_unguarded
from tests.test_cli_database import cli


async def test_head_is_written_and_checked_next_time(users, database_url, tmp_path: Path):
    kept = tmp_path / "audit-head.txt"
    first = cli(database_url, "audit", "head", "--output", str(kept))
    assert first.returncode == 0, first.stderr
    head = audit.Head.parse(kept.read_text())
    newest = await AuditEvent.objects().order_by(AuditEvent.seq, ascending=False).first()
    assert head == audit.Head(newest.seq, newest.hash)
    assert str(head) in first.stdout

    again = cli(database_url, "audit", "head", "--output", str(kept))
    assert again.returncode == 0, again.stderr

    # Events cut off the end: the chain itself is fine, the kept head is not in it any more.
    async with audit_log_unguarded():
        await AuditEvent.delete().where(AuditEvent.seq >= head.seq - 1)
    assert (await audit.verify()).ok
    cut = cli(database_url, "audit", "head", "--output", str(kept))
    assert cut.returncode == 1 and "missing" in cut.stderr
    assert audit.Head.parse(kept.read_text()) == head  # the kept head is not overwritten


async def test_head_refuses_a_file_that_holds_no_head(users, database_url, tmp_path: Path):
    kept = tmp_path / "notes.txt"
    kept.write_text("boodschappen\n")
    refused = cli(database_url, "audit", "head", "--output", str(kept))
    assert refused.returncode == 2 and "SEQ:HASH" in refused.stderr
    assert kept.read_text() == "boodschappen\n"
