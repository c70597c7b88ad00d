"""Helpers of the agenda tests (no tests here): a standing Tuesday triage, a single case
conference, a new case, and a clock set in Amsterdam time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from casetafel import clock
from casetafel.access.policy import Actor
from casetafel.cases import service as cases
from casetafel.meetings import service
from casetafel.meetings.context import MeetingContext
from tests.conftest import Users, velsen_case
from tests.meetings.conftest import local

# The tests start on Wednesday 25 November 2026, 09:00 (tests/meetings/conftest.py).
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
NEXT_TUESDAY = TUESDAY + timedelta(days=7)


def set_local(day: date, hour: int, minute: int = 0) -> datetime:
    moment = local(day, hour, minute)
    clock.set_clock(lambda: moment)
    return moment


async def standing_triage(users: Users, ctx: MeetingContext, *, title: str = "") -> int:
    """The region's weekly triage: Tuesdays 10:00-12:00 from 1 December, the coordinator
    chairs and the police attends."""
    coordinator = users.actors["coordinator"]
    draft = service.MeetingDraft(
        kind="triage",
        title=title or "Wekelijkse triage Kennemerland",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 12),
        attendees=[
            service.AttendeeChoice("chair", user_id=coordinator.user_id),
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
        ],
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    return (await service.plan_meeting(coordinator, draft, ctx)).meeting_id


async def conference(
    users: Users, ctx: MeetingContext, *, level: str | None, day: date = TUESDAY
) -> int:
    coordinator = users.actors["coordinator"]
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title="Casusoverleg Zorg- en Veiligheidshuis",
        start=local(day, 14),
        end=local(day, 15, 30),
        attendees=[
            service.AttendeeChoice("chair", user_id=coordinator.user_id),
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
        ],
        level=level,
    )
    return (await service.plan_meeting(coordinator, draft, ctx)).meeting_id


async def new_case(actor: Actor, ctx: MeetingContext, **values: object) -> cases.CaseView:
    return await cases.create_case(
        actor, velsen_case(**values), ctx.directory, ctx.escalation.ladder
    )
