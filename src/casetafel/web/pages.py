"""Rendering a page with the context every template expects."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.response import Template
from litestar.utils.scope.state import ScopeState

from casetafel.access.policy import Actor


def csrf_token(request: Request[object, object, State]) -> str:
    return str(ScopeState.from_scope(request.scope).csrf_token or "")


def page(
    request: Request[object, object, State],
    template: str,
    actor: Actor | None,
    *,
    nav_active: str = "",
    flash: dict[str, str] | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    base = {
        "actor": actor,
        "csrf_token": csrf_token(request),
        "nav_active": nav_active,
        "flash": flash or _flash_from_query(request),
        "request_path": request.url.path,
        "unread_notifications": getattr(request.state, "unread_notifications", 0),
        "ladder_levels": request.app.state.ladder.levels,
    }
    return Template(template_name=template, context={**base, **context}, status_code=status_code)


# Messages after a redirect (POST-redirect-GET), chosen by key so that no text is injectable.
FLASH_MESSAGES = {
    "aangemaakt": ("success", "De casus is geregistreerd."),
    "opgeslagen": ("success", "De wijzigingen zijn opgeslagen."),
    "afgesloten": ("success", "De casus is afgesloten."),
    "verplaatst": ("success", "De casus is verplaatst naar een ander niveau."),
    "overleg": ("success", "Het overleg is vastgelegd."),
    "deelnemer-toegevoegd": ("success", "De deelnemer is toegevoegd."),
    "deelnemer-gedeactiveerd": ("success", "De deelnemer is gedeactiveerd."),
    "uitgelogd": ("info", "U bent uitgelogd."),
}


def _flash_from_query(request: Request[object, object, State]) -> dict[str, str] | None:
    key = request.query_params.get("melding")
    if key in FLASH_MESSAGES:
        kind, text = FLASH_MESSAGES[key]
        return {"kind": kind, "text": text}
    return None
