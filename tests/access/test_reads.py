"""One page view that reads cases in several domains writes one audit event."""

from __future__ import annotations

import json

from casetafel.access import reads
from casetafel.access.models import AuditEvent


async def _events() -> list[tuple[str, list[str]]]:
    rows = (
        await AuditEvent.objects()
        .where(AuditEvent.action != "user.create")
        .order_by(AuditEvent.seq)
    )
    return [(row.action, json.loads(row.details).get("references", [])) for row in rows]


async def test_reads_inside_one_page_view_become_one_event(users) -> None:
    actor = users.actors["coordinator"]
    async with reads.one_event(actor, "dashboard.read"):
        await reads.read(actor, "dashboard.deadlines.read", ["KEN-2026-0002", "KEN-2026-0001"])
        await reads.read(actor, "dashboard.actions.read", ["KEN-2026-0001", "KEN-2026-0003"])
        await reads.read(actor, "dashboard.actions.read", [])
    assert await _events() == [
        ("dashboard.read", ["KEN-2026-0001", "KEN-2026-0002", "KEN-2026-0003"])
    ]


async def test_a_read_on_its_own_is_logged_at_once_and_nothing_shown_logs_nothing(users):
    actor = users.actors["coordinator"]
    await reads.read(actor, "queue.read", ["KEN-2026-0004"])
    await reads.read(actor, "queue.read", [])
    async with reads.one_event(actor, "dashboard.read"):
        pass
    assert await _events() == [("queue.read", ["KEN-2026-0004"])]
