"""Example meetings for the invites tests: build one and change what a test is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from casetafel.invites.calendar import AttendeeLine, EventData, Party

ORGANIZER = Party("casetafel@zvh-kennemerland.example", "ZVH Kennemerland")
CHAIR = AttendeeLine("coordinator@zvh-kennemerland.example", "Coördinator ZVH", "CHAIR", "ACCEPTED")
ANNA = AttendeeLine(
    "a.pietersen@haarlem.example", "Pietersen, Anna", "REQ-PARTICIPANT", "NEEDS-ACTION"
)
MARIEKE = AttendeeLine(
    "m.jansen@reclassering.example", "Marieke Jansen", "OPT-PARTICIPANT", "TENTATIVE"
)

MEETING = EventData(
    uid="overleg-42@casetafel.example",
    sequence=0,
    # 09:00-10:30 in Amsterdam (CET).
    start=datetime(2026, 3, 17, 8, 0, tzinfo=UTC),
    end=datetime(2026, 3, 17, 9, 30, tzinfo=UTC),
    summary="Casusoverleg ZVH-2026-0042",
    description="Agenda en stukken: https://casetafel.example/overleg/42",
    location="Zorg- en Veiligheidshuis Kennemerland, Haarlem",
    url="https://casetafel.example/overleg/42",
    organizer=ORGANIZER,
    attendees=(CHAIR, ANNA, MARIEKE),
    dtstamp=datetime(2026, 3, 10, 9, 15, 30, 123456, tzinfo=UTC),
)

# Every Tuesday 09:00 Amsterdam time, from before the March DST change to after October's.
SERIES = replace(
    MEETING,
    uid="triage-7@casetafel.example",
    summary="Wekelijkse triage ZVH Kennemerland",
    rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20261231T230000Z",
)


def meeting(**changes: Any) -> EventData:
    return replace(MEETING, **changes)


def series(**changes: Any) -> EventData:
    return replace(SERIES, **changes)
