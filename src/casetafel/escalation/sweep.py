"""The sweep: act on every deadline that has fallen due, once, in order.

It claims cases that have due deadlines (on PostgreSQL with FOR UPDATE SKIP LOCKED, so
that several app instances share the work and never act on one case at the same time;
SQLite serves one instance and serialises write transactions), then acts on each due
deadline of the case oldest first. Acting resolves the deadline, so a second sweep finds
nothing to do; after downtime every missed deadline acts in turn on the next sweep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from casetafel import clock, db
from casetafel.escalation import deadlines, moves, recipients
from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.models import Deadline
from casetafel.escalation.rules import LEVEL_KINDS, CaseState
from casetafel.escalation.vocabulary import DEADLINE_KINDS
from casetafel.notifications import service as notifications

log = logging.getLogger("casetafel.sweep")

BATCH = 50
# More due deadlines than this on one case in one sweep means a rule keeps creating due
# deadlines: stop acting on that case rather than loop.
MAX_STEPS_PER_CASE = 25


@dataclass
class SweepReport:
    cases: int = 0
    acted: int = 0
    escalated: int = 0
    notified: int = 0
    failed: list[int] = field(default_factory=list)


async def sweep(config: EscalationConfig, now: datetime | None = None) -> SweepReport:
    now = now or clock.now()
    report = SweepReport()
    while True:
        async with db.transaction():
            case_ids = await _claim(now, report.failed)
            for case_id in case_ids:
                try:
                    async with db.savepoint():
                        await _sweep_case(case_id, config, now, report)
                except Exception:
                    log.exception("sweep: case %s failed; its deadlines wait", case_id)
                    report.failed.append(case_id)
        if not case_ids:
            return report
        report.cases += len(case_ids)


async def _claim(now: datetime, skip: list[int]) -> list[int]:
    not_failed = f" AND c.id NOT IN ({', '.join(str(i) for i in skip)})" if skip else ""
    due = "SELECT d.\"case\" FROM deadline d WHERE d.state = 'pending' AND d.due_at <= {}"
    if db.is_sqlite():
        where, lock = f"c.id IN ({due})", ""
    else:
        # The due cases first, as one array from the partial index on pending due_at:
        # as a join, PostgreSQL expects the pending and past rows to overlap (they do
        # not) and scans every deadline (25 ms at 300,000 cases with nothing due).
        where, lock = f"c.id = ANY(ARRAY({due}))", " FOR UPDATE OF c SKIP LOCKED"
    rows = await db.fetch(
        f"SELECT c.id FROM case_file c WHERE {where}{not_failed} ORDER BY c.id LIMIT {{}}{lock}",
        now,
        BATCH,
    )
    return [int(row["id"]) for row in rows]


async def _sweep_case(
    case_id: int, config: EscalationConfig, now: datetime, report: SweepReport
) -> None:
    for _ in range(MAX_STEPS_PER_CASE):
        due = (
            await Deadline.objects()
            .where(
                (Deadline.case == case_id)
                & (Deadline.state == deadlines.PENDING)
                & (Deadline.due_at <= now)
            )
            .order_by(Deadline.due_at)
            .order_by(Deadline.id)
            .first()
        )
        if due is None:
            return
        await _act(due, await deadlines.load_state(case_id), config, now, report)
        report.acted += 1
    raise RuntimeError(f"case {case_id}: more than {MAX_STEPS_PER_CASE} deadlines in one sweep")


async def _act(
    row: Deadline, state: CaseState, config: EscalationConfig, now: datetime, report: SweepReport
) -> None:
    stale = row.kind in LEVEL_KINDS and (
        row.level != state.level or row.entered_at != state.level_since
    )
    if not state.is_open or stale:
        await deadlines.resolve(row.id, deadlines.CANCELLED, now)
    elif row.kind == "housing_deadline" and state.housing_state == "arranged":
        await deadlines.resolve(row.id, deadlines.MET, now)
    elif row.kind in ("housing_deadline", "time_box"):
        await deadlines.resolve(row.id, deadlines.MISSED, now)
        await _escalate(row, state, config, now, report)
    elif row.kind == "conference_due":
        await deadlines.resolve(row.id, deadlines.MISSED, now)
        text = f"casusoverleg op niveau {config.ladder.name(state.level)} is te laat"
        await _tell_owners(row, state, config, now, report, "overdue", text)
    elif row.kind == "conference_reminder" and await _conference_due_already(row, now):
        # Caught up after downtime: the conference itself is due, a reminder comes too late.
        await deadlines.resolve(row.id, deadlines.CANCELLED, now)
    elif row.kind == "conference_reminder":
        await deadlines.resolve(row.id, deadlines.MET, now)
        text = f"casusoverleg op niveau {config.ladder.name(state.level)} nog niet vastgelegd"
        await _tell_owners(row, state, config, now, report, "reminder", text)
    elif row.kind == "bij_missing":
        await _bij(row, state, config, now, report)
    elif row.kind == "warning":
        await _warn(row, state, config, now, report)
    else:
        raise ValueError(f"unknown deadline kind {row.kind!r}")


async def _escalate(
    row: Deadline, state: CaseState, config: EscalationConfig, now: datetime, report: SweepReport
) -> None:
    ladder = config.ladder
    position = ladder.position(state.level)
    label = DEADLINE_KINDS[row.kind].lower()
    if position == len(ladder.levels) - 1:
        text = f"termijn '{label}' verstreken op het hoogste niveau"
        await _tell_owners(row, state, config, now, report, "missed", text)
        return
    rule = config.rules_for(state.region_code).get(row.rule)
    obstacle = getattr(rule, "obstacle", None)
    move = moves.Move(ladder.levels[position + 1].key, "up", row.rule, obstacle, "")
    await moves.apply(state, move, config, now)
    report.escalated += 1


async def _conference_due_already(reminder: Deadline, now: datetime) -> bool:
    """Whether the conference deadline of the reminder's level stay has fallen due too."""
    found = await Deadline.exists().where(
        (Deadline.case == reminder.case)
        & (Deadline.kind == "conference_due")
        & (Deadline.level == reminder.level)
        & (Deadline.entered_at == reminder.entered_at)
        & (Deadline.due_at <= now)
    )
    return bool(found)


