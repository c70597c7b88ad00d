"""The meetings pages: the list, planning (with proposed times), a meeting's page and its
forms, and the RSVP page that attendees open from their email without logging in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from casetafel import clock
from casetafel.access.policy import Actor
from casetafel.cases.forms import single, version
from casetafel.errors import Conflict, ServiceError, ValidationFailed
from casetafel.meetings import agenda, planning, queries, rsvp, series, service
from casetafel.meetings.access import require_planner
from casetafel.meetings.forms import (
    REPEATS,
    PlanForm,
    attendee_choices,
    chosen_times,
    minutes,
    rrule_of,
    typed_times,
    window,
)
from casetafel.meetings.messages import when
from casetafel.meetings.slots import SlotSearch
from casetafel.meetings.web import context
from casetafel.web.auth import PUBLIC, permission
from casetafel.web.deps import CurrentActor
from casetafel.web.pages import page

Req = Request[Any, Any, State]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# A series shows the agendas of its next few occurrences.
AGENDAS_SHOWN = 3
LABELS = {
    "roles": service.ROLES,
    "partstats": service.PARTSTATS,
    "repeats": REPEATS,
    "answers": rsvp.ANSWERS,
}


class MeetingViews(Controller):
    opt = permission("meeting.plan")
    include_in_schema = False

    @get("/overleggen", name="meetings", opt=permission("meeting.attend"))
    async def list_meetings(self, request: Req, actor: CurrentActor) -> Template:
        ctx = context(request)
        rows = await queries.list_meetings(actor, ctx)
        return page(
            request,
            "meetings/list.html",
            actor,
            nav_active="meetings",
            rows=rows,
            kinds=ctx.meetings,
            when=when,
        )

    @get("/overleggen/plannen", name="plan_meeting")
    async def plan_form(
        self, request: Req, actor: CurrentActor, casus: FromQuery[str | None] = None
    ) -> Template:
        ctx = context(request)
        require_planner(actor)
        defaults = await queries.plan_defaults(actor, casus, ctx)
        kind = ctx.meetings.kind(defaults.kind)
        raw: dict[str, Any] = {
            "reference": casus or "",
            "kind": defaults.kind,
            "title": defaults.title,
            "level": defaults.level or "",
            "duration": str(int(kind.duration.total_seconds() // 60)) if kind else "60",
            "window_start": clock.today().isoformat(),
            "window_end": clock.local(defaults.window_end).date().isoformat(),
            "invite": [c.key for c in defaults.candidates if c.suggested_role],
            **{f"role_{c.key}": c.suggested_role for c in defaults.candidates if c.suggested_role},
            "repeat": "none",
        }
        return await _plan_page(request, actor, PlanForm(raw), defaults.candidates, None, {})

    @post("/overleggen/plannen")
    async def plan(self, request: Req, actor: CurrentActor, data: Form) -> Response[Any]:
        ctx = context(request)
        require_planner(actor)
        form = PlanForm(data)
        defaults = await queries.plan_defaults(actor, form.get("reference") or None, ctx)
        errors: dict[str, str] = {}
        choices = attendee_choices(form, errors)
        if form.get("action") == "zoeken":
            return await _search(request, actor, form, choices, defaults.candidates, errors)
        times = chosen_times(form, errors)
        rrule = rrule_of(form, times[0] if times else None, errors)
        if errors or times is None:
            return await _plan_page(request, actor, form, defaults.candidates, None, errors)
        reference = form.get("reference")
        draft = service.MeetingDraft(
            kind=form.get("kind"),
            title=form.get("title"),
            start=times[0],
            end=times[1],
            attendees=choices,
            cases=[service.AgendaEntry(reference, form.get("question"))] if reference else [],
            location=form.get("location"),
            video_url=form.get("video_url"),
            rrule=rrule,
            level=form.get("level") or None,
        )
        try:
            result = await service.plan_meeting(actor, draft, ctx)
        except ValidationFailed as failure:
            return await _plan_page(request, actor, form, defaults.candidates, None, failure.errors)
        flash = "gepland-buiten-werktijd" if result.warnings else "gepland"
        return Redirect(f"/overleggen/{result.meeting_id}?melding={flash}")

    @get("/overleggen/{meeting_id:int}", name="meeting", opt=permission("meeting.attend"))
    async def detail(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int]
    ) -> Template:
        return await _meeting_page(request, actor, meeting_id)

    @post("/overleggen/{meeting_id:int}/verplaatsen")
    async def reschedule(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], data: Form
    ) -> Response[Any]:
        posted = {
            k: single(data, k) for k in ("date", "start_time", "end_time", "location", "video_url")
        }
        errors: dict[str, str] = {}
        times = typed_times(posted["date"], posted["start_time"], posted["end_time"], errors)

        async def change() -> None:
            if errors or times is None:
                raise ValidationFailed(errors)
            warnings = await service.reschedule(
                actor,
                meeting_id,
                start=times[0],
                end=times[1],
                location=posted["location"],
                video_url=posted["video_url"],
                expected_version=version(data),
                ctx=context(request),
            )
            if warnings:
                raise _Warned

        return await _act(request, actor, meeting_id, "move", posted, change, "overleg-verplaatst")

    @post("/overleggen/{meeting_id:int}/annuleren")
    async def cancel(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], data: Form
    ) -> Response[Any]:
        async def change() -> None:
            await service.cancel_meeting(
                actor, meeting_id, expected_version=version(data), ctx=context(request)
            )

        return await _act(request, actor, meeting_id, "cancel", {}, change, "overleg-geannuleerd")

    @post("/overleggen/{meeting_id:int}/deelnemers")
    async def add_attendee(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], data: Form
    ) -> Response[Any]:
        posted = {k: single(data, k) for k in ("candidate", "role")}

        async def change() -> None:
            choice = queries.choice_of(posted["candidate"], posted["role"] or "required")
            if choice is None:
                raise ValidationFailed({"candidate": "Kies wie u wilt uitnodigen."})
            await service.add_attendee(
                actor, meeting_id, choice, expected_version=version(data), ctx=context(request)
            )

        return await _act(request, actor, meeting_id, "attendee", posted, change, "uitgenodigd")

    @post("/overleggen/{meeting_id:int}/deelnemers/{attendee_id:int}/verwijderen")
    async def remove_attendee(
        self,
        request: Req,
        actor: CurrentActor,
        meeting_id: FromPath[int],
        attendee_id: FromPath[int],
        data: Form,
    ) -> Response[Any]:
        async def change() -> None:
            await service.remove_attendee(
                actor, meeting_id, attendee_id, expected_version=version(data), ctx=context(request)
            )

        return await _act(request, actor, meeting_id, "attendee", {}, change, "afgemeld")

    @post("/overleggen/{meeting_id:int}/bijeenkomsten")
    async def occurrence(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], data: Form
    ) -> Response[Any]:
        posted = {
            k: single(data, k)
            for k in ("recurrence_id", "action", "date", "start_time", "end_time")
        }
        prefix = f"bijeenkomst-{posted['recurrence_id']}-"

        async def change() -> None:
            try:
                recurrence_id = datetime.fromisoformat(posted["recurrence_id"])
            except ValueError:
                raise ValidationFailed({"occurrence": "Onbekende bijeenkomst."}) from None
            ctx = context(request)
            if posted["action"] == "annuleren":
                await series.cancel_occurrence(
                    actor, meeting_id, recurrence_id, expected_version=version(data), ctx=ctx
                )
                return
            errors: dict[str, str] = {}
            times = typed_times(posted["date"], posted["start_time"], posted["end_time"], errors)
            if errors or times is None:
                raise ValidationFailed(errors)
            await series.move_occurrence(
                actor,
                meeting_id,
                recurrence_id,
                start=times[0],
                end=times[1],
                expected_version=version(data),
                ctx=ctx,
            )

        return await _act(
            request, actor, meeting_id, prefix, posted, change, "bijeenkomst-gewijzigd"
        )

    @post("/overleggen/{meeting_id:int}/antwoord", opt=permission("meeting.attend"))
    async def upload_reply(
        self, request: Req, actor: CurrentActor, meeting_id: FromPath[int], data: Upload
    ) -> Response[Any]:
        upload = data.get("bestand")
        result_holder: list[rsvp.ReplyResult] = []

        async def change() -> None:
            if not isinstance(upload, UploadFile):
                raise ValidationFailed({"bestand": "Kies een .eml- of .ics-bestand."})
            raw = await upload.read()
            if len(raw) > 1_000_000:
                raise ValidationFailed({"bestand": "Dit bestand is te groot (meer dan 1 MB)."})
            result_holder.append(await rsvp.upload_reply(actor, meeting_id, raw, context(request)))

        response = await _act(request, actor, meeting_id, "reply", {}, change, "antwoord")
        if result_holder and result_holder[0].outcome == "ignored":
            return await _meeting_page(request, actor, meeting_id, notice=result_holder[0].message)
        return response


class RsvpViews(Controller):
    """Opened from the invite without logging in: the signed link is the credential."""

    opt = permission(PUBLIC)

    include_in_schema = False

    @get("/rsvp/{token:str}", name="rsvp")
    async def show(self, request: Req, token: FromPath[str]) -> Template:
        view = await rsvp.open_link(token, context(request))
        return _rsvp_page(request, view, token, {}, {})

    @post("/rsvp/{token:str}")
    async def answer(self, request: Req, token: FromPath[str], data: Form) -> Template:
        posted = {k: single(data, k) for k in ("partstat", "comment")}
        ctx = context(request)
        try:
            view = await rsvp.answer_by_link(token, posted["partstat"], posted["comment"], ctx)
        except ValidationFailed as failure:
            view = await rsvp.open_link(token, ctx)
            return _rsvp_page(request, view, token, failure.errors, posted, status=422)
        return _rsvp_page(request, view, token, {}, {}, thanked=True)


class _Warned(Exception):
    """The change was made, with a warning to show (outside working hours)."""


async def _act(
    request: Req,
    actor: Actor,
    meeting_id: int,
    form: str,
    posted: dict[str, str],
    change: Any,
    flash: str,
) -> Response[Any]:
    """Run a change of the meeting page; on a problem show the page again with it at the form."""
    try:
        await change()
    except _Warned:
        return Redirect(f"/overleggen/{meeting_id}?melding={flash}-buiten-werktijd")
    except (ValidationFailed, Conflict) as failure:
        return await _meeting_page(
            request, actor, meeting_id, form=form, failure=failure, posted=posted
        )
    return Redirect(f"/overleggen/{meeting_id}?melding={flash}")


async def _meeting_page(
    request: Req,
    actor: Actor,
    meeting_id: int,
    *,
    form: str = "",
    failure: ServiceError | None = None,
    posted: dict[str, str] | None = None,
    notice: str = "",
) -> Template:
    ctx = context(request)
    data = await queries.meeting_page(actor, meeting_id, ctx)
    slots = (
        [o.recurrence_id for o in data.occurrences[:AGENDAS_SHOWN]]
        if data.meeting.rrule
        else [None]
    )
    agendas = [await agenda.agenda_for(actor, data.meeting, slot, ctx) for slot in slots]
    candidates = await queries.candidates(actor, {}, ctx) if data.can_manage else []
    errors = failure.errors if isinstance(failure, ValidationFailed) else {}
    status = failure.status_code if failure else 200
    return page(
        request,
        "meetings/detail.html",
        actor,
        nav_active="meetings",
        data=data,
        meeting=data.meeting,
        agendas=agendas,
        candidate_options=[
            (c.key, f"{c.name} ({c.organisation})")
            for c in candidates
            if c.email.lower() not in {a.email.lower() for a in data.attendees}
        ],
        labels=LABELS,
        when=when,
        local=clock.local,
        form=form,
        errors=errors,
        problem=failure.message if isinstance(failure, Conflict) else "",
        posted=posted or {},
        notice=notice,
        status_code=status,
    )


async def _search(
    request: Req,
    actor: Actor,
    form: PlanForm,
    choices: list[service.AttendeeChoice],
    candidates: list[queries.Candidate],
    errors: dict[str, str],
) -> Template:
    duration = minutes(form, errors)
    period = window(form, errors)
    search: SlotSearch | None = None
    if not errors and duration and period:
        try:
            search = await planning.propose(actor, choices, duration, *period, context(request))
        except ValidationFailed as failure:
            errors.update(failure.errors)
    return await _plan_page(request, actor, form, candidates, search, errors)


async def _plan_page(
    request: Req,
    actor: Actor,
    form: PlanForm,
    candidates: list[queries.Candidate],
    search: SlotSearch | None,
    errors: dict[str, str],
) -> Template:
    ctx = context(request)
    names = {c.key: c.name for c in candidates}
    return page(
        request,
        "meetings/plan.html",
        actor,
        nav_active="meetings",
        form=form,
        candidates=candidates,
        kind_options=[(kind.key, kind.name) for kind in ctx.meetings.kinds],
        search=search,
        names=names,
        labels=LABELS,
        when=when,
        errors=errors,
        status_code=422 if errors else 200,
    )


def _rsvp_page(
    request: Req,
    view: rsvp.RsvpView,
    token: str,
    errors: dict[str, str],
    posted: dict[str, str],
    *,
    thanked: bool = False,
    status: int = 200,
) -> Template:
    return page(
        request,
        "meetings/rsvp.html",
        None,
        view=view,
        token=token,
        labels=LABELS,
        when=when,
        errors=errors,
        posted=posted,
        thanked=thanked,
        status_code=status,
    )
