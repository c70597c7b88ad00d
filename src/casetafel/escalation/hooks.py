"""The escalation engine's reaction to case changes (through cases.events):
a new case gets the rules of its categories and the deadlines of its level, a changed case
gets its deadlines recomputed, a closed case has its deadlines cancelled."""

from __future__ import annotations

from datetime import datetime

from casetafel import clock
from casetafel.access.policy import Actor
from casetafel.cases import events, timeline
from casetafel.cases import service as cases
from casetafel.escalation import deadlines, moves
from casetafel.escalation.config import (
    AddParticipant,
    EscalationConfig,
    HousingCondition,
    RuleSet,
    StartLevel,
)
from casetafel.escalation.rules import CaseState
from casetafel.organisations.models import Organisation


def install(config: EscalationConfig) -> None:
    """Connect the engine to the case register (the app, the CLI and the tests call this)."""

    async def on_case_event(event: events.CaseEvent) -> None:
        await react(event, config)

    events.subscribe("escalation", on_case_event)


async def react(event: events.CaseEvent, config: EscalationConfig) -> None:
    now = clock.now()
    state = await deadlines.load_state(event.case_id)
    rules = config.rules_for(state.region_code)
    if event.kind == "closed":
        await deadlines.cancel_all(state.id, now)
        return
    new_categories = state.categories if event.kind == "created" else event.added("categories")
    if new_categories:
        await _category_rules(state, new_categories, rules, event.actor, now)
        state = await deadlines.load_state(event.case_id)
    moved = await _start_level(state, new_categories, rules, config, event.actor, now)
    if event.kind == "created" and not moved:
        await deadlines.enter_level(state, rules, now)
    elif not moved:
        await deadlines.refresh(state, rules, now)


async def _start_level(
    state: CaseState,
    categories: set[str] | frozenset[str],
    rules: RuleSet,
    config: EscalationConfig,
    actor: Actor | None,
    now: datetime,
) -> bool:
    """Move a case up to the start level of a (new) category, e.g. a sudden TBS end to the
    regional table the same day. Returns whether it moved."""
    ladder = config.ladder
    starts: list[StartLevel] = rules.for_categories(StartLevel, categories)
    above = [r for r in starts if ladder.position(r.level) > ladder.position(state.level)]
    if not above or not state.is_open:
        return False
    rule = max(above, key=lambda r: ladder.position(r.level))
    move = moves.Move(rule.level, "start", rule.id, None, "")
    await moves.apply(
        state, move, config, now, actor=actor, conference_within=rule.conference_within_working_days
    )
    return True


async def _category_rules(
    state: CaseState,
    categories: set[str] | frozenset[str],
    rules: RuleSet,
    actor: Actor | None,
    now: datetime,
) -> None:
    for add in rules.for_categories(AddParticipant, categories):
        organisations = await Organisation.objects().where(
            (Organisation.kind == add.organisation_kind) & (Organisation.region == state.region_id)
        )
        added = await cases.add_participants(state.id, [(o.id, o.kind) for o in organisations], now)
        names = ", ".join(o.name for o in organisations if o.id in added)
        if names:
            summary = f"{names} neemt deel aan de casus (regel {add.id})"
            await timeline.add(state.id, "rule.participant", summary, actor)
    for condition in rules.for_categories(HousingCondition, categories):
        if await cases.set_housing_requirement(state.id, condition.condition, now):
            summary = f"Voorwaarde voor de huisvesting vastgelegd (regel {condition.id})"
            await timeline.add(state.id, "rule.housing_condition", summary, actor)
