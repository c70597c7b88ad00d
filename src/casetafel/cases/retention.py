"""Retention: a closed case's personal data are removed when its term has passed.

The term is the longest `retention_years` of the case's recorded legal bases
(config/access.toml), counted from closing; an extension by the privacy officer keeps the
data until its date, inclusive. The run anonymises set-wise, in batches: it clears the
subject, the free text of the professionals on the case and in its timeline, and hands the
batch to the erasers of higher domains (meetings, escalation), which cases cannot import.
What reports need stays: reference, region, municipalities, dates, levels, categories,
escalations, legal bases, outcome. A case is marked (`anonymised_at`), so it is done once;
the run claims with FOR UPDATE SKIP LOCKED on PostgreSQL, so several instances share it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Policy, current
from casetafel.cases.models import BASIC_CONDITIONS, Case, TimelineEvent
from casetafel.cases.presentation import HIDDEN

log = logging.getLogger("casetafel.retention")

BATCH = 100
# Case columns the run clears, with the value they get.
CLEARED: dict[str, Any] = {
    "subject_name": None,
    "subject_birth_date": None,
    "notes": "",
    **{f"{name}_note": "" for name in BASIC_CONDITIONS},
    "housing_requirement": "",
}
# Fields whose old and new values in the timeline are free text (identity is masked already).
FREE_TEXT_FIELDS = frozenset(CLEARED) - {"subject_name", "subject_birth_date"}

# Clears the free text a higher domain holds about these cases (same transaction).
Eraser = Callable[[list[int]], Awaitable[None]]


@dataclass(frozen=True)
class DueCase:
    id: int
    reference: str
    closed_at: datetime
    legal_bases: tuple[str, ...]
    years: int


@dataclass
class RetentionReport:
    anonymised: list[str] = field(default_factory=list)


def years_before(moment: datetime, years: int) -> datetime:
    """The same Amsterdam wall-clock time `years` earlier (29 February: the 28th), in UTC."""
    local = clock.local(moment)
    try:
        earlier = local.replace(year=local.year - years)
    except ValueError:
        earlier = local.replace(year=local.year - years, day=28)
    return earlier.astimezone(UTC)


def term_end(closed_at: datetime, years: int) -> date:
    """The date on which a case closed at `closed_at` reaches a term of `years`."""
    local = clock.local(closed_at).date()
    try:
        return local.replace(year=local.year + years)
    except ValueError:
        return local.replace(year=local.year + years, day=28)


def _due_sql(
    policy: Policy, now: datetime, *, limit: int | None, lock: bool
) -> tuple[str, list[Any]]:
    """Closed cases past their term and not extended, oldest closing first.

    Per case the cutoff is `now` minus the longest term of its bases: a CASE over the terms
    from long to short, so the first basis it has gives its cutoff. The outer comparison
    with the shortest term's cutoff lets the partial index on closed_at do the walking."""
    terms: dict[int, list[str]] = {}
    for basis in policy.case_bases():
        terms.setdefault(basis.retention_years, []).append(basis.key)
    longest = max(terms)
    # PostgreSQL cannot infer the type of a parameter that a CASE returns.
    instant = "{}" if db.is_sqlite() else "{}::timestamptz"
    args: list[Any] = [years_before(now, min(terms))]
    branches = []
    for years in sorted(terms, reverse=True):
        keys = terms[years]
        branches.append(
            "WHEN "
            + " OR ".join("(',' || c.legal_bases || ',') LIKE {}" for _ in keys)
            + f" THEN {instant}"
        )
        args += [f"%,{key},%" for key in keys] + [years_before(now, years)]
    args.append(years_before(now, longest))
    args.append(clock.local(now).date())
    sql = (
        "SELECT c.id, c.reference, c.closed_at, c.legal_bases FROM case_file c"
        " WHERE c.status = 'closed' AND c.anonymised_at IS NULL AND c.closed_at <= {}"
        f" AND c.closed_at <= CASE {' '.join(branches)} ELSE {instant} END"
        " AND NOT EXISTS (SELECT 1 FROM retention_extension e"
        ' WHERE e."case" = c.id AND e.until >= {})'
        " ORDER BY c.closed_at, c.id"
    )
    if limit is not None:
        sql += " LIMIT {}"
        args.append(limit)
    if lock and not db.is_sqlite():
        # Another instance's batch is skipped, not waited for, and never done twice.
        sql += " FOR UPDATE OF c SKIP LOCKED"
    return sql, args


