"""The strict checker must catch what lenient parsers let through, or it proves nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from casetafel.mail.messages import Calendar, compose
from tests.invites.strict import (
    assert_no_personal_data,
    assert_no_personal_data_in_mail,
    assert_strict,
    strict_problems,
)

GOOD = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//casetafel//test//NL\r\n"
    "METHOD:REQUEST\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Amsterdam\r\n"
    "BEGIN:STANDARD\r\n"
    "DTSTART:19961027T030000\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:overleg-42@casetafel.example\r\n"
    "DTSTAMP:20260310T091530Z\r\n"
    "DTSTART;TZID=Europe/Amsterdam:20260317T090000\r\n"
    "DTEND;TZID=Europe/Amsterdam:20260317T103000\r\n"
    "SUMMARY:Casusoverleg ZVH-2026-0042 met een omschrijving die langer is dan\r\n"
    "  één regel\r\n"
    'ORGANIZER;CN="ZVH, Kennemerland":mailto:casetafel@zvh.example\r\n'
    "ATTENDEE;CN=Anna;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:anna@haarlem.nl\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def broken(old: str, new: str) -> bytes:
    assert old in GOOD
    return GOOD.replace(old, new, 1).encode("utf-8")


def test_a_correct_calendar_passes() -> None:
    assert strict_problems(GOOD.encode("utf-8")) == []


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param(GOOD.replace("\r\n", "\n").encode(), "LF without CR", id="lf-line-ends"),
        pytest.param(GOOD.removesuffix("\r\n").encode(), "no line end", id="last-line-unended"),
        pytest.param(
            broken("SUMMARY:", "SUMMARY:" + "x" * 90 + " "), "octets", id="unfolded-90-octets"
        ),
        pytest.param(
            GOOD.encode().replace("dan\r\n  één".encode(), b"dan \xc3\r\n \xa9\xc3\xa9n"),
            "split a character",
            id="fold-splits-utf8",
        ),
        pytest.param(
            broken("METHOD:REQUEST\r\n", "").replace(
                b"END:VCALENDAR", b"METHOD:REQUEST\r\nEND:VCALENDAR"
            ),
            "after the first component",
            id="method-after-vevent",
        ),
        pytest.param(broken("DTSTAMP:20260310T091530Z\r\n", ""), "0 DTSTAMP", id="no-dtstamp"),
        pytest.param(broken("UID:", "UID:a\r\nUID:"), "2 UID", id="two-uids"),
        pytest.param(broken("PRODID:-//casetafel//test//NL\r\n", ""), "0 PRODID", id="no-prodid"),
        pytest.param(
            broken("DTSTART;TZID=Europe/Amsterdam:", "DTSTART:"), "neither UTC", id="floating"
        ),
        pytest.param(
            broken("DTEND;TZID=Europe/Amsterdam", "DTEND;TZID=Europe/Brussels"),
            "no VTIMEZONE",
            id="undefined-tzid",
        ),
        pytest.param(
            broken("DTSTAMP:20260310T091530Z", "DTSTAMP:20260310T091530"),
            "not in UTC",
            id="local-dtstamp",
        ),
        pytest.param(
            broken(":mailto:casetafel@", ":casetafel@"), "mailto", id="organizer-no-mailto"
        ),
        pytest.param(broken("mailto:anna@haarlem.nl", "mailto:anna"), "mailto", id="no-at"),
        pytest.param(
            broken('CN="ZVH, Kennemerland"', r"CN=ZVH\, Kennemerland"),
            "CN has 2",
            id="backslash-comma-in-cn",
        ),
        pytest.param(broken("END:VEVENT\r\n", ""), "closes VEVENT", id="unbalanced"),
        pytest.param(
            broken("BEGIN:VCALENDAR\r\n", ""), "start with BEGIN:VCALENDAR", id="no-begin"
        ),
        pytest.param(broken("SUMMARY:", "\r\nSUMMARY:"), "empty", id="empty-line"),
        pytest.param(
            broken("BEGIN:STANDARD", "BEGIN:X-NONE").replace(b"END:STANDARD", b"END:X-NONE"),
            "no STANDARD or DAYLIGHT",
            id="empty-vtimezone",
        ),
        pytest.param(broken("VERSION:2.0", "VERSION:1.0"), "not 2.0", id="vcalendar-1"),
    ],
)
def test_a_broken_calendar_fails(raw: bytes, problem: str) -> None:
    problems = strict_problems(raw)
    assert any(problem in found for found in problems), problems
    with pytest.raises(AssertionError):
        assert_strict(raw)


def test_the_output_of_the_ics_library_fails() -> None:
    ics = pytest.importorskip("ics")
    from datetime import datetime
    from zoneinfo import ZoneInfo

    calendar = ics.Calendar()
    calendar.method = "REQUEST"
    amsterdam = ZoneInfo("Europe/Amsterdam")
    event = ics.Event(
        name="Casusoverleg ZVH-2026-0042 in het Zorg- en Veiligheidshuis Kennemerland te Haarlem",
        begin=datetime(2026, 3, 17, 9, tzinfo=amsterdam),
        end=datetime(2026, 3, 17, 10, tzinfo=amsterdam),
        uid="overleg-42@casetafel.example",
    )
    event.attendees.add(ics.Attendee("a.pietersen@haarlem.example", common_name="Pietersen, Anna"))
    calendar.events.add(event)
    problems = "\n".join(strict_problems(calendar.serialize().encode("utf-8")))
    for expected in ("octets", "after the first component", "0 DTSTAMP", "CN has 2", "no line end"):
        assert expected in problems


def test_personal_data_is_found_however_it_is_written() -> None:
    raw = (
        b"BEGIN:VEVENT\r\n"
        b"DESCRIPTION:Betrokkene: de Vries\\, Jan (geboren 01-02-1980)\\nDelict: \r\n"
        b" zedendelict\r\n"
        b"ATTENDEE;CN=\"Jan ^'JJ^' Jansen\":mailto:j@example.nl\r\n"
        b"END:VEVENT\r\n"
    )
    for needle in (
        "de Vries, Jan",
        "01-02-1980",
        "Delict: zedendelict",
        'Jan "JJ" Jansen',
        "DE VRIES",
    ):
        with pytest.raises(AssertionError, match="appears"):
            assert_no_personal_data(raw, [needle])
    assert_no_personal_data(raw, ["Pietersen", "1979"])


def test_an_empty_forbidden_string_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        assert_no_personal_data(b"BEGIN:VCALENDAR\r\n", [" "])


def test_personal_data_is_found_in_the_decoded_parts_of_an_email() -> None:
    """On the wire the calendar is base64, the HTML quoted-printable and a non-ASCII subject
    RFC 2047: a search of the raw bytes would find none of these names."""
    raw = compose(
        sender="zvh@kennemerland.example.nl",
        recipient="politie@example.test",
        subject="Overleg Müller",
        text="Beste collega,",
        html="<p>Beste Jörg,</p>",
        message_id="<x@casetafel>",
        date=datetime(2026, 11, 25, 8, tzinfo=UTC),
        calendar=Calendar("REQUEST", GOOD.replace("SUMMARY:", "SUMMARY:Testpersoon ").encode()),
    )
    assert b"Testpersoon" not in raw and "Müller".encode() not in raw
    with pytest.raises(ValueError, match="assert_no_personal_data_in_mail"):
        assert_no_personal_data(raw, ["Testpersoon"])
    parsed = message_from_bytes(raw, policy=policy.default)
    for needle, where in (
        ("Testpersoon", "text/calendar"),
        ("Müller", "header Subject"),
        ("Jörg", "text/html"),
    ):
        for message in (raw, parsed):
            with pytest.raises(AssertionError, match=where):
                assert_no_personal_data_in_mail(message, [needle])
    assert_no_personal_data_in_mail(raw, ["Pietersen", "1979"])
