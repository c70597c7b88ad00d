"""Actions agreed on a case at a meeting, for its agenda item: who (an organisation or a
person of the region) does what by when, marking them done, a case's open actions (the case
page) and the overdue ones (the dashboard). Descriptions show only to readers of casework;
every read and change is audit-logged, and every change is on the case's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from casetafel import clock, db
from casetafel.access import audit, reads
from casetafel.access.policy import Actor, Sensitivity, visible_classes
from casetafel.cases import timeline
from casetafel.cases.access import require_case_reader, scope_sql
from casetafel.cases.models import Case
from casetafel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from casetafel.ladder import Ladder
from casetafel.meetings.agenda_common import (
    MASKED,
    ItemRef,
    audit_item,
    check_text,
    instant,
    managed_item,
    where,
)
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.models import Action
from casetafel.organisations.models import Organisation, Person

MAX_ACTION = 500
OVERDUE_LIMIT = 50
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
    item, meeting, case = await managed_item(actor, item_id, meeting_id)
    errors = check_text("description", description, MAX_ACTION, "De actie", required=True)
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
        summary += f" ({await where(meeting, item)})"
        await timeline.add(case.id, "action.added", summary, actor, casework=description.strip())
        await audit_item(actor, "action.add", case, item)
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
        await reads.read(actor, "dashboard.actions.read", [row.reference for row in found])
    return found


async def item_actions(actor: Actor, item_ids: list[int]) -> list[ActionRow]:
    """The actions of these agenda items, as this reader may see them (the agenda)."""
    if not item_ids:
        return []
    marks = ", ".join("{}" for _ in item_ids)
    rows = await db.fetch(
        f"SELECT {ACTION_COLUMNS} WHERE a.agenda_item IN ({marks}) ORDER BY a.due_date, a.id",
        *item_ids,
    )
    return _action_rows(actor, rows)


async def owner_options(region_id: int, ctx: MeetingContext) -> list[tuple[str, str]]:
    """The owners an action may have, for the action form on the agenda."""
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


# --- helpers -----------------------------------------------------------------------------


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


async def _person_organisation(person_id: int | None) -> int | None:
    if person_id is None:
        return None
    row = await Person.select(Person.organisation).where(Person.id == person_id).first()
    return int(row["organisation"]) if row else None


def _may_complete(
    actor: Actor, region_id: int, owner_organisation: int | None, person_organisation: int | None
) -> bool:
    if actor.may("action.complete.any") and actor.region_id == region_id:
        return True
    return actor.organisation_id in {owner_organisation, person_organisation} - {None}


def _action_rows(actor: Actor, rows: list[dict[str, Any]]) -> list[ActionRow]:
    today = clock.today()
    sees_text = Sensitivity.CASEWORK in visible_classes(actor)
    found: list[ActionRow] = []
    for row in rows:
        due = _day(row["due_date"])
        done_at = instant(row["done_at"]) if row["done_at"] else None
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


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
