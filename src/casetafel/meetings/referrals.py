"""Referral of a case to the next occurrence of the region's standing meeting of a kind (the
weekly triage) whose cut-off has not passed: where a referral made now lands, and making it.
Only the coordinator of the case's region refers; the case goes at the end of that
occurrence's agenda, audit-logged and on the case's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from casetafel import clock, db
from casetafel.access.policy import Actor
from casetafel.errors import Forbidden, ValidationFailed
from casetafel.meetings.agenda_common import (
    MAX_TEXT,
    append_item,
    case_for_agenda,
    check_text,
    lock_meeting,
)
from casetafel.meetings.config import MeetingKind, MeetingsConfig
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Meeting, Occurrence
from casetafel.meetings.recurrence import Override, occurrences

# How far ahead a referral looks for an occurrence whose cut-off has not passed.
REFERRAL_HORIZON = timedelta(days=400)


@dataclass(frozen=True)
class ReferralTarget:
    """The occurrence a referral made now lands on, and its cut-off."""

    meeting_id: int
    title: str
    kind: str
    kind_name: str
    occurrence_at: datetime | None  # the original start (None for a single meeting)
    start_at: datetime
    end_at: datetime
    cutoff: datetime


def referral_cutoff(start_at: datetime, kind: MeetingKind) -> datetime:
    """Referrals close `referral_cutoff_days_before` calendar days before the local date of
    the occurrence, at `referral_cutoff_time` Amsterdam time (Monday 12:00 for Tuesday)."""
    day = clock.local(start_at).date() - timedelta(days=kind.referral_cutoff_days_before)
    local = datetime.combine(day, kind.referral_cutoff_time, tzinfo=clock.AMSTERDAM)
    return local.astimezone(UTC)


async def referral_target(
    region_id: int, kind_key: str, config: MeetingsConfig, now: datetime
) -> ReferralTarget | None:
    """The first occurrence, by actual start, of the region's meetings of a standing kind
    that has not started, is not cancelled and whose cut-off (from its actual start) has
    not passed; a referral at the cut-off itself is still in time."""
    kind = config.kind(kind_key)
    if kind is None or not kind.standing:
        return None
    found: ReferralTarget | None = None
    for meeting in await _standing(region_id, kind_key):
        for slot in occurrences(
            meeting.start_at,
            meeting.end_at,
            meeting.rrule,
            await _overrides(meeting.id),
            now,
            now + REFERRAL_HORIZON,
        ):
            cutoff = referral_cutoff(slot.start_at, kind)
            if slot.status == "cancelled" or slot.start_at <= now or now > cutoff:
                continue
            if found is None or slot.start_at < found.start_at:
                found = ReferralTarget(
                    meeting.id,
                    meeting.title,
                    kind.key,
                    kind.name,
                    slot.recurrence_id,
                    slot.start_at,
                    slot.end_at,
                    cutoff,
                )
            break
    return found


async def referral_targets(
    actor: Actor, region_id: int, config: MeetingsConfig
) -> list[ReferralTarget]:
    """For the case page: where a referral by this actor would land, per standing kind."""
    if not may_refer(actor, region_id):
        return []
    now = clock.now()
    found = [await referral_target(region_id, k.key, config, now) for k in config.kinds]
    return [target for target in found if target is not None]


def may_refer(actor: Actor, region_id: int) -> bool:
    return actor.may("meeting.refer") and actor.region_id == region_id


async def refer_to_next(
    actor: Actor, reference: str, kind_key: str, question: str, ctx: MeetingContext
) -> tuple[int, datetime | None]:
    """Refer a case to the next occurrence of the region's standing meeting of this kind
    whose cut-off has not passed. Returns the meeting and the occurrence's original start."""
    case = await case_for_agenda(actor, reference, ctx)
    if not may_refer(actor, case.region):
        raise Forbidden("Alleen de coördinator van het Zorg- en Veiligheidshuis verwijst casussen.")
    errors = check_text("question", question, MAX_TEXT, "De vraag")
    kind = ctx.meetings.kind(kind_key)
    if kind is None or not kind.standing:
        errors["kind"] = "Kies een vast overleg, zoals de wekelijkse triage."
    if errors:
        raise ValidationFailed(errors)
    assert kind is not None
    async with db.transaction():
        target = await referral_target(case.region, kind.key, ctx.meetings, clock.now())
        if target is None:
            raise ValidationFailed({"kind": await _no_target(case.region, kind)})
        meeting = await lock_meeting(target.meeting_id)
        await append_item(
            actor, meeting, target.occurrence_at, case, question.strip(), referred=True
        )
    return target.meeting_id, target.occurrence_at


# --- helpers -----------------------------------------------------------------------------


async def _standing(region_id: int, kind_key: str) -> list[Meeting]:
    rows: list[Meeting] = await Meeting.objects().where(
        (Meeting.region == region_id) & (Meeting.kind == kind_key) & (Meeting.status != "cancelled")
    )
    return rows


async def _overrides(meeting_id: int) -> list[Override]:
    rows = await Occurrence.objects().where(Occurrence.meeting == meeting_id)
    return [Override(o.recurrence_id, o.start_at, o.end_at, o.status, o.sequence) for o in rows]


async def _no_target(region_id: int, kind: MeetingKind) -> str:
    if await _standing(region_id, kind.key):
        return (
            f"Er is geen bijeenkomst van de {kind.name.lower()} meer gepland waarvoor u nog kunt "
            "verwijzen. Verleng de reeks of agendeer de casus op een ander overleg."
        )
    return (
        f"Deze regio heeft geen {kind.name.lower()}. Plan eerst een vaste reeks "
        "(Overleggen, Overleg plannen) of agendeer de casus op een ander overleg."
    )
