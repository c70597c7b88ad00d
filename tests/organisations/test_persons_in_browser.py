"""A coordinator registers, corrects and deactivates a participant in a real browser; axe
finds no accessibility violations on the pages, the form with its errors included."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
axe = Axe()


def assert_accessible(page: Any, name: str) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def test_register_correct_and_deactivate_a_participant(live_server: str, browser_page: Any):
    page = browser_page
    page.goto(f"{live_server}/deelnemers")
    page.get_by_label("Gebruikersnaam").fill("e2e.coordinator")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/deelnemers"))
    assert_accessible(page, "deelnemers (leeg)")

    page.get_by_role("link", name="Nieuwe deelnemer").click()
    assert_accessible(page, "nieuwe deelnemer")
    page.get_by_label("Naam").fill("Anouk de Wit")
    page.get_by_label("E-mailadres").fill("anouk@")
    page.get_by_label("Organisatie").select_option(label="Politie Eenheid Noord-Holland")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page, "nieuwe deelnemer met fouten")
    page.get_by_role("link", name=re.compile("geldig e-mailadres")).click()
    assert page.evaluate("document.activeElement.id") == "veld-email"
    assert page.get_by_label("Naam").input_value() == "Anouk de Wit"
    page.get_by_label("E-mailadres").fill("a.dewit@politie.example.nl")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/deelnemers\?melding=deelnemer-toegevoegd"))
    assert page.get_by_text("De deelnemer is toegevoegd.").is_visible()
    assert_accessible(page, "deelnemers")

    page.get_by_role("link", name="Bewerken Anouk de Wit").click()
    assert_accessible(page, "deelnemer bewerken")
    page.get_by_label("Functie").fill("Wijkagent Velsen-Zuid")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"melding=opgeslagen"))
    assert page.get_by_role("cell", name="Wijkagent Velsen-Zuid").is_visible()

    page.get_by_role("link", name="Bewerken Anouk de Wit").click()
    page.get_by_role("button", name="Deelnemer deactiveren").click()
    page.wait_for_url(re.compile(r"melding=deelnemer-gedeactiveerd"))
    assert page.get_by_text("Anouk de Wit").count() == 0
