"""Inbound iTIP REPLY: an attendee's answer, as an .ics file or inside a whole email (.eml).

Every problem raises InvalidReply with a Dutch message that a coordinator can act on.
"""

from __future__ import annotations

import email
import email.errors
import email.utils
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import Message
from email.policy import default as default_policy
from typing import Literal, get_args

from icalendar import Calendar, Event, vCalAddress

from casetafel.clock import AMSTERDAM

ReplyStatus = Literal["ACCEPTED", "DECLINED", "TENTATIVE"]

# A REPLY is a few kilobytes; this only stops a huge attachment from being parsed.
MAX_CALENDAR_CHARS = 512 * 1024

_STATUSES: dict[str, ReplyStatus] = {status: status for status in get_args(ReplyStatus)}
_CALENDAR_TYPES = {"text/calendar", "application/ics"}
_NOT_A_REPLY = "Dit bestand is geen antwoord op een uitnodiging"


class InvalidReply(ValueError):
    """The data is not a usable answer to a casetafel invitation."""


@dataclass(frozen=True)
class Reply:
    uid: str
    recurrence_id: datetime | None
    sequence: int
    attendee_email: str
    partstat: ReplyStatus
    comment: str
    dtstamp: datetime | None = None
    # ATTENDEE;SENT-BY=mailto:...: a delegate (a secretary) who answered for the attendee.
    sent_by: str | None = None

    @property
    def answerers(self) -> frozenset[str]:
        """The addresses that may send this answer: the attendee and their delegate."""
        return frozenset({self.attendee_email, *([self.sent_by] if self.sent_by else [])})


def parse_reply(data: bytes | str) -> Reply:
    """The one answer in `data` (an .ics text or a whole email)."""
    replies = parse_replies(data)
    if len(replies) > 1:
        raise InvalidReply(
            "Het antwoord gaat over meer dan één afspraak uit een reeks; "
            "casetafel verwerkt per bericht één antwoord. Vraag de deelnemer de RSVP-link te "
            "gebruiken."
        )
    return replies[0]


def parse_replies(data: bytes | str) -> tuple[Reply, ...]:
    """All answers in `data`: one per VEVENT (a series and occurrences answered at once)."""
    calendar = _parse_calendar(_calendar_text(data))
    method = str(calendar.get("METHOD", "")).strip().upper()
    if not method:
        raise InvalidReply(f"{_NOT_A_REPLY} (METHOD:REPLY ontbreekt).")
    if method != "REPLY":
        raise InvalidReply(f"{_NOT_A_REPLY} (METHOD is {method}, verwacht REPLY).")
    vevents = [component for component in calendar.subcomponents if isinstance(component, Event)]
    if not vevents:
        raise InvalidReply("Het antwoord bevat geen afspraak (VEVENT ontbreekt).")
    return tuple(_reply(vevent) for vevent in vevents)


def sender_address(data: bytes) -> str | None:
    """The one From address of a whole email, lower-cased; None for a bare .ics file, a
    missing or unreadable From, or a From with several addresses."""
    if _looks_like_calendar(data.decode("utf-8-sig", errors="replace")):
        return None
    try:
        message = email.message_from_bytes(data, policy=default_policy)
        found = email.utils.getaddresses([str(message.get("From", ""))])
    except (email.errors.MessageError, ValueError, IndexError, TypeError):
        return None
    addresses = [address.strip().lower() for _, address in found if "@" in address]
    return addresses[0] if len(addresses) == 1 else None


def _calendar_text(data: bytes | str) -> str:
    if not data.strip():
        raise InvalidReply("Het bestand is leeg; er staat geen antwoord op een uitnodiging in.")
    if isinstance(data, bytes):
        text = data.decode("utf-8-sig", errors="replace")
        if _looks_like_calendar(text):
            return text
        return _calendar_part(email.message_from_bytes(data, policy=default_policy))
    text = data.removeprefix("\ufeff")
    if _looks_like_calendar(text):
        return text
    return _calendar_part(email.message_from_string(data, policy=default_policy))


def _looks_like_calendar(text: str) -> bool:
    return text.lstrip()[:15].upper() == "BEGIN:VCALENDAR"


