"""The SQL the app runs for each measured page, sent straight to the database.

The statements mirror src/casetafel/cases/queries.py (list, dashboard) and cases/service.py with
cases/timeline.py (case page), in the same order, for a coordinator (scope `c.region = ...`).
Timing them gives the floor the database sets; app p50 / raw p50 is what the app adds on top.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from casetafel.cases.queries import PAGE_SIZE, ROW_COLUMNS

T = TypeVar("T")
Row = dict[str, Any]


class RawDb:
    """One direct connection (sqlite3 or asyncpg) and the event loop it runs on."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sqlite: sqlite3.Connection | None = None,
        postgres: asyncpg.Connection | None = None,
    ) -> None:
        self._loop = loop
        self._sqlite = sqlite
        self._postgres = postgres

    @classmethod
    def open_sqlite(cls, path: Path) -> RawDb:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        return cls(asyncio.new_event_loop(), sqlite=connection)

    @classmethod
    def open_postgres(cls, url: str) -> RawDb:
        loop = asyncio.new_event_loop()
        connection = loop.run_until_complete(asyncpg.connect(url))
        return cls(loop, postgres=connection)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """A query with {} placeholders, like casetafel.db.fetch."""
        if self._postgres is not None:
            return [dict(r) for r in await self._postgres.fetch(_numbered(sql), *args)]
        assert self._sqlite is not None
        values = [a.isoformat() if isinstance(a, date) else a for a in args]
        cursor = self._sqlite.execute(sql.replace("{}", "?"), values)
        return [dict(r) for r in cursor.fetchall()]

    def close(self) -> None:
        if self._postgres is not None:
            self.run(self._postgres.close())
        if self._sqlite is not None:
            self._sqlite.close()
        self._loop.close()


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    numbers = count(1)
    return re.sub(r"\{\}", lambda _: f"${next(numbers)}", sql)


@dataclass(frozen=True)
class ListFilter:
    status: str | None = "open"
    level: str | None = None
    municipality_id: int | None = None
    category: str | None = None
    release_from: date | None = None
    release_to: date | None = None


async def case_list_page(
    db: RawDb,
    region_id: int,
    filters: ListFilter,
    after: tuple[date, int] | None = None,
    limit: int = PAGE_SIZE,
) -> list[Row]:
    """queries._page: one keyset page plus the categories of its rows."""
    where, args = _where(region_id, filters)
    if after is not None:
        where.append("(c.release_order > {} OR (c.release_order = {} AND c.id > {}))")
        args += [after[0], after[0], after[1]]
    rows = await db.fetch(
        f"SELECT {ROW_COLUMNS} FROM case_file c"
        f" WHERE {' AND '.join(where)} ORDER BY c.release_order, c.id LIMIT {{}}",
        *args,
        limit + 1,
    )
    page = rows[:limit]
    await categories(db, [r["id"] for r in page])
    return page


def _where(region_id: int, filters: ListFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = ["c.region = {}"]
    args: list[Any] = [region_id]
    if filters.status:
        where.append("c.status = {}")
        args.append(filters.status)
    if filters.level:
        where.append("c.level = {}")
        args.append(filters.level)
    if filters.municipality_id is not None:
        where.append("(c.home_municipality = {} OR c.receiving_municipality = {})")
        args += [filters.municipality_id, filters.municipality_id]
    if filters.category:
        where.append(
            'EXISTS (SELECT 1 FROM case_category cc WHERE cc."case" = c.id AND cc.category = {})'
        )
        args.append(filters.category)
    if filters.release_from:
        where.append("c.release_order >= {}")
        args.append(filters.release_from)
    if filters.release_to:
        where.append("c.release_order <= {}")
        args.append(filters.release_to)
    return where, args


async def categories(db: RawDb, case_ids: list[int]) -> list[Row]:
    if not case_ids:
        return []
    placeholders = ", ".join("{}" for _ in case_ids)
    return await db.fetch(
        f'SELECT "case" AS case_id, category FROM case_category WHERE "case" IN ({placeholders})',
        *case_ids,
    )


async def dashboard(db: RawDb, region_id: int, today: date) -> dict[str, int]:
    """queries.dashboard; returns the open cases per level (the page shows them)."""
    counts = await db.fetch(
        "SELECT c.level, count(*) AS n FROM case_file c WHERE c.region = {}"
        " AND c.status = 'open' GROUP BY c.level",
        region_id,
    )
    await db.fetch(
        "SELECT sum(CASE WHEN c.release_order <= {} THEN 1 ELSE 0 END) AS in_14,"
        " count(*) AS in_60 FROM case_file c WHERE c.region = {} AND c.status = 'open'"
        " AND c.release_order >= {} AND c.release_order <= {}",
        today + timedelta(days=14),
        region_id,
        today,
        today + timedelta(days=60),
    )
    upcoming = ListFilter(release_from=today, release_to=today + timedelta(days=14))
    await case_list_page(db, region_id, upcoming, limit=10)
    housing = await db.fetch(
        f"SELECT {ROW_COLUMNS} FROM case_file c WHERE c.region = {{}} AND c.status = 'open'"
        " AND c.release_order >= {} AND c.release_order <= {} AND c.housing_state <> 'arranged'"
        " ORDER BY c.release_order, c.id LIMIT 20",
        region_id,
        today - timedelta(days=30),
        today + timedelta(days=14),
    )
    await categories(db, [r["id"] for r in housing])
    recent = await db.fetch(
        f"SELECT {ROW_COLUMNS} FROM case_file c WHERE c.region = {{}}"
        " ORDER BY c.updated_at DESC LIMIT 10",
        region_id,
    )
    await categories(db, [r["id"] for r in recent])
    return {str(r["level"]): int(r["n"]) for r in counts}


async def case_detail(db: RawDb, reference: str) -> Row:
    """service.get_case: the case, its participants and categories, then its timeline."""
    rows = await db.fetch("SELECT * FROM case_file WHERE reference = {} LIMIT 1", reference)
    if not rows:
        raise LookupError(f"no case {reference}")
    case_id = rows[0]["id"]
    await db.fetch('SELECT organisation FROM case_participant WHERE "case" = {}', case_id)
    await db.fetch('SELECT category FROM case_category WHERE "case" = {}', case_id)
    await db.fetch(
        "SELECT t.at, t.kind, t.summary, t.details, u.display_name FROM timeline_event t"
        ' LEFT JOIN app_user u ON u.id = t.actor WHERE t."case" = {}'
        " ORDER BY t.at DESC, t.id DESC",
        case_id,
    )
    return rows[0]
