"""The generated access test: every route of the app (from its route table), as every role,
with a case in and a case out of the role's scope.

- A route whose declared permission the role lacks answers 403.
- No route answers 500.
- No answer carries a value of a class the role may not see of that case: each class of
  each case has its own marker value, and each role's visible classes per case come from
  the declared policy (`actor.case_classes` for the basis its organisation takes part on).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from casetafel.access import scope
from casetafel.access.policy import ACTIONS, Actor, Sensitivity
from casetafel.cases import service
from casetafel.cases.models import Case, CaseParticipant
from casetafel.meetings import agenda
from casetafel.meetings.models import AgendaItem
from casetafel.web.auth import PERMISSION
from tests.conftest import CAST, csrf, login, velsen_case

# The meetings tests' fixtures (a context with a real SMTP server), used by name below.
from tests.meetings.conftest import TUESDAY, ctx, plan_weekly_triage, smtp_server  # noqa: F401
from tests.meetings.conftest import local as local_time

# Marker values, one per class per case; each may appear only where its class is visible.
MARKERS: dict[str, dict[Sensitivity, tuple[str, ...]]] = {
    "A": {
        Sensitivity.IDENTITY: ("Zxqwv Testpersoon", "17-05-1980", "1980-05-17"),
        Sensitivity.OFFENCE: ("07-10-2026", "2026-10-07"),
        Sensitivity.CASEWORK: ("werkaantekening-xq7",),
        Sensitivity.BASIC_CONDITIONS: ("huisvestingsnotitie-xq7",),
    },
    "B": {
        Sensitivity.IDENTITY: ("Qwzrt Anderpersoon", "02-03-1975", "1975-03-02"),
        Sensitivity.OFFENCE: ("08-10-2026", "2026-10-08"),
        Sensitivity.CASEWORK: ("werkaantekening-qw9",),
        Sensitivity.BASIC_CONDITIONS: ("huisvestingsnotitie-qw9",),
    },
}
SKIPPED_PREFIXES = ("/schema", "/static")


async def _scene(users: Any, meeting_ctx: Any) -> dict[str, Any]:
    coordinator = users.actors["coordinator"]
    directory, ladder = meeting_ctx.directory, meeting_ctx.escalation.ladder

    async def case(values: dict[str, Any], markers: dict[Sensitivity, tuple[str, ...]]) -> Any:
        created = await service.create_case(
            coordinator,
            velsen_case(
                **values,
                subject_name=markers[Sensitivity.IDENTITY][0],
                subject_birth_date=markers[Sensitivity.IDENTITY][2],
                bij_notice_date=markers[Sensitivity.OFFENCE][1],
                notes=markers[Sensitivity.CASEWORK][0],
            ),
            directory,
            ladder,
        )
        return await service.update_case(
            coordinator,
            created.reference,
            {"housing_note": markers[Sensitivity.BASIC_CONDITIONS][0]},
            directory,
            ladder,
        )

    local = await case({"participants": ["politie-noord-holland", "woonwaard"]}, MARKERS["A"])
    national = await case({"home_municipality": "GM0392", "participants": []}, MARKERS["B"])
    await Case.update({Case.level: ladder.top.key}).where(Case.id == national.id)
    meeting = await plan_weekly_triage(users, meeting_ctx)
    first = local_time(TUESDAY, 10)
    await agenda.add_item(coordinator, meeting.id, local.reference, "Woning?", first, meeting_ctx)
    item = await AgendaItem.objects().where(AgendaItem.meeting == meeting.id).first()
    return {"A": local, "B": national, "meeting": meeting.id, "item": item.id}


async def _visible(actor: Actor, case: Any, ladder: Any) -> frozenset[Sensitivity]:
    row = await Case.objects().where(Case.id == case.id).first()
    links = await CaseParticipant.select().where(CaseParticipant.case == case.id)
    participants = {link["organisation"] for link in links}
    if not scope.includes(actor, row, participants, ladder.top.key):
        return frozenset()
    basis = next(
        (link["legal_basis"] for link in links if link["organisation"] == actor.organisation_id),
        None,
    )
    return actor.case_classes(basis)


def _paths(template: str, scene: dict[str, Any]) -> list[str]:
    """The route's path with its parameters filled in: each case for a reference."""
    values = {
        "meeting_id": scene["meeting"],
        "item_id": scene["item"],
        "level": "local",
    }

    def fill(reference: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "reference":
                return str(reference)
            return str(values.get(name, 1 if match.group(2) == "int" else "x"))

        return re.sub(r"\{(\w+):(\w+)\}", one, template)

    if "{reference:" in template:
        return [fill(scene["A"].reference), fill(scene["B"].reference)]
    return [fill("")]


@pytest.mark.parametrize("username", [name for name, *_ in CAST])
async def test_every_route_every_role_in_and_out_of_scope(
    username: str, users: Any, request: pytest.FixtureRequest, app: Any, client: httpx.AsyncClient
) -> None:
    meeting_ctx = request.getfixturevalue("ctx")
    scene = await _scene(users, meeting_ctx)
    actor = users.actors[username]
    ladder = meeting_ctx.escalation.ladder
    forbidden_markers = [
        marker
        for key in ("A", "B")
        for cls, markers in MARKERS[key].items()
        if cls not in await _visible(actor, scene[key], ladder)
        for marker in markers
    ]
    await login(client, username)
    headers = await users.api_headers(username)
    failures: list[str] = []
    # Logging out ends the session the other requests need: last.
    for route in sorted(app.routes, key=lambda r: r.path == "/uitloggen"):
        if route.path.startswith(SKIPPED_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"})
            declared = handler.opt[PERMISSION]
            api = route.path.startswith("/api/")
            for method in methods:
                for path in _paths(route.path, scene):
                    response = await _call(client, method, path, api, headers)
                    where = f"{method} {path} ({declared})"
                    if response.status_code >= 500:
                        failures.append(f"{where}: {response.status_code}")
                    refused = declared in ACTIONS and not actor.may(declared)
                    if refused and response.status_code != 403:
                        failures.append(f"{where}: {response.status_code}, expected 403")
                    leaked = [m for m in forbidden_markers if m in response.text]
                    if leaked:
                        failures.append(f"{where}: shows {leaked}")
    assert not failures, "\n".join(failures)


async def _call(
    client: httpx.AsyncClient, method: str, path: str, api: bool, headers: dict[str, str]
) -> httpx.Response:
    if api:
        body = None if method == "GET" else {}
        return await client.request(method, path, json=body, headers=headers)
    if method == "GET":
        return await client.request(method, path)
    return await client.request(method, path, data={"_csrf_token": csrf(client)})
