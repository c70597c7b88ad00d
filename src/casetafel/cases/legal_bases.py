"""Legal bases for cases and participations written before the policy recorded them (or
by the bulk generator): filled in set-wise, by the same rules as a new case (defaults from
the categories, each participant on the first partner grant its kind and the case allow).
Idempotent: only empty values are filled."""

from __future__ import annotations

from typing import Any

from casetafel import db
from casetafel.access.policy import Policy, Role


async def backfill(policy: Policy) -> None:
    async with db.transaction():
        await db.fetch(*_cases_statement(policy))
        for statement in _participant_statements(policy):
            await db.fetch(*statement)


def _cases_statement(policy: Policy) -> tuple[Any, ...]:
    pieces: list[str] = []
    args: list[Any] = []
    for basis in policy.case_bases():
        if basis.default:
            pieces.append(f"',{basis.key}'")
            continue
        if not basis.categories:
            continue
        marks = ", ".join("{}" for _ in basis.categories)
        pieces.append(
            'CASE WHEN EXISTS (SELECT 1 FROM case_category cc WHERE cc."case" = case_file.id'
            f" AND cc.category IN ({marks})) THEN ',{basis.key}' ELSE '' END"
        )
        args += sorted(basis.categories)
    expression = " || ".join(pieces) if pieces else "''"
    return (
        f"UPDATE case_file SET legal_bases = substr({expression}, 2) WHERE legal_bases = ''",
        *args,
    )


def _participant_statements(policy: Policy) -> list[tuple[Any, ...]]:
    statements: list[tuple[Any, ...]] = []
    for grant in policy.roles[Role.PARTNER].grants:
        kinds = (
            ""
            if "*" in grant.kinds
            else " AND o.kind IN ({})".format(", ".join("{}" for _ in grant.kinds))
        )
        statements.append(
            (
                "UPDATE case_participant SET legal_basis = {}, purpose = {}"
                " WHERE legal_basis = '' AND EXISTS (SELECT 1 FROM case_file c"
                " JOIN organisation o ON o.id = case_participant.organisation"
                ' WHERE c.id = case_participant."case"'
                " AND (',' || c.legal_bases || ',') LIKE {}" + kinds + ")",
                grant.basis,
                policy.bases[grant.basis].purpose,
                f"%,{grant.basis},%",
                *([] if "*" in grant.kinds else sorted(grant.kinds)),
            )
        )
    return statements
