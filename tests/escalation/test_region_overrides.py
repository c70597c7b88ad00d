"""A region's override of a rule's parameters reaches its cases: their deadlines, the sweep,
and what the dashboard says."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from casetafel.cases import service
from casetafel.escalation import hooks, views
from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.setup import load_config
from tests.conftest import REPO, login, velsen_case
from tests.escalation.conftest import (
    START,
    deadlines_of,
    escalations_of,
    local,
    pending,
    sweep_at,
)


def with_override(tmp_path: Path, override: str) -> EscalationConfig:
    """The shipped configuration with `override` added to config/escalation.toml."""
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    path = target / "escalation.toml"
    path.write_text(path.read_text() + "\n" + override)
    return load_config(target)


@pytest.fixture
def install() -> Iterator[Callable[[EscalationConfig], None]]:
    """Connect the engine (case hooks, page sections) to another configuration for one
    test; the shipped one is connected again afterwards."""

    def connect(config: EscalationConfig) -> None:
        hooks.install(config)
        views.install_sections(config)

    yield connect
    connect(load_config(REPO / "config"))


async def test_a_region_override_changes_the_deadline_of_its_cases(
    now_is_start, users, directory, ladder, tmp_path, install
):
    config = with_override(
        tmp_path, "[regions.KEN.rules.housing]\nworking_days_before_release = { local = 25 }\n"
    )
    install(config)
    case = await service.create_case(
        users.actors["coordinator"], velsen_case(release_date="2027-01-15"), directory, ladder
    )
    # 25 working days before Friday 15 January 2027 instead of 20: Wednesday 9 December
    # instead of 16 December; the warning moves with it.
    housing = await pending(case.id, "housing_deadline")
    assert housing.due_at == local(date(2026, 12, 9), 0)
    [warning] = await deadlines_of(case.id, kind="warning", target=housing.id)
    assert warning.due_at == local(date(2026, 12, 7), 0)

    await sweep_at(config, local(date(2026, 12, 8), 23, 59))
    assert await escalations_of(case.id) == []
    await sweep_at(config, local(date(2026, 12, 9), 0))
    [move] = await escalations_of(case.id)
    assert (move.trigger, move.to_level) == ("housing", "regional")
    # The override named the local level only: the regional table keeps its 10 days.
    regional = await pending(case.id, "housing_deadline")
    assert regional.due_at == local(date(2026, 12, 31), 0)


async def test_the_dashboard_names_the_bij_period_the_region_uses(
    now_is_start, users, directory, ladder, config, client, tmp_path, install
):
    await service.create_case(
        users.actors["coordinator"], velsen_case(release_date="2027-01-15"), directory, ladder
    )
    await sweep_at(config, START)  # the BIJ notice is missing: an alert
    await login(client, "coordinator")
    shipped = (await client.get("/")).text
    assert "Terugkeer binnen 60 dagen zonder geregistreerde BIJ-melding" in shipped

    install(
        with_override(
            tmp_path, "[regions.KEN.rules.bij_missing]\ncalendar_days_before_release = 90\n"
        )
    )
    overridden = (await client.get("/")).text
    assert "Terugkeer binnen 90 dagen zonder geregistreerde BIJ-melding" in overridden
    assert "60 dagen zonder" not in overridden
