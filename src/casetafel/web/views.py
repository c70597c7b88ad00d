"""Pages that belong to no domain: the health check."""

from __future__ import annotations

from litestar import Controller, get

from casetafel import db
from casetafel.web.auth import PUBLIC, permission


class WebViews(Controller):
    opt = permission(PUBLIC)
    include_in_schema = False

    @get("/healthz")
    async def health(self) -> dict[str, str]:
        await db.fetch("SELECT 1 AS ok")
        return {"status": "ok"}
