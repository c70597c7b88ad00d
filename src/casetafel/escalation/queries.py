"""Read models of the escalation engine: a case's ladder, deadlines and history; the queue
of each level; the dashboard's overdue, due-this-week and BIJ panels; deadlines for the API.
Lists that name cases are audit-logged with the references they show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from casetafel import clock, db
from casetafel.access import audit, reads
from casetafel.access.policy import Actor, Sensitivity, visible_classes
from casetafel.cases.access import require_case_reader, scope_sql
from casetafel.cases.service import CaseView
from casetafel.errors import NotFound, ValidationFailed
from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.moves import may_move, may_record_progress
from casetafel.escalation.rules import working_days_left
from casetafel.organisations.models import Region
from casetafel.organisations.service import Directory

SHOWN_KINDS = ("housing_deadline", "time_box", "conference_due", "bij_missing")
QUEUE_LIMIT = 200
# Rows per dashboard panel: the most pressing ones; the queues list every case.
PANEL_ROWS = 10


@dataclass(frozen=True)
class DeadlineRow:
    reference: str
    kind: str
    level: str | None
    due_at: datetime
    state: str
    days_left: int
    rule: str


@dataclass(frozen=True)
class EscalationRow:
    at: datetime
    from_level: str | None
    to_level: str
    direction: str
    trigger: str
    obstacle: str | None
    note: str | None  # None when the reader may not see casework
    actor_name: str


@dataclass(frozen=True)
class CaseEscalation:
    """The escalation section of a case page."""

    level: str
    level_since: datetime
    deadlines: list[DeadlineRow]
    history: list[EscalationRow]
    can_escalate: bool
    can_deescalate: bool
    can_record: bool
    up: str | None
    down: str | None


async def case_escalation(actor: Actor, case: CaseView, config: EscalationConfig) -> CaseEscalation:
    """For a case the caller has just read through cases.service (access checked and the
    read logged there)."""
    now = clock.now()
    rows = await db.fetch(
        "SELECT d.kind, d.level, d.due_at, d.state, d.rule FROM deadline d"
        ' WHERE d."case" = {} AND d.kind IN ({}, {}, {}, {})'
        " AND (d.state = 'pending' OR d.entered_at = {} OR d.kind = 'bij_missing')"
        " ORDER BY d.due_at, d.id",
        case.id,
        *SHOWN_KINDS,
        case.level_since,
    )
    ladder = config.ladder
    position = ladder.position(case.level)
    is_open = case.status == "open"
    return CaseEscalation(
        level=case.level,
        level_since=case.level_since,
        deadlines=[_deadline(row, case.reference, now) for row in rows],
        history=await history(actor, case.id),
        can_escalate=is_open and may_move(actor, case.level, "up", config),
        can_deescalate=is_open and may_move(actor, case.level, "down", config),
        can_record=is_open and may_record_progress(actor, case.level, config),
        up=ladder.levels[position + 1].key if position + 1 < len(ladder.levels) else None,
        down=ladder.levels[position - 1].key if position > 0 else None,
    )


async def history(actor: Actor, case_id: int) -> list[EscalationRow]:
    rows = await db.fetch(
        "SELECT e.at, e.from_level, e.to_level, e.direction, e.trigger, e.obstacle, e.note,"
        " u.display_name FROM escalation e LEFT JOIN app_user u ON u.id = e.actor"
        ' WHERE e."case" = {} ORDER BY e.at DESC, e.id DESC',
        case_id,
    )
    sees_notes = Sensitivity.CASEWORK in visible_classes(actor)
    return [
        EscalationRow(
            at=_instant(row["at"]),
            from_level=row["from_level"],
            to_level=row["to_level"],
            direction=row["direction"],
            trigger=row["trigger"],
            obstacle=row["obstacle"],
            note=row["note"] if sees_notes else None,
            actor_name=row["display_name"] or "casetafel (regel)",
        )
        for row in rows
    ]


async def read_history(
    actor: Actor, reference: str, config: EscalationConfig, directory: Directory
) -> list[EscalationRow]:
    """The API's escalation history of one case; logged as a read of the case."""
    from casetafel.cases import service as cases

    case = await cases.visible_case(actor, reference, directory, config.ladder)
    rows = await history(actor, case.id)
    async with db.transaction():
        await audit.record(
            actor, "case.escalations.read", case_id=case.id, case_reference=case.reference
        )
    return rows


