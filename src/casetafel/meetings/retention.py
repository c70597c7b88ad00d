"""Retention for meetings: the free text about a case whose term has passed is cleared
(the agenda question and outcome, decisions, actions); the rows stay, so the meeting, its
agenda and the counts of decisions and actions remain. Called by the retention run (an
eraser, see cases/retention.py) in its transaction; cases cannot import meetings."""

from __future__ import annotations

from casetafel import db
from casetafel.meetings.models import Action, AgendaItem

REMOVED = "[verwijderd na bewaartermijn]"


async def erase_case_texts(case_ids: list[int]) -> None:
    if not case_ids:
        return
    await AgendaItem.update({AgendaItem.question: "", AgendaItem.outcome: ""}).where(
        AgendaItem.case.is_in(case_ids)
    )
    marks = ", ".join("{}" for _ in case_ids)
    await db.fetch(
        "UPDATE meeting_decision SET text = {} WHERE agenda_item IN"
        f' (SELECT id FROM agenda_item WHERE "case" IN ({marks}))',
        REMOVED,
        *case_ids,
    )
    await Action.update({Action.description: REMOVED}).where(Action.case.is_in(case_ids))
