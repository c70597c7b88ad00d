"""Standing meetings (a moved or cancelled occurrence goes out alone), and answers: the RSVP
link, an iMIP REPLY from a calendar client (once, never raising SEQUENCE, an old one
ignored), a malformed REPLY, and proposed slots that avoid other meetings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casetafel import clock
from casetafel.cases import service as cases
from casetafel.errors import Conflict, ValidationFailed
from casetafel.meetings import planning, rsvp, series, service
from casetafel.meetings.messages import rsvp_token
from casetafel.meetings.models import Attendee, Meeting, Occurrence, OccurrenceReply
from tests.conftest import velsen_case
from tests.invites.readers import events, read_both
from tests.invites.strict import assert_strict
from tests.meetings.conftest import calendar_of, deliver, imip_calendar, local, plan_weekly_triage

TUESDAY = date(2026, 12, 1)


async def single(users, directory, ladder, ctx):  # type: ignore[no-untyped-def]
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title=f"Casusoverleg {case.reference}",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 11),
        attendees=[
            service.AttendeeChoice("chair", user_id=users.actors["coordinator"].user_id),
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
        ],
        cases=[service.AgendaEntry(case.reference)],
    )
    result = await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    return await Meeting.objects().where(Meeting.id == result.meeting_id).first()


async def test_a_series_is_one_weekly_event_across_the_dst_change(users, ctx, smtp_server):
    meeting = await plan_weekly_triage(users, ctx)
    [message, *_] = await deliver(ctx, smtp_server)
    raw = calendar_of(message)
    assert_strict(raw)
    calendar, vcal = read_both(raw)
    [event] = events(calendar)
    assert "FREQ=WEEKLY" in event["RRULE"].to_ical().decode()
    # vobject expands it in Amsterdam time: 10:00 local in winter and in summer.
    starts = list(vcal.vevent.getrruleset())[:30]
    assert {start.hour for start in starts} == {10}
    assert any(start.utcoffset() == timedelta(hours=2) for start in starts)
    assert str(event["UID"]) == meeting.uid


async def test_moving_one_occurrence_sends_it_alone_with_its_own_sequence(users, ctx, smtp_server):
    meeting = await plan_weekly_triage(users, ctx)
    await deliver(ctx, smtp_server)
    second = local(TUESDAY + timedelta(days=7), 10)
    await series.move_occurrence(
        users.actors["coordinator"],
        meeting.id,
        second,
        start=local(TUESDAY + timedelta(days=8), 13),
        end=local(TUESDAY + timedelta(days=8), 15),
        expected_version=None,
        ctx=ctx,
    )
    moved = await deliver(ctx, smtp_server)
    assert len(moved) == 2
    for message in moved:
        raw = calendar_of(message)
        assert_strict(raw)
        calendar, _ = read_both(raw)
        [event] = events(calendar)  # the occurrence alone, no master beside it
        assert str(calendar["METHOD"]) == "REQUEST" and "RRULE" not in event
        assert event.decoded("RECURRENCE-ID").astimezone(UTC) == second
        assert event.decoded("DTSTART").hour == 13 and int(event["SEQUENCE"]) == 1
    await series.cancel_occurrence(
        users.actors["coordinator"], meeting.id, second, expected_version=None, ctx=ctx
    )
    cancelled = await deliver(ctx, smtp_server)
    assert sorted(str(m["To"]) for m in cancelled) == [
        "coordinator@example.test",
        "politie@example.test",
    ]
    for message in cancelled:
        calendar, _ = read_both(imip_calendar(message, "CANCEL"))
        [event] = events(calendar)
        assert str(calendar["METHOD"]) == "CANCEL" and int(event["SEQUENCE"]) == 2
        assert str(event["STATUS"]) == "CANCELLED" and "RRULE" not in event
        assert event.decoded("RECURRENCE-ID").astimezone(UTC) == second
    with pytest.raises(Conflict):
        await series.cancel_occurrence(
            users.actors["coordinator"], meeting.id, second, expected_version=None, ctx=ctx
        )
    with pytest.raises(ValidationFailed):  # not a Tuesday 10:00 of the series
        await series.cancel_occurrence(
            users.actors["coordinator"],
            meeting.id,
            local(TUESDAY + timedelta(days=1), 10),
            expected_version=None,
            ctx=ctx,
        )


async def test_a_change_of_the_series_resends_a_moved_occurrence_with_a_higher_sequence(
    users, ctx, smtp_server
):
    meeting = await plan_weekly_triage(users, ctx)
    coordinator = users.actors["coordinator"]
    second = local(TUESDAY + timedelta(days=7), 10)
    await series.move_occurrence(
        coordinator,
        meeting.id,
        second,
        start=local(TUESDAY + timedelta(days=8), 13),
        end=local(TUESDAY + timedelta(days=8), 15),
        expected_version=None,
        ctx=ctx,
    )
    await deliver(ctx, smtp_server)  # the occurrence alone, SEQUENCE 1
    velsen = service.AttendeeChoice("optional", user_id=users.actors["velsen"].user_id)
    await service.add_attendee(coordinator, meeting.id, velsen, expected_version=None, ctx=ctx)
    received = await deliver(ctx, smtp_server)
    assert len(received) == 3
    for message in received:
        calendar, _ = read_both(imip_calendar(message, "REQUEST"))
        master, moved = events(calendar)
        assert "RRULE" in master and int(master["SEQUENCE"]) == 1
        assert moved.decoded("RECURRENCE-ID").astimezone(UTC) == second
        assert moved.decoded("DTSTART").hour == 13
        # Above the 1 the attendees hold for it, or their clients keep the old copy.
        assert int(moved["SEQUENCE"]) == 2
        assert len(moved["ATTENDEE"]) == 3
    assert (await Occurrence.objects().first()).sequence == 2
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    await service.remove_attendee(
        coordinator, meeting.id, politie.id, expected_version=None, ctx=ctx
    )
    for message in await deliver(ctx, smtp_server):
        method = "CANCEL" if str(message["To"]) == "politie@example.test" else "REQUEST"
        calendar, _ = read_both(imip_calendar(message, method))
        master, moved = events(calendar)
        assert (int(master["SEQUENCE"]), int(moved["SEQUENCE"])) == (2, 3)


async def test_the_rsvp_link_records_an_answer_and_refuses_tampering(users, directory, ladder, ctx):
    meeting = await single(users, directory, ladder, ctx)
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    token = rsvp_token(meeting, politie, ctx)
    view = await rsvp.answer_by_link(token, "tentative", "Vervanger komt mogelijk", ctx)
    assert view.attendee.partstat == "tentative" and view.attendee.comment.startswith("Vervanger")
    assert (await Meeting.objects().first()).sequence == 0  # an answer never raises it
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(rsvp.InvalidLink, match="ongeldig"):
        await rsvp.open_link(tampered, ctx)
    with pytest.raises(ValidationFailed):
        await rsvp.answer_by_link(token, "maybe", "", ctx)
    clock.set_clock(lambda: local(TUESDAY + timedelta(days=3), 9))
    with pytest.raises(rsvp.ExpiredLink, match="verlopen"):
        await rsvp.open_link(token, ctx)


def mailed(calendar: bytes, sender: str) -> bytes:
    """The REPLY as its client mails it to the organiser's mailbox."""
    return (
        f"From: {sender}\r\nTo: zvh@kennemerland.example.nl\r\nSubject: Antwoord\r\n"
        'MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REPLY; charset="utf-8"\r\n\r\n'
    ).encode() + calendar


