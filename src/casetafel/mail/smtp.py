"""One SMTP connection for a batch of messages, opened when first needed and reopened when
the server dropped it.

smtp://host:port uses STARTTLS when the server offers it; smtps://host:port is TLS from the
first byte; user:password@ in the URL logs in (AUTH) after connecting, but only over an
encrypted session: on smtp:// to a server that offers no STARTTLS the password is not sent
(CleartextRefused), and the messages wait in the outbox.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import aiosmtplib

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        parsed = urlparse(url)
        implicit_tls = parsed.scheme == "smtps"
        return cls(
            host=parsed.hostname or "localhost",
            port=parsed.port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
        )


class Unreachable(Exception):
    """The server could not be reached or refused the session (TLS, AUTH): no message is to
    blame for it."""

    label = "SMTP-server niet bereikbaar"


class CleartextRefused(Unreachable):
    """Credentials are configured but the session is not encrypted: casetafel does not send
    the password in clear. A configuration problem, not a fault of any message."""

    label = "SMTP-configuratiefout"


class SmtpConnection:
    def __init__(self, target: SmtpTarget, tls_context: ssl.SSLContext | None = None) -> None:
        self.target = target
        self.tls_context = tls_context
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, sender: str, recipient: str, content: bytes) -> None:
        """Send one message as it is. Raises Unreachable when no session can be had, or the
        aiosmtplib error of this message's transaction."""
        if self._client is None or not self._client.is_connected:
            await self._open()
        assert self._client is not None
        try:
            await self._client.sendmail(sender, [recipient], content)
        except aiosmtplib.SMTPServerDisconnected:
            # The server closed an idle or used-up connection: one new one, one more try.
            await self._open()
            await self._client.sendmail(sender, [recipient], content)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def _open(self) -> None:
        await self.close()
        # No credentials here: aiosmtplib would log in after connecting even when the server
        # offered no STARTTLS; _log_in checks the session first.
        client = aiosmtplib.SMTP(
            hostname=self.target.host,
            port=self.target.port,
            use_tls=self.target.implicit_tls,
            start_tls=False if self.target.implicit_tls else None,
            tls_context=self.tls_context,
            timeout=TIMEOUT_SECONDS,
        )
        try:
            await client.connect()
            await self._log_in(client)
        except Unreachable:
            client.close()
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise Unreachable(describe(exc)) from exc
        self._client = client

    async def _log_in(self, client: aiosmtplib.SMTP) -> None:
        """AUTH with the URL's credentials, if any, and only over TLS."""
        if self.target.username is None:
            return
        if client.get_transport_info("sslcontext") is None:
            raise CleartextRefused(
                f"{self.target.host}:{self.target.port} biedt geen STARTTLS aan; het "
                "wachtwoord wordt niet onversleuteld verstuurd (zet STARTTLS aan op de server "
                "of gebruik smtps://)"
            )
        await client.login(self.target.username, self.target.password or "")


def describe(exc: BaseException) -> str:
    """A short line for last_error: the server's reply where there is one."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


def reply_code(exc: BaseException) -> int | None:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return exc.recipients[0].code
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code
    return None
