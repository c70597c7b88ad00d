"""Polling an IMAP mailbox for answers to invitations, against a real dovecot.

The handler here does what the meetings domain will do: parse the message as an iMIP REPLY
(InvalidReply: "ignored") and record it ("applied"), or raise when its store is down.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from casetafel.invites.replies import InvalidReply, Reply, parse_reply
from casetafel.mail import imap
from casetafel.mail.imap import DONE_KEYWORD, ImapTarget, Outcome, poll
from casetafel.settings import Settings, SettingsError, load_settings
from tests.conftest import REPO
from tests.mail.conftest import Tls
from tests.mail.imap_server import Dovecot, free_port, require_dovecot

ORGANISER = "zvh-kennemerland@casetafel.example"
SEEN = "\\Seen"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def imap_settings(settings: Settings, dovecot: Dovecot) -> Settings:
    return dataclasses.replace(settings, imap_url=dovecot.url())


class Attendees:
    """The handler: REPLYs are applied, anything else ignored; the attendees in `down` make
    it raise (a temporary failure), once each."""

    def __init__(self, *down: str) -> None:
        self.calls: list[bytes] = []
        self.replies: list[Reply] = []
        self.down = set(down)

    async def __call__(self, data: bytes) -> Outcome:
        self.calls.append(data)
        try:
            reply = parse_reply(data)
        except InvalidReply:
            return "ignored"
        if reply.attendee_email in self.down:
            self.down.discard(reply.attendee_email)
            raise ConnectionError("database niet bereikbaar")
        self.replies.append(reply)
        return "applied"


def reply_mail(attendee: str = "p.jansen@politie.example", partstat: str = "ACCEPTED") -> bytes:
    """An answer as a calendar client sends it: text plus a text/calendar; method=REPLY part."""
    calendar = (
        "BEGIN:VCALENDAR\r\n"
        "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
        "VERSION:2.0\r\n"
        "METHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\n"
        f'ATTENDEE;PARTSTAT={partstat};CN="Jansen, P.":mailto:{attendee}\r\n'
        "COMMENT:Ik kom\\, samen met een collega van de wijkagent.\r\n"
        "DTSTAMP:20261126T101500Z\r\n"
        "DTSTART:20261201T093000Z\r\n"
        "DTEND:20261201T103000Z\r\n"
        f"ORGANIZER;CN=ZVH Kennemerland:mailto:{ORGANISER}\r\n"
        "SEQUENCE:2\r\n"
        "SUMMARY:Geaccepteerd: Casusoverleg KEN-2026-0001 – regionaal\r\n"
        "UID:meeting-42@casetafel.example\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    message = EmailMessage()
    message["From"] = f'"Jansen, P." <{attendee}>'
    message["To"] = ORGANISER
    message["Subject"] = "Geaccepteerd: Casusoverleg KEN-2026-0001 – 1 december"
    message["Message-ID"] = make_msgid(domain="politie.example")
    message.set_content("Jansen, P. heeft deze uitnodiging geaccepteerd.\n")
    message.add_alternative(calendar, subtype="calendar", params={"method": "REPLY"})
    return message.as_bytes(policy=SMTP)


def plain_mail(
    subject: str = "Vraag over het overleg", body: str = "Kan ik later komen?\n"
) -> bytes:
    message = EmailMessage()
    message["From"] = "a.de.vries@gemeente.example"
    message["To"] = ORGANISER
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="gemeente.example")
    message.set_content(body)
    return message.as_bytes(policy=SMTP)


async def test_reply_is_handed_over_once_and_marked(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    sent = reply_mail()
    uid = dovecot.append(sent)
    attendees = Attendees()

    report = await poll(imap_settings, attendees)

    assert report.applied == [uid] and not report.error
    assert attendees.calls == [sent]  # byte for byte
    assert attendees.replies[0].attendee_email == "p.jansen@politie.example"
    assert attendees.replies[0].partstat == "ACCEPTED"
    assert dovecot.flags(uid) >= {DONE_KEYWORD, SEEN}

    again = await poll(imap_settings, attendees)
    assert again == imap.PollReport()
    assert len(attendees.calls) == 1


async def test_invalid_message_is_ignored_marked_and_left_unread(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    uid = dovecot.append(plain_mail())
    attendees = Attendees()

    report = await poll(imap_settings, attendees)
    await poll(imap_settings, attendees)

    assert report.ignored == [uid] and report.applied == []
    assert len(attendees.calls) == 1
    # Out of casetafel's way, but still unread for the coordinator who reads the mailbox.
    assert DONE_KEYWORD in dovecot.flags(uid)
    assert SEEN not in dovecot.flags(uid)


async def test_handler_failure_leaves_the_message_for_the_next_poll(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    first = dovecot.append(reply_mail("a@politie.example"))
    failing = dovecot.append(reply_mail("b@reclassering.example", "DECLINED"))
    last = dovecot.append(reply_mail("c@gemeente.example", "TENTATIVE"))
    attendees = Attendees("b@reclassering.example")

    report = await poll(imap_settings, attendees)

    assert report.applied == [first, last]
    assert report.failed == [failing]
    assert not report.error
    assert dovecot.flags(failing) & {DONE_KEYWORD, SEEN} == set()  # BODY.PEEK: still unread

    retry = await poll(imap_settings, attendees)

    assert retry.applied == [failing]
    assert [reply.attendee_email for reply in attendees.replies] == [
        "a@politie.example",
        "c@gemeente.example",
        "b@reclassering.example",
    ]
    assert len(attendees.calls) == 4


async def test_message_read_by_a_person_is_still_handed_over(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    read_before = dovecot.append(reply_mail(), flags=SEEN)
    read_after = dovecot.append(reply_mail("k.bakker@politie.example"))
    dovecot.set_flags(read_after, SEEN)
    attendees = Attendees()

    report = await poll(imap_settings, attendees)

    assert report.applied == [read_before, read_after]


async def test_message_marked_deleted_is_left_alone(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    uid = dovecot.append(reply_mail(), flags="\\Deleted")
    attendees = Attendees()

    report = await poll(imap_settings, attendees)

    assert report == imap.PollReport() and attendees.calls == []
    assert DONE_KEYWORD not in dovecot.flags(uid)


async def test_empty_mailbox(dovecot: Dovecot, imap_settings: Settings) -> None:
    attendees = Attendees()

    report = await poll(imap_settings, attendees)

    assert report == imap.PollReport()
    assert attendees.calls == []


async def test_many_messages_are_fetched_in_batches_in_order(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    uids = dovecot.append_all(
        [reply_mail(f"deelnemer{number:03d}@example.test") for number in range(120)]
    )
    attendees = Attendees()

    report = await poll(imap_settings, attendees, batch_size=50, max_message_bytes=20_000)

    assert report.applied == uids
    assert [reply.attendee_email for reply in attendees.replies] == [
        f"deelnemer{number:03d}@example.test" for number in range(120)
    ]
    assert (await poll(imap_settings, attendees)).handled == 0


async def test_message_deleted_meanwhile_is_skipped(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    uids = [dovecot.append(reply_mail(f"d{number}@example.test")) for number in range(3)]
    attendees = Attendees()

    async def delete_the_others_when_called(data: bytes) -> Outcome:
        # Another client (a person, a mail rule) removes messages while casetafel polls:
        # the one being handled and the next one, after casetafel's search found them.
        if not attendees.calls:
            dovecot.delete(uids[0], uids[1])
        return await attendees(data)

    report = await poll(imap_settings, delete_the_others_when_called, batch_size=1)

    assert report.applied == [uids[0], uids[2]]
    assert report.vanished == [uids[1]]
    assert not report.error


async def test_too_large_message_is_marked_without_the_handler(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    big = dovecot.append(plain_mail("Notulen", "Een lange bijlage.\n" * 500))
    small = dovecot.append(reply_mail())
    attendees = Attendees()

    report = await poll(imap_settings, attendees, max_message_bytes=5_000)

    assert report.too_large == [big]
    assert report.applied == [small]
    assert len(attendees.calls) == 1
    assert DONE_KEYWORD in dovecot.flags(big) and SEEN not in dovecot.flags(big)


async def test_message_that_looks_like_imap_is_handed_over_intact(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    """The literal is found by its announced size, whatever it contains."""
    tricky = plain_mail(
        "Haakjes (((", "* 3 FETCH (UID 99 BODY[] {12}\r\n)))\r\nA1 OK done\r\n{0}\r\n"
    )
    uid = dovecot.append(tricky)
    after = dovecot.append(reply_mail())
    attendees = Attendees()

    report = await poll(imap_settings, attendees)

    assert report.ignored == [uid] and report.applied == [after]
    assert attendees.calls[0] == tricky


async def test_mailbox_from_the_url(settings: Settings, dovecot: Dovecot) -> None:
    dovecot.create_mailbox("Antwoorden casetafel")
    in_folder = dovecot.append(reply_mail(), mailbox="Antwoorden casetafel")
    dovecot.append(reply_mail("iemand.anders@example.test"))  # in INBOX: not ours
    folder_settings = dataclasses.replace(settings, imap_url=dovecot.url("Antwoorden%20casetafel"))
    attendees = Attendees()

    report = await poll(folder_settings, attendees)

    assert report.applied == [in_folder]
    assert DONE_KEYWORD in dovecot.flags(in_folder, mailbox="Antwoorden casetafel")


async def test_missing_mailbox_is_reported(settings: Settings, dovecot: Dovecot) -> None:
    attendees = Attendees()

    report = await poll(
        dataclasses.replace(settings, imap_url=dovecot.url("Bestaat-niet")), attendees
    )

    assert "mailbox 'Bestaat-niet' cannot be opened" in report.error
    assert attendees.calls == []


async def test_server_down_is_reported_not_raised(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    down = dataclasses.replace(settings, imap_url=f"imap://u:p@127.0.0.1:{free_port()}/")
    attendees = Attendees()

    with caplog.at_level(logging.WARNING, logger="casetafel.mail"):
        report = await poll(down, attendees)

    assert report.error.startswith("IMAP server 127.0.0.1:")
    assert "not reachable" in report.error
    assert attendees.calls == []
    assert "the next poll tries again" in caplog.text


async def test_wrong_password_is_reported_without_the_password(
    settings: Settings, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = dataclasses.replace(settings, imap_url=dovecot.url(password="fout-wachtwoord"))

    with caplog.at_level(logging.DEBUG):
        report = await poll(wrong, Attendees())

    assert "login as 'zvh-kennemerland'" in report.error and "refused" in report.error
    assert "fout-wachtwoord" not in caplog.text


async def test_server_gone_during_the_poll_is_reported_and_the_message_comes_again(
    dovecot: Dovecot, imap_settings: Settings
) -> None:
    uid = dovecot.append(reply_mail())
    attendees = Attendees()

    async def stop_server_then_apply(data: bytes) -> Outcome:
        dovecot.crash()  # the server goes down after the fetch, before the mark
        return await attendees(data)

    report = await poll(imap_settings, stop_server_then_apply, command_timeout=2)

    assert report.error.startswith("IMAP session with 127.0.0.1:")
    assert len(attendees.calls) == 1

    dovecot.start()
    again = await poll(imap_settings, attendees)

    # At least once: the mark never arrived, so the (idempotent) handler gets it again.
    assert again.applied == [uid]
    assert len(attendees.calls) == 2


async def test_message_bodies_are_not_logged(
    dovecot: Dovecot, imap_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot.append(plain_mail(body="Vertrouwelijk: adres van betrokkene\n"))
    failing = reply_mail("b@reclassering.example")
    dovecot.append(failing)

    with caplog.at_level(logging.DEBUG):
        report = await poll(imap_settings, Attendees("b@reclassering.example"))

    assert len(report.ignored) == 1 and len(report.failed) == 1
    assert "imap: message uid=1 <" in caplog.text  # the Message-ID names it
    assert "Vertrouwelijk" not in caplog.text
    assert "BEGIN:VCALENDAR" not in caplog.text


async def test_imaps_with_a_self_signed_certificate(settings: Settings, tls: Tls) -> None:
    require_dovecot()
    server = Dovecot(cert=tls.cert, key=tls.key)
    server.start()
    try:
        uid = server.append(reply_mail())
        secure = dataclasses.replace(settings, imap_url=server.url(tls=True))
        attendees = Attendees()

        untrusted = await poll(secure, attendees)
        trusted = await poll(secure, attendees, tls_context=tls.client_context())
    finally:
        server.remove()

    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.error
    assert trusted.applied == [uid] and not trusted.error


async def test_no_url_means_no_polling(settings: Settings) -> None:
    attendees = Attendees()

    report = await poll(dataclasses.replace(settings, imap_url=""), attendees)

    assert report == imap.PollReport() and attendees.calls == []


def test_register_adds_the_job_only_when_the_url_is_set(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    imap.register(scheduler, dataclasses.replace(settings, imap_url=""), Attendees())
    assert scheduler.get_jobs() == []

    remote = "imap://zvh:geheim@imap.example.test/INBOX"
    with caplog.at_level(logging.WARNING, logger="casetafel.mail"):
        imap.register(
            scheduler,
            dataclasses.replace(settings, imap_url=remote, imap_poll_seconds=30),
            Attendees(),
        )

    [job] = scheduler.get_jobs()
    assert job.id == "mail.poll_imap"
    assert job.trigger.interval == timedelta(seconds=30)
    assert "unencrypted" in caplog.text and "geheim" not in caplog.text


async def test_scheduled_poll_never_raises(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> imap.PollReport:
        raise RuntimeError("bug")

    monkeypatch.setattr(imap, "poll", broken)
    with caplog.at_level(logging.ERROR, logger="casetafel.mail"):
        await imap.poll_mailbox(
            dataclasses.replace(settings, imap_url="imap://u:p@127.0.0.1:1/"), Attendees()
        )

    assert "the poll failed" in caplog.text


# Settings


def test_shipped_config_polls_nothing() -> None:
    settings = load_settings(REPO / "config")
    assert settings.imap_url == ""
    assert settings.imap_poll_seconds == 60


def test_imap_settings_may_be_left_out_of_the_file(tmp_path: Path) -> None:
    shipped = (REPO / "config" / "casetafel.toml").read_text()
    without = [line for line in shipped.splitlines() if not line.startswith("imap_")]
    (tmp_path / "casetafel.toml").write_text("\n".join(without) + "\n")

    settings = load_settings(tmp_path)

    assert settings.imap_url == "" and settings.imap_poll_seconds == 60


def test_imap_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETAFEL_IMAP_URL", "imaps://zvh%40ken:ge%23heim@mail.example.test/")
    monkeypatch.setenv("CASETAFEL_IMAP_POLL_SECONDS", "5")

    settings = load_settings(REPO / "config")

    assert settings.imap_poll_seconds == 5
    assert ImapTarget.from_url(settings.imap_url) == ImapTarget(
        host="mail.example.test",
        port=993,
        implicit_tls=True,
        username="zvh@ken",
        password="ge#heim",
        mailbox="INBOX",
    )


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("CASETAFEL_IMAP_URL", "http://zvh:geheim@mail.example.test/", "imap_url"),
        ("CASETAFEL_IMAP_URL", "imap://mail.example.test/INBOX", "imap_url"),
        ("CASETAFEL_IMAP_URL", "imap://zvh:geheim@mail.example.test:imap/", "imap_url"),
        ("CASETAFEL_IMAP_URL", "imap://zvh:geheim@mail.example.test/Postvak%20IN%E2", "imap_url"),
        ("CASETAFEL_IMAP_POLL_SECONDS", "4", "imap_poll_seconds"),
        ("CASETAFEL_IMAP_POLL_SECONDS", "elke minuut", "imap_poll_seconds"),
    ],
)
def test_invalid_imap_setting_names_the_key_not_the_password(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, key: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as error:
        load_settings(REPO / "config")

    assert error.value.key == key
    assert error.value.source == variable
    assert "geheim" not in str(error.value)


def test_empty_imap_url_in_the_environment_switches_polling_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASETAFEL_IMAP_URL", " ")
    assert load_settings(REPO / "config").imap_url == ""