def reply_for(
    meeting: Meeting,
    email: str,
    partstat: str,
    sequence: int,
    stamp: datetime,
    sent_by: str = "",
) -> bytes:
    """A REPLY as a calendar client writes it (built here, sent as the client would)."""
    delegate = f';SENT-BY="mailto:{sent_by}"' if sent_by else ""
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Client//EN\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{meeting.uid}\r\nSEQUENCE:{sequence}\r\nDTSTAMP:{stamp:%Y%m%dT%H%M%SZ}\r\n"
        f"DTSTART:{meeting.start_at.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"ATTENDEE;PARTSTAT={partstat};CN=Politie{delegate}:mailto:{email}\r\n"
        f"ORGANIZER:mailto:{meeting.organizer_email}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return text.encode()


async def test_a_reply_is_applied_once_and_an_old_one_is_ignored(users, directory, ladder, ctx):
    meeting = await single(users, directory, ladder, ctx)
    stamp = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    accepted = reply_for(meeting, "POLITIE@example.test", "ACCEPTED", 0, stamp)
    first = await rsvp.apply_reply(accepted, ctx)
    assert first.outcome == "applied" and "komt" in first.message
    again = await rsvp.apply_reply(accepted, ctx)
    assert again.outcome == "ignored"
    assert await rsvp.handle_inbound(mailed(accepted, "politie@example.test"), ctx) == "ignored"
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    assert politie.partstat == "accepted"
    # The meeting moves (SEQUENCE 1): the answer to version 0 no longer counts.
    await service.reschedule(
        users.actors["coordinator"],
        meeting.id,
        start=local(TUESDAY, 14),
        end=local(TUESDAY, 15),
        location="",
        video_url="",
        expected_version=None,
        ctx=ctx,
    )
    late = reply_for(meeting, "politie@example.test", "DECLINED", 0, stamp + timedelta(hours=1))
    assert (await rsvp.apply_reply(late, ctx)).outcome == "ignored"
    politie = await Attendee.objects().where(Attendee.id == politie.id).first()
    assert politie.partstat == "needs-action"
    fresh = reply_for(meeting, "politie@example.test", "DECLINED", 1, stamp + timedelta(hours=2))
    assert await rsvp.handle_inbound(mailed(fresh, "politie@example.test"), ctx) == "applied"
    assert (await Meeting.objects().first()).sequence == 1
    stranger = reply_for(meeting, "iemand@elders.example", "ACCEPTED", 1, stamp)
    assert (await rsvp.apply_reply(stranger, ctx)).outcome == "ignored"


