"""The invites casetafel really emails, in a real CalDAV server (Radicale).

A case conference and a standing triage are planned and changed through the meetings
service; the outbox sends to a real SMTP server; the text/calendar part each attendee got is
applied to that attendee's own calendar on Radicale as a calendar client does
(tests/invites/caldav_itip.py: PUT by UID, an update replaces, a CANCEL marks cancelled, an
uninvite deletes). Then the test reads back what Radicale stores and finds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from uuid import uuid4

import httpx
import pytest
from icalendar import Calendar, Event

from casetafel.cases import service as cases
from casetafel.ladder import Ladder
from casetafel.meetings import series, service
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Attendee, Meeting
from casetafel.organisations.models import Organisation, Person
from casetafel.organisations.service import Directory
from tests.conftest import Users, velsen_case
from tests.invites.caldav_client import CalendarCollection, Found, expect, unfold
from tests.invites.caldav_itip import apply
from tests.invites.caldav_server import radicale, require_radicale
from tests.meetings.conftest import deliver, imip_calendar, local, plan_weekly_triage
from tests.support.smtp import SmtpServer

TUESDAY = date(2026, 12, 1)
HOUR = timedelta(hours=1)
POLITIE = "politie@example.test"
NOOR = "n.jansen@reclassering.example.nl"
TZ = "TZID=Europe/Amsterdam"


@pytest.fixture(scope="module")
def radicale_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_radicale()
    with radicale(tmp_path_factory.mktemp("radicale")) as url:
        yield url


@pytest.fixture
def http(radicale_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=radicale_url, auth=("deelnemer", "x"), timeout=10) as client:
        yield client


class Inboxes:
    """One Radicale calendar per followed attendee, fed with what the outbox delivers."""

    def __init__(self, http: httpx.Client, ctx: MeetingContext, smtp: SmtpServer) -> None:
        self.http, self.ctx, self.smtp = http, ctx, smtp
        self.calendars: dict[str, CalendarCollection] = {}
        self.history: dict[str, list[bytes]] = {}

    def follow(self, *emails: str) -> None:
        for email in emails:
            path = f"/deelnemer/{uuid4().hex}/"
            self.calendars[email] = CalendarCollection.create(self.http, path)
            self.history[email] = []

    async def receive(self, methods: dict[str, str]) -> dict[str, int]:
        """Deliver the outbox and apply each followed attendee's invite to their calendar;
        `methods` names the METHOD each of them must get. The status of each PUT or DELETE."""
        statuses: dict[str, int] = {}
        for message in await deliver(self.ctx, self.smtp):
            recipient = str(message["To"])
            if recipient in self.calendars:
                assert recipient in methods, f"{recipient} got an unexpected message"
                statuses[recipient] = self._apply(recipient, message, methods[recipient])
        assert statuses.keys() == methods.keys()
        return statuses

    def _apply(self, recipient: str, message: EmailMessage, method: str) -> int:
        calendar = imip_calendar(message, method)
        self.history[recipient].append(calendar)
        response = apply(self.calendars[recipient], calendar)
        assert response is not None, f"the client of {recipient} ignored the {method}"
        return expect(response, 200, 201, 204).status_code

    def stored(self, email: str, uid: str) -> list[str]:
        """The unfolded lines Radicale returns for the meeting in this attendee's calendar."""
        found = self.calendars[email].get(f"{uid}.ics")
        assert found is not None, f"{uid} is not in the calendar of {email}"
        return unfold(found.text).splitlines()

    def gone(self, email: str, uid: str) -> bool:
        return self.calendars[email].get(f"{uid}.ics") is None

    def at(self, email: str, start: datetime, end: datetime) -> list[Found]:
        return self.calendars[email].query(start, end)


@pytest.fixture
def inboxes(http: httpx.Client, ctx: MeetingContext, smtp_server: SmtpServer) -> Inboxes:
    return Inboxes(http, ctx, smtp_server)


async def reclassering_person() -> int:
    organisation = (
        await Organisation.objects().where(Organisation.key == "reclassering-nederland").first()
    )
    assert organisation is not None
    row = Person(
        name="Noor Jansen", email=NOOR, function="Casusregisseur", organisation=organisation.id
    )
    await row.save()
    return row.id


