"""Personal calendar feeds (/feeds/<token>.ics): the meetings a user or a person attends,
as an iCalendar PUBLISH that a calendar client subscribes to.

The token is the credential, so only its hash is stored and it is shown once; revoking sets
revoked_at. A user manages their own feeds; the coordinator those of the persons of their
region (who cannot log in). Creating and revoking are audited. Fetching a feed is not: it
holds no personal data, only titles (checked at planning not to name a subject), case
references, places and a link; no ATTENDEE lines (RFC 5546 3.2.1). A meeting with a case
the owner may not see shows only its times, under a neutral title (disclosure.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from piccolo.custom_types import Combinable

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.accounts.models import User
from casetafel.accounts.service import actor_for
from casetafel.errors import Conflict, NotFound
from casetafel.invites import calendar as ical
from casetafel.invites.tokens import feed_token_hash, new_feed_token
from casetafel.meetings.access import require_planner
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.disclosure import PLACEHOLDER, disclosed_to, disclosed_to_person
from casetafel.meetings.messages import rsvp_token
from casetafel.meetings.models import Attendee, FeedToken, Meeting, Occurrence
from casetafel.meetings.recurrence import Override, occurrences
from casetafel.organisations.models import Organisation, Person
from casetafel.organisations.persons import in_scope

PAST = timedelta(days=30)
AHEAD = timedelta(days=365)
# Enough for a laptop, a phone and a shared agenda; more is a leak waiting to happen.
MAX_FEEDS = 5
FEED_NOT_FOUND = "Deze agenda-link bestaat niet (meer)."
PERSON_NOT_FOUND = "Deze deelnemer bestaat niet."


@dataclass(frozen=True)
class FeedRow:
    id: int
    created_at: datetime


@dataclass(frozen=True)
class FeedOwner:
    user_id: int | None
    person_id: int | None


# --- a user's own feeds ---------------------------------------------------------------


async def create_feed(actor: Actor) -> str:
    """A new feed of the actor's meetings; the token is returned once, only its hash kept."""
    return await _create(actor, FeedOwner(actor.user_id, None))


async def revoke_feed(actor: Actor, feed_id: int) -> None:
    """Revoke one of the actor's own feeds; someone else's is NotFound, as if absent."""
    await _revoke(actor, feed_id, FeedToken.user == actor.user_id)


async def feeds_of(actor: Actor) -> list[FeedRow]:
    return await _active(FeedToken.user == actor.user_id)


# --- a person's feeds, managed by the coordinator of their region ----------------------


async def create_person_feed(actor: Actor, person_id: int) -> str:
    person = await _person_in_scope(actor, person_id)
    if not person.active:
        raise Conflict("Deze deelnemer is gedeactiveerd en krijgt geen agenda-link meer.")
    return await _create(actor, FeedOwner(None, person.id))


async def revoke_person_feed(actor: Actor, person_id: int, feed_id: int) -> None:
    await _person_in_scope(actor, person_id)
    await _revoke(actor, feed_id, FeedToken.person == person_id)


async def person_feeds_of(actor: Actor, person_id: int) -> list[FeedRow]:
    await _person_in_scope(actor, person_id)
    return await _active(FeedToken.person == person_id)


async def person_name(actor: Actor, person_id: int) -> str:
    """For the coordinator's page about a person's feed."""
    return str((await _person_in_scope(actor, person_id)).name)


async def _person_in_scope(actor: Actor, person_id: int) -> Person:
    require_planner(actor)
    person = await Person.objects().where(Person.id == person_id).first()
    organisation = (
        await Organisation.objects().where(Organisation.id == person.organisation).first()
        if person
        else None
    )
    if person is None or organisation is None or not in_scope(actor, organisation):
        raise NotFound(PERSON_NOT_FOUND)
    return person


# --- storage ----------------------------------------------------------------------------


async def _create(actor: Actor, owner: FeedOwner) -> str:
    token = new_feed_token()
    async with db.transaction():
        mine = _owned_by(owner) & FeedToken.revoked_at.is_null()
        if await FeedToken.count().where(mine) >= MAX_FEEDS:
            raise Conflict(
                f"Er zijn al {MAX_FEEDS} agenda-links. Trek een link in die niet meer nodig is."
            )
        feed = FeedToken(
            token_hash=feed_token_hash(token),
            user=owner.user_id,
            person=owner.person_id,
            created_at=clock.now(),
        )
        await feed.save()
        await audit.record(actor, "feed.create", details=_details(feed.id, owner))
    return token


