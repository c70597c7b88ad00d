"""Who is asking: the web session cookie for pages, a bearer token for the JSON API."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State

from casetafel.access.policy import Actor
from casetafel.accounts import service as accounts
from casetafel.notifications import service as notifications
from casetafel.settings import Settings

SESSION_COOKIE = "casetafel_session"


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


async def page_actor(request: Request[object, object, State]) -> Actor:
    token = request.cookies.get(SESSION_COOKIE)
    settings: Settings = request.app.state.settings
    actor = await accounts.session_actor(token, settings.session_idle_minutes) if token else None
    if actor is None:
        raise LoginRequired
    request.state.unread_notifications = await notifications.unread_count(actor)
    return actor


async def api_actor(request: Request[object, object, State]) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise LoginRequired
    actor = await accounts.token_actor(token.strip())
    if actor is None:
        raise LoginRequired
    return actor
