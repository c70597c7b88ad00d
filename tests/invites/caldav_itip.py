"""What the receiving calendar client does with an iTIP message before storing it over CalDAV.

- A stored calendar object has no METHOD (RFC 4791 4.1): the client removes that line only.
- A message replaces what is stored only when its SEQUENCE is higher (RFC 5546 2.1.5); an
  older message that arrives late is ignored.
- A message about one occurrence (RECURRENCE-ID) is merged into the object that holds the
  series, since one resource holds all components of a UID (RFC 4791 4.1).
- A CANCEL of the meeting or of one occurrence (STATUS:CANCELLED) is stored like an update:
  the event stays, marked cancelled. A CANCEL of the whole event without STATUS tells this
  attendee they are no longer invited (RFC 5546 3.2.5): the client deletes the event (`apply`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from icalendar import Calendar, Event

from tests.invites.caldav_client import CalendarCollection

# RECURRENCE-ID in UTC; None for a single event or the master of a series.
Key = datetime | None
_METHOD = re.compile(rb"^METHOD:[^\r\n]*\r\n", re.MULTILINE)


def resource_name(message: bytes) -> str:
    uids = {vevent.uid for vevent in _vevents(message).values()}
    assert len(uids) == 1, f"one message is about one UID, got {uids}"
    return f"{uids.pop()}.ics"


def receive(calendar: CalendarCollection, message: bytes) -> httpx.Response | None:
    """Store `message` as a client would: the PUT's response, or None when it was ignored."""
    name = resource_name(message)
    current = calendar.get(name)
    updated = incoming(current.text.encode() if current else None, message)
    if updated is None:
        return None
    return calendar.put(name, updated, etag=current.etag if current else None)


def apply(calendar: CalendarCollection, message: bytes) -> httpx.Response | None:
    """Any message of the organiser, as a client handles it: an uninvite deletes the event,
    everything else is stored by `receive`. None when the message was ignored (not newer)."""
    if not is_uninvite(message):
        return receive(calendar, message)
    name = resource_name(message)
    current = calendar.get(name)
    if current is None or incoming(current.text.encode(), message) is None:
        return None
    return calendar.delete(name, etag=current.etag)


def is_uninvite(message: bytes) -> bool:
    """METHOD:CANCEL for the whole event without STATUS: only this attendee is taken off."""
    calendar = Calendar.from_ical(message)
    if str(calendar.get("METHOD", "")).upper() != "CANCEL":
        return False
    events = _vevents(message)
    return None in events and all("STATUS" not in event for event in events.values())


def incoming(stored: bytes | None, message: bytes) -> bytes | None:
    """The object to store after `message`, or None when the message is not newer."""
    if stored is None:
        return without_method(message)
    old, new = _vevents(stored), _vevents(message)
    for key, vevent in new.items():
        # A first change to one occurrence is compared with the series it comes from.
        current = old.get(key, old.get(None))
        if current is not None and vevent.sequence <= current.sequence:
            return None
    if old.keys() <= new.keys():
        return without_method(message)
    calendar = Calendar.from_ical(stored)
    calendar.subcomponents = [
        component
        for component in calendar.subcomponents
        if not (isinstance(component, Event) and _key(component) in new)
    ]
    for vevent in new.values():
        calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def without_method(message: bytes) -> bytes:
    stored, count = _METHOD.subn(b"", message)
    assert count == 1, f"expected one METHOD line, found {count}"
    return stored


def _vevents(raw: bytes) -> dict[Key, Event]:
    events = [c for c in Calendar.from_ical(raw).subcomponents if isinstance(c, Event)]
    return {_key(vevent): vevent for vevent in events}


def _key(vevent: Event) -> Key:
    recurrence_id = vevent.RECURRENCE_ID
    if recurrence_id is None:
        return None
    assert isinstance(recurrence_id, datetime), f"{vevent.uid}: a whole-day RECURRENCE-ID"
    return recurrence_id.astimezone(UTC)
