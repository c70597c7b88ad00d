"""The agenda of a meeting, or of one occurrence of a standing meeting: cases in order with
the question put to the meeting, the outcome, the decisions and the actions (who does what by
when); referrals to the next standing meeting before its cut-off; open and overdue actions.

The coordinator who manages the meeting changes its agenda; attendees read it. A case's
reference and texts show only to a reader who may see the case (free text only to readers
of casework). Every change is audit-logged and written to the case's timeline (free text as
casework) in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor, Role, Sensitivity, visible_classes
from casetafel.cases import service as cases
from casetafel.cases import timeline
from casetafel.cases.access import may_see, require_case_reader, scope_sql
from casetafel.cases.models import Case, CaseParticipant
from casetafel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from casetafel.escalation import deadlines, moves
from casetafel.escalation.rules import CaseState
from casetafel.ladder import Ladder
from casetafel.meetings.access import NOT_FOUND, may_manage, may_view, meeting_for
from casetafel.meetings.config import MeetingKind, MeetingsConfig
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Action, AgendaItem, Decision, Meeting, Occurrence
from casetafel.meetings.recurrence import OccurrenceTime, Override, is_occurrence, occurrences
from casetafel.organisations.models import Organisation, Person

MAX_TEXT = 1000
MAX_ACTION = 500
MASKED = "[afgeschermd]"
# How far ahead a referral looks for an occurrence whose cut-off has not passed.
REFERRAL_HORIZON = timedelta(days=400)
OVERDUE_LIMIT = 50
ITEM_NOT_FOUND = "Dit agendapunt bestaat niet (meer) of u heeft er geen toegang toe."
ACTION_NOT_FOUND = "Deze actie bestaat niet (meer) of u heeft er geen toegang toe."
ACTION_COLUMNS = (
    "a.id, a.agenda_item, a.description, a.due_date, a.done_at,"
    " a.owner_organisation, a.owner_person,"
    " c.reference, c.region, i.meeting, o.name AS org_name, p.name AS person_name,"
    " p.organisation AS person_org, po.name AS person_org_name"
    ' FROM meeting_action a JOIN case_file c ON c.id = a."case"'
    " LEFT JOIN agenda_item i ON i.id = a.agenda_item"
    " LEFT JOIN organisation o ON o.id = a.owner_organisation"
    " LEFT JOIN person p ON p.id = a.owner_person"
    " LEFT JOIN organisation po ON po.id = p.organisation"
)


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


@dataclass(frozen=True)
class DecisionRow:
    text: str
    decided_at: datetime
    decided_by: str


@dataclass(frozen=True)
class ActionRow:
    id: int
    reference: str
    description: str
    owner: str
    due_date: date
    done_at: datetime | None
    overdue: bool
    days_overdue: int
    may_complete: bool
    meeting_id: int | None
    agenda_item: int | None


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
    return actor.role is Role.COORDINATOR and actor.region_id == region_id


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
    case = await _case_for_agenda(actor, reference, ctx)
    errors = _check_text("question", question, MAX_TEXT, "De vraag")
    slot = _slot(meeting, occurrence_at, errors)
    if errors:
        raise ValidationFailed(errors)
    async with db.transaction():
        meeting = await _lock_meeting(meeting.id)
        await _append(actor, meeting, slot, case, question.strip(), referred=False)
    return ItemRef(meeting.id, slot, case.reference)


async def refer_to_next(
    actor: Actor, reference: str, kind_key: str, question: str, ctx: MeetingContext
) -> tuple[int, datetime | None]:
    """Refer a case to the next occurrence of the region's standing meeting of this kind
    whose cut-off has not passed. Returns the meeting and the occurrence's original start."""
    case = await _case_for_agenda(actor, reference, ctx)
    if not may_refer(actor, case.region):
        raise Forbidden("Alleen de coördinator van het Zorg- en Veiligheidshuis verwijst casussen.")
    errors = _check_text("question", question, MAX_TEXT, "De vraag")
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
        meeting = await _lock_meeting(target.meeting_id)
        await _append(actor, meeting, target.occurrence_at, case, question.strip(), referred=True)
    return target.meeting_id, target.occurrence_at


