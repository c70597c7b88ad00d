"""Tampering with the audit log: the database refuses UPDATE and DELETE; someone who lifts
that guard (a database administrator) is still caught by the hash chain, which covers every
column and names the first broken event."""

from __future__ import annotations

from typing import Any

import pytest

from casetafel.access import audit
from casetafel.access.models import AuditEvent
from casetafel.cases import service
from tests.conftest import audit_log_unguarded, velsen_case


async def _events(users, directory, ladder) -> list[AuditEvent]:
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    await service.get_case(coordinator, case.reference, directory, ladder)
    await service.update_case(coordinator, case.reference, {"notes": "n"}, directory, ladder)
    await service.get_case(coordinator, case.reference, directory, ladder)
    assert (await audit.verify()).ok
    return list(await AuditEvent.objects().order_by(AuditEvent.seq))


async def _first_broken(expected_seq: int) -> str:
    result = await audit.verify()
    assert not result.ok
    assert result.problem.startswith(f"event {expected_seq}"), result.problem
    assert result.checked == expected_seq - 1
    return result.problem


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (AuditEvent.details, '{"fields":["notes","categories"]}'),
        (AuditEvent.organisation, "Een andere organisatie"),
        (AuditEvent.purpose, "iets anders"),
        (AuditEvent.legal_basis, "art. 18b Pbw; Wgs"),
        (AuditEvent.action, "case.list"),
        (AuditEvent.case_reference, "KEN-2026-9999"),
        (AuditEvent.role, "privacy_officer"),
        (AuditEvent.user_id, 987_654),
    ],
    ids=lambda v: getattr(v, "_meta", None) and v._meta.name,
)
async def test_a_changed_column_is_detected_at_its_event(
    users, directory, ladder, column: Any, value: Any
):
    events = await _events(users, directory, ladder)
    target = next(e for e in events if e.action == "case.update")
    assert target.organisation and target.purpose  # the new columns are filled
    async with audit_log_unguarded():
        await AuditEvent.update({column: value}).where(AuditEvent.id == target.id)
    problem = await _first_broken(target.seq)
    assert "content was changed" in problem


async def test_a_deleted_event_in_the_middle_is_detected(users, directory, ladder):
    events = await _events(users, directory, ladder)
    middle = events[len(events) // 2]
    async with audit_log_unguarded():
        await AuditEvent.delete().where(AuditEvent.id == middle.id)
    problem = await _first_broken(middle.seq)
    assert "missing" in problem


async def test_two_events_swapped_are_detected(users, directory, ladder):
    events = await _events(users, directory, ladder)
    first, second = events[-3], events[-2]
    async with audit_log_unguarded():
        await AuditEvent.update({AuditEvent.seq: -1}).where(AuditEvent.id == first.id)
        await AuditEvent.update({AuditEvent.seq: first.seq}).where(AuditEvent.id == second.id)
        await AuditEvent.update({AuditEvent.seq: second.seq}).where(AuditEvent.id == first.id)
    await _first_broken(first.seq)


async def test_the_database_refuses_update_and_delete(users, directory, ladder):
    events = await _events(users, directory, ladder)
    target = events[1]
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.username: "vervalst"}).where(AuditEvent.id == target.id)
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.delete().where(AuditEvent.id == target.id)
    assert await AuditEvent.count() == len(events)
    assert (await audit.verify()).ok


async def test_events_written_before_the_new_columns_keep_verifying(users):
    """Events from before migration 0011 have no organisation or purpose, and their hash
    was computed without them."""
    async with audit_log_unguarded():
        await AuditEvent.delete(force=True)
    prev = audit.GENESIS
    for seq in (1, 2):
        event = AuditEvent(
            seq=seq,
            at=audit.clock.now(),
            username="oud",
            role="coordinator",
            action="case.read",
            details="{}",
            prev_hash=prev,
        )
        event.hash = audit.event_hash(audit._content(event))
        await event.save()
        prev = event.hash
    assert (await audit.verify()).ok
    async with audit_log_unguarded():
        await AuditEvent.update({AuditEvent.organisation: "erbij verzonnen"}).where(
            AuditEvent.seq == 1
        )
    await _first_broken(1)
