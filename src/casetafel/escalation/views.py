"""The escalation engine's pages: the ladder section of a case page, the escalate /
de-escalate and progress forms, the queue of each level, and the dashboard panels."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template

from casetafel.access.policy import Actor
from casetafel.cases import sections
from casetafel.cases import service as cases
from casetafel.cases.forms import single, version
from casetafel.cases.views import render_case_page
from casetafel.errors import Conflict, ValidationFailed
from casetafel.escalation import moves, queries
from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.vocabulary import DEADLINE_KINDS, DEADLINE_STATES, DIRECTIONS
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor, DirectoryDep, LadderDep
from casetafel.web.pages import page

Req = Request[Any, Any, State]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

LABELS = {"kinds": DEADLINE_KINDS, "states": DEADLINE_STATES, "directions": DIRECTIONS}


def _config(request: Req) -> EscalationConfig:
    config: EscalationConfig = request.app.state.escalation
    return config


class EscalationViews(Controller):
    opt = permission("case.read")

    @post("/casussen/{reference:str}/niveau", opt=permission("escalation.move"))
    async def move(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        posted = {k: single(data, k) for k in ("to", "obstacle", "note")}
        try:
            await moves.escalate(
                actor,
                reference,
                to_level=posted["to"],
                obstacle=posted["obstacle"],
                note=posted["note"],
                expected_version=version(data),
                config=_config(request),
                directory=directory,
            )
        except (ValidationFailed, Conflict) as failure:
            form = _form_state(f"move-{posted['to']}", failure, posted)
            return await _case_page(request, actor, directory, ladder, reference, form)
        return Redirect(f"/casussen/{reference}?melding=verplaatst")

    @post("/casussen/{reference:str}/overleg", opt=permission("escalation.progress"))
    async def progress(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        posted = {k: single(data, k) for k in ("held_on", "decision")}
        try:
            await moves.record_progress(
                actor,
                reference,
                held_on=_form_date(posted["held_on"]),
                decision=posted["decision"],
                expected_version=version(data),
                config=_config(request),
                directory=directory,
            )
        except (ValidationFailed, Conflict) as failure:
            form = _form_state("progress", failure, posted)
            return await _case_page(request, actor, directory, ladder, reference, form)
        return Redirect(f"/casussen/{reference}?melding=overleg")

    @get("/wachtrij/{level:str}", name="queue")
    async def queue(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        level: FromPath[str],
    ) -> Template:
        config = _config(request)
        rows = await queries.queue(actor, level, config, directory)
        return page(
            request,
            "escalation/queue.html",
            actor,
            nav_active=f"queue-{level}",
            level=config.ladder.get(level),
            rows=rows,
        )


def _form_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed({"held_on": "Vul een geldige datum in (dd-mm-jjjj)."}) from None


def _form_state(
    form: str, failure: ValidationFailed | Conflict, posted: dict[str, str]
) -> sections.FormState:
    return sections.FormState(
        form=form,
        errors=failure.errors if isinstance(failure, ValidationFailed) else {},
        problem=failure.message if isinstance(failure, Conflict) else "",
        posted=posted,
    )


def drawn_forms(overview: queries.CaseEscalation) -> set[str]:
    """The forms the escalation section draws for this reader and case (see the template)."""
    drawn: set[str] = set()
    if overview.up and overview.can_escalate:
        drawn.add(f"move-{overview.up}")
    if overview.down and overview.can_deescalate:
        drawn.add(f"move-{overview.down}")
    if overview.can_record:
        drawn.add("progress")
    return drawn


def section_problems(form: sections.FormState, drawn: set[str]) -> list[str]:
    """What went wrong with a form of this section, shown at the top of the section: a
    conflict always (a stale or closed case), field errors when their form is not drawn
    any more (they show at the fields otherwise)."""
    if not (form.form.startswith("move-") or form.form == "progress"):
        return []
    problems = [form.problem] if form.problem else []
    if form.form not in drawn:
        problems += list(form.errors.values())
    return problems


async def _case_page(
    request: Req,
    actor: Actor,
    directory: DirectoryDep,
    ladder: LadderDep,
    reference: str,
    form: sections.FormState,
) -> Template:
    # The case page shown again with the form's problem is a read of the case, logged.
    case = await cases.get_case(actor, reference, directory, ladder)
    return await render_case_page(request, actor, directory, ladder, case, form)


def install_sections(config: EscalationConfig) -> None:
    """Add the ladder section to the case page and the deadline panels to the dashboard."""

    async def case_section(
        actor: Actor, case: cases.CaseView, form: sections.FormState
    ) -> sections.Section:
        overview = await queries.case_escalation(actor, case, config)
        return sections.Section(
            "escalation/_case_section.html",
            {
                "overview": overview,
                "ladder": config.ladder,
                "obstacles": config.obstacles,
                "labels": LABELS,
                "form": form,
                "problems": section_problems(form, drawn_forms(overview)),
            },
        )

    async def dashboard_section(actor: Actor) -> sections.Section | None:
        if not actor.can_see_cases:
            return None
        board = await queries.dashboard(actor, config)
        return sections.Section(
            "escalation/_dashboard_section.html",
            {"board": board, "ladder": config.ladder, "labels": LABELS},
        )

    sections.register_case_section("escalation", case_section)
    sections.register_dashboard_section("escalation", dashboard_section)
