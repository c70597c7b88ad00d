"""Read models of the meetings domain: the list of meetings, a meeting's page, the planning
form's defaults for a case, and the busy time of attendees for the slot finder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from casetafel import clock, db
from casetafel.access.policy import Actor
from casetafel.cases import service as cases
from casetafel.meetings.access import may_manage, meeting_for
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.disclosure import PLACEHOLDER, disclosed_to
from casetafel.meetings.models import Attendee, Meeting, Occurrence, OccurrenceReply
from casetafel.meetings.recurrence import OccurrenceTime, Override, occurrences
from casetafel.meetings.service import AttendeeChoice
from casetafel.meetings.slots import Busy
from casetafel.meetings.suggestions import suggested_organisations

UPCOMING_WEEKS = 10
USER_COLUMN = 'a."user"'
DEFAULT_WINDOW_WORKING_DAYS = 10
CHAIR = "u plant het overleg en zit het voor"


@dataclass(frozen=True)
class MeetingRow:
    id: int
    title: str
    kind: str
    next_start: datetime
    next_end: datetime
    status: str
    standing: bool


async def list_meetings(actor: Actor, ctx: MeetingContext) -> list[MeetingRow]:
    """Meetings with an occurrence ahead: the region's for the coordinator, the ones they
    attend for everybody else; a meeting with a case the actor may not see under the
    placeholder title. No case data, so no audit event."""
    now = clock.now()
    if actor.may("meeting.plan") and actor.region_id is not None:
        rows = await Meeting.objects().where(Meeting.region == actor.region_id)
    else:
        rows = await Meeting.objects().where(
            Meeting.id.is_in(
                Attendee.select(Attendee.meeting).where(
                    (Attendee.user == actor.user_id) & Attendee.removed_at.is_null()
                )
            )
        )
    disclosed = await disclosed_to(actor, [m.id for m in rows], ctx.escalation.ladder)
    found: list[MeetingRow] = []
    for meeting in rows:
        upcoming = await upcoming_occurrences(meeting, now, count=1)
        if upcoming:
            first = upcoming[0]
            found.append(
                MeetingRow(
                    meeting.id,
                    meeting.title if meeting.id in disclosed else PLACEHOLDER,
                    meeting.kind,
                    first.start_at,
                    first.end_at,
                    "cancelled" if meeting.status == "cancelled" else first.status,
                    meeting.rrule is not None,
                )
            )
    return sorted(found, key=lambda row: row.next_start)


async def upcoming_occurrences(
    meeting: Meeting, since: datetime, count: int = 8
) -> list[OccurrenceTime]:
    overrides = await Occurrence.objects().where(Occurrence.meeting == meeting.id)
    found = occurrences(
        meeting.start_at,
        meeting.end_at,
        meeting.rrule,
        [Override(o.recurrence_id, o.start_at, o.end_at, o.status, o.sequence) for o in overrides],
        since,
        since + _horizon(meeting.rrule),
        base_sequence=meeting.sequence,
    )
    return found[:count]


def _horizon(rrule: str | None) -> timedelta:
    """How far ahead to look for the next occurrences: a monthly series needs a year."""
    if rrule is None:
        return timedelta(weeks=520)
    return timedelta(weeks=UPCOMING_WEEKS if "FREQ=WEEKLY" in rrule.upper() else 52)


@dataclass(frozen=True)
class AttendeeRow:
    id: int
    name: str
    email: str
    role: str
    partstat: str
    comment: str
    responded_at: datetime | None
    is_person: bool


@dataclass(frozen=True)
class MeetingPage:
    meeting: Meeting
    kind_name: str
    attendees: list[AttendeeRow]
    occurrences: list[OccurrenceTime]
    occurrence_answers: dict[tuple[int, datetime], str]
    can_manage: bool
    # False when the reader may not see every case on the agenda: then the page shows the
    # placeholder title, no place or video link, and no attendee's comment (free text).
    disclosed: bool

    @property
    def title(self) -> str:
        return str(self.meeting.title) if self.disclosed else PLACEHOLDER

    @property
    def location(self) -> str:
        return str(self.meeting.location) if self.disclosed else ""

    @property
    def video_url(self) -> str:
        return str(self.meeting.video_url) if self.disclosed else ""


async def meeting_page(actor: Actor, meeting_id: int, ctx: MeetingContext) -> MeetingPage:
    meeting = await meeting_for(actor, meeting_id)
    can_manage = may_manage(actor, meeting)
    disclosed = can_manage or meeting.id in await disclosed_to(
        actor, [meeting.id], ctx.escalation.ladder
    )
    rows = (
        await Attendee.objects()
        .where((Attendee.meeting == meeting.id) & Attendee.removed_at.is_null())
        .order_by(Attendee.id)
    )
    answers = await OccurrenceReply.select(
        OccurrenceReply.attendee, OccurrenceReply.recurrence_id, OccurrenceReply.partstat
    ).where(OccurrenceReply.attendee.is_in([row.id for row in rows] or [0]))
    return MeetingPage(
        meeting=meeting,
        kind_name=ctx.meetings.name(meeting.kind),
        attendees=[
            AttendeeRow(
                row.id,
                row.name,
                row.email,
                row.role,
                row.partstat,
                row.comment if disclosed else "",
                row.responded_at,
                row.person is not None,
            )
            for row in rows
        ],
        occurrences=await upcoming_occurrences(meeting, clock.now())
        if meeting.rrule
        else [OccurrenceTime(None, meeting.start_at, meeting.end_at, "planned", meeting.sequence)],
        occurrence_answers={
            (a["attendee"], _instant(a["recurrence_id"])): a["partstat"] for a in answers
        },
        can_manage=can_manage,
        disclosed=disclosed,
    )


@dataclass(frozen=True)
class Candidate:
    """Someone the coordinator may invite: a user or a person, with what to show."""

    key: str  # "user:12" or "person:7"
    name: str
    email: str
    organisation: str
    suggested_role: str | None  # pre-selected for this case, or None
    reasons: tuple[str, ...] = ()  # why it is pre-selected, in Dutch


@dataclass(frozen=True)
class PlanDefaults:
    kind: str
    title: str
    level: str | None
    window_end: datetime
    candidates: list[Candidate]


async def plan_defaults(actor: Actor, reference: str | None, ctx: MeetingContext) -> PlanDefaults:
    """For a case: the level's meeting kind, a title by reference, the level's conference
    deadline as the end of the search window, and as attendees the organisations taking
    part in the case and the owners of its level, each with the reason (suggestions.py)."""
    now = clock.now()
    default_end = clock.end_of_working_day(
        clock.add_working_days(clock.today(), DEFAULT_WINDOW_WORKING_DAYS)
    )
    if reference is None:
        kind = next((k.key for k in ctx.meetings.kinds if k.standing), ctx.meetings.kinds[0].key)
        return PlanDefaults(kind, "", None, default_end, await candidates(actor, {}, ctx))
    case = await cases.visible_case(actor, reference, ctx.directory, ctx.escalation.ladder)
    level = ctx.escalation.ladder.get(case.level)
    kind = level.meeting_kind if level else ctx.meetings.kinds[0].key
    due = await db.fetch(
        "SELECT min(due_at) AS due FROM deadline WHERE \"case\" = {} AND state = 'pending'"
        " AND kind = 'conference_due'",
        case.id,
    )
    window_end = _instant(due[0]["due"]) if due and due[0]["due"] else default_end
    if window_end <= now:
        window_end = default_end
    participants = await db.fetch(
        'SELECT organisation FROM case_participant WHERE "case" = {}', case.id
    )
    suggested = suggested_organisations(
        case,
        {int(row["organisation"]) for row in participants},
        level,
        ctx.directory.organisations.values(),
    )
    title = f"{ctx.meetings.name(kind)} {case.reference}"
    found = await candidates(actor, suggested, ctx)
    return PlanDefaults(kind, title, case.level, window_end, found)


async def candidates(
    actor: Actor, suggested: Mapping[int, tuple[str, ...]], ctx: MeetingContext
) -> list[Candidate]:
    """Active users and persons of the region's (and national) organisations; the actor as
    chair and those of the suggested organisations as required, with the reasons."""
    region = actor.region_id
    users = await db.fetch(
        "SELECT u.id, u.display_name, u.email, u.role, o.id AS organisation, o.name AS org_name"
        " FROM app_user u JOIN organisation o ON o.id = u.organisation"
        " WHERE u.active = {} AND u.email <> '' AND u.role IN ('coordinator', 'municipality',"
        " 'partner', 'regiegroep') AND (o.region = {} OR o.national = {})"
        " ORDER BY o.name, u.display_name",
        True,
        region,
        True,
    )
    persons = await db.fetch(
        "SELECT p.id, p.name, p.email, o.id AS organisation, o.name AS org_name"
        " FROM person p JOIN organisation o ON o.id = p.organisation"
        " WHERE p.active = {} AND p.email <> '' AND (o.region = {} OR o.national = {})"
        " ORDER BY o.name, p.name",
        True,
        region,
        True,
    )
    found = [
        Candidate(
            f"user:{row['id']}",
            row["display_name"],
            row["email"],
            row["org_name"],
            *_suggestion(suggested.get(row["organisation"], ()), row["id"] == actor.user_id),
        )
        for row in users
    ]
    found += [
        Candidate(
            f"person:{row['id']}",
            row["name"],
            row["email"],
            row["org_name"],
            *_suggestion(suggested.get(row["organisation"], ()), False),
        )
        for row in persons
    ]
    return found


def _suggestion(reasons: tuple[str, ...], planner: bool) -> tuple[str | None, tuple[str, ...]]:
    """The pre-selected role and its reasons: the planner chairs, a suggested one attends."""
    if planner:
        return "chair", (CHAIR, *reasons)
    return ("required", reasons) if reasons else (None, ())


def choice_of(key: str, role: str) -> AttendeeChoice | None:
    kind, _, raw = key.partition(":")
    if not raw.isdigit() or kind not in {"user", "person"}:
        return None
    if kind == "user":
        return AttendeeChoice(role, user_id=int(raw))
    return AttendeeChoice(role, person_id=int(raw))


async def busy_of(
    choices: list[AttendeeChoice], window_start: datetime, window_end: datetime
) -> dict[str, list[Busy]]:
    """The attendees' other casetafel meetings in the window, per key (user:N, person:N)."""
    keys = {_key(choice): choice for choice in choices}
    user_ids = [c.user_id for c in choices if c.user_id is not None]
    person_ids = [c.person_id for c in choices if c.person_id is not None]
    found: dict[str, list[Busy]] = {key: [] for key in keys}
    if not user_ids and not person_ids:
        return found
    who = f"({_in(USER_COLUMN, user_ids)} OR {_in('a.person', person_ids)})"
    rows = await db.fetch(
        'SELECT a."user" AS user_id, a.person AS person_id, m.id, m.start_at, m.end_at,'
        " m.rrule, m.sequence FROM meeting_attendee a JOIN meeting m ON m.id = a.meeting"
        " WHERE a.removed_at IS NULL AND m.status <> 'cancelled'"
        f" AND {who}"
        " AND m.start_at < {} AND (m.rrule IS NOT NULL OR m.end_at > {})",
        *user_ids,
        *person_ids,
        window_end,
        window_start,
    )
    overrides = await _overrides({int(row["id"]) for row in rows if row["rrule"]})
    for row in rows:
        key = f"user:{row['user_id']}" if row["user_id"] else f"person:{row['person_id']}"
        for occurrence in occurrences(
            _instant(row["start_at"]),
            _instant(row["end_at"]),
            row["rrule"],
            overrides.get(int(row["id"]), []),
            window_start,
            window_end,
        ):
            if occurrence.status != "cancelled":
                found.setdefault(key, []).append(Busy(occurrence.start_at, occurrence.end_at))
    return found


def _key(choice: AttendeeChoice) -> str:
    return f"user:{choice.user_id}" if choice.user_id is not None else f"person:{choice.person_id}"


def _in(column: str, ids: list[int]) -> str:
    return f"{column} IN ({', '.join('{}' for _ in ids)})" if ids else "1 = 0"


async def _overrides(meeting_ids: set[int]) -> dict[int, list[Override]]:
    if not meeting_ids:
        return {}
    rows = await Occurrence.objects().where(Occurrence.meeting.is_in(list(meeting_ids)))
    found: dict[int, list[Override]] = {}
    for o in rows:
        found.setdefault(o.meeting, []).append(
            Override(o.recurrence_id, o.start_at, o.end_at, o.status, o.sequence)
        )
    return found


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