async def _revoke(actor: Actor, feed_id: int, owned: Combinable) -> None:
    """Revoking twice changes nothing the second time."""
    async with db.transaction():
        feed = await FeedToken.objects().where((FeedToken.id == feed_id) & owned).first()
        if feed is None:
            raise NotFound(FEED_NOT_FOUND)
        if feed.revoked_at is not None:
            return
        await FeedToken.update({FeedToken.revoked_at: clock.now()}).where(FeedToken.id == feed.id)
        owner = FeedOwner(feed.user, feed.person)
        await audit.record(actor, "feed.revoke", details=_details(feed.id, owner))


async def _active(owned: Combinable) -> list[FeedRow]:
    rows = (
        await FeedToken.objects()
        .where(owned & FeedToken.revoked_at.is_null())
        .order_by(FeedToken.created_at)
    )
    return [FeedRow(row.id, row.created_at) for row in rows]


def _owned_by(owner: FeedOwner) -> Combinable:
    if owner.user_id is not None:
        return FeedToken.user == owner.user_id
    return FeedToken.person == owner.person_id


def _details(feed_id: int, owner: FeedOwner) -> dict[str, int]:
    details = {"feed": feed_id}
    if owner.person_id is not None:
        details["person_id"] = owner.person_id
    return details


# --- the calendar -----------------------------------------------------------------------


async def feed_calendar(token: str, ctx: MeetingContext) -> bytes | None:
    """The PUBLISH calendar of a feed, or None for an unknown or revoked token."""
    owner = await _owner(token)
    if owner is None:
        return None
    now = clock.now()
    attendance = await _attendance(owner)
    meetings = await _meetings(list(attendance), now - PAST, now + AHEAD)
    overrides = await _overrides([m.id for m in meetings if m.rrule])
    references = await _references([m.id for m in meetings])
    disclosed = await _disclosed(owner, [m.id for m in meetings], ctx)
    events: list[ical.EventData] = []
    for meeting in meetings:
        changed = overrides.get(meeting.id, [])
        if meeting.rrule and not occurrences(
            meeting.start_at, meeting.end_at, meeting.rrule, changed, now - PAST, now + AHEAD
        ):
            continue
        link = _link(meeting, attendance[meeting.id], ctx)
        shown = (
            _Shown(
                meeting.title,
                ", ".join(part for part in (meeting.location, meeting.video_url) if part),
                _description(meeting, references.get(meeting.id, []), link, ctx),
            )
            if meeting.id in disclosed
            else _Shown(PLACEHOLDER, "", _neutral(link))
        )
        events += _events(meeting, changed, shown, link)
    return ical.publish(events)


@dataclass(frozen=True)
class _Shown:
    """What a feed shows of a meeting besides its times."""

    summary: str
    location: str
    description: str


async def _disclosed(owner: FeedOwner, meeting_ids: list[int], ctx: MeetingContext) -> set[int]:
    """The owner's meetings whose title, place and case references they may see."""
    if owner.person_id is not None:
        return await disclosed_to_person(owner.person_id, meeting_ids)
    user = await User.objects().where(User.id == owner.user_id).first()
    if user is None:
        return set()
    return await disclosed_to(await actor_for(user), meeting_ids, ctx.escalation.ladder)


def _neutral(link: str) -> str:
    return (
        "Op de agenda staat een casus waartoe u geen toegang heeft; daarom staan hier alleen"
        f" de tijden.\nAntwoord: {link}\nDeze agenda bevat bewust geen persoonsgegevens."
    )


async def _owner(token: str) -> FeedOwner | None:
    """The user or person of an active feed whose account is still active."""
    feed = (
        await FeedToken.objects()
        .where((FeedToken.token_hash == feed_token_hash(token)) & FeedToken.revoked_at.is_null())
        .first()
    )
    if feed is None:
        return None
    if feed.user is not None:
        active = await User.exists().where((User.id == feed.user) & (User.active == True))  # noqa: E712
    else:
        active = await Person.exists().where((Person.id == feed.person) & (Person.active == True))  # noqa: E712
    return FeedOwner(feed.user, feed.person) if active else None


