"""Inbound REPLY as Outlook, Google, Apple and Thunderbird write them, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import vobject

from casetafel.invites.calendar import request
from casetafel.invites.replies import InvalidReply, Reply, parse_replies, parse_reply
from tests.invites.examples import MEETING

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_outlook_accepts_with_a_comment() -> None:
    assert parse_reply(sample("outlook_accepted.ics")) == Reply(
        uid="overleg-42@casetafel.example",
        recurrence_id=None,
        sequence=1,
        attendee_email="a.pietersen@haarlem.example",  # from MAILTO:A.Pietersen@Haarlem...
        partstat="ACCEPTED",
        comment="Ik schuif aan, maar kom tien minuten later.",
        dtstamp=datetime(2026, 3, 10, 10, 15, 12, tzinfo=UTC),
    )


def test_apple_answers_one_occurrence_tentatively() -> None:
    reply = parse_reply(sample("apple_tentative_occurrence.ics"))
    assert (reply.uid, reply.partstat, reply.sequence) == (
        "triage-7@casetafel.example",
        "TENTATIVE",
        2,
    )
    assert reply.attendee_email == "m.jansen@reclassering.example"
    assert reply.recurrence_id == datetime(2026, 3, 31, 7, tzinfo=UTC)  # 09:00 CEST


def test_thunderbird_accepts_with_a_comment() -> None:
    reply = parse_reply(sample("thunderbird_accepted_comment.ics"))
    assert (reply.attendee_email, reply.partstat) == ("p.bakker@politie.example", "ACCEPTED")
    assert reply.comment == "Ik neem de wijkagent mee; hij kent de buurt."


def test_a_whole_google_email_is_read_from_its_calendar_part() -> None:
    reply = parse_reply(sample("google_declined.eml"))
    assert reply == Reply(
        uid="overleg-42@casetafel.example",
        recurrence_id=None,
        sequence=1,
        attendee_email="jeroen.devries.ggz@gmail.example",
        partstat="DECLINED",
        comment="",
        dtstamp=datetime(2026, 3, 10, 9, 30, 12, tzinfo=UTC),
    )
    assert parse_reply(sample("google_declined.eml").decode("ascii")) == reply


@pytest.mark.parametrize(
    "name",
    [
        "outlook_accepted.ics",
        "apple_tentative_occurrence.ics",
        "thunderbird_accepted_comment.ics",
    ],
)
def test_the_samples_are_valid_for_a_second_parser_too(name: str) -> None:
    calendar = vobject.readOne(sample(name).decode("utf-8"))
    assert calendar.method.value == "REPLY"
    assert len(calendar.vevent.contents["attendee"]) == 1


def test_an_email_with_the_reply_only_as_an_ics_attachment() -> None:
    message = EmailMessage()
    message["From"] = "Anna Pietersen <a.pietersen@haarlem.example>"
    message["Subject"] = "Geaccepteerd: Casusoverleg ZVH-2026-0042"
    message.set_content("Zie bijlage.")
    message.add_attachment(
        sample("outlook_accepted.ics"),
        maintype="application",
        subtype="octet-stream",
        filename="antwoord.ics",
    )
    assert parse_reply(message.as_bytes()).partstat == "ACCEPTED"


def test_the_part_marked_method_reply_wins_over_a_forwarded_invite() -> None:
    message = EmailMessage()
    message.set_content("Doorgestuurd met antwoord.")
    message.add_alternative(
        request([MEETING]).decode(), subtype="calendar", params={"method": "REQUEST"}
    )
    message.add_alternative(
        sample("thunderbird_accepted_comment.ics").decode(),
        subtype="calendar",
        params={"method": "REPLY"},
    )
    assert parse_reply(message.as_bytes()).attendee_email == "p.bakker@politie.example"


def test_lf_line_ends_a_bom_and_text_input_are_accepted() -> None:
    text = sample("thunderbird_accepted_comment.ics").decode().replace("\r\n", "\n")
    expected = parse_reply(sample("thunderbird_accepted_comment.ics"))
    assert parse_reply(text) == expected
    assert parse_reply("\ufeff" + text) == expected
    assert parse_reply(b"\xef\xbb\xbf" + text.encode()) == expected


def test_a_floating_recurrence_id_is_taken_as_amsterdam_time() -> None:
    text = sample("apple_tentative_occurrence.ics").replace(
        b"RECURRENCE-ID;TZID=Europe/Amsterdam:", b"RECURRENCE-ID:"
    )
    assert parse_reply(text).recurrence_id == datetime(2026, 3, 31, 7, tzinfo=UTC)


def test_answers_to_several_occurrences_are_all_read_but_not_as_one() -> None:
    text = sample("apple_tentative_occurrence.ics").decode()
    head, event, tail = text.partition("BEGIN:VEVENT")
    second = (event + tail.split("END:VCALENDAR")[0]).replace("20260331T09", "20260407T09")
    two = head + event + tail.split("END:VCALENDAR")[0] + second + "END:VCALENDAR\r\n"
    replies = parse_replies(two)
    assert [reply.recurrence_id for reply in replies] == [
        datetime(2026, 3, 31, 7, tzinfo=UTC),
        datetime(2026, 4, 7, 7, tzinfo=UTC),
    ]
    with pytest.raises(InvalidReply, match="meer dan één afspraak"):
        parse_reply(two)


THUNDERBIRD = sample("thunderbird_accepted_comment.ics")


def changed(old: bytes, new: bytes) -> bytes:
    assert old in THUNDERBIRD
    return THUNDERBIRD.replace(old, new)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b" \r\n", "leeg", id="empty"),
        pytest.param(b"hallo, ik kom!", "geen agenda-onderdeel", id="plain-text"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "geen agenda-onderdeel", id="binary"),
        pytest.param(b"BEGIN:VCALENDAR\r\nhallo\r\n", "geen geldig iCalendar", id="garbage-ics"),
        pytest.param(changed(b"METHOD:REPLY\r\n", b""), "METHOD:REPLY ontbreekt", id="no-method"),
        pytest.param(
            changed(b"METHOD:REPLY", b"METHOD:REQUEST"), "METHOD is REQUEST", id="a-request"
        ),
        pytest.param(
            THUNDERBIRD.split(b"BEGIN:VEVENT")[0] + b"END:VCALENDAR\r\n",
            "VEVENT ontbreekt",
            id="no-vevent",
        ),
        pytest.param(
            changed(b"UID:overleg-42@casetafel.example\r\n", b""), "geen UID", id="no-uid"
        ),
        pytest.param(
            changed(
                b"COMMENT:", b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:x@politie.example\r\nCOMMENT:"
            ),
            "precies één deelnemer",
            id="two-attendees",
        ),
        pytest.param(
            changed(
                b"ATTENDEE;RSVP=TRUE;CN=Piet Bakker;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:ma\r\n"
                b" ilto:p.bakker@politie.example\r\n",
                b"",
            ),
            "dit bestand noemt er 0",
            id="no-attendee",
        ),
        pytest.param(
            changed(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DELEGATED"), "DELEGATED", id="delegated"
        ),
        pytest.param(changed(b"PARTSTAT=ACCEPTED;", b""), "PARTSTAT=leeg", id="no-partstat"),
        pytest.param(changed(b":ma\r\n ilto:", b":urn:uuid:"), "geen e-mailadres", id="no-mailto"),
        pytest.param(
            changed(b"SEQUENCE:1", b"SEQUENCE:een"), "onleesbare waarde", id="bad-sequence"
        ),
        pytest.param(
            changed(b"UID:", b"RECURRENCE-ID;VALUE=DATE:20260317\r\nUID:"),
            "datum zonder tijd",
            id="date-recurrence-id",
        ),
        pytest.param(THUNDERBIRD + THUNDERBIRD, "geen geldig iCalendar", id="two-calendars"),
        pytest.param(
            THUNDERBIRD.replace(b"COMMENT:", b"COMMENT:" + b"x" * 600_000), "te groot", id="huge"
        ),
    ],
)
def test_a_malformed_reply_is_refused_in_dutch(data: bytes, message: str) -> None:
    with pytest.raises(InvalidReply, match=message):
        parse_reply(data)


def test_an_email_without_a_calendar_part_is_refused() -> None:
    message = EmailMessage()
    message["Subject"] = "Re: Casusoverleg"
    message.set_content("Ik kom graag.")
    with pytest.raises(
        InvalidReply, match=r"geen agenda-onderdeel \(text/calendar\) of \.ics-bijlage"
    ):
        parse_reply(message.as_bytes())
