"""Who may plan, change and see meetings."""

from __future__ import annotations

from casetafel.access.policy import Actor
from casetafel.errors import Forbidden, NotFound
from casetafel.meetings.models import Attendee, Meeting

NOT_FOUND = "Dit overleg bestaat niet of u heeft er geen toegang toe."


def require_planner(actor: Actor) -> None:
    """The coordinator of the Zorg- en Veiligheidshuis plans the case conferences."""
    if not actor.may("meeting.plan") or actor.region_id is None:
        raise Forbidden("Alleen de coördinator van het Zorg- en Veiligheidshuis plant overleggen.")


def may_manage(actor: Actor, meeting: Meeting) -> bool:
    return actor.may("meeting.plan") and actor.region_id == meeting.region


async def may_view(actor: Actor, meeting: Meeting) -> bool:
    if may_manage(actor, meeting):
        return True
    attending: bool = await Attendee.exists().where(
        (Attendee.meeting == meeting.id)
        & (Attendee.user == actor.user_id)
        & Attendee.removed_at.is_null()
    )
    return attending


async def meeting_for(actor: Actor, meeting_id: int, *, manage: bool = False) -> Meeting:
    """The meeting if the actor may see it (or manage it); else NotFound, as if absent."""
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()
    if meeting is None:
        raise NotFound(NOT_FOUND)
    allowed = may_manage(actor, meeting) if manage else await may_view(actor, meeting)
    if not allowed:
        if manage and await may_view(actor, meeting):
            raise Forbidden("Alleen de coördinator kan dit overleg wijzigen.")
        raise NotFound(NOT_FOUND)
    return meeting
