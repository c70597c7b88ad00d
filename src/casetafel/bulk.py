"""Fast generation of realistic cases for benchmarks: `casetafel demo --cases N`.

Rows go in with bulk inserts (COPY on PostgreSQL, executemany on SQLite), past the services:
no per-case validation or audit event. The generator builds rows that satisfy the same
rules, and one audit event records the generation itself. Years of history, like a real
deployment: most cases are closed, the ones returning in the coming months are open, and
the open ones have the deadlines of their current level as the escalation rules compute
them, as if the sweep had been running (past ones resolved, future ones pending).
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
from casetafel.access.policy import current as current_policy
from casetafel.cases import legal_bases
from casetafel.cases.models import BASIC_CONDITIONS
from casetafel.cases.service import UNKNOWN_RELEASE
from casetafel.cases.vocabulary import CATEGORIES, LEGAL_FRAMEWORKS, OUTCOMES
from casetafel.escalation import rules as r
from casetafel.escalation.config import RuleSet
from casetafel.escalation.setup import load_config
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
    "level_since",
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
DEADLINE_COLUMNS = (
    "id",
    "case",
    "rule",
    "kind",
    "level",
    "entered_at",
    "due_at",
    "state",
    "target",
    "created_at",
    "resolved_at",
)
TABLES = ("case_file", "case_category", "case_participant", "timeline_event", "deadline")
NO_CHANGES = json.dumps({"changes": []})


@dataclass
class Batch:
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    categories: list[tuple[int, str]] = field(default_factory=list)
    participants: list[tuple[int, int]] = field(default_factory=list)
    timeline: list[tuple[Any, ...]] = field(default_factory=list)
    deadlines: list[tuple[Any, ...]] = field(default_factory=list)

    def tables(self) -> list[tuple[str, tuple[str, ...], list[Any]]]:
        return [
            ("case_file", CASE_COLUMNS, self.cases),
            ("case_category", ("case", "category"), self.categories),
            ("case_participant", ("case", "organisation"), self.participants),
            ("timeline_event", TIMELINE_COLUMNS, self.timeline),
            ("deadline", DEADLINE_COLUMNS, self.deadlines),
        ]


@dataclass(frozen=True)
class Master:
    region_id: int
    region_code: str
    municipality_ids: list[int]
    municipality_org: dict[int, int]
    partner_ids: list[int]
    level_keys: list[str]
    rules: RuleSet


@dataclass
class Counters:
    """Next ids and reference numbers, so rows can refer to each other before insertion."""

    case_id: int
    deadline_id: int
    numbers: dict[int, int]


async def generate(settings: Settings, count: int, seed: int = 7) -> float:
    """Insert `count` cases; returns the seconds it took."""
    started = time.perf_counter()
    master = await _master(settings)
    counters = Counters(
        case_id=await _next_id("case_file"),
        deadline_id=await _next_id("deadline"),
        numbers=await _counters(master.region_id),
    )
    batches = _batches(random.Random(seed), master, counters, count)
    current = db.engine()
    if isinstance(current, PostgresEngine):
        await _copy_postgres(current, batches)
    else:
        assert isinstance(current, SQLiteEngine)
        for batch in batches:
            await asyncio.to_thread(_sqlite_insert, str(current.path), batch.tables())
    await legal_bases.backfill(current_policy())
    await _finish(master.region_id, counters.numbers, count)
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
    config = load_config(settings.config_dir)
    return Master(
        region_id=region.id,
        region_code=region.code,
        municipality_ids=[m.id for m in municipalities],
        municipality_org=municipality_org,
        partner_ids=partners,
        level_keys=config.ladder.keys(),
        rules=config.rules_for(region.code),
    )


async def _next_id(table: str) -> int:
    rows = await db.fetch(f"SELECT coalesce(max(id), 0) AS n FROM {table}")
    return int(rows[0]["n"]) + 1


async def _counters(region_id: int) -> dict[int, int]:
    rows = await db.fetch(
        "SELECT year, last_number FROM reference_counter WHERE region = {}", region_id
    )
    return {int(row["year"]): int(row["last_number"]) for row in rows}


def _batches(rng: random.Random, master: Master, counters: Counters, count: int) -> Iterator[Batch]:
    batch = Batch()
    now = clock.now()
    for _ in range(count):
        _one_case(rng, master, counters, now, batch)
        if len(batch.cases) >= BATCH:
            yield batch
            batch = Batch()
    if batch.cases:
        yield batch


def _one_case(
    rng: random.Random, master: Master, counters: Counters, now: datetime, batch: Batch
) -> None:
    case_id = counters.case_id
    counters.case_id += 1
    created = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
    counters.numbers[created.year] = counters.numbers.get(created.year, 0) + 1
    reference = f"{master.region_code}-{created.year}-{counters.numbers[created.year]:04d}"
    certainty = rng.choices(["known", "expected", "unknown", "immediate"], [6, 3, 1, 1])[0]
    release: date | None = (created + timedelta(days=rng.randint(2, 150))).date()
    if certainty == "unknown":
        release = None
    elif certainty == "immediate":
        release = created.date()
    today = clock.local(now).date()
    returned_long_ago = (release or created.date()) < today - timedelta(days=60)
    closed = returned_long_ago and rng.random() < 0.97
    closed_at = (
        min(now, datetime.combine(release or created.date(), created.timetz()) + timedelta(days=30))
        if closed
        else None
    )
    updated_at = closed_at or created + (now - created) * rng.random()
    level = rng.choices(master.level_keys, [6, 3, 1][: len(master.level_keys)])[0]
    # An open case entered its level recently; a closed one long ago.
    level_since = created if closed else max(created, now - timedelta(days=rng.uniform(0, 12)))
    categories = rng.sample(list(CATEGORIES), k=rng.choice([1, 1, 2]))
    home = rng.choice(master.municipality_ids)
    receiving = rng.choice(master.municipality_ids) if rng.random() < 0.2 else None
    participants = set(rng.sample(master.partner_ids, k=rng.randint(2, 4)))
    states = [rng.choice(["unknown", "missing", "in_progress", "arranged"]) for _ in range(5)]
    in_bij = bool(set(categories) & {"sex_offender", "violent_offender"})
    bij_notice = (
        (created - timedelta(days=rng.randint(0, 30))).date()
        if in_bij and rng.random() < 0.7
        else None
    )
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
            bij_notice,
            level,
            level_since,
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
        return
    state = r.CaseState(
        id=case_id,
        reference=reference,
        region_id=master.region_id,
        region_code=master.region_code,
        region_mailbox="",
        level=level,
        level_since=level_since,
        status="open",
        release_date=release,
        housing_state=states[1],
        categories=frozenset(categories),
        bij_notice_date=bij_notice,
        home_municipality=home,
        receiving_municipality=receiving,
        version=1,
    )
    _deadlines(state, master.rules, counters, now, batch)


def _deadlines(
    state: r.CaseState, rules: RuleSet, counters: Counters, now: datetime, batch: Batch
) -> None:
    """The deadlines of the case's current stay, as deadlines.enter_level writes them."""
    wanted: list[tuple[str, str, str | None, datetime]] = []
    if rules.time_box and (due := r.time_box_due(rules.time_box, state.level, state.level_since)):
        wanted.append((rules.time_box.id, "time_box", state.level, due))
    if rules.conference and (
        dues := r.conference_due(rules.conference, state.level, state.level_since)
    ):
        wanted.append((rules.conference.id, "conference_due", state.level, dues[0]))
        wanted.append((rules.conference.id, "conference_reminder", state.level, dues[1]))
    if rules.housing and (due := r.housing_due(rules.housing, state)):
        wanted.append((rules.housing.id, "housing_deadline", state.level, due))
    if rules.bij_missing and (due := r.bij_due(rules.bij_missing, state)):
        wanted.append((rules.bij_missing.id, "bij_missing", None, due))
    for rule_id, kind, level, due in wanted:
        target = _deadline(state, counters, rule_id, kind, level, due, now, None, batch)
        if rules.warning and kind in r.WARNED_KINDS and due > now:
            warning = r.warning_due(rules.warning, due)
            _deadline(
                state, counters, rules.warning.id, "warning", level, warning, now, target, batch
            )


