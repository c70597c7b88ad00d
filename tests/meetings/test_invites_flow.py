"""Planning, moving, uninviting and cancelling a case conference: what every attendee
receives at a real SMTP server, parsed with icalendar and vobject and checked strictly."""

from __future__ import annotations

from datetime import date

import pytest

from casetafel.access.models import AuditEvent
from casetafel.cases import service as cases
from casetafel.cases.models import TimelineEvent
from casetafel.errors import Conflict, ValidationFailed
from casetafel.meetings import service
from casetafel.meetings.models import Attendee, Meeting
from casetafel.organisations.models import Organisation, Person
from tests.conftest import velsen_case
from tests.invites.readers import events, read_both, vevents
from tests.invites.strict import assert_no_personal_data, assert_strict
from tests.meetings.conftest import calendar_of, deliver, local

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
        assert message.get_content_type() == "multipart/mixed"
        alternative = message.get_body(("plain",))
        assert alternative is not None and case.reference in alternative.get_content()
        raw = calendar_of(message)
        assert_strict(raw)
        assert_no_personal_data(message.as_bytes(), PRIVATE)
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
        calendar, _ = read_both(calendar_of(message))
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
    removed_calendar, _ = read_both(calendar_of(by_recipient["politie@example.test"]))
    assert str(removed_calendar["METHOD"]) == "CANCEL"
    [removed_event] = events(removed_calendar)
    assert "STATUS" not in removed_event and int(removed_event["SEQUENCE"]) == 2
    assert str(removed_event["ATTENDEE"]).lower() == "mailto:politie@example.test"
    update, _ = read_both(calendar_of(by_recipient["coordinator@example.test"]))
    [update_event] = events(update)
    assert str(update["METHOD"]) == "REQUEST" and int(update_event["SEQUENCE"]) == 2
    assert len(update_event["ATTENDEE"]) == 2
    assert len(after_removal) == 3

    await service.cancel_meeting(coordinator, meeting.id, expected_version=None, ctx=ctx)
    cancelled = await deliver(ctx, smtp_server)
    assert sorted(str(m["To"]) for m in cancelled) == [
        "coordinator@example.test",
        "n.jansen@reclassering.example.nl",
    ]
    for message in cancelled:
        raw = calendar_of(message)
        assert_strict(raw)
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
