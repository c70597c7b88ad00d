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
    "bewaartermijn-verlengd": ("success", "De bewaartermijn is verlengd en vastgelegd."),
    "geagendeerd": ("success", "De casus staat op de agenda."),
    "agenda-volgorde": ("success", "De volgorde van de agenda is aangepast."),
    "van-agenda": ("success", "Het agendapunt is van de agenda gehaald."),
    "uitkomst": ("success", "De uitkomst is vastgelegd."),
    "besluit": ("success", "Het besluit is vastgelegd."),
    "actie": ("success", "De actie is vastgelegd."),
    "actie-gereed": ("success", "De actie is gereedgemeld."),
    "verwezen": ("success", "De casus is verwezen; hieronder ziet u op welke agenda."),
    "gepland": ("success", "Het overleg is gepland; de uitnodigingen worden verstuurd."),
    "gepland-buiten-werktijd": (
        "warning",
        "Het overleg is gepland en de uitnodigingen worden verstuurd. Let op: het valt "
        "buiten de werktijden.",
    ),
    "overleg-verplaatst": ("success", "De wijziging is verstuurd naar alle deelnemers."),
    "overleg-verplaatst-buiten-werktijd": (
        "warning",
        "De wijziging is verstuurd. Let op: het overleg valt nu buiten de werktijden.",
    ),
    "overleg-geannuleerd": ("success", "Het overleg is geannuleerd; de deelnemers horen het."),
    "uitgenodigd": ("success", "De deelnemer is uitgenodigd; de anderen krijgen de wijziging."),
    "afgemeld": ("success", "De deelnemer is afgemeld en krijgt een annulering."),
    "bijeenkomst-gewijzigd": ("success", "De wijziging van deze bijeenkomst is verstuurd."),
    "antwoord": ("success", "Het antwoord is verwerkt."),
}


def _flash_from_query(request: Request[object, object, State]) -> dict[str, str] | None:
    key = request.query_params.get("melding")
    if key in FLASH_MESSAGES:
        kind, text = FLASH_MESSAGES[key]
        return {"kind": kind, "text": text}
    return None