async def _attendance(owner: FeedOwner) -> dict[int, Attendee]:
    """The owner's attendee rows (still invited), by meeting."""
    who = (
        Attendee.user == owner.user_id
        if owner.user_id is not None
        else Attendee.person == owner.person_id
    )
    rows = await Attendee.objects().where(who & Attendee.removed_at.is_null())
    return {row.meeting: row for row in rows}


async def _meetings(ids: list[int], start: datetime, end: datetime) -> list[Meeting]:
    """Meetings overlapping [start, end), and series begun before `end`."""
    if not ids:
        return []
    rows: list[Meeting] = (
        await Meeting.objects()
        .where(
            Meeting.id.is_in(ids)
            & (Meeting.start_at < end)
            & (Meeting.rrule.is_not_null() | (Meeting.end_at > start))
        )
        .order_by(Meeting.start_at)
        .order_by(Meeting.id)
    )
    return rows


async def _overrides(series_ids: list[int]) -> dict[int, list[Override]]:
    if not series_ids:
        return {}
    rows = await Occurrence.objects().where(Occurrence.meeting.is_in(series_ids))
    found: dict[int, list[Override]] = {}
    for row in sorted(rows, key=lambda o: o.recurrence_id):
        found.setdefault(row.meeting, []).append(
            Override(row.recurrence_id, row.start_at, row.end_at, row.status, row.sequence)
        )
    return found


async def _references(meeting_ids: list[int]) -> dict[int, list[str]]:
    if not meeting_ids:
        return {}
    marks = ", ".join("{}" for _ in meeting_ids)
    rows = await db.fetch(
        "SELECT DISTINCT a.meeting, c.reference FROM agenda_item a"
        ' JOIN case_file c ON c.id = a."case"'
        f" WHERE a.meeting IN ({marks}) ORDER BY c.reference",
        *meeting_ids,
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(int(row["meeting"]), []).append(str(row["reference"]))
    return found


def _link(meeting: Meeting, attendee: Attendee, ctx: MeetingContext) -> str:
    """A user's way in is the meeting page; a person, who cannot log in, has the RSVP page."""
    if attendee.user is not None:
        return ctx.link(f"/overleggen/{meeting.id}")
    return ctx.link(f"/rsvp/{rsvp_token(meeting, attendee, ctx)}")


def _description(meeting: Meeting, references: list[str], link: str, ctx: MeetingContext) -> str:
    return (
        f"{ctx.meetings.name(meeting.kind)}. Casussen: {', '.join(references) or 'volgt'}.\n"
        f"Agenda en antwoord: {link}\n"
        "Deze agenda bevat bewust geen persoonsgegevens."
    )


def _events(
    meeting: Meeting, overrides: Iterable[Override], shown: _Shown, link: str
) -> list[ical.EventData]:
    """The meeting; for a series its RRULE, EXDATEs for cancelled occurrences and an event
    per moved one. A cancelled meeting is one event with STATUS:CANCELLED."""
    cancelled = meeting.status == "cancelled"
    changed = list(overrides) if meeting.rrule else []
    master = ical.EventData(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=meeting.start_at,
        end=meeting.end_at,
        summary=shown.summary,
        description=shown.description,
        location=shown.location,
        url=link,
        organizer=ical.Party(meeting.organizer_email, meeting.organizer_name),
        attendees=(),
        status="CANCELLED" if cancelled else "CONFIRMED",
        rrule=meeting.rrule,
        exdates=tuple(o.recurrence_id for o in changed if o.status == "cancelled"),
        # The last change, not the moment of the request: an unchanged feed is the same
        # bytes, so its ETag lets a polling client get 304 Not Modified.
        dtstamp=meeting.updated_at,
    )
    if cancelled:
        return [replace(master, exdates=())]
    moved = [
        replace(
            master,
            sequence=o.sequence,
            start=o.start_at,
            end=o.end_at,
            rrule=None,
            exdates=(),
            recurrence_id=o.recurrence_id,
        )
        for o in changed
        if o.status != "cancelled"
    ]
    return [master, *moved]
