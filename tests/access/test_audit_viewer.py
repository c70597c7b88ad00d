"""The privacy officer's audit viewer: filters, keyset pages, the CSV export, bad input in
Dutch, and every read and export logged itself."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from casetafel import clock
from casetafel.access import audit
from casetafel.access.models import AuditEvent
from casetafel.access.service import CSV_COLUMNS, PAGE_SIZE
from casetafel.cases import service
from tests.conftest import login, velsen_case


def seqs(html: str) -> list[int]:
    """The event numbers in the table, in page order."""
    return [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", html)]


def exported(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


async def _two_cases(users, directory, ladder) -> tuple[str, str]:
    coordinator = users.actors["coordinator"]
    first = await service.create_case(coordinator, velsen_case(), directory, ladder)
    second = await service.create_case(coordinator, velsen_case(), directory, ladder)
    await service.get_case(coordinator, first.reference, directory, ladder)
    await service.get_case(users.actors["politie"], first.reference, directory, ladder)
    return first.reference, second.reference


async def test_filter_by_case_user_organisation_and_action(users, directory, ladder, client):
    first, second = await _two_cases(users, directory, ladder)
    await login(client, "privacy")

    by_case = await client.get("/audit", params={"kenmerk": first.lower()})
    assert by_case.status_code == 200
    assert first in by_case.text and second not in by_case.text
    # Every event of the case, except this read's own (written after the query).
    rows = await AuditEvent.objects().where(
        (AuditEvent.case_reference == first) & (AuditEvent.action != "audit.read")
    )
    assert sorted(seqs(by_case.text)) == sorted(r.seq for r in rows)
    assert "Casus ingezien" in by_case.text and "Politie Eenheid Noord-Holland" in by_case.text

    by_user = await client.get("/audit", params={"gebruiker": "politie"})
    shown = await AuditEvent.objects().where(AuditEvent.seq.is_in(seqs(by_user.text)))
    assert shown and {e.username for e in shown} == {"politie"}

    organisation = users.actors["politie"].organisation_name
    by_org = await client.get("/audit", params={"organisatie": organisation})
    shown = await AuditEvent.objects().where(AuditEvent.seq.is_in(seqs(by_org.text)))
    assert shown and {e.organisation for e in shown} == {organisation}

    by_action = await client.get("/audit", params={"actie": "case.create"})
    shown = await AuditEvent.objects().where(AuditEvent.seq.is_in(seqs(by_action.text)))
    assert {e.case_reference for e in shown} == {first, second}
    assert {e.action for e in shown} == {"case.create"}
    assert 'value="case.create" selected' in by_action.text


async def test_filter_by_period_in_amsterdam_days(users, client):
    """An event at 23:30 UTC on 31 March is on 1 April in Amsterdam (summer time)."""
    privacy = users.actors["privacy"]
    clock.set_clock(lambda: datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    async with audit.db.transaction():
        await audit.record(privacy, "case.list")
    clock.set_clock(lambda: datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    async with audit.db.transaction():
        await audit.record(privacy, "dashboard.read")
    clock.set_clock(None)
    april = await AuditEvent.objects().where(AuditEvent.action == "case.list").first()
    march = await AuditEvent.objects().where(AuditEvent.action == "dashboard.read").first()
    await login(client, "privacy")
    first_of_april = await client.get("/audit", params={"van": "2026-04-01", "tot": "01-04-2026"})
    assert first_of_april.status_code == 200
    assert seqs(first_of_april.text) == [april.seq]
    march_31 = await client.get("/audit", params={"van": "2026-03-31", "tot": "2026-03-31"})
    assert seqs(march_31.text) == [march.seq]


async def test_pages_go_back_by_sequence_number(users, client):
    privacy = users.actors["privacy"]
    async with audit.db.transaction():
        for _ in range(PAGE_SIZE + 5):
            await audit.record(privacy, "case.list")
    await login(client, "privacy")
    first = await client.get("/audit", params={"actie": "case.list"})
    shown = seqs(first.text)
    assert len(shown) == PAGE_SIZE and shown == sorted(shown, reverse=True)
    older = re.search(r'href="/audit\?([^"]*voor=\d+[^"]*)"', first.text)
    assert older, "no link to older events"
    second = await client.get("/audit?" + older.group(1).replace("&amp;", "&"))
    rest = seqs(second.text)
    assert len(rest) == 5 and max(rest) < min(shown)
    assert "Oudere gebeurtenissen" not in second.text


async def test_csv_export_has_the_filtered_events_as_the_page_names_them(
    users, directory, ladder, client
):
    first, second = await _two_cases(users, directory, ladder)
    await login(client, "privacy")
    response = await client.get("/audit/export.csv", params={"kenmerk": first})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="auditlog-[\d-]+\.csv"', response.headers["content-disposition"]
    )
    rows = exported(response.text)
    assert list(rows[0]) == CSV_COLUMNS
    expected = (
        await AuditEvent.objects()
        .where(AuditEvent.case_reference == first)
        .order_by(AuditEvent.seq)
    )
    # The export's own event is written before the rows are read: it names the case too.
    assert [int(r["volgnummer"]) for r in rows] == [e.seq for e in expected]
    assert {r["casus"] for r in rows} == {first}
    assert second not in response.text
    police = next(r for r in rows if r["gebruiker"] == "politie")
    assert police["actie"] == "Casus ingezien"
    assert police["rol"] == "Ketenpartner"
    assert police["organisatie"] == "Politie Eenheid Noord-Holland"
    # The police take part in this sex-offence case on art. 18b Pbw, for its purpose.
    assert police["grondslag"] == "art. 18b Pbw"
    assert police["doel"] == "risico op een ernstig gewelds- of zedendelict beperken"
    assert "+01:00" in police["tijd"] or "+02:00" in police["tijd"]
    assert rows[-1]["actie"] == "Auditlog geëxporteerd"


async def test_reading_and_exporting_are_logged_with_the_filters(users, client):
    await login(client, "privacy")
    await client.get("/audit", params={"gebruiker": "Politie", "actie": "case.read"})
    await client.get("/audit/export.csv", params={"kenmerk": "ken-2026-0001"})
    read = await AuditEvent.objects().where(AuditEvent.action == "audit.read").first()
    assert read.username == "privacy" and read.purpose == "toezicht gegevensbescherming"
    assert "politie" in str(read.details) and "case.read" in str(read.details)
    export = await AuditEvent.objects().where(AuditEvent.action == "audit.export").first()
    assert export.case_reference == "KEN-2026-0001"
    assert export.organisation == users.actors["privacy"].organisation_name


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"van": "2026-13-45"}, "Vanaf: &#39;2026-13-45&#39; is geen geldige datum"),
        ({"tot": "morgen"}, "Tot en met: &#39;morgen&#39; is geen geldige datum"),
        ({"van": "2026-05-02", "tot": "2026-05-01"}, "De einddatum ligt vóór de begindatum"),
        ({"voor": "9" * 40}, "Deze pagina bestaat niet"),
        ({"voor": "-3"}, "Deze pagina bestaat niet"),
        ({"actie": "case.steal"}, "Kies een actie uit de lijst."),
        ({"kenmerk": "K" * 500}, "Een kenmerk is hoogstens 20 tekens lang."),
    ],
)
async def test_bad_filter_input_gets_a_dutch_message(users, client, params, message):
    await login(client, "privacy")
    for path in ("/audit", "/audit/export.csv"):
        if path.endswith(".csv") and "voor" in params:
            continue
        response = await client.get(path, params=params)
        assert response.status_code == 400, response.text
        assert message in response.text
        assert "text/html" in response.headers["content-type"]
    assert (
        await AuditEvent.count().where(AuditEvent.action.is_in(["audit.read", "audit.export"])) == 0
    )


@pytest.mark.parametrize("username", ["coordinator", "beheer", "politie"])
async def test_only_the_privacy_officer_reads_or_exports(users, client, username):
    await login(client, username)
    for path in ("/audit", "/audit/export.csv", "/audit?van=2026-13-45"):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "volgnummer" not in response.text
