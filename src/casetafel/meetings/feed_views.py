"""Calendar feeds: the feed itself (/feeds/<token>.ics, no login: the token is the credential),
a user's page to create and revoke their feeds (/mijn-agenda), and the coordinator's page for
the feeds of a person who cannot log in (/deelnemers/<id>/agenda).

Caching of the feed: calendar clients poll it (Outlook and Google every few hours, Apple as
set). `Cache-Control: private, no-cache` with an ETag lets a client keep its copy and ask
with If-None-Match, answered 304 when nothing changed, while every poll still reaches the
server, so a revoked link stops at once; `private` keeps the copy out of shared caches,
since the URL is a secret.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from casetafel.access.policy import Actor
from casetafel.errors import Conflict
from casetafel.meetings import feeds
from casetafel.meetings.web import context
from casetafel.web.auth import PUBLIC, permission
from casetafel.web.deps import CurrentActor
from casetafel.web.pages import page

Req = Request[Any, Any, State]
# Litestar adds "; charset=utf-8" to a text/* media type.
ICS = "text/calendar"
# A token is secrets.token_urlsafe(32): 43 URL-safe characters.
_FEED_NAME = re.compile(r"([A-Za-z0-9_-]{20,100})\.ics")
_NO_STORE = CacheControlHeader(no_store=True, private=True)
NOT_FOUND = "Deze agenda bestaat niet (meer). Vraag in casetafel een nieuwe agenda-link aan."
REVOKED = {"kind": "success", "text": "De agenda-link is ingetrokken; hij werkt niet meer."}


class FeedViews(Controller):
    """The feed a calendar client subscribes to; registered outside the pages that need a
    session."""

    opt = permission(PUBLIC)

    include_in_schema = False

    @get("/feeds/{name:str}", name="feed")
    async def feed(self, request: Req, name: FromPath[str]) -> Response[bytes]:
        match = _FEED_NAME.fullmatch(name)
        body = await feeds.feed_calendar(match.group(1), context(request)) if match else None
        if body is None:
            return Response(
                NOT_FOUND.encode("utf-8"),
                status_code=404,
                media_type="text/plain",
                headers={"Cache-Control": "no-store"},
            )
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers = {
            "Cache-Control": "private, no-cache",
            "ETag": etag,
            "X-Robots-Tag": "noindex",
            "Content-Disposition": 'inline; filename="casetafel.ics"',
        }
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type=ICS, headers=headers)


class AgendaViews(Controller):
    """Creating and revoking feeds: one's own, and (the coordinator) those of a person."""

    opt = permission("meeting.attend")

    include_in_schema = False
    cache_control = _NO_STORE

    @get("/mijn-agenda", name="my_agenda")
    async def mine(
        self, request: Req, actor: CurrentActor, melding: FromQuery[str] = ""
    ) -> Template:
        flash = REVOKED if melding == "agenda-ingetrokken" else None
        return await _own_page(request, actor, flash=flash)

    @post("/mijn-agenda")
    async def create(self, request: Req, actor: CurrentActor) -> Template:
        try:
            token = await feeds.create_feed(actor)
        except Conflict as problem:
            return await _own_page(request, actor, problem=problem.message, status=409)
        return await _own_page(request, actor, token=token)

    @post("/mijn-agenda/{feed_id:int}/intrekken")
    async def revoke(self, actor: CurrentActor, feed_id: FromPath[int]) -> Redirect:
        await feeds.revoke_feed(actor, feed_id)
        return Redirect("/mijn-agenda?melding=agenda-ingetrokken")

    @get(
        "/deelnemers/{person_id:int}/agenda", name="person_agenda", opt=permission("persons.manage")
    )
    async def person(
        self,
        request: Req,
        actor: CurrentActor,
        person_id: FromPath[int],
        melding: FromQuery[str] = "",
    ) -> Template:
        flash = REVOKED if melding == "agenda-ingetrokken" else None
        return await _person_page(request, actor, person_id, flash=flash)

    @post("/deelnemers/{person_id:int}/agenda", opt=permission("persons.manage"))
    async def create_for_person(
        self, request: Req, actor: CurrentActor, person_id: FromPath[int]
    ) -> Template:
        try:
            token = await feeds.create_person_feed(actor, person_id)
        except Conflict as problem:
            return await _person_page(
                request, actor, person_id, problem=problem.message, status=409
            )
        return await _person_page(request, actor, person_id, token=token)

    @post(
        "/deelnemers/{person_id:int}/agenda/{feed_id:int}/intrekken",
        opt=permission("persons.manage"),
    )
    async def revoke_for_person(
        self, actor: CurrentActor, person_id: FromPath[int], feed_id: FromPath[int]
    ) -> Redirect:
        await feeds.revoke_person_feed(actor, person_id, feed_id)
        return Redirect(f"/deelnemers/{person_id}/agenda?melding=agenda-ingetrokken")


async def _own_page(
    request: Req,
    actor: Actor,
    *,
    token: str | None = None,
    problem: str = "",
    flash: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    rows = await feeds.feeds_of(actor)
    return _render(request, actor, "/mijn-agenda", None, rows, token, problem, flash, status)


async def _person_page(
    request: Req,
    actor: Actor,
    person_id: int,
    *,
    token: str | None = None,
    problem: str = "",
    flash: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    name = await feeds.person_name(actor, person_id)
    rows = await feeds.person_feeds_of(actor, person_id)
    path = f"/deelnemers/{person_id}/agenda"
    return _render(request, actor, path, name, rows, token, problem, flash, status)


def _render(
    request: Req,
    actor: Actor,
    path: str,
    person: str | None,
    rows: list[feeds.FeedRow],
    token: str | None,
    problem: str,
    flash: dict[str, str] | None,
    status: int,
) -> Template:
    url = context(request).link(f"/feeds/{token}.ics") if token else ""
    return page(
        request,
        "meetings/feeds.html",
        actor,
        nav_active="persons" if person else "agenda",
        flash=flash,
        path=path,
        person=person,
        feeds=rows,
        new_url=url,
        webcal_url=re.sub(r"^https?://", "webcal://", url),
        problem=problem,
        status_code=status,
    )


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
