"""The privacy officer sees which cases the next retention run anonymises, extends one,
makes the overview for a subject's access request and downloads it as PDF, at 1280 and at
390 pixels wide; axe finds no accessibility violations on the way."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, REPO
from tests.e2e.conftest import _cli
from tests.e2e.test_case_register_in_browser import assert_accessible

pytestmark = pytest.mark.e2e
WIDTHS = (1280, 390)


@pytest.fixture
def scene(server_env: dict[str, str]) -> list[str]:
    _cli(
        server_env,
        "create-user",
        "e2e.privacy",
        "--name",
        "Pim Privacy",
        "--email",
        "pim@example.test",
        "--role",
        "privacy_officer",
        "--organisation",
        "zvh-kennemerland",
        "--region",
        "KEN",
        "--password-env",
        "E2E_PASSWORD",
    )
    made = subprocess.run(
        [sys.executable, "-m", "tests.e2e.retention_scene"],
        env=server_env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return made.stdout.split()


def test_preview_extend_and_download_an_access_overview(
    scene: list[str], live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    due, kept = scene
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill("e2e.privacy")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/audit"))

    page.get_by_role("link", name="Bewaartermijnen").click()
    page.wait_for_url(re.compile(r"/bewaartermijnen"))
    upcoming = page.get_by_role("table", name=re.compile("bij de volgende ronde"))
    assert upcoming.get_by_role("cell", name=due).is_visible()
    assert upcoming.get_by_role("cell", name=kept).is_visible()
    assert page.get_by_text("Browsertest").count() == 0
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page, f"bewaartermijnen op {width} px")

    page.get_by_label("Kenmerk casus").fill(kept)
    page.get_by_label("Bewaren tot en met").fill(f"{int(kept[4:8]) + 5}-12-31")
    page.get_by_label("Reden").fill("Klacht bij de Nationale ombudsman loopt")
    page.get_by_role("button", name="Verlengen").click()
    page.wait_for_url(re.compile(r"melding=bewaartermijn-verlengd"))
    assert page.get_by_text("De bewaartermijn is verlengd en vastgelegd.").is_visible()
    extended = page.get_by_role("table", name=re.compile("verlengd"))
    assert extended.get_by_role("cell", name=kept).is_visible()
    assert upcoming.get_by_role("cell", name=kept).count() == 0
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page, f"bewaartermijnen na verlengen op {width} px")

    page.get_by_role("link", name="Inzageverzoek").click()
    page.wait_for_url(re.compile(r"/inzageverzoek"))
    assert_accessible(page, "inzageverzoek")
    page.get_by_label("Geboortedatum betrokkene").fill("1975-02-03")
    page.get_by_role("button", name="Overzicht maken").click()
    assert page.get_by_text("Vul de naam van de betrokkene in").first.is_visible()
    assert_accessible(page, "inzageverzoek met fout")
    page.get_by_label("Naam betrokkene").fill("E. Browsertest (fictief)")
    page.get_by_role("button", name="Overzicht maken").click()
    assert page.get_by_role("heading", name=f"Casus {due}").is_visible()
    assert page.get_by_role("heading", name=f"Casus {kept}").is_visible()
    assert page.get_by_text("Verblijft tijdelijk bij een kennis").first.is_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page, f"overzicht inzageverzoek op {width} px")

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download als PDF").click()
    download = downloading.value
    assert re.fullmatch(r"inzageverzoek-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert due in text and kept in text