async def move_item(
    actor: Actor, item_id: int, direction: str, *, meeting_id: int | None = None
) -> ItemRef:
    """Swap an item with the one above ("up") or below ("down") it."""
    if direction not in {"up", "down"}:
        raise ValidationFailed({"direction": "Kies omhoog of omlaag."})
    item, meeting, case = await _managed_item(actor, item_id, meeting_id)
    async with db.transaction():
        await _lock_meeting(meeting.id)
        order = await _siblings(meeting.id, item.occurrence_at)
        index = next((i for i, row in enumerate(order) if row.id == item.id), None)
        if index is None:
            raise NotFound(ITEM_NOT_FOUND)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
            await _renumber(order)
            summary = f"Agendapunt naar plaats {other + 1} op {await _where(meeting, item)}"
            await timeline.add(case.id, "agenda.moved", summary, actor)
            await _audit(actor, "agenda.move", case, item, direction=direction)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def remove_item(actor: Actor, item_id: int, *, meeting_id: int | None = None) -> ItemRef:
    """Take a case off the agenda; not once the meeting recorded decisions or actions."""
    item, meeting, case = await _managed_item(actor, item_id, meeting_id)
    async with db.transaction():
        await _lock_meeting(meeting.id)
        taken = await Decision.exists().where(Decision.agenda_item == item.id) or (
            await Action.exists().where(Action.agenda_item == item.id)
        )
        if taken:
            raise Conflict(
                "Bij dit agendapunt zijn besluiten of acties vastgelegd; "
                "het blijft daarom op de agenda."
            )
        await AgendaItem.delete().where(AgendaItem.id == item.id)
        await _renumber(await _siblings(meeting.id, item.occurrence_at))
        summary = f"Van de agenda gehaald: {await _where(meeting, item)}"
        await timeline.add(case.id, "agenda.removed", summary, actor)
        await _audit(actor, "agenda.remove", case, item)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def record_outcome(
    actor: Actor, item_id: int, outcome: str, *, meeting_id: int | None = None
) -> ItemRef:
    item, meeting, case = await _managed_item(actor, item_id, meeting_id)
    errors = _check_text("outcome", outcome, MAX_TEXT, "De uitkomst")
    if errors:
        raise ValidationFailed(errors)
    text = outcome.strip()
    async with db.transaction():
        await AgendaItem.update({AgendaItem.outcome: text}).where(AgendaItem.id == item.id)
        verb = "Uitkomst vastgelegd" if text else "Uitkomst gewist"
        summary = f"{verb}: {await _where(meeting, item)}"
        await timeline.add(case.id, "agenda.outcome", summary, actor, casework=text)
        await _audit(actor, "agenda.outcome", case, item, cleared=not text)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def record_decision(
    actor: Actor, item_id: int, text: str, ctx: MeetingContext, *, meeting_id: int | None = None
) -> ItemRef:
    """A decision of the meeting on the case. Taken at the case's current level (the
    meeting's level, or any level for a meeting without one), it also meets the conference
    deadline and the time box of the case's current stay at that level."""
    item, meeting, case = await _managed_item(actor, item_id, meeting_id)
    errors = _check_text("text", text, MAX_TEXT, "Het besluit", required=True)
    if errors:
        raise ValidationFailed(errors)
    decision = text.strip()
    async with db.transaction():
        held = await _occurrence_time(meeting, item.occurrence_at)
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
            summary = f"Besluit vastgelegd: {await _where(meeting, item)}"
            await timeline.add(case.id, "agenda.decision", summary, actor, casework=decision)
        await _audit(actor, "agenda.decision", case, item, progress=progress)
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def add_action(
    actor: Actor,
    item_id: int,
    description: str,
    owner_organisation_id: int | None,
    owner_person_id: int | None,
    due_date: date | None,
    *,
    meeting_id: int | None = None,
) -> ItemRef:
    """Who does what by when, for the case of an agenda item."""
    item, meeting, case = await _managed_item(actor, item_id, meeting_id)
    errors = _check_text("description", description, MAX_ACTION, "De actie", required=True)
    owner = await _owner(meeting.region, owner_organisation_id, owner_person_id, errors)
    if due_date is None:
        errors["due_date"] = "Vul de datum in waarop de actie uiterlijk klaar is."
    elif due_date < clock.today():
        errors["due_date"] = "Deze datum ligt in het verleden; kies vandaag of later."
    if errors:
        raise ValidationFailed(errors)
    assert due_date is not None
    if case.status != "open":
        raise Conflict("Deze casus is afgesloten; er kunnen geen acties meer bij.")
    async with db.transaction():
        await Action(
            agenda_item=item.id,
            case=case.id,
            description=description.strip(),
            owner_organisation=owner_organisation_id,
            owner_person=owner_person_id,
            due_date=due_date,
            created_at=clock.now(),
            created_by=actor.user_id,
        ).save()
        summary = f"Actie afgesproken voor {owner}, uiterlijk {due_date:%d-%m-%Y}"
        summary += f" ({await _where(meeting, item)})"
        await timeline.add(case.id, "action.added", summary, actor, casework=description.strip())
        await _audit(actor, "action.add", case, item, due_date=due_date.isoformat())
    return ItemRef(meeting.id, item.occurrence_at, case.reference)


