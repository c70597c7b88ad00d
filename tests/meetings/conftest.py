"""Fixtures of the meetings tests: the context the services need, a real SMTP server that
receives what the outbox sends, and helpers to read the invites that arrived."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from casetafel import clock
from casetafel.escalation.setup import load_config
from casetafel.mail.sender import send_due
from casetafel.meetings import service
from casetafel.meetings.config import load_meetings
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Meeting
from casetafel.organisations.service import Directory
from casetafel.settings import Settings
from tests.conftest import REPO, Users
from tests.support.smtp import SmtpServer, free_port

# Wednesday 25 November 2026, 09:00 in Amsterdam: the tests' "now".
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


# The Tuesday most meeting tests plan on (the weekly triage's day).
TUESDAY = date(2026, 12, 1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.AMSTERDAM).astimezone(UTC)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ctx(settings: Settings, directory: Directory, smtp_server: SmtpServer) -> MeetingContext:
    clock.set_clock(lambda: NOW)
    escalation = load_config(REPO / "config")
    return MeetingContext(
        settings=dataclasses.replace(settings, smtp_url=smtp_server.url),
        meetings=load_meetings(REPO / "config", escalation.ladder),
        escalation=escalation,
        directory=directory,
    )


async def deliver(ctx: MeetingContext, server: SmtpServer) -> list[EmailMessage]:
    """Send what the outbox holds; the messages the server got in this round."""
    before = len(server.recorder.received)
    await send_due(ctx.settings, clock.now())
    received = server.recorder.received[before:]
    return [message_from_bytes(item.data, policy=policy.default) for item in received]  # type: ignore[misc]


def calendar_of(message: EmailMessage) -> bytes:
    """The text/calendar part's bytes, exactly as sent."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError("no text/calendar part")


def imip_calendar(message: EmailMessage, method: str) -> bytes:
    """The calendar of an iMIP message, after checking its whole MIME tree (RFC 6047):
    multipart/mixed > multipart/alternative (text/plain, text/html, text/calendar with
    method=METHOD), then the same calendar as the invite.ics attachment."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.iter_parts()
    assert [p.get_content_type() for p in (plain, html, calendar)] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert not any(p.is_multipart() for p in (plain, html, calendar, attachment))
    assert calendar.get_param("method") == method
    assert calendar.get_content_charset() == "utf-8"
    data = calendar.get_payload(decode=True)
    assert isinstance(data, bytes)
    assert str(Calendar.from_ical(data)["METHOD"]) == method
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == data
    return data


async def plan_weekly_triage(users: Users, ctx: MeetingContext) -> Meeting:
    """The ZVH's weekly triage from TUESDAY 10:00-12:00, with the coordinator as chair and
    the police as required attendee."""
    draft = service.MeetingDraft(
        kind="triage",
        title="Wekelijkse triage ZVH Kennemerland",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 12),
        attendees=[
            service.AttendeeChoice("chair", user_id=users.actors["coordinator"].user_id),
            service.AttendeeChoice("required", user_id=users.actors["politie"].user_id),
        ],
        rrule="FREQ=WEEKLY;BYDAY=TU",
        location="ZVH Haarlem",
    )
    result = await service.plan_meeting(users.actors["coordinator"], draft, ctx)
    meeting = await Meeting.objects().where(Meeting.id == result.meeting_id).first()
    assert meeting is not None
    return meeting
