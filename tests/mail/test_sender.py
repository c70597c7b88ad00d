"""The sender against a real SMTP server (aiosmtpd): one connection per batch, retries with
backoff, dead messages, outages, TLS and AUTH. Time is injected (`now`), nothing sleeps."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email import message_from_bytes, policy

from icalendar import Calendar as ICalendar

from casetafel import clock, db
from casetafel.mail import claims
from casetafel.mail.models import OutboxMessage
from casetafel.mail.sender import LEASE, backoff, send_due
from casetafel.mail.service import enqueue
from casetafel.settings import Settings
from tests.mail.conftest import INVITE, SmtpServer, Tls, authenticator, invite_mail, queue_mails

MINUTE = timedelta(minutes=1)


async def _states() -> dict[str, str]:
    rows = await OutboxMessage.select(OutboxMessage.recipient, OutboxMessage.state)
    return {row["recipient"]: row["state"] for row in rows}


async def test_a_batch_goes_over_one_connection(clean, mail_settings, smtp_server):
    await queue_mails(12)
    report = await send_due(mail_settings, batch_size=50)
    assert len(report.sent) == 12 and not report.retried and not report.dead
    assert smtp_server.recorder.connections == 1
    assert len(smtp_server.recorder.received) == 12
    assert set((await _states()).values()) == {"sent"}
    rows = await OutboxMessage.select(OutboxMessage.sent_at, OutboxMessage.attempts)
    assert all(row["sent_at"] is not None and row["attempts"] == 1 for row in rows)
    # Nothing due: no connection at all.
    again = await send_due(mail_settings)
    assert again.claimed == 0 and smtp_server.recorder.connections == 1


async def test_batch_size_limits_a_round(clean, mail_settings, smtp_server):
    await queue_mails(5)
    assert len((await send_due(mail_settings, batch_size=3)).sent) == 3
    assert len((await send_due(mail_settings, batch_size=3)).sent) == 2
    assert smtp_server.recorder.connections == 2


async def test_invite_arrives_byte_exact_and_parses_back(clean, mail_settings, smtp_server):
    mail = invite_mail()
    async with db.transaction():
        await enqueue(mail)
    await send_due(mail_settings)
    [received] = smtp_server.recorder.received
    assert received.mail_from == "zvh-kennemerland@casetafel.example"
    assert received.rcpt_tos == ["p.jansen@politie.example"]
    assert received.data == mail.content.encode("ascii")
    message = message_from_bytes(received.data, policy=policy.default)
    assert message["Message-ID"] == mail.message_id
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    data = calendar.get_payload(decode=True)
    assert data == INVITE and data.count(b"\r\n") == INVITE.count(b"\n")
    event = ICalendar.from_ical(data).walk("VEVENT")[0]
    assert str(event["UID"]) == "meeting-42@casetafel.example"
    assert int(event["SEQUENCE"]) == 2
    attachment = next(p for p in message.walk() if p.get_filename() == "invite.ics")
    assert attachment.get_payload(decode=True) == INVITE


async def test_smtp_down_loses_nothing_and_sends_when_back(clean, mail_settings, smtp_server):
    await queue_mails(4)
    smtp_server.stop()
    now = clock.now()
    report = await send_due(mail_settings, now=now)
    assert len(report.postponed) == 4 and not report.sent and not report.dead
    rows = await OutboxMessage.objects()
    assert all(row.state == "pending" and row.attempts == 0 for row in rows)
    assert all("niet bereikbaar" in row.last_error for row in rows)
    assert all(row.due_at == now + backoff(mail_settings, 0) for row in rows)
    # A long outage: many rounds, still nothing dead and no attempt counted.
    for minute in range(1, 30):
        await send_due(mail_settings, now=now + minute * 2 * MINUTE)
    assert {row.state for row in await OutboxMessage.objects()} == {"pending"}
    assert {row.attempts for row in await OutboxMessage.objects()} == {0}

    smtp_server.start()
    report = await send_due(mail_settings, now=now + 61 * MINUTE)
    assert len(report.sent) == 4
    assert len(smtp_server.recorder.received) == 4
    assert all(row.last_error == "" for row in await OutboxMessage.objects())


async def test_451_is_retried_after_backoff(clean, mail_settings, smtp_server):
    await queue_mails(2)
    smtp_server.recorder.fail_next("451 4.3.0 Probeer het later opnieuw")
    now = clock.now()
    report = await send_due(mail_settings, now=now)
    assert len(report.retried) == 1 and len(report.sent) == 1
    failed = await OutboxMessage.objects().where(OutboxMessage.state == "pending").first()
    assert failed.attempts == 1
    assert failed.last_error.startswith("451")
    assert failed.due_at == now + timedelta(seconds=mail_settings.mail_retry_base_seconds)

    assert (await send_due(mail_settings, now=now + 59 * timedelta(seconds=1))).claimed == 0
    report = await send_due(mail_settings, now=now + 61 * timedelta(seconds=1))
    assert [outcome.id for outcome in report.sent] == [failed.id]
    assert set((await _states()).values()) == {"sent"}
    assert len(smtp_server.recorder.received) == 2


async def test_550_is_dead_at_once(clean, mail_settings, smtp_server):
    await queue_mails(3)
    smtp_server.recorder.fail_next("550 5.1.1 Onbekende ontvanger")
    report = await send_due(mail_settings)
    assert len(report.dead) == 1 and len(report.sent) == 2
    dead = await OutboxMessage.objects().where(OutboxMessage.state == "dead").first()
    assert dead.attempts == 1 and dead.last_error.startswith("550")
    assert dead.recipient == "deelnemer000@example.test"
    assert (await send_due(mail_settings, now=clock.now() + 24 * 60 * MINUTE)).claimed == 0


async def test_after_max_attempts_the_message_is_dead(clean, settings, smtp_server):
    limited = dataclasses.replace(settings, smtp_url=smtp_server.url, mail_max_attempts=3)
    await queue_mails(1)
    smtp_server.recorder.fail_next("452 4.2.2 Mailbox vol", count=10)
    now = clock.now()
    waits = []
    for _ in range(2):
        report = await send_due(limited, now=now)
        assert len(report.retried) == 1
        row = await OutboxMessage.objects().first()
        waits.append(row.due_at - now)
        now = row.due_at
    report = await send_due(limited, now=now)
    assert len(report.dead) == 1
    row = await OutboxMessage.objects().first()
    assert row.state == "dead" and row.attempts == 3 and row.last_error.startswith("452")
    assert waits == [timedelta(seconds=60), timedelta(seconds=120)]


def test_backoff_doubles_up_to_the_maximum(settings: Settings) -> None:
    waits = [backoff(settings, attempts).total_seconds() for attempts in range(1, 10)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


async def test_a_dropped_connection_is_reopened(clean, mail_settings, smtp_server):
    smtp_server.recorder.drop_every = 3
    await queue_mails(7)
    report = await send_due(mail_settings)
    assert len(report.sent) == 7 and not report.retried
    assert smtp_server.recorder.connections == 3
    assert {row["attempts"] for row in await OutboxMessage.select(OutboxMessage.attempts)} == {1}


async def test_a_crashed_senders_claim_is_taken_over_when_its_lease_ran_out(
    clean, mail_settings, smtp_server
):
    await queue_mails(5)
    stored = {row.id: row.message_id for row in await OutboxMessage.objects()}
    now = clock.now()
    # A sender claims the rows and dies before it sends or marks anything.
    crashed = await claims.claim_due(now, now + LEASE, 50)
    assert len(crashed.rows) == 5
    assert set((await _states()).values()) == {"sending"}

    assert (await send_due(mail_settings, now=now + MINUTE)).claimed == 0
    report = await send_due(mail_settings, now=now + LEASE + MINUTE)
    assert len(report.sent) == 5
    assert sorted(smtp_server.recorder.message_ids()) == sorted(stored.values())
    # The dead sender's late outcome cannot change what the new claim did.
    await claims.mark_retry(crashed, crashed.rows[0], now, now, "te laat")
    assert set((await _states()).values()) == {"sent"}


async def test_starttls_and_auth(clean, settings, tls: Tls):
    from tests.mail.conftest import free_port

    server = SmtpServer(
        free_port(),
        tls_context=tls.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    server.start()
    try:
        assert server.url.startswith("smtp://casetafel:")
        secure = dataclasses.replace(settings, smtp_url=server.url)
        await queue_mails(2)
        report = await send_due(secure, tls_context=tls.client_context())
        assert len(report.sent) == 2 and server.recorder.connections == 1

        await queue_mails(3, kind="alert")
        wrong = dataclasses.replace(settings, smtp_url=server.url.replace("geheim", "fout"))
        report = await send_due(wrong, tls_context=tls.client_context())
        assert len(report.postponed) == 3 and not report.dead
        waiting = await OutboxMessage.objects().where(OutboxMessage.kind == "alert")
        assert all(row.attempts == 0 and "535" in row.last_error for row in waiting)
    finally:
        server.stop()
    assert len(server.recorder.received) == 2


async def test_smtps_implicit_tls(clean, settings, tls: Tls):
    from tests.mail.conftest import free_port

    server = SmtpServer(free_port(), ssl_context=tls.server_context())
    server.start()
    try:
        assert server.url.startswith("smtps://")
        await queue_mails(2)
        report = await send_due(
            dataclasses.replace(settings, smtp_url=server.url), tls_context=tls.client_context()
        )
    finally:
        server.stop()
    assert len(report.sent) == 2 and len(server.recorder.received) == 2