def _calendar_part(message: Message) -> str:
    """The text/calendar part, preferring the one marked method=REPLY, else an .ics attachment."""
    parts = [
        part
        for part in message.walk()
        if not part.is_multipart()
        and (
            part.get_content_type() in _CALENDAR_TYPES
            or (part.get_filename() or "").lower().endswith(".ics")
        )
    ]
    if not parts:
        raise InvalidReply(
            "Dit bestand bevat geen antwoord op een uitnodiging: er zit geen agenda-onderdeel "
            "(text/calendar) of .ics-bijlage in."
        )
    parts.sort(key=lambda part: str(part.get_param("method") or "").upper() != "REPLY")
    return _decoded(parts[0])


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = raw.decode(charset, errors="replace")
    except LookupError:
        text = raw.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def _parse_calendar(text: str) -> Calendar:
    if len(text) > MAX_CALENDAR_CHARS:
        raise InvalidReply(
            f"Het agendabestand is te groot (meer dan {MAX_CALENDAR_CHARS // 1024} kB) "
            "voor een antwoord op een uitnodiging."
        )
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        raise InvalidReply(
            f"Dit bestand is geen geldig iCalendar-bestand; het kan niet worden gelezen ({exc})."
        ) from exc
    if calendar.name != "VCALENDAR":
        raise InvalidReply(f"{_NOT_A_REPLY} (BEGIN:VCALENDAR ontbreekt).")
    return calendar


def _reply(vevent: Event) -> Reply:
    uid = str(vevent.get("UID", "")).strip()
    if not uid:
        raise InvalidReply(
            "Het antwoord heeft geen UID, dus casetafel kan het niet aan een overleg koppelen."
        )
    attendee = _attendee(vevent)
    try:
        sequence = int(vevent.sequence)
        recurrence_id = _instant(vevent.RECURRENCE_ID, "RECURRENCE-ID")
        dtstamp = _instant(vevent.stamp, "DTSTAMP")
    except ValueError as exc:
        raise InvalidReply(f"Het antwoord bevat een onleesbare waarde ({exc}).") from exc
    return Reply(
        uid=uid,
        recurrence_id=recurrence_id,
        sequence=sequence,
        attendee_email=_email(attendee),
        partstat=_partstat(attendee),
        comment="\n".join(str(comment).strip() for comment in vevent.comments).strip(),
        dtstamp=dtstamp,
        sent_by=_sent_by(attendee),
    )


def _attendee(vevent: Event) -> vCalAddress:
    attendees = vevent.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    if len(attendees) != 1:
        raise InvalidReply(
            f"Een antwoord hoort precies één deelnemer (ATTENDEE) te noemen; dit bestand noemt er "
            f"{len(attendees)}."
        )
    attendee = attendees[0]
    if not isinstance(attendee, vCalAddress):
        raise InvalidReply("De deelnemer (ATTENDEE) in het antwoord is onleesbaar.")
    return attendee


def _email(attendee: vCalAddress) -> str:
    value = str(attendee).strip()
    address = _mailto(value)
    if address is None:
        raise InvalidReply(
            f"De deelnemer in het antwoord heeft geen e-mailadres (mailto:), maar {value!r}."
        )
    return address


def _mailto(value: str) -> str | None:
    """The lower-cased address of a mailto: URI, or None when it is not one."""
    address = value[len("mailto:") :].strip().lower()
    if value[: len("mailto:")].lower() != "mailto:" or "@" not in address:
        return None
    return address


def _sent_by(attendee: vCalAddress) -> str | None:
    return _mailto(str(attendee.params.get("SENT-BY", "")).strip().strip('"'))


def _partstat(attendee: vCalAddress) -> ReplyStatus:
    partstat = str(attendee.params.get("PARTSTAT", "")).strip().upper()
    status = _STATUSES.get(partstat)
    if status is not None:
        return status
    raise InvalidReply(
        f"Het antwoord heeft een onbekende status (PARTSTAT={partstat or 'leeg'}); casetafel kent "
        "alleen ACCEPTED (komt), DECLINED (komt niet) en TENTATIVE (misschien)."
    )


def _instant(value: date | datetime | None, name: str) -> datetime | None:
    """As a UTC instant; a time without zone is taken as Amsterdam time, as casetafel wrote it."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidReply(f"{name} in het antwoord is een datum zonder tijd ({value}).")
    if value.utcoffset() is None:
        value = value.replace(tzinfo=AMSTERDAM)
    return value.astimezone(UTC)
