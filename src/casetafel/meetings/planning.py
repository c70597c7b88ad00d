"""Proposing times for a case conference: the attendees' other casetafel meetings are their
busy time; the slot finder ranks what is left within working hours on working days."""

from __future__ import annotations

from datetime import datetime, timedelta

from casetafel import clock
from casetafel.access.policy import Actor
from casetafel.errors import ValidationFailed
from casetafel.meetings.access import require_planner
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.queries import busy_of
from casetafel.meetings.service import AttendeeChoice
from casetafel.meetings.slots import SlotAttendee, SlotSearch, find_slots

MAX_WINDOW = timedelta(days=92)


async def propose(
    actor: Actor,
    choices: list[AttendeeChoice],
    duration: timedelta,
    window_start: datetime,
    window_end: datetime,
    ctx: MeetingContext,
) -> SlotSearch:
    require_planner(actor)
    errors: dict[str, str] = {}
    if not choices:
        errors["attendees"] = "Kies eerst de deelnemers; dan zoekt casetafel een tijdstip."
    if not timedelta(minutes=15) <= duration <= timedelta(hours=8):
        errors["duration"] = "Kies een duur van een kwartier tot acht uur."
    if window_end <= window_start:
        errors["window_end"] = "Het einde van de zoekperiode ligt voor het begin."
    elif window_end - window_start > MAX_WINDOW:
        errors["window_end"] = "Zoek binnen hooguit drie maanden."
    if errors:
        raise ValidationFailed(errors)
    start = max(window_start, clock.now())
    busy = await busy_of(choices, start, window_end)
    attendees = [
        SlotAttendee(key=_key(choice), required=choice.role != "optional", busy=busy[_key(choice)])
        for choice in choices
    ]
    return find_slots(
        attendees,
        duration,
        start,
        window_end,
        day_start=ctx.settings.working_hours_start,
        day_end=ctx.settings.working_hours_end,
    )


def _key(choice: AttendeeChoice) -> str:
    return f"user:{choice.user_id}" if choice.user_id is not None else f"person:{choice.person_id}"
