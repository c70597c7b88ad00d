"""The case register as JSON: /api/v1/cases. Bearer-token authentication, no cookies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from casetafel.cases import queries, service
from casetafel.errors import ValidationFailed
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor, DirectoryDep, LadderDep

UNSET: Any = msgspec.UNSET


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    home_municipality: str
    categories: list[str]
    legal_framework: str
    release_certainty: str
    release_date: date | None = None
    subject_name: str | None = None
    subject_birth_date: date | None = None
    receiving_municipality: str | None = None
    bij_notice_date: date | None = None
    process_lead: str | None = None
    case_lead: str | None = None
    participants: list[str] = msgspec.field(default_factory=list)
    # Keys of config/access.toml; empty: the defaults for the categories.
    legal_bases: list[str] = msgspec.field(default_factory=list)
    notes: str = ""


class CaseChanges(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields sent are changed. `version` (optional) guards against lost updates."""

    version: int | msgspec.UnsetType = UNSET
    home_municipality: str | msgspec.UnsetType = UNSET
    categories: list[str] | msgspec.UnsetType = UNSET
    legal_framework: str | msgspec.UnsetType = UNSET
    release_certainty: str | msgspec.UnsetType = UNSET
    release_date: date | msgspec.UnsetType | None = UNSET
    subject_name: str | msgspec.UnsetType | None = UNSET
    subject_birth_date: date | msgspec.UnsetType | None = UNSET
    receiving_municipality: str | msgspec.UnsetType | None = UNSET
    bij_notice_date: date | msgspec.UnsetType | None = UNSET
    process_lead: str | msgspec.UnsetType | None = UNSET
    case_lead: str | msgspec.UnsetType | None = UNSET
    participants: list[str] | msgspec.UnsetType = UNSET
    legal_bases: list[str] | msgspec.UnsetType = UNSET
    notes: str | msgspec.UnsetType = UNSET
    id_document_state: str | msgspec.UnsetType = UNSET
    id_document_note: str | msgspec.UnsetType = UNSET
    housing_state: str | msgspec.UnsetType = UNSET
    housing_note: str | msgspec.UnsetType = UNSET
    income_state: str | msgspec.UnsetType = UNSET
    income_note: str | msgspec.UnsetType = UNSET
    debts_state: str | msgspec.UnsetType = UNSET
    debts_note: str | msgspec.UnsetType = UNSET
    care_state: str | msgspec.UnsetType = UNSET
    care_note: str | msgspec.UnsetType = UNSET
    housing_requirement: str | msgspec.UnsetType = UNSET


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: str
    note: str = ""
    version: int | None = None


class TimelineOut(msgspec.Struct):
    at: datetime
    kind: str
    actor: str
    summary: str
    changes: list[str]


class CaseOut(msgspec.Struct):
    """A case as the caller may see it; fields outside their access are absent."""

    reference: str
    level: str
    level_since: datetime
    status: str
    outcome: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    fields: dict[str, Any]
    timeline: list[TimelineOut]


class CaseSummaryOut(msgspec.Struct):
    reference: str
    level: str
    status: str
    release_date: date | None
    release_certainty: str
    home_municipality: str
    receiving_municipality: str | None
    housing_state: str | None
    categories: list[str] | None
    updated_at: datetime


class CasePageOut(msgspec.Struct):
    items: list[CaseSummaryOut]
    next_cursor: str | None


def _out(case: service.CaseView) -> CaseOut:
    return CaseOut(
        reference=case.reference,
        level=case.level,
        level_since=case.level_since,
        status=case.status,
        outcome=case.outcome,
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
        fields=case.values,
        timeline=[
            TimelineOut(e.at, e.kind, e.actor_name, e.summary, list(e.lines)) for e in case.timeline
        ],
    )


class CaseApi(Controller):
    opt = permission("case.read")
    path = "/api/v1/cases"
    tags = ("cases",)

    @get("/", summary="List cases (filters, keyset pagination)")
    async def list_cases(
        self,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        level: FromQuery[str | None] = None,
        municipality: Annotated[str | None, QueryParameter(description="CBS code")] = None,
        category: FromQuery[str | None] = None,
        release_from: FromQuery[date | None] = None,
        release_to: FromQuery[date | None] = None,
        status: Annotated[str, QueryParameter(description="open, closed or all")] = "open",
        reference: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = queries.PAGE_SIZE,
    ) -> CasePageOut:
        filters = queries.CaseFilters(
            level=level,
            municipality=municipality,
            category=category,
            release_from=release_from,
            release_to=release_to,
            status=None if status == "all" else status,
            reference=reference,
        )
        page = await queries.list_cases(actor, filters, directory, ladder, cursor, limit)
        return CasePageOut(
            items=[
                CaseSummaryOut(
                    reference=r.reference,
                    level=r.level,
                    status=r.status,
                    release_date=r.release_date,
                    release_certainty=r.release_certainty,
                    home_municipality=r.home_municipality,
                    receiving_municipality=r.receiving_municipality,
                    housing_state=r.housing_state,
                    categories=list(r.categories) if r.categories is not None else None,
                    updated_at=r.updated_at,
                )
                for r in page.rows
            ],
            next_cursor=page.next_cursor,
        )

    @post("/", summary="Register a case", status_code=201, opt=permission("case.create"))
    async def create(
        self,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        data: JSONBody[CaseIn],
    ) -> CaseOut:
        values = msgspec.structs.asdict(data)
        return _out(await service.create_case(actor, values, directory, ladder))

    @get("/{reference:str}", summary="Read a case")
    async def read(
        self,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
    ) -> CaseOut:
        return _out(await service.get_case(actor, reference, directory, ladder))

    @patch("/{reference:str}", summary="Change fields of a case", opt=permission("case.edit"))
    async def update(
        self,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: JSONBody[CaseChanges],
    ) -> CaseOut:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        expected = changes.pop("version", None)
        if not changes:
            raise ValidationFailed({"body": "Stuur minstens één veld om te wijzigen."})
        return _out(
            await service.update_case(actor, reference, changes, directory, ladder, expected)
        )

    @post(
        "/{reference:str}/close",
        summary="Close a case with an outcome",
        status_code=200,
        opt=permission("case.edit"),
    )
    async def close(
        self,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: JSONBody[CloseIn],
    ) -> CaseOut:
        return _out(
            await service.close_case(
                actor, reference, data.outcome, data.note, directory, ladder, data.version
            )
        )