def _deadline(
    state: r.CaseState,
    counters: Counters,
    rule_id: str,
    kind: str,
    level: str | None,
    due: datetime,
    now: datetime,
    target: int | None,
    batch: Batch,
) -> int:
    deadline_id = counters.deadline_id
    counters.deadline_id += 1
    past = due <= now
    outcome = ("met" if kind in ("warning", "conference_reminder") else "missed") if past else None
    batch.deadlines.append(
        (
            deadline_id,
            state.id,
            rule_id,
            kind,
            level,
            state.level_since,
            due,
            outcome or "pending",
            target,
            state.level_since,
            due if past else None,
        )
    )
    return deadline_id


async def _copy_postgres(engine: PostgresEngine, batches: Iterator[Batch]) -> None:
    """COPY everything in one transaction. The foreign keys of these tables are dropped
    first and added back (and so checked once, in bulk) at the end: per-row checks cost
    half of the load. A failure rolls the constraints back with the rows."""
    connection = await engine.get_new_connection()
    try:
        async with connection.transaction():
            keys = await connection.fetch(
                "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def"
                " FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)",
                list(TABLES),
            )
            for key in keys:
                await connection.execute(
                    f'ALTER TABLE {key["tbl"]} DROP CONSTRAINT "{key["conname"]}"'
                )
            # The next batch is generated in a thread while PostgreSQL takes in this one:
            # generating and ingesting then overlap on the two cores instead of taking turns.
            upcoming = asyncio.create_task(asyncio.to_thread(_next_pg_tables, batches))
            try:
                while tables := await upcoming:
                    upcoming = asyncio.create_task(asyncio.to_thread(_next_pg_tables, batches))
                    for table, columns, records in tables:
                        await connection.copy_records_to_table(
                            table, records=records, columns=list(columns)
                        )
            finally:
                upcoming.cancel()
            for key in keys:
                await connection.execute(
                    f'ALTER TABLE {key["tbl"]} ADD CONSTRAINT "{key["conname"]}" {key["def"]}'
                )
    finally:
        await connection.close()


def _next_pg_tables(
    batches: Iterator[Batch],
) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] | None:
    """The rows of the next batch ready for COPY, or None when there are no more."""
    batch = next(batches, None)
    if batch is None:
        return None
    return [(table, columns, [_pg(row) for row in rows]) for table, columns, rows in batch.tables()]


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
        for table in ("case_file", "deadline"):
            await db.fetch(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table})) AS id"
            )
        # Statistics and the visibility map, so that index-only scans need no heap visits.
        for table in TABLES:
            await db.engine().run_ddl(f"VACUUM ANALYZE {table}")
    else:
        await db.engine().run_ddl("ANALYZE")
