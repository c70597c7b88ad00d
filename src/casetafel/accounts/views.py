"""Login and logout pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Response, Template

from casetafel.accounts import service as accounts
from casetafel.settings import Settings
from casetafel.web.auth import PUBLIC, SESSION_COOKIE, permission
from casetafel.web.pages import page
from casetafel.web.templating import datetime_nl

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _safe_next(target: str | None) -> str:
    """Only local paths, so the login form cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


class LoginController(Controller):
    opt = permission(PUBLIC)

    @get("/inloggen", name="login")
    async def form(
        self, request: Request[Any, Any, State], volgende: FromQuery[str | None] = None
    ) -> Template:
        return page(request, "login.html", None, next=_safe_next(volgende), username="", error="")

    @post("/inloggen")
    async def login(self, request: Request[Any, Any, State], data: Form) -> Response[Any]:
        settings: Settings = request.app.state.settings
        username = data.get("username", "")[:80]
        target = _safe_next(data.get("next"))
        try:
            user = await accounts.authenticate(username, data.get("password", ""))
        except accounts.LoginThrottled as throttled:
            return page(
                request,
                "login.html",
                None,
                next=target,
                username=username,
                error=(
                    "Te veel mislukte pogingen. Probeer het na "
                    f"{datetime_nl(throttled.until)} opnieuw."
                ),
                status_code=429,
            )
        if user is None:
            return page(
                request,
                "login.html",
                None,
                next=target,
                username=username,
                error="Gebruikersnaam of wachtwoord klopt niet.",
                status_code=400,
            )
        token = await accounts.start_session(user, settings.session_idle_minutes)
        response = Redirect(target)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
            path="/",
        )
        return response

    @post("/uitloggen")
    async def logout(self, request: Request[Any, Any, State]) -> Response[Any]:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await accounts.end_session(token)
        response = Redirect("/inloggen?melding=uitgelogd")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