async def complete_action(actor: Actor, action_id: int) -> str:
    """Mark an action done: by the coordinator of the case's region, or by a user of the
    organisation that owns it (or of the owning person's organisation). Returns the case's
    reference."""
    action = await Action.objects().where(Action.id == action_id).first()
    case = await Case.objects().where(Case.id == action.case).first() if action else None
    if action is None or case is None:
        raise NotFound(ACTION_NOT_FOUND)
    person_org = await _person_organisation(action.owner_person)
    if not _may_complete(actor, case.region, action.owner_organisation, person_org):
        raise Forbidden(
            "Alleen de coördinator of een medewerker van de eigenaar kan deze actie gereedmelden."
        )
    async with db.transaction():
        done = (
            await Action.update({Action.done_at: clock.now()})
            .where((Action.id == action.id) & Action.done_at.is_null())
            .returning(Action.id)
        )
        if not done:
            raise Conflict("Deze actie is al gereedgemeld.")
        summary = f"Actie gereedgemeld (uiterlijk {action.due_date:%d-%m-%Y})"
        await timeline.add(case.id, "action.done", summary, actor, casework=action.description)
        await audit.record(
            actor,
            "action.complete",
            case_id=case.id,
            case_reference=case.reference,
            details={"action": action.id},
        )
    return str(case.reference)


async def open_actions(actor: Actor, case_id: int, ladder: Ladder) -> list[ActionRow]:
    """The actions of one case not done yet, earliest due first (the case page)."""
    require_case_reader(actor)
    scope, args = scope_sql(actor, ladder)
    rows = await db.fetch(
        f'SELECT {ACTION_COLUMNS} WHERE a."case" = {{}} AND a.done_at IS NULL AND {scope}'
        " ORDER BY a.due_date, a.id",
        case_id,
        *args,
    )
    found = _action_rows(actor, rows)
    if found:
        async with db.transaction():
            await audit.record(
                actor, "case.actions.read", case_id=case_id, case_reference=found[0].reference
            )
    return found


async def overdue_actions(actor: Actor, ladder: Ladder) -> list[ActionRow]:
    """Actions past their due date of the actor's open cases (the dashboard)."""
    require_case_reader(actor)
    scope, args = scope_sql(actor, ladder)
    rows = await db.fetch(
        f"SELECT {ACTION_COLUMNS} WHERE a.done_at IS NULL AND a.due_date < {{}}"
        f" AND c.status = 'open' AND {scope} ORDER BY a.due_date, a.id LIMIT {{}}",
        clock.today(),
        *args,
        OVERDUE_LIMIT,
    )
    found = _action_rows(actor, rows)
    if found:
        references = sorted({row.reference for row in found})
        async with db.transaction():
            await audit.record(actor, "dashboard.actions.read", details={"references": references})
    return found


async def agenda_for(
    actor: Actor, meeting: Meeting, occurrence_at: datetime | None, ctx: MeetingContext
) -> AgendaView:
    """The agenda of a meeting (occurrence_at None) or of one occurrence of a series, as
    this reader may see it; logged with the references shown."""
    if not await may_view(actor, meeting):
        raise NotFound(NOT_FOUND)
    slot = None if meeting.rrule is None or occurrence_at is None else _utc(occurrence_at)
    items = await _siblings(meeting.id, slot)
    ids = [item.id for item in items]
    visible = await _visible_cases(actor, [item.case for item in items], ctx.escalation.ladder)
    sees_text = Sensitivity.CASEWORK in visible_classes(actor)
    decisions = await _decisions(ids)
    actions = _action_rows(actor, await _item_actions(ids))
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
                details={"meeting": meeting.id, "occurrence": _iso(slot), "references": shown},
            )
    editable = may_manage(actor, meeting)
    return AgendaView(
        meeting_id=meeting.id,
        occurrence_at=slot,
        items=views,
        can_edit=editable,
        owners=await _owner_options(meeting.region, ctx) if editable else [],
    )