async def plan_case_conference(
    users: Users, directory: Directory, ladder: Ladder, ctx: MeetingContext
) -> Meeting:
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title=f"Casusoverleg {case.reference}",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 11, 30),
        location="Zorg- en Veiligheidshuis, Haarlem",
        attendees=[
            service.AttendeeChoice("chair", user_id=users.actors["coordinator"].user_id),
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
            service.AttendeeChoice("optional", person_id=await reclassering_person()),
        ],
        cases=[service.AgendaEntry(case.reference, "Waar kan betrokkene wonen?")],
        level="local",
    )
    result = await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    meeting = await Meeting.objects().where(Meeting.id == result.meeting_id).first()
    assert meeting is not None
    return meeting


def has(lines: list[str], *expected: str) -> bool:
    return set(expected) <= set(lines)


async def test_a_planned_moved_uninvited_and_cancelled_conference_in_radicale(
    users: Users, directory: Directory, ladder: Ladder, ctx: MeetingContext, inboxes: Inboxes
) -> None:
    inboxes.follow(POLITIE, NOOR)
    meeting = await plan_case_conference(users, directory, ladder, ctx)
    uid, coordinator = meeting.uid, users.actors["coordinator"]
    first_slot = (local(TUESDAY, 10), local(TUESDAY, 11, 30))

    assert await inboxes.receive({POLITIE: "REQUEST", NOOR: "REQUEST"}) == {POLITIE: 201, NOOR: 201}
    for email in (POLITIE, NOOR):
        stored = inboxes.stored(email, uid)
        assert has(stored, f"UID:{uid}", "SEQUENCE:0", f"DTSTART;{TZ}:20261201T100000")
        assert has(stored, f"DTEND;{TZ}:20261201T113000", "TZID:Europe/Amsterdam")
        assert "STATUS:CONFIRMED" in stored
        assert not [line for line in stored if line.startswith("METHOD")]
        assert len(inboxes.at(email, *first_slot)) == 1

    # Moved to 14:00: the REQUEST with SEQUENCE 1 replaces the stored event.
    await service.reschedule(
        coordinator,
        meeting.id,
        start=local(TUESDAY, 14),
        end=local(TUESDAY, 15),
        location="Online",
        video_url="https://video.example.nl/zvh-42",
        expected_version=None,
        ctx=ctx,
    )
    assert await inboxes.receive({POLITIE: "REQUEST", NOOR: "REQUEST"}) == {POLITIE: 204, NOOR: 204}
    for email in (POLITIE, NOOR):
        stored = inboxes.stored(email, uid)
        assert has(stored, f"UID:{uid}", "SEQUENCE:1", f"DTSTART;{TZ}:20261201T140000")
        assert not [line for line in stored if line.startswith(f"DTSTART;{TZ}:20261201T10")]
        assert inboxes.at(email, *first_slot) == []
        assert len(inboxes.at(email, local(TUESDAY, 14), local(TUESDAY, 15))) == 1
    # The first invite arriving late (SEQUENCE 0 after 1) is ignored by the client.
    before = inboxes.calendars[NOOR].get(f"{uid}.ics")
    assert apply(inboxes.calendars[NOOR], inboxes.history[NOOR][0]) is None
    assert inboxes.calendars[NOOR].get(f"{uid}.ics") == before

    # The police are taken off: their CANCEL (no STATUS) deletes the event from their
    # calendar; the others' update (SEQUENCE 2) replaces theirs.
    politie = await Attendee.objects().where(Attendee.email == POLITIE).first()
    assert politie is not None
    await service.remove_attendee(
        coordinator, meeting.id, politie.id, expected_version=None, ctx=ctx
    )
    assert await inboxes.receive({POLITIE: "CANCEL", NOOR: "REQUEST"}) == {POLITIE: 200, NOOR: 204}
    assert inboxes.gone(POLITIE, uid)
    assert inboxes.at(POLITIE, local(TUESDAY, 14), local(TUESDAY, 15)) == []
    stored = inboxes.stored(NOOR, uid)
    assert has(stored, "SEQUENCE:2", f"DTSTART;{TZ}:20261201T140000", "STATUS:CONFIRMED")
    assert not [line for line in stored if POLITIE in line.lower()]

    # The meeting is called off: marked cancelled, same UID, time free.
    await service.cancel_meeting(coordinator, meeting.id, expected_version=None, ctx=ctx)
    assert await inboxes.receive({NOOR: "CANCEL"}) == {NOOR: 204}
    stored = inboxes.stored(NOOR, uid)
    assert has(stored, f"UID:{uid}", "SEQUENCE:3", "STATUS:CANCELLED")
    assert "STATUS:CONFIRMED" not in stored
    assert has(stored, f"DTSTART;{TZ}:20261201T140000")
    day = (local(TUESDAY, 7), local(TUESDAY, 18))
    assert inboxes.calendars[NOOR].free_busy(*day) == [("FREE", period(local(TUESDAY, 14), HOUR))]
    assert inboxes.gone(POLITIE, uid)


