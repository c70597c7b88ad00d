"""A real SMTP server (aiosmtpd) that records what it accepts, for any test that sends mail.

It counts connections, can answer the next messages with a given reply (451, 550), hold a
message until told, drop the connection after a message, and be stopped (SMTP down) and
started again on the same port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

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
