"""The message as the outbox stores it: MIME structure, encodings, the calendar intact."""

from __future__ import annotations

from email import message_from_bytes, policy

from icalendar import Calendar as ICalendar

from casetafel.mail.messages import message_id_for
from tests.mail.conftest import INVITE, invite_mail


def test_invite_is_alternative_text_html_calendar_with_an_ics_attachment():
    mail = invite_mail()
    raw = mail.content.encode("ascii")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Message-ID"] == mail.message_id == message_id_for(mail.idempotency_key)
    assert str(message["Subject"]) == "Uitnodiging casusoverleg KEN-2026-0001 – 1 december"
    assert message["From"].addresses[0].addr_spec == "zvh-kennemerland@casetafel.example"
    assert str(message["To"]) == "p.jansen@politie.example"
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, calendar = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert "U bent uitgenodigd" in plain.get_content()
    assert html.get_content_type() == "text/html"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_payload(decode=True) == INVITE
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == INVITE
    parsed = ICalendar.from_ical(calendar.get_payload(decode=True))
    assert str(parsed["METHOD"]) == "REQUEST"
    assert str(parsed.walk("VEVENT")[0]["SUMMARY"]) == (
        "Casusoverleg KEN-2026-0001 (Zorg- en Veiligheidshuis Kennemerland – regionaal overleg)"
    )


def test_the_same_key_gives_the_same_message_id():
    assert invite_mail().message_id == invite_mail().message_id
    assert invite_mail().message_id != invite_mail(recipient="ander@example.test").message_id
    assert message_id_for("x").startswith("<") and message_id_for("x").endswith("@casetafel>")
