"""The privacy officer's overview for a subject's access request: a page, JSON and PDF.

The subject is asked for by name and birth date in a POST form, never in a URL (which would
leave them in logs and browser history); the answers are not cached."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Response, Template

from casetafel import clock
from casetafel.access.policy import Actor
from casetafel.cases import subject_overview
from casetafel.cases.forms import single
from casetafel.cases.subject_overview import SubjectOverview
from casetafel.errors import ValidationFailed
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor, DirectoryDep
from casetafel.web.pages import page

Req = Request[Any, Any, State]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND = (
    "Er is geen casus gevonden met precies deze naam en geboortedatum, in geen enkele regio. "
    "Controleer de schrijfwijze en de datum. Van casussen waarvan de bewaartermijn is "
    "verstreken, zijn naam en geboortedatum verwijderd: daarover houdt casetafel geen "
    "persoonsgegevens meer."
)


class SubjectOverviewViews(Controller):
    opt = permission("subject.overview")
    include_in_schema = False

    @get("/inzageverzoek", name="subject_overview")
    async def form(self, request: Req, actor: CurrentActor) -> Template:
        subject_overview.require_privacy_officer(actor)
        return _page(request, actor, {}, {})

    @post("/inzageverzoek", status_code=200)
    async def overview(
        self, request: Req, actor: CurrentActor, directory: DirectoryDep, data: Form
    ) -> Template:
        values = _values(data)
        try:
            name, born = subject_overview.parse_request(values["naam"], values["geboortedatum"])
        except ValidationFailed as failure:
            return _page(request, actor, values, failure.errors, status=422)
        found = await subject_overview.produce(actor, name, born, directory, "page")
        return _page(request, actor, values, {}, found, status=200 if found.cases else 404)

    @post("/inzageverzoek/json", status_code=200)
    async def as_json(
        self, request: Req, actor: CurrentActor, directory: DirectoryDep, data: Form
    ) -> Response[Any]:
        found = await _download(request, actor, directory, data, "json")
        if isinstance(found, Template):
            return found
        return _attachment(found.as_json(), "application/json", "json")

    @post("/inzageverzoek/pdf", status_code=200)
    async def as_pdf(
        self, request: Req, actor: CurrentActor, directory: DirectoryDep, data: Form
    ) -> Response[Any]:
        found = await _download(request, actor, directory, data, "pdf")
        if isinstance(found, Template):
            return found
        engine = request.app.template_engine
        assert engine is not None
        html = engine.get_template("cases/subject_overview_pdf.html").render(overview=found)
        pdf = await asyncio.to_thread(_pdf, html)
        return _attachment(pdf, "application/pdf", "pdf")


def _values(data: dict[str, Any]) -> dict[str, str]:
    return {name: single(data, name) for name in ("naam", "geboortedatum")}


async def _download(
    request: Req, actor: Actor, directory: Any, data: dict[str, Any], form: str
) -> SubjectOverview | Template:
    """The overview to download, or the page saying why there is none."""
    values = _values(data)
    try:
        name, born = subject_overview.parse_request(values["naam"], values["geboortedatum"])
    except ValidationFailed as failure:
        return _page(request, actor, values, failure.errors, status=422)
    found = await subject_overview.produce(actor, name, born, directory, form)
    if not found.cases:
        return _page(request, actor, values, {}, found, status=404)
    return found


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # loads pango: only when a PDF is asked for

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def _attachment(content: bytes, media_type: str, extension: str) -> Response[bytes]:
    name = f"inzageverzoek-{clock.today().isoformat()}.{extension}"
    return Response(
        content,
        media_type=media_type,
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def _page(
    request: Req,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str],
    overview: SubjectOverview | None = None,
    status: int = 200,
) -> Template:
    response = page(
        request,
        "cases/subject_overview.html",
        actor,
        nav_active="subject_overview",
        values=values,
        errors=errors,
        overview=overview,
        not_found=NOT_FOUND if overview is not None and not overview.cases else "",
        status_code=status,
    )
    response.headers.update(NO_STORE)
    return response
