"""Planning, moving, uninviting and cancelling a case conference: what every attendee
receives at a real SMTP server, parsed with icalendar and vobject and checked strictly."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from casetafel.access.models import AuditEvent
from casetafel.cases import service as cases
from casetafel.cases.models import TimelineEvent
from casetafel.errors import Conflict, ValidationFailed
from casetafel.mail.models import OutboxMessage
from casetafel.meetings import service
from casetafel.meetings.models import Attendee, Meeting
from casetafel.organisations.models import Organisation, Person
from tests.conftest import velsen_case
from tests.invites.readers import events, read_both, vevents
from tests.invites.strict import assert_no_personal_data_in_mail, assert_strict
from tests.meetings.conftest import deliver, imip_calendar, local

TUESDAY = date(2026, 12, 1)
PRIVATE = ["J. Testpersoon", "Testpersoon", "1980-05-17", "17-05-1980", "Zedendelinquent"]


async def person(name: str, email: str, organisation_key: str = "reclassering-nederland") -> int:
    organisation = await Organisation.objects().where(Organisation.key == organisation_key).first()
    row = Person(name=name, email=email, function="Casusregisseur", organisation=organisation.id)
    await row.save()
    return row.id


@pytest.fixture
async def planned(users, directory, ladder, ctx):  # type: ignore[no-untyped-def]
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    reclassering = await person("Noor Jansen", "n.jansen@reclassering.example.nl")
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title=f"Casusoverleg {case.reference}",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 11, 30),
        location="Zorg- en Veiligheidshuis, Haarlem",
        attendees=[
            service.AttendeeChoice("chair", user_id=users.actors["coordinator"].user_id),
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
            service.AttendeeChoice("optional", person_id=reclassering),
        ],
        cases=[service.AgendaEntry(case.reference, "Waar kan betrokkene wonen?")],
        level="local",
    )
    result = await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    return case, result


async def test_every_attendee_gets_a_request_that_clients_accept(planned, ctx, smtp_server):
    case, result = planned
    assert result.warnings == []
    messages = await deliver(ctx, smtp_server)
    assert sorted(str(m["To"]) for m in messages) == sorted(
        ["coordinator@example.test", "politie@example.test", "n.jansen@reclassering.example.nl"]
    )
    meeting = await Meeting.objects().first()
    for message in messages:
        raw = imip_calendar(message, "REQUEST")
        alternative = message.get_body(("plain",))
        assert alternative is not None and case.reference in alternative.get_content()
        assert (
            str(message["Subject"])
            .strip()
            .startswith(f"Uitnodiging: Casusoverleg {case.reference}")
        )
        assert_strict(raw)
        assert_no_personal_data_in_mail(message, PRIVATE)
        calendar, vcal = read_both(raw)
        assert str(calendar["METHOD"]) == "REQUEST"
        [event] = events(calendar)
        assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 0
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert event.decoded("DTSTART").hour == 10
        assert str(event["ORGANIZER"]) == "mailto:zvh@kennemerland.example.nl"
        attendees = {str(a).lower(): dict(a.params) for a in event["ATTENDEE"]}
        assert attendees["mailto:politie@example.test"]["ROLE"] == "REQ-PARTICIPANT"
        assert attendees["mailto:politie@example.test"]["RSVP"] == "TRUE"
        assert attendees["mailto:coordinator@example.test"]["ROLE"] == "CHAIR"
        assert attendees["mailto:n.jansen@reclassering.example.nl"]["CN"] == "Noor Jansen"
        assert all(p["PARTSTAT"] == "NEEDS-ACTION" for p in attendees.values())
        [vevent] = vevents(vcal)
        assert vevent.uid.value == meeting.uid
        assert "/rsvp/" in str(event["URL"])
    assert len({m["Message-ID"] for m in messages}) == 3
    planned_event = (
        await TimelineEvent.objects().where(TimelineEvent.kind == "meeting.planned").first()
    )
    assert "Casusoverleg (ICO) gepland op dinsdag 1 december 2026" in planned_event.summary
    assert await AuditEvent.count().where(AuditEvent.action == "meeting.plan") == 1


async def test_moving_uninviting_and_cancelling_raise_the_sequence(
    planned, users, ctx, smtp_server
):
    await deliver(ctx, smtp_server)
    meeting = await Meeting.objects().first()
    coordinator = users.actors["coordinator"]

    await service.reschedule(
        coordinator,
        meeting.id,
        start=local(TUESDAY, 14),
        end=local(TUESDAY, 15),
        location="Online",
        video_url="https://video.example.nl/zvh-42",
        expected_version=meeting.version,
        ctx=ctx,
    )
    moved = await deliver(ctx, smtp_server)
    assert len(moved) == 3
    for message in moved:
        calendar, _ = read_both(imip_calendar(message, "REQUEST"))
        assert_no_personal_data_in_mail(message, PRIVATE)
        [event] = events(calendar)
        assert (str(calendar["METHOD"]), int(event["SEQUENCE"])) == ("REQUEST", 1)
        assert str(event["UID"]) == meeting.uid and event.decoded("DTSTART").hour == 14
        assert "https://video.example.nl/zvh-42" in str(event["LOCATION"])

    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    await service.remove_attendee(
        coordinator, meeting.id, politie.id, expected_version=None, ctx=ctx
    )
    after_removal = await deliver(ctx, smtp_server)
    by_recipient = {str(m["To"]): m for m in after_removal}
    uninvite = by_recipient["politie@example.test"]
    assert str(uninvite["Subject"]).strip().startswith("Afgemeld: ")
    removed_calendar, _ = read_both(imip_calendar(uninvite, "CANCEL"))
    assert str(removed_calendar["METHOD"]) == "CANCEL"
    [removed_event] = events(removed_calendar)
    assert "STATUS" not in removed_event and int(removed_event["SEQUENCE"]) == 2
    assert str(removed_event["ATTENDEE"]).lower() == "mailto:politie@example.test"
    update, _ = read_both(imip_calendar(by_recipient["coordinator@example.test"], "REQUEST"))
    [update_event] = events(update)
    assert str(update["METHOD"]) == "REQUEST" and int(update_event["SEQUENCE"]) == 2
    assert len(update_event["ATTENDEE"]) == 2
    assert len(after_removal) == 3
    for message in after_removal:
        assert_no_personal_data_in_mail(message, PRIVATE)

    await service.cancel_meeting(coordinator, meeting.id, expected_version=None, ctx=ctx)
    cancelled = await deliver(ctx, smtp_server)
    assert sorted(str(m["To"]) for m in cancelled) == [
        "coordinator@example.test",
        "n.jansen@reclassering.example.nl",
    ]
    for message in cancelled:
        raw = imip_calendar(message, "CANCEL")
        assert_strict(raw)
        assert_no_personal_data_in_mail(message, PRIVATE)
        calendar, _ = read_both(raw)
        [event] = events(calendar)
        assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) == 3 and str(event["UID"]) == meeting.uid
    with pytest.raises(Conflict):
        await service.cancel_meeting(coordinator, meeting.id, expected_version=None, ctx=ctx)
    # Nothing is sent twice: the outbox had each message once.
    assert await deliver(ctx, smtp_server) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": local(TUESDAY, 9)}, "end"),
        ({"start": local(date(2026, 11, 20), 10), "end": local(date(2026, 11, 20), 11)}, "start"),
        ({"title": "Overleg over J. Testpersoon"}, "title"),
        ({"title": "Overleg over de man van 17-05-1980"}, "title"),
        ({"title": "Overleg 17-5-1980"}, "title"),
        ({"title": "Overleg (geb. 1980-05-17)"}, "title"),
        ({"location": "Bij Testpersoon thuis, Velsen"}, "location"),
        ({"location": "Spreekkamer 2, dossier 17-05-1980"}, "location"),
        ({"video_url": "https://video.example.nl/testpersoon"}, "video_url"),
        ({"video_url": "https://video.example.nl/17-5-1980"}, "video_url"),
        ({"title": ""}, "title"),
        ({"attendees": []}, "attendees"),
        ({"video_url": "zoom"}, "video_url"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=TU"}, "rrule"),
        ({"kind": "borrel"}, "kind"),
    ],
)
async def test_bad_drafts_are_refused_and_nothing_is_sent(
    change, field, users, directory, ladder, ctx, smtp_server
):
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    values = {
        "kind": "casusoverleg",
        "title": f"Casusoverleg {case.reference}",
        "start": local(TUESDAY, 10),
        "end": local(TUESDAY, 11),
        "attendees": [service.AttendeeChoice("required", user_id=users.actors["politie"].user_id)],
        "cases": [service.AgendaEntry(case.reference)],
        **change,
    }
    with pytest.raises(ValidationFailed) as failure:
        await service.plan_meeting(users.actors["coordinator"], service.MeetingDraft(**values), ctx)
    assert field in failure.value.errors
    assert await Meeting.count() == 0
    assert await deliver(ctx, smtp_server) == []


async def test_an_attendee_without_email_cannot_be_invited(users, directory, ladder, ctx):
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    nobody = await person("Zonder Adres", "")
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title="Casusoverleg",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 11),
        attendees=[service.AttendeeChoice("required", person_id=nobody)],
        cases=[service.AgendaEntry(case.reference)],
    )
    with pytest.raises(ValidationFailed) as failure:
        await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    assert "geen e-mailadres" in failure.value.errors["attendees"]


async def test_outside_working_hours_is_allowed_with_a_warning(users, directory, ladder, ctx):
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title="Avondoverleg",
        start=local(TUESDAY, 19),
        end=local(TUESDAY, 20),
        attendees=[service.AttendeeChoice("required", user_id=users.actors["politie"].user_id)],
        cases=[service.AgendaEntry(case.reference)],
    )
    result = await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    assert result.warnings and "buiten de werktijden" in result.warnings[0]


async def test_the_personal_data_refusal_names_the_field(users, directory, ladder, ctx):
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title="Casusoverleg 17-5-1980",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 11),
        location="Bij J. Testpersoon",
        video_url="https://video.example.nl/1980-05-17",
        attendees=[service.AttendeeChoice("required", user_id=users.actors["politie"].user_id)],
        cases=[service.AgendaEntry(case.reference)],
    )
    with pytest.raises(ValidationFailed) as failure:
        await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    errors = failure.value.errors
    assert errors["title"].startswith(f"De titel noemt de betrokkene van casus {case.reference}")
    assert errors["location"].startswith("De locatie noemt de betrokkene")
    assert errors["video_url"].startswith("De videolink noemt de betrokkene")
    # Other dates, and names of people who are not the subject, are fine.
    fine = dataclasses.replace(
        draft,
        title=f"Casusoverleg {case.reference} van 01-12-2026",
        location="Kamer Jansen",
        video_url="",
    )
    await service.plan_meeting(users.actors["coordinator"], fine, ctx)


async def test_a_new_place_naming_the_subject_is_refused(planned, users, ctx, smtp_server):
    await deliver(ctx, smtp_server)
    meeting = await Meeting.objects().first()
    for place in (
        {"location": "Woning Testpersoon"},
        {"video_url": "https://v.example.nl/17-05-1980"},
    ):
        values = {"location": "", "video_url": "", **place}
        with pytest.raises(ValidationFailed) as failure:
            await service.reschedule(
                users.actors["coordinator"],
                meeting.id,
                start=local(TUESDAY, 14),
                end=local(TUESDAY, 15),
                expected_version=None,
                ctx=ctx,
                **values,
            )
        [field] = place
        assert "noemt de betrokkene" in failure.value.errors[field]
    assert (await Meeting.objects().first()).sequence == 0
    assert await deliver(ctx, smtp_server) == []


async def test_a_cancelled_meeting_cannot_be_moved(planned, users, ctx, smtp_server):
    coordinator = users.actors["coordinator"]
    meeting = await Meeting.objects().first()
    await service.cancel_meeting(coordinator, meeting.id, expected_version=None, ctx=ctx)
    await deliver(ctx, smtp_server)
    queued = await OutboxMessage.count()
    with pytest.raises(Conflict, match="geannuleerd"):
        await service.reschedule(
            coordinator,
            meeting.id,
            start=local(TUESDAY, 14),
            end=local(TUESDAY, 15),
            location="Elders",
            video_url="",
            expected_version=None,
            ctx=ctx,
        )
    after = await Meeting.objects().first()
    assert (after.start_at, after.location, after.sequence, after.status) == (
        meeting.start_at,
        meeting.location,
        1,
        "cancelled",
    )
    assert await OutboxMessage.count() == queued
    assert await deliver(ctx, smtp_server) == []


async def test_an_added_attendee_is_invited_and_the_others_get_an_update(
    planned, users, ctx, smtp_server
):
    case, _ = planned
    await deliver(ctx, smtp_server)
    meeting = await Meeting.objects().first()
    await Attendee.update({Attendee.partstat: "accepted"}).where(
        Attendee.email == "politie@example.test"
    )
    velsen = users.actors["velsen"].user_id
    await service.add_attendee(
        users.actors["coordinator"],
        meeting.id,
        service.AttendeeChoice("optional", user_id=velsen),
        expected_version=meeting.version,
        ctx=ctx,
    )
    received = {str(m["To"]): m for m in await deliver(ctx, smtp_server)}
    assert sorted(received) == [
        "coordinator@example.test",
        "n.jansen@reclassering.example.nl",
        "politie@example.test",
        "velsen@example.test",
    ]
    for recipient, message in received.items():
        calendar, _ = read_both(imip_calendar(message, "REQUEST"))
        assert_no_personal_data_in_mail(message, PRIVATE)
        [event] = events(calendar)
        assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 1
        attendees = {str(a).lower(): a.params for a in event["ATTENDEE"]}
        assert len(attendees) == 4
        assert attendees["mailto:velsen@example.test"]["ROLE"] == "OPT-PARTICIPANT"
        assert attendees["mailto:politie@example.test"]["PARTSTAT"] == "ACCEPTED"
        subject = str(message["Subject"]).strip()
        text = message.get_body(("plain",)).get_content()
        if recipient == "velsen@example.test":
            assert subject.startswith(f"Uitnodiging: Casusoverleg {case.reference}")
            assert "U bent uitgenodigd" in text
        else:
            assert subject.startswith(f"Gewijzigd: Casusoverleg {case.reference}")
            assert "is gewijzigd" in text
    assert (await Meeting.objects().first()).sequence == 1
    assert await AuditEvent.count().where(AuditEvent.action == "meeting.attendee_add") == 1


async def test_adding_an_attendee_twice_or_to_a_cancelled_meeting_sends_nothing(
    planned, users, ctx, smtp_server
):
    coordinator = users.actors["coordinator"]
    await deliver(ctx, smtp_server)
    meeting = await Meeting.objects().first()
    politie = service.AttendeeChoice("optional", user_id=users.actors["politie"].user_id)
    with pytest.raises(ValidationFailed, match="al uitgenodigd"):
        await service.add_attendee(coordinator, meeting.id, politie, expected_version=None, ctx=ctx)
    await service.cancel_meeting(coordinator, meeting.id, expected_version=None, ctx=ctx)
    await deliver(ctx, smtp_server)
    velsen = service.AttendeeChoice("optional", user_id=users.actors["velsen"].user_id)
    with pytest.raises(Conflict, match="geannuleerd"):
        await service.add_attendee(coordinator, meeting.id, velsen, expected_version=None, ctx=ctx)
    assert await Attendee.count() == 3
    assert await deliver(ctx, smtp_server) == []
