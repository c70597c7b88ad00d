"""The declared access policy: its validation, the route table's declarations, and the one
case scope whose SQL filter and per-case check agree."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from litestar import Controller, Litestar, get

from casetafel import db
from casetafel.access import scope
from casetafel.access.policy import ACTIONS, PUBLIC, SIGNED_IN, Role, Scope, load_policy
from casetafel.cases import service
from casetafel.cases.models import Case, CaseParticipant
from casetafel.cases.vocabulary import CATEGORIES
from casetafel.settings import SettingsError
from casetafel.web.auth import PERMISSION, undeclared_routes
from tests.conftest import REPO, velsen_case
from tests.test_settings_and_cli import run_cli

ACCESS = REPO / "config" / "access.toml"


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            '"casework"] },\n]\n\n[roles.municipality]',
            '"gossip"] },\n]\n\n[roles.municipality]',
            "roles.coordinator.grants[0].classes",
            "gossip",
        ),
        (
            '"mail.queue", "persons.manage",',
            '"mail.queue", "persons.delete",',
            "roles.coordinator.actions",
            "unknown action 'persons.delete'",
        ),
        (
            '{ basis = "wgs", kinds = ["*"]',
            '{ basis = "wet", kinds = ["*"]',
            "roles.partner.grants[2].basis",
            "unknown basis 'wet'",
        ),
        (
            'kinds = ["dji", "reclassering"]',
            'kinds = ["dji", "rechtbank"]',
            "roles.partner.grants[1].kinds",
            "unknown organisation kind 'rechtbank'",
        ),
        ('scope = "top_level"', 'scope = "everything"', "roles.regiegroep.scope", "unknown scope"),
        (
            'categories = ["sex_offender", "violent_offender"]',
            'categories = ["arsonist"]',
            "bases.bij.categories",
            "unknown category 'arsonist'",
        ),
        ("[roles.privacy_officer]", "[roles.auditor]", "roles.auditor", "unknown role"),
    ],
)
def test_check_config_names_the_wrong_access_rule(
    config_copy: Path, old: str, new: str, key: str, problem: str
) -> None:
    path = config_copy / "access.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SettingsError) as raised:
        load_policy(config_copy, CATEGORIES)
    assert raised.value.key == key
    assert problem in raised.value.problem
    result = run_cli("check-config", config_dir=config_copy)
    assert result.returncode == 2
    assert f"access.toml: {key}: " in result.stderr


def test_a_role_without_an_entry_stops_start_up(config_copy: Path) -> None:
    path = config_copy / "access.toml"
    text = path.read_text()
    path.write_text(text[: text.index("[roles.privacy_officer]")])
    with pytest.raises(SettingsError, match="every role needs an entry"):
        load_policy(config_copy, CATEGORIES)


def test_the_shipped_policy_opens_offence_data_only_on_its_bases() -> None:
    policy = load_policy(REPO / "config", CATEGORIES)
    partner = policy.roles[Role.PARTNER]
    opened = {g.basis: g.classes for g in partner.grants}
    assert "offence" in opened["pbw_18b"]
    assert "offence" not in opened["wgs"] and "offence" not in opened["pbw_18a"]
    assert policy.participation_basis("politie", ["wgs", "pbw_18a", "pbw_18b"]) == "pbw_18b"
    assert policy.participation_basis("politie", ["wgs", "pbw_18a"]) == "wgs"
    assert policy.participation_basis("woningcorporatie", ["pbw_18b"]) is None
    assert policy.default_bases(["sex_offender"]) == ["wgs", "pbw_18a", "pbw_18b", "bij"]
    assert policy.default_bases(["no_fixed_abode"]) == ["wgs", "pbw_18a"]


def test_every_route_of_the_app_declares_a_known_permission(app: Litestar) -> None:
    assert undeclared_routes(app) == []
    declared = {
        handler.opt[PERMISSION]
        for route in app.routes
        if not route.path.startswith("/schema")
        for handler in getattr(route, "route_handlers", [])
    }
    assert declared <= ACTIONS | {PUBLIC, SIGNED_IN}
    # Every action a role may be given guards at least one route or is asked by a service.
    source = "\n".join(p.read_text() for p in (REPO / "src").rglob("*.py"))
    for action in ACTIONS:
        assert action in declared or f'"{action}"' in source, action


def test_a_route_without_a_declaration_is_found() -> None:
    class Loose(Controller):
        @get("/los")
        async def loose(self) -> str:
            return "open"

    app = Litestar(route_handlers=[Loose])
    assert [re.sub(r" \(.*", "", r) for r in undeclared_routes(app)] == ["/los", "/los"]


def test_no_role_check_is_written_outside_access() -> None:
    code = re.compile(r"role (is|==|!=|is not) Role\.|role in \(Role|Role\.\w+ in ")
    template = re.compile(r"actor\.role\s*(==|!=|in\b)")
    offenders = [
        str(path.relative_to(REPO))
        for pattern, suffix in ((code, "*.py"), (template, "*.html"))
        for path in (REPO / "src" / "casetafel").rglob(suffix)
        if "access" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []


# The one case scope: SQL filter and per-case check on generated cases -------------------

KEN_MUNICIPALITIES = ["GM0453", "GM0392", "GM0394", "GM0473"]
KEN_PARTNERS = ["politie-noord-holland", "reclassering-nederland", "woonwaard", "regiegroep"]


async def test_the_sql_filter_and_the_case_check_agree(users, directory, ladder) -> None:
    chance = random.Random(20261204)
    coordinator = users.actors["coordinator"]
    for _ in range(24):
        home = chance.choice(KEN_MUNICIPALITIES)
        receiving = chance.choice([None, *KEN_MUNICIPALITIES])
        participants = chance.sample(KEN_PARTNERS, chance.randint(0, 3))
        case = await service.create_case(
            coordinator,
            velsen_case(
                home_municipality=home,
                receiving_municipality=receiving if receiving != home else None,
                participants=participants,
            ),
            directory,
            ladder,
        )
        level = chance.choice(ladder.keys())
        await Case.update({Case.level: level}).where(Case.id == case.id)
    await service.create_case(
        users.actors["amsterdam"],
        velsen_case(home_municipality="GM0363", participants=["politie-amsterdam"]),
        directory,
        ladder,
    )
    cases = await Case.objects()
    links = await CaseParticipant.select(CaseParticipant.case, CaseParticipant.organisation)
    participants_of: dict[int, set[int]] = {}
    for link in links:
        participants_of.setdefault(link["case"], set()).add(link["organisation"])
    top = ladder.top.key
    for name, actor in users.actors.items():
        where, args = scope.case_filter(actor, top)
        rows = await db.fetch(f"SELECT c.id FROM case_file c WHERE {where}", *args)
        by_sql = {row["id"] for row in rows}
        by_check = {
            c.id for c in cases if scope.includes(actor, c, participants_of.get(c.id, set()), top)
        }
        assert by_sql == by_check, name
    # The scene is rich enough to mean something: every scope kind sees some and not all.
    for name in ("coordinator", "velsen", "politie", "regiegroep"):
        where, args = scope.case_filter(users.actors[name], top)
        seen = await db.fetch(f"SELECT count(*) AS n FROM case_file c WHERE {where}", *args)
        assert 0 < seen[0]["n"] < len(cases), name


def test_every_scope_kind_has_a_filter_and_a_check() -> None:
    assert set(scope.RULES) == set(Scope)
