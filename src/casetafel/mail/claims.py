"""The sender's state changes of outbox rows: claim, then one outcome per row.

A claim sets state 'sending', a lease and a claim token, and commits before anything is
sent. Every outcome is its own short transaction and only applies while the row is still
held by the same claim, so a sender that outlived its lease cannot undo another's work.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns import Column

from casetafel import db
from casetafel.mail.models import DEAD, PENDING, SENDING, SENT, OutboxMessage

_CLAIM = (
    "UPDATE outbox_message SET state = 'sending', lease_until = {}, claimed_by = {}"
    " WHERE id IN ("
    "SELECT id FROM outbox_message"
    " WHERE (state = 'pending' AND due_at <= {}) OR (state = 'sending' AND lease_until < {})"
    " ORDER BY due_at, id LIMIT {}"
    "{lock})"
    " RETURNING id, kind, sender, recipient, subject, message_id, content, attempts, due_at"
)
# PostgreSQL: rows another instance is claiming at this moment are skipped, not waited for
# (and never claimed twice). SQLite: the IMMEDIATE transaction serialises claims.
CLAIM_POSTGRES = _CLAIM.replace("{lock}", " FOR UPDATE SKIP LOCKED")
CLAIM_SQLITE = _CLAIM.replace("{lock}", "")


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    sender: str
    recipient: str
    subject: str
    message_id: str
    content: str
    attempts: int
    due_at: datetime


@dataclass(frozen=True)
class Claim:
    token: str
    rows: list[Claimed]


async def claim_due(now: datetime, lease_until: datetime, limit: int) -> Claim:
    """Take up to `limit` rows that are due, or whose earlier claim's lease has run out."""
    token = secrets.token_hex(16)
    sql = CLAIM_SQLITE if db.is_sqlite() else CLAIM_POSTGRES
    async with db.transaction():
        rows = await db.fetch(sql, lease_until, token, now, now, limit)
    claimed = [Claimed(**row) for row in rows]
    claimed.sort(key=lambda row: (row.due_at, row.id))
    return Claim(token=token, rows=claimed)


async def _settle(claim: Claim, row_id: int, values: dict[Column | str, Any]) -> None:
    async with db.transaction():
        await OutboxMessage.update(values).where(
            OutboxMessage.id == row_id,
            OutboxMessage.claimed_by == claim.token,
            OutboxMessage.state == SENDING,
        )


async def mark_sent(claim: Claim, row: Claimed, now: datetime) -> None:
    await _settle(
        claim,
        row.id,
        {
            OutboxMessage.state: SENT,
            OutboxMessage.sent_at: now,
            OutboxMessage.last_attempt_at: now,
            OutboxMessage.attempts: row.attempts + 1,
            OutboxMessage.lease_until: None,
            OutboxMessage.last_error: "",
        },
    )


async def mark_retry(
    claim: Claim, row: Claimed, now: datetime, due_at: datetime, error: str
) -> None:
    await _settle(
        claim,
        row.id,
        {
            OutboxMessage.state: PENDING,
            OutboxMessage.attempts: row.attempts + 1,
            OutboxMessage.due_at: due_at,
            OutboxMessage.last_attempt_at: now,
            OutboxMessage.lease_until: None,
            OutboxMessage.last_error: error[:1000],
        },
    )


async def mark_dead(claim: Claim, row: Claimed, now: datetime, error: str) -> None:
    await _settle(
        claim,
        row.id,
        {
            OutboxMessage.state: DEAD,
            OutboxMessage.attempts: row.attempts + 1,
            OutboxMessage.last_attempt_at: now,
            OutboxMessage.lease_until: None,
            OutboxMessage.last_error: error[:1000],
        },
    )


@dataclass(frozen=True)
class Failure:
    """Why rows go back unsent: when it was found and when to try again."""

    at: datetime
    due_at: datetime
    error: str


async def release(claim: Claim, rows: list[Claimed], failure: Failure | None = None) -> None:
    """Give rows back unsent without counting an attempt (server unreachable, time is up)."""
    if not rows:
        return
    values: dict[Column | str, Any] = {
        OutboxMessage.state: PENDING,
        OutboxMessage.lease_until: None,
    }
    if failure is not None:
        values[OutboxMessage.due_at] = failure.due_at
        values[OutboxMessage.last_attempt_at] = failure.at
        values[OutboxMessage.last_error] = failure.error[:1000]
    async with db.transaction():
        await OutboxMessage.update(values).where(
            OutboxMessage.id.is_in([row.id for row in rows]),
            OutboxMessage.claimed_by == claim.token,
            OutboxMessage.state == SENDING,
        )
