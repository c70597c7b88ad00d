"""A real SMTP server (aiosmtpd) for the mail tests, and helpers to fill the outbox.

The server records every message it accepts and every connection it gets. It can answer
the next messages with a given reply (451, 550), hold a message until told, drop the
connection after a message, be stopped (SMTP down) and started again on the same port.
"""

from __future__ import annotations

import dataclasses
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from casetafel import db
from casetafel.app import create_app
from casetafel.mail.messages import Calendar, OutgoingMail, build
from casetafel.mail.service import enqueue
from casetafel.organisations.service import load_directory
from casetafel.settings import Settings
from tests.support.smtp import SECRET, USER, SmtpServer, free_port

SENDER = "zvh-kennemerland@casetafel.example"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Tls(cert, key)


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == SECRET.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return dataclasses.replace(settings, smtp_url=smtp_server.url)


# An invite as the meetings domain will write it with icalendar: CRLF, folded, UTF-8.
INVITE = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//casetafel//NL\r\n"
    "METHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:meeting-42@casetafel.example\r\n"
    "DTSTAMP:20261125T090000Z\r\n"
    "DTSTART:20261201T093000Z\r\n"
    "DTEND:20261201T103000Z\r\n"
    "SEQUENCE:2\r\n"
    "SUMMARY:Casusoverleg KEN-2026-0001 (Zorg- en Veiligheidshuis Kennemerland\r\n"
    "  \u2013 regionaal overleg)\r\n"
    "LOCATION:Zorg- en Veiligheidshuis\\, Haarlem\r\n"
    "ORGANIZER;CN=ZVH Kennemerland:mailto:zvh-kennemerland@casetafel.example\r\n"
    'ATTENDEE;CN="Jansen, P.";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:\r\n'
    " mailto:p.jansen@politie.example\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
).encode()


def invite_mail(
    recipient: str = "p.jansen@politie.example",
    key: str = "",
    region_id: int | None = None,
    kind: str = "invite",
) -> OutgoingMail:
    return build(
        idempotency_key=key or f"meeting-42:2:{recipient}:{kind}",
        kind=kind,
        sender=SENDER,
        sender_name="Zorg- en Veiligheidshuis Kennemerland",
        recipient=recipient,
        subject="Uitnodiging casusoverleg KEN-2026-0001 – 1 december",
        text="Beste deelnemer,\n\nU bent uitgenodigd voor het casusoverleg.\n\nMet groet,\nZVH\n",
        html="<p>Beste deelnemer,</p><p>U bent uitgenodigd voor het casusoverleg.</p>",
        calendar=Calendar("REQUEST", INVITE),
        region_id=region_id,
    )


async def queue_mails(count: int, kind: str = "reminder", region_id: int | None = None) -> None:
    """`count` plain messages to different recipients, in one transaction."""
    async with db.transaction():
        for number in range(count):
            recipient = f"deelnemer{number:03d}@example.test"
            await enqueue(
                build(
                    idempotency_key=f"test:{number}:{recipient}:{kind}",
                    kind=kind,
                    sender=SENDER,
                    recipient=recipient,
                    subject=f"Herinnering {number}",
                    text=f"Herinnering nummer {number}.\n",
                    html=f"<p>Herinnering nummer {number}.</p>",
                    region_id=region_id,
                )
            )


async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings, own_database=False)
    application.state.directory = await load_directory()
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
