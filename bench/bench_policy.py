"""What the declared access policy and the audit log cost: the case page and the case list
read through the service layer with both on, and with both off; and `audit verify` over a
chain of N events.

"Off" is the same code with the case scope allowing every case and `audit.record` doing
nothing (patched here, in the benchmark only). Each read is timed through the service layer
and as a whole page (the app in this process, over ASGI: routing, guards, templates).
Run from the repository root:
`.venv/bin/python bench/bench_policy.py --engine both --cases 300000 --events 1000000`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from bench_machine import probe_ms
from bench_server import Target, cli, drop_database, fresh_database

TARGET_RATIO = 1.3
DEMO_PASSWORD = "casetafel-demo-2026"  # noqa: S105 (the demo's published password)
ROLES = ("coordinator", "politie")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--events", type=int, default=1_000_000, help="audit events to verify")
    parser.add_argument("--requests", type=int, default=200, help="timed reads per variant")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    for engine in engines:
        target = fresh_database(engine, args.postgres)
        try:
            cli(target, "migrate")
            cli(target, "demo", "--cases", str(args.cases), timeout=1800)
            cli(target, "demo")
            before = probe_ms()
            lines = asyncio.run(_measure(target, args))
            after = probe_ms()
        finally:
            if not args.keep:
                drop_database(target)
        print(f"\n## {engine}, {args.cases:,} cases")
        print("\n".join(lines))
        print(f"machine probe (see bench_machine.py): {before:.1f} ms before, {after:.1f} ms after")
    return 0


async def _measure(target: Target, args: argparse.Namespace) -> list[str]:
    os.environ.update(target.env)
    from casetafel import db
    from casetafel.access import policy
    from casetafel.cases.vocabulary import CATEGORIES
    from casetafel.ladder import load_ladder
    from casetafel.organisations.service import load_directory
    from casetafel.settings import load_settings

    settings = load_settings()
    policy.install(policy.load_policy(settings.config_dir, CATEGORIES))
    db.configure(settings)
    await db.start_pool(settings)
    try:
        directory = await load_directory()
        ladder = load_ladder(settings.config_dir)
        lines = ["| read | role | on p50 / p95 ms | off p50 / p95 ms | ratio p50 (target <= 1.3) |"]
        lines.append("| --- | --- | --- | --- | --- |")
        app = _app(settings, directory)
        for role in ROLES:
            actor = await _actor(role)
            reference = await _some_case(actor, directory, ladder)
            http = await _signed_in(app, role)
            reads: dict[str, Callable[[], Awaitable[object]]] = {
                "case page (service)": lambda a=actor, r=reference: _case(a, r, directory, ladder),
                "case list (service)": lambda a=actor: _list(a, directory, ladder),
                "case page (HTTP)": lambda h=http, r=reference: _page(h, f"/casussen/{r}"),
                "case list (HTTP)": lambda h=http: _page(h, "/casussen"),
            }
            for name, read in reads.items():
                on, off = await _timed_pairs(read, args.requests)
                ratio = statistics.median(on) / statistics.median(off)
                lines.append(
                    f"| {name} | {role} | {_p(on)} | {_p(off)} | {ratio:.2f}"
                    f" {'ok' if ratio <= TARGET_RATIO else 'over'} |"
                )
        seconds_fill, seconds_verify, checked = await _verify(args.events)
        lines.append(
            f"\naudit verify: {checked:,} events in {seconds_verify:.1f} s"
            f" ({checked / seconds_verify:,.0f} events/s); writing them took {seconds_fill:.1f} s"
        )
        return lines
    finally:
        await db.close_pool()


def _app(settings: Any, directory: Any) -> Any:
    """The whole app in this process (routing, guards, templates), as the tests run it."""
    from casetafel.app import create_app

    app = create_app(settings, own_database=False)
    app.state.directory = directory
    return app


async def _signed_in(app: Any, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.local"
    )
    await client.get("/inloggen")
    answer = await client.post(
        "/inloggen",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "_csrf_token": client.cookies.get("casetafel_csrf") or "",
        },
    )
    if answer.status_code not in (302, 303):
        raise SystemExit(f"login as {username} failed: {answer.status_code}")
    return client


async def _page(client: httpx.AsyncClient, path: str) -> object:
    answer = await client.get(path)
    if answer.status_code != 200:
        raise SystemExit(f"{path}: {answer.status_code}")
    return answer


async def _actor(username: str) -> Any:
    from casetafel.accounts.models import User
    from casetafel.accounts.service import actor_for

    user = await User.objects().where(User.username == username).first()
    assert user is not None, username
    return await actor_for(user)


async def _some_case(actor: Any, directory: Any, ladder: Any) -> str:
    from casetafel.cases import queries

    page = await queries.list_cases(actor, queries.CaseFilters(), directory, ladder)
    assert page.rows, f"{actor.username} sees no case"
    return str(page.rows[0].reference)


async def _case(actor: Any, reference: str, directory: Any, ladder: Any) -> object:
    from casetafel.cases import service

    return await service.get_case(actor, reference, directory, ladder)


async def _list(actor: Any, directory: Any, ladder: Any) -> object:
    from casetafel.cases import queries

    return await queries.list_cases(actor, queries.CaseFilters(), directory, ladder)


class _PolicyOff:
    """The case scope allows every case and the audit log records nothing."""

    def __enter__(self) -> None:
        from casetafel.access import audit
        from casetafel.cases import queries, service

        async def no_record(*_: object, **__: object) -> None:
            return None

        self.saved = (audit.record, service.may_see, queries.scope_sql)
        audit.record = no_record  # type: ignore[assignment]
        service.may_see = lambda *_: True  # type: ignore[assignment]
        queries.scope_sql = lambda *_a, **_k: ("1 = 1", [])  # type: ignore[assignment]

    def __exit__(self, *_: object) -> None:
        from casetafel.access import audit
        from casetafel.cases import queries, service

        audit.record, service.may_see, queries.scope_sql = self.saved  # type: ignore[assignment]


async def _timed_pairs(
    read: Callable[[], Awaitable[object]], count: int
) -> tuple[list[float], list[float]]:
    """Each read with the policy on, then off, in turn: a shared machine's slow moments
    fall on both alike."""
    on: list[float] = []
    off: list[float] = []
    for round_ in range(count + 5):
        for times, switched in ((on, False), (off, True)):
            started = time.perf_counter()
            if switched:
                with _PolicyOff():
                    started = time.perf_counter()
                    await read()
                    elapsed = time.perf_counter() - started
            else:
                await read()
                elapsed = time.perf_counter() - started
            if round_ >= 5:  # the first rounds warm up
                times.append(elapsed * 1000)
    return on, off


def _p(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{statistics.median(values):.2f} / {ordered[int(len(ordered) * 0.95) - 1]:.2f}"


# The audit chain: N events written directly (hash-chained as the app writes them), then
# verified by the app's own `audit.verify`.

COLUMNS = (
    "seq", "at", "user_id", "username", "role", "action", "case_id", "case_reference",
    "legal_basis", "request_id", "details", "prev_hash", "hash", "organisation", "purpose",
)  # fmt: skip


async def _verify(count: int) -> tuple[float, float, int]:
    from casetafel import db
    from casetafel.access import audit

    started = time.perf_counter()
    await _append_events(count)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    result = await audit.verify()
    verified = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"audit verify failed: {result.problem}")
    await db.fetch("SELECT 1 AS ok")
    return filled, verified, result.checked


async def _append_events(count: int) -> None:
    from casetafel import db
    from casetafel.access.models import AuditEvent

    last = (
        await AuditEvent.select(AuditEvent.seq, AuditEvent.hash)
        .order_by(AuditEvent.seq, ascending=False)
        .first()
    )
    seq, prev = (last["seq"], last["hash"]) if last else (0, "0" * 64)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    engine = db.engine()
    batch: list[tuple[Any, ...]] = []
    for number in range(count):
        seq += 1
        row = _event(seq, start + timedelta(seconds=number), prev)
        prev = row[12]
        batch.append(row)
        if len(batch) == 20_000:
            await _insert(engine, batch)
            batch = []
    if batch:
        await _insert(engine, batch)


def _event(seq: int, at: datetime, prev: str) -> tuple[Any, ...]:
    from casetafel.access import audit
    from casetafel.access.models import AuditEvent

    event = AuditEvent(
        seq=seq,
        at=at,
        user_id=1,
        username="coordinator",
        role="coordinator",
        action="case.read",
        case_id=1 + seq % 1000,
        case_reference=f"KEN-2026-{seq % 1000:04d}",
        legal_basis="Wgs (Zorg- en Veiligheidshuis)",
        request_id="",
        details=json.dumps({"classes": ["process"]}, separators=(",", ":")),
        prev_hash=prev,
        organisation="Zorg- en Veiligheidshuis Kennemerland",
        purpose="casusbehandeling",
    )
    digest = hashlib.sha256(audit._content(event).encode()).hexdigest()
    return tuple(digest if c == "hash" else getattr(event, c) for c in COLUMNS)


async def _insert(engine: Any, rows: list[tuple[Any, ...]]) -> None:
    from piccolo.engine.sqlite import SQLiteEngine

    if isinstance(engine, SQLiteEngine):
        await asyncio.to_thread(_sqlite_insert, str(engine.path), rows)
        return
    connection = await engine.get_new_connection()
    try:
        await connection.copy_records_to_table("audit_event", records=rows, columns=COLUMNS)
    finally:
        await connection.close()


def _sqlite_insert(path: str, rows: list[tuple[Any, ...]]) -> None:
    connection = sqlite3.connect(path, timeout=30)
    try:
        with connection:
            names = ", ".join(f'"{c}"' for c in COLUMNS)
            marks = ", ".join("?" for _ in COLUMNS)
            values = [
                tuple(v.isoformat() if isinstance(v, datetime) else v for v in row) for row in rows
            ]
            connection.executemany(f"INSERT INTO audit_event ({names}) VALUES ({marks})", values)
    finally:
        connection.close()


if __name__ == "__main__":
    raise SystemExit(main())
