"""The queue page (/mail/wachtrij) and the developer's mail page (/dev/mail)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from casetafel import db
from casetafel.access.models import AuditEvent
from casetafel.mail.models import OutboxMessage
from casetafel.mail.sender import send_due
from casetafel.mail.service import enqueue
from casetafel.mail.sink import KeepingHandler
from casetafel.organisations.models import Region
from tests.conftest import csrf, login
from tests.mail.conftest import INVITE, app_client, free_port, invite_mail


async def _dead_invite() -> OutboxMessage:
    region = await Region.select(Region.id).where(Region.code == "KEN").first()
    async with db.transaction():
        await enqueue(invite_mail(region_id=region["id"]))
    await OutboxMessage.update(
        {
            OutboxMessage.state: "dead",
            OutboxMessage.attempts: 8,
            OutboxMessage.last_error: "550 5.1.1 Mailbox bestaat niet",
        }
    ).where(OutboxMessage.id > 0)
    row = await OutboxMessage.objects().first()
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("coordinator", 200),
        ("beheer", 200),
        ("velsen", 403),
        ("politie", 403),
        ("regiegroep", 403),
        ("privacy", 403),
    ],
)
async def test_queue_page_by_role(client, users, username, status):
    await _dead_invite()
    await login(client, username)
    response = await client.get("/mail/wachtrij")
    assert response.status_code == status
    if status == 200:
        assert "p.jansen@politie.example" in response.text
        assert "Uitnodiging casusoverleg KEN-2026-0001" in response.text
        assert "550 5.1.1 Mailbox bestaat niet" in response.text
        assert "Opnieuw versturen" in response.text
        # Never the body of a message.
        assert "U bent uitgenodigd" not in response.text
        assert "BEGIN:VCALENDAR" not in response.text


async def test_queue_page_needs_a_login(client, users):
    response = await client.get("/mail/wachtrij")
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/inloggen")


async def test_resend_button_puts_the_message_back(client, users):
    row = await _dead_invite()
    await login(client, "coordinator")
    await client.get("/mail/wachtrij")
    refused = await client.post(f"/mail/wachtrij/{row.id}/opnieuw", data={})
    assert refused.status_code == 403
    assert (await OutboxMessage.objects().first()).state == "dead"

    response = await client.post(
        f"/mail/wachtrij/{row.id}/opnieuw", data={"_csrf_token": csrf(client)}
    )
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/mail/wachtrij?opnieuw=1"
    again = await OutboxMessage.objects().first()
    assert again.state == "pending" and again.attempts == 0
    assert await AuditEvent.count().where(AuditEvent.action == "mail.resend") == 1
    page = await client.get(response.headers["location"])
    assert "weer in de wachtrij" in page.text
    assert "Er zijn geen mislukte berichten." in page.text

    twice = await client.post(
        f"/mail/wachtrij/{row.id}/opnieuw", data={"_csrf_token": csrf(client)}
    )
    assert twice.status_code == 409


@pytest.fixture
def sink(tmp_path: Path):
    folder = tmp_path / "mail"
    port = free_port()
    controller = Controller(KeepingHandler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    yield folder, f"smtp://127.0.0.1:{port}"
    controller.stop()


async def test_dev_mail_page_shows_a_received_invite(settings, users, sink):
    folder, smtp_url = sink
    async with db.transaction():
        await enqueue(invite_mail())
    dev = dataclasses.replace(
        settings, smtp_url=smtp_url, mail_sink_dir=str(folder), dev_mail_page=True
    )
    assert len((await send_due(dev)).sent) == 1
    [eml] = folder.glob("*.eml")

    async for http in app_client(dev):
        await login(http, "coordinator")
        response = await http.get("/dev/mail")
        assert response.status_code == 200
        text = response.text
        assert "Uitnodiging casusoverleg KEN-2026-0001 – 1 december" in text
        assert "p.jansen@politie.example" in text
        assert "U bent uitgenodigd voor het casusoverleg." in text
        assert "REQUEST" in text
        assert "meeting-42@casetafel.example" in text
        assert "01-12-2026 10:30 (Amsterdam)" in text  # DTSTART 09:30Z
        assert "<dt>SEQUENCE</dt><dd>2</dd>" in text
        assert "regionaal overleg" in text
        link = f"/dev/mail/{eml.stem}/invite.ics"
        assert link in text
        ics = await http.get(link)
        assert ics.status_code == 200
        assert ics.headers["content-type"].startswith("text/calendar")
        assert ics.content == INVITE
        assert (await http.get("/dev/mail/..%2Fgeheim/invite.ics")).status_code == 404
        assert (await http.get("/dev/mail/bestaat-niet/invite.ics")).status_code == 404


async def test_dev_mail_page_is_absent_when_switched_off(settings, users, tmp_path):
    off = dataclasses.replace(settings, dev_mail_page=False, mail_sink_dir=str(tmp_path))
    async for http in app_client(off):
        assert (await http.get("/dev/mail")).status_code == 404
        await login(http, "coordinator")
        assert (await http.get("/dev/mail")).status_code == 404
        assert (await http.get("/dev/mail/x/invite.ics")).status_code == 404
