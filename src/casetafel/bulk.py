"""Fast generation of realistic cases for benchmarks: `casetafel demo --cases N`.

Rows go in with bulk inserts (COPY on PostgreSQL, executemany on SQLite), past the services:
no per-case validation or audit event. The generator builds rows that satisfy the same
rules, and one audit event records the generation itself. Years of history, like a real
deployment: most cases are closed, the ones returning in the coming months are open.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from casetafel import clock, db
from casetafel.access import audit
from casetafel.cases.models import BASIC_CONDITIONS
from casetafel.cases.service import UNKNOWN_RELEASE
from casetafel.cases.vocabulary import CATEGORIES, LEGAL_FRAMEWORKS, OUTCOMES
from casetafel.ladder import load_ladder
from casetafel.organisations.models import Municipality, Organisation, Region
from casetafel.settings import Settings

HISTORY_DAYS = 8 * 365
BATCH = 20_000
CASE_COLUMNS = (
    "id",
    "reference",
    "region",
    "subject_name",
    "subject_birth_date",
    "home_municipality",
    "receiving_municipality",
    "legal_framework",
    "release_date",
    "release_order",
    "release_certainty",
    "bij_notice_date",
    "level",
    "status",
    "outcome",
    "process_lead",
    "case_lead",
    "notes",
    *(f"{name}_{part}" for name in BASIC_CONDITIONS for part in ("state", "note")),
    "created_at",
    "updated_at",
    "closed_at",
    "version",
)
TIMELINE_COLUMNS = ("case", "at", "kind", "actor", "summary", "details")
NO_CHANGES = json.dumps({"changes": []})


@dataclass
class Batch:
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)
    participants: list[tuple[int, int]] = field(default_factory=list)
    timeline: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Master:
    region_id: int
    region_code: str
    municipality_ids: list[int]
    municipality_org: dict[int, int]
    partner_ids: list[int]
    level_keys: list[str]


async def generate(settings: Settings, count: int, seed: int = 7) -> float:
    """Insert `count` cases; returns the seconds it took."""
    started = time.perf_counter()
    master = await _master(settings)
    first_id = int((await db.fetch("SELECT coalesce(max(id), 0) AS n FROM case_file"))[0]["n"]) + 1
    numbers = await _counters(master.region_id)
    rng = random.Random(seed)
    for batch in _batches(rng, master, first_id, count, numbers):
        await _insert(batch)
    await _finish(master.region_id, numbers, count)
    return time.perf_counter() - started


async def _master(settings: Settings) -> Master:
    region = await Region.objects().order_by(Region.id).first()
    if region is None:
        raise RuntimeError("no region: run `casetafel migrate` first")
    municipalities = await Municipality.objects().where(Municipality.region == region.id)
    organisations = await Organisation.objects()
    municipality_org = {o.municipality: o.id for o in organisations if o.municipality}
    partners = [
        o.id for o in organisations if o.kind not in {"gemeente", "zvh", "regiegroep"} and o.region
    ]
    return Master(
        region_id=region.id,
        region_code=region.code,
        municipality_ids=[m.id for m in municipalities],
        municipality_org=municipality_org,
        partner_ids=partners,
        level_keys=load_ladder(settings.config_dir).keys(),
    )


async def _counters(region_id: int) -> dict[int, int]:
    rows = await db.fetch(
        "SELECT year, last_number FROM reference_counter WHERE region = {}", region_id
    )
    return {int(r["year"]): int(r["last_number"]) for r in rows}


def _batches(
    rng: random.Random, master: Master, first_id: int, count: int, numbers: dict[int, int]
) -> Iterator[Batch]:
    batch = Batch()
    now = clock.now()
    today = clock.today()
    for offset in range(count):
        _one_case(rng, master, first_id + offset, numbers, now, today, batch)
        if len(batch.cases) >= BATCH:
            yield batch
            batch = Batch()
    if batch.cases:
        yield batch


def _one_case(
    rng: random.Random,
    master: Master,
    case_id: int,
    numbers: dict[int, int],
    now: datetime,
    today: date,
    batch: Batch,
) -> None:
    created = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
    numbers[created.year] = numbers.get(created.year, 0) + 1
    reference = f"{master.region_code}-{created.year}-{numbers[created.year]:04d}"
    certainty = rng.choices(["known", "expected", "unknown", "immediate"], [6, 3, 1, 1])[0]
    release: date | None = (created + timedelta(days=rng.randint(2, 150))).date()
    if certainty == "unknown":
        release = None
    elif certainty == "immediate":
        release = created.date()
    returned_long_ago = (release or created.date()) < today - timedelta(days=60)
    closed = returned_long_ago and rng.random() < 0.97
    closed_at = (
        min(now, datetime.combine(release or created.date(), created.timetz()) + timedelta(days=30))
        if closed
        else None
    )
    updated_at = closed_at or created + (now - created) * rng.random()
    categories = rng.sample(list(CATEGORIES), k=rng.choice([1, 1, 2]))
    home = rng.choice(master.municipality_ids)
    receiving = rng.choice(master.municipality_ids) if rng.random() < 0.2 else None
    participants = set(rng.sample(master.partner_ids, k=rng.randint(2, 4)))
    states = [rng.choice(["unknown", "missing", "in_progress", "arranged"]) for _ in range(5)]
    in_bij = bool(set(categories) & {"sex_offender", "violent_offender"})
    batch.cases.append(
        (
            case_id,
            reference,
            master.region_id,
            f"{rng.choice('ABCDEFGHJKLMNPRSTW')}. Bulk{case_id} (fictief)",
            date(1950, 1, 1) + timedelta(days=rng.randint(0, 18_000)),
            home,
            receiving,
            rng.choice(list(LEGAL_FRAMEWORKS)),
            release,
            release or UNKNOWN_RELEASE,
            certainty,
            (created - timedelta(days=rng.randint(0, 30))).date()
            if in_bij and rng.random() < 0.7
            else None,
            rng.choices(master.level_keys, [6, 3, 1][: len(master.level_keys)])[0],
            "closed" if closed else "open",
            rng.choice(list(OUTCOMES)) if closed else None,
            master.municipality_org.get(home),
            rng.choice(master.partner_ids),
            "",
            *(value for state in states for value in (state, "")),
            created,
            updated_at,
            closed_at,
            2 if closed else 1,
        )
    )
    batch.categories.extend((case_id, c) for c in categories)
    batch.participants.extend((case_id, o) for o in sorted(participants))
    batch.timeline.append(
        (case_id, created, "created", None, "Casus geregistreerd (gegenereerd)", NO_CHANGES)
    )
    if closed_at:
        batch.timeline.append(
            (case_id, closed_at, "closed", None, "Casus afgesloten (gegenereerd)", NO_CHANGES)
        )


async def _insert(batch: Batch) -> None:
    tables = [
        ("case_file", CASE_COLUMNS, batch.cases),
        ("case_category", ("case", "category"), batch.categories),
        ("case_participant", ("case", "organisation"), batch.participants),
        ("timeline_event", TIMELINE_COLUMNS, batch.timeline),
    ]
    current = db.engine()
    if isinstance(current, PostgresEngine):
        connection = await current.get_new_connection()
        try:
            async with connection.transaction():
                for table, columns, rows in tables:
                    await connection.copy_records_to_table(
                        table, records=[_pg(row) for row in rows], columns=list(columns)
                    )
        finally:
            await connection.close()
        return
    assert isinstance(current, SQLiteEngine)
    await asyncio.to_thread(_sqlite_insert, str(current.path), tables)


def _pg(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # COPY wants timezone-aware instants for timestamptz columns.
    return tuple(v.astimezone(UTC) if isinstance(v, datetime) else v for v in row)


def _sqlite_insert(path: str, tables: list[tuple[str, tuple[str, ...], list[Any]]]) -> None:
    connection = sqlite3.connect(path, timeout=30)
    try:
        with connection:
            for table, columns, rows in tables:
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    finally:
        connection.close()


async def _finish(region_id: int, numbers: dict[int, int], count: int) -> None:
    async with db.transaction():
        for year, last in numbers.items():
            await db.fetch(
                "INSERT INTO reference_counter (region, year, last_number) VALUES ({}, {}, {}) "
                "ON CONFLICT (region, year) DO UPDATE SET last_number = {}",
                region_id,
                year,
                last,
                last,
            )
        await audit.record(None, "bulk.generate", details={"cases": count}, basis="beheer")
    if isinstance(db.engine(), PostgresEngine):
        await db.fetch(
            "SELECT setval(pg_get_serial_sequence('case_file', 'id'), "
            "(SELECT max(id) FROM case_file)) AS id"
        )
    await db.engine().run_ddl("ANALYZE")
