"""Whose meeting details a reader may see.

A meeting's title and place may hint at a case ("Driehoeksoverleg KEN-2026-0042", a street
in the receiving municipality), and its agenda names cases by reference. Being invited to a
meeting does not give access to its cases, so a reader sees a meeting's title, place and case
references only when they may see every case on its agenda (in any occurrence of a series);
otherwise the meeting shows as PLACEHOLDER with its times only. A meeting without cases hides
nothing. The same rule serves the meetings list, the meeting page, the case page and the
personal calendar feed.
"""

from __future__ import annotations

from collections.abc import Iterable

from casetafel import db
from casetafel.access.policy import Actor
from casetafel.cases.access import scope_sql
from casetafel.ladder import Ladder

PLACEHOLDER = "Overleg (geen toegang tot de casus)"


async def disclosed_to(actor: Actor, meeting_ids: Iterable[int], ladder: Ladder) -> set[int]:
    """The meetings among these whose every case the actor may see (the case scope)."""
    agendas = await _agenda_cases(meeting_ids)
    cases = sorted({case for found in agendas.values() for case in found})
    visible: set[int] = set()
    if cases:
        scope, params = scope_sql(actor, ladder, "c")
        rows = await db.fetch(
            f"SELECT c.id FROM case_file c WHERE c.id IN ({_marks(cases)}) AND ({scope})",
            *cases,
            *params,
        )
        visible = {int(row["id"]) for row in rows}
    return {meeting for meeting, found in agendas.items() if found <= visible}


async def disclosed_to_person(person_id: int, meeting_ids: Iterable[int]) -> set[int]:
    """The same for a person, who cannot log in and has no role: they may see a meeting's
    details only when their organisation takes part in every case on its agenda."""
    agendas = await _agenda_cases(meeting_ids)
    cases = sorted({case for found in agendas.values() for case in found})
    taking_part: set[int] = set()
    if cases:
        rows = await db.fetch(
            'SELECT cp."case" FROM case_participant cp JOIN person p'
            " ON p.organisation = cp.organisation"
            f' WHERE p.id = {{}} AND cp."case" IN ({_marks(cases)})',
            person_id,
            *cases,
        )
        taking_part = {int(row["case"]) for row in rows}
    return {meeting for meeting, found in agendas.items() if found <= taking_part}


async def _agenda_cases(meeting_ids: Iterable[int]) -> dict[int, set[int]]:
    """Every asked meeting, with the cases on its agenda (an empty set when none)."""
    ids = sorted(set(meeting_ids))
    found: dict[int, set[int]] = {meeting: set() for meeting in ids}
    if not ids:
        return found
    rows = await db.fetch(
        f'SELECT DISTINCT meeting, "case" FROM agenda_item WHERE meeting IN ({_marks(ids)})',
        *ids,
    )
    for row in rows:
        found[int(row["meeting"])].add(int(row["case"]))
    return found


def _marks(values: list[int]) -> str:
    return ", ".join("{}" for _ in values)
