"""The registry of participants who may not log in: they receive case-conference invites.

Only the coordinator (the organisations of their region and the national ones) and the
functional administrator (all organisations) read or change it. The registry holds the work
contact data of professionals, not case data, so reads are not audited; every change is,
in the transaction of the change. Persons are never deleted: meetings refer to them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.string import Lower

from casetafel import db
from casetafel.access import audit
from casetafel.access.policy import Actor
from casetafel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from casetafel.organisations.models import Organisation, Person

FIELDS = ("name", "email", "function", "organisation")
MAX_LENGTHS = {"name": 200, "email": 254, "function": 200}

# Any fixed number: the PostgreSQL advisory lock that serialises writes to the registry, so
# that two people cannot register the same address at once (SQLite's IMMEDIATE transactions
# serialise writers already).
_REGISTRY_LOCK = 7_352_115

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# One plain address (no display name, no quoted local part, no IP literal), ASCII only so that
# every SMTP server takes it.
EMAIL = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEVERAL = re.compile(r"[,;\s]")

NOT_FOUND = "Deze deelnemer bestaat niet."
_STALE = (
    "Deze deelnemer is intussen door iemand anders gewijzigd. Controleer de gegevens die nu "
    "zijn opgeslagen en voer uw wijziging zo nodig opnieuw in."
)
_INACTIVE = "Deze deelnemer is gedeactiveerd en kan niet meer worden gewijzigd."


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    email: str
    function: str
    organisation_id: int
    organisation_key: str
    organisation_name: str
    active: bool
    version: int


@dataclass(frozen=True)
class OrganisationChoice:
    id: int
    key: str
    name: str


def may_manage_persons(actor: Actor) -> bool:
    return actor.may("persons.manage")


def require_person_manager(actor: Actor) -> None:
    if not may_manage_persons(actor):
        raise Forbidden(
            "Alleen de coördinator en de functioneel beheerder mogen deelnemers inzien en beheren."
        )


def in_scope(actor: Actor, organisation: Organisation) -> bool:
    """Whether the actor manages the persons of this organisation."""
    if actor.may("persons.manage.all"):
        return True
    if actor.may("persons.manage"):
        own_region = actor.region_id is not None and organisation.region == actor.region_id
        return bool(organisation.national) or own_region
    return False


async def organisations_in_scope(actor: Actor) -> list[OrganisationChoice]:
    """The organisations whose persons the actor manages, by name."""
    require_person_manager(actor)
    rows = await Organisation.objects().order_by(Organisation.name)
    return [OrganisationChoice(o.id, o.key, o.name) for o in rows if in_scope(actor, o)]


async def list_persons(
    actor: Actor, organisation_id: int | None = None, include_inactive: bool = False
) -> list[PersonRow]:
    """The persons of the organisations in the actor's scope, by name."""
    require_person_manager(actor)
    query = _select().order_by(Person.name).order_by(Person.id)
    if organisation_id is not None:
        query = query.where(Person.organisation == organisation_id)
    if not include_inactive:
        query = query.where(Person.active.eq(True))
    if not actor.may("persons.manage.all"):
        query = query.where(
            Person.organisation._.national.eq(True)
            | (Person.organisation._.region == (actor.region_id or 0))
        )
    return [_row(r) for r in await query]


async def get_person(actor: Actor, person_id: int) -> PersonRow:
    require_person_manager(actor)
    return await _load(actor, person_id)


async def create_person(actor: Actor, values: Mapping[str, Any]) -> PersonRow:
    require_person_manager(actor)
    async with db.transaction():
        await _serialise_writes()
        clean, organisation = await _validate(actor, values, exclude_id=None)
        person = Person(
            name=clean["name"],
            email=clean["email"],
            function=clean["function"],
            organisation=organisation.id,
            active=True,
            version=1,
        )
        await person.save()
        await audit.record(
            actor,
            "person.create",
            details={"person_id": person.id, "organisation": organisation.key},
        )
    return await _load(actor, person.id)


