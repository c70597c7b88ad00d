"""The privacy officer's overview for a subject's access request (AVG art. 15, Wgs single
contact point): every case of every region with the subject's exact name and birth date,
the data held, with whom it is shared and on which basis, every read and change by
organisation; as a page, JSON and PDF; its production audit-logged without content; and
refused to every other role."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from casetafel.access.models import AuditEvent
from casetafel.cases import queries, service, subject_overview
from casetafel.cases.models import Case
from tests.conftest import csrf, login, velsen_case

NAME = "J. Testpersoon"
BORN = "1980-05-17"


async def subject_cases(users, directory, ladder) -> list[str]:
    """Two Kennemerland cases and one in Amsterdam of the subject, one case of someone else;
    the police read the first and the coordinator's list shows it."""
    coordinator = users.actors["coordinator"]
    first = await service.create_case(
        coordinator, velsen_case(notes="Komt bij zus"), directory, ladder
    )
    second = await service.create_case(
        coordinator, velsen_case(categories=["no_fixed_abode"], participants=[]), directory, ladder
    )
    other_region = await service.create_case(
        users.actors["amsterdam"],
        velsen_case(home_municipality="GM0363", participants=["politie-amsterdam"]),
        directory,
        ladder,
    )
    await service.create_case(coordinator, velsen_case(subject_name="A. Ander"), directory, ladder)
    await service.get_case(users.actors["politie"], first.reference, directory, ladder)
    await queries.list_cases(coordinator, queries.CaseFilters(), directory, ladder)
    return [first.reference, second.reference, other_region.reference]


def form(client, name: str = NAME, born: str = BORN) -> dict[str, str]:
    return {"naam": name, "geboortedatum": born, "_csrf_token": csrf(client)}


async def test_the_overview_finds_every_case_of_the_subject(client, users, directory, ladder):
    references = await subject_cases(users, directory, ladder)
    await login(client, "privacy")
    await client.get("/inzageverzoek")
    # Case and spacing aside, the name must be exact.
    response = await client.post("/inzageverzoek", data=form(client, "  j.  TESTPERSOON "))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    for reference in references:
        assert f"Casus {reference}" in page
    assert "A. Ander" not in page
    assert "Komt bij zus" in page and "Naam betrokkene" in page
    # Shared with whom, on which basis and for which purpose.
    assert "Politie Eenheid Noord-Holland" in page and "art. 18b Pbw" in page
    assert "risico op een ernstig gewelds- of zedendelict beperken" in page
    assert "Politie Eenheid Amsterdam" in page
    # Every read and change, by organisation.
    assert "Casus ingezien" in page and "Casus geregistreerd" in page
    assert "In een overzicht van casussen getoond" in page
    assert "Zorg- en Veiligheidshuis Kennemerland" in page
    # Producing it is logged per case, without content.
    events = await AuditEvent.objects().where(AuditEvent.action == "subject.overview")
    assert sorted(e.case_reference for e in events) == sorted(references)
    for event in events:
        assert event.username == "privacy"
        assert "Testpersoon" not in str(event.details) and "1980" not in str(event.details)


async def test_the_overview_lists_the_reads_by_organisation(users, directory, ladder):
    references = await subject_cases(users, directory, ladder)
    found = await subject_overview.produce(
        users.actors["privacy"], NAME, date(1980, 5, 17), directory, "page"
    )
    first = next(c for c in found.cases if c.reference == references[0])
    reads = [(p.organisation, p.action) for p in first.processing]
    assert ("Politie Eenheid Noord-Holland", "Casus ingezien") in reads
    assert ("Zorg- en Veiligheidshuis Kennemerland", "Casus geregistreerd") in reads
    assert (
        "Zorg- en Veiligheidshuis Kennemerland",
        "In een overzicht van casussen getoond",
    ) in reads
    amsterdam = next(c for c in found.cases if c.reference == references[2])
    assert [p.organisation for p in amsterdam.processing] == [
        "Zorg- en Veiligheidshuis Amsterdam-Amstelland"
    ]
    assert amsterdam.region == "Amsterdam-Amstelland"


