"""Sending (idempotently) and reading in-app notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casetafel import clock, db
from casetafel.access.policy import Actor
from casetafel.notifications.models import Notification

PAGE_SIZE = 50


@dataclass(frozen=True)
class Message:
    """What to tell; `key` identifies the occasion, so that telling twice tells once."""

    key: str
    kind: str
    text: str
    case_id: int | None = None
    case_reference: str = ""
    link: str = ""


async def notify(user_ids: list[int], message: Message, at: datetime | None = None) -> int:
    """Add the message for each user who has not had it yet; returns how many were added.
    Runs inside the caller's transaction."""
    added = 0
    when = at or clock.now()
    for user_id in dict.fromkeys(user_ids):
        rows = await db.fetch(
            'INSERT INTO notification ("user", "key", kind, case_id, case_reference, "text", link,'
            " created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {})"
            ' ON CONFLICT ("key") DO NOTHING RETURNING id',
            user_id,
            f"{message.key}:u{user_id}",
            message.kind,
            message.case_id,
            message.case_reference,
            message.text[:500],
            message.link,
            when,
        )
        added += len(rows)
    return added


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    text: str
    case_reference: str
    link: str
    created_at: datetime
    read: bool


async def for_user(actor: Actor, *, unread_only: bool = False) -> list[NotificationRow]:
    where: Any = Notification.user == actor.user_id
    if unread_only:
        where &= Notification.read_at.is_null()
    rows = (
        await Notification.objects()
        .where(where)
        .order_by(Notification.created_at, ascending=False)
        .order_by(Notification.id, ascending=False)
        .limit(PAGE_SIZE)
    )
    return [
        NotificationRow(
            id=row.id,
            kind=row.kind,
            text=row.text,
            case_reference=row.case_reference,
            link=row.link,
            created_at=row.created_at,
            read=row.read_at is not None,
        )
        for row in rows
    ]


async def unread_count(actor: Actor) -> int:
    count: int = await Notification.count().where(
        (Notification.user == actor.user_id) & Notification.read_at.is_null()
    )
    return count


async def mark_read(actor: Actor, notification_id: int | None = None) -> None:
    """Mark one notification (or, with None, all) of this user as read."""
    where: Any = (Notification.user == actor.user_id) & Notification.read_at.is_null()
    if notification_id is not None:
        where &= Notification.id == notification_id
    async with db.transaction():
        await Notification.update({Notification.read_at: clock.now()}).where(where)
