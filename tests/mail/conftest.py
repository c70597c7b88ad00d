"""A real SMTP server (aiosmtpd) for the mail tests, and helpers to fill the outbox.

The server records every message it accepts and every connection it gets. It can answer
the next messages with a given reply (451, 550), hold a message until told, drop the
connection after a message, be stopped (SMTP down) and started again on the same port.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from casetafel import db
from casetafel.app import create_app
from casetafel.mail.messages import Calendar, OutgoingMail, build
from casetafel.mail.service import enqueue
from casetafel.organisations.service import load_directory
from casetafel.settings import Settings

SENDER = "zvh-kennemerland@casetafel.example"
USER, SECRET = "casetafel", "geheim-smtp-wachtwoord"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message_id(self) -> str:
        return str(message_from_bytes(self.data, policy=policy.default)["Message-ID"])


class Recorder:
    """The aiosmtpd handler; runs on the server's own thread and loop."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.connections = 0
        self.replies: list[str] = []
        self.hold_after: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.drop_every: int | None = None
        self.delay = 0.0
        self.dropping: set[int] = set()

    def fail_next(self, reply: str, count: int = 1) -> None:
        with self.lock:
            self.replies.extend([reply] * count)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            count = len(self.received)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold_after is not None and count > self.hold_after:
            # The message is in; its sender waits for the reply until the test says so.
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        if self.drop_every and count % self.drop_every == 0:
            self.dropping.add(id(session))
        return "250 2.0.0 Ok: queued"

    async def handle_MAIL(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if id(session) in self.dropping:
            # The server had closed this connection (idle or used up): the client finds
            # out when it starts the next message.
            self.dropping.discard(id(session))
            server.transport.close()
            return "421 4.4.2 Verbinding gesloten"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [item.message_id for item in self.received]


class SmtpServer:
    def __init__(self, port: int, **options: Any) -> None:
        self.port = port
        self.options = options
        self.recorder = Recorder()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        scheme = "smtps" if "ssl_context" in self.options else "smtp"
        credentials = f"{USER}:{SECRET}@" if self.options.get("auth_required") else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}"

    def start(self) -> None:
        recorder = self.recorder

        class CountingController(Controller):
            def factory(self) -> SMTP:
                with recorder.lock:
                    recorder.connections += 1
                return super().factory()

        self.controller = CountingController(
            recorder, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()
        with recorder.lock:
            recorder.connections = 0  # the controller's own start-up probe

    def stop(self) -> None:
        if self.controller is not None:
            self.recorder.release.set()
            self.controller.stop()
            self.controller = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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
