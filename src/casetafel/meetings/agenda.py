"""The agenda of a meeting, or of one occurrence of a standing meeting: cases in order with
the question put to the meeting, the outcome, the decisions and the actions (actions.py) on
each. Referrals to the next standing meeting are in referrals.py.

The coordinator who manages the meeting changes its agenda; attendees read it. A case's
reference and texts show only to a reader who may see the case (free text only to readers
of casework). Every change is audit-logged and written to the case's timeline (free text as
casework) in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor, Sensitivity, visible_classes
from casetafel.cases import timeline
from casetafel.cases.access import may_see
from casetafel.cases.models import Case, CaseParticipant
from casetafel.errors import Conflict, NotFound, ValidationFailed
from casetafel.escalation import deadlines, moves
from casetafel.escalation.rules import CaseState
from casetafel.ladder import Ladder
from casetafel.meetings.access import NOT_FOUND, may_manage, may_view, meeting_for
from casetafel.meetings.actions import ActionRow, item_actions, owner_options
from casetafel.meetings.agenda_common import (
    ITEM_NOT_FOUND,
    MASKED,
    MAX_TEXT,
    ItemRef,
    actual_time,
    anchor_of,
    append_item,
    audit_item,
    case_for_agenda,
    check_text,
    instant,
    iso,
    lock_meeting,
    managed_item,
    occurrence_time,
    siblings,
    where,
)
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.disclosure import PLACEHOLDER, disclosed_to
from casetafel.meetings.models import Action, AgendaItem, Decision, Meeting
from casetafel.meetings.recurrence import is_occurrence


@dataclass(frozen=True)
class DecisionRow:
    text: str
    decided_at: datetime
    decided_by: str


@dataclass(frozen=True)
class ItemView:
    id: int
    number: int
    reference: str  # MASKED when the reader may not see the case
    visible: bool
    question: str
    outcome: str
    decisions: list[DecisionRow]
    actions: list[ActionRow]
    first: bool
    last: bool


@dataclass(frozen=True)
class AgendaView:
    meeting_id: int
    occurrence_at: datetime | None
    items: list[ItemView]
    can_edit: bool
    # For the action form: ("organisation:12" | "person:7", label).
    owners: list[tuple[str, str]]

    @property
    def anchor(self) -> str:
        return anchor_of(self.occurrence_at)

    @property
    def occurrence_value(self) -> str:
        return self.occurrence_at.astimezone(UTC).isoformat() if self.occurrence_at else ""


async def add_item(
    actor: Actor,
    meeting_id: int,
    reference: str,
    question: str,
    occurrence_at: datetime | None,
    ctx: MeetingContext,
) -> ItemRef:
    """Put an open case at the end of the agenda of a meeting or of one occurrence."""
    meeting = await meeting_for(actor, meeting_id, manage=True)
    case = await case_for_agenda(actor, reference, ctx)
    errors = check_text("question", question, MAX_TEXT, "De vraag")
    slot = _slot(meeting, occurrence_at, errors)
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        meeting = await lock_meeting(meeting.id)
        await append_item(actor, meeting, slot, case, question.strip(), referred=False)
    return ItemRef(meeting.id, slot, case.reference)


async def move_item(
    actor: Actor, item_id: int, direction: str, *, meeting_id: int | None = None
) -> ItemRef:
    """Swap an item with the one above ("up") or below ("down") it."""
    if direction not in {"up", "down"}:
        raise ValidationFailed({"direction": "Kies omhoog of omlaag."})
    item, meeting, case = await managed_item(actor, item_id, meeting_id)
    async with db.transaction():
        await lock_meeting(meeting.id)
        order = await siblings(meeting.id, item.occurrence_at)
        index = next((i for i, row in enumerate(order) if row.id == item.id), None)
        if index is None:
            raise NotFound(ITEM_NOT_FOUND)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
            await _renumber(order)
            summary = f"Agendapunt naar plaats {other + 1} op {await where(meeting, item)}"
            await timeline.add(case.id, "agenda.moved", summary, actor)
            await audit_item(actor, "agenda.move", case, item, direction=direction)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def remove_item(actor: Actor, item_id: int, *, meeting_id: int | None = None) -> ItemRef:
    """Take a case off the agenda; not once the meeting recorded decisions or actions."""
    item, meeting, case = await managed_item(actor, item_id, meeting_id)
    async with db.transaction():
        await lock_meeting(meeting.id)
        taken = await Decision.exists().where(Decision.agenda_item == item.id) or (
            await Action.exists().where(Action.agenda_item == item.id)
        )
        if taken:
            raise Conflict(
                "Bij dit agendapunt zijn besluiten of acties vastgelegd; "
                "het blijft daarom op de agenda."
            )
        await AgendaItem.delete().where(AgendaItem.id == item.id)
        await _renumber(await siblings(meeting.id, item.occurrence_at))
        summary = f"Van de agenda gehaald: {await where(meeting, item)}"
        await timeline.add(case.id, "agenda.removed", summary, actor)
        await audit_item(actor, "agenda.remove", case, item)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def record_outcome(
    actor: Actor, item_id: int, outcome: str, *, meeting_id: int | None = None
) -> ItemRef:
    item, meeting, case = await managed_item(actor, item_id, meeting_id)
    errors = check_text("outcome", outcome, MAX_TEXT, "De uitkomst")
    if errors:
        raise ValidationFailed(errors)
    text = outcome.strip()
    async with db.transaction():
        await AgendaItem.update({AgendaItem.outcome: text}).where(AgendaItem.id == item.id)
        verb = "Uitkomst vastgelegd" if text else "Uitkomst gewist"
        summary = f"{verb}: {await where(meeting, item)}"
        await timeline.add(case.id, "agenda.outcome", summary, actor, casework=text)
        await audit_item(actor, "agenda.outcome", case, item, cleared=not text)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def record_decision(
    actor: Actor, item_id: int, text: str, ctx: MeetingContext, *, meeting_id: int | None = None
) -> ItemRef:
    """A decision of the meeting on the case. Taken at the case's current level (the
    meeting's level, or any level for a meeting without one), it also meets the conference
    deadline and the time box of the case's current stay at that level."""
    item, meeting, case = await managed_item(actor, item_id, meeting_id)
    errors = check_text("text", text, MAX_TEXT, "Het besluit", required=True)
    if errors:
        raise ValidationFailed(errors)
    decision = text.strip()
    async with db.transaction():
        held = await occurrence_time(meeting, item.occurrence_at)
        now = clock.now()
        if meeting.status == "cancelled" or held.status == "cancelled":
            raise Conflict("Dit overleg is geannuleerd; er kunnen geen besluiten bij.")
        if held.start_at > now:
            raise ValidationFailed(
                {
                    "text": "Dit overleg is nog niet begonnen. Leg het besluit vast tijdens of na "
                    "het overleg."
                }
            )
        await Decision(
            agenda_item=item.id, text=decision, decided_at=now, decided_by=actor.user_id
        ).save()
        state = await _locked_state(case.id)
        held_on = clock.local(held.start_at).date()
        progress = _at_meeting_level(state, meeting, held_on)
        if progress:
            await moves.progress_made(state, held_on, decision, now, actor, ctx.escalation)
        else:
            summary = f"Besluit vastgelegd: {await where(meeting, item)}"
            await timeline.add(case.id, "agenda.decision", summary, actor, casework=decision)
        await audit_item(actor, "agenda.decision", case, item, progress=progress)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def agenda_for(
    actor: Actor, meeting: Meeting, occurrence_at: datetime | None, ctx: MeetingContext
) -> AgendaView:
    """The agenda of a meeting (occurrence_at None) or of one occurrence of a series, as
    this reader may see it; logged with the references shown."""
    if not await may_view(actor, meeting):
        raise NotFound(NOT_FOUND)
    slot = None if meeting.rrule is None or occurrence_at is None else _utc(occurrence_at)
    items = await siblings(meeting.id, slot)
    ids = [item.id for item in items]
    visible = await _visible_cases(actor, [item.case for item in items], ctx.escalation.ladder)
    sees_text = Sensitivity.CASEWORK in visible_classes(actor)
    decisions = await _decisions(ids)
    actions = await item_actions(actor, ids)
    views = [
        _item_view(
            item,
            number,
            len(items),
            visible.get(item.case),
            sees_text,
            decisions.get(item.id, []),
            [row for row in actions if row.agenda_item == item.id],
        )
        for number, item in enumerate(items, start=1)
    ]
    shown = sorted({view.reference for view in views if view.visible})
    if shown:
        async with db.transaction():
            await audit.record(
                actor,
                "agenda.read",
                details={"meeting": meeting.id, "occurrence": iso(slot), "references": shown},
            )
    editable = may_manage(actor, meeting)
    return AgendaView(
        meeting_id=meeting.id,
        occurrence_at=slot,
        items=views,
        can_edit=editable,
        owners=await owner_options(meeting.region, ctx) if editable else [],
    )


