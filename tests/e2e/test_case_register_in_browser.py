"""A coordinator registers, finds, edits and reads a case in a real browser; axe finds no
accessibility violations on any of those pages."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
axe = Axe()


def assert_accessible(page: Any, name: str) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def test_register_find_edit_and_read_a_case(live_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{live_server}/casussen")
    assert "/inloggen" in page.url
    assert_accessible(page, "inloggen")
    page.get_by_label("Gebruikersnaam").fill("e2e.coordinator")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/casussen"))
    assert_accessible(page, "casussen")

    page.goto(f"{live_server}/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert_accessible(page, "dashboard")

    page.get_by_role("link", name="Nieuwe casus").click()
    assert_accessible(page, "nieuwe casus")
    release = date.today() + timedelta(days=40)
    page.get_by_label("Naam betrokkene", exact=True).fill("B. Browsertest (fictief)")
    page.get_by_label("Herkomstgemeente").select_option("GM0453")
    page.get_by_label("Bekend", exact=True).check()
    page.get_by_label("Datum terugkeer", exact=True).fill(release.isoformat())
    page.get_by_label("Zedendelinquent").check()
    page.get_by_label("Politie Eenheid Noord-Holland").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/casussen/KEN-\d{4}-\d{4}"))
    reference = page.url.rsplit("/", 1)[-1].split("?")[0]
    assert page.get_by_text("De casus is geregistreerd.").is_visible()
    assert page.get_by_text("B. Browsertest (fictief)").is_visible()
    assert_accessible(page, "casuspagina")

    page.goto(f"{live_server}/casussen")
    page.get_by_label("Zoek op kenmerk").fill(reference[-4:])
    page.get_by_role("button", name="Filteren").click()
    assert page.get_by_role("link", name=reference).is_visible()
    assert_accessible(page, "casussen met zoekresultaat")
    page.goto(f"{live_server}/")
    assert page.get_by_role("link", name=reference).first.is_visible()
    assert_accessible(page, "dashboard met casus")
    page.goto(f"{live_server}/casussen")
    page.get_by_label("Zoek op kenmerk").fill(reference[-4:])
    page.get_by_role("button", name="Filteren").click()
    page.get_by_role("link", name=reference).click()

    page.get_by_role("link", name="Gegevens bewerken").click()
    assert_accessible(page, "bewerken")
    later = release + timedelta(days=7)
    page.get_by_label("Datum terugkeer", exact=True).fill(later.isoformat())
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(rf"/casussen/{reference}"))
    assert page.get_by_text("De wijzigingen zijn opgeslagen.").is_visible()
    timeline = page.locator(".ct-timeline")
    expected = f"Datum terugkeer: {release:%d-%m-%Y} → {later:%d-%m-%Y}"
    assert timeline.get_by_text(expected).is_visible()
    assert timeline.get_by_text("Casus geregistreerd").is_visible()
    assert_accessible(page, "casuspagina met tijdlijn")


def test_bad_input_shows_the_form_again_with_dutch_messages(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill("e2e.coordinator")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.goto(f"{live_server}/casussen/nieuw")
    page.get_by_label("Naam betrokkene", exact=True).fill("Getypte Naam")
    page.get_by_label("Datum terugkeer", exact=True).fill("2001-01-01")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_text("Er is iets niet goed ingevuld").is_visible()
    assert page.get_by_label("Naam betrokkene", exact=True).input_value() == "Getypte Naam"
    assert page.get_by_text("Herkomstgemeente is verplicht.").first.is_visible()
    assert_accessible(page, "formulier met fouten")
