"""The audit log is hash-chained: an edited, deleted or inserted row is detected."""

from __future__ import annotations

import asyncio

from casetafel import db
from casetafel.access import audit
from casetafel.access.models import AuditEvent
from casetafel.cases import service
from tests.conftest import audit_log_unguarded, velsen_case


async def _some_events(users, directory, ladder) -> None:
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    await service.get_case(coordinator, case.reference, directory, ladder)
    await service.update_case(coordinator, case.reference, {"notes": "n"}, directory, ladder)


async def test_intact_chain_verifies(users, directory, ladder):
    await _some_events(users, directory, ladder)
    result = await audit.verify()
    assert result.ok, result.problem
    assert result.checked == await AuditEvent.count()
    assert result.checked >= 3 + len(users.actors)


async def test_edited_row_is_detected(users, directory, ladder):
    await _some_events(users, directory, ladder)
    target = await AuditEvent.objects().where(AuditEvent.action == "case.read").first()
    async with audit_log_unguarded():
        await AuditEvent.update({AuditEvent.username: "iemand-anders"}).where(
            AuditEvent.id == target.id
        )
    result = await audit.verify()
    assert not result.ok
    assert f"event {target.seq}" in result.problem
    assert result.checked == target.seq - 1


async def test_deleted_row_is_detected(users, directory, ladder):
    await _some_events(users, directory, ladder)
    target = await AuditEvent.objects().where(AuditEvent.action == "case.read").first()
    async with audit_log_unguarded():
        await AuditEvent.delete().where(AuditEvent.id == target.id)
    result = await audit.verify()
    assert not result.ok
    assert "missing" in result.problem


async def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(users, directory, ladder):
    await _some_events(users, directory, ladder)
    target = await AuditEvent.objects().where(AuditEvent.action == "case.read").first()
    target.username = "vervalst"
    target.hash = audit.event_hash(audit._content(target))
    async with audit_log_unguarded():
        await target.save()
    result = await audit.verify()
    assert not result.ok
    assert f"event {target.seq + 1}" in result.problem


async def test_concurrent_appends_keep_one_chain(users):
    """Many transactions appending at once must not fork the chain (PostgreSQL: advisory lock;
    SQLite: immediate transactions)."""
    actor = users.actors["coordinator"]

    async def append(n: int) -> None:
        async with db.transaction():
            await audit.record(actor, "test.concurrent", details={"n": n})

    before = await AuditEvent.count()
    await asyncio.gather(*(append(n) for n in range(30)))
    assert await AuditEvent.count() == before + 30
    result = await audit.verify()
    assert result.ok, result.problem


async def test_events_cut_off_the_end_are_detected_against_a_known_head(users, directory, ladder):
    await _some_events(users, directory, ladder)
    intact = await audit.verify()
    assert intact.ok and intact.head is not None
    assert intact.head.seq == intact.checked
    newest = await AuditEvent.objects().order_by(AuditEvent.seq, ascending=False).first()
    assert intact.head.hash == newest.hash
    # The chain alone cannot see the newest events deleted...
    async with audit_log_unguarded():
        await AuditEvent.delete().where(AuditEvent.seq >= intact.head.seq - 1)
    assert (await audit.verify()).ok
    # ...the head kept from an earlier verify can.
    cut = await audit.verify(known_head=intact.head)
    assert not cut.ok
    assert "missing" in cut.problem


async def test_a_chain_rewritten_from_the_start_does_not_match_the_known_head(
    users, directory, ladder
):
    await _some_events(users, directory, ladder)
    head = (await audit.verify()).head
    assert head is not None
    # Someone with database access rewrites event 1 and recomputes every hash after it.
    prev = audit.GENESIS
    async with audit_log_unguarded():
        for row in await AuditEvent.objects().order_by(AuditEvent.seq):
            if row.seq == 1:
                row.username = "vervalst"
            row.prev_hash = prev
            row.hash = audit.event_hash(audit._content(row))
            await row.save()
            prev = row.hash
    assert (await audit.verify()).ok
    forged = await audit.verify(known_head=head)
    assert not forged.ok
    assert f"event {head.seq} differs" in forged.problem


def test_head_parses_what_verify_prints():
    head = audit.Head(12, "a" * 64)
    assert audit.Head.parse(str(head)) == head
    for bad in ("", "12", "x:" + "a" * 64, "0:" + "a" * 64, "12:abc"):
        try:
            audit.Head.parse(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
