"""Who is asking, and may they use this route.

Every route declares the action it needs as `opt={"permission": ...}` (on its handler or its
controller): an action of the declared policy, PUBLIC or SIGNED_IN. The routers' guards find
the actor (a session cookie for pages, a bearer token for the JSON API) and ask the policy;
a route without a declaration is refused, and create_app refuses to start with one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute

from casetafel import db
from casetafel.access import audit
from casetafel.access.policy import ACTION_TEXTS, ACTIONS, Actor
from casetafel.access.policy import PUBLIC as PUBLIC
from casetafel.access.policy import SIGNED_IN as SIGNED_IN
from casetafel.accounts import service as accounts
from casetafel.errors import Forbidden
from casetafel.notifications import service as notifications
from casetafel.settings import Settings

SESSION_COOKIE = "casetafel_session"
PERMISSION = "permission"
DECLARABLE = ACTIONS | {PUBLIC, SIGNED_IN}
# Routes Litestar adds itself (the OpenAPI documents): public, outside the routers' guards.
_OWN_ROUTES = ("/schema",)

Connection = ASGIConnection[Any, Any, Any, Any]


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


def permission(action: str) -> dict[str, str]:
    """The `opt` of a route that needs `action` (or PUBLIC, SIGNED_IN)."""
    assert action in DECLARABLE, action
    return {PERMISSION: action}


async def _session_actor(connection: Connection) -> Actor | None:
    token = connection.cookies.get(SESSION_COOKIE)
    settings: Settings = connection.app.state.settings
    actor = await accounts.session_actor(token, settings.session_idle_minutes) if token else None
    if actor is not None:
        connection.state.unread_notifications = await notifications.unread_count(actor)
    return actor


async def _token_actor(connection: Connection) -> Actor | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await accounts.token_actor(token.strip())


Resolver = Callable[[Connection], Awaitable[Actor | None]]


async def _actor(connection: Connection, resolve: Resolver) -> Actor:
    found: Actor | None = connection.state.get("actor")
    if found is None:
        found = await resolve(connection)
        if found is None:
            raise LoginRequired
        connection.state.actor = found
    return found


def _guard(resolve: Resolver) -> Callable[[Connection, BaseRouteHandler], Awaitable[None]]:
    async def guard(connection: Connection, handler: BaseRouteHandler) -> None:
        declared = handler.opt.get(PERMISSION)
        if declared == PUBLIC:
            return
        actor = await _actor(connection, resolve)
        if declared == SIGNED_IN:
            return
        if declared not in ACTIONS or not actor.may(declared):
            raise Forbidden(
                f"Uw rol ({actor.role_label}) geeft geen toegang tot deze pagina: "
                f"{ACTION_TEXTS.get(str(declared), 'deze handeling')} is voorbehouden aan andere "
                "rollen."
            )

    return guard


page_guard = _guard(_session_actor)
api_guard = _guard(_token_actor)


async def page_actor(request: Request[object, object, State]) -> Actor:
    return await _actor(request, _session_actor)


async def api_actor(request: Request[object, object, State]) -> Actor:
    return await _actor(request, _token_actor)


def undeclared_routes(app: Litestar) -> list[str]:
    """Routes of the app whose handler declares no permission the policy knows."""
    found = []
    for route in app.routes:
        if route.path.startswith(_OWN_ROUTES):
            continue
        handlers = route.route_handlers if isinstance(route, HTTPRoute) else [route.route_handler]
        for handler in handlers:
            if handler.opt.get(PERMISSION) not in DECLARABLE:
                found.append(f"{route.path} ({handler.handler_name})")
    return found


async def public_guard(connection: Connection, handler: BaseRouteHandler) -> None:
    """Routes outside the signed-in routers (token links, static files) must be PUBLIC."""
    if handler.opt.get(PERMISSION) != PUBLIC:
        raise Forbidden("Deze pagina is niet openbaar.")


async def audit_forbidden(exception: Exception, scope: Any) -> None:
    """A refused request of a signed-in user is audit-logged (after its own transaction
    rolled back): the privacy officer sees who tried what."""
    if not isinstance(exception, Forbidden):
        return
    actor = scope.get("state", {}).get("actor")
    if not isinstance(actor, Actor):
        return
    async with db.transaction():
        await audit.record(
            actor,
            "access.forbidden",
            details={"method": scope.get("method", ""), "path": scope.get("path", "")[:200]},
        )
