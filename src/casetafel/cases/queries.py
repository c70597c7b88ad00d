"""Read models over many cases: the filtered case list (keyset pages) and the dashboard."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from casetafel import clock, db
from casetafel.access import audit, reads
from casetafel.access.policy import Actor, Sensitivity, visible_classes
from casetafel.cases.access import require_case_reader, scope_sql
from casetafel.cases.vocabulary import CATEGORIES, STATUSES
from casetafel.errors import ValidationFailed
from casetafel.ladder import Ladder
from casetafel.organisations.service import Directory

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class CaseFilters:
    level: str | None = None
    municipality: str | None = None  # CBS code; home or receiving
    category: str | None = None
    release_from: date | None = None
    release_to: date | None = None
    status: str | None = "open"  # None: open and closed
    reference: str | None = None  # part of a reference, e.g. "0042" or "KEN-2026"


@dataclass(frozen=True)
class CaseRow:
    reference: str
    level: str
    status: str
    release_date: date | None
    release_certainty: str
    home_municipality: str
    receiving_municipality: str | None
    housing_state: str | None
    categories: tuple[str, ...] | None  # None when the actor may not see categories
    updated_at: datetime


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None


def check_filters(filters: CaseFilters, directory: Directory, ladder: Ladder) -> None:
    errors: dict[str, str] = {}
    if filters.level and ladder.get(filters.level) is None:
        errors["level"] = "Onbekend niveau."
    if filters.municipality and directory.municipality_by_code(filters.municipality) is None:
        errors["municipality"] = "Onbekende gemeente: gebruik een CBS-code zoals GM0392."
    if filters.category and filters.category not in CATEGORIES:
        errors["category"] = "Onbekende categorie."
    if filters.status and filters.status not in STATUSES:
        errors["status"] = "Kies open of afgesloten."
    if filters.release_from and filters.release_to and filters.release_from > filters.release_to:
        errors["release_to"] = "De einddatum ligt voor de begindatum."
    if filters.reference and len(filters.reference) > 20:
        errors["reference"] = "Een kenmerk is hooguit 20 tekens."
    if errors:
        raise ValidationFailed(errors)


async def list_cases(
    actor: Actor,
    filters: CaseFilters,
    directory: Directory,
    ladder: Ladder,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> CasePage:
    """One page of the actor's cases; the references shown are audit-logged."""
    page = await _page(actor, filters, directory, ladder, cursor, limit)
    if page.rows:
        async with db.transaction():
            await audit.record(
                actor, "case.list", details={"references": [r.reference for r in page.rows]}
            )
    return page


async def _page(
    actor: Actor,
    filters: CaseFilters,
    directory: Directory,
    ladder: Ladder,
    cursor: str | None,
    limit: int,
) -> CasePage:
    require_case_reader(actor)
    check_filters(filters, directory, ladder)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed({"limit": f"Kies een paginagrootte van 1 tot {MAX_PAGE_SIZE}."})
    where, args = _where(actor, filters, directory, ladder)
    if cursor:
        after_date, after_id = decode_cursor(cursor)
        where.append("(c.release_order > {} OR (c.release_order = {} AND c.id > {}))")
        args += [after_date, after_date, after_id]
    rows = await db.fetch(
        f"SELECT {ROW_COLUMNS} FROM case_file c"
        f" WHERE {' AND '.join(where)} ORDER BY c.release_order, c.id LIMIT {{}}",
        *args,
        limit + 1,
    )
    page, more = rows[:limit], len(rows) > limit
    result = await _rows(page, actor, directory)
    next_cursor = encode_cursor(page[-1]["release_order"], page[-1]["id"]) if more else None
    return CasePage(rows=result, next_cursor=next_cursor)


ROW_COLUMNS = (
    "c.id, c.reference, c.level, c.status, c.release_date, c.release_order,"
    " c.release_certainty, c.home_municipality, c.receiving_municipality,"
    " c.housing_state, c.updated_at"
)


async def _rows(rows: list[dict[str, Any]], actor: Actor, directory: Directory) -> list[CaseRow]:
    visible = visible_classes(actor)
    categories = (
        await _categories([r["id"] for r in rows]) if Sensitivity.OFFENCE in visible else {}
    )
    return [_row(r, directory, visible, categories) for r in rows]


def _where(
    actor: Actor, filters: CaseFilters, directory: Directory, ladder: Ladder
) -> tuple[list[str], list[Any]]:
    scope, args = scope_sql(actor, ladder)
    where = [scope]
    if filters.status:
        where.append("c.status = {}")
        args.append(filters.status)
    if filters.level:
        where.append("c.level = {}")
        args.append(filters.level)
    if filters.municipality:
        municipality = directory.municipality_by_code(filters.municipality)
        assert municipality is not None
        where.append("(c.home_municipality = {} OR c.receiving_municipality = {})")
        args += [municipality.id, municipality.id]
    if filters.category and Sensitivity.OFFENCE in visible_classes(actor):
        # EXISTS, not IN: SQLite would otherwise start from every case of the category.
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
    if filters.reference:
        where.append("c.reference LIKE {}")
        args.append(f"%{_escape_like(filters.reference.strip().upper())}%")
    return where, args


