"""Start-up configuration: a bad value stops with one line naming file, key and problem."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casetafel.settings import SettingsError, load_settings
from tests.conftest import REPO

CLI = [sys.executable, "-m", "casetafel.cli"]


def run_cli(
    *args: str, config_dir: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CASETAFEL_")}
    environment.update(env)
    if config_dir:
        environment["CASETAFEL_CONFIG_DIR"] = str(config_dir)
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=environment, timeout=60, check=False
    )


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


def test_defaults_load_and_variables_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASETAFEL_BASE_URL", "https://casetafel.example.nl/")
    monkeypatch.setenv("CASETAFEL_DATABASE_URL", "postgresql://app@db.example:5433/casetafel")
    settings = load_settings(REPO / "config")
    assert settings.base_url == "https://casetafel.example.nl"
    assert not settings.is_sqlite
    assert settings.timezone == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("CASETAFEL_DATABASE_URL", "mysql://x", "database_url"),
        ("CASETAFEL_SMTP_URL", "localhost:25", "smtp_url"),
        ("CASETAFEL_BASE_URL", "ftp://x", "base_url"),
        ("CASETAFEL_SECRET_KEY", "short", "secret_key"),
        ("CASETAFEL_SESSION_IDLE_MINUTES", "-5", "session_idle_minutes"),
        ("CASETAFEL_TIMEZONE", "Mars/Olympus", "timezone"),
    ],
)
def test_invalid_variable_names_variable_and_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, key: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings(REPO / "config")
    assert error.value.source == variable
    assert error.value.key == key


def test_check_config_passes_on_the_shipped_config() -> None:
    result = run_cli("check-config", config_dir=REPO / "config")
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout


@pytest.mark.parametrize(
    ("file", "original", "broken", "expected"),
    [
        (
            "casetafel.toml",
            'timezone = "Europe/Amsterdam"',
            'timezone = "Nowhere/Land"',
            "timezone",
        ),
        ("casetafel.toml", "db_pool_min = 2", 'db_pool_min = "two"', "db_pool_min"),
        ("casetafel.toml", "db_pool_max = 20", "db_pool_max = 20\nsurprise = 1", "surprise"),
        ("escalation.toml", 'owner_kind = "zvh"', 'owner_kind = "circus"', "levels[1].owner_kind"),
        ("regions/kennemerland.toml", 'cbs_code = "GM0392"', 'cbs_code = "0392"', "cbs_code"),
        ("regions/kennemerland.toml", 'kind = "politie"', 'kind = "brandweer"', "kind"),
        ("casetafel.toml", "secure_cookies = false", "secure_cookies = [", "not valid TOML"),
        ("meetings.toml", "duration_minutes = 90", "duration_minutes = 9", "duration_minutes"),
        ("meetings.toml", 'key = "casusoverleg"', 'key = "ico"', "casusoverleg"),
    ],
)
def test_broken_config_stops_with_one_line_and_exit_2(
    config_copy: Path, file: str, original: str, broken: str, expected: str
) -> None:
    path = config_copy / file
    text = path.read_text()
    assert original in text
    path.write_text(text.replace(original, broken, 1))
    for command in (["check-config"], ["serve", "--port", "1"]):
        result = run_cli(*command, config_dir=config_copy)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert str(path) in lines[0] and expected in lines[0]
        assert "Traceback" not in result.stderr


def test_bad_environment_variable_stops_serve(config_copy: Path) -> None:
    result = run_cli("serve", config_dir=config_copy, CASETAFEL_DATABASE_URL="oracle://x")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        "casetafel: configuration error: CASETAFEL_DATABASE_URL"
    )


def test_a_misspelled_variable_stops_start_up_and_names_the_right_one(config_copy: Path) -> None:
    # Ignored, it would leave the file's SQLite database in place of the meant PostgreSQL.
    result = run_cli(
        "serve", config_dir=config_copy, CASETAFEL_DATABSE_URL="postgresql://db/casetafel"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "casetafel: configuration error: environment: CASETAFEL_DATABSE_URL: unknown variable"
        " (did you mean CASETAFEL_DATABASE_URL?)"
    )
    result = run_cli("check-config", config_dir=config_copy, CASETAFEL_COLOUR="blue")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("CASETAFEL_COLOUR: unknown variable")
    # The test suite's own variables and the config and migrations directories are known.
    result = run_cli(
        "check-config",
        config_dir=config_copy,
        CASETAFEL_TEST_DB="sqlite",
        CASETAFEL_MIGRATIONS_DIR=str(REPO / "migrations"),
        CASETAFEL_SMTP_URL="smtp://127.0.0.1:1025",
    )
    assert result.returncode == 0, result.stderr


def test_more_workers_need_postgresql(config_copy: Path) -> None:
    result = run_cli("serve", "--workers", "2", config_dir=config_copy)
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["migrate"],
        ["demo"],
        ["check-config"],
        ["create-user"],
        ["create-token"],
        ["revoke-token"],
        ["sweep"],
        ["send-reminders"],
        ["audit", "verify"],
        ["mail-sink"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert "usage: casetafel" in result.stdout
