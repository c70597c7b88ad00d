"""Legal bases: a case records them, each participating organisation takes part on one of
them, and what a partner sees follows that basis (issue 10)."""

from __future__ import annotations

from typing import Any

import pytest

from casetafel.access.policy import Role, current
from casetafel.cases import legal_bases, service
from casetafel.cases.models import Case, CaseParticipant
from casetafel.errors import ValidationFailed
from tests.conftest import csrf, login, velsen_case


async def test_another_regions_organisation_cannot_take_part(users, directory, ladder, client):
    """Defect 1: a coordinator could add a partner of another region, whose users then read
    the whole case."""
    amsterdam_police = await users.make(
        "politie.ams", Role.PARTNER, "politie-amsterdam", region="AMS"
    )
    coordinator = users.actors["coordinator"]
    with pytest.raises(ValidationFailed) as refused:
        await service.create_case(
            coordinator, velsen_case(participants=["politie-amsterdam"]), directory, ladder
        )
    assert (
        "Politie Eenheid Amsterdam hoort niet bij de regio" in refused.value.errors["participants"]
    )
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    with pytest.raises(ValidationFailed):
        await service.update_case(
            coordinator,
            case.reference,
            {"participants": ["politie-noord-holland", "politie-amsterdam"]},
            directory,
            ladder,
        )
    headers = await users.api_headers("coordinator")
    answer = await client.patch(
        f"/api/v1/cases/{case.reference}",
        json={"participants": ["politie-amsterdam"]},
        headers=headers,
    )
    assert answer.status_code == 422
    assert "hoort niet bij de regio" in answer.json()["errors"]["participants"]
    await login(client, "coordinator")
    form = {
        "home_municipality": "GM0453",
        "categories": "sex_offender",
        "legal_framework": "vi",
        "release_certainty": "unknown",
        "participants": ["politie-noord-holland", "politie-amsterdam"],
        "_csrf_token": csrf(client),
    }
    page = await client.post(f"/casussen/{case.reference}/bewerken", data=form)
    assert page.status_code == 422
    assert "Politie Eenheid Amsterdam hoort niet bij de regio van deze casus" in page.text
    stored = await CaseParticipant.count().where(
        CaseParticipant.organisation == amsterdam_police.organisation_id
    )
    assert stored == 0
    amsterdam = await users.api_headers("politie.ams")
    assert (
        await client.get(f"/api/v1/cases/{case.reference}", headers=amsterdam)
    ).status_code == 404


async def test_a_national_body_that_owns_a_level_may_take_part(users, directory, ladder):
    case = await service.create_case(
        users.actors["coordinator"], velsen_case(participants=["regiegroep"]), directory, ladder
    )
    assert case.values["participants"] == ["regiegroep"]


async def test_bases_default_from_the_categories_and_set_each_partners_basis(
    users, directory, ladder
):
    coordinator = users.actors["coordinator"]
    sex_offence = await service.create_case(
        coordinator,
        velsen_case(participants=["politie-noord-holland", "woonwaard", "pi-haarlem"]),
        directory,
        ladder,
    )
    assert sex_offence.values["legal_bases"] == ["wgs", "pbw_18a", "pbw_18b", "bij"]
    bases = {p.organisation_id: p.legal_basis for p in sex_offence.participations}
    assert bases == {
        directory.organisation_by_key("politie-noord-holland").id: "pbw_18b",
        directory.organisation_by_key("woonwaard").id: "wgs",
        directory.organisation_by_key("pi-haarlem").id: "pbw_18b",
    }
    homeless = await service.create_case(
        coordinator,
        velsen_case(categories=["no_fixed_abode"], participants=["politie-noord-holland"]),
        directory,
        ladder,
    )
    assert homeless.values["legal_bases"] == ["wgs", "pbw_18a"]
    police = directory.organisation_by_key("politie-noord-holland").id
    # The police, and the shelter the no-fixed-abode rule brings in, both on the Wgs.
    assert {p.organisation_id: p.legal_basis for p in homeless.participations}[police] == "wgs"
    assert {p.legal_basis for p in homeless.participations} == {"wgs"}


