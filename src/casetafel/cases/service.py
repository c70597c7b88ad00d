"""The case register: register, read, change and close cases, with access and audit.

Every function takes the acting user, checks what they may do, and writes the timeline
and the audit log in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from casetafel import clock, db
from casetafel.access import audit, scope
from casetafel.access.policy import Actor, Sensitivity, current
from casetafel.cases import events, timeline
from casetafel.cases.access import may_see, require_case_editor, require_case_reader
from casetafel.cases.fields import EDITABLE_FIELDS, FIELD_CLASSES, FIELD_LABELS, validate
from casetafel.cases.models import BASIC_CONDITIONS, Case, CaseCategory, CaseParticipant
from casetafel.cases.presentation import loggable
from casetafel.cases.vocabulary import OUTCOMES
from casetafel.errors import Conflict, NotFound, ValidationFailed
from casetafel.ladder import Ladder
from casetafel.organisations.service import Directory

UNKNOWN_RELEASE = date(9999, 12, 31)
NOT_FOUND = "Deze casus bestaat niet of u heeft er geen toegang toe."


@dataclass(frozen=True)
class Participation:
    """An organisation taking part in a case, on a legal basis, for a purpose."""

    organisation_id: int
    legal_basis: str
    purpose: str


@dataclass(frozen=True)
class CaseView:
    """A case as one actor may see it: fields outside their classes are left out."""

    id: int
    reference: str
    region_id: int
    level: str
    level_since: datetime
    status: str
    outcome: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    values: dict[str, Any]
    visible: frozenset[Sensitivity]
    # Why the actor sees what it sees: the label of its legal basis ("art. 18b Pbw").
    access_basis: str = ""
    access_purpose: str = ""
    participations: list[Participation] = field(default_factory=list)
    timeline: list[timeline.TimelineEntry] = field(default_factory=list)

    def sees(self, field_name: str) -> bool:
        return FIELD_CLASSES[field_name] in self.visible


class _OutOfScope(NotFound):
    """An existing case the actor may not see; answered as NotFound, logged as a denial."""

    def __init__(self, case: Case) -> None:
        super().__init__(NOT_FOUND)
        self.case_id = case.id
        self.reference = case.reference


@asynccontextmanager
async def _denials_logged(actor: Actor) -> AsyncIterator[None]:
    """Record an attempt on a case outside the actor's scope, after the attempt's own
    transaction has rolled back, so that the privacy officer sees who looked where."""
    try:
        yield
    except _OutOfScope as denied:
        async with db.transaction():
            await audit.record(
                actor, "case.denied", case_id=denied.case_id, case_reference=denied.reference
            )
        raise NotFound(NOT_FOUND) from None


async def create_case(
    actor: Actor, values: dict[str, Any], directory: Directory, ladder: Ladder
) -> CaseView:
    require_case_editor(actor)
    clean = validate(values, directory, clock.today())
    home = directory.municipality_by_code(clean["home_municipality"])
    assert home is not None
    _check_in_scope(actor, clean, home.region, directory, ladder)
    _check_participants(clean, home.region, directory, ladder)
    now = clock.now()
    async with db.transaction():
        region = directory.regions[home.region]
        number = await _next_number(region.id, clock.today().year)
        reference = f"{region.code}-{clock.today().year}-{number:04d}"
        case = Case(
            reference=reference,
            region=region.id,
            level=ladder.bottom.key,
            level_since=now,
            status="open",
            created_at=now,
            updated_at=now,
            version=1,
            **_columns(clean, directory),
        )
        await case.save()
        await _write_links(case.id, clean, directory)
        changes = _changes({}, clean)
        await timeline.add(
            case.id,
            "created",
            f"Casus geregistreerd op niveau {ladder.bottom.name}",
            actor,
            changes,
        )
        await audit.record(
            actor,
            "case.create",
            case_id=case.id,
            case_reference=reference,
            details=audit_fields(changes),
        )
        await events.publish(events.CaseEvent("created", case.id, actor, tuple(changes)))
    return await get_case(actor, reference, directory, ladder, log_read=False)


async def get_case(
    actor: Actor,
    reference: str,
    directory: Directory,
    ladder: Ladder,
    *,
    log_read: bool = True,
    with_timeline: bool = True,
) -> CaseView:
    require_case_reader(actor)
    async with _denials_logged(actor):
        case, categories, participants = await _load(actor, reference, directory, ladder)
    view = _view(actor, case, categories, participants, directory)
    if with_timeline:
        view.timeline.extend(await timeline.entries(case.id, view.visible, directory))
    if log_read:
        async with db.transaction():
            await audit.record(
                actor,
                "case.read",
                case_id=case.id,
                case_reference=case.reference,
                details={"classes": sorted(view.visible)},
                basis=view.access_basis,
                purpose=view.access_purpose,
            )
    return view


async def update_case(
    actor: Actor,
    reference: str,
    changes: dict[str, Any],
    directory: Directory,
    ladder: Ladder,
    expected_version: int | None = None,
) -> CaseView:
    require_case_editor(actor)
    async with _denials_logged(actor), db.transaction():
        case, categories, participants = await _load(actor, reference, directory, ladder)
        _check_writable(case, expected_version)
        visible = _classes(actor, participants)
        hidden = [name for name in changes if FIELD_CLASSES.get(name) not in visible]
        unknown = [name for name in changes if name not in FIELD_CLASSES]
        if unknown:
            raise ValidationFailed({name: "Dit veld bestaat niet." for name in unknown})
        if hidden:
            raise ValidationFailed({name: "U mag dit veld niet wijzigen." for name in hidden})
        old = _values(case, categories, participants, directory)
        clean = validate(
            {**old, **changes}, directory, clock.today(), stored_release=old["release_date"]
        )
        if clean["home_municipality"] != old["home_municipality"]:
            home = directory.municipality_by_code(clean["home_municipality"])
            assert home is not None
            if home.region != case.region:
                raise ValidationFailed(
                    {"home_municipality": "Deze gemeente hoort bij een andere regio."}
                )
        _check_in_scope(actor, clean, case.region, directory, ladder)
        _check_participants(clean, case.region, directory, ladder)
        diff = _changes(old, clean)
        if diff:
            await _apply(case, clean, directory, actor, diff)
    return await get_case(actor, reference, directory, ladder, log_read=False)


async def close_case(
    actor: Actor,
    reference: str,
    outcome: str,
    note: str,
    directory: Directory,
    ladder: Ladder,
    expected_version: int | None = None,
) -> CaseView:
    require_case_editor(actor)
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "Kies een uitkomst."
    if len(note.strip()) > 1000:
        errors["note"] = f"Maximaal 1000 tekens (nu {len(note.strip())})."
    if errors:
        raise ValidationFailed(errors)
    async with _denials_logged(actor), db.transaction():
        case, _, _ = await _load(actor, reference, directory, ladder)
        _check_writable(case, expected_version)
        now = clock.now()
        updated = (
            await Case.update(
                {
                    Case.status: "closed",
                    Case.outcome: outcome,
                    Case.closed_at: now,
                    Case.updated_at: now,
                    Case.version: case.version + 1,
                }
            )
            .where((Case.id == case.id) & (Case.version == case.version))
            .returning(Case.id)
        )
        if not updated:
            raise Conflict(_STALE)
        summary = f"Casus afgesloten: {OUTCOMES[outcome]}"
        await timeline.add(case.id, "closed", summary, actor, casework=note.strip())
        await audit.record(
            actor,
            "case.close",
            case_id=case.id,
            case_reference=case.reference,
        )
        await events.publish(events.CaseEvent("closed", case.id, actor))
    return await get_case(actor, reference, directory, ladder, log_read=False)


_STALE = (
    "Deze casus is intussen door iemand anders gewijzigd. "
    "Open de casus opnieuw en voer uw wijziging nog eens in."
)


def _check_writable(case: Case, expected_version: int | None) -> None:
    if case.status == "closed":
        raise Conflict("Deze casus is afgesloten en kan niet meer worden gewijzigd.")
    if expected_version is not None and expected_version != case.version:
        raise Conflict(_STALE)


class _Registered:
    """The parts of a case the scope looks at, for a case being registered or changed."""

    def __init__(self, region: int, clean: dict[str, Any], directory: Directory, level: str):
        def municipality_id(code: str | None) -> int | None:
            found = directory.municipality_by_code(code) if code else None
            return found.id if found else None

        self.region = region
        self.home_municipality = municipality_id(clean["home_municipality"])
        self.receiving_municipality = municipality_id(clean["receiving_municipality"])
        self.level = level


def _check_in_scope(
    actor: Actor, clean: dict[str, Any], region_id: int, directory: Directory, ladder: Ladder
) -> None:
    """An actor may not register or move a case outside their own cases (the same scope
    that decides what they see)."""
    case = _Registered(region_id, clean, directory, ladder.bottom.key)
    if not scope.includes(actor, case, set(), ladder.top.key):
        raise ValidationFailed(
            {
                "home_municipality": "Deze casus zou dan buiten uw eigen casussen vallen: kies "
                "een gemeente van uw regio, of uw eigen gemeente als herkomst- of "
                "ontvangende gemeente."
            }
        )


def _check_participants(
    clean: dict[str, Any], region_id: int, directory: Directory, ladder: Ladder
) -> None:
    """Organisations take part only from the case's own region, or as a national body that
    owns a level of the ladder; and only on a legal basis the case records."""
    owner_kinds = {level.owner_kind for level in ladder.levels}
    problems = []
    for key in clean["participants"]:
        organisation = directory.organisation_by_key(key)
        assert organisation is not None
        if organisation.national:
            allowed = organisation.kind in owner_kinds
        else:
            allowed = organisation.region == region_id
        if not allowed:
            problems.append(f"{organisation.name} hoort niet bij de regio van deze casus")
        elif current().participation_basis(organisation.kind, clean["legal_bases"]) is None:
            problems.append(
                f"{organisation.name} heeft geen grondslag om deel te nemen "
                "(kies de grondslagen van de casus)"
            )
    if problems:
        raise ValidationFailed(
            {"participants": "; ".join(problems) + ". Deze organisaties kunnen niet deelnemen."}
        )


async def _load(
    actor: Actor, reference: str, directory: Directory, ladder: Ladder
) -> tuple[Case, list[str], list[Participation]]:
    case = await Case.objects().where(Case.reference == reference.strip().upper()).first()
    if case is None:
        raise NotFound(NOT_FOUND)
    participants = [
        Participation(row["organisation"], row["legal_basis"], row["purpose"])
        for row in await CaseParticipant.select(
            CaseParticipant.organisation, CaseParticipant.legal_basis, CaseParticipant.purpose
        ).where(CaseParticipant.case == case.id)
    ]
    if not may_see(actor, case, {p.organisation_id for p in participants}, ladder):
        raise _OutOfScope(case)
    categories = [
        row["category"]
        for row in await CaseCategory.select(CaseCategory.category).where(
            CaseCategory.case == case.id
        )
    ]
    return case, categories, participants


def _values(
    case: Case, categories: list[str], participants: list[Participation], directory: Directory
) -> dict[str, Any]:
    def code(municipality_id: int | None) -> str | None:
        return directory.municipalities[municipality_id].cbs_code if municipality_id else None

    def key(organisation_id: int | None) -> str | None:
        return directory.organisations[organisation_id].key if organisation_id else None

    values: dict[str, Any] = {
        "subject_name": case.subject_name,
        "subject_birth_date": case.subject_birth_date,
        "categories": sorted(categories),
        "home_municipality": code(case.home_municipality),
        "receiving_municipality": code(case.receiving_municipality),
        "legal_framework": case.legal_framework,
        "release_date": case.release_date,
        "release_certainty": case.release_certainty,
        "bij_notice_date": case.bij_notice_date,
        "process_lead": key(case.process_lead),
        "case_lead": key(case.case_lead),
        "participants": sorted(k for k in (key(p.organisation_id) for p in participants) if k),
        "legal_bases": [b for b in case.legal_bases.split(",") if b],
        "notes": case.notes,
    }
    for name in BASIC_CONDITIONS:
        values[f"{name}_state"] = getattr(case, f"{name}_state")
        values[f"{name}_note"] = getattr(case, f"{name}_note")
    values["housing_requirement"] = case.housing_requirement
    return values


# The values of every field of a case, unfiltered: only for the subject's own overview.
field_values = _values


def _participation_basis(actor: Actor, participants: list[Participation]) -> str | None:
    own = next((p for p in participants if p.organisation_id == actor.organisation_id), None)
    return own.legal_basis if own else None


def _classes(actor: Actor, participants: list[Participation]) -> frozenset[Sensitivity]:
    return actor.case_classes(_participation_basis(actor, participants))


def _view(
    actor: Actor,
    case: Case,
    categories: list[str],
    participants: list[Participation],
    directory: Directory,
) -> CaseView:
    basis = _participation_basis(actor, participants)
    visible = actor.case_classes(basis)
    values = _values(case, categories, participants, directory)
    return CaseView(
        id=case.id,
        reference=case.reference,
        region_id=case.region,
        level=case.level,
        level_since=case.level_since,
        status=case.status,
        outcome=case.outcome,
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
        values={k: v for k, v in values.items() if FIELD_CLASSES[k] in visible},
        visible=visible,
        access_basis=actor.legal_basis(basis),
        access_purpose=actor.legal_purpose(basis),
        participations=participants,
    )


def _columns(clean: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """Case column values for the validated field values."""

    def municipality_id(code: str | None) -> int | None:
        found = directory.municipality_by_code(code) if code else None
        return found.id if found else None

    def organisation_id(key: str | None) -> int | None:
        found = directory.organisation_by_key(key) if key else None
        return found.id if found else None

    columns: dict[str, Any] = {
        "subject_name": clean["subject_name"],
        "subject_birth_date": clean["subject_birth_date"],
        "home_municipality": municipality_id(clean["home_municipality"]),
        "receiving_municipality": municipality_id(clean["receiving_municipality"]),
        "legal_framework": clean["legal_framework"],
        "release_date": clean["release_date"],
        "release_order": clean["release_date"] or UNKNOWN_RELEASE,
        "release_certainty": clean["release_certainty"],
        "bij_notice_date": clean["bij_notice_date"],
        "process_lead": organisation_id(clean["process_lead"]),
        "case_lead": organisation_id(clean["case_lead"]),
        "notes": clean["notes"],
    }
    for name in BASIC_CONDITIONS:
        columns[f"{name}_state"] = clean[f"{name}_state"]
        columns[f"{name}_note"] = clean[f"{name}_note"]
    columns["housing_requirement"] = clean["housing_requirement"]
    columns["legal_bases"] = ",".join(clean["legal_bases"])
    return columns


async def _write_links(case_id: int, clean: dict[str, Any], directory: Directory) -> None:
    await CaseCategory.delete().where(CaseCategory.case == case_id)
    await CaseParticipant.delete().where(CaseParticipant.case == case_id)
    if clean["categories"]:
        await CaseCategory.insert(
            *[CaseCategory(case=case_id, category=c) for c in clean["categories"]]
        )
    organisations = [directory.organisation_by_key(k) for k in clean["participants"]]
    rows = [_participant(case_id, o.id, o.kind, clean["legal_bases"]) for o in organisations if o]
    if rows:
        await CaseParticipant.insert(*rows)


def _participant(
    case_id: int, organisation_id: int, kind: str, case_bases: list[str]
) -> CaseParticipant:
    policy = current()
    basis = policy.participation_basis(kind, case_bases) or ""
    purpose = policy.bases[basis].purpose if basis else ""
    return CaseParticipant(
        case=case_id, organisation=organisation_id, legal_basis=basis, purpose=purpose
    )


async def _apply(
    case: Case,
    clean: dict[str, Any],
    directory: Directory,
    actor: Actor,
    diff: list[dict[str, Any]],
) -> None:
    columns = _columns(clean, directory)
    columns.update(updated_at=clock.now(), version=case.version + 1)
    updated = (
        await Case.update({getattr(Case, k): v for k, v in columns.items()})
        .where((Case.id == case.id) & (Case.version == case.version))
        .returning(Case.id)
    )
    if not updated:
        raise Conflict(_STALE)
    changed_fields = {change["field"] for change in diff}
    if changed_fields & {"categories", "participants", "legal_bases"}:
        await _write_links(case.id, clean, directory)
    labels = ", ".join(FIELD_LABELS[change["field"]] for change in diff)
    await timeline.add(case.id, "updated", f"Gewijzigd: {labels}", actor, diff)
    await audit.record(
        actor,
        "case.update",
        case_id=case.id,
        case_reference=case.reference,
        details=audit_fields(diff),
    )
    await events.publish(events.CaseEvent("updated", case.id, actor, tuple(diff)))


def audit_fields(changes: list[dict[str, Any]]) -> dict[str, list[str]]:
    """What the audit log keeps of a change: the names of the fields, never their values."""
    return {"fields": [change["field"] for change in changes]}


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": name, "old": loggable(name, old.get(name)), "new": loggable(name, new[name])}
        for name in EDITABLE_FIELDS
        if old.get(name) != new[name] and not (name not in old and new[name] in (None, "", []))
    ]


# Changes made by the rules of higher domains (escalation), inside their caller's
# transaction. They bump the version, so that a form opened before is refused as stale.


async def visible_case(actor: Actor, reference: str, directory: Directory, ladder: Ladder) -> Case:
    """The case row, if the actor may see it (else NotFound, the attempt logged)."""
    require_case_reader(actor)
    async with _denials_logged(actor):
        case, _, _ = await _load(actor, reference, directory, ladder)
    return case


async def move_level(case_id: int, level: str, at: datetime, expected_version: int) -> bool:
    """Put the case on another level; False when its version is no longer the expected one."""
    updated = (
        await Case.update(
            {
                Case.level: level,
                Case.level_since: at,
                Case.updated_at: at,
                Case.version: expected_version + 1,
            }
        )
        .where((Case.id == case_id) & (Case.version == expected_version))
        .returning(Case.id)
    )
    return bool(updated)


async def touch(case_id: int, at: datetime) -> None:
    """Mark activity on the case (it sorts as recently changed) without a new version."""
    await Case.update({Case.updated_at: at}).where(Case.id == case_id)


async def add_participants(
    case_id: int, organisations: list[tuple[int, str]], at: datetime
) -> list[int]:
    """Add organisations (id, kind) that do not take part yet, on the basis the case's
    legal bases give their kind; an organisation without one is not added. Returns the
    ids added."""
    present = {
        row["organisation"]
        for row in await CaseParticipant.select(CaseParticipant.organisation).where(
            CaseParticipant.case == case_id
        )
    }
    row = await Case.select(Case.legal_bases).where(Case.id == case_id).first()
    bases = [b for b in (row["legal_bases"] if row else "").split(",") if b]
    policy = current()
    added = [
        (o, kind)
        for o, kind in dict.fromkeys(organisations)
        if o not in present and policy.participation_basis(kind, bases)
    ]
    if added:
        await CaseParticipant.insert(*[_participant(case_id, o, k, bases) for o, k in added])
        await _bump(case_id, at, {})
    return [o for o, _ in added]


async def set_housing_requirement(case_id: int, text: str, at: datetime) -> bool:
    """Set the housing condition unless someone has written one already."""
    updated = (
        await Case.update({Case.housing_requirement: text})
        .where((Case.id == case_id) & (Case.housing_requirement == ""))
        .returning(Case.id)
    )
    if updated:
        await _bump(case_id, at, {})
    return bool(updated)


async def _bump(case_id: int, at: datetime, columns: dict[Any, Any]) -> None:
    await Case.update({**columns, Case.updated_at: at, Case.version: Case.version + 1}).where(
        Case.id == case_id
    )


async def _next_number(region_id: int, year: int) -> int:
    rows = await db.fetch(
        "INSERT INTO reference_counter (region, year, last_number) VALUES ({}, {}, 1) "
        "ON CONFLICT (region, year) DO UPDATE SET last_number = reference_counter.last_number + 1 "
        "RETURNING last_number",
        region_id,
        year,
    )
    return int(rows[0]["last_number"])
