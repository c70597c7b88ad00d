"""Read a calendar with two parsers: icalendar (what casetafel uses) and vobject."""

from __future__ import annotations

from typing import Any

import vobject
from icalendar import Calendar, Event

from tests.invites.strict import assert_strict


def read_both(raw: bytes) -> tuple[Calendar, Any]:
    """Strict-check `raw`, then parse it twice; vobject is untyped, hence Any."""
    assert_strict(raw)
    return Calendar.from_ical(raw), vobject.readOne(raw.decode("utf-8"))


def events(calendar: Calendar) -> list[Event]:
    return [component for component in calendar.subcomponents if isinstance(component, Event)]


def vevents(calendar: Any) -> list[Any]:
    return list(calendar.contents.get("vevent", []))


def params(line: Any) -> dict[str, str]:
    """vobject's parameters, one value each, e.g. {"CN": "Anna", "RSVP": "TRUE"}."""
    return {key: ",".join(values) for key, values in line.params.items()}
