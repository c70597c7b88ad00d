"""A partner's case page in a real browser says on which legal basis the partner sees the
case, and shows only what that basis opens (issue 10): the police take part in a sex-offence
case on art. 18b Pbw and see its categories; the housing corporation takes part on the Wgs
and does not. axe finds no violation at 1280 px and 390 px."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import log_in
from tests.e2e.test_case_register_in_browser import assert_accessible
from tests.e2e.test_plan_suggestions_in_browser import create_user

pytestmark = pytest.mark.e2e
PARTNERS = [
    ("e2e.politie", "Piet Politie", "partner", "politie-noord-holland"),
    ("e2e.woning", "Wanda Woning", "partner", "woonwaard"),
]


def check_both_widths(page: Any, name: str) -> None:
    assert_accessible(page, f"{name}, 1280 px")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, f"{name}, 390 px")
    page.set_viewport_size({"width": 1280, "height": 720})


def test_a_partner_sees_why_it_sees_a_case(
    server_env: dict[str, str], live_server: str, browser_page: Any
) -> None:
    for username, name, role, organisation in PARTNERS:
        command = create_user(server_env, username, name, role, organisation)
        subprocess.run([*command, "--region", "KEN"], env=server_env, check=True, timeout=120)
    page = browser_page
    log_in(page, live_server, "e2e.coordinator")
    page.goto(f"{live_server}/casussen/nieuw")
    page.get_by_label("Naam betrokkene", exact=True).fill("B. Grondslagtest (fictief)")
    page.get_by_label("Herkomstgemeente").select_option("GM0453")
    page.get_by_label("Bekend", exact=True).check()
    page.get_by_label("Datum terugkeer", exact=True).fill(
        (date.today() + timedelta(days=40)).isoformat()
    )
    page.get_by_label("Zedendelinquent").check()
    page.get_by_label("Politie Eenheid Noord-Holland").check()
    page.get_by_label("Woningcorporatie Kennemer Wonen").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/casussen/KEN-\d{4}-\d{4}"))
    case_url = page.url.split("?")[0]
    assert page.get_by_text("op grond van art. 18b Pbw, voor").is_visible()
    check_both_widths(page, "casuspagina coördinator")

    log_in(page, live_server, "e2e.politie")
    page.goto(case_url)
    assert page.get_by_text(
        "Zichtbaar voor Politie Eenheid Noord-Holland op grond van art. 18b Pbw."
    ).is_visible()
    assert page.get_by_text("Zedendelinquent", exact=True).is_visible()
    check_both_widths(page, "casuspagina politie")

    log_in(page, live_server, "e2e.woning")
    page.goto(case_url)
    assert page.get_by_text(
        "Zichtbaar voor Woningcorporatie Kennemer Wonen op grond van Wgs (Zorg- en "
        "Veiligheidshuis)."
    ).is_visible()
    assert page.get_by_text("B. Grondslagtest (fictief)").is_visible()
    assert page.get_by_text("Zedendelinquent").count() == 0
    check_both_widths(page, "casuspagina woningcorporatie")
