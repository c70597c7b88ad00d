"""The SMTP password never travels in clear: with credentials on an smtp:// URL and a server
that offers no STARTTLS (but does offer AUTH), casetafel does not log in, sends nothing and
keeps every message queued without counting an attempt, and logs a configuration error."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from casetafel import clock
from casetafel.mail.models import OutboxMessage
from casetafel.mail.sender import backoff, send_due
from casetafel.settings import Settings
from tests.mail.conftest import authenticator, queue_mails
from tests.support.smtp import SECRET, SmtpServer, free_port

# The test server is insecure on purpose; aiosmtpd says so.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class AuthAttempts:
    """An aiosmtpd authenticator that remembers every AUTH it was asked to check."""

    def __init__(self) -> None:
        self.mechanisms: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        return authenticator(server, session, envelope, mechanism, auth_data)


@pytest.fixture
def attempts() -> AuthAttempts:
    return AuthAttempts()


@pytest.fixture
def plaintext_server(attempts: AuthAttempts) -> Iterator[SmtpServer]:
    """No TLS at all, AUTH offered and required on the plain connection."""
    server = SmtpServer(
        free_port(), auth_required=True, auth_require_tls=False, authenticator=attempts
    )
    server.start()
    yield server
    server.stop()


async def test_credentials_are_not_sent_without_starttls_and_nothing_is_lost(
    clean: None,
    settings: Settings,
    plaintext_server: SmtpServer,
    attempts: AuthAttempts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = plaintext_server.url
    assert url.startswith(f"smtp://casetafel:{SECRET}@")
    insecure = dataclasses.replace(settings, smtp_url=url)
    await queue_mails(3)
    now = clock.now()

    with caplog.at_level(logging.WARNING, logger="casetafel.mail"):
        report = await send_due(insecure, now=now)

    assert len(report.postponed) == 3 and not report.sent and not report.dead
    assert attempts.mechanisms == [], "the password reached the server in clear"
    assert plaintext_server.recorder.received == []
    rows = await OutboxMessage.objects()
    assert {(row.state, row.attempts) for row in rows} == {("pending", 0)}
    assert all(row.due_at == now + backoff(insecure, 0) for row in rows)
    assert all(row.last_error.startswith("SMTP-configuratiefout:") for row in rows)
    assert all("STARTTLS" in row.last_error and SECRET not in row.last_error for row in rows)
    [record] = [r for r in caplog.records if r.name == "casetafel.mail"]
    assert record.levelno == logging.ERROR and "STARTTLS" in record.getMessage()
    assert SECRET not in record.getMessage()

    # Later rounds refuse again: still queued, still no attempt counted.
    for hours in range(1, 4):
        later = now + backoff(insecure, 0) * 60 * hours
        assert len((await send_due(insecure, now=later)).postponed) == 3
    assert {(row.state, row.attempts) for row in await OutboxMessage.objects()} == {("pending", 0)}
    assert attempts.mechanisms == []