async def update_person(
    actor: Actor, person_id: int, values: Mapping[str, Any], expected_version: int
) -> PersonRow:
    """Change the fields in `values` (the others stay); Conflict when the person changed
    since `expected_version` or was deactivated."""
    require_person_manager(actor)
    async with db.transaction():
        await _serialise_writes()
        old = await _load(actor, person_id)
        if not old.active:
            raise Conflict(_INACTIVE)
        if old.version != expected_version:
            raise Conflict(_STALE)
        merged = {**_values(old), **values}
        clean, organisation = await _validate(actor, merged, exclude_id=person_id)
        changed = _changed_fields(old, clean, organisation)
        if not changed:
            return old
        await _write(person_id, old.version, {**clean, "organisation": organisation.id})
        await audit.record(
            actor,
            "person.update",
            details={"person_id": person_id, "fields": changed, "organisation": organisation.key},
        )
    return await _load(actor, person_id)


async def deactivate_person(actor: Actor, person_id: int) -> PersonRow:
    """Stop offering the person as an attendee; doing it twice changes nothing."""
    require_person_manager(actor)
    async with db.transaction():
        await _serialise_writes()
        person = await _load(actor, person_id)
        if not person.active:
            return person
        await _write(person_id, person.version, {"active": False})
        await audit.record(
            actor,
            "person.deactivate",
            details={"person_id": person_id, "organisation": person.organisation_key},
        )
    return await _load(actor, person_id)


def demo_persons() -> list[dict[str, str]]:
    """Fictitious participants of the Kennemerland demo, as values for create_person."""
    return [
        {
            "name": "Anouk de Wit",
            "email": "a.dewit@politie.example.nl",
            "function": "Wijkagent Velsen-Zuid",
            "organisation": "politie-noord-holland",
        },
        {
            "name": "Bram Visser",
            "email": "b.visser@reclassering.example.nl",
            "function": "Reclasseringswerker",
            "organisation": "reclassering-nederland",
        },
        {
            "name": "Carla Jansen",
            "email": "c.jansen@om.example.nl",
            "function": "Officier van justitie",
            "organisation": "om-noord-holland",
        },
        {
            "name": "Daan Bakker",
            "email": "d.bakker@velsen.example.nl",
            "function": "Adviseur openbare orde en veiligheid",
            "organisation": "gemeente-gm0453",
        },
        {
            "name": "Esra Yilmaz",
            "email": "e.yilmaz@opvang.example.nl",
            "function": "Trajectbegeleider maatschappelijke opvang",
            "organisation": "ldh-opvang-haarlem",
        },
        {
            "name": "Floor Mulder",
            "email": "f.mulder@regiegroep.example.nl",
            "function": "Secretaris landelijke regiegroep",
            "organisation": "regiegroep",
        },
    ]


def _select() -> Any:
    return Person.select(
        Person.id,
        Person.name,
        Person.email,
        Person.function,
        Person.organisation,
        Person.organisation.key,
        Person.organisation.name,
        Person.active,
        Person.version,
    )


def _row(raw: dict[str, Any]) -> PersonRow:
    return PersonRow(
        id=raw["id"],
        name=raw["name"],
        email=raw["email"],
        function=raw["function"],
        organisation_id=raw["organisation"],
        organisation_key=raw["organisation.key"],
        organisation_name=raw["organisation.name"],
        active=bool(raw["active"]),
        version=raw["version"],
    )


async def _load(actor: Actor, person_id: int) -> PersonRow:
    raw = await _select().where(Person.id == person_id).first()
    if raw is None:
        raise NotFound(NOT_FOUND)
    organisation = (
        await Organisation.objects().where(Organisation.id == raw["organisation"]).first()
    )
    if organisation is None or not in_scope(actor, organisation):
        raise Forbidden("Deze deelnemer hoort bij een organisatie buiten uw regio.")
    return _row(raw)