async def test_a_mailed_reply_counts_only_from_its_attendee_or_their_delegate(
    users, directory, ladder, ctx
):
    meeting = await single(users, directory, ladder, ctx)
    others = [a.email for a in await Attendee.objects() if a.email != "politie@example.test"]
    stamp = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    declined = reply_for(meeting, "politie@example.test", "DECLINED", 0, stamp)
    # Another attendee (who knows the UID from their own invitation), a bare .ics without
    # a sender, and a From with two addresses answer nothing.
    for raw in (
        mailed(declined, others[0]),
        declined,
        mailed(declined, f"politie@example.test, {others[0]}"),
    ):
        assert await rsvp.handle_inbound(raw, ctx) == "ignored"
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    assert politie.partstat == "needs-action"
    # The attendee, written as mail clients do, counts.
    assert (
        await rsvp.handle_inbound(mailed(declined, '"Politie" <Politie@Example.test>'), ctx)
        == "applied"
    )
    # So does the delegate the REPLY names in SENT-BY.
    later = reply_for(
        meeting,
        "politie@example.test",
        "ACCEPTED",
        0,
        stamp + timedelta(hours=1),
        sent_by="secretariaat@example.test",
    )
    assert await rsvp.handle_inbound(mailed(later, "secretariaat@example.test"), ctx) == "applied"
    politie = await Attendee.objects().where(Attendee.id == politie.id).first()
    assert politie.partstat == "accepted"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"dit is geen agenda",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ],
)
async def test_a_malformed_reply_is_refused_in_dutch_and_changes_nothing(
    raw, users, directory, ladder, ctx
):
    await single(users, directory, ladder, ctx)
    with pytest.raises(ValidationFailed) as failure:
        await rsvp.apply_reply(raw, ctx)
    assert failure.value.errors["reply"]
    assert await rsvp.handle_inbound(raw, ctx) == "ignored"
    assert {a.partstat for a in await Attendee.objects()} == {"needs-action"}


async def test_a_reply_for_one_occurrence_answers_that_occurrence_only(users, ctx):
    meeting = await plan_weekly_triage(users, ctx)
    second = local(TUESDAY + timedelta(days=7), 10)
    text = reply_for(meeting, "politie@example.test", "DECLINED", 0, clock.now()).decode()
    text = text.replace(
        "DTSTART:", f"RECURRENCE-ID:{second.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\nDTSTART:"
    )
    assert (await rsvp.apply_reply(text.encode(), ctx)).outcome == "applied"
    [answer] = await OccurrenceReply.objects()
    assert answer.partstat == "declined" and answer.recurrence_id == second
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    assert politie.partstat == "needs-action"


