"""A coordinator escalates a case with an obstacle in a real browser and finds it in the
regional queue; axe finds no accessibility violations on the pages on the way."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_case_register_in_browser import assert_accessible

pytestmark = pytest.mark.e2e


def test_escalate_with_an_obstacle_and_find_the_case_in_the_regional_queue(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill("e2e.coordinator")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto(f"{live_server}/casussen/nieuw")
    page.get_by_label("Herkomstgemeente").select_option("GM0375")
    page.get_by_label("Bekend", exact=True).check()
    release = date.today() + timedelta(days=30)
    page.get_by_label("Datum terugkeer", exact=True).fill(release.isoformat())
    page.get_by_label("Ernstig geweldsdelinquent").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/casussen/KEN-\d{4}-\d{4}"))
    reference = page.url.rsplit("/", 1)[-1].split("?")[0]
    ladder = page.locator(".ct-ladder")
    assert ladder.get_by_text("Lokale driehoek").is_visible()
    assert page.get_by_role("row", name=re.compile("Casusoverleg gehouden")).is_visible()

    # Without an obstacle the form comes back, open, with a Dutch message.
    page.get_by_text("Opschalen naar Zorg- en Veiligheidshuis").first.click()
    page.get_by_role("button", name="Opschalen naar Zorg- en Veiligheidshuis").click()
    assert page.get_by_text("Kies een belemmering uit de lijst.").first.is_visible()
    assert_accessible(page, "opschalen met fout")

    page.get_by_label("Belemmering (verplicht)", exact=True).select_option("municipality_refuses")
    page.get_by_label("Toelichting", exact=True).fill("Beverwijk heeft geen woning.")
    page.get_by_role("button", name="Opschalen naar Zorg- en Veiligheidshuis").click()
    page.wait_for_url(re.compile(rf"/casussen/{reference}\?melding=verplaatst"))
    assert page.get_by_text("De casus is verplaatst naar een ander niveau.").is_visible()
    current = page.locator(".ct-ladder__step--current")
    assert current.get_by_text("Zorg- en Veiligheidshuis").is_visible()
    history = page.locator(".ct-history")
    assert history.get_by_text("Gemeente weigert medewerking").is_visible()
    assert history.get_by_text("Beverwijk heeft geen woning.").is_visible()
    assert_accessible(page, "casuspagina na opschalen")

    page.get_by_role("link", name="Wachtrij Zorg- en Veiligheidshuis").click()
    page.wait_for_url(re.compile(r"/wachtrij/regional"))
    assert page.get_by_role("link", name=reference).is_visible()
    assert_accessible(page, "wachtrij regionaal")

    page.get_by_role("link", name="Dashboard").click()
    assert page.get_by_role("heading", name="Termijnen deze week").is_visible()
    assert_accessible(page, "dashboard met termijnen")