async def test_the_json_download_parses(client, users, directory, ladder):
    references = await subject_cases(users, directory, ladder)
    await login(client, "privacy")
    await client.get("/inzageverzoek")
    response = await client.post("/inzageverzoek/json", data=form(client))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    assert "Testpersoon" not in response.headers["content-disposition"]
    data = json.loads(response.content)
    assert data["name"] == NAME and data["birth_date"] == BORN
    assert sorted(c["reference"] for c in data["cases"]) == sorted(references)
    fields = {f["label"]: f["value"] for f in data["cases"][0]["fields"]}
    assert fields["Naam betrokkene"] == NAME
    assert fields["Geboortedatum betrokkene"] == "17-05-1980"
    assert any(
        p["organisation"] == "Politie Eenheid Noord-Holland"
        for c in data["cases"]
        for p in c["processing"]
    )
    events = await AuditEvent.objects().where(AuditEvent.action == "subject.overview")
    assert {_details(e)["form"] for e in events} == {"json"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
async def test_the_pdf_renders_with_the_case_references(
    client, users, directory, ladder, tmp_path: Path
):
    references = await subject_cases(users, directory, ladder)
    await login(client, "privacy")
    await client.get("/inzageverzoek")
    response = await client.post("/inzageverzoek/pdf", data=form(client))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pdf = tmp_path / "overzicht.pdf"
    pdf.write_bytes(response.content)
    read = await asyncio.to_thread(
        subprocess.run,
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = read.stdout
    for reference in references:
        assert reference in text
    assert NAME in text and "Politie Eenheid Noord-Holland" in text


async def test_no_match_and_missing_fields_say_so_in_dutch(client, users, directory, ladder):
    await subject_cases(users, directory, ladder)
    await login(client, "privacy")
    await client.get("/inzageverzoek")
    missing = await client.post("/inzageverzoek", data=form(client, "", ""))
    assert missing.status_code == 422
    assert "Vul de naam van de betrokkene in" in missing.text
    assert "Vul de geboortedatum van de betrokkene in" in missing.text
    # A name alone is not enough, nor a near miss of the birth date.
    wrong = await client.post("/inzageverzoek", data=form(client, NAME, "1980-05-18"))
    assert wrong.status_code == 404
    assert "Er is geen casus gevonden met precies deze naam en geboortedatum" in wrong.text
    partial = await client.post("/inzageverzoek", data=form(client, "Testpersoon", BORN))
    assert partial.status_code == 404
    pdf = await client.post("/inzageverzoek/pdf", data=form(client, NAME, "1980-05-18"))
    assert pdf.status_code == 404 and "Er is geen casus gevonden" in pdf.text
    logged = await AuditEvent.objects().where(AuditEvent.action == "subject.overview")
    assert logged and all(e.case_id is None for e in logged)


async def test_an_anonymised_case_holds_no_subject_to_find(users, directory, ladder):
    references = await subject_cases(users, directory, ladder)
    # What the retention run leaves of the subject (tests/cases/test_retention.py).
    await Case.update({Case.subject_name: None, Case.subject_birth_date: None}).where(
        Case.reference == references[0]
    )
    found = await subject_overview.produce(
        users.actors["privacy"], NAME, date(1980, 5, 17), directory, "page"
    )
    assert sorted(c.reference for c in found.cases) == sorted(references[1:])


@pytest.mark.parametrize("username", ["coordinator", "velsen", "politie", "regiegroep", "beheer"])
async def test_other_roles_are_refused(client, users, username):
    await login(client, username)
    for path in ("/inzageverzoek", "/bewaartermijnen"):
        assert (await client.get(path)).status_code == 403, path
    await client.get("/inloggen")
    for path in ("/inzageverzoek", "/inzageverzoek/json", "/inzageverzoek/pdf"):
        response = await client.post(path, data=form(client))
        assert response.status_code == 403, path
        assert "Testpersoon" not in response.text
    extend = {"kenmerk": "KEN-2026-0001", "tot": "2031-01-01", "reden": "x"}
    response = await client.post(
        "/bewaartermijnen/verlengen", data={**extend, "_csrf_token": csrf(client)}
    )
    assert response.status_code == 403
    refused = await AuditEvent.count().where(AuditEvent.action == "access.forbidden")
    assert refused >= 6


def _details(event: AuditEvent) -> dict[str, object]:
    details = event.details
    parsed: dict[str, object] = json.loads(details) if isinstance(details, str) else details
    return parsed
