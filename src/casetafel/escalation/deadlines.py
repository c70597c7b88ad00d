"""Deadline rows kept in step with each case: created when a case enters a level,
recomputed when it changes, resolved (met, missed, cancelled) when they no longer wait.

Each operation reads the case's rows once, works out the changes in memory and writes them
in a few statements: the sweep does this for every deadline it acts on. All functions run
inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from casetafel.cases.models import Case, CaseCategory
from casetafel.escalation import rules as r
from casetafel.escalation.config import Rule, RuleSet
from casetafel.escalation.models import Deadline
from casetafel.organisations.models import Region

PENDING, MET, MISSED, CANCELLED = "pending", "met", "missed", "cancelled"


async def load_state(case_id: int) -> r.CaseState:
    case = await Case.objects().where(Case.id == case_id).first()
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    categories = await CaseCategory.select(CaseCategory.category).where(
        CaseCategory.case == case_id
    )
    region = (
        await Region.select(Region.code, Region.mailbox).where(Region.id == case.region).first()
    )
    return r.CaseState(
        id=case.id,
        reference=case.reference,
        region_id=case.region,
        region_code=region["code"] if region else "",
        region_mailbox=region["mailbox"] if region else "",
        level=case.level,
        level_since=case.level_since,
        status=case.status,
        release_date=case.release_date,
        housing_state=case.housing_state,
        categories=frozenset(row["category"] for row in categories),
        bij_notice_date=case.bij_notice_date,
        home_municipality=case.home_municipality,
        receiving_municipality=case.receiving_municipality,
        version=case.version,
    )


@dataclass
class _Changes:
    """What one operation does to a case's deadlines, written at the end in a few statements."""

    rows: list[Deadline]
    now: datetime
    resolved: dict[int, str] = field(default_factory=dict)
    moved: dict[int, tuple[datetime, str | None]] = field(default_factory=dict)
    new: list[Deadline] = field(default_factory=list)

    def pending(self, kind: str | None = None) -> list[Deadline]:
        return [
            row
            for row in self.rows
            if row.state == PENDING and row.id not in self.resolved and kind in (None, row.kind)
        ]

    def resolve(self, rows: list[Deadline], outcome: str) -> None:
        for row in rows:
            if row.state == PENDING:
                self.resolved.setdefault(row.id, outcome)
        # Warnings of what ends here end with it.
        ended = {row.id for row in rows}
        for warning in self.pending("warning"):
            if warning.target in ended:
                self.resolved.setdefault(warning.id, CANCELLED)

    async def write(self) -> None:
        for outcome in (MET, MISSED, CANCELLED):
            ids = [row_id for row_id, value in self.resolved.items() if value == outcome]
            if ids:
                await Deadline.update(
                    {Deadline.state: outcome, Deadline.resolved_at: self.now}
                ).where(Deadline.id.is_in(ids) & (Deadline.state == PENDING))
        for row_id, (due, level) in self.moved.items():
            await Deadline.update({Deadline.due_at: due, Deadline.level: level}).where(
                Deadline.id == row_id
            )
        if self.new:
            await Deadline.insert(*self.new)  # sets each row's id
            self.rows.extend(self.new)
            self.new = []


async def enter_level(
    state: r.CaseState, rules: RuleSet, now: datetime, conference_within: int | None = None
) -> None:
    """The case has just entered state.level: the old level's deadlines end, the new
    level's begin (time box, conference and its reminder), then housing and BIJ follow."""
    changes = _Changes(await _rows(state.id), now)
    changes.resolve([row for row in changes.pending() if row.kind in r.LEVEL_KINDS], CANCELLED)
    if rules.time_box and (due := r.time_box_due(rules.time_box, state.level, state.level_since)):
        changes.new.append(_row(state, rules.time_box.id, "time_box", due, now))
    if rules.conference:
        dues = r.conference_due(
            rules.conference, state.level, state.level_since, within=conference_within
        )
        if dues:
            conference, reminder = dues
            changes.new.append(_row(state, rules.conference.id, "conference_due", conference, now))
            changes.new.append(
                _row(state, rules.conference.id, "conference_reminder", reminder, now)
            )
    await _follow_data(state, rules, changes)


