"""The case register's pages: dashboard, list, new and edit forms, the case page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from casetafel import clock
from casetafel.access import reads
from casetafel.access.policy import Actor, visible_classes
from casetafel.access.policy import current as current_policy
from casetafel.cases import queries, sections, service
from casetafel.cases.access import require_case_editor
from casetafel.cases.forms import (
    CASE_FORM_FIELDS,
    CONDITION_FIELDS,
    as_form,
    form_values,
    single,
    version,
)
from casetafel.cases.vocabulary import OUTCOMES
from casetafel.errors import Conflict, ValidationFailed
from casetafel.ladder import Ladder
from casetafel.organisations.service import Directory
from casetafel.web.auth import SIGNED_IN, permission
from casetafel.web.deps import CurrentActor, DirectoryDep, LadderDep
from casetafel.web.pages import page

Req = Request[Any, Any, State]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _form_options(actor: CurrentActor, directory: DirectoryDep) -> dict[str, Any]:
    region_id = actor.region_id
    if region_id is None and actor.municipality_id is not None:
        region_id = directory.municipalities[actor.municipality_id].region
    municipalities = directory.region_municipalities(region_id) if region_id else []
    organisations = directory.region_organisations(region_id) if region_id else []
    return {
        "municipality_options": [(m.cbs_code, m.name) for m in municipalities],
        "all_municipality_options": [
            (m.cbs_code, m.name)
            for m in sorted(directory.municipalities.values(), key=lambda m: m.name)
        ],
        "organisation_options": [(o.key, o.name) for o in organisations],
        "legal_basis_options": [(b.key, b.label) for b in current_policy().case_bases()],
    }


class CaseViews(Controller):
    opt = permission("case.read")

    @get("/", name="dashboard", opt=permission(SIGNED_IN))
    async def dashboard(
        self, request: Req, actor: CurrentActor, directory: DirectoryDep, ladder: LadderDep
    ) -> Response[Any]:
        if not actor.may("case.read"):
            return Redirect(actor.rules.landing)
        async with reads.one_event(actor, "dashboard.read"):
            board = await queries.dashboard(actor, directory, ladder)
            shown = await sections.dashboard_sections(actor)
        return page(
            request,
            "cases/dashboard.html",
            actor,
            nav_active="dashboard",
            board=board,
            today_iso=clock.today().isoformat(),
            ladder=ladder,
            sections=shown,
        )

    @get("/casussen", name="case_list")
    async def case_list(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        niveau: FromQuery[str | None] = None,
        gemeente: FromQuery[str | None] = None,
        categorie: FromQuery[str | None] = None,
        vanaf: FromQuery[str | None] = None,
        tot: FromQuery[str | None] = None,
        status: FromQuery[str] = "open",
        kenmerk: FromQuery[str | None] = None,
        na: FromQuery[str | None] = None,
    ) -> Template:
        raw = {
            "niveau": niveau or "",
            "gemeente": gemeente or "",
            "categorie": categorie or "",
            "vanaf": vanaf or "",
            "tot": tot or "",
            "status": status,
            "kenmerk": kenmerk or "",
        }
        errors: dict[str, str] = {}
        result = queries.CasePage(rows=[], next_cursor=None)
        try:
            filters = queries.CaseFilters(
                level=niveau or None,
                municipality=gemeente or None,
                category=categorie or None,
                release_from=_query_date(vanaf, "release_from"),
                release_to=_query_date(tot, "release_to"),
                status=None if status == "alle" else status,
                reference=kenmerk or None,
            )
            result = await queries.list_cases(actor, filters, directory, ladder, cursor=na)
        except ValidationFailed as failure:
            errors = failure.errors
        query = urlencode({k: v for k, v in raw.items() if v})
        return page(
            request,
            "cases/list.html",
            actor,
            nav_active="cases",
            result=result,
            filters=raw,
            errors=errors,
            query=query,
            ladder=ladder,
            level_options=[(level.key, level.name) for level in ladder.levels],
            status_code=400 if errors else 200,
            **_form_options(actor, directory),
        )

    @get("/casussen/nieuw", name="case_new", opt=permission("case.create"))
    async def new_form(
        self, request: Req, actor: CurrentActor, directory: DirectoryDep
    ) -> Template:
        require_case_editor(actor)
        values = as_form({"release_certainty": "expected", "legal_framework": "vi"})
        return self._form(request, actor, directory, values, {}, None)

    @post("/casussen/nieuw", opt=permission("case.create"))
    async def create(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        data: Form,
    ) -> Response[Any]:
        require_case_editor(actor)
        values = form_values(data, CASE_FORM_FIELDS, visible_classes(actor))
        try:
            case = await service.create_case(actor, values, directory, ladder)
        except ValidationFailed as failure:
            return self._form(request, actor, directory, values, failure.errors, None, 422)
        return Redirect(f"/casussen/{case.reference}?melding=aangemaakt")

    @get("/casussen/{reference:str}", name="case_detail")
    async def detail(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
    ) -> Template:
        case = await service.get_case(actor, reference, directory, ladder)
        return await self._detail(request, actor, directory, ladder, case)

    @get("/casussen/{reference:str}/bewerken", name="case_edit", opt=permission("case.edit"))
    async def edit_form(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
    ) -> Template:
        require_case_editor(actor)
        case = await service.get_case(actor, reference, directory, ladder, with_timeline=False)
        if case.status == "closed":
            raise Conflict("Deze casus is afgesloten en kan niet meer worden gewijzigd.")
        return self._form(request, actor, directory, as_form(case.values), {}, case)

    @post("/casussen/{reference:str}/bewerken", opt=permission("case.edit"))
    async def update(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        require_case_editor(actor)
        values = form_values(data, CASE_FORM_FIELDS, visible_classes(actor))
        try:
            await service.update_case(
                actor, reference, values, directory, ladder, expected_version=version(data)
            )
        except (ValidationFailed, Conflict) as failure:
            # The form comes back with the case's data: that is a read, logged as one.
            case = await service.get_case(actor, reference, directory, ladder, with_timeline=False)
            errors = failure.errors if isinstance(failure, ValidationFailed) else {}
            problem = failure.message if isinstance(failure, Conflict) else ""
            status = 409 if isinstance(failure, Conflict) else 422
            return self._form(request, actor, directory, values, errors, case, status, problem)
        return Redirect(f"/casussen/{reference}?melding=opgeslagen")

    @post("/casussen/{reference:str}/basisvoorwaarden", opt=permission("case.edit"))
    async def basic_conditions(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        require_case_editor(actor)
        values = form_values(data, CONDITION_FIELDS, visible_classes(actor))
        try:
            await service.update_case(
                actor, reference, values, directory, ladder, expected_version=version(data)
            )
        except (ValidationFailed, Conflict) as failure:
            case = await service.get_case(actor, reference, directory, ladder)
            return await self._detail(
                request, actor, directory, ladder, case, failure=failure, posted=values
            )
        return Redirect(f"/casussen/{reference}?melding=opgeslagen#basisvoorwaarden")

    @post("/casussen/{reference:str}/afsluiten", opt=permission("case.edit"))
    async def close(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        require_case_editor(actor)
        try:
            await service.close_case(
                actor,
                reference,
                single(data, "outcome"),
                single(data, "note"),
                directory,
                ladder,
                expected_version=version(data),
            )
        except (ValidationFailed, Conflict) as failure:
            case = await service.get_case(actor, reference, directory, ladder)
            return await self._detail(
                request,
                actor,
                directory,
                ladder,
                case,
                failure=failure,
                posted={"outcome": single(data, "outcome"), "note": single(data, "note")},
            )
        return Redirect(f"/casussen/{reference}?melding=afgesloten")

    def _form(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        values: dict[str, Any],
        errors: dict[str, str],
        case: service.CaseView | None,
        status: int = 200,
        problem: str = "",
    ) -> Template:
        return page(
            request,
            "cases/form.html",
            actor,
            nav_active="cases" if case else "new_case",
            values=values,
            errors=errors,
            case=case,
            problem=problem,
            visible=visible_classes(actor),
            status_code=status,
            **_form_options(actor, directory),
        )

    async def _detail(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        case: service.CaseView,
        failure: ValidationFailed | Conflict | None = None,
        posted: dict[str, Any] | None = None,
    ) -> Template:
        form = sections.FormState(
            form="case",
            errors=failure.errors if isinstance(failure, ValidationFailed) else {},
            problem=failure.message if isinstance(failure, Conflict) else "",
            posted=posted or {},
        )
        return await render_case_page(request, actor, directory, ladder, case, form)


async def render_case_page(
    request: Req,
    actor: Actor,
    directory: Directory,
    ladder: Ladder,
    case: service.CaseView,
    form: sections.FormState | None = None,
) -> Template:
    """The case page, with the sections of higher domains; a form posted with problems
    (`form`) comes back with them, at the status its failure calls for."""
    form = form or sections.FormState()
    failed = bool(form.errors or form.problem)
    status = (422 if form.errors else 409) if failed else 200
    own = form if form.form == "case" else sections.FormState()
    return page(
        request,
        "cases/detail.html",
        actor,
        nav_active="cases",
        case=case,
        ladder=ladder,
        directory=directory,
        outcomes=OUTCOMES,
        errors=own.errors,
        problem=own.problem,
        posted=own.posted,
        sections=await sections.case_sections(actor, case, form),
        status_code=status,
    )


def _query_date(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({field: "Vul een geldige datum in."}) from None
