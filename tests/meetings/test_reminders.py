"""Reminders before each meeting: due a configured number of working days before the start at
the same local time, sent once, caught up after downtime for what still lies ahead, and
received at a real SMTP server without personal data."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from casetafel import clock
from casetafel.cases import service as cases
from casetafel.meetings import jobs, rsvp, series, service
from casetafel.meetings.messages import rsvp_token
from casetafel.meetings.models import Attendee, Meeting, OccurrenceReply
from casetafel.meetings.reminders import horizon, reminder_moment, send_reminders
from casetafel.organisations.models import Organisation, Person
from tests.conftest import velsen_case
from tests.invites.strict import assert_no_personal_data_in_mail
from tests.meetings.conftest import deliver, local
from tests.test_cli_database import cli

TUESDAY = date(2026, 12, 1)
MONDAY = date(2026, 11, 30)
PRIVATE = ["J. Testpersoon", "Testpersoon", "1980-05-17", "17-05-1980", "Zedendelinquent"]
EVERYONE = ["coordinator@example.test", "n.jansen@reclassering.example.nl", "politie@example.test"]
NINE = time(9, 0)


def at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


async def noor() -> int:
    organisation = (
        await Organisation.objects().where(Organisation.key == "reclassering-nederland").first()
    )
    person = Person(
        name="Noor Jansen",
        email="n.jansen@reclassering.example.nl",
        function="Casusregisseur",
        organisation=organisation.id,
    )
    await person.save()
    return person.id


async def plan(users, ctx, start, end, *, kind="casusoverleg", rrule=None, reference=None):  # type: ignore[no-untyped-def]
    """A meeting of the coordinator (chair), the police and a person; its invites delivered."""
    draft = service.MeetingDraft(
        kind=kind,
        title=f"Casusoverleg {reference}" if reference else "Casusoverleg",
        start=start,
        end=end,
        attendees=[
            service.AttendeeChoice("chair", user_id=users.actors["coordinator"].user_id),
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
            service.AttendeeChoice("optional", person_id=await noor()),
        ],
        cases=[service.AgendaEntry(reference)] if reference else [],
        rrule=rrule,
    )
    result = await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    return result.meeting_id


@pytest.fixture
async def tuesday(users, ctx, smtp_server, directory, ladder):  # type: ignore[no-untyped-def]
    """Tuesday 1 December 2026, 10:00-11:30, about the Velsen case; invites already sent."""
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    meeting_id = await plan(
        users, ctx, local(TUESDAY, 10), local(TUESDAY, 11, 30), reference=case.reference
    )
    await deliver(ctx, smtp_server)
    return meeting_id


def recipients(messages) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(str(m["To"]) for m in messages)


def with_days(ctx, days: int):  # type: ignore[no-untyped-def]
    return dataclasses.replace(
        ctx, meetings=dataclasses.replace(ctx.meetings, reminder_working_days_before=days)
    )


# --- the moment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "moment"),
    [
        (local(TUESDAY, 10), 1, local(MONDAY, 10)),
        (local(date(2026, 12, 7), 10), 1, local(date(2026, 12, 4), 10)),  # Monday -> Friday
        (local(date(2026, 12, 5), 10), 1, local(date(2026, 12, 4), 10)),  # Saturday -> Friday
        # Christmas Day 2026 is a Friday: Monday 28 December -> Thursday 24 December.
        (local(date(2026, 12, 28), 10), 1, local(date(2026, 12, 24), 10)),
        (local(date(2026, 12, 29), 14, 30), 2, local(date(2026, 12, 24), 14, 30)),
        # Across the change to summer time the local hour stays.
        (local(date(2026, 3, 30), 10), 1, local(date(2026, 3, 27), 10)),
        # 0 working days: the start of the working day itself (or the start, when earlier).
        (local(TUESDAY, 10), 0, local(TUESDAY, 9)),
        (local(TUESDAY, 8), 0, local(TUESDAY, 8)),
    ],
)
def test_the_reminder_moment_counts_working_days_at_the_same_local_time(start, days, moment):
    assert reminder_moment(start, days, NINE) == moment


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    days=st.integers(min_value=0, max_value=10),
)
def test_the_query_window_never_misses_a_due_reminder(start, now, days):
    start_at = start.replace(tzinfo=clock.AMSTERDAM).astimezone(UTC)
    now_at = now.replace(tzinfo=clock.AMSTERDAM).astimezone(UTC)
    if reminder_moment(start_at, days, NINE) <= now_at:
        assert start_at < horizon(now_at, days)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(MONDAY, 9, 59), []),
        (local(MONDAY, 10), EVERYONE),
        (local(TUESDAY, 9, 59), EVERYONE),  # late (the job was down), but still ahead
        (local(TUESDAY, 10), []),  # started: too late for a reminder
    ],
)
async def test_a_reminder_goes_out_one_working_day_before(
    tuesday, ctx, smtp_server, moment, expected
):
    at(moment)
    assert await send_reminders(ctx) == len(expected)
    received = await deliver(ctx, smtp_server)
    assert recipients(received) == expected


async def test_the_reminder_names_time_case_and_link_but_no_personal_data(
    tuesday, ctx, smtp_server
):
    at(local(MONDAY, 10))
    await send_reminders(ctx)
    received = await deliver(ctx, smtp_server)
    meeting = await Meeting.objects().where(Meeting.id == tuesday).first()
    for message in received:
        assert str(message["Subject"]).strip().startswith("Herinnering: Casusoverleg KEN-")
        assert "dinsdag 1 december 2026, 10:00-11:30" in str(message["Subject"])
        assert all(part.get_content_type() != "text/calendar" for part in message.walk())
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        attendee = await Attendee.objects().where(Attendee.email == str(message["To"])).first()
        assert f"{ctx.settings.base_url}/rsvp/{rsvp_token(meeting, attendee, ctx)}" in text
        assert_no_personal_data_in_mail(message, PRIVATE)


async def test_a_monday_meeting_is_reminded_on_the_friday_before(users, ctx, smtp_server):
    monday = date(2026, 12, 7)
    await plan(users, ctx, local(monday, 10), local(monday, 11))
    await deliver(ctx, smtp_server)
    at(local(date(2026, 12, 4), 9, 59))
    assert await send_reminders(ctx) == 0
    at(local(date(2026, 12, 4), 10))
    assert await send_reminders(ctx) == 3


async def test_a_public_holiday_moves_the_reminder_a_day_earlier(users, ctx, smtp_server):
    await plan(users, ctx, local(date(2026, 12, 28), 10), local(date(2026, 12, 28), 11))
    await deliver(ctx, smtp_server)
    at(local(date(2026, 12, 24), 9, 59))
    assert await send_reminders(ctx) == 0
    at(local(date(2026, 12, 24), 10))
    assert await send_reminders(ctx) == 3
    assert recipients(await deliver(ctx, smtp_server)) == EVERYONE


# --- series ---------------------------------------------------------------------------------


async def test_a_series_is_reminded_per_occurrence_and_not_for_a_cancelled_one(
    users, ctx, smtp_server
):
    """Tuesdays and Thursdays from 1 December; with three working days' notice, on Monday
    30 November both the Tuesday and the Thursday are due, but the Tuesday is cancelled."""
    ctx = with_days(ctx, 3)
    meeting_id = await plan(
        users,
        ctx,
        local(TUESDAY, 10),
        local(TUESDAY, 12),
        kind="triage",
        rrule="FREQ=WEEKLY;BYDAY=TU,TH",
    )
    await series.cancel_occurrence(
        users.actors["coordinator"],
        meeting_id,
        local(TUESDAY, 10),
        expected_version=None,
        ctx=ctx,
    )
    await deliver(ctx, smtp_server)
    at(local(MONDAY, 10))
    assert await send_reminders(ctx) == 3
    received = await deliver(ctx, smtp_server)
    assert recipients(received) == EVERYONE
    assert all("donderdag 3 december 2026, 10:00-12:00" in str(m["Subject"]) for m in received)
    assert await send_reminders(ctx) == 0


async def test_a_moved_occurrence_is_reminded_at_its_new_time(users, ctx, smtp_server):
    meeting_id = await plan(
        users, ctx, local(TUESDAY, 10), local(TUESDAY, 12), kind="triage", rrule="FREQ=WEEKLY"
    )
    await series.move_occurrence(
        users.actors["coordinator"],
        meeting_id,
        local(TUESDAY, 10),
        start=local(date(2026, 12, 2), 14),
        end=local(date(2026, 12, 2), 16),
        expected_version=None,
        ctx=ctx,
    )
    await deliver(ctx, smtp_server)
    at(local(MONDAY, 10))
    assert await send_reminders(ctx) == 0
    at(local(TUESDAY, 14))
    assert await send_reminders(ctx) == 3
    received = await deliver(ctx, smtp_server)
    assert all("woensdag 2 december 2026, 14:00-16:00" in str(m["Subject"]) for m in received)


async def test_an_answer_for_one_occurrence_overrides_the_answer_to_the_series(
    users, ctx, smtp_server
):
    await plan(
        users, ctx, local(TUESDAY, 10), local(TUESDAY, 12), kind="triage", rrule="FREQ=WEEKLY"
    )
    await deliver(ctx, smtp_server)
    police = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    noor_row = await Attendee.objects().where(Attendee.email == EVERYONE[1]).first()
    await Attendee.update({Attendee.partstat: "declined"}).where(Attendee.id == police.id)
    for attendee, answer in ((police, "accepted"), (noor_row, "declined")):
        await OccurrenceReply(
            attendee=attendee.id,
            recurrence_id=local(TUESDAY, 10),
            partstat=answer,
            responded_at=clock.now(),
        ).save()
    at(local(MONDAY, 10))
    assert await send_reminders(ctx) == 2
    assert recipients(await deliver(ctx, smtp_server)) == [EVERYONE[0], EVERYONE[2]]


# --- who gets one ---------------------------------------------------------------------------


async def test_an_attendee_who_declined_gets_no_reminder(tuesday, ctx, smtp_server):
    meeting = await Meeting.objects().where(Meeting.id == tuesday).first()
    police = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    await rsvp.answer_by_link(rsvp_token(meeting, police, ctx), "declined", "", ctx)
    await deliver(ctx, smtp_server)  # the organiser hears of the answer
    at(local(MONDAY, 10))
    await send_reminders(ctx)
    assert recipients(await deliver(ctx, smtp_server)) == [EVERYONE[0], EVERYONE[1]]


async def test_a_removed_attendee_gets_no_reminder(tuesday, users, ctx, smtp_server):
    police = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    await service.remove_attendee(
        users.actors["coordinator"], tuesday, police.id, expected_version=None, ctx=ctx
    )
    await deliver(ctx, smtp_server)
    at(local(MONDAY, 10))
    await send_reminders(ctx)
    assert recipients(await deliver(ctx, smtp_server)) == [EVERYONE[0], EVERYONE[1]]


async def test_a_cancelled_meeting_gets_no_reminder(tuesday, users, ctx, smtp_server):
    await service.cancel_meeting(
        users.actors["coordinator"], tuesday, expected_version=None, ctx=ctx
    )
    await deliver(ctx, smtp_server)
    at(local(MONDAY, 10))
    assert await send_reminders(ctx) == 0


# --- once, and catching up ------------------------------------------------------------------


async def test_two_rounds_send_each_reminder_once(tuesday, ctx, smtp_server):
    at(local(MONDAY, 10))
    assert await send_reminders(ctx) == 3
    at(local(MONDAY, 10, 5))
    assert await send_reminders(ctx) == 0
    assert recipients(await deliver(ctx, smtp_server)) == EVERYONE
    assert await send_reminders(ctx) == 0
    assert await deliver(ctx, smtp_server) == []


async def test_after_downtime_only_what_lies_ahead_is_reminded(users, ctx, smtp_server):
    await plan(users, ctx, local(TUESDAY, 10), local(TUESDAY, 11))
    thursday = date(2026, 12, 3)
    await plan(users, ctx, local(thursday, 10), local(thursday, 11))
    await deliver(ctx, smtp_server)
    # Down from Monday morning to Wednesday noon: Tuesday is past, Thursday still ahead.
    at(local(date(2026, 12, 2), 12))
    assert await send_reminders(ctx) == 3
    received = await deliver(ctx, smtp_server)
    assert all("donderdag 3 december" in str(m["Subject"]) for m in received)


async def test_a_moved_meeting_is_reminded_of_its_new_time(tuesday, users, ctx, smtp_server):
    at(local(MONDAY, 10))
    assert await send_reminders(ctx) == 3
    await deliver(ctx, smtp_server)
    thursday = date(2026, 12, 3)
    at(local(MONDAY, 11))
    await service.reschedule(
        users.actors["coordinator"],
        tuesday,
        start=local(thursday, 10),
        end=local(thursday, 11),
        location="",
        video_url="",
        expected_version=None,
        ctx=ctx,
    )
    await deliver(ctx, smtp_server)
    assert await send_reminders(ctx) == 0
    at(local(date(2026, 12, 2), 10))
    assert await send_reminders(ctx) == 3
    received = await deliver(ctx, smtp_server)
    assert all("donderdag 3 december 2026, 10:00-11:00" in str(m["Subject"]) for m in received)


async def test_a_meeting_moved_before_its_reminder_is_reminded_once_at_the_new_time(
    tuesday, users, ctx, smtp_server
):
    wednesday = date(2026, 12, 9)
    await service.reschedule(
        users.actors["coordinator"],
        tuesday,
        start=local(wednesday, 10),
        end=local(wednesday, 11),
        location="",
        video_url="",
        expected_version=None,
        ctx=ctx,
    )
    await deliver(ctx, smtp_server)
    at(local(MONDAY, 10))
    assert await send_reminders(ctx) == 0
    at(local(date(2026, 12, 8), 10))
    assert await send_reminders(ctx) == 3


# --- the job and the command ----------------------------------------------------------------


async def test_the_job_runs_every_five_minutes_and_never_raises(tuesday, ctx, smtp_server):
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs.register(scheduler, lambda: ctx)
    job = scheduler.get_job("meetings.reminders")
    assert job.trigger.interval == timedelta(minutes=5)

    def broken():  # type: ignore[no-untyped-def]
        raise RuntimeError("no context")

    await jobs.remind(broken)
    at(local(MONDAY, 10))
    await jobs.remind(lambda: ctx)
    assert recipients(await deliver(ctx, smtp_server)) == EVERYONE


async def test_the_command_runs_one_round(tuesday, database_url):
    round_one = cli(database_url, "send-reminders", "--now", "2026-11-30T10:00+01:00")
    assert round_one.returncode == 0, round_one.stderr
    assert "3 queued" in round_one.stdout
    round_two = cli(database_url, "send-reminders", "--now", "2026-11-30T10:05+01:00")
    assert "0 queued" in round_two.stdout
    early = cli(database_url, "send-reminders", "--now", "2026-11-30T10:00")
    assert early.returncode == 2 and "time zone" in early.stderr
