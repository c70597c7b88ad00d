"""The planning form's defaults for a case conference (issue 10, defect 3): only the
organisations that already have the case are pre-ticked, namely those taking part in it and
the owners of its current level, each with the reason next to it. Everyone else of the region
stays on the form, unticked: an invite names the case."""

from __future__ import annotations

import re

import pytest

from casetafel.cases import service as cases
from casetafel.cases.models import Case
from casetafel.meetings import queries
from casetafel.organisations.models import Organisation, Person
from tests.conftest import login, velsen_case

CHAIR = "u plant het overleg en zit het voor"


async def person_of(organisation_key: str, name: str) -> str:
    organisation = await Organisation.objects().where(Organisation.key == organisation_key).first()
    email = f"{name.split()[0].lower()}@example.test"
    person = Person(name=name, email=email, organisation=organisation.id)
    await person.save()
    return f"person:{person.id}"


@pytest.fixture
async def cast(users):  # type: ignore[no-untyped-def]
    """Every candidate of the test: the users by name, and persons of the OM, the
    reclassering, the ZVH and the housing corporation."""
    found = {name: f"user:{actor.user_id}" for name, actor in users.actors.items()}
    found["om"] = await person_of("om-noord-holland", "Olga Officier")
    found["reclassering"] = await person_of("reclassering-nederland", "Noor Jansen")
    found["zvh"] = await person_of("zvh-kennemerland", "Zara Zorg")
    found["woonwaard"] = await person_of("woonwaard", "Wim Woning")
    return found


async def defaults(users, ctx, reference):  # type: ignore[no-untyped-def]
    found = await queries.plan_defaults(users.actors["coordinator"], reference, ctx)
    return {c.key: (c.suggested_role, c.reasons) for c in found.candidates}


async def test_without_receiving_municipality_only_participants_and_home_are_ticked(
    users, cast, directory, ladder, ctx
):
    coordinator = users.actors["coordinator"]
    case = await cases.create_case(
        coordinator, velsen_case(participants=["reclassering-nederland"]), directory, ladder
    )
    assert case.values["receiving_municipality"] is None
    found = await defaults(users, ctx, case.reference)
    assert found[cast["coordinator"]] == ("chair", (CHAIR,))
    assert found[cast["velsen"]] == ("required", ("herkomstgemeente",))
    assert found[cast["reclassering"]] == ("required", ("neemt deel aan de casus",))
    # Organisations without a municipality do not match the missing receiving one.
    for name in ("haarlem", "politie", "woning", "regiegroep", "om", "zvh", "woonwaard"):
        assert found[cast[name]] == (None, ()), name


async def test_receiving_municipality_and_participants_say_why(users, cast, directory, ladder, ctx):
    case = await cases.create_case(
        users.actors["coordinator"],
        velsen_case(receiving_municipality="GM0392", participants=["woonwaard"]),
        directory,
        ladder,
    )
    found = await defaults(users, ctx, case.reference)
    assert found[cast["velsen"]] == ("required", ("herkomstgemeente",))
    assert found[cast["haarlem"]] == ("required", ("ontvangende gemeente",))
    assert found[cast["woning"]] == ("required", ("neemt deel aan de casus",))
    assert found[cast["woonwaard"]] == ("required", ("neemt deel aan de casus",))
    for name in ("politie", "regiegroep", "om", "reclassering", "zvh"):
        assert found[cast[name]] == (None, ()), name


@pytest.mark.parametrize(
    ("level", "owner", "reason"),
    [
        ("regional", "zvh", "eigenaar van het niveau Zorg- en Veiligheidshuis"),
        ("national", "regiegroep", "eigenaar van het niveau Landelijke regiegroep"),
    ],
)
async def test_the_owner_of_the_level_is_suggested_not_every_municipality(
    users, cast, directory, ladder, ctx, level, owner, reason
):
    case = await cases.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    await Case.update({Case.level: level}).where(Case.reference == case.reference)
    found = await defaults(users, ctx, case.reference)
    assert found[cast[owner]] == ("required", (reason,))
    assert found[cast["politie"]] == ("required", ("neemt deel aan de casus",))
    # The municipalities own the local level only.
    for name in ("velsen", "haarlem", "woning", "om"):
        assert found[cast[name]] == (None, ()), name


def row_of(html: str, key: str) -> str:
    """The table row of one candidate on the planning page."""
    rows = [row for row in html.split("<tr>") if f'value="{key}"' in row]
    assert len(rows) == 1, key
    return rows[0]


def ticked(row: str) -> bool:
    return re.search(r'name="invite" value="[^"]+" checked', row) is not None


async def test_the_planning_page_ticks_only_the_suggestions_and_says_why(
    users, cast, client, directory, ladder, ctx
):
    case = await cases.create_case(
        users.actors["coordinator"],
        velsen_case(participants=["reclassering-nederland"]),
        directory,
        ladder,
    )
    await login(client, "coordinator")
    page = await client.get(f"/overleggen/plannen?casus={case.reference}")
    assert page.status_code == 200
    html = page.text
    for name in ("regiegroep", "politie", "woning", "woonwaard", "om", "haarlem"):
        row = row_of(html, cast[name])
        assert not ticked(row), name
        assert "Voorgesteld" not in row, name
    velsen = row_of(html, cast["velsen"])
    assert ticked(velsen) and "Voorgesteld: herkomstgemeente" in velsen
    assert 'aria-describedby="reden-' in velsen
    noor = row_of(html, cast["reclassering"])
    assert ticked(noor) and "Voorgesteld: neemt deel aan de casus" in noor
    assert ticked(row_of(html, cast["coordinator"]))
