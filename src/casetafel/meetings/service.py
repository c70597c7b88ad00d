"""Planning case conferences and changing them: every change the attendees must hear of
raises the meeting's SEQUENCE and queues their iMIP messages in the same transaction.

Moving a meeting or changing its place asks everybody to answer again (PARTSTAT back to
NEEDS-ACTION); adding or removing an attendee keeps the others' answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.accounts.models import User
from casetafel.cases import service as cases
from casetafel.cases import timeline
from casetafel.cases.models import Case
from casetafel.errors import Conflict, ValidationFailed
from casetafel.meetings import messages
from casetafel.meetings.access import meeting_for, require_planner
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import AgendaItem, Attendee, Meeting, Occurrence
from casetafel.meetings.privacy import personal_data_errors
from casetafel.meetings.recurrence import OccurrenceTime, RecurrenceError, check_rrule
from casetafel.meetings.slots import within_working_hours
from casetafel.organisations.models import Person, Region

ROLES = {"chair": "Voorzitter", "required": "Verplicht", "optional": "Optioneel"}
PARTSTATS = {
    "needs-action": "Nog geen antwoord",
    "accepted": "Komt",
    "tentative": "Misschien",
    "declined": "Komt niet",
}
STALE = "Dit overleg is intussen gewijzigd. Open het opnieuw en voer uw wijziging nog eens in."
MAX_TITLE = 200
MAX_DURATION = timedelta(hours=10)


@dataclass(frozen=True)
class AttendeeChoice:
    """A user (user_id) or a person (person_id) and their role: chair, required, optional."""

    role: str
    user_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class AgendaEntry:
    reference: str
    question: str = ""


@dataclass(frozen=True)
class MeetingDraft:
    kind: str
    title: str
    start: datetime
    end: datetime
    attendees: list[AttendeeChoice]
    cases: list[AgendaEntry] = field(default_factory=list)
    location: str = ""
    video_url: str = ""
    rrule: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class Planned:
    meeting_id: int
    warnings: list[str]


async def plan_meeting(actor: Actor, draft: MeetingDraft, ctx: MeetingContext) -> Planned:
    require_planner(actor)
    agenda_cases = [
        (
            await cases.visible_case(actor, entry.reference, ctx.directory, ctx.escalation.ladder),
            entry,
        )
        for entry in draft.cases
    ]
    people = await _people(draft.attendees)
    errors = _check_draft(draft, ctx, people, [case for case, _ in agenda_cases])
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    region = await Region.objects().where(Region.id == actor.region_id).first()
    assert region is not None
    async with db.transaction():
        meeting = Meeting(
            uid=f"{uuid.uuid4()}@casetafel",
            region=region.id,
            kind=draft.kind,
            level=draft.level,
            title=draft.title.strip(),
            start_at=draft.start,
            end_at=draft.end,
            location=draft.location.strip(),
            video_url=draft.video_url.strip(),
            organizer_email=region.mailbox,
            organizer_name=region.zvh_name,
            status="planned",
            sequence=0,
            rrule=draft.rrule,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        await meeting.save()
        for choice, person in zip(draft.attendees, people, strict=True):
            await Attendee(
                meeting=meeting.id,
                user=choice.user_id,
                person=choice.person_id,
                email=person["email"],
                name=person["name"],
                role=choice.role,
                partstat="needs-action",
            ).save()
        for position, (case, entry) in enumerate(agenda_cases, start=1):
            await AgendaItem(
                meeting=meeting.id,
                occurrence_at=draft.start if draft.rrule else None,
                case=case.id,
                question=entry.question.strip(),
                position=position,
                referred_by=actor.user_id,
                created_at=now,
            ).save()
            moment = messages.when(draft.start, draft.end)
            summary = f"{ctx.meetings.name(draft.kind)} gepland op {moment}"
            await timeline.add(case.id, "meeting.planned", summary, actor)
        await audit.record(
            actor,
            "meeting.plan",
            details={"meeting": meeting.id, "references": [c.reference for c, _ in agenda_cases]},
        )
        snapshot = await load_snapshot(meeting, ctx)
        await messages.send(snapshot, "invite", snapshot.attendees, ctx)
    return Planned(meeting.id, _warnings(draft.start, draft.end, ctx))


async def reschedule(
    actor: Actor,
    meeting_id: int,
    *,
    start: datetime,
    end: datetime,
    location: str,
    video_url: str,
    expected_version: int | None,
    ctx: MeetingContext,
) -> list[str]:
    """Move the meeting or change its place: a REQUEST with a higher SEQUENCE to everyone."""
    meeting = await meeting_for(actor, meeting_id, manage=True)
    _check_open(meeting)
    errors = _check_times(start, end, meeting.rrule)
    errors.update(_check_place(location, video_url))
    place = {"location": location, "video_url": video_url}
    for key, problem in personal_data_errors(place, await agenda_cases(meeting.id)).items():
        errors.setdefault(key, problem)
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        meeting = await locked(meeting_id, expected_version)
        _check_open(meeting)
        moved = (start, end) != (meeting.start_at, meeting.end_at)
        changed = moved or (location.strip(), video_url.strip()) != (
            meeting.location,
            meeting.video_url,
        )
        if not changed:
            return []
        await _bump(
            meeting,
            {
                Meeting.start_at: start,
                Meeting.end_at: end,
                Meeting.location: location.strip(),
                Meeting.video_url: video_url.strip(),
            },
        )
        await Attendee.update({Attendee.partstat: "needs-action"}).where(
            (Attendee.meeting == meeting.id) & Attendee.removed_at.is_null()
        )
        await _case_timeline(
            meeting, f"Overleg verplaatst naar {messages.when(start, end)}", actor, ctx
        )
        await audit.record(actor, "meeting.reschedule", details={"meeting": meeting.id})
        snapshot = await load_snapshot(await reload(meeting.id), ctx)
        await messages.send(snapshot, "update", snapshot.attendees, ctx)
    return _warnings(start, end, ctx)


async def cancel_meeting(
    actor: Actor, meeting_id: int, *, expected_version: int | None, ctx: MeetingContext
) -> None:
    """Call the meeting off: a CANCEL to everyone still invited."""
    await meeting_for(actor, meeting_id, manage=True)
    async with db.transaction():
        meeting = await locked(meeting_id, expected_version)
        if meeting.status == "cancelled":
            raise Conflict("Dit overleg is al geannuleerd.")
        await _bump(meeting, {Meeting.status: "cancelled"})
        await _case_timeline(meeting, "Overleg geannuleerd", actor, ctx)
        await audit.record(actor, "meeting.cancel", details={"meeting": meeting.id})
        snapshot = await load_snapshot(await reload(meeting.id), ctx)
        await messages.send(snapshot, "cancel", snapshot.attendees, ctx)


async def add_attendee(
    actor: Actor,
    meeting_id: int,
    choice: AttendeeChoice,
    *,
    expected_version: int | None,
    ctx: MeetingContext,
) -> None:
    """The new attendee gets a first invitation; the others an updated REQUEST."""
    await meeting_for(actor, meeting_id, manage=True)
    [person] = await _people([choice])
    errors = _check_people([choice], [person])
    async with db.transaction():
        meeting = await locked(meeting_id, expected_version)
        _check_open(meeting)
        present = await _active(meeting.id)
        if any(a.email.lower() == person["email"].lower() for a in present):
            errors["attendee"] = f"{person['name']} is al uitgenodigd."
        if errors:
            raise ValidationFailed(errors)
        added = Attendee(
            meeting=meeting.id,
            user=choice.user_id,
            person=choice.person_id,
            email=person["email"],
            name=person["name"],
            role=choice.role,
            partstat="needs-action",
        )
        await added.save()
        await _bump(meeting, {})
        await audit.record(
            actor, "meeting.attendee_add", details={"meeting": meeting.id, "email": person["email"]}
        )
        snapshot = await load_snapshot(await reload(meeting.id), ctx)
        newcomer = [a for a in snapshot.attendees if a.id == added.id]
        others = [a for a in snapshot.attendees if a.id != added.id]
        await messages.send(snapshot, "invite", newcomer, ctx)
        await messages.send(snapshot, "update", others, ctx)


async def remove_attendee(
    actor: Actor,
    meeting_id: int,
    attendee_id: int,
    *,
    expected_version: int | None,
    ctx: MeetingContext,
) -> None:
    """The removed attendee gets a CANCEL for them alone; the others an updated REQUEST."""
    await meeting_for(actor, meeting_id, manage=True)
    async with db.transaction():
        meeting = await locked(meeting_id, expected_version)
        _check_open(meeting)
        present = await _active(meeting.id)
        removed = next((a for a in present if a.id == attendee_id), None)
        if removed is None:
            raise ValidationFailed({"attendee": "Deze deelnemer staat niet (meer) op de lijst."})
        if len(present) == 1:
            raise ValidationFailed(
                {"attendee": "Een overleg heeft minstens één deelnemer; annuleer het overleg."}
            )
        await Attendee.update({Attendee.removed_at: clock.now()}).where(Attendee.id == removed.id)
        await _bump(meeting, {})
        await audit.record(
            actor,
            "meeting.attendee_remove",
            details={"meeting": meeting.id, "email": removed.email},
        )
        snapshot = await load_snapshot(await reload(meeting.id), ctx)
        await messages.send(snapshot, "uninvite", [removed], ctx)
        await messages.send(snapshot, "update", snapshot.attendees, ctx)


async def load_snapshot(meeting: Meeting, ctx: MeetingContext) -> messages.Snapshot:
    attendees = await _active(meeting.id)
    references = await db.fetch(
        'SELECT DISTINCT c.reference FROM agenda_item a JOIN case_file c ON c.id = a."case"'
        " WHERE a.meeting = {} AND a.occurrence_at IS NULL ORDER BY c.reference",
        meeting.id,
    )
    overrides = await Occurrence.objects().where(Occurrence.meeting == meeting.id)
    return messages.Snapshot(
        meeting=meeting,
        attendees=attendees,
        references=[row["reference"] for row in references],
        kind_name=ctx.meetings.name(meeting.kind),
        overrides=[
            OccurrenceTime(o.recurrence_id, o.start_at, o.end_at, o.status, o.sequence)
            for o in overrides
        ],
    )


async def agenda_cases(meeting_id: int) -> list[Case]:
    """The cases on the agenda of the meeting or of any of its occurrences."""
    rows = await AgendaItem.select(AgendaItem.case).where(AgendaItem.meeting == meeting_id)
    ids = sorted({row["case"] for row in rows})
    if not ids:
        return []
    found: list[Case] = await Case.objects().where(Case.id.is_in(ids))
    return found


async def _active(meeting_id: int) -> list[Attendee]:
    rows: list[Attendee] = (
        await Attendee.objects()
        .where((Attendee.meeting == meeting_id) & Attendee.removed_at.is_null())
        .order_by(Attendee.id)
    )
    return rows


async def _people(choices: list[AttendeeChoice]) -> list[dict[str, Any]]:
    """Name and email of each chosen user or person (empty when unknown or inactive)."""
    found: list[dict[str, Any]] = []
    for choice in choices:
        row: dict[str, Any] | None = None
        if choice.user_id is not None:
            row = (
                await User.select(User.display_name.as_alias("name"), User.email)
                .where((User.id == choice.user_id) & (User.active == True))  # noqa: E712
                .first()
            )
        elif choice.person_id is not None:
            row = (
                await Person.select(Person.name, Person.email)
                .where(Person.id == choice.person_id)
                .first()
            )
        found.append(row or {"name": "", "email": ""})
    return found


def _check_draft(
    draft: MeetingDraft, ctx: MeetingContext, people: list[dict[str, Any]], agenda: list[Case]
) -> dict[str, str]:
    errors: dict[str, str] = {}
    kind = ctx.meetings.kind(draft.kind)
    if kind is None:
        errors["kind"] = "Kies een soort overleg."
    title = draft.title.strip()
    if not title:
        errors["title"] = "Geef het overleg een titel, bijvoorbeeld 'Casusoverleg KEN-2026-0042'."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Maximaal {MAX_TITLE} tekens (nu {len(title)})."
    if draft.rrule is not None and (kind is None or not kind.standing):
        errors["rrule"] = "Alleen een vast overleg (zoals de triage) herhaalt zich."
    errors.update(_check_times(draft.start, draft.end, draft.rrule))
    errors.update(_check_place(draft.location, draft.video_url))
    errors.update(_check_people(draft.attendees, people))
    if draft.level is not None and ctx.escalation.ladder.get(draft.level) is None:
        errors["level"] = "Onbekend niveau."
    closed = [case.reference for case in agenda if case.status != "open"]
    if closed:
        errors["cases"] = f"Afgesloten casussen kunnen niet op de agenda: {', '.join(closed)}."
    texts = {"title": title, "location": draft.location, "video_url": draft.video_url}
    for key, problem in personal_data_errors(texts, agenda).items():
        errors.setdefault(key, problem)
    return errors


def _check_times(start: datetime, end: datetime, rrule: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if end <= start:
        errors["end"] = "Het einde ligt voor of op het begin; kies een later eindtijdstip."
    elif end - start > MAX_DURATION:
        errors["end"] = "Een overleg duurt hooguit een werkdag; kies een eerder eindtijdstip."
    if start < clock.now():
        errors["start"] = "Dit tijdstip ligt in het verleden; kies een moment in de toekomst."
    if rrule is not None:
        try:
            check_rrule(rrule, start)
        except RecurrenceError as problem:
            errors["rrule"] = str(problem)
    return errors


def _check_place(location: str, video_url: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(location.strip()) > 300:
        errors["location"] = f"Maximaal 300 tekens (nu {len(location.strip())})."
    url = video_url.strip()
    if url and (not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url):
        errors["video_url"] = "Geef een volledige link, beginnend met https://."
    return errors


def _check_people(choices: list[AttendeeChoice], people: list[dict[str, Any]]) -> dict[str, str]:
    if not choices:
        return {"attendees": "Nodig minstens één deelnemer uit."}
    for choice, person in zip(choices, people, strict=True):
        if choice.role not in ROLES:
            return {"attendees": "Kies voor elke deelnemer: voorzitter, verplicht of optioneel."}
        if not person["email"]:
            who = person["name"] or "Een gekozen deelnemer"
            return {"attendees": f"{who} heeft geen e-mailadres en kan geen uitnodiging ontvangen."}
    emails = [person["email"].lower() for person in people]
    doubles = sorted({email for email in emails if emails.count(email) > 1})
    if doubles:
        return {"attendees": f"Dubbel uitgenodigd: {', '.join(doubles)}."}
    if sum(1 for choice in choices if choice.role == "chair") > 1:
        return {"attendees": "Een overleg heeft hooguit één voorzitter."}
    return {}


def _warnings(start: datetime, end: datetime, ctx: MeetingContext) -> list[str]:
    hours = (ctx.settings.working_hours_start, ctx.settings.working_hours_end)
    if within_working_hours(start, end, *hours):
        return []
    return [
        "Let op: dit overleg valt buiten de werktijden "
        f"({hours[0]:%H:%M}-{hours[1]:%H:%M}, werkdagen). De uitnodigingen zijn wel verstuurd."
    ]


def _check_open(meeting: Meeting) -> None:
    if meeting.status == "cancelled":
        raise Conflict("Dit overleg is geannuleerd en kan niet meer worden gewijzigd.")


async def locked(meeting_id: int, expected_version: int | None) -> Meeting:
    """The meeting, locked against other changes until the transaction ends (PostgreSQL;
    SQLite serialises write transactions), and checked against the version a form had."""
    if not db.is_sqlite():
        await db.fetch("SELECT id FROM meeting WHERE id = {} FOR UPDATE", meeting_id)
    meeting = await reload(meeting_id)
    if expected_version is not None and meeting.version != expected_version:
        raise Conflict(STALE)
    return meeting


async def reload(meeting_id: int) -> Meeting:
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()
    assert meeting is not None
    return meeting


async def _bump(meeting: Meeting, changes: dict[Any, Any]) -> None:
    """Apply changes with the next SEQUENCE (what attendees compare) and version."""
    sequence = meeting.sequence + 1
    await Meeting.update(
        {
            **changes,
            Meeting.sequence: sequence,
            Meeting.version: meeting.version + 1,
            Meeting.updated_at: clock.now(),
        }
    ).where(Meeting.id == meeting.id)
    await _bump_overrides(meeting.id, sequence)


async def _bump_overrides(meeting_id: int, sequence: int) -> None:
    """A change of the series re-sends its moved occurrences: each needs a SEQUENCE above
    the one its attendees hold for it (its own), or clients keep the old copy."""
    await db.fetch(
        "UPDATE meeting_occurrence SET sequence = CASE WHEN sequence + 1 > {} THEN sequence + 1"
        " ELSE {} END WHERE meeting = {}",
        sequence,
        sequence,
        meeting_id,
    )


async def _case_timeline(
    meeting: Meeting, summary: str, actor: Actor | None, ctx: MeetingContext
) -> None:
    rows = await AgendaItem.select(AgendaItem.case).where(AgendaItem.meeting == meeting.id)
    for case_id in sorted({row["case"] for row in rows}):
        await timeline.add(
            case_id, "meeting.changed", f"{ctx.meetings.name(meeting.kind)}: {summary}", actor
        )
