"""The audit log page of the privacy officer."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template

from casetafel.access import service
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor
from casetafel.web.pages import page


class AuditViews(Controller):
    opt = permission("audit.read")
    include_in_schema = False

    @get("/audit", name="audit")
    async def audit_log(
        self,
        request: Request[Any, Any, State],
        actor: CurrentActor,
        kenmerk: FromQuery[str] = "",
        gebruiker: FromQuery[str] = "",
        voor: FromQuery[int | None] = None,
    ) -> Template:
        rows = await service.recent_events(
            actor, case_reference=kenmerk[:20], username=gebruiker[:80], before_seq=voor
        )
        return page(
            request,
            "audit.html",
            actor,
            nav_active="audit",
            rows=rows,
            kenmerk=kenmerk,
            gebruiker=gebruiker,
            verified=None,
        )

    @post("/audit/controleren")
    async def verify(self, request: Request[Any, Any, State], actor: CurrentActor) -> Template:
        result = await service.verify_chain(actor)
        rows = await service.recent_events(actor)
        return page(
            request,
            "audit.html",
            actor,
            nav_active="audit",
            rows=rows,
            kenmerk="",
            gebruiker="",
            verified=result,
        )
