"""Reading what the local mail sink received (.eml files), for the /dev/mail page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from icalendar import Calendar

from casetafel import clock

_NAME = re.compile(r"[0-9A-Za-z_-]{1,80}")


@dataclass(frozen=True)
class CalendarSummary:
    method: str
    summary: str
    dtstart: str
    uid: str
    sequence: str
    problem: str = ""


@dataclass(frozen=True)
class ReceivedMail:
    name: str
    subject: str
    sender: str
    to: str
    date: datetime | None
    text: str
    calendar: CalendarSummary | None


def list_received(folder: Path, limit: int = 50) -> list[ReceivedMail]:
    """The newest messages first (the sink names files by the time they arrived)."""
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda path: path.name, reverse=True)[:limit]
    return [_read(path) for path in files if _NAME.fullmatch(path.stem)]


def calendar_of(folder: Path, name: str) -> bytes | None:
    """The calendar of one received message, as it arrived; None when there is none."""
    if not _NAME.fullmatch(name):
        return None
    path = folder / f"{name}.eml"
    if not path.is_file():
        return None
    return _calendar_bytes(_parse(path.read_bytes()))


def _parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _read(path: Path) -> ReceivedMail:
    message = _parse(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    raw_calendar = _calendar_bytes(message)
    date_header = message["Date"]
    return ReceivedMail(
        name=path.stem,
        subject=str(message["Subject"] or ""),
        sender=str(message["From"] or ""),
        to=str(message["To"] or ""),
        date=getattr(date_header, "datetime", None) if date_header else None,
        text=text,
        calendar=_summary(raw_calendar) if raw_calendar is not None else None,
    )


def _calendar_bytes(message: EmailMessage) -> bytes | None:
    """The text/calendar part, else an .ics attachment."""
    fallback: bytes | None = None
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "text/calendar" and not part.is_attachment():
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
        if content_type in {"application/ics", "text/calendar"} and fallback is None:
            payload = part.get_payload(decode=True)
            fallback = payload if isinstance(payload, bytes) else None
    return fallback


def _summary(raw: bytes) -> CalendarSummary:
    try:
        calendar = Calendar.from_ical(raw)
    except ValueError as exc:
        return CalendarSummary("", "", "", "", "", problem=f"agenda niet te lezen: {exc}")
    events = calendar.walk("VEVENT")
    event = events[0] if events else None

    def value(name: str) -> str:
        return str(event.get(name, "")) if event is not None else ""

    return CalendarSummary(
        method=str(calendar.get("METHOD", "")),
        summary=value("SUMMARY"),
        dtstart=_when(event.decoded("DTSTART")) if event is not None and "DTSTART" in event else "",
        uid=value("UID"),
        sequence=value("SEQUENCE") or "0",
    )


def _when(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%d-%m-%Y %H:%M")
        return clock.local(value).strftime("%d-%m-%Y %H:%M (Amsterdam)")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return str(value)
