"""Moving a case on the ladder: by hand (escalate, de-escalate) or by a rule, and recording
the progress at a level (a case conference held, a decision taken) that meets its deadlines.

A move writes the Escalation row, the case's new level, a timeline event, an audit event,
notifications to the new level's owners and the new level's deadlines, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.cases import service as cases
from casetafel.cases import timeline
from casetafel.errors import Conflict, Forbidden, ValidationFailed
from casetafel.escalation import deadlines, recipients
from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.models import Deadline, Escalation
from casetafel.escalation.rules import CaseState
from casetafel.notifications import service as notifications
from casetafel.organisations.service import Directory

RULE_BASIS = "Escalatieregels casetafel (config/escalation.toml)"
MAX_NOTE = 1000
STALE = (
    "Deze casus is intussen verplaatst of gewijzigd. "
    "Open de casus opnieuw en kijk of uw actie nog nodig is."
)


@dataclass(frozen=True)
class Move:
    to_level: str
    direction: str  # up, down or start
    trigger: str  # "user" or a rule id
    obstacle: str | None
    note: str


async def escalate(
    actor: Actor,
    reference: str,
    *,
    to_level: str,
    obstacle: str,
    note: str,
    expected_version: int | None,
    config: EscalationConfig,
    directory: Directory,
) -> None:
    """A manual move of one level up or down, with an obstacle (the reason) and a note."""
    case = await cases.visible_case(actor, reference, directory, config.ladder)
    async with db.transaction():
        state = await _locked_state(case.id)
        direction = _check_manual(actor, state, to_level, obstacle, note, expected_version, config)
        move = Move(to_level, direction, "user", obstacle, note.strip())
        await apply(state, move, config, clock.now(), actor=actor)


async def apply(
    state: CaseState,
    move: Move,
    config: EscalationConfig,
    now: datetime,
    *,
    actor: Actor | None = None,
    conference_within: int | None = None,
) -> CaseState:
    """Carry out a move that has been checked. Returns the case's new state."""
    ladder = config.ladder
    if not await cases.move_level(state.id, move.to_level, now, state.version):
        raise Conflict(STALE)
    await Escalation(
        case=state.id,
        at=now,
        from_level=state.level,
        to_level=move.to_level,
        direction=move.direction,
        trigger=move.trigger,
        actor=actor.user_id if actor else None,
        obstacle=move.obstacle,
        note=move.note[:MAX_NOTE],
    ).save()
    summary = _summary(state.level, move, config)
    await timeline.add(
        state.id, f"escalation.{move.direction}", summary, actor, casework=move.note[:MAX_NOTE]
    )
    await audit.record(
        actor,
        "case.deescalate" if move.direction == "down" else "case.escalate",
        case_id=state.id,
        case_reference=state.reference,
        details={
            "from": state.level,
            "to": move.to_level,
            "trigger": move.trigger,
        },
        basis=None if actor else RULE_BASIS,
    )
    new_state = await deadlines.load_state(state.id)
    rules = config.rules_for(new_state.region_code)
    await deadlines.enter_level(new_state, rules, now, conference_within)
    owners = await recipients.level_owners(new_state, move.to_level, ladder)
    await notifications.notify(
        [uid for uid in owners if not actor or uid != actor.user_id],
        notifications.Message(
            key=f"escalation:{state.id}:{now.isoformat()}",
            kind="escalated" if move.direction != "down" else "deescalated",
            text=f"Casus {state.reference}: {summary}",
            case_id=state.id,
            case_reference=state.reference,
            link=f"/casussen/{state.reference}",
            sender=state.region_mailbox,
            region_id=state.region_id,
        ),
        now,
    )
    return new_state


def _summary(from_level: str, move: Move, config: EscalationConfig) -> str:
    ladder = config.ladder
    verb = {"up": "Opgeschaald", "down": "Afgeschaald", "start": "Gestart"}[move.direction]
    text = f"{verb} naar {ladder.name(move.to_level)}"
    if move.direction != "start":
        text = f"{verb} van {ladder.name(from_level)} naar {ladder.name(move.to_level)}"
    if move.obstacle:
        text += f" — belemmering: {config.obstacle_label(move.obstacle)}"
    if move.trigger != "user":
        text += f" (regel {move.trigger})"
    return text


def _check_manual(
    actor: Actor,
    state: CaseState,
    to_level: str,
    obstacle: str,
    note: str,
    expected_version: int | None,
    config: EscalationConfig,
) -> str:
    ladder = config.ladder
    if not (
        may_move(actor, state.level, "up", config) or may_move(actor, state.level, "down", config)
    ):
        raise Forbidden("U mag deze casus niet op- of afschalen vanaf dit niveau.")
    if not state.is_open:
        raise Conflict("Deze casus is afgesloten en kan niet meer worden op- of afgeschaald.")
    if expected_version is not None and expected_version != state.version:
        raise Conflict(STALE)
    errors: dict[str, str] = {}
    if ladder.get(to_level) is None:
        errors["to"] = "Kies een niveau van de ladder."
    if obstacle not in config.obstacles:
        errors["obstacle"] = "Kies een belemmering uit de lijst."
    if len(note.strip()) > MAX_NOTE:
        errors["note"] = f"Maximaal {MAX_NOTE} tekens (nu {len(note.strip())})."
    elif obstacle == "other" and not note.strip():
        errors["note"] = "Licht de belemmering 'Anders' toe."
    if errors:
        raise ValidationFailed(errors)
    step = ladder.position(to_level) - ladder.position(state.level)
    if step == 0:
        raise Conflict(f"De casus staat al op niveau {ladder.name(to_level)}.")
    if abs(step) > 1:
        raise ValidationFailed({"to": "Op- of afschalen gaat één niveau tegelijk."})
    direction = "up" if step > 0 else "down"
    if not may_move(actor, state.level, direction, config):
        raise Forbidden("U mag deze casus niet op- of afschalen vanaf dit niveau.")
    return direction


