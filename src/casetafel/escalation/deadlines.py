"""Deadline rows kept in step with each case: created when a case enters a level,
recomputed when it changes, resolved (met, missed, cancelled) when they no longer wait.

All functions run inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casetafel.cases.models import Case, CaseCategory
from casetafel.escalation import rules as r
from casetafel.escalation.config import RuleSet
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


async def enter_level(
    state: r.CaseState, rules: RuleSet, now: datetime, conference_within: int | None = None
) -> None:
    """The case has just entered state.level: the old level's deadlines end, the new
    level's begin (time box, conference and its reminder), then housing and BIJ follow."""
    rows = await _rows(state.id)
    await _resolve([row for row in rows if row.kind in r.LEVEL_KINDS], CANCELLED, now)
    new: list[Deadline] = []
    if rules.time_box and (due := r.time_box_due(rules.time_box, state.level, state.level_since)):
        new.append(_row(state, rules.time_box.id, "time_box", due, now))
    if rules.conference:
        dues = r.conference_due(
            rules.conference, state.level, state.level_since, within=conference_within
        )
        if dues:
            conference, reminder = dues
            new.append(_row(state, rules.conference.id, "conference_due", conference, now))
            new.append(_row(state, rules.conference.id, "conference_reminder", reminder, now))
    if new:
        await Deadline.insert(*new)
    await refresh(state, rules, now)


async def refresh(state: r.CaseState, rules: RuleSet, now: datetime) -> None:
    """Recompute the deadlines that follow the case's data (release date, housing, BIJ)."""
    rows = await _rows(state.id)
    if not state.is_open:
        await _resolve(rows, CANCELLED, now)
        return
    housing_due = r.housing_due(rules.housing, state) if rules.housing else None
    await _sync(state, rows, "housing_deadline", rules.housing, housing_due, state.level, now)
    bij_due = r.bij_due(rules.bij_missing, state) if rules.bij_missing else None
    await _sync(state, rows, "bij_missing", rules.bij_missing, bij_due, None, now)
    await _sync_warnings(state, rules, now)


async def cancel_all(case_id: int, now: datetime) -> None:
    await _resolve(await _rows(case_id), CANCELLED, now)


async def resolve(row_id: int, outcome: str, now: datetime) -> None:
    await Deadline.update({Deadline.state: outcome, Deadline.resolved_at: now}).where(
        (Deadline.id == row_id) & (Deadline.state == PENDING)
    )


async def _sync(
    state: r.CaseState,
    rows: list[Deadline],
    kind: str,
    rule: Any,
    wanted: datetime | None,
    level: str | None,
    now: datetime,
) -> None:
    pending = [row for row in rows if row.kind == kind and row.state == PENDING]
    if wanted is None:
        satisfied = (kind == "housing_deadline" and state.housing_state == "arranged") or (
            kind == "bij_missing" and state.bij_notice_date is not None
        )
        await _resolve(pending, MET if satisfied else CANCELLED, now)
        return
    fired = any(
        row.kind == kind and row.state == MISSED and row.level == level and row.due_at == wanted
        for row in rows
    )
    keep, extra = (pending[0], pending[1:]) if pending else (None, [])
    await _resolve(extra, CANCELLED, now)
    if keep is not None:
        if keep.due_at != wanted or keep.level != level:
            await Deadline.update({Deadline.due_at: wanted, Deadline.level: level}).where(
                Deadline.id == keep.id
            )
    elif not fired:
        await _row(state, rule.id, kind, wanted, now, level=level).save()


async def _sync_warnings(state: r.CaseState, rules: RuleSet, now: datetime) -> None:
    rows = await _rows(state.id)
    targets = {
        row.id: row
        for row in rows
        if row.kind in r.WARNED_KINDS and row.state == PENDING and row.due_at > now
    }
    warnings = [row for row in rows if row.kind == "warning"]
    stale = [w for w in warnings if w.state == PENDING and w.target not in targets]
    await _resolve(stale, CANCELLED, now)
    if rules.warning is None:
        return
    for target in targets.values():
        wanted = r.warning_due(rules.warning, target.due_at)
        existing = [w for w in warnings if w.target == target.id]
        if not existing:
            await _row(
                state, rules.warning.id, "warning", wanted, now, level=target.level, target=target
            ).save()
        elif existing[0].state == PENDING and existing[0].due_at != wanted:
            await Deadline.update({Deadline.due_at: wanted}).where(Deadline.id == existing[0].id)


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


async def _resolve(rows: list[Deadline], outcome: str, now: datetime) -> None:
    ids = [row.id for row in rows if row.state == PENDING]
    if ids:
        await Deadline.update({Deadline.state: outcome, Deadline.resolved_at: now}).where(
            Deadline.id.is_in(ids) & (Deadline.state == PENDING)
        )
    # Warnings of what ends here end with it.
    if ids:
        await Deadline.update({Deadline.state: CANCELLED, Deadline.resolved_at: now}).where(
            Deadline.target.is_in(ids) & (Deadline.state == PENDING)
        )
