"""Whom the planning form suggests inviting to a case conference, and why.

An invite names the case, so the defaults are only the organisations that already have the
case: those taking part in it, and the owners of its current level (for the local level the
case's home and receiving municipality, for the regional level the ZVH of its region, for
the national level the regiegroep). Every other organisation of the region stays on the form,
unticked. Each reason is shown next to the suggestion, in Dutch.
"""

from __future__ import annotations

from collections.abc import Iterable

from casetafel.cases.models import Case
from casetafel.ladder import Level
from casetafel.organisations.models import Organisation

TAKES_PART = "neemt deel aan de casus"
HOME = "herkomstgemeente"
RECEIVING = "ontvangende gemeente"
MUNICIPALITY_KIND = "gemeente"


def suggested_organisations(
    case: Case,
    participants: set[int],
    level: Level | None,
    organisations: Iterable[Organisation],
) -> dict[int, tuple[str, ...]]:
    """The organisations to invite by default, each with its reasons."""
    found: dict[int, tuple[str, ...]] = {}
    for organisation in organisations:
        reasons = _reasons(case, participants, level, organisation)
        if reasons:
            found[organisation.id] = reasons
    return found


def _reasons(
    case: Case, participants: set[int], level: Level | None, organisation: Organisation
) -> tuple[str, ...]:
    reasons: list[str] = []
    if organisation.id in participants:
        reasons.append(TAKES_PART)
    if level is not None and organisation.kind == level.owner_kind:
        reasons += _owner_reasons(case, level, organisation)
    return tuple(reasons)


def _owner_reasons(case: Case, level: Level, organisation: Organisation) -> list[str]:
    """Why an organisation of the level's owner kind owns this case's level, if it does."""
    if level.owner_kind == MUNICIPALITY_KIND:
        # Only the case's own municipalities; an organisation without a municipality (and a
        # case without a receiving one) never matches.
        municipality = organisation.municipality
        if municipality is None:
            return []
        return [
            reason
            for reason, own in (
                (HOME, case.home_municipality),
                (RECEIVING, case.receiving_municipality),
            )
            if own is not None and own == municipality
        ]
    if organisation.national or organisation.region == case.region:
        return [f"eigenaar van het niveau {level.name}"]
    return []