def may_move(actor: Actor, level: str, direction: str, config: EscalationConfig) -> bool:
    """The coordinator moves any case of the region; other roles move a case away from the
    level their organisation owns (the municipality up from the driehoek, the regiegroep
    down from the national table)."""
    ladder = config.ladder
    position = ladder.position(level)
    if direction == "up" and position == len(ladder.levels) - 1:
        return False
    if direction == "down" and position == 0:
        return False
    if actor.may("escalation.move.any_level"):
        return True
    owns = ladder.levels[position].owner_kind == actor.organisation_kind
    return owns and actor.may("escalation.move")


def may_record_progress(actor: Actor, level_key: str, config: EscalationConfig) -> bool:
    if actor.may("escalation.progress.any_level"):
        return True
    level = config.ladder.get(level_key)
    owns = level is not None and level.owner_kind == actor.organisation_kind
    return owns and actor.may("escalation.progress")


async def record_progress(
    actor: Actor,
    reference: str,
    *,
    held_on: date,
    decision: str,
    expected_version: int | None,
    config: EscalationConfig,
    directory: Directory,
) -> None:
    """A case conference at the current level was held (meets its deadline), and, with a
    decision text, a decision was taken (meets the time box)."""
    case = await cases.visible_case(actor, reference, directory, config.ladder)
    errors: dict[str, str] = {}
    today = clock.today()
    if held_on > today:
        errors["held_on"] = "Een overleg dat nog moet plaatsvinden kunt u nog niet vastleggen."
    if len(decision.strip()) > MAX_NOTE:
        errors["decision"] = f"Maximaal {MAX_NOTE} tekens (nu {len(decision.strip())})."
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        state = await _locked_state(case.id)
        if not state.is_open:
            raise Conflict("Deze casus is afgesloten.")
        if expected_version is not None and expected_version != state.version:
            raise Conflict(STALE)
        if held_on < clock.local(state.level_since).date():
            raise ValidationFailed(
                {"held_on": "Deze datum ligt voor de start op dit niveau; kies een latere datum."}
            )
        if not may_record_progress(actor, state.level, config):
            raise Forbidden("U mag op dit niveau geen overleg of besluit vastleggen.")
        await progress_made(state, held_on, decision.strip(), clock.now(), actor, config)


async def progress_made(
    state: CaseState,
    held_on: date,
    decision: str,
    now: datetime,
    actor: Actor | None,
    config: EscalationConfig,
) -> None:
    """Meet the conference deadline of the current stay (also one already missed: the
    conference is then late, not overdue), and with a decision the time box."""
    kinds = ["conference_due", "conference_reminder"] + (["time_box"] if decision else [])
    current_stay = (
        (Deadline.case == state.id)
        & (Deadline.level == state.level)
        & (Deadline.kind.is_in(kinds))
        & (Deadline.entered_at == state.level_since)
    )
    met = (
        await Deadline.update({Deadline.state: deadlines.MET, Deadline.resolved_at: now})
        .where(current_stay & Deadline.state.is_in([deadlines.PENDING, deadlines.MISSED]))
        .returning(Deadline.id)
    )
    met_ids = [row["id"] for row in met]
    if met_ids:
        await Deadline.update(
            {Deadline.state: deadlines.CANCELLED, Deadline.resolved_at: now}
        ).where(Deadline.target.is_in(met_ids) & (Deadline.state == deadlines.PENDING))
    level = config.ladder.name(state.level)
    summary = f"Casusoverleg gehouden op {held_on:%d-%m-%Y} ({level})"
    if decision:
        summary += ", besluit vastgelegd"
    casework = f"Besluit: {decision}" if decision else ""
    await timeline.add(state.id, "progress", summary, actor, casework=casework)
    await audit.record(
        actor,
        "case.progress",
        case_id=state.id,
        case_reference=state.reference,
        details={"decision": bool(decision)},
    )
    await cases.touch(state.id, now)


async def _locked_state(case_id: int) -> CaseState:
    """The case's state, its row locked against the sweep and other instances until the
    transaction ends (PostgreSQL; SQLite write transactions are serialised already)."""
    if not db.is_sqlite():
        await db.fetch("SELECT id FROM case_file WHERE id = {} FOR UPDATE", case_id)
    return await deadlines.load_state(case_id)