async def refresh(state: r.CaseState, rules: RuleSet, now: datetime) -> None:
    """Recompute the deadlines that follow the case's data (release date, housing, BIJ)."""
    changes = _Changes(await _rows(state.id), now)
    if not state.is_open:
        changes.resolve(changes.pending(), CANCELLED)
        await changes.write()
        return
    await _follow_data(state, rules, changes)


async def cancel_all(case_id: int, now: datetime) -> None:
    changes = _Changes(await _rows(case_id), now)
    changes.resolve(changes.pending(), CANCELLED)
    await changes.write()


async def resolve(row_id: int, outcome: str, now: datetime) -> None:
    await Deadline.update({Deadline.state: outcome, Deadline.resolved_at: now}).where(
        (Deadline.id == row_id) & (Deadline.state == PENDING)
    )


async def _follow_data(state: r.CaseState, rules: RuleSet, changes: _Changes) -> None:
    housing_due = r.housing_due(rules.housing, state) if rules.housing else None
    _sync(state, changes, "housing_deadline", rules.housing, housing_due, state.level)
    bij_due = r.bij_due(rules.bij_missing, state) if rules.bij_missing else None
    _sync(state, changes, "bij_missing", rules.bij_missing, bij_due, None)
    await changes.write()  # new targets get their ids before warnings refer to them
    _sync_warnings(state, rules, changes)
    await changes.write()


def _sync(
    state: r.CaseState,
    changes: _Changes,
    kind: str,
    rule: Rule | None,
    wanted: datetime | None,
    level: str | None,
) -> None:
    pending = changes.pending(kind)
    if wanted is None or rule is None:
        satisfied = (kind == "housing_deadline" and state.housing_state == "arranged") or (
            kind == "bij_missing" and state.bij_notice_date is not None
        )
        changes.resolve(pending, MET if satisfied else CANCELLED)
        return
    fired = any(
        row.kind == kind and row.state == MISSED and row.level == level and row.due_at == wanted
        for row in changes.rows
    )
    keep, extra = (pending[0], pending[1:]) if pending else (None, [])
    changes.resolve(extra, CANCELLED)
    if keep is not None:
        if keep.due_at != wanted or keep.level != level:
            changes.moved[keep.id] = (wanted, level)
            keep.due_at, keep.level = wanted, level
    elif not fired:
        changes.new.append(_row(state, rule.id, kind, wanted, changes.now, level=level))


def _sync_warnings(state: r.CaseState, rules: RuleSet, changes: _Changes) -> None:
    targets = {
        row.id: row
        for row in changes.pending()
        if row.kind in r.WARNED_KINDS and row.due_at > changes.now
    }
    warnings = [row for row in changes.rows if row.kind == "warning"]
    stale = [w for w in warnings if w.state == PENDING and w.target not in targets]
    for warning in stale:
        changes.resolved.setdefault(warning.id, CANCELLED)
    if rules.warning is None:
        return
    for target in targets.values():
        wanted = r.warning_due(rules.warning, target.due_at)
        existing = [w for w in warnings if w.target == target.id]
        if not existing:
            changes.new.append(
                _row(
                    state,
                    rules.warning.id,
                    "warning",
                    wanted,
                    changes.now,
                    level=target.level,
                    target=target,
                )
            )
        elif existing[0].state == PENDING and existing[0].due_at != wanted:
            changes.moved[existing[0].id] = (wanted, existing[0].level)


def _row(
    state: r.CaseState,
    rule_id: str,
    kind: str,
    due: datetime,
    now: datetime,
    *,
    level: str | None = "",
    target: Deadline | None = None,
) -> Deadline:
    return Deadline(
        case=state.id,
        rule=rule_id,
        kind=kind,
        level=state.level if level == "" else level,
        entered_at=state.level_since,
        due_at=due,
        state=PENDING,
        target=target.id if target else None,
        created_at=now,
    )


async def _rows(case_id: int) -> list[Deadline]:
    rows: list[Deadline] = await Deadline.objects().where(Deadline.case == case_id)
    return rows