@dataclass(frozen=True)
class UpcomingItem:
    meeting_id: int
    occurrence_at: datetime | None
    title: str
    start_at: datetime
    end_at: datetime


async def upcoming_items(actor: Actor, case_id: int, ladder: Ladder) -> list[UpcomingItem]:
    """The meetings ahead (not cancelled) with this case on their agenda, for a case page
    whose reader the caller has checked; a meeting with another case the reader may not see
    under the placeholder title."""
    rows = await db.fetch(
        "SELECT i.meeting, i.occurrence_at, m.title, m.start_at, m.end_at, m.status"
        ' FROM agenda_item i JOIN meeting m ON m.id = i.meeting WHERE i."case" = {}',
        case_id,
    )
    now = clock.now()
    disclosed = await disclosed_to(actor, [row["meeting"] for row in rows], ladder)
    found: list[UpcomingItem] = []
    for row in rows:
        at = instant(row["occurrence_at"]) if row["occurrence_at"] else None
        start, end = instant(row["start_at"]), instant(row["end_at"])
        held = await actual_time(row["meeting"], start, end, at)
        if row["status"] != "cancelled" and held.status != "cancelled" and held.end_at > now:
            title = row["title"] if row["meeting"] in disclosed else PLACEHOLDER
            found.append(UpcomingItem(row["meeting"], at, title, held.start_at, held.end_at))
    return sorted(found, key=lambda item: item.start_at)


