"""The meetings pages over HTTP: planning from a case with proposed times, the meeting page
by role, its forms with Dutch errors, the RSVP page without login, and uploading a REPLY."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.cases import service as cases
from casetafel.mail.models import OutboxMessage
from casetafel.meetings.messages import rsvp_token
from casetafel.meetings.models import Attendee, Meeting
from casetafel.notifications.models import Notification
from tests.conftest import csrf, login, velsen_case
from tests.meetings.conftest import NOW, local
from tests.meetings.test_series_and_answers import reply_for

TUESDAY = date(2026, 12, 1)


@pytest.fixture
async def case(users, directory, ladder, ctx):  # type: ignore[no-untyped-def]
    return await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)


async def plan_by_form(client, users, case, **extra):  # type: ignore[no-untyped-def]
    politie = f"user:{users.actors['politie'].user_id}"
    chair = f"user:{users.actors['coordinator'].user_id}"
    form = {
        "reference": case.reference,
        "kind": "casusoverleg",
        "title": f"Casusoverleg {case.reference}",
        "level": "local",
        "question": "Waar kan betrokkene wonen?",
        "invite": [chair, politie],
        f"role_{chair}": "chair",
        f"role_{politie}": "required",
        "duration": "60",
        "window_start": TUESDAY.isoformat(),
        "window_end": TUESDAY.isoformat(),
        "repeat": "none",
        "_csrf_token": csrf(client),
        **extra,
    }
    return await client.post("/overleggen/plannen", data=form)


async def test_plan_from_a_case_with_proposed_times(case, users, client, ctx):
    await login(client, "coordinator")
    form = await client.get(f"/overleggen/plannen?casus={case.reference}")
    assert form.status_code == 200
    assert f'value="Casusoverleg (ICO) {case.reference}"' not in form.text  # local: driehoek
    assert "Driehoeksoverleg" in form.text and "Politie" in form.text
    proposals = await plan_by_form(client, users, case, action="zoeken")
    assert proposals.status_code == 200, proposals.text
    assert "Voorgestelde tijdstippen" in proposals.text
    slot = local(TUESDAY, 8, 30).isoformat()
    assert f'value="{slot}"' in proposals.text
    sent = await plan_by_form(client, users, case, action="versturen", slot=slot)
    assert sent.status_code == 302 and "melding=gepland" in sent.headers["location"]
    meeting = await Meeting.objects().first()
    assert meeting.start_at == local(TUESDAY, 8, 30)
    assert meeting.end_at == local(TUESDAY, 9, 30)
    assert await OutboxMessage.count() == 2
    page = await client.get(sent.headers["location"])
    assert page.status_code == 200
    assert "Het overleg is gepland" in page.text and "Nog geen antwoord" in page.text
    assert case.reference in page.text and "Waar kan betrokkene wonen?" in page.text


async def test_planning_errors_come_back_at_the_fields(case, users, client, ctx):
    await login(client, "coordinator")
    await client.get(f"/overleggen/plannen?casus={case.reference}")
    response = await plan_by_form(
        client,
        users,
        case,
        action="versturen",
        date="2026-11-20",
        start_time="10:00",
        end_time="09:00",
        title="Overleg J. Testpersoon",
    )
    assert response.status_code == 422
    assert "Er is iets niet goed ingevuld" in response.text
    assert "Het einde ligt voor of op het begin" in response.text
    assert "in het verleden" in response.text
    assert 'value="Overleg J. Testpersoon"' in response.text
    missing = await plan_by_form(client, users, case, action="versturen", invite=[])
    assert missing.status_code == 422 and "Kies een voorgesteld tijdstip" in missing.text
    assert await Meeting.count() == 0 and await OutboxMessage.count() == 0


async def test_outside_working_hours_plans_with_a_warning(case, users, client, ctx):
    await login(client, "coordinator")
    await client.get(f"/overleggen/plannen?casus={case.reference}")
    response = await plan_by_form(
        client,
        users,
        case,
        action="versturen",
        date="2026-12-01",
        start_time="19:00",
        end_time="20:00",
    )
    assert response.status_code == 302
    assert response.headers["location"].endswith("melding=gepland-buiten-werktijd")


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("coordinator", 200),
        ("politie", 200),  # attends
        ("woning", 404),
        ("velsen", 404),
        ("regiegroep", 404),
        ("beheer", 403),  # no role to attend meetings at all: refused by the route
    ],
)
async def test_who_sees_a_meeting(case, users, client, ctx, username, status):
    await login(client, "coordinator")
    await client.get("/overleggen/plannen")
    await plan_by_form(client, users, case, action="versturen", slot=local(TUESDAY, 10).isoformat())
    meeting = await Meeting.objects().first()
    client.cookies.clear()
    await login(client, username)
    page = await client.get(f"/overleggen/{meeting.id}")
    assert page.status_code == status
    if username == "politie":
        assert "Verplaatsen of plaats wijzigen" not in page.text
        await client.get(f"/overleggen/{meeting.id}")
        refused = await client.post(
            f"/overleggen/{meeting.id}/annuleren", data={"_csrf_token": csrf(client)}
        )
        assert refused.status_code == 403


async def test_move_with_bad_input_and_a_stale_form(case, users, client, ctx):
    await login(client, "coordinator")
    await client.get("/overleggen/plannen")
    await plan_by_form(client, users, case, action="versturen", slot=local(TUESDAY, 10).isoformat())
    meeting = await Meeting.objects().first()
    bad = await client.post(
        f"/overleggen/{meeting.id}/verplaatsen",
        data={
            "date": "morgen",
            "start_time": "25:00",
            "end_time": "",
            "version": "1",
            "_csrf_token": csrf(client),
        },
    )
    assert bad.status_code == 422
    assert "Vul een geldige datum in" in bad.text and "Vul een geldige tijd in" in bad.text
    ok = await client.post(
        f"/overleggen/{meeting.id}/verplaatsen",
        data={
            "date": "2026-12-02",
            "start_time": "14:00",
            "end_time": "15:00",
            "version": "1",
            "location": "Haarlem",
            "_csrf_token": csrf(client),
        },
    )
    assert ok.status_code == 302
    stale = await client.post(
        f"/overleggen/{meeting.id}/verplaatsen",
        data={
            "date": "2026-12-03",
            "start_time": "14:00",
            "end_time": "15:00",
            "version": "1",
            "_csrf_token": csrf(client),
        },
    )
    assert stale.status_code == 409 and "intussen gewijzigd" in stale.text
    assert (await Meeting.objects().first()).start_at == local(date(2026, 12, 2), 14)


async def test_the_rsvp_page_works_without_login(case, users, client, ctx):
    await login(client, "coordinator")
    await client.get("/overleggen/plannen")
    await plan_by_form(client, users, case, action="versturen", slot=local(TUESDAY, 10).isoformat())
    meeting = await Meeting.objects().first()
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    token = rsvp_token(meeting, politie, ctx)
    client.cookies.clear()
    page = await client.get(f"/rsvp/{token}")
    assert page.status_code == 200
    assert case.reference in page.text and "Testpersoon" not in page.text
    answered = await client.post(
        f"/rsvp/{token}",
        data={"partstat": "accepted", "comment": "", "_csrf_token": csrf(client)},
    )
    assert answered.status_code == 200 and "Dank u wel" in answered.text
    refused = await client.post(
        f"/rsvp/{token}", data={"partstat": "", "_csrf_token": csrf(client)}
    )
    assert refused.status_code == 422 and "Kies of u komt" in refused.text
    broken = await client.get(f"/rsvp/{token[:-4]}abcd")
    assert broken.status_code == 400 and "Deze link is ongeldig" in broken.text
    assert (await client.get("/rsvp/onzin")).status_code == 400
    clock.set_clock(lambda: NOW + timedelta(days=30))
    expired = await client.get(f"/rsvp/{token}")
    assert expired.status_code == 410 and "verlopen" in expired.text


async def test_upload_a_reply_eml(case, users, client, ctx):
    await login(client, "coordinator")
    await client.get("/overleggen/plannen")
    await plan_by_form(client, users, case, action="versturen", slot=local(TUESDAY, 10).isoformat())
    meeting = await Meeting.objects().first()
    ics = reply_for(meeting, "politie@example.test", "DECLINED", 0, NOW.astimezone(UTC))
    eml = (
        b"From: politie@example.test\r\nTo: zvh@kennemerland.example.nl\r\n"
        b"Subject: Afgewezen\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/calendar; method=REPLY; charset="utf-8"\r\n\r\n' + ics
    )
    token = csrf(client)
    done = await client.post(
        f"/overleggen/{meeting.id}/antwoord",
        files={"bestand": ("antwoord.eml", eml, "message/rfc822")},
        data={"_csrf_token": token},
    )
    assert done.status_code == 302, done.text
    page = await client.get(f"/overleggen/{meeting.id}")
    assert "Komt niet" in page.text
    garbage = await client.post(
        f"/overleggen/{meeting.id}/antwoord",
        files={"bestand": ("x.eml", b"geen agenda", "message/rfc822")},
        data={"_csrf_token": csrf(client)},
    )
    assert garbage.status_code == 422 and "geen antwoord op een uitnodiging" in garbage.text


async def planned_by_form(client, users, case):  # type: ignore[no-untyped-def]
    await login(client, "coordinator")
    await client.get("/overleggen/plannen")
    await plan_by_form(client, users, case, action="versturen", slot=local(TUESDAY, 10).isoformat())
    meeting: Meeting = await Meeting.objects().first()
    return meeting


async def test_a_cancelled_meeting_cannot_be_moved(case, users, client, ctx):
    meeting = await planned_by_form(client, users, case)
    cancelled = await client.post(
        f"/overleggen/{meeting.id}/annuleren", data={"_csrf_token": csrf(client)}
    )
    assert cancelled.status_code == 302
    queued = await OutboxMessage.count()
    moved = await client.post(
        f"/overleggen/{meeting.id}/verplaatsen",  # no version: the stale check does not apply
        data={
            "date": "2026-12-02",
            "start_time": "14:00",
            "end_time": "15:00",
            "location": "Haarlem",
            "_csrf_token": csrf(client),
        },
    )
    assert moved.status_code == 409
    assert "Dit overleg is geannuleerd en kan niet meer worden gewijzigd" in moved.text
    after = await Meeting.objects().first()
    assert (after.start_at, after.location, after.status) == (
        meeting.start_at,
        meeting.location,
        "cancelled",
    )
    assert await OutboxMessage.count() == queued


async def test_a_new_place_naming_the_subject_comes_back_in_dutch(case, users, client, ctx):
    meeting = await planned_by_form(client, users, case)
    queued = await OutboxMessage.count()
    refused = await client.post(
        f"/overleggen/{meeting.id}/verplaatsen",
        data={
            "date": "2026-12-01",
            "start_time": "10:00",
            "end_time": "11:00",
            "location": "Bij Testpersoon thuis",
            "version": str(meeting.version),
            "_csrf_token": csrf(client),
        },
    )
    assert refused.status_code == 422
    assert "De locatie noemt de betrokkene van casus" in refused.text
    assert (await Meeting.objects().first()).location == meeting.location
    assert await OutboxMessage.count() == queued


async def test_adding_an_attendee_by_form_invites_them(case, users, client, ctx):
    meeting = await planned_by_form(client, users, case)
    before = {row.id for row in await OutboxMessage.objects()}
    added = await client.post(
        f"/overleggen/{meeting.id}/deelnemers",
        data={
            "candidate": f"user:{users.actors['velsen'].user_id}",
            "role": "optional",
            "version": str(meeting.version),
            "_csrf_token": csrf(client),
        },
    )
    assert added.status_code == 302 and "melding=uitgenodigd" in added.headers["location"]
    rows = [row for row in await OutboxMessage.objects() if row.id not in before]
    subjects = {row.recipient: row.subject for row in rows}
    assert sorted(subjects) == [
        "coordinator@example.test",
        "politie@example.test",
        "velsen@example.test",
    ]
    assert subjects["velsen@example.test"].startswith("Uitnodiging: ")
    assert subjects["politie@example.test"].startswith("Gewijzigd: ")
    assert subjects["coordinator@example.test"].startswith("Gewijzigd: ")
    assert (await Meeting.objects().first()).sequence == 1


@pytest.mark.parametrize("problem", ["tampered", "expired"])
async def test_a_bad_rsvp_link_changes_nothing(case, users, client, ctx, problem):
    meeting = await planned_by_form(client, users, case)
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    token = rsvp_token(meeting, politie, ctx)
    if problem == "tampered":
        # Another attendee's id with this attendee's signature.
        attendee, rest = token.split(".", 1)
        token = f"{int(attendee) + 1}.{rest}"
    else:
        clock.set_clock(lambda: NOW + timedelta(days=30))
    client.cookies.clear()
    await client.get("/inloggen")  # a CSRF cookie, as the RSVP page would give
    counts = [await table.count() for table in (OutboxMessage, Notification, AuditEvent)]
    answered = await client.post(
        f"/rsvp/{token}",
        data={"partstat": "declined", "comment": "Kan niet", "_csrf_token": csrf(client)},
    )
    assert answered.status_code == (400 if problem == "tampered" else 410)
    assert ("ongeldig" if problem == "tampered" else "verlopen") in answered.text
    assert [await table.count() for table in (OutboxMessage, Notification, AuditEvent)] == counts
    for attendee in await Attendee.objects():
        assert (attendee.partstat, attendee.comment, attendee.responded_at) == (
            "needs-action",
            "",
            None,
        )
