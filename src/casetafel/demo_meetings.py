"""Demo data of the meetings domain: the region's participants who do not log in, a weekly
triage with referred cases, and case conferences for cases at the regional table. The
invites go to the outbox, so a newcomer sees them at the local mail sink (/dev/mail)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from casetafel import clock
from casetafel.access.policy import Actor
from casetafel.accounts.models import User
from casetafel.accounts.service import actor_for
from casetafel.cases.models import Case
from casetafel.escalation.config import EscalationConfig
from casetafel.meetings import referrals, service
from casetafel.meetings.config import load_meetings
from casetafel.meetings.context import MeetingContext
from casetafel.organisations import persons
from casetafel.organisations.service import load_directory
from casetafel.settings import Settings

CONFERENCES = 3
REFERRALS = 2


async def load(settings: Settings, escalation: EscalationConfig) -> None:
    coordinator = await _actor("coordinator")
    ctx = MeetingContext(
        settings=settings,
        meetings=load_meetings(settings.config_dir, escalation.ladder),
        escalation=escalation,
        directory=await load_directory(),
    )
    person_ids = [
        (await persons.create_person(coordinator, values)).id for values in persons.demo_persons()
    ]
    await _triage(coordinator, person_ids, ctx)
    await _conferences(coordinator, person_ids, ctx)


async def _triage(coordinator: Actor, person_ids: list[int], ctx: MeetingContext) -> None:
    tuesday = _next_weekday(clock.today() + timedelta(days=1), 1)
    start = _at(tuesday, time(10))
    attendees = [
        service.AttendeeChoice("chair", user_id=coordinator.user_id),
        service.AttendeeChoice("required", user_id=(await _actor("politie")).user_id),
        service.AttendeeChoice("required", user_id=(await _actor("reclassering")).user_id),
        *(service.AttendeeChoice("optional", person_id=pid) for pid in person_ids[:2]),
    ]
    await service.plan_meeting(
        coordinator,
        service.MeetingDraft(
            kind="triage",
            title="Wekelijkse triage ZVH Kennemerland",
            start=start,
            end=start + timedelta(hours=2),
            attendees=attendees,
            location="Zorg- en Veiligheidshuis Kennemerland, Haarlem",
            rrule="FREQ=WEEKLY;BYDAY=TU",
        ),
        ctx,
    )
    for case in await _open_cases("local", REFERRALS):
        await referrals.refer_to_next(
            coordinator, case.reference, "triage", "Kan de regio helpen met huisvesting?", ctx
        )


async def _conferences(coordinator: Actor, person_ids: list[int], ctx: MeetingContext) -> None:
    day = clock.add_working_days(clock.today(), 2)
    for index, case in enumerate(await _open_cases("regional", CONFERENCES)):
        start = _at(day, time(9 + 2 * index))
        await service.plan_meeting(
            coordinator,
            service.MeetingDraft(
                kind="casusoverleg",
                title=f"Casusoverleg {case.reference}",
                start=start,
                end=start + timedelta(minutes=90),
                attendees=[
                    service.AttendeeChoice("chair", user_id=coordinator.user_id),
                    service.AttendeeChoice("required", user_id=(await _actor("politie")).user_id),
                    service.AttendeeChoice(
                        "required", person_id=person_ids[index % len(person_ids)]
                    ),
                ],
                cases=[service.AgendaEntry(case.reference, "Welke gemeente biedt een woning?")],
                location="Zorg- en Veiligheidshuis Kennemerland, Haarlem",
                level="regional",
            ),
            ctx,
        )


async def _open_cases(level: str, count: int) -> list[Case]:
    rows: list[Case] = (
        await Case.objects()
        .where((Case.level == level) & (Case.status == "open"))
        .order_by(Case.id)
        .limit(count)
    )
    return rows


async def _actor(username: str) -> Actor:
    user = await User.objects().where(User.username == username).first()
    assert user is not None
    return await actor_for(user)


def _next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clock.AMSTERDAM)
