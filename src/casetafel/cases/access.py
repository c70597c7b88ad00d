"""The case scope of access/scope.py with the ladder's top level filled in, and the
checks of the declared policy the case services start with."""

from __future__ import annotations

from typing import Any

from casetafel.access import scope
from casetafel.access.policy import Actor
from casetafel.cases.models import Case
from casetafel.errors import Forbidden
from casetafel.ladder import Ladder


def scope_sql(actor: Actor, ladder: Ladder, alias: str = "c") -> tuple[str, list[Any]]:
    """A WHERE fragment (with {} placeholders) limiting case rows to the actor's cases."""
    return scope.case_filter(actor, ladder.top.key, alias)


def may_see(actor: Actor, case: Case, participant_ids: set[int], ladder: Ladder) -> bool:
    return scope.includes(actor, case, participant_ids, ladder.top.key)


def require_case_reader(actor: Actor) -> None:
    if not actor.may("case.read"):
        raise Forbidden("Uw rol geeft geen toegang tot casussen.")


def require_case_editor(actor: Actor) -> None:
    if not actor.may("case.edit"):
        raise Forbidden("Uw rol mag casussen inzien maar niet wijzigen.")
