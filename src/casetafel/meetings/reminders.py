"""Reminders to the attendees before each meeting, and before each occurrence of a series.

The reminder moment is `reminder_working_days_before` working days before the start, at the
same local time (Tuesday 10:00 -> Monday 10:00; Monday 10:00 -> the Friday before, or the
Thursday when that Friday is a public holiday). With 0 working days it is the start of the
working day of the meeting itself.

A round queues the reminders whose moment has come for occurrences that have not started: a
round after downtime catches up on what still lies ahead and skips what is past. The outbox
key of a reminder is the meeting's UID, the occurrence's start and the recipient, so a second
round queues nothing twice, while a meeting moved to another time is reminded of again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from casetafel import clock, db
from casetafel.meetings import messages
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Attendee, Meeting, Occurrence, OccurrenceReply
from casetafel.meetings.recurrence import OccurrenceTime, Override, occurrences
from casetafel.meetings.service import load_snapshot

log = logging.getLogger("casetafel.meetings")


def reminder_moment(start: datetime, working_days: int, day_start: time) -> datetime:
    """When the reminder of a meeting starting at `start` is due (UTC)."""
    local = clock.local(start)
    if working_days == 0:
        opening = datetime.combine(local.date(), day_start, tzinfo=clock.AMSTERDAM)
        return min(start, opening.astimezone(UTC))
    day = clock.add_working_days(local.date(), -working_days)
    return datetime.combine(day, local.time(), tzinfo=clock.AMSTERDAM).astimezone(UTC)


def horizon(now: datetime, working_days: int) -> datetime:
    """The end of the last day whose meetings may have a reminder due at `now`: a start on a
    later day is more than `working_days` working days away, so its moment lies ahead."""
    last_day = clock.add_working_days(clock.local(now).date(), working_days)
    return clock.start_of_day(last_day + timedelta(days=1))


async def send_reminders(ctx: MeetingContext, now: datetime | None = None) -> int:
    """Queue every reminder that is due; returns how many emails were new."""
    now = now or clock.now()
    until = horizon(now, ctx.meetings.reminder_working_days_before)
    meetings = await _candidates(now, until)
    overrides = await _overrides([m.id for m in meetings if m.rrule])
    queued = 0
    for meeting in meetings:
        due = _due(meeting, overrides.get(meeting.id, []), now, until, ctx)
        if not due:
            continue
        try:
            queued += await _remind(meeting, due, ctx)
        except Exception:
            # One meeting that cannot be sent must not keep the others' reminders back.
            log.exception("reminders of meeting %s failed; the next round tries again", meeting.id)
    return queued


async def _candidates(now: datetime, until: datetime) -> list[Meeting]:
    """Single meetings starting in (now, until), a range of the index on start_at; and the
    series begun before `until`, the only ones that can have an occurrence there. Two
    queries, so that the first stays an index range whatever the second costs."""
    planned = Meeting.status != "cancelled"
    single: list[Meeting] = await Meeting.objects().where(
        planned & Meeting.rrule.is_null() & (Meeting.start_at > now) & (Meeting.start_at < until)
    )
    standing: list[Meeting] = await Meeting.objects().where(
        planned & Meeting.rrule.is_not_null() & (Meeting.start_at < until)
    )
    return sorted([*single, *standing], key=lambda m: (m.start_at, m.id))


async def _overrides(series_ids: list[int]) -> dict[int, list[Override]]:
    if not series_ids:
        return {}
    rows = await Occurrence.objects().where(Occurrence.meeting.is_in(series_ids))
    found: dict[int, list[Override]] = {}
    for row in rows:
        found.setdefault(row.meeting, []).append(
            Override(row.recurrence_id, row.start_at, row.end_at, row.status, row.sequence)
        )
    return found


def _due(
    meeting: Meeting,
    overrides: Iterable[Override],
    now: datetime,
    until: datetime,
    ctx: MeetingContext,
) -> list[OccurrenceTime]:
    """The planned occurrences not yet started whose reminder moment has come."""
    days = ctx.meetings.reminder_working_days_before
    day_start = ctx.settings.working_hours_start
    expanded = occurrences(
        meeting.start_at,
        meeting.end_at,
        meeting.rrule,
        overrides,
        now,
        until,
        base_sequence=meeting.sequence,
    )
    return [
        o
        for o in expanded
        if o.status != "cancelled"
        and o.start_at > now
        and reminder_moment(o.start_at, days, day_start) <= now
    ]


async def _remind(meeting: Meeting, due: list[OccurrenceTime], ctx: MeetingContext) -> int:
    snapshot = await load_snapshot(meeting, ctx)
    answers = await _occurrence_answers(snapshot.attendees)
    queued = 0
    async with db.transaction():
        for occurrence in due:
            recipients = [
                a for a in snapshot.attendees if _answer(a, occurrence, answers) != "declined"
            ]
            queued += await messages.send(
                snapshot, "reminder", recipients, ctx, occurrence=occurrence
            )
    return queued


async def _occurrence_answers(attendees: list[Attendee]) -> dict[tuple[int, datetime], str]:
    """Answers given for one occurrence of a series, by attendee and original start."""
    if not attendees:
        return {}
    rows = await OccurrenceReply.select(
        OccurrenceReply.attendee, OccurrenceReply.recurrence_id, OccurrenceReply.partstat
    ).where(OccurrenceReply.attendee.is_in([a.id for a in attendees]))
    return {(row["attendee"], _instant(row["recurrence_id"])): row["partstat"] for row in rows}


def _answer(
    attendee: Attendee, occurrence: OccurrenceTime, answers: dict[tuple[int, datetime], str]
) -> str:
    """The attendee's answer for this occurrence: its own, else the one to the meeting."""
    if occurrence.recurrence_id is not None:
        own = answers.get((attendee.id, occurrence.recurrence_id))
        if own is not None:
            return own
    return attendee.partstat


def _instant(value: datetime | str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC)
