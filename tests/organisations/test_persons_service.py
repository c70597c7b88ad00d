"""The participants' registry service: rules, validation, scope and audit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from casetafel.access.models import AuditEvent
from casetafel.access.policy import Actor, Role
from casetafel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from casetafel.organisations import persons
from casetafel.organisations.models import Organisation, Person
from tests.organisations.conftest import actions_after, last_seq


def anouk(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Anouk de Wit",
        "email": "a.dewit@politie.example.nl",
        "function": "Wijkagent",
        "organisation": "politie-noord-holland",
    }
    values.update(overrides)
    return values


def actor_of(role: Role, region_id: int | None) -> Actor:
    return Actor(1, "x", "X", role, 1, "zvh", "ZVH", region_id, "", None)


async def details(action: str) -> dict[str, Any]:
    event = await AuditEvent.objects().where(AuditEvent.action == action).first()
    assert event is not None, action
    raw = event.details
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


async def test_coordinator_registers_a_person_and_the_change_is_audited(users):
    coordinator = users.actors["coordinator"]
    before = await last_seq()
    person = await persons.create_person(coordinator, anouk(name="  Anouk de Wit  "))
    assert (person.name, person.email, person.function) == (
        "Anouk de Wit",
        "a.dewit@politie.example.nl",
        "Wijkagent",
    )
    assert person.organisation_key == "politie-noord-holland"
    assert person.organisation_name == "Politie Eenheid Noord-Holland"
    assert (person.active, person.version) == (True, 1)
    assert await actions_after(before) == ["person.create"]
    event = await AuditEvent.objects().where(AuditEvent.action == "person.create").first()
    assert (event.username, event.case_id) == ("coordinator", None)
    assert await details("person.create") == {
        "person_id": person.id,
        "organisation": "politie-noord-holland",
    }
    assert await persons.list_persons(coordinator) == [person]


async def test_reading_the_list_writes_no_audit_event(users):
    coordinator = users.actors["coordinator"]
    await persons.create_person(coordinator, anouk())
    before = await last_seq()
    await persons.list_persons(coordinator)
    await persons.get_person(
        users.actors["beheer"], (await persons.list_persons(coordinator))[0].id
    )
    assert await actions_after(before) == []


async def test_update_changes_the_fields_raises_the_version_and_is_audited(users):
    coordinator = users.actors["coordinator"]
    person = await persons.create_person(coordinator, anouk())
    before = await last_seq()
    updated = await persons.update_person(
        coordinator,
        person.id,
        {"function": "Teamchef", "organisation": "reclassering-nederland"},
        expected_version=person.version,
    )
    assert (updated.name, updated.function) == ("Anouk de Wit", "Teamchef")
    assert updated.organisation_key == "reclassering-nederland"
    assert updated.version == person.version + 1
    assert await actions_after(before) == ["person.update"]
    assert await details("person.update") == {
        "person_id": person.id,
        "fields": ["function", "organisation"],
        "organisation": "reclassering-nederland",
    }


async def test_the_audit_log_keeps_no_name_or_address(users):
    coordinator = users.actors["coordinator"]
    person = await persons.create_person(coordinator, anouk())
    await persons.update_person(
        coordinator, person.id, {"name": "Anouk Smit"}, expected_version=person.version
    )
    await persons.deactivate_person(coordinator, person.id)
    for event in await AuditEvent.objects().where(AuditEvent.action.like("person.%")):
        text = json.dumps(event.details)
        assert "Anouk" not in text
        assert "dewit" not in text


async def test_an_update_without_changes_writes_nothing(users):
    coordinator = users.actors["coordinator"]
    person = await persons.create_person(coordinator, anouk())
    before = await last_seq()
    same = await persons.update_person(coordinator, person.id, anouk(), person.version)
    assert same == person
    assert await actions_after(before) == []


async def test_a_stale_version_is_a_conflict_and_changes_nothing(users):
    coordinator = users.actors["coordinator"]
    person = await persons.create_person(coordinator, anouk())
    await persons.update_person(coordinator, person.id, {"function": "Teamchef"}, person.version)
    before = await last_seq()
    with pytest.raises(Conflict, match="intussen door iemand anders gewijzigd"):
        await persons.update_person(coordinator, person.id, {"name": "Oud"}, person.version)
    stored = await persons.get_person(coordinator, person.id)
    assert (stored.name, stored.function, stored.version) == ("Anouk de Wit", "Teamchef", 2)
    assert await actions_after(before) == []


async def test_deactivation_hides_the_person_once_and_for_all(users):
    coordinator = users.actors["coordinator"]
    person = await persons.create_person(coordinator, anouk())
    before = await last_seq()
    gone = await persons.deactivate_person(coordinator, person.id)
    assert (gone.active, gone.version) == (False, person.version + 1)
    again = await persons.deactivate_person(coordinator, person.id)
    assert again == gone
    assert await actions_after(before) == ["person.deactivate"]
    assert await persons.list_persons(coordinator) == []
    assert await persons.list_persons(coordinator, include_inactive=True) == [gone]
    assert await Person.count() == 1  # never deleted
    with pytest.raises(Conflict, match="gedeactiveerd"):
        await persons.update_person(coordinator, person.id, {"name": "Weer terug"}, gone.version)


async def test_an_address_belongs_to_one_active_person_whatever_its_case(users):
    coordinator = users.actors["coordinator"]
    first = await persons.create_person(coordinator, anouk())
    with pytest.raises(ValidationFailed) as failure:
        await persons.create_person(
            coordinator, anouk(name="Iemand Anders", email="A.DeWit@Politie.Example.NL")
        )
    assert failure.value.errors == {"email": "Dit e-mailadres hoort al bij Anouk de Wit."}
    second = await persons.create_person(coordinator, anouk(name="B", email="b@example.nl"))
    with pytest.raises(ValidationFailed, match="hoort al bij Anouk de Wit"):
        await persons.update_person(
            coordinator, second.id, {"email": "a.dewit@politie.example.nl"}, second.version
        )
    # A person keeps their own address; a deactivated person's address is free again.
    await persons.update_person(coordinator, first.id, {"function": "Teamchef"}, first.version)
    await persons.deactivate_person(coordinator, first.id)
    reused = await persons.create_person(coordinator, anouk(name="Opvolger"))
    assert reused.email == "a.dewit@politie.example.nl"


async def test_an_address_with_underscore_is_not_a_wildcard(users):
    coordinator = users.actors["coordinator"]
    await persons.create_person(coordinator, anouk(email="a_b@example.nl"))
    other = await persons.create_person(coordinator, anouk(name="X", email="axb@example.nl"))
    assert other.email == "axb@example.nl"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Vul de naam van de deelnemer in."),
        ({"name": "   "}, "name", "Vul de naam van de deelnemer in."),
        ({"name": "n" * 201}, "name", "Maximaal 200 tekens (nu 201)."),
        ({"name": "Anouk\r\nBcc: x@example.nl"}, "name", "geen regeleinden"),
        ({"email": ""}, "email", "Vul het e-mailadres van de deelnemer in."),
        ({"email": "geen-adres"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "a@localhost"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "a@@example.nl"}, "email", "Vul één e-mailadres in"),
        ({"email": "a@example.nl, b@example.nl"}, "email", "Vul één e-mailadres in"),
        ({"email": "a@example.nl;b@example.nl"}, "email", "Vul één e-mailadres in"),
        ({"email": "Anouk <a@example.nl>"}, "email", "Vul één e-mailadres in"),
        ({"email": "a b@example.nl"}, "email", "Vul één e-mailadres in"),
        ({"email": ".a@example.nl"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "a..b@example.nl"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "a@example..nl"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "a@-example.nl"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "a@example.n1"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "josé@example.nl"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "x" * 65 + "@example.nl"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "a@" + "b" * 250 + ".nl"}, "email", "Maximaal 254 tekens (nu 255)."),
        ({"function": "f" * 201}, "function", "Maximaal 200 tekens (nu 201)."),
        ({"function": "Wijk\tagent"}, "function", "geen regeleinden"),
        ({"organisation": ""}, "organisation", "Kies een organisatie."),
        ({"organisation": "bestaat-niet"}, "organisation", "Deze organisatie bestaat niet."),
        ({"telefoon": "0612345678"}, "telefoon", "Dit veld bestaat niet."),
    ],
)
async def test_bad_input_is_refused_with_a_dutch_message_at_the_field(
    change, field, message, users
):
    coordinator = users.actors["coordinator"]
    with pytest.raises(ValidationFailed) as failure:
        await persons.create_person(coordinator, anouk(**change))
    assert set(failure.value.errors) == {field}
    assert message in failure.value.errors[field]
    person = await persons.create_person(coordinator, anouk())
    with pytest.raises(ValidationFailed) as on_update:
        await persons.update_person(coordinator, person.id, change, person.version)
    assert set(on_update.value.errors) == {field}
    assert await Person.count() == 1
    assert await persons.get_person(coordinator, person.id) == person


async def test_good_addresses_are_accepted(users):
    coordinator = users.actors["coordinator"]
    for i, email in enumerate(
        [
            "a@example.nl",
            "voornaam.achternaam+zvh@gemeente.example.nl",
            "o'brien@example.co.uk",
            "x" * 64 + "@example.nl",
            "a@xn--mnchen-3ya.example",
            "a@b.xn--p1ai",
        ]
    ):
        person = await persons.create_person(coordinator, anouk(name=f"P{i}", email=email))
        assert person.email == email


async def test_every_problem_is_reported_at_once(users):
    with pytest.raises(ValidationFailed) as failure:
        await persons.create_person(
            users.actors["coordinator"],
            {"name": "", "email": "nee", "function": "f" * 300, "organisation": ""},
        )
    assert set(failure.value.errors) == {"name", "email", "function", "organisation"}


@pytest.mark.parametrize("username", ["velsen", "politie", "woning", "regiegroep", "privacy"])
async def test_only_the_coordinator_and_the_functional_admin_may_read_or_change(username, users):
    person = await persons.create_person(users.actors["coordinator"], anouk())
    actor = users.actors[username]
    before = await last_seq()
    attempts = [
        lambda: persons.list_persons(actor),
        lambda: persons.organisations_in_scope(actor),
        lambda: persons.get_person(actor, person.id),
        lambda: persons.create_person(actor, anouk(email="nieuw@example.nl")),
        lambda: persons.update_person(actor, person.id, {"name": "Gewijzigd"}, person.version),
        lambda: persons.deactivate_person(actor, person.id),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            await attempt()
    assert await persons.get_person(users.actors["beheer"], person.id) == person
    assert await actions_after(before) == []


async def test_an_unknown_person_is_not_found(users):
    coordinator = users.actors["coordinator"]
    with pytest.raises(NotFound):
        await persons.get_person(coordinator, 999_999)
    with pytest.raises(NotFound):
        await persons.update_person(coordinator, 999_999, {"name": "X"}, 1)
    with pytest.raises(NotFound):
        await persons.deactivate_person(coordinator, 999_999)


async def test_the_coordinator_manages_the_region_and_national_organisations_only(
    users, other_region_organisation
):
    coordinator, admin = users.actors["coordinator"], users.actors["beheer"]
    elsewhere = other_region_organisation.key
    with pytest.raises(ValidationFailed) as failure:
        await persons.create_person(coordinator, anouk(organisation=elsewhere))
    assert failure.value.errors == {
        "organisation": "Deze organisatie hoort niet bij uw regio. "
        "Kies een organisatie uit de lijst."
    }
    national = await persons.create_person(coordinator, anouk(organisation="regiegroep"))
    far = await persons.create_person(admin, anouk(email="z@example.nl", organisation=elsewhere))
    assert await persons.list_persons(coordinator) == [national]
    assert {p.id for p in await persons.list_persons(admin)} == {national.id, far.id}
    for attempt in (
        lambda: persons.get_person(coordinator, far.id),
        lambda: persons.update_person(coordinator, far.id, {"name": "X"}, far.version),
        lambda: persons.deactivate_person(coordinator, far.id),
    ):
        with pytest.raises(Forbidden, match="buiten uw regio"):
            await attempt()
    # Nor may the coordinator move one of their persons to the other region.
    with pytest.raises(ValidationFailed, match="hoort niet bij uw regio"):
        await persons.update_person(
            coordinator, national.id, {"organisation": elsewhere}, national.version
        )
    keys = {o.key for o in await persons.organisations_in_scope(coordinator)}
    assert {"regiegroep", "politie-noord-holland", "gemeente-gm0453"} <= keys
    assert elsewhere not in keys
    assert elsewhere in {o.key for o in await persons.organisations_in_scope(admin)}


def test_scope_by_role_region_and_national_organisation():
    coordinator = actor_of(Role.COORDINATOR, region_id=1)
    regional = Organisation(key="a", name="A", kind="politie", region=1, national=False)
    other = Organisation(key="b", name="B", kind="politie", region=2, national=False)
    national = Organisation(key="c", name="C", kind="regiegroep", region=None, national=True)
    assert persons.in_scope(coordinator, regional)
    assert not persons.in_scope(coordinator, other)
    assert persons.in_scope(coordinator, national)
    without_region = actor_of(Role.COORDINATOR, region_id=None)
    assert not persons.in_scope(without_region, regional)
    assert persons.in_scope(without_region, national)
    admin = actor_of(Role.FUNCTIONAL_ADMIN, region_id=None)
    assert all(persons.in_scope(admin, o) for o in (regional, other, national))
    for role in (Role.MUNICIPALITY, Role.PARTNER, Role.REGIEGROEP, Role.PRIVACY_OFFICER):
        assert not persons.in_scope(actor_of(role, region_id=1), regional)


async def test_the_list_filters_by_organisation(users, directory):
    coordinator = users.actors["coordinator"]
    police = await persons.create_person(coordinator, anouk())
    await persons.create_person(
        coordinator, anouk(email="b@example.nl", organisation="reclassering-nederland")
    )
    police_id = directory.organisation_by_key("politie-noord-holland").id
    assert await persons.list_persons(coordinator, organisation_id=police_id) == [police]
    assert await persons.list_persons(coordinator, organisation_id=999_999) == []


async def test_the_demo_persons_are_valid_for_the_demo_coordinator(users):
    coordinator = users.actors["coordinator"]
    for values in persons.demo_persons():
        await persons.create_person(coordinator, values)
    rows = await persons.list_persons(coordinator)
    assert len(rows) == len(persons.demo_persons())
    assert all(row.email.endswith("example.nl") for row in rows)