# --- helpers -----------------------------------------------------------------------------


def _slot(
    meeting: Meeting, occurrence_at: datetime | None, errors: dict[str, str]
) -> datetime | None:
    """The stored occurrence of a new item: None for a single meeting, else an original
    start of the series."""
    if meeting.rrule is None:
        if occurrence_at is not None and occurrence_at != meeting.start_at:
            errors["occurrence_at"] = "Dit overleg is geen reeks; kies geen bijeenkomst."
        return None
    if occurrence_at is None or not is_occurrence(meeting.start_at, meeting.rrule, occurrence_at):
        errors["occurrence_at"] = "Kies een bijeenkomst van deze reeks."
        return None
    return _utc(occurrence_at)


async def _renumber(order: list[AgendaItem]) -> None:
    for position, row in enumerate(order, start=1):
        if row.position != position:
            await AgendaItem.update({AgendaItem.position: position}).where(AgendaItem.id == row.id)


def _at_meeting_level(state: CaseState, meeting: Meeting, held_on: date) -> bool:
    """Whether the decision was taken at the case's current stay at its level."""
    level_matches = meeting.level is None or meeting.level == state.level
    since = clock.local(state.level_since).date()
    return state.is_open and level_matches and held_on >= since


async def _locked_state(case_id: int) -> CaseState:
    """The case's state, its row locked against the deadline sweep (PostgreSQL; SQLite
    serialises write transactions)."""
    if not db.is_sqlite():
        await db.fetch("SELECT id FROM case_file WHERE id = {} FOR UPDATE", case_id)
    return await deadlines.load_state(case_id)


async def _visible_cases(actor: Actor, case_ids: list[int], ladder: Ladder) -> dict[int, str]:
    """The references of the cases among these that the actor may see."""
    if not case_ids:
        return {}
    rows = await Case.objects().where(Case.id.is_in(case_ids))
    links = await CaseParticipant.select(CaseParticipant.case, CaseParticipant.organisation).where(
        CaseParticipant.case.is_in(case_ids)
    )
    participants: dict[int, set[int]] = {}
    for link in links:
        participants.setdefault(link["case"], set()).add(link["organisation"])
    return {
        case.id: str(case.reference)
        for case in rows
        if may_see(actor, case, participants.get(case.id, set()), ladder)
    }


async def _decisions(item_ids: list[int]) -> dict[int, list[DecisionRow]]:
    if not item_ids:
        return {}
    rows = await (
        Decision.select(
            Decision.agenda_item,
            Decision.text,
            Decision.decided_at,
            Decision.decided_by.display_name,
        )
        .where(Decision.agenda_item.is_in(item_ids))
        .order_by(Decision.decided_at)
        .order_by(Decision.id)
    )
    found: dict[int, list[DecisionRow]] = {}
    for row in rows:
        found.setdefault(row["agenda_item"], []).append(
            DecisionRow(
                row["text"],
                instant(row["decided_at"]),
                row["decided_by.display_name"] or "casetafel",
            )
        )
    return found


def _item_view(
    item: AgendaItem,
    number: int,
    count: int,
    reference: str | None,
    sees_text: bool,
    decisions: list[DecisionRow],
    actions: list[ActionRow],
) -> ItemView:
    """One item as the reader may see it: a case they may not see shows as MASKED, with
    none of its texts, decisions or actions; free text only to readers of casework."""
    visible = reference is not None
    shows_text = visible and sees_text
    return ItemView(
        id=item.id,
        number=number,
        reference=reference if reference is not None else MASKED,
        visible=visible,
        question=item.question if shows_text else (MASKED if item.question else ""),
        outcome=item.outcome if shows_text else (MASKED if item.outcome else ""),
        decisions=[
            d if sees_text else DecisionRow(MASKED, d.decided_at, d.decided_by) for d in decisions
        ]
        if visible
        else [],
        actions=actions if visible else [],
        first=number == 1,
        last=number == count,
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
