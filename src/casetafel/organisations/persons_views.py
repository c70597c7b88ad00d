"""The pages of the participants' registry: list, new, edit and deactivate."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from casetafel.access.policy import Actor
from casetafel.errors import Conflict, ValidationFailed
from casetafel.organisations import persons
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor
from casetafel.web.pages import page

Req = Request[Any, Any, State]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class PersonViews(Controller):
    opt = permission("persons.manage")
    include_in_schema = False

    @get("/deelnemers", name="person_list")
    async def person_list(
        self,
        request: Req,
        actor: CurrentActor,
        organisatie: FromQuery[str] = "",
        inactief: FromQuery[str] = "",
    ) -> Template:
        persons.require_person_manager(actor)
        errors: dict[str, str] = {}
        organisation_id: int | None = None
        if organisatie and not organisatie.isdigit():
            errors["organisatie"] = "Kies een organisatie uit de lijst."
        elif organisatie:
            organisation_id = int(organisatie)
        rows = (
            []
            if errors
            else await persons.list_persons(
                actor, organisation_id, include_inactive=inactief == "ja"
            )
        )
        return page(
            request,
            "persons_list.html",
            actor,
            nav_active="persons",
            rows=rows,
            filters={"organisatie": organisatie, "inactief": inactief},
            errors=errors,
            organisation_options=await _organisation_options(actor, by="id"),
            status_code=400 if errors else 200,
        )

    @get("/deelnemers/nieuw", name="person_new")
    async def new_form(self, request: Req, actor: CurrentActor) -> Template:
        persons.require_person_manager(actor)
        return await _form(request, actor, {}, {}, None)

    @post("/deelnemers/nieuw")
    async def create(self, request: Req, actor: CurrentActor, data: Form) -> Response[Any]:
        persons.require_person_manager(actor)
        values = _posted(data)
        try:
            await persons.create_person(actor, values)
        except ValidationFailed as failure:
            return await _form(request, actor, values, failure.errors, None, 422)
        return Redirect("/deelnemers?melding=deelnemer-toegevoegd")

    @get("/deelnemers/{person_id:int}/bewerken", name="person_edit")
    async def edit_form(
        self, request: Req, actor: CurrentActor, person_id: FromPath[int]
    ) -> Template:
        person = await persons.get_person(actor, person_id)
        if not person.active:
            raise Conflict("Deze deelnemer is gedeactiveerd en kan niet meer worden gewijzigd.")
        values = {
            "name": person.name,
            "email": person.email,
            "function": person.function,
            "organisation": person.organisation_key,
        }
        return await _form(request, actor, values, {}, person)

    @post("/deelnemers/{person_id:int}/bewerken")
    async def update(
        self, request: Req, actor: CurrentActor, person_id: FromPath[int], data: Form
    ) -> Response[Any]:
        persons.require_person_manager(actor)
        values = _posted(data)
        try:
            await persons.update_person(actor, person_id, values, _version(data))
        except (ValidationFailed, Conflict) as failure:
            person = await persons.get_person(actor, person_id)
            if isinstance(failure, ValidationFailed):
                return await _form(request, actor, values, failure.errors, person, 422)
            return await _form(request, actor, values, {}, person, 409, failure.message)
        return Redirect("/deelnemers?melding=opgeslagen")

    @post("/deelnemers/{person_id:int}/deactiveren")
    async def deactivate(self, actor: CurrentActor, person_id: FromPath[int]) -> Redirect:
        await persons.deactivate_person(actor, person_id)
        return Redirect("/deelnemers?melding=deelnemer-gedeactiveerd")


async def _form(
    request: Req,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str],
    person: persons.PersonRow | None,
    status: int = 200,
    problem: str = "",
) -> Template:
    """The new or edit form; on a conflict `person` is what is stored now (its version goes
    into the form, so that saving again after checking is possible)."""
    return page(
        request,
        "persons_form.html",
        actor,
        nav_active="persons",
        values=values,
        errors=errors,
        person=person,
        problem=problem,
        organisation_options=await _organisation_options(actor, by="key"),
        status_code=status,
    )


async def _organisation_options(actor: Actor, by: str) -> list[tuple[str, str]]:
    choices = await persons.organisations_in_scope(actor)
    return [(str(c.id) if by == "id" else c.key, c.name) for c in choices]


def _single(form: dict[str, Any], name: str) -> str:
    raw = form.get(name, "")
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return str(raw).strip()


def _posted(form: dict[str, Any]) -> dict[str, str]:
    return {name: _single(form, name) for name in persons.FIELDS}


def _version(form: dict[str, Any]) -> int:
    """The version the form was opened at; a missing one never matches (stale)."""
    text = _single(form, "version")
    return int(text) if text.isdigit() else 0
