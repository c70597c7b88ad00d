"""Inbound mail: poll an IMAP mailbox and hand each new message, as it is, to a handler.

The mail package knows no domain: the caller's handler decides what a message is. It returns
"applied" (used) or "ignored" (not for casetafel, or unusable), or raises for a temporary
failure. A handled message gets the keyword $CasetafelDone and is not handed again; an applied
one is marked \\Seen too, an ignored one keeps its \\Seen state, so that a person reading the
mailbox still notices mail that casetafel could not use. A message whose handler raised stays
unmarked and is handed again by the next poll. New means "without the keyword", not "unseen":
a person reading the mailbox does not hide answers from casetafel.

Delivery is at least once: a poll cut off between the handler and the mark, or two app
instances polling one mailbox at the same moment, hand a message twice, so the handler must be
idempotent (an iMIP REPLY carries UID, SEQUENCE and DTSTAMP for that).

imap://user:password@host:port/MAILBOX is plain IMAP (aioimaplib 2.0 has no STARTTLS: use it
on a trusted network only), imaps:// is TLS from the first byte. Messages are found by UID
SEARCH, fetched by UID with BODY.PEEK[] (which leaves \\Seen alone) in batches, and marked by
UID STORE right after their handler returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any, Literal, get_args
from urllib.parse import unquote, urlparse

import aioimaplib
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from casetafel.settings import Settings, redact_password

log = logging.getLogger("casetafel.mail")
# aioimaplib logs every byte it receives at DEBUG (message bodies included) and at INFO the
# lines it does not understand: keep message content out of the logs at any log level.
logging.getLogger("aioimaplib").setLevel(logging.WARNING)

Outcome = Literal["applied", "ignored"]
Handler = Callable[[bytes], Awaitable[Outcome]]

DONE_KEYWORD = "$CasetafelDone"
BATCH_SIZE = 50
# An iMIP REPLY is a few kilobytes; a message this big is no answer and would cost memory.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
TIMEOUT_SECONDS = 30.0

_OUTCOMES = frozenset(get_args(Outcome))
_FETCH_START = re.compile(rb"\d+ FETCH \(")
_LITERAL = re.compile(rb"\{(\d+)\}$")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_LOGGED_IN = {aioimaplib.NONAUTH, aioimaplib.AUTH, aioimaplib.SELECTED}
_PERMANENT_FLAGS = re.compile(rb"\[PERMANENTFLAGS \(([^)]*)\)")


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str
    password: str
    mailbox: str

    @classmethod
    def from_url(cls, url: str) -> ImapTarget:
        parsed = urlparse(url)
        implicit_tls = parsed.scheme == "imaps"
        return cls(
            host=parsed.hostname or "localhost",
            port=parsed.port or (993 if implicit_tls else 143),
            implicit_tls=implicit_tls,
            username=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            mailbox=unquote(parsed.path.lstrip("/")) or "INBOX",
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class ImapFailure(Exception):
    """The server could not be reached, refused the session or the mailbox: no message is to
    blame, and the next poll tries again."""


@dataclass
class PollReport:
    """The UIDs of one poll by what became of them."""

    applied: list[int] = field(default_factory=list)
    ignored: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # handler raised: unmarked, handed again
    too_large: list[int] = field(default_factory=list)  # marked without the handler
    vanished: list[int] = field(default_factory=list)  # deleted between search and fetch
    error: str = ""  # why the poll stopped early (server unreachable, refused, gone)

    @property
    def handled(self) -> int:
        return len(self.applied) + len(self.ignored)


async def poll(
    settings: Settings,
    handle: Handler,
    *,
    batch_size: int = BATCH_SIZE,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    tls_context: ssl.SSLContext | None = None,
    command_timeout: float = TIMEOUT_SECONDS,
) -> PollReport:
    """One round over the mailbox of settings.imap_url (none when it is empty). Never raises
    for the server or a message: what went wrong is in the report and in the log."""
    report = PollReport()
    if not settings.imap_url:
        return report
    target = ImapTarget.from_url(settings.imap_url)
    try:
        async with _session(target, tls_context, command_timeout) as mailbox:
            uids = await mailbox.unhandled()
            for batch in _chunks(uids, batch_size):
                await _handle_batch(mailbox, batch, handle, report, max_message_bytes)
    except ImapFailure as exc:
        report.error = str(exc)
    except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
        report.error = f"IMAP session with {target.address} broke off: {_describe(exc)}"
    if report.error:
        log.warning("imap: %s; the next poll tries again", report.error)
    return report


def register(scheduler: AsyncIOScheduler, settings: Settings, handle: Handler) -> None:
    """Poll every imap_poll_seconds, when imap_url is set; a failed poll never reaches the
    scheduler."""
    if not settings.imap_url:
        return
    target = ImapTarget.from_url(settings.imap_url)
    if not target.implicit_tls and not _is_loopback(target.host):
        log.warning(
            "imap: %s sends the password unencrypted; use imaps:// outside a trusted network",
            redact_password(settings.imap_url),
        )
    scheduler.add_job(
        poll_mailbox,
        "interval",
        seconds=settings.imap_poll_seconds,
        args=[settings, handle],
        id="mail.poll_imap",
    )


async def poll_mailbox(settings: Settings, handle: Handler) -> None:
    """The scheduled job: one poll, whatever happens."""
    try:
        report = await poll(settings, handle)
    except Exception:
        log.exception("imap: the poll failed; the next one tries again")
        return
    if report.handled or report.failed or report.too_large:
        log.info(
            "imap: %d applied, %d ignored, %d failed, %d too large",
            len(report.applied),
            len(report.ignored),
            len(report.failed),
            len(report.too_large),
        )


@dataclass(frozen=True)
class _Fetched:
    uid: int
    size: int | None
    body: bytes | None


class _Mailbox:
    """One session over aioimaplib. Every command is bounded by the timeout (aioimaplib's UID
    STORE has none) and ends at once when the server closes the connection (aioimaplib would
    leave it waiting for the timeout)."""

    def __init__(self, client: Any, timeout: float) -> None:
        self._client = client
        self._timeout = timeout
        self._lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        client.protocol.conn_lost_cb = self._connection_lost

    async def open(self, target: ImapTarget) -> None:
        try:
            await self._client.wait_hello_from_server()
        except (OSError, TimeoutError) as exc:
            raise ImapFailure(
                f"IMAP server {target.address} not reachable: {_describe(exc)}"
            ) from exc
        login = await self._run(
            self._client.login(aioimaplib.quoted(target.username), target.password)
        )
        _expect(login, f"login as {target.username!r} on {target.address} refused")
        selected = await self._run(self._client.select(aioimaplib.quoted(target.mailbox)))
        _check_markable(_expect(selected, f"mailbox {target.mailbox!r} cannot be opened"), target)

    async def unhandled(self) -> list[int]:
        response = await self._run(
            self._client.uid_search("UNDELETED", "UNKEYWORD", DONE_KEYWORD, charset=None)
        )
        lines = _expect(response, "UID SEARCH failed")
        # aioimaplib gives `* SEARCH 3 7` as b"3 7"; the last line is the tagged status.
        return sorted({int(token) for line in lines[:-1] for token in line.split()})

    async def fetch(self, uids: Sequence[int], items: str) -> dict[int, _Fetched]:
        response = await self._run(self._client.uid("fetch", _uid_set(uids), f"(UID {items})"))
        if response.result == "BAD":
            raise ImapFailure(f"UID FETCH rejected: {_status(response)}")
        # NO, or OK without a message: it was deleted meanwhile; what came back counts.
        fetched = (_fetched(item) for item in _fetch_responses(response.lines[:-1]))
        return {item.uid: item for item in fetched if item is not None and item.uid in uids}

    async def mark(self, uid: int, flags: str) -> str:
        """Empty when stored, else the server's answer."""
        response = await self._run(self._client.uid("store", str(uid), "+FLAGS.SILENT", flags))
        return "" if response.result == "OK" else _status(response)

    async def close(self) -> None:
        if not self._lost.done() and self._client.get_state() in _LOGGED_IN:
            with contextlib.suppress(OSError, TimeoutError, aioimaplib.AioImapException):
                await self._run(self._client.logout())
        transport = self._client.protocol.transport
        if transport is not None:
            transport.close()

    async def _run(self, command: Awaitable[Any]) -> Any:
        task = asyncio.ensure_future(command)
        done, _ = await asyncio.wait(
            {task, self._lost}, timeout=self._timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            return task.result()
        task.cancel()
        if self._lost.done():
            raise ConnectionResetError("the server closed the connection")
        raise TimeoutError

    def _connection_lost(self, exc: Exception | None) -> None:
        if not self._lost.done():
            self._lost.set_result(None)


@contextlib.asynccontextmanager
async def _session(
    target: ImapTarget, tls_context: ssl.SSLContext | None, command_timeout: float
) -> AsyncIterator[_Mailbox]:
    mailbox = _Mailbox(_client(target, tls_context, command_timeout), command_timeout)
    try:
        await mailbox.open(target)
        yield mailbox
    finally:
        await mailbox.close()


def _client(target: ImapTarget, tls_context: ssl.SSLContext | None, timeout: float) -> Any:
    if target.implicit_tls:
        return aioimaplib.IMAP4_SSL(
            host=target.host, port=target.port, timeout=timeout, ssl_context=tls_context
        )
    return aioimaplib.IMAP4(host=target.host, port=target.port, timeout=timeout)


def _check_markable(select_lines: list[bytes], target: ImapTarget) -> None:
    """Without a keyword that sticks, every poll would hand every message again."""
    problem = f"mailbox {target.mailbox!r} on {target.address}"
    if any(b"[READ-ONLY]" in line for line in select_lines):
        raise ImapFailure(f"{problem} is read-only; casetafel must mark what it handled")
    for line in select_lines:
        match = _PERMANENT_FLAGS.search(line)
        if match and not {b"\\*", DONE_KEYWORD.encode()} & set(match.group(1).split()):
            raise ImapFailure(f"{problem} does not keep the keyword {DONE_KEYWORD}")


async def _handle_batch(
    mailbox: _Mailbox,
    batch: list[int],
    handle: Handler,
    report: PollReport,
    max_message_bytes: int,
) -> None:
    sizes = {
        uid: item.size or 0 for uid, item in (await mailbox.fetch(batch, "RFC822.SIZE")).items()
    }
    report.vanished.extend(uid for uid in batch if uid not in sizes)
    for uid in (uid for uid in batch if sizes.get(uid, 0) > max_message_bytes):
        await _skip_too_large(mailbox, uid, sizes[uid], report)
    wanted = [uid for uid in batch if uid in sizes and sizes[uid] <= max_message_bytes]
    for group in _groups_by_size(wanted, sizes, max_message_bytes):
        bodies = await mailbox.fetch(group, "BODY.PEEK[]")
        for uid in group:
            body = bodies[uid].body if uid in bodies else None
            if body is None:
                report.vanished.append(uid)
            else:
                await _handle_message(mailbox, uid, body, handle, report)


async def _handle_message(
    mailbox: _Mailbox, uid: int, data: bytes, handle: Handler, report: PollReport
) -> None:
    label = _label(uid, data)
    try:
        outcome = await handle(data)
        if outcome not in _OUTCOMES:
            raise ValueError(f"the handler answered {outcome!r}, not one of {sorted(_OUTCOMES)}")
    except Exception:
        report.failed.append(uid)
        log.warning("imap: %s not handled; the next poll tries again", label, exc_info=True)
        return
    flags = f"({DONE_KEYWORD} \\Seen)" if outcome == "applied" else f"({DONE_KEYWORD})"
    await _mark(mailbox, uid, flags, label)
    (report.applied if outcome == "applied" else report.ignored).append(uid)
    log.info("imap: %s %s", label, outcome)


async def _skip_too_large(mailbox: _Mailbox, uid: int, size: int, report: PollReport) -> None:
    label = f"message uid={uid} ({size} bytes)"
    await _mark(mailbox, uid, f"({DONE_KEYWORD})", label)
    report.too_large.append(uid)
    log.info("imap: %s is too large for an answer to an invitation; left unread", label)


async def _mark(mailbox: _Mailbox, uid: int, flags: str, label: str) -> None:
    problem = await mailbox.mark(uid, flags)
    if problem:
        log.warning("imap: %s could not be marked (%s); it may be handed again", label, problem)


@dataclass
class _FetchResponse:
    texts: list[bytes] = field(default_factory=list)
    literals: list[bytes] = field(default_factory=list)


def _fetch_responses(lines: Sequence[bytes]) -> Iterator[_FetchResponse]:
    """The `n FETCH (...)` responses in aioimaplib's lines. It gives a literal (the message)
    as an item of its own right after the line that announces it with {size}: a literal is
    recognised by that announcement, never by its content, which may look like anything."""
    current: _FetchResponse | None = None
    literal_follows = False
    for item in lines:
        if literal_follows:
            literal_follows = False
            if current is not None:
                current.literals.append(bytes(item))
            continue
        text = bytes(item)
        if _FETCH_START.match(text):
            if current is not None:
                yield current
            current = _FetchResponse()
        if current is not None:
            current.texts.append(text)
        literal_follows = _LITERAL.search(text) is not None
    if current is not None:
        yield current


def _fetched(response: _FetchResponse) -> _Fetched | None:
    """UID, size and body; None for a response without a UID (a flag change of another
    message that the server reports unasked)."""
    meta = b" ".join(response.texts)
    uid = _UID.search(meta)
    if uid is None:
        return None
    size = _SIZE.search(meta)
    return _Fetched(
        uid=int(uid.group(1)),
        size=int(size.group(1)) if size else None,
        body=response.literals[0] if response.literals else None,
    )


def _groups_by_size(uids: list[int], sizes: dict[int, int], budget: int) -> Iterator[list[int]]:
    """Consecutive UIDs whose messages together stay within the budget (one at least)."""
    group: list[int] = []
    total = 0
    for uid in uids:
        if group and total + sizes[uid] > budget:
            yield group
            group, total = [], 0
        group.append(uid)
        total += sizes[uid]
    if group:
        yield group


def _chunks(uids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(uids), size):
        yield uids[start : start + size]


def _uid_set(uids: Sequence[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _expect(response: Any, problem: str) -> list[bytes]:
    if response.result != "OK":
        raise ImapFailure(f"{problem}: {_status(response)}")
    return [bytes(line) for line in response.lines]


def _status(response: Any) -> str:
    last = response.lines[-1] if response.lines else b""
    return f"{response.result} {bytes(last).decode('utf-8', 'replace')}".strip()


def _label(uid: int, data: bytes) -> str:
    """How a message is named in the log: its UID and Message-ID, never its content."""
    headers = BytesHeaderParser().parsebytes(data)
    message_id = " ".join(str(headers.get("Message-ID", "")).split())[:200]
    return f"message uid={uid} {message_id or '(no Message-ID)'}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
