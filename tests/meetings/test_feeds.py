"""Personal calendar feeds: a PUBLISH calendar of one's own meetings, strictly valid, read by
icalendar and vobject, without ATTENDEE lines or personal data; revocable; served without
login, with an ETag for polling clients; managed on /mijn-agenda and, for a person, by the
coordinator."""

from __future__ import annotations

from datetime import date

import pytest

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.cases import service as cases
from casetafel.errors import Conflict, Forbidden, NotFound
from casetafel.invites.tokens import feed_token_hash, verify_rsvp
from casetafel.meetings import feeds, series, service
from casetafel.meetings.models import FeedToken, Meeting
from casetafel.organisations.models import Organisation, Person
from tests.conftest import csrf, login, velsen_case
from tests.invites.readers import events, read_both, vevents
from tests.invites.strict import assert_no_personal_data, assert_strict
from tests.meetings.conftest import local

TUESDAY = date(2026, 12, 1)
PRIVATE = ["J. Testpersoon", "Testpersoon", "1980-05-17", "17-05-1980", "Zedendelinquent"]
# Other attendees are not the feed's business either.
PEOPLE = ["Noor Jansen", "n.jansen@reclassering.example.nl", "coordinator@example.test", "Politie"]


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


async def plan(users, ctx, title, start, end, who, *, kind="casusoverleg", rrule=None, case=None):  # type: ignore[no-untyped-def]
    draft = service.MeetingDraft(
        kind=kind,
        title=title,
        start=start,
        end=end,
        attendees=who,
        cases=[service.AgendaEntry(case.reference)] if case else [],
        location="Zorg- en Veiligheidshuis, Haarlem",
        rrule=rrule,
    )
    return (await service.plan_meeting(users.actors["coordinator"], draft, ctx)).meeting_id


def chair(users):  # type: ignore[no-untyped-def]
    return service.AttendeeChoice("chair", user_id=users.actors["coordinator"].user_id)


def police(users):  # type: ignore[no-untyped-def]
    return service.AttendeeChoice("required", user_id=users.actors["politie"].user_id)


@pytest.fixture
async def agenda(users, directory, ladder, ctx):  # type: ignore[no-untyped-def]
    """The police's meetings: a case conference, a weekly triage with one occurrence
    cancelled and one moved, a cancelled meeting and one they were taken off; and a
    meeting without them."""
    coordinator = users.actors["coordinator"]
    case = await cases.create_case(coordinator, velsen_case(), directory, ladder)
    person = await noor()
    with_noor = service.AttendeeChoice("optional", person_id=person)
    ids = {
        "conference": await plan(
            users,
            ctx,
            f"Casusoverleg {case.reference}",
            local(TUESDAY, 10),
            local(TUESDAY, 11, 30),
            [chair(users), police(users), with_noor],
            case=case,
        ),
        "triage": await plan(
            users,
            ctx,
            "Wekelijkse triage",
            local(TUESDAY, 13),
            local(TUESDAY, 15),
            [chair(users), police(users)],
            kind="triage",
            rrule="FREQ=WEEKLY;BYDAY=TU",
        ),
        "cancelled": await plan(
            users,
            ctx,
            "Afgelast overleg",
            local(date(2026, 12, 2), 10),
            local(date(2026, 12, 2), 11),
            [chair(users), police(users)],
        ),
        "removed": await plan(
            users,
            ctx,
            "Zonder politie",
            local(date(2026, 12, 3), 10),
            local(date(2026, 12, 3), 11),
            [chair(users), police(users)],
        ),
        "other": await plan(
            users,
            ctx,
            "Ander overleg",
            local(date(2026, 12, 4), 10),
            local(date(2026, 12, 4), 11),
            [chair(users), with_noor],
        ),
    }
    await series.cancel_occurrence(
        coordinator, ids["triage"], local(date(2026, 12, 8), 13), expected_version=None, ctx=ctx
    )
    await series.move_occurrence(
        coordinator,
        ids["triage"],
        local(date(2026, 12, 15), 13),
        start=local(date(2026, 12, 16), 9),
        end=local(date(2026, 12, 16), 11),
        expected_version=None,
        ctx=ctx,
    )
    await service.cancel_meeting(coordinator, ids["cancelled"], expected_version=None, ctx=ctx)
    removed = await service.load_snapshot(
        await Meeting.objects().where(Meeting.id == ids["removed"]).first(), ctx
    )
    politie = next(a for a in removed.attendees if a.email == "politie@example.test")
    await service.remove_attendee(
        coordinator, ids["removed"], politie.id, expected_version=None, ctx=ctx
    )
    return ids, person, case