@dataclass(frozen=True)
class QueueRow:
    reference: str
    release_date: date | None
    municipality: str
    level_since: datetime
    next_due: datetime | None
    days_left: int | None


async def queue(
    actor: Actor, level_key: str, config: EscalationConfig, directory: Directory
) -> list[QueueRow]:
    """The open cases at one level that the actor may see, the most urgent first."""
    require_case_reader(actor)
    if config.ladder.get(level_key) is None:
        raise NotFound("Dit niveau bestaat niet.")
    scope, args = scope_sql(actor, config.ladder)
    rows = await db.fetch(
        "SELECT * FROM (SELECT c.id, c.reference, c.release_date, c.release_order,"
        " c.home_municipality, c.level_since,"
        " (SELECT min(d.due_at) FROM deadline d WHERE d.\"case\" = c.id AND d.state = 'pending'"
        "  AND d.kind IN ('housing_deadline', 'time_box', 'conference_due')) AS next_due"
        f" FROM case_file c WHERE {scope} AND c.status = 'open' AND c.level = {{}}) q"
        " ORDER BY CASE WHEN q.next_due IS NULL THEN 1 ELSE 0 END, q.next_due,"
        " q.release_order, q.id LIMIT {}",
        *args,
        level_key,
        QUEUE_LIMIT,
    )
    now = clock.now()
    result = [
        QueueRow(
            reference=row["reference"],
            release_date=_date(row["release_date"]),
            municipality=directory.municipalities[row["home_municipality"]].name,
            level_since=_instant(row["level_since"]),
            next_due=_instant(row["next_due"]) if row["next_due"] else None,
            days_left=working_days_left(_instant(row["next_due"]), now)
            if row["next_due"]
            else None,
        )
        for row in rows
    ]
    if result:
        async with db.transaction():
            await audit.record(
                actor,
                "queue.read",
                details={"level": level_key, "references": [r.reference for r in result]},
            )
    return result


@dataclass(frozen=True)
class EscalationDashboard:
    overdue: list[DeadlineRow]
    due_this_week: list[DeadlineRow]
    bij_alerts: list[DeadlineRow]
    # The BIJ rule's calendar days for the reader's region (None: regions differ).
    bij_days: int | None = None
    # The panels that had more rows than they show.
    more: frozenset[str] = frozenset()

    @property
    def references(self) -> list[str]:
        rows = [*self.overdue, *self.due_this_week, *self.bij_alerts]
        return sorted({row.reference for row in rows})


async def dashboard(actor: Actor, config: EscalationConfig) -> EscalationDashboard:
    require_case_reader(actor)
    now = clock.now()
    scope, args = scope_sql(actor, config.ladder)
    columns = "c.reference, d.kind, d.level, d.due_at, d.state, d.rule"
    overdue = await db.fetch_top(
        f'SELECT {columns} FROM deadline d JOIN case_file c ON c.id = d."case"'
        f" WHERE {scope} AND c.status = 'open' AND d.state = 'missed'"
        " AND d.kind = 'conference_due' AND d.level = c.level AND d.entered_at = c.level_since"
        # Newest first: missed rows pile up over the years, current stays are at the end.
        f" ORDER BY d.due_at DESC LIMIT {PANEL_ROWS + 1}",
        *args,
    )
    week_end = clock.end_of_working_day(_sunday(clock.today()))
    due = await db.fetch(
        f'SELECT {columns} FROM deadline d JOIN case_file c ON c.id = d."case"'
        f" WHERE d.state = 'pending' AND d.due_at <= {{}} AND {scope}"
        " AND d.kind IN ('housing_deadline', 'time_box', 'conference_due')"
        f" ORDER BY d.due_at LIMIT {PANEL_ROWS + 1}",
        week_end,
        *args,
    )
    bij: list[dict[str, Any]] = []
    shows_bij = Sensitivity.OFFENCE in visible_classes(actor)
    if shows_bij:
        bij = await db.fetch_top(
            f'SELECT {columns} FROM deadline d JOIN case_file c ON c.id = d."case"'
            f" WHERE {scope} AND c.status = 'open' AND c.bij_notice_date IS NULL"
            " AND d.kind = 'bij_missing' AND d.state = 'missed'"
            f" ORDER BY d.due_at DESC LIMIT {PANEL_ROWS + 1}",
            *args,
        )
    panels = {"overdue": overdue, "due_this_week": due, "bij_alerts": bij}
    board = EscalationDashboard(
        overdue=_panel(overdue, now),
        due_this_week=_panel(due, now),
        bij_alerts=_panel(bij, now),
        bij_days=await bij_days(actor, config) if shows_bij else None,
        more=frozenset(name for name, rows in panels.items() if len(rows) > PANEL_ROWS),
    )
    await reads.read(actor, "dashboard.deadlines.read", board.references)
    return board


