"""Retention for escalation: the free-text note of every move of a case whose term has
passed is cleared; the move itself (when, from and to which level, why: trigger and
obstacle) stays for the reports. Called by the retention run (see cases/retention.py)."""

from __future__ import annotations

from casetafel.escalation.models import Escalation


async def erase_notes(case_ids: list[int]) -> None:
    if case_ids:
        await Escalation.update({Escalation.note: ""}).where(Escalation.case.is_in(case_ids))
