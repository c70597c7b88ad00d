"""Which cases an actor may see and change (role, organisation, region)."""

from __future__ import annotations

from typing import Any

from casetafel.access.policy import Actor, Role
from casetafel.cases.models import Case
from casetafel.errors import Forbidden
from casetafel.ladder import Ladder


def scope_sql(actor: Actor, ladder: Ladder, alias: str = "c") -> tuple[str, list[Any]]:
    """A WHERE fragment (with {} placeholders) limiting case rows to the actor's cases."""
    if actor.role is Role.COORDINATOR and actor.region_id is not None:
        return f"{alias}.region = {{}}", [actor.region_id]
    if actor.role is Role.MUNICIPALITY and actor.municipality_id is not None:
        return (
            f"({alias}.home_municipality = {{}} OR {alias}.receiving_municipality = {{}})",
            [actor.municipality_id, actor.municipality_id],
        )
    if actor.role is Role.PARTNER:
        return (
            f'{alias}.id IN (SELECT "case" FROM case_participant WHERE organisation = {{}})',
            [actor.organisation_id],
        )
    if actor.role is Role.REGIEGROEP:
        return f"{alias}.level = {{}}", [ladder.top.key]
    return "1 = 0", []


def may_see(actor: Actor, case: Case, participant_ids: set[int], ladder: Ladder) -> bool:
    if actor.role is Role.COORDINATOR:
        return actor.region_id is not None and case.region == actor.region_id
    if actor.role is Role.MUNICIPALITY:
        return actor.municipality_id is not None and actor.municipality_id in {
            case.home_municipality,
            case.receiving_municipality,
        }
    if actor.role is Role.PARTNER:
        return actor.organisation_id in participant_ids
    if actor.role is Role.REGIEGROEP:
        return bool(case.level == ladder.top.key)
    return False


def require_case_reader(actor: Actor) -> None:
    if not actor.can_see_cases:
        raise Forbidden("Uw rol geeft geen toegang tot casussen.")


def require_case_editor(actor: Actor) -> None:
    if not actor.can_edit_cases:
        raise Forbidden("Uw rol mag casussen inzien maar niet wijzigen.")
