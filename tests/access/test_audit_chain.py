"""The audit log is hash-chained: an edited, deleted or inserted row is detected."""

from __future__ import annotations

import asyncio

from casetafel import db
from casetafel.access import audit
from casetafel.access.models import AuditEvent
from casetafel.cases import service
from tests.conftest import velsen_case


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
    await AuditEvent.delete().where(AuditEvent.id == target.id)
    result = await audit.verify()
    assert not result.ok
    assert "missing" in result.problem


async def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(users, directory, ladder):
    await _some_events(users, directory, ladder)
    target = await AuditEvent.objects().where(AuditEvent.action == "case.read").first()
    target.username = "vervalst"
    target.hash = audit.event_hash(audit._content(target))
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
