"""The emails of the meetings domain: invites, updates, cancellations and reminders, one
per attendee, each with an iMIP calendar (invites/) and a personal RSVP link, handed to the
outbox in the caller's transaction. They name cases by reference only: never a subject's
name, birth date or offence."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html import escape
from typing import Literal

from casetafel import clock, db
from casetafel.invites import calendar as ical
from casetafel.invites.tokens import sign_rsvp
from casetafel.mail import messages as mail
from casetafel.mail import service as outbox
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Attendee, Meeting
from casetafel.meetings.recurrence import OccurrenceTime, series_end

Kind = Literal["invite", "update", "cancel", "uninvite", "reminder"]
ROLES: dict[str, ical.Role] = {
    "chair": "CHAIR",
    "required": "REQ-PARTICIPANT",
    "optional": "OPT-PARTICIPANT",
}
PARTSTATS: dict[str, ical.PartStat] = {
    "needs-action": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentative": "TENTATIVE",
}
WEEKDAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
SUBJECTS: dict[Kind, str] = {
    "invite": "Uitnodiging",
    "update": "Gewijzigd",
    "cancel": "Geannuleerd",
    "uninvite": "Afgemeld",
    "reminder": "Herinnering",
}
# An RSVP link of an open-ended series stays valid this long after its first meeting.
OPEN_SERIES_VALIDITY = timedelta(days=366)


@dataclass(frozen=True)
class Snapshot:
    """A meeting as its messages show it."""

    meeting: Meeting
    attendees: list[Attendee]  # the active ones, listed in every calendar
    references: list[str]  # the cases on the agenda
    kind_name: str
    overrides: list[OccurrenceTime]  # moved or cancelled occurrences of a series


def when(start: datetime, end: datetime) -> str:
    """'dinsdag 1 december 2026, 10:00-11:30' in Amsterdam time."""
    local_start, local_end = clock.local(start), clock.local(end)
    day = f"{WEEKDAYS[local_start.weekday()]} {local_start.day} {MONTHS[local_start.month - 1]}"
    return f"{day} {local_start.year}, {local_start:%H:%M}-{local_end:%H:%M}"


async def send(
    snapshot: Snapshot,
    kind: Kind,
    recipients: list[Attendee],
    ctx: MeetingContext,
    *,
    occurrence: OccurrenceTime | None = None,
) -> int:
    """Queue one email per recipient; returns how many were new (a repeat is ignored)."""
    meeting = snapshot.meeting
    sequence = occurrence.sequence if occurrence else meeting.sequence
    queued = 0
    references = snapshot.references
    if occurrence is not None and occurrence.recurrence_id is not None:
        references = await occurrence_references(meeting.id, occurrence.recurrence_id)
    for attendee in recipients:
        rsvp = ctx.link(f"/rsvp/{rsvp_token(meeting, attendee, ctx)}")
        calendar_bytes, method = _calendar(snapshot, kind, attendee, rsvp, ctx, occurrence)
        scope = (
            f"{occurrence.recurrence_id.isoformat()}:"
            if occurrence and occurrence.recurrence_id
            else ""
        )
        key = f"{meeting.uid}:{scope}{sequence}:{attendee.email.lower()}:{kind}"
        if kind == "reminder" and occurrence:
            key = (
                f"{meeting.uid}:{occurrence.start_at.isoformat()}:{attendee.email.lower()}:reminder"
            )
        start, end = (
            (occurrence.start_at, occurrence.end_at)
            if occurrence
            else (meeting.start_at, meeting.end_at)
        )
        subject = f"{SUBJECTS[kind]}: {meeting.title}, {when(start, end)}"
        # Users read the agenda in casetafel; persons, who cannot log in, on their RSVP page.
        agenda = ctx.link(f"/overleggen/{meeting.id}") if attendee.user is not None else rsvp
        text, html = _bodies(snapshot, kind, attendee, rsvp, agenda, start, end, references)
        queued += await outbox.enqueue(
            mail.build(
                idempotency_key=key,
                kind=kind,
                sender=meeting.organizer_email,
                sender_name=meeting.organizer_name,
                recipient=attendee.email,
                subject=subject,
                text=text,
                html=html,
                calendar=mail.Calendar(method=method, data=calendar_bytes)
                if calendar_bytes
                else None,
                region_id=meeting.region,
            )
        )
    return queued


async def occurrence_references(meeting_id: int, recurrence_id: datetime) -> list[str]:
    """The cases on the agenda of one occurrence of a series."""
    rows = await db.fetch(
        'SELECT DISTINCT c.reference FROM agenda_item a JOIN case_file c ON c.id = a."case"'
        " WHERE a.meeting = {} AND a.occurrence_at = {} ORDER BY c.reference",
        meeting_id,
        recurrence_id,
    )
    return [row["reference"] for row in rows]


def rsvp_token(meeting: Meeting, attendee: Attendee, ctx: MeetingContext) -> str:
    """Valid until the meeting (or the series) is over, a day to spare."""
    end = meeting.end_at
    if meeting.rrule:
        end = series_end(meeting.start_at, meeting.end_at, meeting.rrule) or (
            meeting.start_at + OPEN_SERIES_VALIDITY
        )
    return sign_rsvp(ctx.settings.secret_key, attendee.id, meeting.id, end + timedelta(days=1))


def _calendar(
    snapshot: Snapshot,
    kind: Kind,
    attendee: Attendee,
    rsvp: str,
    ctx: MeetingContext,
    occurrence: OccurrenceTime | None,
) -> tuple[bytes | None, str]:
    if kind == "reminder":
        return None, ""
    description = (
        f"{snapshot.kind_name}. Casussen: {', '.join(snapshot.references) or 'volgt'}.\n"
        f"Uw antwoord: {rsvp}\n"
        "Deze uitnodiging bevat bewust geen persoonsgegevens."
    )
    events = _events(snapshot, description, rsvp, occurrence)
    if kind == "cancel":
        return ical.cancel(events), "CANCEL"
    if kind == "uninvite":
        removed = [_line(attendee, rsvp=False)]
        return ical.uninvite([_replace_attendees(e, removed) for e in events]), "CANCEL"
    return ical.request(events), "REQUEST"


def _events(
    snapshot: Snapshot, description: str, rsvp: str, occurrence: OccurrenceTime | None
) -> list[ical.EventData]:
    meeting = snapshot.meeting
    master = ical.EventData(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=meeting.start_at,
        end=meeting.end_at,
        summary=meeting.title,
        description=description,
        location=", ".join(part for part in (meeting.location, meeting.video_url) if part),
        url=rsvp,
        organizer=ical.Party(meeting.organizer_email, meeting.organizer_name),
        attendees=tuple(_line(a) for a in snapshot.attendees),
        rrule=meeting.rrule,
        exdates=tuple(
            o.recurrence_id
            for o in snapshot.overrides
            if o.status == "cancelled" and o.recurrence_id and meeting.rrule
        ),
        dtstamp=clock.now(),
    )
    if occurrence is not None and occurrence.recurrence_id is not None:
        # One occurrence moved or cancelled: sent alone (Outlook ignores it beside its series).
        return [_occurrence(master, occurrence)]
    moved = [
        _occurrence(master, o)
        for o in snapshot.overrides
        if meeting.rrule and o.status != "cancelled" and o.recurrence_id
    ]
    return [master, *moved]


def _occurrence(master: ical.EventData, occurrence: OccurrenceTime) -> ical.EventData:
    return replace(
        master,
        sequence=occurrence.sequence,
        start=occurrence.start_at,
        end=occurrence.end_at,
        rrule=None,
        exdates=(),
        recurrence_id=occurrence.recurrence_id,
    )


def _line(attendee: Attendee, *, rsvp: bool = True) -> ical.AttendeeLine:
    return ical.AttendeeLine(
        email=attendee.email,
        name=attendee.name,
        role=ROLES[attendee.role],
        partstat=PARTSTATS[attendee.partstat],
        rsvp=rsvp,
    )


def _replace_attendees(event: ical.EventData, lines: list[ical.AttendeeLine]) -> ical.EventData:
    return replace(event, attendees=tuple(lines))


def _bodies(
    snapshot: Snapshot,
    kind: Kind,
    attendee: Attendee,
    rsvp: str,
    agenda: str,
    start: datetime,
    end: datetime,
    case_references: list[str],
) -> tuple[str, str]:
    meeting = snapshot.meeting
    lead = {
        "invite": f"U bent uitgenodigd voor {snapshot.kind_name.lower()}: {meeting.title}.",
        "update": f"Het overleg '{meeting.title}' is gewijzigd. Kijk of u nog kunt.",
        "cancel": f"Het overleg '{meeting.title}' gaat niet door.",
        "uninvite": f"U bent niet meer uitgenodigd voor '{meeting.title}'.",
        "reminder": f"Herinnering: morgen of binnenkort is het overleg '{meeting.title}'.",
    }[kind]
    where = ", ".join(part for part in (meeting.location, meeting.video_url) if part) or "volgt"
    references = ", ".join(case_references) or "volgt"
    agenda_text = f"Agenda en stukken: {agenda}\n" if kind == "reminder" else ""
    agenda_html = (
        f'<p><a href="{escape(agenda)}">Agenda en stukken</a></p>' if kind == "reminder" else ""
    )
    answer = (
        ""
        if kind in ("cancel", "uninvite")
        else f"Uw antwoord geeft u in uw agenda, of hier: {rsvp}\n"
    )
    text = (
        f"Beste {attendee.name},\n\n{lead}\n\n"
        f"Wanneer: {when(start, end)}\nWaar: {where}\nCasussen (kenmerk): {references}\n\n"
        f"{agenda_text}{answer}\n"
        "Deze e-mail bevat bewust geen persoonsgegevens; de stukken staan in casetafel.\n\n"
        f"{meeting.organizer_name}\n"
    )
    answer_html = (
        ""
        if kind in ("cancel", "uninvite")
        else f'<p><a href="{escape(rsvp)}">Geef hier uw antwoord</a> (of gebruik uw agenda).</p>'
    )
    html = (
        f"<p>Beste {escape(attendee.name)},</p><p>{escape(lead)}</p>"
        f"<p>Wanneer: {escape(when(start, end))}<br>Waar: {escape(where)}<br>"
        f"Casussen (kenmerk): {escape(references)}</p>{agenda_html}{answer_html}"
        "<p>Deze e-mail bevat bewust geen persoonsgegevens; de stukken staan in casetafel.</p>"
        f"<p>{escape(meeting.organizer_name)}</p>"
    )
    return text, html