async def uid_of(meeting_id: int) -> str:
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()
    return str(meeting.uid)


def by_uid(calendar):  # type: ignore[no-untyped-def]
    found: dict[str, list] = {}  # type: ignore[type-arg]
    for event in events(calendar):
        found.setdefault(str(event["UID"]), []).append(event)
    return found


async def test_a_users_feed_holds_their_meetings_only_without_attendees(agenda, users, ctx):
    ids, _, case = agenda
    token = await feeds.create_feed(users.actors["politie"])
    raw = await feeds.feed_calendar(token, ctx)
    assert raw is not None
    assert_strict(raw)
    assert b"ATTENDEE" not in raw
    assert_no_personal_data(raw, PRIVATE + PEOPLE)
    calendar, vcal = read_both(raw)
    assert str(calendar["METHOD"]) == "PUBLISH"
    uids = by_uid(calendar)
    expected = {await uid_of(ids[key]) for key in ("conference", "triage", "cancelled")}
    assert set(uids) == expected
    assert {v.uid.value for v in vevents(vcal)} == expected
    assert all("attendee" not in v.contents for v in vevents(vcal))

    [conference] = uids[await uid_of(ids["conference"])]
    assert str(conference["SUMMARY"]) == f"Casusoverleg {case.reference}"
    assert conference["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert conference.decoded("DTSTART").hour == 10
    description = str(conference["DESCRIPTION"])
    assert "Casusoverleg (ICO)" in description and case.reference in description
    assert f"{ctx.settings.base_url}/overleggen/{ids['conference']}" in description
    assert str(conference["URL"]) == f"{ctx.settings.base_url}/overleggen/{ids['conference']}"
    assert str(conference["STATUS"]) == "CONFIRMED"
    [cancelled] = uids[await uid_of(ids["cancelled"])]
    assert str(cancelled["STATUS"]) == "CANCELLED"


async def test_a_series_carries_its_rule_the_cancelled_and_the_moved_occurrence(agenda, users, ctx):
    ids, _, _ = agenda
    token = await feeds.create_feed(users.actors["politie"])
    raw = await feeds.feed_calendar(token, ctx)
    calendar, vcal = read_both(raw)
    triage = by_uid(calendar)[await uid_of(ids["triage"])]
    [master] = [e for e in triage if "RECURRENCE-ID" not in e]
    [moved] = [e for e in triage if "RECURRENCE-ID" in e]
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=TU"
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [local(date(2026, 12, 8), 13)]
    assert exdates[0].tzinfo is not None and master["EXDATE"].params["TZID"] == "Europe/Amsterdam"
    assert moved.decoded("RECURRENCE-ID") == local(date(2026, 12, 15), 13)
    assert moved.decoded("DTSTART") == local(date(2026, 12, 16), 9)
    assert int(moved["SEQUENCE"]) >= 1 and "RRULE" not in moved
    # vobject expands the series without 8 December (15 December's move is its own event).
    [series_v] = [
        v
        for v in vevents(vcal)
        if v.uid.value == master["UID"] and "recurrence-id" not in v.contents
    ]
    starts = list(series_v.getrruleset().between(local(TUESDAY, 0), local(date(2026, 12, 23), 0)))
    assert [s.date() for s in starts] == [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 22)]


