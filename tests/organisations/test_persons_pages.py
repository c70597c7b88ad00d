"""The participants' pages: every route for every role (answer and audit events), and the
forms' behaviour on bad input, stale versions and other regions."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest

from casetafel.organisations import persons
from casetafel.organisations.models import Person
from tests.conftest import CAST, csrf, login
from tests.organisations.conftest import actions_after, last_seq

FORM = {
    "name": "Bram Visser",
    "email": "b.visser@reclassering.example.nl",
    "function": "Reclasseringswerker",
    "organisation": "reclassering-nederland",
}
PERSON = {
    "name": "Anouk de Wit",
    "email": "a.dewit@politie.example.nl",
    "function": "Wijkagent",
    "organisation": "politie-noord-holland",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: dict[str, str] | None = None


ROUTES = {
    "list": Route("GET", "/deelnemers"),
    "new": Route("GET", "/deelnemers/nieuw"),
    "create": Route("POST", "/deelnemers/nieuw", body=FORM),
    "edit": Route("GET", "/deelnemers/{id}/bewerken"),
    "update": Route("POST", "/deelnemers/{id}/bewerken", body={**PERSON, "function": "Teamchef"}),
    "deactivate": Route("POST", "/deelnemers/{id}/deactiveren", body={}),
}
MANAGER = {
    "list": (200, []),
    "new": (200, []),
    "create": (302, ["person.create"]),
    "edit": (200, []),
    "update": (302, ["person.update"]),
    "deactivate": (302, ["person.deactivate"]),
}
FORBIDDEN = {name: (403, ["access.forbidden"]) for name in ROUTES}
EXPECTED = {
    "coordinator": MANAGER,
    "beheer": MANAGER,
    "velsen": FORBIDDEN,
    "haarlem": FORBIDDEN,
    "politie": FORBIDDEN,
    "woning": FORBIDDEN,
    "regiegroep": FORBIDDEN,
    "privacy": FORBIDDEN,
    # The coordinator of another region: may not touch Kennemerland's participants, nor
    # register one at a Kennemerland organisation.
    "amsterdam": {
        **MANAGER,
        "create": (422, []),
        "edit": (403, ["access.forbidden"]),
        "update": (403, ["access.forbidden"]),
        "deactivate": (403, ["access.forbidden"]),
    },
}


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="fout-{field}">(.*?)</p>', html, re.S)
    assert match, f"no error shown at {field}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Fout: ", "").strip()


async def post_form(client: httpx.AsyncClient, path: str, body: dict[str, str]) -> httpx.Response:
    return await client.post(path, data={**body, "_csrf_token": csrf(client)})


def test_every_role_has_an_expectation_for_every_route() -> None:
    assert set(EXPECTED) == {username for username, *_ in CAST}
    for expected in EXPECTED.values():
        assert set(expected) == set(ROUTES)


@pytest.mark.parametrize("username", list(EXPECTED))
async def test_each_route_answers_and_audits_as_the_role_allows(username, users, client):
    person = await persons.create_person(users.actors["coordinator"], PERSON)
    await login(client, username)
    failures = []
    for name, route in ROUTES.items():
        status, actions = EXPECTED[username][name]
        path = route.path.format(id=person.id)
        before = await last_seq()
        if route.body is None:
            response = await client.request(route.method, path)
        else:
            stored = await Person.select(Person.version).where(Person.id == person.id).first()
            body = {**route.body, "version": str(stored["version"])}
            response = await post_form(client, path, body)
        got = (response.status_code, await actions_after(before))
        if got != (status, actions):
            failures.append(f"{name}: expected {(status, actions)}, got {got}")
        if status == 403 and username != "amsterdam":
            assert "deelnemers beheren is voorbehouden aan andere rollen" in response.text
    assert not failures, "\n".join(failures)


async def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(client):
    response = await client.get("/deelnemers")
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/inloggen")


@pytest.mark.parametrize(
    ("username", "shown"),
    [("coordinator", True), ("beheer", True), ("velsen", False), ("privacy", False)],
)
async def test_the_menu_offers_the_registry_to_those_who_manage_it(username, shown, users, client):
    await login(client, username)
    home = await client.get("/", follow_redirects=True)
    assert ('href="/deelnemers"' in home.text) == shown


async def test_a_new_person_is_saved_with_a_message_and_listed(users, client):
    await login(client, "coordinator")
    form = await client.get("/deelnemers/nieuw")
    assert 'for="veld-name"' in form.text
    assert 'for="veld-organisation"' in form.text
    response = await post_form(client, "/deelnemers/nieuw", FORM)
    assert response.headers["location"] == "/deelnemers?melding=deelnemer-toegevoegd"
    listing = await client.get(response.headers["location"])
    assert "De deelnemer is toegevoegd." in listing.text
    assert "Bram Visser" in listing.text
    assert "b.visser@reclassering.example.nl" in listing.text
    assert 'href="/deelnemers/nieuw"' in listing.text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Vul de naam van de deelnemer in."),
        ({"name": "n" * 201}, "name", "Maximaal 200 tekens (nu 201)."),
        ({"email": ""}, "email", "Vul het e-mailadres van de deelnemer in."),
        ({"email": "bram@"}, "email", "Vul een geldig e-mailadres in, zoals naam@organisatie.nl."),
        ({"email": "a@example.nl, b@example.nl"}, "email", "Vul één e-mailadres in"),
        ({"email": "x" * 250 + "@e.nl"}, "email", "Maximaal 254 tekens (nu 255)."),
        ({"function": "f" * 201}, "function", "Maximaal 200 tekens (nu 201)."),
        ({"organisation": ""}, "organisation", "Kies een organisatie."),
        ({"organisation": "nergens"}, "organisation", "Deze organisatie bestaat niet."),
    ],
)
async def test_bad_input_comes_back_with_the_message_at_the_field_and_the_input_kept(
    change, field, message, users, client
):
    await login(client, "coordinator")
    await client.get("/deelnemers/nieuw")
    posted = {**FORM, **change}
    response = await post_form(client, "/deelnemers/nieuw", posted)
    assert response.status_code == 422
    assert "Er is iets niet goed ingevuld" in response.text
    assert f'href="#veld-{field}"' in response.text
    assert message in field_error(response.text, field)
    assert 'aria-invalid="true"' in response.text
    for name in ("name", "email", "function"):
        if posted[name]:
            assert f'value="{posted[name]}"' in response.text
    assert await Person.count() == 0


async def test_a_taken_address_names_its_holder(users, client):
    await persons.create_person(users.actors["coordinator"], PERSON)
    await login(client, "coordinator")
    await client.get("/deelnemers/nieuw")
    response = await post_form(
        client, "/deelnemers/nieuw", {**FORM, "email": "A.DEWIT@politie.example.nl"}
    )
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Dit e-mailadres hoort al bij Anouk de Wit."


async def test_an_edit_saves_and_bad_input_keeps_the_version(users, client):
    person = await persons.create_person(users.actors["coordinator"], PERSON)
    await login(client, "coordinator")
    form = await client.get(f"/deelnemers/{person.id}/bewerken")
    assert 'name="version" value="1"' in form.text
    assert 'value="a.dewit@politie.example.nl"' in form.text
    path = f"/deelnemers/{person.id}/bewerken"
    bad = await post_form(client, path, {**PERSON, "name": "", "version": "1"})
    assert bad.status_code == 422
    assert 'name="version" value="1"' in bad.text
    good = await post_form(client, path, {**PERSON, "function": "Teamchef", "version": "1"})
    assert good.headers["location"] == "/deelnemers?melding=opgeslagen"
    stored = await persons.get_person(users.actors["coordinator"], person.id)
    assert (stored.function, stored.version) == ("Teamchef", 2)


@pytest.mark.parametrize("version", ["1", "", "abc"])
async def test_a_stale_form_is_refused_with_an_explanation(version, users, client):
    coordinator = users.actors["coordinator"]
    person = await persons.create_person(coordinator, PERSON)
    await persons.update_person(coordinator, person.id, {"function": "Teamchef"}, 1)
    await login(client, "coordinator")
    await client.get(f"/deelnemers/{person.id}/bewerken")
    posted = {**PERSON, "name": "Mijn Wijziging", "version": version}
    before = await last_seq()
    response = await post_form(client, f"/deelnemers/{person.id}/bewerken", posted)
    assert response.status_code == 409
    assert "intussen door iemand anders gewijzigd" in response.text
    assert "Nu opgeslagen" in response.text and "Teamchef" in response.text
    assert 'value="Mijn Wijziging"' in response.text
    assert 'name="version" value="2"' in response.text
    assert (await persons.get_person(coordinator, person.id)).name == "Anouk de Wit"
    assert await actions_after(before) == []


async def test_deactivation_removes_the_person_from_the_list(users, client):
    person = await persons.create_person(users.actors["coordinator"], PERSON)
    await login(client, "coordinator")
    form = await client.get(f"/deelnemers/{person.id}/bewerken")
    assert f'action="/deelnemers/{person.id}/deactiveren"' in form.text
    response = await post_form(client, f"/deelnemers/{person.id}/deactiveren", {})
    assert response.headers["location"] == "/deelnemers?melding=deelnemer-gedeactiveerd"
    listing = await client.get(response.headers["location"])
    assert "De deelnemer is gedeactiveerd." in listing.text
    assert "Anouk de Wit" not in listing.text
    with_inactive = await client.get("/deelnemers?inactief=ja")
    assert "Anouk de Wit" in with_inactive.text
    assert "Gedeactiveerd" in with_inactive.text
    edit = await client.get(f"/deelnemers/{person.id}/bewerken")
    assert edit.status_code == 409
    assert "gedeactiveerd" in edit.text


async def test_the_list_filters_by_organisation(users, directory, client):
    coordinator = users.actors["coordinator"]
    await persons.create_person(coordinator, PERSON)
    await persons.create_person(coordinator, FORM)
    await login(client, "coordinator")
    police = directory.organisation_by_key("politie-noord-holland")
    filtered = await client.get(f"/deelnemers?organisatie={police.id}")
    assert "Anouk de Wit" in filtered.text
    assert "Bram Visser" not in filtered.text
    assert f'<option value="{police.id}" selected>' in filtered.text
    bad = await client.get("/deelnemers?organisatie=politie")
    assert bad.status_code == 400
    assert field_error(bad.text, "organisatie") == "Kies een organisatie uit de lijst."


async def test_unknown_persons_are_not_found(users, client):
    await login(client, "coordinator")
    assert (await client.get("/deelnemers/999999/bewerken")).status_code == 404
    response = await post_form(client, "/deelnemers/999999/deactiveren", {})
    assert response.status_code == 404


async def test_the_coordinator_cannot_manage_another_regions_persons(
    users, client, other_region_organisation
):
    far = await persons.create_person(
        users.actors["beheer"], {**PERSON, "organisation": other_region_organisation.key}
    )
    await login(client, "coordinator")
    listing = await client.get("/deelnemers")
    assert "Anouk de Wit" not in listing.text
    assert "Politie Zuid-Testland" not in listing.text
    edit = await client.get(f"/deelnemers/{far.id}/bewerken")
    assert edit.status_code == 403
    posted = {**PERSON, "function": "X", "version": "1"}
    assert (await post_form(client, f"/deelnemers/{far.id}/bewerken", posted)).status_code == 403
    assert (await post_form(client, f"/deelnemers/{far.id}/deactiveren", {})).status_code == 403
    created = await post_form(
        client,
        "/deelnemers/nieuw",
        {**FORM, "organisation": other_region_organisation.key},
    )
    assert created.status_code == 422
    assert "hoort niet bij uw regio" in field_error(created.text, "organisation")
    assert (await persons.get_person(users.actors["beheer"], far.id)).active