async def due_cases(now: datetime | None = None, *, limit: int | None = None) -> list[DueCase]:
    """What a run at `now` anonymises, in the order it does so (the preview)."""
    return await _due(now or clock.now(), limit=limit, lock=False)


async def _due(now: datetime, *, limit: int | None, lock: bool) -> list[DueCase]:
    policy = current()
    sql, args = _due_sql(policy, now, limit=limit, lock=lock)
    found = []
    for row in await db.fetch(sql, *args):
        bases = tuple(b for b in (row["legal_bases"] or "").split(",") if b)
        found.append(
            DueCase(
                id=int(row["id"]),
                reference=row["reference"],
                closed_at=_instant(row["closed_at"]),
                legal_bases=bases,
                years=policy.retention_years(bases),
            )
        )
    return found


def _instant(value: datetime | str) -> datetime:
    """A timestamp from a raw query (SQLite returns text)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def anonymise_due(
    now: datetime | None = None,
    *,
    erasers: Sequence[Eraser] = (),
    batch_size: int = BATCH,
) -> RetentionReport:
    """Anonymise every case past its term, a batch per transaction; idempotent."""
    now = now or clock.now()
    report = RetentionReport()
    while True:
        async with db.transaction():
            batch = await _due(now, limit=batch_size, lock=True)
            again = {case.reference for case in batch} & set(report.anonymised)
            if again:
                # A case still due after it was done would make this loop forever.
                raise RuntimeError(f"retention: {sorted(again)[0]} is due again after anonymising")
            if batch:
                await _anonymise(batch, now, erasers)
        if not batch:
            return report
        report.anonymised += [case.reference for case in batch]
        log.info("retention: %s case(s) anonymised", len(batch))


async def _anonymise(batch: list[DueCase], now: datetime, erasers: Sequence[Eraser]) -> None:
    ids = [case.id for case in batch]
    columns = {getattr(Case, name): value for name, value in CLEARED.items()}
    await Case.update({**columns, Case.anonymised_at: now, Case.version: Case.version + 1}).where(
        Case.id.is_in(ids) & Case.anonymised_at.is_null()
    )
    await _scrub_timeline(ids)
    for erase in erasers:
        await erase(ids)
    await TimelineEvent.insert(
        *[
            TimelineEvent(
                case=case.id,
                at=now,
                kind="retention.anonymised",
                actor=None,
                summary=f"Persoonsgegevens verwijderd: bewaartermijn van {case.years} jaar "
                "na afsluiten verstreken",
                details=json.dumps({"changes": []}),
            )
            for case in batch
        ]
    )
    for case in batch:
        await audit.record(
            None,
            "case.anonymise",
            case_id=case.id,
            case_reference=case.reference,
            details={"term_years": case.years},
        )


async def _scrub_timeline(case_ids: list[int]) -> None:
    rows = await TimelineEvent.select(TimelineEvent.id, TimelineEvent.details).where(
        TimelineEvent.case.is_in(case_ids)
    )
    for row in rows:
        details = row["details"]
        parsed = json.loads(details) if isinstance(details, str) else details
        scrubbed = scrub(parsed)
        if scrubbed != parsed:
            await TimelineEvent.update({TimelineEvent.details: json.dumps(scrubbed)}).where(
                TimelineEvent.id == row["id"]
            )


def scrub(details: dict[str, Any]) -> dict[str, Any]:
    """A timeline event's details without free text: the casework goes, and changes of a
    free-text field keep only that it changed."""
    changes = []
    for change in details.get("changes", []):
        if change.get("field") in FREE_TEXT_FIELDS:
            change = {
                **change,
                "old": _masked(change.get("old")),
                "new": _masked(change.get("new")),
            }
        changes.append(change)
    kept = {key: value for key, value in details.items() if key != "casework"}
    kept["changes"] = changes
    return kept


def _masked(value: Any) -> Any:
    return HIDDEN if value not in (None, "") else value
