"""Retention terms per legal basis in config/access.toml: required for every case basis, a
whole number of years, and named when wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casetafel.access.policy import load_policy
from casetafel.cases.vocabulary import CATEGORIES
from casetafel.settings import SettingsError
from tests.conftest import REPO
from tests.test_settings_and_cli import run_cli


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


def test_the_shipped_terms_and_the_longest_one_wins() -> None:
    policy = load_policy(REPO / "config", CATEGORIES)
    terms = {basis.key: basis.retention_years for basis in policy.case_bases()}
    assert terms == {"wgs": 2, "pbw_18a": 2, "pbw_18b": 5, "bij": 5}
    assert policy.retention_years(["wgs", "pbw_18a"]) == 2
    assert policy.retention_years(["wgs", "pbw_18a", "pbw_18b", "bij"]) == 5
    # No known basis recorded: the longest term, so nothing is removed too early.
    assert policy.retention_years([]) == 5
    assert policy.retention_years(["removed_basis"]) == 5


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("default = true\nretention_years = 2\n", "default = true\n", "bases.wgs", "required"),
        (
            "retention_years = 5\n\n# Bases",
            "retention_years = 0\n\n# Bases",
            "bases.bij",
            "between",
        ),
        (
            "default = true\nretention_years = 2\n",
            'default = true\nretention_years = "2"\n',
            "bases.wgs",
            "whole number",
        ),
        (
            "default = true\nretention_years = 2\n",
            "default = true\nretention_years = 2.5\n",
            "bases.wgs",
            "whole number",
        ),
        (
            "default = true\nretention_years = 2\n",
            "default = true\nretention_years = true\n",
            "bases.wgs",
            "whole number",
        ),
        (
            "case_basis = false\n",
            "case_basis = false\nretention_years = 3\n",
            "bases.pseudonymised",
            "only a case basis",
        ),
    ],
)
def test_a_missing_or_wrong_term_is_named(
    config_copy: Path, old: str, new: str, key: str, problem: str
) -> None:
    path = config_copy / "access.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SettingsError) as raised:
        load_policy(config_copy, CATEGORIES)
    assert raised.value.key == f"{key}.retention_years"
    assert problem in raised.value.problem
    result = run_cli("check-config", config_dir=config_copy)
    assert result.returncode == 2
    assert f"access.toml: {key}.retention_years: " in result.stderr
