"""The case scope: which cases are an actor's, as an SQL filter and as a check of one case.

Both come from the same small table below, one entry per Scope, so that a list and a case
page cannot disagree; tests/access/test_scope.py checks the two against each other on
generated cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from casetafel.access.policy import Actor, Scope


class CaseLike(Protocol):
    """What a scope check needs of a case row."""

    region: Any
    home_municipality: Any
    receiving_municipality: Any
    level: Any


@dataclass(frozen=True)
class ScopeRule:
    sql: Callable[[Actor, str, str], tuple[str, list[Any]]]
    matches: Callable[[Actor, CaseLike, set[int], str], bool]


def _region_sql(actor: Actor, alias: str, top: str) -> tuple[str, list[Any]]:
    return f"{alias}.region = {{}}", [actor.region_id]


def _region_matches(actor: Actor, case: CaseLike, participants: set[int], top: str) -> bool:
    return bool(case.region == actor.region_id)


def _municipality_sql(actor: Actor, alias: str, top: str) -> tuple[str, list[Any]]:
    return (
        f"({alias}.home_municipality = {{}} OR {alias}.receiving_municipality = {{}})",
        [actor.municipality_id, actor.municipality_id],
    )


def _municipality_matches(actor: Actor, case: CaseLike, participants: set[int], top: str) -> bool:
    return actor.municipality_id in {case.home_municipality, case.receiving_municipality}


def _participant_sql(actor: Actor, alias: str, top: str) -> tuple[str, list[Any]]:
    # EXISTS, not IN: with IN SQLite gathers every case of the organisation (a third of
    # them, for the police) and sorts; with EXISTS it walks the list's index and stops.
    return (
        "EXISTS (SELECT 1 FROM case_participant scope_cp"
        f' WHERE scope_cp."case" = {alias}.id AND scope_cp.organisation = {{}})',
        [actor.organisation_id],
    )


def _participant_matches(actor: Actor, case: CaseLike, participants: set[int], top: str) -> bool:
    return actor.organisation_id in participants


def _top_sql(actor: Actor, alias: str, top: str) -> tuple[str, list[Any]]:
    return f"{alias}.level = {{}}", [top]


def _top_matches(actor: Actor, case: CaseLike, participants: set[int], top: str) -> bool:
    return bool(case.level == top)


def _none_sql(actor: Actor, alias: str, top: str) -> tuple[str, list[Any]]:
    return "1 = 0", []


def _none_matches(actor: Actor, case: CaseLike, participants: set[int], top: str) -> bool:
    return False


RULES: dict[Scope, ScopeRule] = {
    Scope.REGION: ScopeRule(_region_sql, _region_matches),
    Scope.MUNICIPALITY: ScopeRule(_municipality_sql, _municipality_matches),
    Scope.PARTICIPANT: ScopeRule(_participant_sql, _participant_matches),
    Scope.TOP_LEVEL: ScopeRule(_top_sql, _top_matches),
    Scope.NONE: ScopeRule(_none_sql, _none_matches),
}
# A scope that needs an attribute the actor lacks (a coordinator without a region) is empty.
_NEEDS = {Scope.REGION: "region_id", Scope.MUNICIPALITY: "municipality_id"}


def _rule(actor: Actor) -> ScopeRule:
    needed = _NEEDS.get(actor.scope)
    if needed and getattr(actor, needed) is None:
        return RULES[Scope.NONE]
    return RULES[actor.scope]


def case_filter(actor: Actor, top_level: str, alias: str = "c") -> tuple[str, list[Any]]:
    """A WHERE fragment (with {} placeholders) limiting case rows to the actor's cases."""
    return _rule(actor).sql(actor, alias, top_level)


def includes(actor: Actor, case: CaseLike, participant_ids: set[int], top_level: str) -> bool:
    """Whether one case (with the ids of its participating organisations) is the actor's."""
    return _rule(actor).matches(actor, case, participant_ids, top_level)