async def test_the_feed_spans_a_month_back_and_a_year_ahead(users, ctx):
    who = [chair(users), police(users)]
    soon = await plan(users, ctx, "Binnenkort", local(TUESDAY, 10), local(TUESDAY, 11), who)
    far = date(2027, 12, 7)
    late = await plan(users, ctx, "Over een jaar", local(far, 10), local(far, 11), who)
    token = await feeds.create_feed(users.actors["politie"])
    now_uids = set(by_uid(read_both(await feeds.feed_calendar(token, ctx))[0]))
    assert now_uids == {await uid_of(soon)}
    clock.set_clock(lambda: local(date(2027, 1, 15), 9))  # 1 December is 45 days ago
    later_uids = set(by_uid(read_both(await feeds.feed_calendar(token, ctx))[0]))
    assert later_uids == {await uid_of(late)}


async def test_a_persons_feed_is_made_by_the_coordinator_and_links_to_their_answer_page(
    agenda, users, ctx
):
    ids, person, _ = agenda
    token = await feeds.create_person_feed(users.actors["coordinator"], person)
    raw = await feeds.feed_calendar(token, ctx)
    assert raw is not None
    assert b"ATTENDEE" not in raw
    assert_no_personal_data(raw, PRIVATE + PEOPLE)
    calendar, _ = read_both(raw)
    uids = by_uid(calendar)
    assert set(uids) == {await uid_of(ids["conference"]), await uid_of(ids["other"])}
    [conference] = uids[await uid_of(ids["conference"])]
    link = str(conference["URL"])
    assert link.startswith(f"{ctx.settings.base_url}/rsvp/")
    claim = verify_rsvp(ctx.settings.secret_key, link.rsplit("/", 1)[1], clock.now())
    assert claim.meeting_id == ids["conference"]
    with pytest.raises(Forbidden):
        await feeds.create_person_feed(users.actors["politie"], person)
    with pytest.raises(NotFound):
        await feeds.create_person_feed(users.actors["coordinator"], person + 999)


async def test_revoked_and_unknown_tokens_have_no_feed(users, ctx):
    politie = users.actors["politie"]
    token = await feeds.create_feed(politie)
    assert await feeds.feed_calendar(token, ctx) is not None
    [row] = await feeds.feeds_of(politie)
    await feeds.revoke_feed(politie, row.id)
    await feeds.revoke_feed(politie, row.id)  # twice changes nothing
    assert await feeds.feed_calendar(token, ctx) is None
    assert await feeds.feed_calendar("onbekend-token", ctx) is None
    assert await feeds.feeds_of(politie) == []
    assert await AuditEvent.count().where(AuditEvent.action == "feed.create") == 1
    assert await AuditEvent.count().where(AuditEvent.action == "feed.revoke") == 1


async def test_only_the_hash_of_a_token_is_stored(users):
    token = await feeds.create_feed(users.actors["politie"])
    stored = await FeedToken.objects().first()
    assert stored.token_hash == feed_token_hash(token) and token not in stored.token_hash


async def test_a_user_cannot_revoke_someone_elses_feed(users):
    await feeds.create_feed(users.actors["coordinator"])
    [row] = await feeds.feeds_of(users.actors["coordinator"])
    with pytest.raises(NotFound):
        await feeds.revoke_feed(users.actors["politie"], row.id)
    assert await feeds.feeds_of(users.actors["coordinator"]) == [row]


async def test_the_number_of_feeds_is_limited(users):
    for _ in range(feeds.MAX_FEEDS):
        await feeds.create_feed(users.actors["politie"])
    with pytest.raises(Conflict):
        await feeds.create_feed(users.actors["politie"])


# --- over HTTP ------------------------------------------------------------------------------