def instances(found: list[Found]) -> list[tuple[datetime, datetime, str]]:
    """(RECURRENCE-ID, DTSTART, STATUS) in UTC of every expanded instance, sorted."""
    events = [
        event
        for item in found
        for event in Calendar.from_ical(item.data).subcomponents
        if isinstance(event, Event)
    ]
    return sorted(
        (
            event.decoded("RECURRENCE-ID").astimezone(UTC),
            event.decoded("DTSTART").astimezone(UTC),
            str(event.get("STATUS", "")),
        )
        for event in events
    )


async def test_a_moved_and_a_cancelled_occurrence_of_a_series_in_radicale(
    users: Users, ctx: MeetingContext, inboxes: Inboxes
) -> None:
    inboxes.follow(POLITIE)
    meeting = await plan_weekly_triage(users, ctx)
    uid, coordinator = meeting.uid, users.actors["coordinator"]
    assert await inboxes.receive({POLITIE: "REQUEST"}) == {POLITIE: 201}
    stored = inboxes.stored(POLITIE, uid)
    assert has(stored, f"UID:{uid}", "SEQUENCE:0", f"DTSTART;{TZ}:20261201T100000")
    assert "RRULE:FREQ=WEEKLY;BYDAY=TU" in stored

    second, third = local(TUESDAY + timedelta(days=7), 10), local(TUESDAY + timedelta(days=14), 10)
    moved_to = local(TUESDAY + timedelta(days=8), 13)
    await series.move_occurrence(
        coordinator,
        meeting.id,
        second,
        start=moved_to,
        end=moved_to + 2 * HOUR,
        expected_version=None,
        ctx=ctx,
    )
    assert await inboxes.receive({POLITIE: "REQUEST"}) == {POLITIE: 204}
    await series.cancel_occurrence(coordinator, meeting.id, third, expected_version=None, ctx=ctx)
    assert await inboxes.receive({POLITIE: "CANCEL"}) == {POLITIE: 204}

    stored = inboxes.stored(POLITIE, uid)
    assert {line for line in stored if line.startswith("UID:")} == {f"UID:{uid}"}
    assert has(
        stored,
        f"RECURRENCE-ID;{TZ}:20261208T100000",
        f"DTSTART;{TZ}:20261209T130000",
        f"RECURRENCE-ID;{TZ}:20261215T100000",
        "STATUS:CANCELLED",
    )
    assert len([line for line in stored if line == "BEGIN:VEVENT"]) == 3

    # Expanded, the series has the occurrence moved to Wednesday 14:00 and the one of
    # 15 December cancelled; the free-busy report frees that hour and keeps the others.
    december = (local(TUESDAY, 0), local(date(2026, 12, 31), 0))
    expanded = inboxes.calendars[POLITIE].query(*december, expand=True)
    tuesdays = [local(TUESDAY + timedelta(weeks=week), 10) for week in range(5)]
    moved = {second: moved_to}
    assert instances(expanded) == [
        (start, moved.get(start, start), "CANCELLED" if start == third else "CONFIRMED")
        for start in tuesdays
    ]
    assert inboxes.calendars[POLITIE].free_busy(*december) == [
        ("FREE" if start == third else "BUSY", period(moved.get(start, start), 2 * HOUR))
        for start in tuesdays
    ]


def period(start: datetime, length: timedelta) -> str:
    return "/".join(f"{moment:%Y%m%dT%H%M%SZ}" for moment in (start, start + length))
