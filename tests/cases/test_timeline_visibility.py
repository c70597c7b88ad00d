"""The timeline follows the reader's sensitivity classes (issue 10, defect 4b): the summary of
an update names only the fields the reader may see, made at read time from the changed
fields; an update of hidden fields only shows neutrally."""

from __future__ import annotations

import re
from datetime import timedelta

from casetafel import clock
from casetafel.access.policy import Sensitivity
from casetafel.cases import service, timeline
from casetafel.cases.models import Case
from tests.conftest import login, velsen_case

PROCESS_ONLY = frozenset({Sensitivity.PROCESS})
HIDDEN_CHANGE = "Gewijzigd: gegevens die u niet mag inzien"


async def changed_case(users, directory, ladder):  # type: ignore[no-untyped-def]
    """A case whose housing status and release date the coordinator changed, then a note of
    its housing condition only; moved to the national level."""
    coordinator = users.actors["coordinator"]
    case = await service.create_case(coordinator, velsen_case(), directory, ladder)
    later = clock.today() + timedelta(days=50)
    case = await service.update_case(
        coordinator,
        case.reference,
        {"housing_state": "arranged", "release_date": later.isoformat()},
        directory,
        ladder,
        expected_version=case.version,
    )
    await service.update_case(
        coordinator,
        case.reference,
        {"housing_note": "Kamer bij de opvang"},
        directory,
        ladder,
        expected_version=case.version,
    )
    await Case.update({Case.level: "national"}).where(Case.reference == case.reference)
    return case


async def test_the_summary_names_only_visible_fields(users, directory, ladder):
    case = await changed_case(users, directory, ladder)
    hidden_only, both = (await timeline.entries(case.id, PROCESS_ONLY, directory))[:2]
    assert both.summary == "Gewijzigd: Datum terugkeer"
    assert hidden_only.summary == HIDDEN_CHANGE and hidden_only.lines == ()
    everything = frozenset(Sensitivity)
    full = (await timeline.entries(case.id, everything, directory))[:2]
    assert full[0].summary == "Gewijzigd: Huisvesting: notitie"
    assert full[1].summary == "Gewijzigd: Datum terugkeer, Huisvesting: status"


async def test_a_rule_setting_a_housing_condition_is_neutral_without_that_class(
    users, directory, ladder
):
    case = await service.create_case(users.actors["coordinator"], velsen_case(), directory, ladder)
    summary = "Voorwaarde voor de huisvesting vastgelegd (regel test)"
    await timeline.add(case.id, "rule.housing_condition", summary, None)
    assert (await timeline.entries(case.id, PROCESS_ONLY, directory))[0].summary == HIDDEN_CHANGE
    conditions = PROCESS_ONLY | {Sensitivity.BASIC_CONDITIONS}
    assert (await timeline.entries(case.id, conditions, directory))[0].summary == summary


def timeline_of(html: str) -> str:
    match = re.search(r'<ol class="ct-timeline">(.*?)</ol>', html, re.S)
    assert match is not None
    return match.group(1)


async def test_the_regiegroep_does_not_learn_which_basic_conditions_changed(
    users, client, directory, ladder
):
    case = await changed_case(users, directory, ladder)
    await login(client, "regiegroep")
    page = await client.get(f"/casussen/{case.reference}")
    assert page.status_code == 200
    shown = timeline_of(page.text)
    assert "Gewijzigd: Datum terugkeer" in shown and HIDDEN_CHANGE in shown
    # (The page names the deadline rule "Huisvesting geregeld": a rule, not the case's data.)
    assert "Huisvesting" not in shown and "Kamer bij de opvang" not in page.text
    api = await client.get(
        f"/api/v1/cases/{case.reference}", headers=await users.api_headers("regiegroep")
    )
    assert api.status_code == 200
    entries = api.json()["timeline"]
    summaries = [entry["summary"] for entry in entries]
    assert "Gewijzigd: Datum terugkeer" in summaries and HIDDEN_CHANGE in summaries
    assert "Huisvesting" not in str(entries) and "Kamer bij de opvang" not in api.text


async def test_the_coordinator_still_reads_every_field(users, client, directory, ladder):
    case = await changed_case(users, directory, ladder)
    await login(client, "coordinator")
    shown = timeline_of((await client.get(f"/casussen/{case.reference}")).text)
    assert "Gewijzigd: Datum terugkeer, Huisvesting: status" in shown
    assert HIDDEN_CHANGE not in shown
