"""The planning form in a real browser (issue 10, defect 3): for a case without a receiving
municipality only the home municipality and the planner are ticked, each with the reason next
to it; the regiegroep and the housing corporation are on the form, unticked. axe finds no
violation at desktop (1280 px) and phone (390 px) width. Invited anyway, the housing
corporation sees the meeting under a neutral title, without the case (defect 4a)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.test_case_register_in_browser import assert_accessible

pytestmark = pytest.mark.e2e
PLACEHOLDER = "Overleg (geen toegang tot de casus)"
# (username, display name, role, organisation key, region)
OTHERS = [
    ("e2e.velsen", "Gerda Gemeente", "municipality", "gemeente-gm0453", "KEN"),
    ("e2e.regie", "Rik Regiegroep", "regiegroep", "regiegroep", None),
    ("e2e.woning", "Wanda Woning", "partner", "woonwaard", "KEN"),
]


def create_user(env: dict[str, str], username: str, name: str, role: str, org: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "casetafel.cli",
        "create-user",
        username,
        "--name",
        name,
        "--email",
        f"{username}@example.test",
        "--role",
        role,
        "--organisation",
        org,
        "--password-env",
        "E2E_PASSWORD",
    ]


def reason_of(page: Any, name: str) -> str:
    """The text that describes a candidate's checkbox: why it is suggested."""
    described = page.get_by_role("checkbox", name=name).get_attribute("aria-describedby")
    return str(page.locator(f"#{described}").inner_text()) if described else ""


def test_the_planning_form_ticks_only_the_suggestions_and_says_why(
    server_env: dict[str, str], live_server: str, browser_page: Any
) -> None:
    for username, name, role, org, region in OTHERS:
        command = create_user(server_env, username, name, role, org)
        command += ["--region", region] if region else []
        subprocess.run(command, env=server_env, check=True, timeout=120, capture_output=True)
    page = browser_page
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill("e2e.coordinator")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto(f"{live_server}/casussen/nieuw")
    page.get_by_label("Herkomstgemeente").select_option("GM0453")
    page.get_by_label("Bekend", exact=True).check()
    page.get_by_label("Datum terugkeer", exact=True).fill(
        (date.today() + timedelta(days=45)).isoformat()
    )
    page.get_by_label("Zonder vaste woon- of verblijfplaats").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/casussen/KEN-\d{4}-\d{4}"))
    reference = page.url.rsplit("/", 1)[-1].split("?")[0]

    page.get_by_role("link", name="Casusoverleg plannen").click()
    page.wait_for_url(re.compile(r"/overleggen/plannen"))
    assert page.get_by_role("checkbox", name="Gerda Gemeente").is_checked()
    assert reason_of(page, "Gerda Gemeente") == "Voorgesteld: herkomstgemeente"
    assert page.get_by_role("checkbox", name="Eva Coördinator").is_checked()
    assert "u plant het overleg" in reason_of(page, "Eva Coördinator")
    for name in ("Rik Regiegroep", "Wanda Woning"):
        assert not page.get_by_role("checkbox", name=name).is_checked(), name
        assert reason_of(page, name) == "", name
    assert page.get_by_text("Voorgesteld: herkomstgemeente").is_visible()
    assert_accessible(page, "overleg plannen, 1280 px")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.get_by_text("Voorgesteld: herkomstgemeente").is_visible()
    assert_accessible(page, "overleg plannen, 390 px")
    page.set_viewport_size({"width": 1280, "height": 720})

    page.get_by_role("checkbox", name="Wanda Woning").check()
    page.get_by_role("button", name="Zoek vrije tijdstippen").click()
    page.locator("input[name=slot]").first.check()
    page.get_by_role("button", name="Plannen en uitnodigingen versturen").click()
    page.wait_for_url(re.compile(r"/overleggen/\d+"))
    meeting_url = page.url.split("?")[0]
    page.context.clear_cookies()
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill("e2e.woning")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"{live_server}/overleggen")
    assert page.get_by_role("link", name=PLACEHOLDER).is_visible()
    assert page.get_by_text(reference).count() == 0
    page.goto(meeting_url)
    assert page.get_by_role("heading", name=PLACEHOLDER).is_visible()
    assert page.get_by_text(reference).count() == 0
    assert_accessible(page, "overlegpagina zonder toegang tot de casus")
