"""The mail sender: claim due outbox rows, send them over one SMTP connection, record each
outcome.

Retry policy (settings mail_max_attempts, mail_retry_base_seconds, mail_retry_max_seconds):
- a 5xx reply (or an address SMTP cannot carry) is permanent: the message is dead at once;
- a 4xx reply, a timeout or a connection lost during the message counts one attempt and the
  message waits base * 2^(attempts - 1) seconds, at most the maximum; when the attempts
  reach mail_max_attempts it is dead;
- when the server cannot be reached at all (refused, TLS or AUTH failure), no message is to
  blame: the rest of the batch goes back unsent with no attempt counted, due again after the
  base delay, with the error shown in the queue. An outage delays mail, it never kills it.
  So does a configuration problem: credentials on smtp:// to a server without STARTTLS
  (the password is not sent in clear; logged as an error until it is fixed).
Claims are committed before sending and each outcome right after its message, so a sender
killed mid-batch leaves at most the message in flight to be sent again (same Message-ID)
once its lease has run out; the rest of its claim is simply sent then.
"""

from __future__ import annotations

import logging
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosmtplib

from casetafel import clock
from casetafel.mail import claims
from casetafel.mail.claims import Claim, Claimed
from casetafel.mail.smtp import (
    CleartextRefused,
    SmtpConnection,
    SmtpTarget,
    Unreachable,
    describe,
    reply_code,
)
from casetafel.settings import Settings

log = logging.getLogger("casetafel.mail")

LEASE = timedelta(minutes=5)
# Stop a batch well before its lease runs out, so that no other sender takes it over meanwhile.
_BATCH_TIME_BUDGET = LEASE.total_seconds() / 2


@dataclass(frozen=True)
class Outcome:
    id: int
    kind: str
    recipient: str
    subject: str
    error: str = ""


@dataclass
class SendReport:
    sent: list[Outcome] = field(default_factory=list)
    retried: list[Outcome] = field(default_factory=list)
    dead: list[Outcome] = field(default_factory=list)
    postponed: list[Outcome] = field(default_factory=list)  # back unsent, no attempt counted

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.retried) + len(self.dead) + len(self.postponed)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the attempts-th failed attempt."""
    seconds = settings.mail_retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.mail_retry_max_seconds))


async def send_due(
    settings: Settings,
    now: datetime | None = None,
    batch_size: int = 50,
    *,
    tls_context: ssl.SSLContext | None = None,
) -> SendReport:
    """One round: claim up to batch_size due messages and send them over one connection."""
    now = now or clock.now()
    claim = await claims.claim_due(now, now + LEASE, batch_size)
    report = SendReport()
    if not claim.rows:
        return report
    connection = SmtpConnection(SmtpTarget.from_url(settings.smtp_url), tls_context)
    started = time.monotonic()
    try:
        for index, row in enumerate(claim.rows):
            if time.monotonic() - started > _BATCH_TIME_BUDGET:
                await _postpone(claim, claim.rows[index:], report)
                break
            try:
                await connection.send(row.sender, row.recipient, row.content.encode("ascii"))
            except Unreachable as exc:
                error = f"{exc.label}: {exc}"
                level = logging.ERROR if isinstance(exc, CleartextRefused) else logging.WARNING
                log.log(level, "mail: %s; %d message(s) wait", error, len(claim.rows) - index)
                failure = claims.Failure(now, now + backoff(settings, 0), error)
                await _postpone(claim, claim.rows[index:], report, failure)
                break
            except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as exc:
                await _failed(settings, claim, row, now, exc, report)
            else:
                await claims.mark_sent(claim, row, now)
                report.sent.append(_outcome(row))
    finally:
        await connection.close()
    return report


async def _failed(
    settings: Settings,
    claim: Claim,
    row: Claimed,
    now: datetime,
    exc: BaseException,
    report: SendReport,
) -> None:
    error = describe(exc)
    code = reply_code(exc)
    attempts = row.attempts + 1
    permanent = isinstance(exc, ValueError) or (code is not None and code >= 500)
    if permanent or attempts >= settings.mail_max_attempts:
        await claims.mark_dead(claim, row, now, error)
        report.dead.append(_outcome(row, error))
        log.warning(
            "mail %d to %s is dead after %d attempt(s): %s", row.id, row.recipient, attempts, error
        )
    else:
        await claims.mark_retry(claim, row, now, now + backoff(settings, attempts), error)
        report.retried.append(_outcome(row, error))


async def _postpone(
    claim: Claim, rows: list[Claimed], report: SendReport, failure: claims.Failure | None = None
) -> None:
    await claims.release(claim, rows, failure)
    report.postponed.extend(_outcome(row, failure.error if failure else "") for row in rows)


def _outcome(row: Claimed, error: str = "") -> Outcome:
    return Outcome(row.id, row.kind, row.recipient, row.subject, error)