async def test_a_partner_sees_offence_data_only_on_an_offence_basis(
    users, directory, ladder, client
):
    """The police take part in a sex-offence case on art. 18b Pbw and see its categories;
    in a case without that basis they take part on the Wgs and do not."""
    coordinator = users.actors["coordinator"]
    with_18b = await service.create_case(coordinator, velsen_case(), directory, ladder)
    without = await service.create_case(
        coordinator,
        velsen_case(categories=["no_fixed_abode"], legal_framework="vi"),
        directory,
        ladder,
    )
    headers = await users.api_headers("politie")
    strong = (await client.get(f"/api/v1/cases/{with_18b.reference}", headers=headers)).json()
    weak = (await client.get(f"/api/v1/cases/{without.reference}", headers=headers)).json()
    assert strong["fields"]["categories"] == ["sex_offender"]
    assert "categories" not in weak["fields"] and "bij_notice_date" not in weak["fields"]
    assert "housing_state" in weak["fields"]
    await login(client, "politie")
    page = await client.get(f"/casussen/{without.reference}")
    assert "Zonder vaste woon- of verblijfplaats" not in page.text
    assert "Justitieel kader" not in page.text
    assert "op grond van Wgs (Zorg- en Veiligheidshuis)" in page.text
    page = await client.get(f"/casussen/{with_18b.reference}")
    assert "Zichtbaar voor Politie Eenheid Noord-Holland op grond van art. 18b Pbw" in page.text
    assert "Zedendelinquent" in page.text


async def test_taking_away_a_basis_narrows_what_a_partner_sees(users, directory, ladder, client):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    await service.update_case(
        coordinator, case.reference, {"legal_bases": ["wgs", "pbw_18a"]}, directory, ladder
    )
    headers = await users.api_headers("politie")
    body = (await client.get(f"/api/v1/cases/{case.reference}", headers=headers)).json()
    assert "categories" not in body["fields"]
    stored = await Case.select(Case.legal_bases).where(Case.id == case.id).first()
    assert stored["legal_bases"] == "wgs,pbw_18a"


async def test_a_partner_without_a_basis_cannot_be_added(users, directory, ladder):
    with pytest.raises(ValidationFailed) as refused:
        await service.create_case(
            users.actors["coordinator"],
            velsen_case(legal_bases=["pbw_18b"], participants=["woonwaard"]),
            directory,
            ladder,
        )
    assert "geen grondslag om deel te nemen" in refused.value.errors["participants"]


async def test_an_unknown_basis_is_refused(users, directory, ladder):
    with pytest.raises(ValidationFailed) as refused:
        await service.create_case(
            users.actors["coordinator"],
            velsen_case(legal_bases=["pseudonymised"]),
            directory,
            ladder,
        )
    assert "Onbekende grondslag" in refused.value.errors["legal_bases"]


async def test_cases_from_before_the_policy_get_the_bases_a_new_case_gets(users, directory, ladder):
    """`casetafel migrate` (and the bulk generator) fill empty bases set-wise; the result
    is what the service writes for a new case."""
    coordinator = users.actors["coordinator"]
    for values in (
        velsen_case(participants=["politie-noord-holland", "woonwaard", "pi-haarlem"]),
        velsen_case(categories=["no_fixed_abode"], participants=["politie-noord-holland"]),
        velsen_case(categories=["terrorist_offence"], participants=["reclassering-nederland"]),
    ):
        await service.create_case(coordinator, values, directory, ladder)

    async def snapshot() -> tuple[list[Any], list[Any]]:
        cases = await Case.select(Case.id, Case.legal_bases).order_by(Case.id)
        links = await CaseParticipant.select(
            CaseParticipant.case,
            CaseParticipant.organisation,
            CaseParticipant.legal_basis,
            CaseParticipant.purpose,
        ).order_by(CaseParticipant.id)
        return cases, links

    written = await snapshot()
    await Case.update({Case.legal_bases: ""}, force=True)
    await CaseParticipant.update(
        {CaseParticipant.legal_basis: "", CaseParticipant.purpose: ""}, force=True
    )
    await legal_bases.backfill(current())
    assert await snapshot() == written
    await legal_bases.backfill(current())
    assert await snapshot() == written
