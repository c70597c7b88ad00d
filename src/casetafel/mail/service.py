"""The outbox: queue a message in the caller's transaction; show and resend failed ones.

Mail leaves casetafel only through here: a domain service builds the message
(messages.build) and calls `enqueue` inside the db.transaction() of the change that causes
it, so the change and its mail commit together or not at all. The sender (sender.py) does
the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

from piccolo.query.functions.aggregate import Count

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.errors import Conflict, Forbidden, NotFound
from casetafel.mail.messages import OutgoingMail
from casetafel.mail.models import DEAD, PENDING, STATES, OutboxMessage

_INSERT = (
    "INSERT INTO outbox_message (idempotency_key, kind, sender, recipient, subject, message_id,"
    " content, region_id, created_at, due_at, attempts, state, lease_until, claimed_by,"
    " last_error, last_attempt_at, sent_at)"
    " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0, 'pending', NULL, '', '', NULL, NULL)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


async def enqueue(mail: OutgoingMail) -> bool:
    """Queue one message in the caller's transaction. A message with an idempotency key that
    is already queued (or sent) is ignored: returns True only for a new row."""
    if db.engine().current_transaction.get() is None:
        raise RuntimeError("enqueue must run inside the db.transaction() of the change")
    _check(mail)
    now = clock.now()
    rows = await db.fetch(
        _INSERT,
        mail.idempotency_key,
        mail.kind,
        mail.sender,
        mail.recipient,
        mail.subject[:500],
        mail.message_id,
        mail.content,
        mail.region_id,
        now,
        mail.due_at or now,
    )
    return bool(rows)


def _check(mail: OutgoingMail) -> None:
    if not mail.idempotency_key or len(mail.idempotency_key) > 255:
        raise ValueError("idempotency_key must be 1 to 255 characters")
    if not mail.kind or len(mail.kind) > 30:
        raise ValueError("kind must be 1 to 30 characters")
    for name in ("sender", "recipient"):
        _one_address(name, getattr(mail, name))
    if not mail.content.isascii():
        raise ValueError("content must be an encoded (ASCII) message; use messages.compose")


def _one_address(name: str, value: str) -> None:
    try:
        Address(addr_spec=value)
    except (ValueError, HeaderParseError, IndexError) as exc:
        raise ValueError(f"{name} must be one email address, not {value!r}") from exc


@dataclass(frozen=True)
class QueueEntry:
    """A message as the queue page shows it: never its body."""

    id: int
    kind: str
    recipient: str
    subject: str
    state: str
    attempts: int
    last_error: str
    last_attempt_at: datetime | None
    due_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class QueueProblems:
    dead: list[QueueEntry]
    retrying: list[QueueEntry]


_ENTRY_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.kind,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.state,
    OutboxMessage.attempts,
    OutboxMessage.last_error,
    OutboxMessage.last_attempt_at,
    OutboxMessage.due_at,
    OutboxMessage.created_at,
)


def require_queue_access(actor: Actor) -> None:
    if not actor.may("mail.queue"):
        raise Forbidden(
            "Alleen de coördinator en de functioneel beheerder zien de wachtrij van de mail."
        )


def _scope(actor: Actor) -> Any:
    """The functional admin sees every message; a coordinator those of the own region."""
    if actor.may("mail.queue.all"):
        return OutboxMessage.id > 0
    return OutboxMessage.region_id == actor.region_id


async def problems(actor: Actor, limit: int = 100) -> QueueProblems:
    """Dead messages, and messages waiting for a retry after a failure, newest first."""
    require_queue_access(actor)

    async def entries(condition: Any) -> list[QueueEntry]:
        rows = (
            await OutboxMessage.select(*_ENTRY_COLUMNS)
            .where(_scope(actor), condition)
            .order_by(OutboxMessage.last_attempt_at, ascending=False)
            .order_by(OutboxMessage.id, ascending=False)
            .limit(limit)
        )
        return [QueueEntry(**row) for row in rows]

    return QueueProblems(
        dead=await entries(OutboxMessage.state == DEAD),
        retrying=await entries((OutboxMessage.state == PENDING) & (OutboxMessage.last_error != "")),
    )


async def state_counts(actor: Actor) -> dict[str, int]:
    """How many messages are in each state (pending, sending, sent, dead)."""
    require_queue_access(actor)
    counts = dict.fromkeys(STATES, 0)
    rows = (
        await OutboxMessage.select(OutboxMessage.state, Count())
        .where(_scope(actor))
        .group_by(OutboxMessage.state)
    )
    counts.update({row["state"]: row["count"] for row in rows})
    return counts


async def resend(actor: Actor, outbox_id: int) -> None:
    """Put a dead message back in the queue with fresh attempts, the same Message-ID."""
    require_queue_access(actor)
    async with db.transaction():
        row = (
            await OutboxMessage.select(
                OutboxMessage.state, OutboxMessage.kind, OutboxMessage.message_id
            )
            .where(OutboxMessage.id == outbox_id, _scope(actor))
            .first()
        )
        if row is None:
            raise NotFound("Dit bericht bestaat niet.")
        if row["state"] != DEAD:
            raise Conflict("Alleen een mislukt bericht kan opnieuw worden verstuurd.")
        await OutboxMessage.update(
            {
                OutboxMessage.state: PENDING,
                OutboxMessage.attempts: 0,
                OutboxMessage.due_at: clock.now(),
                OutboxMessage.lease_until: None,
                OutboxMessage.claimed_by: "",
                OutboxMessage.last_error: "",
            }
        ).where(OutboxMessage.id == outbox_id)
        await audit.record(
            actor,
            "mail.resend",
            details={"outbox_id": outbox_id, "kind": row["kind"], "message_id": row["message_id"]},
        )