async def _bij(
    row: Deadline, state: CaseState, config: EscalationConfig, now: datetime, report: SweepReport
) -> None:
    rule = config.rules_for(state.region_code).bij_missing
    still_missing = (
        rule is not None
        and state.bij_notice_date is None
        and bool(state.categories & rule.categories)
    )
    if not still_missing:
        await deadlines.resolve(row.id, deadlines.MET, now)
        return
    await deadlines.resolve(row.id, deadlines.MISSED, now)
    release = f"{state.release_date:%d-%m-%Y}" if state.release_date else "onbekend"
    users = await recipients.municipality_users(state) + await recipients.coordinators(
        state.region_id
    )
    text = f"terugkeer op {release} en nog geen BIJ-melding geregistreerd"
    await _notify(users, row, state, now, report, "bij_missing", text)


async def _warn(
    row: Deadline, state: CaseState, config: EscalationConfig, now: datetime, report: SweepReport
) -> None:
    target = await Deadline.objects().where(Deadline.id == (row.target or 0)).first()
    # A warning acts before its deadline or not at all: after downtime, a warning whose
    # deadline is itself due would announce what the sweep is about to do anyway.
    if target is None or target.state != deadlines.PENDING or target.due_at <= now:
        await deadlines.resolve(row.id, deadlines.CANCELLED, now)
        return
    await deadlines.resolve(row.id, deadlines.MET, now)
    due = clock.local(target.due_at)
    label = DEADLINE_KINDS[target.kind].lower()
    text = f"termijn '{label}' verloopt op {due:%d-%m-%Y %H:%M}"
    await _tell_owners(target, state, config, now, report, "warning", text)


async def _tell_owners(
    row: Deadline,
    state: CaseState,
    config: EscalationConfig,
    now: datetime,
    report: SweepReport,
    kind: str,
    text: str,
) -> None:
    owners = await recipients.level_owners(state, row.level or state.level, config.ladder)
    await _notify(owners, row, state, now, report, kind, text)


async def _notify(
    users: list[int],
    row: Deadline,
    state: CaseState,
    now: datetime,
    report: SweepReport,
    kind: str,
    text: str,
) -> None:
    report.notified += await notifications.notify(
        users,
        notifications.Message(
            key=f"deadline:{row.id}:{kind}",
            kind=kind,
            text=f"Casus {state.reference}: {text}.",
            case_id=state.id,
            case_reference=state.reference,
            link=f"/casussen/{state.reference}",
            sender=state.region_mailbox,
            region_id=state.region_id,
        ),
        now,
    )
