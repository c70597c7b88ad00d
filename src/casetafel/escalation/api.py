"""The escalation engine as JSON: a case's moves (history and new ones) and due deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from casetafel.errors import ValidationFailed
from casetafel.escalation import moves, queries
from casetafel.escalation.config import EscalationConfig
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor, DirectoryDep


class EscalationIn(msgspec.Struct, forbid_unknown_fields=True):
    """Move one level: `to` is the level above or below the current one."""

    to: str
    obstacle: str
    note: str = ""
    version: int | None = None


class EscalationOut(msgspec.Struct):
    at: datetime
    from_level: str | None
    to_level: str
    direction: str
    trigger: str
    obstacle: str | None
    note: str | None
    actor: str


class DeadlineOut(msgspec.Struct):
    reference: str
    kind: str
    rule: str
    level: str | None
    due_at: datetime
    state: str
    working_days_left: int


def _config(request: Request[object, object, State]) -> EscalationConfig:
    config: EscalationConfig = request.app.state.escalation
    return config


def _history(rows: list[queries.EscalationRow]) -> list[EscalationOut]:
    return [
        EscalationOut(
            at=r.at,
            from_level=r.from_level,
            to_level=r.to_level,
            direction=r.direction,
            trigger=r.trigger,
            obstacle=r.obstacle,
            note=r.note,
            actor=r.actor_name,
        )
        for r in rows
    ]


class EscalationApi(Controller):
    opt = permission("case.read")
    path = "/api/v1"
    tags = ("escalation",)

    @get("/cases/{reference:str}/escalations", summary="Why the case moved, newest first")
    async def history(
        self,
        request: Request[object, object, State],
        actor: CurrentActor,
        directory: DirectoryDep,
        reference: FromPath[str],
    ) -> list[EscalationOut]:
        config = _config(request)
        return _history(await queries.read_history(actor, reference, config, directory))

    @post(
        "/cases/{reference:str}/escalations",
        summary="Escalate or de-escalate one level, with an obstacle",
        status_code=201,
        opt=permission("escalation.move"),
    )
    async def move(
        self,
        request: Request[object, object, State],
        actor: CurrentActor,
        directory: DirectoryDep,
        reference: FromPath[str],
        data: JSONBody[EscalationIn],
    ) -> list[EscalationOut]:
        config = _config(request)
        await moves.escalate(
            actor,
            reference,
            to_level=data.to,
            obstacle=data.obstacle,
            note=data.note,
            expected_version=data.version,
            config=config,
            directory=directory,
        )
        return _history(await queries.read_history(actor, reference, config, directory))

    @get("/deadlines", summary="Pending deadlines of your cases due before a moment")
    async def deadlines(
        self,
        request: Request[object, object, State],
        actor: CurrentActor,
        due_before: Annotated[
            datetime, QueryParameter(description="ISO 8601 instant with a time zone")
        ],
        limit: Annotated[int, QueryParameter(description="at most 500")] = 100,
    ) -> list[DeadlineOut]:
        if due_before.tzinfo is None:
            raise ValidationFailed({"due_before": "Geef een tijdzone mee, bijvoorbeeld +01:00."})
        rows = await queries.due_before(actor, due_before, _config(request), limit)
        return [
            DeadlineOut(
                reference=r.reference,
                kind=r.kind,
                rule=r.rule,
                level=r.level,
                due_at=r.due_at,
                state=r.state,
                working_days_left=r.days_left,
            )
            for r in rows
        ]
