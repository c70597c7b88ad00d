"""A coordinator plans a case conference from a case in a real browser, picks a proposed
time and sends the invites; the invite arrives at the local mail sink (/dev/mail); the
attendee accepts through the RSVP link; the meeting page shows the acceptance. axe checks
each page."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from casetafel.mail.sink import KeepingHandler
from tests.conftest import PASSWORD
from tests.e2e.test_case_register_in_browser import assert_accessible
from tests.invites.strict import assert_no_personal_data_in_mail
from tests.support.smtp import free_port

pytestmark = pytest.mark.e2e
SUBJECT = "Kees Fictiefsma"
BIRTH_DATE = date(1975, 3, 9)
PRIVATE = [SUBJECT, "Fictiefsma", "1975-03-09", "09-03-1975", "9-3-1975"]


@pytest.fixture
def mail_sink(server_env: dict[str, str], tmp_path: Path) -> Iterator[Path]:
    """The local sink the app sends to, and /dev/mail switched on to show it."""
    folder = tmp_path / "mail"
    port = free_port()
    controller = Controller(KeepingHandler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    server_env.update(
        CASETAFEL_SMTP_URL=f"smtp://127.0.0.1:{port}",
        CASETAFEL_MAIL_SINK_DIR=str(folder),
        CASETAFEL_DEV_MAIL_PAGE="true",
    )
    yield folder
    controller.stop()


def send_mail(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "casetafel.cli", "send-mail"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )


def test_plan_send_accept_and_see_the_answer(
    mail_sink: Path, server_env: dict[str, str], live_server: str, browser_page: Any
) -> None:
    page = browser_page
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill("e2e.coordinator")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto(f"{live_server}/casussen/nieuw")
    page.get_by_label("Naam betrokkene").fill(SUBJECT)
    page.get_by_label("Geboortedatum").fill(BIRTH_DATE.isoformat())
    page.get_by_label("Herkomstgemeente").select_option("GM0396")
    page.get_by_label("Bekend", exact=True).check()
    page.get_by_label("Datum terugkeer", exact=True).fill(
        (date.today() + timedelta(days=45)).isoformat()
    )
    page.get_by_label("Zonder vaste woon- of verblijfplaats").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/casussen/KEN-\d{4}-\d{4}"))
    reference = page.url.rsplit("/", 1)[-1].split("?")[0]
    assert page.get_by_text(SUBJECT).first.is_visible()  # the case does name its subject

    page.get_by_role("link", name="Casusoverleg plannen").click()
    page.wait_for_url(re.compile(r"/overleggen/plannen"))
    assert page.get_by_role("checkbox", name="Eva Coördinator").is_checked()
    page.get_by_role("button", name="Zoek vrije tijdstippen").click()
    assert page.get_by_text("Voorgestelde tijdstippen").is_visible()
    assert_accessible(page, "overleg plannen met voorstellen")
    page.locator("input[name=slot]").first.check()
    page.get_by_role("button", name="Plannen en uitnodigingen versturen").click()
    page.wait_for_url(re.compile(r"/overleggen/\d+"))
    meeting_url = page.url.split("?")[0]
    assert page.get_by_text("Het overleg is gepland").is_visible()
    assert page.get_by_role("cell", name="Nog geen antwoord").is_visible()
    assert_accessible(page, "overlegpagina")

    send_mail(server_env)
    page.goto(f"{live_server}/dev/mail")
    assert page.get_by_text(f"Driehoeksoverleg {reference}").first.is_visible()
    assert page.get_by_text("REQUEST").first.is_visible()
    assert_accessible(page, "dev mail")
    text = page.locator("pre").first.inner_text()
    assert "fictiefsma" not in text.lower()
    sent = sorted(mail_sink.glob("*.eml"))
    assert sent
    for eml in sent:  # every header and decoded part: the calendar is base64 on the wire
        assert_no_personal_data_in_mail(eml.read_bytes(), PRIVATE)
    rsvp_path = re.search(r"/rsvp/[A-Za-z0-9._-]+", text)
    assert rsvp_path, text

    page.goto(f"{live_server}{rsvp_path.group(0)}")
    assert page.get_by_role("heading", name=f"Driehoeksoverleg {reference}").is_visible()
    assert_accessible(page, "rsvp")
    page.get_by_label("Ik kom", exact=True).check()
    page.get_by_role("button", name="Antwoord versturen").click()
    assert page.get_by_text("Dank u wel").is_visible()

    page.goto(meeting_url)
    assert page.get_by_role("cell", name=re.compile("^Komt")).is_visible()
