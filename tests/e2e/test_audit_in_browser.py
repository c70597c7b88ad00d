"""The privacy officer filters the audit log by case and downloads the CSV in a real
browser, at desktop and phone width; the page and the file name the case but hold none of
its content; axe finds no accessibility violations."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import _cli, log_in
from tests.e2e.test_case_register_in_browser import assert_accessible

pytestmark = pytest.mark.e2e
NOTE = "Bewoners van de flat willen een gesprek met de burgemeester"
WIDTHS = {"desktop": (1280, 900), "telefoon": (390, 844)}


def register_case(page: Any, url: str) -> str:
    page.goto(f"{url}/casussen/nieuw")
    page.get_by_label("Herkomstgemeente").select_option("GM0453")
    page.get_by_label("Bekend", exact=True).check()
    page.get_by_label("Datum terugkeer", exact=True).fill(
        (date.today() + timedelta(days=40)).isoformat()
    )
    page.get_by_label("Zedendelinquent").check()
    page.get_by_label("Toelichting", exact=True).fill(NOTE)
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/casussen/KEN-\d{4}-\d{4}"))
    return str(page.url.rsplit("/", 1)[-1].split("?")[0])


def test_privacy_officer_filters_by_case_and_downloads_the_csv(
    server_env: dict[str, str], live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    _cli(
        server_env,
        *("create-user", "e2e.privacy", "--name", "Pim Privacy", "--email", "pim@example.test"),
        *("--role", "privacy_officer", "--organisation", "zvh-kennemerland", "--region", "KEN"),
        *("--password-env", "E2E_PASSWORD"),
    )
    page = browser_page
    log_in(page, live_server, "e2e.coordinator")
    reference = register_case(page, live_server)
    other = register_case(page, live_server)

    log_in(page, live_server, "e2e.privacy")
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server}/audit")
        assert page.get_by_role("heading", name="Auditlog").is_visible()
        assert_accessible(page, f"auditlog ({name})")
        page.get_by_label("Kenmerk casus").fill(reference)
        page.get_by_label("Actie").select_option(label="Casus geregistreerd")
        page.get_by_role("button", name="Filteren").click()
        page.wait_for_url(re.compile(r"/audit\?"))
        table = page.locator(".ct-table tbody")
        assert table.get_by_role("row").count() == 1
        row = table.get_by_role("row").first
        assert row.get_by_text(reference).is_visible()
        assert row.get_by_text("Casus geregistreerd").is_visible()
        assert row.get_by_text("Zorg- en Veiligheidshuis Kennemerland").is_visible()
        assert other not in page.content() and NOTE not in page.content()
        # The page itself does not scroll sideways; only the table may.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page, f"auditlog gefilterd ({name})")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Gefilterde gebeurtenissen downloaden (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"auditlog-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [(r["casus"], r["actie"]) for r in rows] == [(reference, "Casus geregistreerd")]
    assert rows[0]["gebruiker"] == "e2e.coordinator" and rows[0]["doel"] == "casusbehandeling"
    for private in (NOTE, "Zedendelinquent", "sex_offender", other):
        assert private not in text
