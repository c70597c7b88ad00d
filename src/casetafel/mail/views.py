"""Mail pages: the queue of failed messages, and /dev/mail for what the local sink received."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from casetafel.mail import inbox, service
from casetafel.settings import Settings
from casetafel.web.auth import SIGNED_IN, permission
from casetafel.web.deps import CurrentActor
from casetafel.web.pages import page

Req = Request[Any, Any, State]

STATE_LABELS = {
    "pending": "In de wachtrij",
    "sending": "Wordt verstuurd",
    "sent": "Verstuurd",
    "dead": "Mislukt",
}

RESENT = {"kind": "success", "text": "Het bericht staat weer in de wachtrij en wordt zo verstuurd."}


class MailQueueViews(Controller):
    opt = permission("mail.queue")
    include_in_schema = False

    @get("/mail/wachtrij", name="mail_queue")
    async def queue(
        self, request: Req, actor: CurrentActor, opnieuw: FromQuery[str] = ""
    ) -> Template:
        problems = await service.problems(actor)
        counts = await service.state_counts(actor)
        return page(
            request,
            "mail/queue.html",
            actor,
            nav_active="mail",
            flash=RESENT if opnieuw == "1" else None,
            problems=problems,
            counts=counts,
            state_labels=STATE_LABELS,
        )

    @post("/mail/wachtrij/{outbox_id:int}/opnieuw")
    async def resend(self, actor: CurrentActor, outbox_id: FromPath[int]) -> Redirect:
        await service.resend(actor, outbox_id)
        return Redirect("/mail/wachtrij?opnieuw=1")


class DevMailViews(Controller):
    """The demo's mail page: the app factory adds it only with dev_mail_page = true, so
    that otherwise it does not exist for anyone."""

    opt = permission(SIGNED_IN)
    include_in_schema = False

    @get("/dev/mail", name="dev_mail")
    async def received(self, request: Req, actor: CurrentActor) -> Template:
        folder = _settings(request).mail_sink_path
        return page(
            request,
            "mail/dev_mail.html",
            actor,
            messages=inbox.list_received(folder),
            folder=str(folder),
        )

    @get("/dev/mail/{name:str}/invite.ics", name="dev_mail_ics")
    async def calendar(
        self, request: Req, actor: CurrentActor, name: FromPath[str]
    ) -> Response[bytes]:
        data = inbox.calendar_of(_settings(request).mail_sink_path, name)
        if data is None:
            raise NotFoundException()
        return Response(
            data,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="invite.ics"'},
        )


def _settings(request: Req) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