def _panel(rows: list[dict[str, Any]], now: datetime) -> list[DeadlineRow]:
    return [_deadline(row, row["reference"], now) for row in rows[:PANEL_ROWS]]


async def bij_days(actor: Actor, config: EscalationConfig) -> int | None:
    """The calendar days of the BIJ rule that apply to the reader's cases: their region's
    (overrides included), or the one value all regions share for a national reader."""
    if actor.region_id is not None:
        rule_sets = [config.rules_for(await _region_code(actor.region_id))]
    else:
        rule_sets = [config.default, *config.regions.values()]
    days = {
        rules.bij_missing.calendar_days_before_release for rules in rule_sets if rules.bij_missing
    }
    return days.pop() if len(days) == 1 else None


# A region's code never changes (regions are matched on it): read once per process.
_REGION_CODES: dict[int, str] = {}


async def _region_code(region_id: int) -> str:
    if region_id not in _REGION_CODES:
        region = await Region.select(Region.code).where(Region.id == region_id).first()
        if region is None:
            return ""
        _REGION_CODES[region_id] = region["code"]
    return _REGION_CODES[region_id]


MAX_DEADLINES = 500


async def due_before(
    actor: Actor, before: datetime, config: EscalationConfig, limit: int = MAX_DEADLINES
) -> list[DeadlineRow]:
    """Pending deadlines of the actor's cases due before an instant (the API)."""
    require_case_reader(actor)
    if not 1 <= limit <= MAX_DEADLINES:
        raise ValidationFailed({"limit": f"Kies een aantal van 1 tot {MAX_DEADLINES}."})
    scope, args = scope_sql(actor, config.ladder)
    kinds = "('housing_deadline', 'time_box', 'conference_due')"
    if Sensitivity.OFFENCE in visible_classes(actor):
        kinds = "('housing_deadline', 'time_box', 'conference_due', 'bij_missing')"
    rows = await db.fetch(
        "SELECT c.reference, d.kind, d.level, d.due_at, d.state, d.rule FROM deadline d"
        ' JOIN case_file c ON c.id = d."case"'
        f" WHERE d.state = 'pending' AND d.due_at < {{}} AND d.kind IN {kinds} AND {scope}"
        " ORDER BY d.due_at, d.id LIMIT {}",
        before,
        *args,
        limit,
    )
    now = clock.now()
    result = [_deadline(row, row["reference"], now) for row in rows]
    if result:
        async with db.transaction():
            await audit.record(
                actor,
                "deadline.list",
                details={"references": sorted({r.reference for r in result})},
            )
    return result


def _deadline(row: dict[str, Any], reference: str, now: datetime) -> DeadlineRow:
    due = _instant(row["due_at"])
    return DeadlineRow(
        reference=reference,
        kind=row["kind"],
        level=row["level"],
        due_at=due,
        state=row["state"],
        days_left=working_days_left(due, now),
        rule=row["rule"],
    )


def _sunday(day: date) -> date:
    return day + timedelta(days=6 - day.weekday())


def _instant(value: Any) -> datetime:
    """Raw SQL gives datetimes on PostgreSQL and text on SQLite."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
