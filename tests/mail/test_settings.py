"""The mail settings are validated like every other setting."""

from __future__ import annotations

import pytest

from casetafel.settings import SettingsError, load_settings
from tests.conftest import REPO


def test_shipped_mail_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(REPO / "config")
    assert settings.mail_max_attempts == 8
    assert settings.mail_retry_base_seconds == 60
    assert settings.mail_send_interval_seconds == 15
    assert settings.dev_mail_page is False  # secure by default; make run turns it on
    assert settings.mail_sink_path == REPO / "var" / "mail"


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("CASETAFEL_MAIL_MAX_ATTEMPTS", "0", "mail_max_attempts"),
        ("CASETAFEL_MAIL_MAX_ATTEMPTS", "acht", "mail_max_attempts"),
        ("CASETAFEL_MAIL_RETRY_BASE_SECONDS", "-1", "mail_retry_base_seconds"),
        ("CASETAFEL_MAIL_RETRY_MAX_SECONDS", "30", "mail_retry_max_seconds"),
        ("CASETAFEL_MAIL_SEND_INTERVAL_SECONDS", "1.5", "mail_send_interval_seconds"),
        ("CASETAFEL_DEV_MAIL_PAGE", "misschien", "dev_mail_page"),
    ],
)
def test_invalid_mail_setting_names_the_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, key: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings(REPO / "config")
    assert error.value.key == key