def _escape_like(text: str) -> str:
    return text.replace("%", "").replace("_", "")


def _row(
    r: dict[str, Any],
    directory: Directory,
    visible: frozenset[Sensitivity],
    categories: dict[int, list[str]],
) -> CaseRow:
    receiving = r["receiving_municipality"]
    return CaseRow(
        reference=r["reference"],
        level=r["level"],
        status=r["status"],
        release_date=_as_date(r["release_date"]),
        release_certainty=r["release_certainty"],
        home_municipality=directory.municipalities[r["home_municipality"]].name,
        receiving_municipality=directory.municipalities[receiving].name if receiving else None,
        housing_state=r["housing_state"] if Sensitivity.BASIC_CONDITIONS in visible else None,
        categories=tuple(categories.get(r["id"], [])) if Sensitivity.OFFENCE in visible else None,
        updated_at=r["updated_at"],
    )


async def _categories(case_ids: list[int]) -> dict[int, list[str]]:
    if not case_ids:
        return {}
    placeholders = ", ".join("{}" for _ in case_ids)
    rows = await db.fetch(
        f'SELECT "case" AS case_id, category FROM case_category WHERE "case" IN ({placeholders})',
        *case_ids,
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["case_id"], []).append(row["category"])
    return {k: sorted(v) for k, v in found.items()}


def encode_cursor(release_order: date | str, case_id: int) -> str:
    text = f"{_as_date(release_order)}|{case_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        day, case_id = text.split("|")
        number = int(case_id)
        if not 0 < number < 2**31:  # a tampered cursor: ids are 32-bit serials
            raise ValueError(case_id)
        return date.fromisoformat(day), number
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            {"cursor": "Ongeldige paginaverwijzing. Begin opnieuw bij de eerste pagina."}
        ) from exc


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Dashboard:
    per_level: dict[str, int]
    returns_14: int
    returns_60: int
    upcoming: list[CaseRow]
    housing_at_risk: list[CaseRow]
    recent: list[CaseRow]


async def dashboard(actor: Actor, directory: Directory, ladder: Ladder) -> Dashboard:
    require_case_reader(actor)
    today = clock.today()
    scope, scope_args = scope_sql(actor, ladder)
    counts = await db.fetch(
        f"SELECT c.level, count(*) AS n FROM case_file c WHERE {scope} AND c.status = 'open'"
        " GROUP BY c.level",
        *scope_args,
    )
    window = await db.fetch(
        "SELECT"
        " sum(CASE WHEN c.release_order <= {} THEN 1 ELSE 0 END) AS in_14,"
        " count(*) AS in_60"
        f" FROM case_file c WHERE {scope} AND c.status = 'open'"
        " AND c.release_order >= {} AND c.release_order <= {}",
        today + timedelta(days=14),
        *scope_args,
        today,
        today + timedelta(days=60),
    )
    upcoming_raw = await db.fetch(
        f"SELECT {ROW_COLUMNS} FROM case_file c WHERE {scope} AND c.status = 'open'"
        " AND c.release_order >= {} AND c.release_order <= {}"
        " ORDER BY c.release_order, c.id LIMIT 10",
        *scope_args,
        today,
        today + timedelta(days=14),
    )
    housing_raw = await _housing_at_risk(actor, ladder, today)
    recent_raw = await db.fetch(
        f"SELECT {ROW_COLUMNS} FROM case_file c WHERE {scope} ORDER BY c.updated_at DESC LIMIT 10",
        *scope_args,
    )
    # One query for the categories of all three lists.
    rows = await _rows([*upcoming_raw, *housing_raw, *recent_raw], actor, directory)
    upcoming = rows[: len(upcoming_raw)]
    housing_at_risk = rows[len(upcoming_raw) : len(upcoming_raw) + len(housing_raw)]
    recent = rows[len(upcoming_raw) + len(housing_raw) :]
    shown = {r.reference for r in rows}
    await reads.read(actor, "dashboard.read", shown)
    return Dashboard(
        per_level={row["level"]: int(row["n"]) for row in counts},
        returns_14=int(window[0]["in_14"] or 0),
        returns_60=int(window[0]["in_60"] or 0),
        upcoming=upcoming,
        housing_at_risk=housing_at_risk,
        recent=recent,
    )


async def _housing_at_risk(actor: Actor, ladder: Ladder, today: date) -> list[dict[str, Any]]:
    """Open cases returning within two weeks (or already returned) without housing."""
    if Sensitivity.BASIC_CONDITIONS not in visible_classes(actor):
        return []
    scope, args = scope_sql(actor, ladder)
    return await db.fetch(
        f"SELECT {ROW_COLUMNS} FROM case_file c WHERE {scope} AND c.status = 'open'"
        " AND c.release_order >= {} AND c.release_order <= {} AND c.housing_state <> 'arranged'"
        " ORDER BY c.release_order, c.id LIMIT 20",
        *args,
        today - timedelta(days=30),
        today + timedelta(days=14),
    )
