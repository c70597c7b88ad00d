"""Who owns a level of a case: the users who get its warnings and see it in their queue."""

from __future__ import annotations

from casetafel import db
from casetafel.escalation.rules import CaseState
from casetafel.ladder import Ladder


async def level_owners(state: CaseState, level_key: str, ladder: Ladder) -> list[int]:
    """Active users of the organisation kind that owns this level, for this case:
    the municipality's users of its home (and receiving) municipality, the coordinators
    of its region, the regiegroep, or users of a participating organisation of that kind."""
    level = ladder.get(level_key)
    if level is None:
        return []
    if level.owner_kind == "gemeente":
        return await municipality_users(state)
    if level.owner_kind == "zvh":
        return await coordinators(state.region_id)
    if level.owner_kind == "regiegroep":
        return await _ids("u.role = 'regiegroep'")
    return await _ids(
        "u.role = 'partner' AND o.kind = {} AND o.id IN"
        ' (SELECT organisation FROM case_participant WHERE "case" = {})',
        level.owner_kind,
        state.id,
    )


async def municipality_users(state: CaseState) -> list[int]:
    municipalities = [m for m in (state.home_municipality, state.receiving_municipality) if m]
    marks = ", ".join("{}" for _ in municipalities)
    return await _ids(f"u.role = 'municipality' AND o.municipality IN ({marks})", *municipalities)


async def coordinators(region_id: int) -> list[int]:
    return await _ids("u.role = 'coordinator' AND u.region = {}", region_id)


async def _ids(condition: str, *args: object) -> list[int]:
    rows = await db.fetch(
        "SELECT u.id FROM app_user u JOIN organisation o ON o.id = u.organisation"
        f" WHERE u.active = {{}} AND {condition} ORDER BY u.id",
        True,
        *args,
    )
    return [int(row["id"]) for row in rows]