def _values(row: PersonRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "email": row.email,
        "function": row.function,
        "organisation": row.organisation_key,
    }


def _changed_fields(old: PersonRow, clean: dict[str, str], organisation: Organisation) -> list[str]:
    changed = [name for name in ("name", "email", "function") if getattr(old, name) != clean[name]]
    if organisation.id != old.organisation_id:
        changed.append("organisation")
    return changed


async def _write(person_id: int, version: int, columns: dict[str, Any]) -> None:
    updated = (
        await Person.update(
            {**{getattr(Person, k): v for k, v in columns.items()}, Person.version: version + 1}
        )
        .where((Person.id == person_id) & (Person.version == version))
        .returning(Person.id)
    )
    if not updated:
        raise Conflict(_STALE)


async def _serialise_writes() -> None:
    if not db.is_sqlite():
        await db.fetch("SELECT pg_advisory_xact_lock({})", _REGISTRY_LOCK)


# Validation: every field checked, all problems reported at once, in Dutch.


async def _validate(
    actor: Actor, values: Mapping[str, Any], exclude_id: int | None
) -> tuple[dict[str, str], Organisation]:
    unknown = [name for name in values if name not in FIELDS]
    if unknown:
        raise ValidationFailed({name: "Dit veld bestaat niet." for name in unknown})
    text = {name: _text(values.get(name)) for name in FIELDS}
    errors = {
        name: message
        for name, message in (
            ("name", _name_error(text["name"])),
            ("email", _email_error(text["email"])),
            ("function", _function_error(text["function"])),
        )
        if message
    }
    organisation, problem = await _organisation(actor, text["organisation"])
    if problem:
        errors["organisation"] = problem
    if "email" not in errors:
        holder = await _active_holder(text["email"], exclude_id)
        if holder:
            errors["email"] = f"Dit e-mailadres hoort al bij {holder}."
    if errors:
        raise ValidationFailed(errors)
    assert organisation is not None
    return {name: text[name] for name in ("name", "email", "function")}, organisation


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _too_long(name: str, value: str) -> str:
    limit = MAX_LENGTHS[name]
    return f"Maximaal {limit} tekens (nu {len(value)})." if len(value) > limit else ""


def _name_error(value: str) -> str:
    if not value:
        return "Vul de naam van de deelnemer in."
    if _CONTROL.search(value):
        return "Gebruik in de naam geen regeleinden of andere stuurtekens."
    return _too_long("name", value)


def _function_error(value: str) -> str:
    if _CONTROL.search(value):
        return "Gebruik in de functie geen regeleinden of andere stuurtekens."
    return _too_long("function", value)


def _email_error(value: str) -> str:
    if not value:
        return "Vul het e-mailadres van de deelnemer in."
    if len(value) > MAX_LENGTHS["email"]:
        return _too_long("email", value)
    if value.count("@") > 1 or _SEVERAL.search(value):
        return "Vul één e-mailadres in, zonder spaties, komma's of puntkomma's."
    match = EMAIL.fullmatch(value)
    if match is None or len(match.group("local")) > 64:
        return "Vul een geldig e-mailadres in, zoals naam@organisatie.nl."
    return ""


async def _organisation(actor: Actor, key: str) -> tuple[Organisation | None, str]:
    if not key:
        return None, "Kies een organisatie."
    organisation = await Organisation.objects().where(Organisation.key == key).first()
    if organisation is None:
        return None, "Deze organisatie bestaat niet. Kies een organisatie uit de lijst."
    if not in_scope(actor, organisation):
        return None, "Deze organisatie hoort niet bij uw regio. Kies een organisatie uit de lijst."
    return organisation, ""


async def _active_holder(email: str, exclude_id: int | None) -> str:
    """The name of the active person with this address (any case), if there is one."""
    query = (
        Person.select(Person.name)
        .where(Lower(Person.email) == email.lower())
        .where(Person.active.eq(True))
    )
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    found = await query.first()
    return str(found["name"]) if found else ""