async def test_the_feed_is_served_without_login_with_an_etag(agenda, users, ctx, client):
    token = await feeds.create_feed(users.actors["politie"])
    response = await client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, no-cache"
    assert_strict(response.content)
    assert b"ATTENDEE" not in response.content
    etag = response.headers["etag"]
    again = await client.get(f"/feeds/{token}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # A change to a meeting changes the feed, and so its ETag.
    ids, _, _ = agenda
    await service.reschedule(
        users.actors["coordinator"],
        ids["conference"],
        start=local(TUESDAY, 14),
        end=local(TUESDAY, 15),
        location="Online",
        video_url="",
        expected_version=None,
        ctx=ctx,
    )
    changed = await client.get(f"/feeds/{token}.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


@pytest.mark.parametrize("name", ["onbekend-maar-lang-genoeg-token.ics", "x.ics", "abc", "%00.ics"])
async def test_unknown_feeds_are_404(client, name):
    response = await client.get(f"/feeds/{name}")
    assert response.status_code == 404
    assert "no-store" in response.headers["cache-control"]


async def test_the_agenda_page_creates_shows_once_and_revokes(users, ctx, client):
    assert (await client.get("/mijn-agenda", follow_redirects=False)).status_code in (302, 303)
    await login(client, "politie")
    page = await client.get("/mijn-agenda")
    assert page.status_code == 200 and "Er is nog geen agenda-link" in page.text
    assert "no-store" in page.headers["cache-control"]
    created = await client.post("/mijn-agenda", data={"_csrf_token": csrf(client)})
    assert created.status_code == 200
    url = created.text.split('value="', 2)[-1].split('"', 1)[0]
    assert "/feeds/" in url and url.endswith(".ics")
    assert "Outlook" in created.text and "Google" in created.text and "webcal://" in created.text
    path = url.removeprefix(ctx.settings.base_url)
    assert (await client.get(path)).status_code == 200
    listed = await client.get("/mijn-agenda")
    assert path.split("/")[-1].removesuffix(".ics") not in listed.text
    [row] = await feeds.feeds_of(users.actors["politie"])
    revoked = await client.post(
        f"/mijn-agenda/{row.id}/intrekken", data={"_csrf_token": csrf(client)}
    )
    assert revoked.status_code in (302, 303)
    assert (await client.get(path)).status_code == 404
    assert "ingetrokken" in (await client.get("/mijn-agenda?melding=agenda-ingetrokken")).text


async def test_someone_elses_feed_cannot_be_revoked_over_http(users, client):
    await feeds.create_feed(users.actors["coordinator"])
    [row] = await feeds.feeds_of(users.actors["coordinator"])
    await login(client, "politie")
    response = await client.post(
        f"/mijn-agenda/{row.id}/intrekken", data={"_csrf_token": csrf(client)}
    )
    assert response.status_code == 404
    assert await feeds.feeds_of(users.actors["coordinator"]) == [row]


async def test_the_coordinator_manages_a_persons_feed_on_their_page(users, client):
    person = await noor()
    await login(client, "coordinator")
    page = await client.get(f"/deelnemers/{person}/agenda")
    assert page.status_code == 200 and "Noor Jansen" in page.text
    created = await client.post(f"/deelnemers/{person}/agenda", data={"_csrf_token": csrf(client)})
    assert created.status_code == 200 and "/feeds/" in created.text
    [row] = await feeds.person_feeds_of(users.actors["coordinator"], person)
    revoked = await client.post(
        f"/deelnemers/{person}/agenda/{row.id}/intrekken", data={"_csrf_token": csrf(client)}
    )
    assert revoked.status_code in (302, 303)
    assert await feeds.person_feeds_of(users.actors["coordinator"], person) == []


async def test_others_cannot_reach_a_persons_feed_page(users, client):
    person = await noor()
    await login(client, "politie")
    assert (await client.get(f"/deelnemers/{person}/agenda")).status_code == 403
