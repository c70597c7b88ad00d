"""The notification list of the signed-in user."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from casetafel.notifications import service
from casetafel.web.auth import SIGNED_IN, permission
from casetafel.web.deps import CurrentActor
from casetafel.web.pages import page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class NotificationViews(Controller):
    opt = permission(SIGNED_IN)
    include_in_schema = False

    @get("/meldingen", name="notifications")
    async def list_all(self, request: Request[Any, Any, State], actor: CurrentActor) -> Template:
        rows = await service.for_user(actor)
        return page(request, "notifications.html", actor, nav_active="notifications", rows=rows)

    @post("/meldingen/gelezen")
    async def mark_read(self, actor: CurrentActor, data: Form) -> Redirect:
        raw = str(data.get("id", "")).strip()
        await service.mark_read(actor, int(raw) if raw.isdigit() else None)
        return Redirect("/meldingen")