@dataclass(frozen=True)
class UpcomingItem:
    meeting_id: int
    occurrence_at: datetime | None
    title: str
    start_at: datetime
    end_at: datetime


async def upcoming_items(case_id: int) -> list[UpcomingItem]:
    """The meetings ahead (not cancelled) with this case on their agenda, for a case page
    whose reader the caller has checked."""
    rows = await db.fetch(
        "SELECT i.meeting, i.occurrence_at, m.title, m.start_at, m.end_at, m.status"
        ' FROM agenda_item i JOIN meeting m ON m.id = i.meeting WHERE i."case" = {}',
        case_id,
    )
    now = clock.now()
    found: list[UpcomingItem] = []
    for row in rows:
        at = _instant(row["occurrence_at"]) if row["occurrence_at"] else None
        start, end = _instant(row["start_at"]), _instant(row["end_at"])
        held = await _held(row["meeting"], start, end, at)
        if row["status"] != "cancelled" and held.status != "cancelled" and held.end_at > now:
            found.append(UpcomingItem(row["meeting"], at, row["title"], held.start_at, held.end_at))
    return sorted(found, key=lambda item: item.start_at)


# --- helpers -----------------------------------------------------------------------------


async def _case_for_agenda(actor: Actor, reference: str, ctx: MeetingContext) -> Case:
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


async def _append(
    actor: Actor,
    meeting: Meeting,
    slot: datetime | None,
    case: Case,
    question: str,
    *,
    referred: bool,
) -> AgendaItem:
    held = await _occurrence_time(meeting, slot)
    if meeting.status == "cancelled" or held.status == "cancelled":
        raise Conflict("Dit overleg is geannuleerd; kies een ander overleg of een andere datum.")
    order = await _siblings(meeting.id, slot)
    if any(row.case == case.id for row in order):
        raise ValidationFailed({"reference": f"Casus {case.reference} staat al op deze agenda."})
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
    await _audit(actor, "agenda.refer" if referred else "agenda.add", case, item)
    return item


async def _managed_item(
    actor: Actor, item_id: int, meeting_id: int | None
) -> tuple[AgendaItem, Meeting, Case]:
    item = await AgendaItem.objects().where(AgendaItem.id == item_id).first()
    if item is None or (meeting_id is not None and item.meeting != meeting_id):
        raise NotFound(ITEM_NOT_FOUND)
    meeting = await meeting_for(actor, item.meeting, manage=True)
    case = await Case.objects().where(Case.id == item.case).first()
    assert case is not None
    return item, meeting, case


async def _siblings(meeting_id: int, slot: datetime | None) -> list[AgendaItem]:
    at = AgendaItem.occurrence_at.is_null() if slot is None else AgendaItem.occurrence_at == slot
    rows: list[AgendaItem] = (
        await AgendaItem.objects()
        .where((AgendaItem.meeting == meeting_id) & at)
        .order_by(AgendaItem.position)
        .order_by(AgendaItem.id)
    )
    return rows


async def _renumber(order: list[AgendaItem]) -> None:
    for position, row in enumerate(order, start=1):
        if row.position != position:
            await AgendaItem.update({AgendaItem.position: position}).where(AgendaItem.id == row.id)


async def _occurrence_time(meeting: Meeting, slot: datetime | None) -> OccurrenceTime:
    return await _held(meeting.id, meeting.start_at, meeting.end_at, slot)


