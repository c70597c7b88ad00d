"""Building one email: the RFC 5322 message the outbox stores and the sender sends as it is.

The caller (a domain's messages.py) writes the Dutch text, the HTML and, for an invite, the
iCalendar bytes; this module only puts them together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from casetafel import clock

# CRLF line ends and RFC 2047 encoded headers: the bytes are ready for SMTP's DATA as they are.
_POLICY = policy.SMTP


@dataclass(frozen=True)
class Calendar:
    """An iCalendar object (RFC 5545) for an iMIP message (RFC 6047)."""

    method: str  # REQUEST, CANCEL, ...; must equal the METHOD inside `data`
    data: bytes  # as written by icalendar, CRLF line ends


@dataclass(frozen=True)
class OutgoingMail:
    """What the outbox needs to store one message; see `build`."""

    idempotency_key: str
    kind: str
    sender: str
    recipient: str
    subject: str
    message_id: str
    content: str
    due_at: datetime | None = None
    region_id: int | None = None


def message_id_for(idempotency_key: str, domain: str = "casetafel") -> str:
    """A stable Message-ID: the same key gives the same id, in every retry and resend."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def compose(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    sender_name: str = "",
    calendar: Calendar | None = None,
) -> bytes:
    """multipart/alternative (text, HTML, optionally text/calendar), plus the calendar as an
    invite.ics attachment (then wrapped in multipart/mixed). Every part is quoted-printable
    or base64, so the message is ASCII; the calendar's bytes are base64 and stay exact."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(display_name=sender_name, addr_spec=sender)
    message["To"] = Address(addr_spec=recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if calendar is not None:
        message.add_alternative(
            calendar.data,
            maintype="text",
            subtype="calendar",
            params={"method": calendar.method, "charset": "utf-8"},
        )
        message.add_attachment(
            calendar.data,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
    return message.as_bytes(policy=_POLICY)


def build(
    *,
    idempotency_key: str,
    kind: str,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    sender_name: str = "",
    calendar: Calendar | None = None,
    due_at: datetime | None = None,
    region_id: int | None = None,
) -> OutgoingMail:
    """The outbox row of one message, its Message-ID derived from the idempotency key."""
    message_id = message_id_for(idempotency_key)
    content = compose(
        sender=sender,
        recipient=recipient,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        date=clock.now(),
        sender_name=sender_name,
        calendar=calendar,
    )
    return OutgoingMail(
        idempotency_key=idempotency_key,
        kind=kind,
        sender=sender,
        recipient=recipient,
        subject=subject,
        message_id=message_id,
        content=content.decode("ascii"),
        due_at=due_at,
        region_id=region_id,
    )
