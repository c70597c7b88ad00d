"""The privacy officer's retention page: the preview of the next run and the extension form."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response, Template

from casetafel.access.policy import Actor
from casetafel.cases import retention_admin
from casetafel.cases.forms import single
from casetafel.errors import ValidationFailed
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor
from casetafel.web.pages import page

Req = Request[Any, Any, State]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class RetentionViews(Controller):
    opt = permission("retention.manage")
    include_in_schema = False

    @get("/bewaartermijnen", name="retention")
    async def overview(self, request: Req, actor: CurrentActor) -> Template:
        return await _page(request, actor)

    @post("/bewaartermijnen/verlengen")
    async def extend(self, request: Req, actor: CurrentActor, data: Form) -> Response[Any]:
        values = {name: single(data, name) for name in ("kenmerk", "tot", "reden")}
        try:
            await retention_admin.extend(actor, values["kenmerk"], values["tot"], values["reden"])
        except ValidationFailed as failure:
            return await _page(request, actor, values, failure.errors, 422)
        return Redirect("/bewaartermijnen?melding=bewaartermijn-verlengd")


async def _page(
    request: Req,
    actor: Actor,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    return page(
        request,
        "cases/retention.html",
        actor,
        nav_active="retention",
        preview=await retention_admin.preview(actor),
        values=values or {},
        errors=errors or {},
        status_code=status,
    )