async def test_proposed_slots_avoid_other_meetings_and_say_why_there_are_none(
    users, directory, ladder, ctx
):
    await single(users, directory, ladder, ctx)  # Tuesday 10-11 with the police
    choices = [
        service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
        service.AttendeeChoice("optional", user_id=users.actors["velsen"].user_id),
    ]
    search = await planning.propose(
        users.actors["coordinator"],
        choices,
        timedelta(hours=1),
        local(TUESDAY, 0),
        local(TUESDAY + timedelta(days=1), 0),
        ctx,
    )
    assert search.slots
    for slot in search.slots:
        assert slot.end <= local(TUESDAY, 10) or slot.start >= local(TUESDAY, 11)
    assert search.slots[0].start == local(TUESDAY, 8, 30)
    busy_all_day = service.MeetingDraft(
        kind="casusoverleg",
        title="Hele dag",
        start=local(TUESDAY, 11),
        end=local(TUESDAY, 17, 30),
        attendees=[service.AttendeeChoice("required", user_id=users.actors["politie"].user_id)],
    )
    morning = service.MeetingDraft(
        kind="casusoverleg",
        title="Ochtend",
        start=local(TUESDAY, 8, 30),
        end=local(TUESDAY, 10),
        attendees=[service.AttendeeChoice("required", user_id=users.actors["politie"].user_id)],
    )
    for draft in (busy_all_day, morning):
        await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    none = await planning.propose(
        users.actors["coordinator"],
        choices,
        timedelta(hours=1),
        local(TUESDAY, 0),
        local(TUESDAY + timedelta(days=1), 0),
        ctx,
    )
    assert none.slots == [] and "bezet" in none.reason
    assert none.blocking == (f"user:{users.actors['politie'].user_id}",)
    with pytest.raises(ValidationFailed):
        await planning.propose(
            users.actors["coordinator"],
            [],
            timedelta(hours=1),
            *(local(TUESDAY, 0), local(TUESDAY, 12)),
            ctx,
        )


async def test_an_attendee_list_with_an_attendee_twice_is_refused(users, directory, ladder, ctx):
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title="Dubbel",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 11),
        attendees=[
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
            service.AttendeeChoice("optional", user_id=users.actors["politie"].user_id),
        ],
    )
    with pytest.raises(ValidationFailed, match="Dubbel uitgenodigd"):
        await service.plan_meeting(users.actors["coordinator"], draft, ctx)


async def test_a_monthly_regiegroep_meeting_on_the_first_tuesday(users, ctx, smtp_server):
    from casetafel.meetings.forms import PlanForm, rrule_of
    from casetafel.meetings.queries import upcoming_occurrences

    errors: dict[str, str] = {}
    start = local(TUESDAY, 13)  # Tuesday 1 December 2026: the first Tuesday
    rule = rrule_of(PlanForm({"repeat": "monthly"}), start, errors)
    assert rule == "FREQ=MONTHLY;BYDAY=1TU" and not errors
    draft = service.MeetingDraft(
        kind="regiegroep-overleg",
        title="Overleg landelijke regiegroep",
        start=start,
        end=start + timedelta(hours=2),
        attendees=[service.AttendeeChoice("required", user_id=users.actors["regiegroep"].user_id)],
        rrule=rule,
    )
    result = await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    meeting = await Meeting.objects().where(Meeting.id == result.meeting_id).first()
    starts = [o.start_at for o in await upcoming_occurrences(meeting, clock.now(), count=4)]
    assert [clock.local(s).date() for s in starts] == [
        date(2026, 12, 1),
        date(2027, 1, 5),
        date(2027, 2, 2),
        date(2027, 3, 2),
    ]
    assert {clock.local(s).hour for s in starts} == {13}
    last = rrule_of(PlanForm({"repeat": "monthly"}), local(date(2026, 12, 29), 10), {})
    assert last == "FREQ=MONTHLY;BYDAY=-1TU"
