"""Changing one occurrence of a standing meeting: moved or cancelled, it is sent alone
(RECURRENCE-ID, its own SEQUENCE raised); the series itself does not change."""

from __future__ import annotations

from datetime import datetime

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.cases import timeline
from casetafel.errors import Conflict, ValidationFailed
from casetafel.meetings import messages
from casetafel.meetings.access import meeting_for
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import (
    AgendaItem,
    Attendee,
    Meeting,
    Occurrence,
    OccurrenceReply,
)
from casetafel.meetings.recurrence import OccurrenceTime, is_occurrence
from casetafel.meetings.service import load_snapshot, locked


async def move_occurrence(
    actor: Actor,
    meeting_id: int,
    recurrence_id: datetime,
    *,
    start: datetime,
    end: datetime,
    expected_version: int | None,
    ctx: MeetingContext,
) -> None:
    await meeting_for(actor, meeting_id, manage=True)
    errors: dict[str, str] = {}
    if end <= start:
        errors["end"] = "Het einde ligt voor of op het begin; kies een later eindtijdstip."
    if start < clock.now():
        errors["start"] = "Dit tijdstip ligt in het verleden; kies een moment in de toekomst."
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        meeting = await locked(meeting_id, expected_version)
        occurrence = await _change(meeting, recurrence_id, start, end, "planned")
        await _after(meeting, occurrence, "update", actor, ctx)


async def cancel_occurrence(
    actor: Actor,
    meeting_id: int,
    recurrence_id: datetime,
    *,
    expected_version: int | None,
    ctx: MeetingContext,
) -> None:
    await meeting_for(actor, meeting_id, manage=True)
    async with db.transaction():
        meeting = await locked(meeting_id, expected_version)
        existing = await _override(meeting.id, recurrence_id)
        if existing is not None and existing.status == "cancelled":
            raise Conflict("Deze bijeenkomst is al geannuleerd.")
        start = existing.start_at if existing else recurrence_id
        end = existing.end_at if existing else recurrence_id + (meeting.end_at - meeting.start_at)
        occurrence = await _change(meeting, recurrence_id, start, end, "cancelled")
        await _after(meeting, occurrence, "cancel", actor, ctx)


async def _change(
    meeting: Meeting, recurrence_id: datetime, start: datetime, end: datetime, status: str
) -> OccurrenceTime:
    if meeting.rrule is None:
        raise ValidationFailed({"occurrence": "Dit overleg is geen reeks."})
    if meeting.status == "cancelled":
        raise Conflict("Dit overleg is geannuleerd en kan niet meer worden gewijzigd.")
    if not is_occurrence(meeting.start_at, meeting.rrule, recurrence_id):
        raise ValidationFailed({"occurrence": "Deze bijeenkomst hoort niet bij de reeks."})
    existing = await _override(meeting.id, recurrence_id)
    current_start = existing.start_at if existing else recurrence_id
    if current_start < clock.now():
        raise Conflict("Deze bijeenkomst is al geweest.")
    # Above what every attendee holds for this occurrence: the series' or its own.
    sequence = max(meeting.sequence, existing.sequence if existing else 0) + 1
    if existing is None:
        await Occurrence(
            meeting=meeting.id,
            recurrence_id=recurrence_id,
            start_at=start,
            end_at=end,
            status=status,
            sequence=sequence,
        ).save()
    else:
        await Occurrence.update(
            {
                Occurrence.start_at: start,
                Occurrence.end_at: end,
                Occurrence.status: status,
                Occurrence.sequence: sequence,
            }
        ).where(Occurrence.id == existing.id)
    await Meeting.update(
        {Meeting.version: meeting.version + 1, Meeting.updated_at: clock.now()}
    ).where(Meeting.id == meeting.id)
    # Answers for this occurrence were for its old time.
    await OccurrenceReply.delete().where(
        (OccurrenceReply.recurrence_id == recurrence_id)
        & OccurrenceReply.attendee.is_in(
            [row["id"] for row in await _attendee_ids(meeting.id)] or [0]
        )
    )
    return OccurrenceTime(recurrence_id, start, end, status, sequence)


async def _after(
    meeting: Meeting,
    occurrence: OccurrenceTime,
    kind: messages.Kind,
    actor: Actor,
    ctx: MeetingContext,
) -> None:
    assert occurrence.recurrence_id is not None
    moment = messages.when(occurrence.start_at, occurrence.end_at)
    summary = (
        f"{ctx.meetings.name(meeting.kind)}: bijeenkomst verplaatst naar {moment}"
        if kind == "update"
        else f"{ctx.meetings.name(meeting.kind)}: bijeenkomst van {moment} geannuleerd"
    )
    items = await AgendaItem.select(AgendaItem.case).where(
        (AgendaItem.meeting == meeting.id) & (AgendaItem.occurrence_at == occurrence.recurrence_id)
    )
    for case_id in sorted({row["case"] for row in items}):
        await timeline.add(case_id, "meeting.changed", summary, actor)
    await audit.record(
        actor,
        "meeting.occurrence_" + ("move" if kind == "update" else "cancel"),
        details={"meeting": meeting.id, "occurrence": occurrence.recurrence_id.isoformat()},
    )
    snapshot = await load_snapshot(meeting, ctx)
    await messages.send(snapshot, kind, snapshot.attendees, ctx, occurrence=occurrence)


async def _override(meeting_id: int, recurrence_id: datetime) -> Occurrence | None:
    row: Occurrence | None = (
        await Occurrence.objects()
        .where((Occurrence.meeting == meeting_id) & (Occurrence.recurrence_id == recurrence_id))
        .first()
    )
    return row


async def _attendee_ids(meeting_id: int) -> list[dict[str, int]]:
    rows: list[dict[str, int]] = await Attendee.select(Attendee.id).where(
        Attendee.meeting == meeting_id
    )
    return rows
