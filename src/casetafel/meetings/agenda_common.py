"""What the agenda, its referrals and its actions share: the limits of their texts and the
mask for what a reader may not see, where a changed item is (ItemRef), finding a case for the
agenda, loading and locking a meeting or an item, appending an item, when an occurrence is
actually held, the audit event of a change to an item, and time conversions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.cases import service as cases
from casetafel.cases import timeline
from casetafel.cases.models import Case
from casetafel.errors import Conflict, NotFound, ValidationFailed
from casetafel.meetings.access import NOT_FOUND, meeting_for
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import AgendaItem, Meeting, Occurrence
from casetafel.meetings.privacy import FIELDS, fields_naming
from casetafel.meetings.recurrence import OccurrenceTime

MAX_TEXT = 1000
MASKED = "[afgeschermd]"
ITEM_NOT_FOUND = "Dit agendapunt bestaat niet (meer) of u heeft er geen toegang toe."


def anchor_of(occurrence_at: datetime | None) -> str:
    """The id of an agenda on the meeting page: one per occurrence of a series."""
    if occurrence_at is None:
        return "agenda"
    return f"agenda-{occurrence_at.astimezone(UTC):%Y%m%dT%H%MZ}"


@dataclass(frozen=True)
class ItemRef:
    """Where a changed agenda item is: for the redirect back to it."""

    meeting_id: int
    occurrence_at: datetime | None
    reference: str

    @property
    def anchor(self) -> str:
        return anchor_of(self.occurrence_at)


async def case_for_agenda(actor: Actor, reference: str, ctx: MeetingContext) -> Case:
    if not reference.strip():
        raise ValidationFailed(
            {"reference": "Vul het kenmerk van de casus in, bijvoorbeeld KEN-2026-0042."}
        )
    try:
        case = await cases.visible_case(actor, reference, ctx.directory, ctx.escalation.ladder)
    except NotFound:
        shown = reference.strip()[:40]
        raise ValidationFailed(
            {"reference": f"Casus {shown} bestaat niet of u heeft er geen toegang toe."}
        ) from None
    if case.status != "open":
        raise ValidationFailed(
            {"reference": f"Casus {case.reference} is afgesloten en kan niet op de agenda."}
        )
    return case


async def managed_item(
    actor: Actor, item_id: int, meeting_id: int | None
) -> tuple[AgendaItem, Meeting, Case]:
    item = await AgendaItem.objects().where(AgendaItem.id == item_id).first()
    if item is None or (meeting_id is not None and item.meeting != meeting_id):
        raise NotFound(ITEM_NOT_FOUND)
    meeting = await meeting_for(actor, item.meeting, manage=True)
    case = await Case.objects().where(Case.id == item.case).first()
    assert case is not None
    return item, meeting, case


async def lock_meeting(meeting_id: int) -> Meeting:
    """The meeting, locked so that two agenda changes do not number items alike."""
    if not db.is_sqlite():
        await db.fetch("SELECT id FROM meeting WHERE id = {} FOR UPDATE", meeting_id)
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()
    if meeting is None:
        raise NotFound(NOT_FOUND)
    return meeting


async def siblings(meeting_id: int, slot: datetime | None) -> list[AgendaItem]:
    at = AgendaItem.occurrence_at.is_null() if slot is None else AgendaItem.occurrence_at == slot
    rows: list[AgendaItem] = (
        await AgendaItem.objects()
        .where((AgendaItem.meeting == meeting_id) & at)
        .order_by(AgendaItem.position)
        .order_by(AgendaItem.id)
    )
    return rows


async def append_item(
    actor: Actor,
    meeting: Meeting,
    slot: datetime | None,
    case: Case,
    question: str,
    *,
    referred: bool,
) -> AgendaItem:
    held = await occurrence_time(meeting, slot)
    if meeting.status == "cancelled" or held.status == "cancelled":
        raise Conflict("Dit overleg is geannuleerd; kies een ander overleg of een andere datum.")
    order = await siblings(meeting.id, slot)
    if any(row.case == case.id for row in order):
        raise ValidationFailed({"reference": f"Casus {case.reference} staat al op deze agenda."})
    _check_meeting_texts(meeting, case)
    item = AgendaItem(
        meeting=meeting.id,
        occurrence_at=slot,
        case=case.id,
        question=question,
        position=max((row.position for row in order), default=0) + 1,
        referred_by=actor.user_id,
        created_at=clock.now(),
    )
    await item.save()
    verb = "Verwezen naar" if referred else "Geagendeerd voor"
    summary = f"{verb} {meeting.title} van {_moment(held.start_at)}"
    casework = f"Vraag aan het overleg: {question}" if question else ""
    await timeline.add(case.id, "agenda.added", summary, actor, casework=casework)
    await audit_item(actor, "agenda.refer" if referred else "agenda.add", case, item)
    return item


def _check_meeting_texts(meeting: Meeting, case: Case) -> None:
    """The invites carry the meeting's title and place: these may not name the subject of a
    case that joins the agenda."""
    texts = {"title": meeting.title, "location": meeting.location, "video_url": meeting.video_url}
    named = fields_naming(texts, [case])
    if named:
        fields = " en ".join(FIELDS[field].lower() for field in named).capitalize()
        names, go = ("noemen", "gaan") if len(named) > 1 else ("noemt", "gaat")
        raise ValidationFailed(
            {
                "reference": f"{fields} van dit overleg {names} de betrokkene van casus "
                f"{case.reference} (naam of geboortedatum) en {go} per e-mail naar alle "
                "deelnemers. Agendeer de casus bij een ander overleg of pas het overleg aan."
            }
        )


async def occurrence_time(meeting: Meeting, slot: datetime | None) -> OccurrenceTime:
    return await actual_time(meeting.id, meeting.start_at, meeting.end_at, slot)


async def actual_time(
    meeting_id: int, start_at: datetime, end_at: datetime, slot: datetime | None
) -> OccurrenceTime:
    """When an occurrence actually takes place (moved or cancelled applied)."""
    if slot is None:
        return OccurrenceTime(None, start_at, end_at, "planned", 0)
    override = (
        await Occurrence.objects()
        .where((Occurrence.meeting == meeting_id) & (Occurrence.recurrence_id == slot))
        .first()
    )
    if override is None:
        return OccurrenceTime(slot, slot, slot + (end_at - start_at), "planned", 0)
    return OccurrenceTime(
        slot, override.start_at, override.end_at, override.status, override.sequence
    )


async def where(meeting: Meeting, item: AgendaItem) -> str:
    held = await occurrence_time(meeting, item.occurrence_at)
    return f"{meeting.title} van {_moment(held.start_at)}"


def _moment(at: datetime) -> str:
    return f"{clock.local(at):%d-%m-%Y %H:%M}"


async def audit_item(
    actor: Actor, action: str, case: Case, item: AgendaItem, **details: Any
) -> None:
    await audit.record(
        actor,
        action,
        case_id=case.id,
        case_reference=case.reference,
        details={
            "meeting": item.meeting,
            "occurrence": iso(item.occurrence_at),
            "item": item.id,
            **details,
        },
    )


def check_text(
    field: str, text: str, limit: int, label: str, *, required: bool = False
) -> dict[str, str]:
    length = len(text.strip())
    if required and not length:
        return {field: f"{label} is leeg; vul het in."}
    if length > limit:
        return {field: f"{label} is te lang: maximaal {limit} tekens (nu {length})."}
    return {}


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def instant(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
