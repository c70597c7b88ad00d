"""config/escalation.toml: the shipped rules load; every kind of mistake stops with file,
key and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casetafel.escalation.config import HousingDeadline, load_escalation
from casetafel.settings import SettingsError
from tests.conftest import REPO
from tests.test_settings_and_cli import run_cli


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


def test_the_shipped_ladder_and_rules_load() -> None:
    config = load_escalation(REPO / "config", ["KEN"])
    assert config.ladder.keys() == ["local", "regional", "national"]
    assert config.default.housing is not None
    assert config.default.housing.working_days_before_release == {"local": 20, "regional": 10}
    assert config.default.time_box is not None
    assert config.default.time_box.working_days == {"local": 15, "regional": 20}
    assert config.default.conference is not None
    assert config.default.conference.working_days == {"local": 10, "regional": 5, "national": 15}
    assert config.default.warning is not None and config.default.warning.working_days_before == 2
    assert "no_housing_offered" in config.obstacles


def test_a_region_overrides_a_parameter(config_dir: Path) -> None:
    path = config_dir / "escalation.toml"
    path.write_text(
        path.read_text()
        + "\n[regions.KEN.rules.housing]\nworking_days_before_release = { local = 25 }\n"
    )
    config = load_escalation(config_dir, ["KEN"])
    housing = config.rules_for("KEN").housing
    assert isinstance(housing, HousingDeadline)
    assert housing.working_days_before_release == {"local": 25, "regional": 10}
    assert config.rules_for("XYZ").housing == config.default.housing


REGION_EXAMPLE = "# [regions.KEN.rules.housing]\n# working_days_before_release = { local = 25 }"


def _region(rule_id: str, line: str = "working_days_before_release = { local = 25 }") -> str:
    return f"[regions.KEN.rules.{rule_id}]\n{line}"


BROKEN = [
    ('kind = "time_box"', 'kind = "time_bomb"', "rules.time_box.kind", "unknown rule kind"),
    (
        "local = 15, regional = 20",
        "local = 15, provincial = 20",
        "rules.time_box.working_days.provincial",
        "unknown level",
    ),
    (
        "working_days_before = 2",
        "working_days_before = -2",
        "rules.warning.working_days_before",
        "negative",
    ),
    ('obstacle = "no_housing_offered"\n', "", "rules.housing.obstacle", "missing"),
    (
        'obstacle = "no_housing_offered"',
        'obstacle = "bad_weather"',
        "rules.housing.obstacle",
        "unknown obstacle",
    ),
    ("local = 15, regional = 20", "local = 15, national = 20", "rules.time_box", "cannot escalate"),
    (
        'category = "sudden_tbs_end"',
        'category = "shoplifting"',
        "rules.sudden_tbs_end.category",
        "unknown category",
    ),
    ("reminder_at = 0.5", "reminder_at = 2", "rules.conference.reminder_at", "fraction"),
    (
        "minimum_working_days_at_level = 2",
        "minimum_working_days_at_level = 2\nsnooze = 1",
        "rules.housing.snooze",
        "unknown key",
    ),
    (
        "# [regions.KEN.rules.housing]",
        "[regions.ZZZ.rules.housing]",
        "regions.ZZZ",
        "unknown region",
    ),
    *[
        (original, broken, key, reason)
        for original, broken, key, reason in [
            (REGION_EXAMPLE, _region("housnig"), "regions.KEN.rules.housnig", "unknown rule id"),
            (
                REGION_EXAMPLE,
                _region("housing", 'kind = "time_box"'),
                "regions.KEN.rules.housing.kind",
                "not the kind",
            ),
            (
                REGION_EXAMPLE,
                _region("housing", "working_days_before_release = { local = -1 }"),
                "regions.KEN.rules.housing.working_days_before_release.local",
                "negative",
            ),
            (REGION_EXAMPLE, "[regions.KEN]\nrules = 5", "regions.KEN.rules", "must be a table"),
            ("[rules.time_box]", '[rules."time box"]', "rules.time box", "rule id"),
            ("[rules.time_box]", "[rules.Time_box]", "rules.Time_box", "rule id"),
            ("[rules.time_box]", "[rules.user]", "rules.user", "reserved"),
            ("[rules.warning]", f"[rules.{'w' * 41}]", f"rules.{'w' * 41}", "at most 40"),
        ]
    ],
]


@pytest.mark.parametrize(("original", "broken", "key", "reason"), BROKEN)
def test_broken_rules_name_file_key_and_reason(
    config_dir: Path, original: str, broken: str, key: str, reason: str
) -> None:
    path = config_dir / "escalation.toml"
    text = path.read_text()
    assert original in text
    path.write_text(text.replace(original, broken, 1))
    with pytest.raises(SettingsError) as error:
        load_escalation(config_dir, ["KEN"])
    assert error.value.source == str(path)
    assert error.value.key == key
    assert reason in error.value.problem


def test_check_config_and_serve_stop_on_a_broken_rule(config_dir: Path) -> None:
    path = config_dir / "escalation.toml"
    path.write_text(path.read_text().replace('kind = "time_box"', 'kind = "time_bomb"'))
    for command in (["check-config"], ["serve", "--port", "1"]):
        result = run_cli(*command, config_dir=config_dir)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "rules.time_box.kind" in lines[0] and str(path) in lines[0]


@pytest.mark.parametrize(
    ("original", "broken", "key"),
    [
        (REGION_EXAMPLE, _region("housnig"), "regions.KEN.rules.housnig: unknown rule id"),
        ("[rules.time_box]", "[rules.user]", "rules.user: the rule id 'user' is reserved"),
    ],
)
def test_check_config_names_a_wrong_rule_id_in_one_line(
    config_dir: Path, original: str, broken: str, key: str
) -> None:
    path = config_dir / "escalation.toml"
    path.write_text(path.read_text().replace(original, broken, 1))
    result = run_cli("check-config", config_dir=config_dir)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"casetafel: configuration error: {path}: {key}"), line
