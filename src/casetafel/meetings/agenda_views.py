"""The agenda's forms (on the meeting page), the referral form and the actions on the case
page, and the overdue actions on the dashboard.

A form on the meeting page posted with problems answers with a short Dutch error page that
names them (status 422, or 409 for a conflict): the meeting page belongs to the meetings
views, which render it. The referral form on the case page comes back on the case page with
the problems at its fields, as the escalation forms do.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response

from casetafel import clock
from casetafel.access.policy import Actor
from casetafel.cases import sections
from casetafel.cases import service as cases
from casetafel.cases.forms import single
from casetafel.cases.views import render_case_page
from casetafel.errors import Conflict, ValidationFailed
from casetafel.escalation.config import EscalationConfig
from casetafel.meetings import actions, agenda, referrals
from casetafel.meetings.agenda_common import ItemRef
from casetafel.meetings.config import MeetingsConfig
from casetafel.meetings.web import context
from casetafel.web.auth import permission
from casetafel.web.deps import CurrentActor, DirectoryDep, LadderDep
from casetafel.web.errors import error_response

Req = Request[Any, Any, State]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
# Where a form may send the user back to: a case, a meeting (at an agenda) or the dashboard.
_BACK = re.compile(r"/(casussen/[A-Z0-9-]{1,40}|overleggen/\d{1,12}(#agenda[0-9TZ-]{0,20})?)?")


class AgendaItemViews(Controller):
    opt = permission("meeting.plan")
    include_in_schema = False

    @post("/overleggen/{meeting_id:int}/agenda")
    async def add(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], data: Form
    ) -> Response[Any]:

        async def change() -> ItemRef:
            return await agenda.add_item(
                actor,
                meeting_id,
                single(data, "reference"),
                single(data, "question"),
                _occurrence(single(data, "occurrence_at")),
                context(request),
            )

        return await _run(request, change, "geagendeerd")

    @post("/overleggen/{meeting_id:int}/agenda/{item_id:int}/omhoog")
    async def up(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], item_id: FromPath[int]
    ) -> Response[Any]:
        return await _run(
            request,
            lambda: agenda.move_item(actor, item_id, "up", meeting_id=meeting_id),
            "agenda-volgorde",
        )

    @post("/overleggen/{meeting_id:int}/agenda/{item_id:int}/omlaag")
    async def down(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], item_id: FromPath[int]
    ) -> Response[Any]:
        return await _run(
            request,
            lambda: agenda.move_item(actor, item_id, "down", meeting_id=meeting_id),
            "agenda-volgorde",
        )

    @post("/overleggen/{meeting_id:int}/agenda/{item_id:int}/verwijderen")
    async def remove(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], item_id: FromPath[int]
    ) -> Response[Any]:
        return await _run(
            request,
            lambda: agenda.remove_item(actor, item_id, meeting_id=meeting_id),
            "van-agenda",
        )

    @post("/overleggen/{meeting_id:int}/agenda/{item_id:int}/uitkomst")
    async def outcome(
        self,
        request: Req,
        actor: CurrentActor,
        meeting_id: FromPath[int],
        item_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        text = single(data, "outcome")
        return await _run(
            request,
            lambda: agenda.record_outcome(actor, item_id, text, meeting_id=meeting_id),
            "uitkomst",
        )

    @post("/overleggen/{meeting_id:int}/agenda/{item_id:int}/besluit")
    async def decision(
        self,
        request: Req,
        actor: CurrentActor,
        meeting_id: FromPath[int],
        item_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        text = single(data, "text")
        return await _run(
            request,
            lambda: agenda.record_decision(
                actor, item_id, text, context(request), meeting_id=meeting_id
            ),
            "besluit",
        )

    @post("/overleggen/{meeting_id:int}/agenda/{item_id:int}/acties")
    async def action(
        self,
        request: Req,
        actor: CurrentActor,
        meeting_id: FromPath[int],
        item_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:

        async def change() -> ItemRef:
            organisation_id, person_id = _owner(single(data, "owner"))
            return await actions.add_action(
                actor,
                item_id,
                single(data, "description"),
                organisation_id,
                person_id,
                _due_date(single(data, "due_date")),
                meeting_id=meeting_id,
            )

        return await _run(request, change, "actie")

    @post("/acties/{action_id:int}/gereed", opt=permission("meeting.attend"))
    async def complete(
        self, request: Req, actor: CurrentActor, action_id: FromPath[int], data: Form
    ) -> Response[Any]:
        try:
            reference = await actions.complete_action(actor, action_id)
        except (ValidationFailed, Conflict) as failure:
            return _problem(request, failure)
        return Redirect(_back(single(data, "terug"), f"/casussen/{reference}", "actie-gereed"))

    @post("/casussen/{reference:str}/verwijzen", opt=permission("meeting.refer"))
    async def refer(
        self,
        request: Req,
        actor: CurrentActor,
        directory: DirectoryDep,
        ladder: LadderDep,
        reference: FromPath[str],
        data: Form,
    ) -> Response[Any]:
        posted = {key: single(data, key) for key in ("kind", "question")}
        try:
            await referrals.refer_to_next(
                actor, reference, posted["kind"], posted["question"], context(request)
            )
        except (ValidationFailed, Conflict) as failure:
            form = sections.FormState(
                form=f"verwijzen-{posted['kind']}",
                errors=failure.errors if isinstance(failure, ValidationFailed) else {},
                problem=failure.message if isinstance(failure, Conflict) else "",
                posted=posted,
            )
            case = await cases.get_case(actor, reference, directory, ladder, log_read=False)
            return await render_case_page(request, actor, directory, ladder, case, form)
        return Redirect(f"/casussen/{reference}?melding=verwezen")


async def _run(request: Req, change: Callable[[], Awaitable[ItemRef]], flash: str) -> Response[Any]:
    """Make a change of an agenda; back to that agenda on the meeting page, or an error
    page that names what is wrong."""
    try:
        done = await change()
    except (ValidationFailed, Conflict) as failure:
        return _problem(request, failure)
    return Redirect(f"/overleggen/{done.meeting_id}?melding={flash}#{done.anchor}")


def _problem(request: Req, failure: ValidationFailed | Conflict) -> Response[Any]:
    if isinstance(failure, ValidationFailed):
        text = " ".join(failure.errors.values())
        message = f"Er is niets opgeslagen. {text} Ga terug, pas het aan en probeer het opnieuw."
    else:
        message = f"Er is niets opgeslagen. {failure.message}"
    return error_response(request, failure.status_code, message)


def _occurrence(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"occurrence_at": "Onbekende bijeenkomst."}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _owner(key: str) -> tuple[int | None, int | None]:
    """'organisation:12' or 'person:7' from the owner list; (None, None) for anything else."""
    kind, _, raw = key.partition(":")
    if not raw.isdigit():
        return None, None
    if kind == "organisation":
        return int(raw), None
    if kind == "person":
        return None, int(raw)
    return None, None


def _due_date(text: str) -> date | None:
    """A date as the date field sends it (2026-12-31) or as typed without one (31-12-2026)."""
    if not text:
        return None
    match = _DUTCH_DATE.fullmatch(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"due_date": "Vul een geldige datum in (dd-mm-jjjj)."}) from None


def _back(target: str, default: str, flash: str) -> str:
    """The page a form came from, if it is one of ours; the flash before its fragment."""
    path = target if _BACK.fullmatch(target) else default
    path, _, fragment = path.partition("#")
    return f"{path}?melding={flash}" + (f"#{fragment}" if fragment else "")


def install_sections(meetings: MeetingsConfig, escalation: EscalationConfig) -> None:
    """Add the actions and the referral form to the case page, the overdue actions to the
    dashboard."""
    ladder = escalation.ladder

    async def case_section(
        actor: Actor, case: cases.CaseView, form: sections.FormState
    ) -> sections.Section | None:
        if not actor.can_see_cases:
            return None
        is_open = case.status == "open"
        return sections.Section(
            "meetings/_case_actions.html",
            {
                "actions": await actions.open_actions(actor, case.id, ladder),
                "targets": await referrals.referral_targets(actor, case.region_id, meetings)
                if is_open
                else [],
                "upcoming": await agenda.upcoming_items(actor, case.id, ladder),
                "can_plan": is_open and actor.may("meeting.plan"),
                "form": form,
            },
        )

    async def dashboard_section(actor: Actor) -> sections.Section | None:
        if not actor.can_see_cases:
            return None
        return sections.Section(
            "meetings/_dashboard_actions.html",
            {"rows": await actions.overdue_actions(actor, ladder), "today": clock.today()},
        )

    sections.register_case_section("meetings.actions", case_section)
    sections.register_dashboard_section("meetings.actions", dashboard_section)
