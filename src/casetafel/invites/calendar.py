"""The calendar objects casetafel sends: iTIP REQUEST and CANCEL (mailed as iMIP) and PUBLISH
for a personal feed.

Callers give instants in UTC. DTSTART, DTEND, EXDATE and RECURRENCE-ID are written in
Europe/Amsterdam with a TZID, so a weekly series keeps its local hour across the DST changes;
DTSTAMP is written in UTC.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from icalendar import Calendar, Event, vCalAddress, vRecur

from casetafel.clock import AMSTERDAM
from casetafel.invites.timezone import amsterdam_vtimezone

PRODID = "-//casetafel//casetafel//NL"

Role = Literal["CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT"]
PartStat = Literal["NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE"]
Status = Literal["CONFIRMED", "CANCELLED", "TENTATIVE"]

_ADDRESS_CHAR = r"[^@\s\x00-\x1f\x7f<>()\[\]\\,;:\"]"
_EMAIL = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.{_ADDRESS_CHAR}+")
# iCalendar TEXT may not hold control characters other than tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InviteError(ValueError):
    """Event data that cannot become a valid calendar object."""


@dataclass(frozen=True)
class Party:
    email: str
    name: str

    def __post_init__(self) -> None:
        _check_email(self.email)


@dataclass(frozen=True)
class AttendeeLine:
    email: str
    name: str
    role: Role
    partstat: PartStat
    rsvp: bool = True

    def __post_init__(self) -> None:
        _check_email(self.email)
        _check_choice("role", self.role, Role)
        _check_choice("partstat", self.partstat, PartStat)


@dataclass(frozen=True, kw_only=True)
class EventData:
    """One meeting, or one occurrence of a series when `recurrence_id` is set.

    `recurrence_id` is the original start of the occurrence (UTC), not its new start.
    """

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    url: str
    organizer: Party
    attendees: tuple[AttendeeLine, ...]
    status: Status = "CONFIRMED"
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None
    dtstamp: datetime

    def __post_init__(self) -> None:
        if not self.uid.strip() or not self.uid.isprintable():
            raise InviteError("uid must be non-empty printable text on one line")
        if isinstance(self.sequence, bool) or self.sequence < 0:
            raise InviteError("sequence must be a whole number, 0 or more")
        for name in ("start", "end", "dtstamp", "recurrence_id"):
            _check_aware(name, getattr(self, name))
        for exdate in self.exdates:
            _check_aware("exdates", exdate)
        _check_choice("status", self.status, Status)
        if self.end <= self.start:
            raise InviteError(f"end {self.end} must be after start {self.start}")
        if self.url and not self.url.startswith(("https://", "http://")):
            raise InviteError(f"url {self.url!r} must start with https:// or http://")
        self._check_recurrence()
        emails = Counter(line.email.lower() for line in self.attendees)
        doubles = sorted(email for email, count in emails.items() if count > 1)
        if doubles:
            raise InviteError(f"attendees appear more than once: {', '.join(doubles)}")

    def _check_recurrence(self) -> None:
        if self.rrule is not None:
            _recurrence(self.rrule)
            if self.recurrence_id is not None:
                raise InviteError("an occurrence (recurrence_id) cannot have its own rrule")
        elif self.exdates:
            raise InviteError("exdates need an rrule")


def _recurrence(rrule: str) -> vRecur:
    """Parse an RRULE value such as "FREQ=WEEKLY;BYDAY=TU"."""
    try:
        rule: vRecur = vRecur.from_ical(rrule)
    except ValueError as exc:
        raise InviteError(f"rrule {rrule!r}: {exc}") from exc
    if "FREQ" not in rule:
        raise InviteError(f"rrule {rrule!r} has no FREQ")
    if "UNTIL" in rule and "COUNT" in rule:
        raise InviteError(f"rrule {rrule!r} has both UNTIL and COUNT")
    for until in rule.get("UNTIL", []):
        # With a DTSTART in a time zone, UNTIL must be in UTC (RFC 5545 3.3.10).
        if not isinstance(until, datetime) or until.utcoffset() is None:
            raise InviteError(f"rrule {rrule!r}: UNTIL must be a UTC time like 20261231T230000Z")
    return rule


def request(events: Sequence[EventData]) -> bytes:
    """METHOD:REQUEST: a new or changed meeting, a series with its overrides, or one occurrence."""
    _check_one_meeting(events)
    return _calendar(
        "REQUEST", [_vevent(event, event.status, _attendees(event)) for event in events]
    )


def cancel(events: Sequence[EventData]) -> bytes:
    """METHOD:CANCEL for the whole meeting (or one occurrence): STATUS:CANCELLED.

    The caller raises SEQUENCE and lists the attendees who get this message.
    """
    _check_one_meeting(events)
    return _calendar(
        "CANCEL", [_vevent(event, "CANCELLED", _attendees(event, rsvp=False)) for event in events]
    )


def uninvite(events: Sequence[EventData]) -> bytes:
    """METHOD:CANCEL to attendees removed from a meeting that goes on.

    `attendees` holds only the removed ones; STATUS is left out, as RFC 5546 3.2.5 requires
    when uninviting, so that clients do not read it as the meeting being called off.
    """
    _check_one_meeting(events)
    return _calendar(
        "CANCEL", [_vevent(event, None, _attendees(event, rsvp=False)) for event in events]
    )


def publish(events: Sequence[EventData]) -> bytes:
    """METHOD:PUBLISH for a personal feed: no ATTENDEE at all (RFC 5546 3.2.1, and privacy)."""
    _check_unique(events)
    return _calendar("PUBLISH", [_vevent(event, event.status, []) for event in events])


def _calendar(method: str, vevents: list[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    if vevents:
        calendar.add_component(amsterdam_vtimezone())
    for vevent in vevents:
        calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def _vevent(event: EventData, status: Status | None, attendees: list[vCalAddress]) -> Event:
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTAMP", event.dtstamp.astimezone(UTC).replace(microsecond=0))
    vevent.add("DTSTART", _local(event.start))
    vevent.add("DTEND", _local(event.end))
    if event.recurrence_id is not None:
        vevent.add("RECURRENCE-ID", _local(event.recurrence_id))
    if event.rrule is not None:
        vevent.add("RRULE", _recurrence(event.rrule))
    if event.exdates:
        vevent.add("EXDATE", [_local(exdate) for exdate in sorted(event.exdates)])
    vevent.add("SUMMARY", _text(event.summary))
    for name, value in (("DESCRIPTION", event.description), ("LOCATION", event.location)):
        if value:
            vevent.add(name, _text(value))
    if event.url:
        vevent.add("URL", event.url)
    if status is not None:
        vevent.add("STATUS", status)
    organizer = event.organizer
    vevent.add("ORGANIZER", vCalAddress.new(organizer.email, cn=_name(organizer.name) or None))
    for attendee in attendees:
        vevent.add("ATTENDEE", attendee)
    return vevent


def _attendees(event: EventData, *, rsvp: bool = True) -> list[vCalAddress]:
    return [
        vCalAddress.new(
            line.email,
            cn=_name(line.name) or None,
            cutype="INDIVIDUAL",
            role=line.role,
            partstat=line.partstat,
            rsvp=True if rsvp and line.rsvp else None,
        )
        for line in event.attendees
    ]


def _local(instant: datetime) -> datetime:
    return instant.astimezone(AMSTERDAM).replace(microsecond=0)


def _text(value: str) -> str:
    return _CONTROL.sub("", value)


def _name(value: str) -> str:
    """A display name as one line: CN is a parameter, which cannot hold line breaks."""
    return " ".join(_CONTROL.sub("", value).split())


def _check_email(email: str) -> None:
    if not _EMAIL.fullmatch(email):
        raise InviteError(f"{email!r} is not an email address")


def _check_choice(name: str, value: str, choices: Any) -> None:
    if value not in get_args(choices):
        raise InviteError(f"{name} {value!r} is not one of {', '.join(get_args(choices))}")


def _check_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise InviteError(f"{name} must be timezone-aware, got {value}")


def _check_one_meeting(events: Sequence[EventData]) -> None:
    """An iTIP message is about one meeting: one UID, a series and/or its occurrences."""
    if not events:
        raise InviteError("no events given")
    uids = {event.uid for event in events}
    if len(uids) > 1:
        raise InviteError(f"one message is about one meeting; got the UIDs {sorted(uids)}")
    _check_unique(events)


def _check_unique(events: Sequence[EventData]) -> None:
    """Events share a UID only as a series (with an RRULE) and its overridden occurrences."""
    keys = Counter((event.uid, event.recurrence_id) for event in events)
    doubles = sorted({uid for (uid, _), count in keys.items() if count > 1})
    if doubles:
        raise InviteError(f"the same event or occurrence appears twice: {doubles}")
    with_occurrences = {uid for uid, recurrence_id in keys if recurrence_id is not None}
    for event in events:
        if event.uid in with_occurrences and event.recurrence_id is None and event.rrule is None:
            raise InviteError(f"{event.uid}: occurrences given with a master that has no rrule")
