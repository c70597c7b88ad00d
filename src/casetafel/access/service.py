"""Reading the audit log: for the privacy officer only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casetafel import db
from casetafel.access import audit
from casetafel.access.models import AuditEvent
from casetafel.access.policy import Actor
from casetafel.errors import Forbidden

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    username: str
    role: str
    action: str
    case_reference: str
    legal_basis: str
    request_id: str
    details: dict[str, Any]


async def recent_events(
    actor: Actor, *, case_reference: str = "", username: str = "", before_seq: int | None = None
) -> list[AuditRow]:
    if not actor.can_see_audit:
        raise Forbidden("Alleen de privacyfunctionaris mag het auditlog inzien.")
    where: Any = AuditEvent.seq > 0
    if case_reference:
        where &= AuditEvent.case_reference == case_reference.strip().upper()
    if username:
        where &= AuditEvent.username == username.strip().lower()
    if before_seq:
        where &= AuditEvent.seq < before_seq
    rows = (
        await AuditEvent.objects()
        .where(where)
        .order_by(AuditEvent.seq, ascending=False)
        .limit(PAGE_SIZE)
    )
    async with db.transaction():
        await audit.record(
            actor,
            "audit.read",
            case_reference=case_reference.strip().upper(),
            details={"username": username, "before": before_seq},
        )
    return [
        AuditRow(
            seq=row.seq,
            at=row.at,
            username=row.username,
            role=row.role,
            action=row.action,
            case_reference=row.case_reference,
            legal_basis=row.legal_basis,
            request_id=row.request_id,
            details=json.loads(row.details) if isinstance(row.details, str) else row.details,
        )
        for row in rows
    ]


async def verify_chain(actor: Actor) -> audit.VerifyResult:
    if not actor.can_see_audit:
        raise Forbidden("Alleen de privacyfunctionaris mag het auditlog controleren.")
    result = await audit.verify()
    async with db.transaction():
        await audit.record(
            actor,
            "audit.verify",
            details={"ok": result.ok, "checked": result.checked, "problem": result.problem},
        )
    return result
