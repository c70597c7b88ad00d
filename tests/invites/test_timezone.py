"""The hand-written VTIMEZONE must give the same offsets as the tz database, in both parsers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
import vobject

from casetafel.invites.calendar import request
from casetafel.invites.timezone import amsterdam_vtimezone
from tests.invites.examples import MEETING

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _instants(first_year: int, last_year: int) -> Iterator[datetime]:
    """Mid-month noons, and every half hour around both changes of each year."""
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            yield datetime(year, month, 15, 12, tzinfo=UTC)
        for month in (3, 10):
            sunday = _last_sunday(year, month)
            start = datetime(sunday.year, sunday.month, sunday.day, tzinfo=UTC) - timedelta(days=1)
            yield from (start + timedelta(minutes=30 * step) for step in range(96))


def _icalendar_zone() -> tzinfo:
    zone: tzinfo = amsterdam_vtimezone().to_tz(lookup_tzid=False)
    return zone


def _vobject_zone() -> tzinfo:
    zone: tzinfo = vobject.readOne(request([MEETING]).decode()).vtimezone.gettzinfo()
    return zone


@pytest.mark.parametrize("read", [_icalendar_zone, _vobject_zone], ids=["icalendar", "vobject"])
def test_vtimezone_matches_the_tz_database(read: Callable[[], tzinfo]) -> None:
    zone = read()
    wrong = [
        instant
        for instant in _instants(2024, 2045)
        if instant.astimezone(zone).utcoffset() != instant.astimezone(AMSTERDAM).utcoffset()
    ]
    assert wrong == []


def test_vtimezone_names_the_zone_that_dtstart_refers_to() -> None:
    raw = request([MEETING])
    assert b"TZID:Europe/Amsterdam\r\n" in raw
    assert b"DTSTART;TZID=Europe/Amsterdam:" in raw
