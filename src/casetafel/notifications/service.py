"""Sending (idempotently) and reading in-app notifications, each also emailed to the user
through the outbox when mail is configured (configure_mail). The email says what the
notification says, the case reference and a link: never personal data of a subject."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from casetafel import clock, db
from casetafel.access.policy import Actor
from casetafel.mail import messages as mail_messages
from casetafel.mail import service as outbox
from casetafel.notifications.models import Notification

PAGE_SIZE = 50
KIND_SUBJECTS = {
    "escalated": "opgeschaald",
    "deescalated": "afgeschaald",
    "warning": "termijn verloopt binnenkort",
    "reminder": "herinnering casusoverleg",
    "overdue": "casusoverleg te laat",
    "missed": "termijn verstreken",
    "bij_missing": "BIJ-melding ontbreekt",
    "declined": "afmelding voor een overleg",
}


@dataclass(frozen=True)
class MailSettings:
    base_url: str


_mail: MailSettings | None = None


def configure_mail(base_url: str | None) -> None:
    """Email every new notification (None: in-app only)."""
    global _mail
    _mail = MailSettings(base_url.rstrip("/")) if base_url else None


@dataclass(frozen=True)
class Message:
    """What to tell; `key` identifies the occasion, so that telling twice tells once."""

    key: str
    kind: str
    text: str
    case_id: int | None = None
    case_reference: str = ""
    link: str = ""
    # The functional mailbox the email comes from (the region's); empty: no email.
    sender: str = ""
    region_id: int | None = None


async def notify(user_ids: list[int], message: Message, at: datetime | None = None) -> int:
    """Add the message for each user who has not had it yet; returns how many were added.
    Runs inside the caller's transaction."""
    added = 0
    when = at or clock.now()
    for user_id in dict.fromkeys(user_ids):
        key = f"{message.key}:u{user_id}"
        rows = await db.fetch(
            'INSERT INTO notification ("user", "key", kind, case_id, case_reference, "text", link,'
            " created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {})"
            ' ON CONFLICT ("key") DO NOTHING RETURNING id',
            user_id,
            key,
            message.kind,
            message.case_id,
            message.case_reference,
            message.text[:500],
            message.link,
            when,
        )
        if rows:
            added += 1
            await _email(user_id, key, message)
    return added


async def _email(user_id: int, key: str, message: Message) -> None:
    if _mail is None or not message.sender:
        return
    rows = await db.fetch("SELECT email FROM app_user WHERE id = {}", user_id)
    if not rows or not rows[0]["email"]:
        return
    link = f"{_mail.base_url}{message.link}" if message.link else _mail.base_url
    subject = KIND_SUBJECTS.get(message.kind, "melding")
    text = (
        f"{message.text}\n\nOpen casetafel: {link}\n\n"
        "Deze e-mail bevat geen persoonsgegevens; de details staan in casetafel."
    )
    html = (
        f"<p>{escape(message.text)}</p>"
        f'<p><a href="{escape(link)}">Open in casetafel</a></p>'
        "<p>Deze e-mail bevat geen persoonsgegevens; de details staan in casetafel.</p>"
    )
    await outbox.enqueue(
        mail_messages.build(
            idempotency_key=f"notification:{key}",
            kind="alert",
            sender=message.sender,
            sender_name="casetafel",
            recipient=rows[0]["email"],
            subject=f"[casetafel] {message.case_reference or 'melding'}: {subject}",
            text=text,
            html=html,
            region_id=message.region_id,
        )
    )


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
