"""A REPLY that a calendar client mailed to the organiser's mailbox, on a real IMAP server
(dovecot): the poller hands it to the meetings handler, which applies it once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date

import pytest

from casetafel.mail import imap
from casetafel.meetings import rsvp, service
from casetafel.meetings.models import Attendee, Meeting
from tests.mail.imap_server import Dovecot, require_dovecot
from tests.meetings.conftest import NOW, local
from tests.meetings.test_series_and_answers import reply_for


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot()
    server.start()
    yield server
    server.remove()


async def test_a_mailed_reply_is_applied_once(users, ctx, dovecot):
    draft = service.MeetingDraft(
        kind="casusoverleg",
        title="Casusoverleg",
        start=local(date(2026, 12, 1), 10),
        end=local(date(2026, 12, 1), 11),
        attendees=[service.AttendeeChoice("required", user_id=users.actors["politie"].user_id)],
    )
    await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    meeting = await Meeting.objects().first()
    calendar = reply_for(meeting, "politie@example.test", "ACCEPTED", 0, NOW)
    mail = (
        b"From: politie@example.test\r\nTo: zvh@kennemerland.example.nl\r\n"
        b"Subject: Geaccepteerd: Casusoverleg\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nIk kom.\r\n"
        b'--b\r\nContent-Type: text/calendar; method=REPLY; charset="utf-8"\r\n\r\n'
        + calendar
        + b"\r\n--b--\r\n"
    )
    dovecot.append(mail)
    dovecot.append(b"From: iemand@example.test\r\nSubject: niets\r\n\r\nGeen agenda.\r\n")
    settings = dataclasses.replace(ctx.settings, imap_url=dovecot.url())
    handled: list[str] = []

    async def handle(raw: bytes) -> imap.Outcome:
        outcome = await rsvp.handle_inbound(raw, ctx)
        handled.append(outcome)
        return outcome

    report = await imap.poll(settings, handle)
    assert sorted(handled) == ["applied", "ignored"] and not report.error
    politie = await Attendee.objects().where(Attendee.email == "politie@example.test").first()
    assert politie.partstat == "accepted"
    await imap.poll(settings, handle)
    assert len(handled) == 2  # nothing handed twice
    assert (await Meeting.objects().first()).sequence == 0
