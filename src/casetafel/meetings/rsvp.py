"""Answers of attendees: through their personal RSVP link (no login), or as an iMIP REPLY
from their calendar client (polled from IMAP, or an .eml uploaded by the coordinator).

A REPLY never raises the meeting's SEQUENCE. One to an older version of the meeting (a
lower SEQUENCE), or older than the answer already recorded (DTSTAMP), is ignored, so that
applying the same REPLY twice, or two in the wrong order, leaves the latest answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.errors import Conflict, NotFound, ServiceError, ValidationFailed
from casetafel.invites.replies import InvalidReply, Reply, parse_reply, sender_address
from casetafel.invites.tokens import InvalidToken, verify_rsvp
from casetafel.meetings import messages
from casetafel.meetings.access import meeting_for
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Attendee, Meeting, Occurrence, OccurrenceReply
from casetafel.meetings.service import PARTSTATS, load_snapshot
from casetafel.notifications import service as notifications

log = logging.getLogger("casetafel.meetings")
ANSWERS = {"accepted": "Ik kom", "tentative": "Misschien", "declined": "Ik kom niet"}
MAX_COMMENT = 500


class InvalidLink(ServiceError):
    """An RSVP link that was altered or is garbage: 400, with what to do."""


class ExpiredLink(NotFound):
    """An RSVP link whose meeting is over: answers 410 Gone."""

    status_code = 410


@dataclass(frozen=True)
class RsvpView:
    meeting: Meeting
    attendee: Attendee
    kind_name: str
    references: list[str]


async def open_link(token: str, ctx: MeetingContext) -> RsvpView:
    """The meeting and attendee of a personal link, or a Dutch 400/410 when it is not valid."""
    try:
        claim = verify_rsvp(ctx.settings.secret_key, token, clock.now())
    except InvalidToken as problem:
        if problem.expired:
            raise ExpiredLink(str(problem)) from None
        raise InvalidLink(str(problem)) from None
    attendee = await Attendee.objects().where(Attendee.id == claim.attendee_id).first()
    meeting = await Meeting.objects().where(Meeting.id == claim.meeting_id).first()
    if attendee is None or meeting is None or attendee.meeting != meeting.id:
        raise InvalidLink("Deze link is ongeldig. Gebruik de link uit de laatste uitnodiging.")
    if attendee.removed_at is not None:
        raise Conflict("U bent niet meer uitgenodigd voor dit overleg.")
    snapshot = await load_snapshot(meeting, ctx)
    return RsvpView(meeting, attendee, ctx.meetings.name(meeting.kind), snapshot.references)


async def answer_by_link(token: str, partstat: str, comment: str, ctx: MeetingContext) -> RsvpView:
    view = await open_link(token, ctx)
    errors: dict[str, str] = {}
    if partstat not in ANSWERS:
        errors["partstat"] = "Kies of u komt, misschien komt of niet komt."
    if len(comment.strip()) > MAX_COMMENT:
        errors["comment"] = f"Maximaal {MAX_COMMENT} tekens (nu {len(comment.strip())})."
    if errors:
        raise ValidationFailed(errors)
    if view.meeting.status == "cancelled":
        raise Conflict("Dit overleg gaat niet door; u hoeft niet te antwoorden.")
    async with db.transaction():
        await _record(view.meeting, view.attendee, partstat, comment.strip(), None, "link", ctx)
    return await open_link(token, ctx)


@dataclass(frozen=True)
class ReplyResult:
    outcome: Literal["applied", "ignored"]
    message: str  # Dutch, for the coordinator


async def apply_reply(raw: bytes, ctx: MeetingContext, actor: Actor | None = None) -> ReplyResult:
    """Apply an iMIP REPLY (.ics or .eml). Raises ValidationFailed for what is not a REPLY;
    returns 'ignored' with the reason for a reply casetafel does not need."""
    try:
        reply = parse_reply(raw)
    except InvalidReply as problem:
        raise ValidationFailed({"reply": str(problem)}) from None
    async with db.transaction():
        return await _apply(reply, ctx, actor)


async def upload_reply(
    actor: Actor, meeting_id: int, raw: bytes, ctx: MeetingContext
) -> ReplyResult:
    """The coordinator uploads an answer that arrived by email."""
    meeting = await meeting_for(actor, meeting_id, manage=True)
    try:
        reply = parse_reply(raw)
    except InvalidReply as problem:
        raise ValidationFailed({"reply": str(problem)}) from None
    if reply.uid != meeting.uid:
        raise ValidationFailed({"reply": "Dit antwoord hoort bij een ander overleg."})
    async with db.transaction():
        return await _apply(reply, ctx, actor)


async def handle_inbound(raw: bytes, ctx: MeetingContext) -> Literal["applied", "ignored"]:
    """The IMAP poller's handler: idempotent (a second delivery is ignored as not newer).

    The mail must come from the attendee it answers for (or their SENT-BY delegate): anyone
    who saw an invitation knows its UID and the other attendees' addresses. An answer from
    another address stays unread in the mailbox; a coordinator may upload it by hand."""
    try:
        reply = parse_reply(raw)
    except InvalidReply:
        return "ignored"
    if sender_address(raw) not in reply.answerers:
        log.warning("inbound REPLY not applied: its From is not the attendee it answers for")
        return "ignored"
    async with db.transaction():
        return (await _apply(reply, ctx, None)).outcome


async def _apply(reply: Reply, ctx: MeetingContext, actor: Actor | None) -> ReplyResult:
    meeting = await Meeting.objects().where(Meeting.uid == reply.uid).first()
    if meeting is None:
        return ReplyResult("ignored", "Geen overleg met deze UID: het antwoord is niet verwerkt.")
    if meeting.status == "cancelled":
        return ReplyResult("ignored", "Dit overleg is geannuleerd: het antwoord is niet verwerkt.")
    present = await Attendee.objects().where(
        (Attendee.meeting == meeting.id) & Attendee.removed_at.is_null()
    )
    attendee = next((a for a in present if a.email.lower() == reply.attendee_email), None)
    if attendee is None:
        return ReplyResult(
            "ignored", f"{reply.attendee_email} is niet uitgenodigd: het antwoord is niet verwerkt."
        )
    current = await _current_sequence(meeting, reply.recurrence_id)
    if reply.sequence < current:
        return ReplyResult(
            "ignored",
            "Dit antwoord is op een oudere versie van de uitnodiging; "
            "de deelnemer heeft de nieuwe nog niet beantwoord.",
        )
    stamp = reply.dtstamp
    previous = await _previous_stamp(attendee, reply.recurrence_id)
    if stamp is not None and previous is not None and stamp <= previous:
        return ReplyResult("ignored", "Dit antwoord was al verwerkt (of er is een nieuwer).")
    partstat = reply.partstat.lower()
    await _record(
        meeting,
        attendee,
        partstat,
        reply.comment[:MAX_COMMENT],
        stamp,
        "reply",
        ctx,
        recurrence_id=reply.recurrence_id,
        actor=actor,
    )
    label = PARTSTATS[partstat].lower()
    return ReplyResult("applied", f"Antwoord van {attendee.name} verwerkt: {label}.")


async def _current_sequence(meeting: Meeting, recurrence_id: datetime | None) -> int:
    if recurrence_id is None:
        return meeting.sequence
    override = (
        await Occurrence.objects()
        .where((Occurrence.meeting == meeting.id) & (Occurrence.recurrence_id == recurrence_id))
        .first()
    )
    return override.sequence if override else meeting.sequence


async def _previous_stamp(attendee: Attendee, recurrence_id: datetime | None) -> datetime | None:
    if recurrence_id is None:
        return attendee.reply_stamp
    row = (
        await OccurrenceReply.objects()
        .where(
            (OccurrenceReply.attendee == attendee.id)
            & (OccurrenceReply.recurrence_id == recurrence_id)
        )
        .first()
    )
    return row.reply_stamp if row else None


async def _record(
    meeting: Meeting,
    attendee: Attendee,
    partstat: str,
    comment: str,
    stamp: datetime | None,
    via: str,
    ctx: MeetingContext,
    *,
    recurrence_id: datetime | None = None,
    actor: Actor | None = None,
) -> None:
    now = clock.now()
    if recurrence_id is None:
        await Attendee.update(
            {
                Attendee.partstat: partstat,
                Attendee.comment: comment,
                Attendee.responded_at: now,
                Attendee.reply_stamp: stamp,
            }
        ).where(Attendee.id == attendee.id)
    else:
        await OccurrenceReply.delete().where(
            (OccurrenceReply.attendee == attendee.id)
            & (OccurrenceReply.recurrence_id == recurrence_id)
        )
        await OccurrenceReply(
            attendee=attendee.id,
            recurrence_id=recurrence_id,
            partstat=partstat,
            comment=comment,
            responded_at=now,
            reply_stamp=stamp,
        ).save()
    await audit.record(
        actor,
        "meeting.answer",
        details={
            "meeting": meeting.id,
            "attendee": attendee.email,
            "answer": partstat,
            "via": via,
            "occurrence": recurrence_id.isoformat() if recurrence_id else None,
        },
        basis="deelname overleg",
    )
    if partstat == "declined" and meeting.created_by:
        when = messages.when(meeting.start_at, meeting.end_at)
        await notifications.notify(
            [meeting.created_by],
            notifications.Message(
                key=f"declined:{meeting.id}:{attendee.id}:{now.isoformat()}",
                kind="declined",
                text=f"{attendee.name} komt niet naar '{meeting.title}' ({when}).",
                link=f"/overleggen/{meeting.id}",
                sender=meeting.organizer_email,
                region_id=meeting.region,
            ),
            now,
        )
