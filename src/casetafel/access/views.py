"""The audit log page of the privacy officer: filter, page through, export as CSV, verify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Stream, Template

from casetafel import clock
from casetafel.access import audit, service
from casetafel.access.policy import Actor
from casetafel.access.vocabulary import ACTION_LABELS
from casetafel.errors import ValidationFailed
from casetafel.organisations.service import Directory
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor, DirectoryDep
from casetafel.web.pages import page

Req = Request[Any, Any, State]


@dataclass(frozen=True)
class FilterForm:
    """What was typed in the filter, shown again as typed."""

    kenmerk: str = ""
    gebruiker: str = ""
    organisatie: str = ""
    actie: str = ""
    van: str = ""
    tot: str = ""

    def query(self, **extra: Any) -> str:
        values = {**self.__dict__, **extra}
        return urlencode({k: v for k, v in values.items() if v})


class AuditViews(Controller):
    opt = permission("audit.read")
    include_in_schema = False

    @get("/audit", name="audit")
    async def audit_log(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        kenmerk: FromQuery[str] = "",
        gebruiker: FromQuery[str] = "",
        organisatie: FromQuery[str] = "",
        actie: FromQuery[str] = "",
        van: FromQuery[str] = "",
        tot: FromQuery[str] = "",
        voor: FromQuery[str] = "",
    ) -> Template:
        form = FilterForm(kenmerk, gebruiker, organisatie, actie, van, tot)
        try:
            selection = service.parse_filter(**form.__dict__)
            before = service.parse_before(voor)
        except ValidationFailed as invalid:
            service.require_privacy_officer(actor)
            return _page(request, actor, directory, form, errors=invalid.errors)
        events = await service.recent_events(actor, selection, before_seq=before)
        return _page(request, actor, directory, form, events=events)

    @get("/audit/export.csv", name="audit_export")
    async def export(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        kenmerk: FromQuery[str] = "",
        gebruiker: FromQuery[str] = "",
        organisatie: FromQuery[str] = "",
        actie: FromQuery[str] = "",
        van: FromQuery[str] = "",
        tot: FromQuery[str] = "",
    ) -> Stream | Template:
        form = FilterForm(kenmerk, gebruiker, organisatie, actie, van, tot)
        try:
            selection = service.parse_filter(**form.__dict__)
        except ValidationFailed as invalid:
            service.require_privacy_officer(actor)
            return _page(request, actor, directory, form, errors=invalid.errors)
        lines = await service.export_csv(actor, selection)
        name = f"auditlog-{clock.today().isoformat()}.csv"
        return Stream(
            lines,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    @post("/audit/controleren")
    async def verify(self, request: Req, actor: CurrentActor, directory: DirectoryDep) -> Template:
        result = await service.verify_chain(actor)
        events = await service.recent_events(actor, service.AuditFilter())
        return _page(request, actor, directory, FilterForm(), events=events, verified=result)


def _page(
    request: Req,
    actor: Actor,
    directory: Directory,
    form: FilterForm,
    *,
    events: service.EventPage | None = None,
    errors: dict[str, str] | None = None,
    verified: audit.VerifyResult | None = None,
) -> Template:
    organisations = sorted({o.name for o in directory.organisations.values()})
    return page(
        request,
        "audit.html",
        actor,
        nav_active="audit",
        status_code=400 if errors else 200,
        form=form,
        errors=errors or {},
        rows=events.rows if events else [],
        older_query=form.query(voor=events.older) if events and events.older else "",
        export_query=form.query(),
        action_options=sorted(ACTION_LABELS.items(), key=lambda item: item[1]),
        organisation_options=[(name, name) for name in organisations],
        verified=verified,
    )