async def _held(
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


async def _where(meeting: Meeting, item: AgendaItem) -> str:
    held = await _occurrence_time(meeting, item.occurrence_at)
    return f"{meeting.title} van {_moment(held.start_at)}"


def _moment(at: datetime) -> str:
    return f"{clock.local(at):%d-%m-%Y %H:%M}"


async def _audit(actor: Actor, action: str, case: Case, item: AgendaItem, **details: Any) -> None:
    await audit.record(
        actor,
        action,
        case_id=case.id,
        case_reference=case.reference,
        details={
            "meeting": item.meeting,
            "occurrence": _iso(item.occurrence_at),
            "item": item.id,
            **details,
        },
    )


def _check_text(
    field: str, text: str, limit: int, label: str, *, required: bool = False
) -> dict[str, str]:
    length = len(text.strip())
    if required and not length:
        return {field: f"{label} is leeg; vul het in."}
    if length > limit:
        return {field: f"{label} is te lang: maximaal {limit} tekens (nu {length})."}
    return {}


async def _owner(
    region_id: int, organisation_id: int | None, person_id: int | None, errors: dict[str, str]
) -> str:
    """The owner's name, after checking that exactly one owner of the region is chosen."""
    if (organisation_id is None) == (person_id is None):
        errors["owner"] = "Kies één eigenaar: een organisatie of een persoon."
        return ""
    if organisation_id is not None:
        organisation = (
            await Organisation.objects().where(Organisation.id == organisation_id).first()
        )
        if organisation is None or not (organisation.region == region_id or organisation.national):
            errors["owner"] = "Kies een organisatie uit deze regio."
            return ""
        return str(organisation.name)
    rows = await db.fetch(
        "SELECT p.name, o.name AS org_name FROM person p JOIN organisation o"
        " ON o.id = p.organisation WHERE p.id = {} AND p.active = {}"
        " AND (o.region = {} OR o.national = {})",
        person_id,
        True,
        region_id,
        True,
    )
    if not rows:
        errors["owner"] = "Kies een persoon uit deze regio."
        return ""
    return f"{rows[0]['name']} ({rows[0]['org_name']})"


async def _owner_options(region_id: int, ctx: MeetingContext) -> list[tuple[str, str]]:
    organisations = ctx.directory.region_organisations(region_id)
    options = [(f"organisation:{o.id}", str(o.name)) for o in organisations]
    names = {o.id: o.name for o in organisations}
    persons = (
        await Person.objects()
        .where((Person.active == True) & Person.organisation.is_in(list(names) or [0]))  # noqa: E712
        .order_by(Person.name)
    )
    options += [(f"person:{p.id}", f"{p.name} ({names[p.organisation]})") for p in persons]
    return options


async def _person_organisation(person_id: int | None) -> int | None:
    if person_id is None:
        return None
    row = await Person.select(Person.organisation).where(Person.id == person_id).first()
    return int(row["organisation"]) if row else None


def _may_complete(
    actor: Actor, region_id: int, owner_organisation: int | None, person_organisation: int | None
) -> bool:
    if actor.role is Role.COORDINATOR and actor.region_id == region_id:
        return True
    return actor.organisation_id in {owner_organisation, person_organisation} - {None}


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


async def _lock_meeting(meeting_id: int) -> Meeting:
    """The meeting, locked so that two agenda changes do not number items alike."""
    if not db.is_sqlite():
        await db.fetch("SELECT id FROM meeting WHERE id = {} FOR UPDATE", meeting_id)
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()
    if meeting is None:
        raise NotFound(NOT_FOUND)
    return meeting


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
                _instant(row["decided_at"]),
                row["decided_by.display_name"] or "casetafel",
            )
        )
    return found


async def _item_actions(item_ids: list[int]) -> list[dict[str, Any]]:
    if not item_ids:
        return []
    marks = ", ".join("{}" for _ in item_ids)
    return await db.fetch(
        f"SELECT {ACTION_COLUMNS} WHERE a.agenda_item IN ({marks}) ORDER BY a.due_date, a.id",
        *item_ids,
    )


def _action_rows(actor: Actor, rows: list[dict[str, Any]]) -> list[ActionRow]:
    today = clock.today()
    sees_text = Sensitivity.CASEWORK in visible_classes(actor)
    found: list[ActionRow] = []
    for row in rows:
        due = _day(row["due_date"])
        done_at = _instant(row["done_at"]) if row["done_at"] else None
        owner = row["org_name"] or f"{row['person_name']} ({row['person_org_name']})"
        late = done_at is None and due < today
        found.append(
            ActionRow(
                id=row["id"],
                reference=row["reference"],
                description=row["description"] if sees_text else MASKED,
                owner=owner,
                due_date=due,
                done_at=done_at,
                overdue=late,
                days_overdue=(today - due).days if late else 0,
                may_complete=done_at is None
                and _may_complete(
                    actor, row["region"], row["owner_organisation"], row["person_org"]
                ),
                meeting_id=row["meeting"],
                agenda_item=row["agenda_item"],
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


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _instant(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
