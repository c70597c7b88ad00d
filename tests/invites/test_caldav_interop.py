"""casetafel's iMIP calendars in a real CalDAV server (Radicale), stored as a client would.

The test plays the attendee's calendar client (tests/invites/caldav_itip.py): it removes
METHOD, applies the SEQUENCE rule, merges a moved occurrence into its series and PUTs the
result; then it asks the server what it understood: GET, calendar-query REPORT with a UTC
time-range (and expand), free-busy-query.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote
from uuid import uuid4

import httpx
import pytest
from icalendar import Calendar, Event

from casetafel.invites.calendar import EventData, cancel, publish, request
from tests.invites.caldav_client import ICS, CalendarCollection, Found, expect, unfold
from tests.invites.caldav_itip import receive, without_method
from tests.invites.caldav_server import radicale, require_radicale
from tests.invites.examples import ANNA, CHAIR, MARIEKE, meeting, series
from tests.invites.strict import assert_strict

HOUR = timedelta(hours=1)


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# Tuesday 1 December 2026, 10:00-11:00 in Amsterdam (CET): 09:00-10:00 UTC.
INVITE = meeting(uid="overleg-77@casetafel.example", start=utc(12, 1, 9), end=utc(12, 1, 10))
# Tuesdays 10:00 in Amsterdam, 6 October (CEST) to 8 December (CET), over the 25 October change.
WEEKLY = series(
    uid="triage-9@casetafel.example",
    start=utc(10, 6, 8),
    end=utc(10, 6, 9),
    rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=10",
)
OCCURRENCES = [
    *(utc(10, day, 8) for day in (6, 13, 20)),
    *(utc(10, 27, 9), utc(11, 3, 9), utc(11, 10, 9), utc(11, 17, 9), utc(11, 24, 9)),
    *(utc(12, 1, 9), utc(12, 8, 9)),
]
# Tuesday 10 November (10:00 CET) moves to Thursday 12 November 14:00 CET (13:00 UTC).
MOVED = replace(
    WEEKLY,
    rrule=None,
    sequence=1,
    recurrence_id=utc(11, 10, 9),
    start=utc(11, 12, 13),
    end=utc(11, 12, 14),
)


@pytest.fixture(scope="module")
def radicale_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_radicale()
    with radicale(tmp_path_factory.mktemp("radicale")) as url:
        yield url


@pytest.fixture
def calendar(radicale_url: str) -> Iterator[CalendarCollection]:
    """A new, empty calendar of user anna (authentication is off: any password passes)."""
    with httpx.Client(base_url=radicale_url, auth=("anna", "anna"), timeout=10) as http:
        yield CalendarCollection.create(http, f"/anna/{uuid4().hex}/")


def test_an_invite_is_stored_and_read_back_with_its_time_zone_and_attendees(
    calendar: CalendarCollection,
) -> None:
    message = request([INVITE])
    assert_strict(message)

    store(calendar, message, 201)

    stored = lines(stored_text(calendar, INVITE))
    assert {
        "UID:overleg-77@casetafel.example",
        "SEQUENCE:0",
        "DTSTART;TZID=Europe/Amsterdam:20261201T100000",
        "DTEND;TZID=Europe/Amsterdam:20261201T110000",
        "TZID:Europe/Amsterdam",
    } <= set(stored)
    assert not [line for line in stored if line.startswith("METHOD")]
    (event,) = events(stored_text(calendar, INVITE))
    attendees = {(a.email, a.CN, a.ROLE, a.PARTSTAT) for a in event.attendees}
    assert attendees == {(a.email, a.name, a.role, a.partstat) for a in (CHAIR, ANNA, MARIEKE)}


@pytest.mark.parametrize(
    ("start", "utc_hour"),
    [(utc(12, 1, 9), 9), (utc(7, 7, 8), 8)],
    ids=["1-december-CET", "7-july-CEST"],
)
def test_the_server_puts_10_00_amsterdam_at_the_right_utc_hour(
    calendar: CalendarCollection, start: datetime, utc_hour: int
) -> None:
    store(calendar, request([replace(INVITE, start=start, end=start + HOUR)]), 201)

    local = start.strftime("%Y%m%dT100000")
    assert f"DTSTART;TZID=Europe/Amsterdam:{local}" in lines(stored_text(calendar, INVITE))
    midnight = start.replace(hour=0)
    hours = range(6, 13)
    busy = [h for h in hours if calendar.query(midnight + h * HOUR, midnight + (h + 1) * HOUR)]
    assert busy == [utc_hour]


def test_an_update_replaces_the_meeting_and_a_late_older_message_does_not(
    calendar: CalendarCollection,
) -> None:
    old_slot = (utc(12, 1, 9), utc(12, 1, 10))
    new_slot = (utc(12, 3, 13), utc(12, 3, 14))  # Thursday 3 December 14:00 in Amsterdam
    store(calendar, request([INVITE]), 201)

    store(calendar, request([replace(INVITE, sequence=1, start=new_slot[0], end=new_slot[1])]), 204)

    assert names(calendar.query(*old_slot)) == []
    assert names(calendar.query(*new_slot)) == [resource(INVITE)]
    updated = calendar.get(resource(INVITE))
    assert updated is not None
    assert {"SEQUENCE:1", "DTSTART;TZID=Europe/Amsterdam:20261203T140000"} <= set(
        lines(updated.text)
    )

    assert receive(calendar, request([INVITE])) is None, "SEQUENCE 0 after 1 must be ignored"
    assert calendar.get(resource(INVITE)) == updated
    assert names(calendar.query(*old_slot)) == []


def test_a_cancel_marks_the_stored_meeting_cancelled_and_frees_its_time(
    calendar: CalendarCollection,
) -> None:
    day = (utc(12, 1, 6), utc(12, 1, 12))
    period = "20261201T090000Z/20261201T100000Z"
    store(calendar, request([INVITE]), 201)
    assert calendar.free_busy(*day) == [("BUSY", period)]

    store(calendar, cancel([replace(INVITE, sequence=2)]), 204)

    stored = set(lines(stored_text(calendar, INVITE)))
    assert {"UID:overleg-77@casetafel.example", "SEQUENCE:2", "STATUS:CANCELLED"} <= stored
    # Radicale keeps a cancelled event in calendar-query results (no STATUS filtering),
    # and free-busy reports its time as FREE.
    assert names(calendar.query(utc(12, 1, 9), utc(12, 1, 10))) == [resource(INVITE)]
    assert calendar.free_busy(*day) == [("FREE", period)]


def test_a_moved_occurrence_is_merged_into_its_series_across_the_dst_change(
    calendar: CalendarCollection,
) -> None:
    store(calendar, request([WEEKLY]), 201)
    message = request([MOVED])
    assert [(e.RECURRENCE_ID, e.rrules) for e in events(message)] == [(MOVED.recurrence_id, [])], (
        "the change to one occurrence is sent alone"
    )

    store(calendar, message, 204)

    stored = stored_text(calendar, WEEKLY)
    assert "RECURRENCE-ID;TZID=Europe/Amsterdam:20261110T100000" in lines(stored)
    assert [event.RECURRENCE_ID for event in events(stored)] == [None, MOVED.recurrence_id]
    # Without expand, the time-range applies the override and both UTC offsets.
    expected = {
        utc(11, 12, 13): True,  # the moved occurrence
        utc(11, 10, 9): False,  # its original time
        utc(10, 20, 8): True,  # 10:00 CEST
        utc(10, 20, 9): False,
        utc(10, 27, 9): True,  # 10:00 CET
        utc(10, 27, 8): False,
    }
    assert {start: bool(calendar.query(start, start + HOUR)) for start in expected} == expected

    expanded = calendar.query(utc(10, 1, 0), utc(12, 31, 0), expand=True)
    assert instances(expanded) == sorted(
        (start, MOVED.start if start == MOVED.recurrence_id else start) for start in OCCURRENCES
    )
    # Radicale 3.9.0's expand filters occurrences on their original time (RECURRENCE-ID):
    # the original slot yields the moved instance, with its new start; nothing starts there.
    original = calendar.query(utc(11, 10, 9), utc(11, 10, 10), expand=True)
    assert instances(original) == [(utc(11, 10, 9), utc(11, 12, 13))]


def test_a_feed_is_stored_as_calendar_objects_without_attendees(
    calendar: CalendarCollection,
) -> None:
    single = publish([INVITE])
    expect(calendar.put(resource(INVITE), without_method(single), etag=None), 201)
    assert "ATTENDEE" not in stored_text(calendar, INVITE)

    feed = publish([INVITE, WEEKLY, MOVED])
    # One calendar object holds one UID (RFC 4791 4.1): Radicale refuses the feed as one ...
    assert calendar.put("feed.ics", without_method(feed), etag=None).status_code == 400
    # ... but imports it, as sent, as a whole calendar: one object per UID, METHOD dropped.
    imported = CalendarCollection(calendar.http, f"/anna/{uuid4().hex}/")
    expect(calendar.http.put(imported.path, content=feed, headers={"Content-Type": ICS}), 201)
    found = imported.query(utc(1, 1, 0), utc(12, 31, 0))
    assert sorted(names(found)) == sorted([resource(INVITE), resource(WEEKLY)])
    assert sorted(len(events(item.data)) for item in found) == [1, 2]
    for item in found:
        assert "ATTENDEE" not in item.data
        assert not [line for line in lines(item.data) if line.startswith("METHOD")]


def store(calendar: CalendarCollection, message: bytes, status: int) -> None:
    response = receive(calendar, message)
    assert response is not None, "the client ignored the message"
    expect(response, status)


def resource(event: EventData) -> str:
    return f"{event.uid}.ics"


def stored_text(calendar: CalendarCollection, event: EventData) -> str:
    stored = calendar.get(resource(event))
    assert stored is not None, f"{resource(event)} is not on the server"
    return stored.text


def lines(text: str) -> list[str]:
    return unfold(text).splitlines()


def events(raw: str | bytes) -> list[Event]:
    return [c for c in Calendar.from_ical(raw).subcomponents if isinstance(c, Event)]


def names(found: list[Found]) -> list[str]:
    return [unquote(item.href.rsplit("/", 1)[1]) for item in found]


def instances(found: list[Found]) -> list[tuple[datetime, datetime]]:
    """(RECURRENCE-ID, DTSTART) in UTC of every expanded instance, sorted."""
    return sorted(
        (in_utc(event.RECURRENCE_ID), in_utc(event.start))
        for item in found
        for event in events(item.data)
    )


def in_utc(value: date | datetime | None) -> datetime:
    assert isinstance(value, datetime), f"not a date-time: {value!r}"
    return value.astimezone(UTC)
