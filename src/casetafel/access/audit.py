"""The audit log: append-only and hash-chained.

Every service that reads personal data or changes anything calls `record` inside its own
transaction, so the event and the change commit together or not at all. An event holds who,
what, which case, when, on what basis and for what purpose, never the content: `details`
names things (changed fields, ids, references), it never holds their values.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from casetafel import clock, db
from casetafel.access.models import AuditEvent
from casetafel.access.policy import Actor, legal_basis
from casetafel.access.vocabulary import default_purpose

GENESIS = "0" * 64
# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK = 7_352_114

request_id: ContextVar[str] = ContextVar("request_id", default="")


async def record(
    actor: Actor | None,
    action: str,
    *,
    case_id: int | None = None,
    case_reference: str = "",
    details: dict[str, Any] | None = None,
    basis: str | None = None,
    purpose: str = "",
) -> None:
    """Append one event. Must run inside db.transaction()."""
    if not db.is_sqlite():
        # SQLite write transactions are IMMEDIATE and so already serialised.
        await db.fetch("SELECT pg_advisory_xact_lock({})", _CHAIN_LOCK)
    # Raw SQL: every read of case data appends an event, and the query builder's overhead
    # was a third of the append's cost.
    rows = await db.fetch("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    last = rows[0] if rows else None
    seq = (int(last["seq"]) + 1) if last else 1
    prev_hash = str(last["hash"]) if last else GENESIS
    event = AuditEvent(
        seq=seq,
        at=clock.now().astimezone(UTC),
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else "systeem",
        role=str(actor.role) if actor else "system",
        action=action,
        case_id=case_id,
        case_reference=case_reference,
        # Cut to the columns' lengths: a role with several bases joins their labels.
        legal_basis=(basis if basis is not None else (legal_basis(actor) if actor else ""))[:200],
        organisation=actor.organisation_name[:200] if actor else "",
        purpose=(purpose or default_purpose(action))[:100],
        request_id=request_id.get(),
        details=_canonical(details or {}),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(_content(event))
    await db.fetch(_INSERT, *[getattr(event, name) for name in _COLUMNS])


_COLUMNS = (
    "seq",
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "case_id",
    "case_reference",
    "legal_basis",
    "organisation",
    "purpose",
    "request_id",
    "details",
    "prev_hash",
    "hash",
)
_INSERT = (
    f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) VALUES ({', '.join('{}' for _ in _COLUMNS)})"
)


@dataclass(frozen=True)
class Head:
    """The newest event of the chain as seen at some moment: kept outside the database (a
    verify log, a note of the privacy officer), it shows rows cut off the end of the chain
    or a chain rewritten from an earlier point, which the chain alone cannot show."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Head:
        seq, _, digest = text.strip().partition(":")
        if not seq.isdigit() or int(seq) < 1 or len(digest) != 64:
            raise ValueError("expected SEQ:HASH as printed by 'casetafel audit verify'")
        return cls(int(seq), digest.lower())


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    head: Head | None = None


async def verify(batch_size: int = 5000, known_head: Head | None = None) -> VerifyResult:
    """Walk the chain in order; report the first row whose hash or link does not hold, and
    whether `known_head` (an earlier head) is still part of the chain."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    while True:
        rows = (
            await AuditEvent.objects()
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        )
        if not rows:
            head = Head(checked, prev_hash) if checked else None
            if known_head and checked < known_head.seq:
                return VerifyResult(
                    False,
                    checked,
                    f"events {checked + 1} to {known_head.seq} are missing "
                    f"(the log ends at {checked}, the known head is {known_head.seq})",
                    head,
                )
            return VerifyResult(ok=True, checked=checked, head=head)
        for row in rows:
            if known_head and row.seq == known_head.seq and row.hash != known_head.hash:
                return VerifyResult(False, checked, f"event {row.seq} differs from the known head")
            if row.seq != expected_seq:
                return VerifyResult(
                    False, checked, f"event {expected_seq} is missing (next found: {row.seq})"
                )
            if row.prev_hash != prev_hash:
                return VerifyResult(False, checked, f"event {row.seq}: link to the previous broken")
            if event_hash(_content(row)) != row.hash:
                return VerifyResult(False, checked, f"event {row.seq}: content was changed")
            prev_hash = row.hash
            expected_seq += 1
            checked += 1


def event_hash(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def _content(event: AuditEvent) -> str:
    at: datetime = event.at
    fields = [
        event.seq,
        at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        event.user_id,
        event.username,
        event.role,
        event.action,
        event.case_id,
        event.case_reference,
        event.legal_basis,
        event.request_id,
        _canonical(json.loads(event.details) if isinstance(event.details, str) else event.details),
        event.prev_hash,
    ]
    # Events written before these columns existed have them empty and keep their old hash.
    if event.organisation or event.purpose:
        fields += [event.organisation, event.purpose]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(
        details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
