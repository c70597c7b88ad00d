"""Every case route and API endpoint, for every role: the answer, and exactly which audit
events the request adds.

The scene: a sex offender returning to Velsen (local level; police and reclassering take
part) and a second case at the national level. The municipality of Haarlem, the housing
corporation (not taking part) and the regiegroep (local case) may not see the Velsen case:
it answers 404 as if it did not exist, and the attempt is logged as `case.denied`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.access.policy import Role
from casetafel.cases import service
from casetafel.cases.models import Case
from tests.conftest import CAST, csrf, login, velsen_case


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    api: bool = False
    body: dict[str, Any] | None = None


CASE_FORM = {
    "home_municipality": "GM0453",
    "categories": "sex_offender",
    "legal_framework": "vi",
    "release_certainty": "unknown",
}
ROUTES = {
    "dashboard": Route("GET", "/"),
    "list": Route("GET", "/casussen"),
    "new": Route("GET", "/casussen/nieuw"),
    "create": Route("POST", "/casussen/nieuw", body=CASE_FORM),
    "detail": Route("GET", "/casussen/{ref}"),
    "edit": Route("GET", "/casussen/{ref}/bewerken"),
    "update": Route("POST", "/casussen/{ref}/bewerken", body={**CASE_FORM, "notes": "bijgewerkt"}),
    "conditions": Route(
        "POST", "/casussen/{ref}/basisvoorwaarden", body={"housing_state": "in_progress"}
    ),
    "close": Route("POST", "/casussen/{ref}/afsluiten", body={"outcome": "other"}),
    "audit": Route("GET", "/audit"),
    "audit_verify": Route("POST", "/audit/controleren", body={}),
    "admin": Route("GET", "/beheer"),
    "api_list": Route("GET", "/api/v1/cases", api=True),
    "api_create": Route(
        "POST",
        "/api/v1/cases",
        api=True,
        body={**CASE_FORM, "categories": ["sex_offender"]},
    ),
    "api_read": Route("GET", "/api/v1/cases/{ref}", api=True),
    "api_update": Route("PATCH", "/api/v1/cases/{ref}", api=True, body={"notes": "via de API"}),
    "api_close": Route("POST", "/api/v1/cases/{ref}/close", api=True, body={"outcome": "other"}),
    # The escalation engine (issue 4).
    "queue": Route("GET", "/wachtrij/local"),
    "progress": Route("POST", "/casussen/{ref}/overleg", body={"held_on": "{today}"}),
    "move": Route(
        "POST", "/casussen/{ref}/niveau", body={"to": "regional", "obstacle": "no_information"}
    ),
    "api_history": Route("GET", "/api/v1/cases/{ref}/escalations", api=True),
    "api_move": Route(
        "POST",
        "/api/v1/cases/{ref}/escalations",
        api=True,
        body={"to": "local", "obstacle": "other", "note": "terug naar de driehoek"},
    ),
    "api_deadlines": Route("GET", "/api/v1/deadlines?due_before=2030-01-01T00:00:00Z", api=True),
    "notifications": Route("GET", "/meldingen"),
    # The mail outbox (issue 5).
    "mail_queue": Route("GET", "/mail/wachtrij"),
    "dev_mail": Route("GET", "/dev/mail"),
}

OK = (200, [])
DENIED = (404, ["case.denied"])
# Refused by the route's declared permission or by the service; logged either way.
FORBIDDEN = (403, ["access.forbidden"])
# Allowed answers of a coordinator (or the case's own municipality) and their audit events.
EDITOR = {
    "dashboard": (200, ["dashboard.read"]),
    "list": (200, ["case.list"]),
    "new": OK,
    "create": (302, ["case.create"]),
    "detail": (200, ["case.read"]),
    "edit": (200, ["case.read"]),
    "update": (302, ["case.update"]),
    "conditions": (302, ["case.update"]),
    "close": (302, ["case.close"]),
    "audit": FORBIDDEN,
    "audit_verify": FORBIDDEN,
    "admin": FORBIDDEN,
    "api_list": (200, ["case.list"]),
    "api_create": (201, ["case.create"]),
    "api_read": (200, ["case.read"]),
    "api_update": (200, ["case.update"]),
    "api_close": (200, ["case.close"]),
    "queue": (200, ["queue.read"]),
    "progress": (302, ["case.progress"]),
    "move": (302, ["case.escalate"]),
    "api_history": (200, ["case.escalations.read"]),
    "api_move": (201, ["case.deescalate", "case.escalations.read"]),
    "api_deadlines": (200, ["deadline.list"]),
    "notifications": OK,
    "mail_queue": FORBIDDEN,
    # Off unless CASETAFEL_DEV_MAIL_PAGE=true (the demo): then it does not exist for anyone.
    "dev_mail": (404, []),
}
WRITES = ("new", "create", "edit", "update", "conditions", "close", "progress", "move")
API_WRITES = ("api_create", "api_update", "api_close", "api_move")
CASE_ROUTES = ("detail", "edit", "update", "conditions", "close", "api_read", "api_history")
CASE_API_WRITES = ("api_update", "api_close")
CASE_MOVES = ("progress", "move", "api_move")


def reader(sees_case: bool, sees_lists: bool, moves: bool) -> dict[str, tuple[int, list[str]]]:
    """A role that reads but does not write (partner, regiegroep). A role that may move
    cases at all (the regiegroep, on its own level) is refused per case; one that may not
    is refused by the route, before any case is looked up."""
    expected = {
        **EDITOR,
        "dashboard": (200, ["dashboard.read"] if sees_lists else []),
        "list": (200, ["case.list"] if sees_lists else []),
        "api_list": (200, ["case.list"] if sees_lists else []),
        "detail": (200, ["case.read"]) if sees_case else DENIED,
        "api_read": (200, ["case.read"]) if sees_case else DENIED,
        "api_history": (200, ["case.escalations.read"]) if sees_case else DENIED,
        "queue": (200, ["queue.read"] if sees_case else []),
        "api_deadlines": (200, ["deadline.list"] if sees_lists else []),
    }
    for name in (*WRITES, *API_WRITES):
        expected[name] = FORBIDDEN
    for name in CASE_MOVES:
        expected[name] = FORBIDDEN if sees_case or not moves else DENIED
    return expected


def other_municipality() -> dict[str, tuple[int, list[str]]]:
    """Haarlem: sees the national case (its own) in lists, not the Velsen case."""
    expected = dict(EDITOR)
    for name in (*CASE_ROUTES, *CASE_API_WRITES, *CASE_MOVES):
        expected[name] = DENIED
    # Haarlem may register only returns to Haarlem; the Velsen form is refused.
    expected["create"] = (422, [])
    expected["api_create"] = (422, [])
    expected["queue"] = OK  # its own case is at the national level
    return expected


def other_region() -> dict[str, tuple[int, list[str]]]:
    """The coordinator of Amsterdam-Amstelland: none of Kennemerland's cases exist for it,
    and a return to Velsen is not its region's to register."""
    expected = {**other_municipality(), "mail_queue": OK}
    # Its lists name no case, so they are no reads of case data and log nothing.
    for name in ("dashboard", "list", "api_list", "api_deadlines", "queue"):
        expected[name] = OK
    return expected


def no_case_content(landing: str) -> dict[str, tuple[int, list[str]]]:
    expected = {name: FORBIDDEN for name in ROUTES}
    expected["dashboard"] = (302, [])
    expected[landing] = OK
    expected["notifications"] = OK
    expected["dev_mail"] = (404, [])
    return expected


EXPECTED: dict[str, dict[str, tuple[int, list[str]]]] = {
    "coordinator": {**EDITOR, "mail_queue": OK},
    # The municipality owns the driehoek: it moves the case up from there, not back down.
    "velsen": {**EDITOR, "api_move": FORBIDDEN},
    "haarlem": other_municipality(),
    "politie": reader(sees_case=True, sees_lists=True, moves=False),
    "woning": reader(sees_case=False, sees_lists=False, moves=False),
    "regiegroep": reader(sees_case=False, sees_lists=True, moves=True),
    "amsterdam": other_region(),
    "beheer": {**no_case_content("admin"), "mail_queue": OK},
    "privacy": {
        **no_case_content("audit"),
        "audit": (200, ["audit.read"]),
        "audit_verify": (200, ["audit.verify", "audit.read"]),
    },
}


def test_every_role_has_an_expectation_for_every_route() -> None:
    assert set(EXPECTED) == {username for username, *_ in CAST}
    for expected in EXPECTED.values():
        assert set(expected) == set(ROUTES)


async def _scene(users, directory, ladder) -> str:  # type: ignore[no-untyped-def]
    coordinator = users.actors["coordinator"]
    velsen = await service.create_case(coordinator, velsen_case(), directory, ladder)
    national = await service.create_case(
        coordinator, velsen_case(home_municipality="GM0392"), directory, ladder
    )
    await Case.update({Case.level: "national"}).where(Case.reference == national.reference)
    return velsen.reference


async def _request(
    client: httpx.AsyncClient, route: Route, reference: str, headers: dict[str, str]
) -> httpx.Response:
    path = route.path.format(ref=reference)
    if route.api:
        return await client.request(route.method, path, json=route.body, headers=headers)
    if route.body is None:
        return await client.request(route.method, path)
    today = clock.today().isoformat()
    body = {key: value.replace("{today}", today) for key, value in route.body.items()}
    form = {**body, "_csrf_token": csrf(client)}
    return await client.request(route.method, path, data=form)


async def _actions_after(seq: int) -> list[str]:
    rows = (
        await AuditEvent.select(AuditEvent.action)
        .where(AuditEvent.seq > seq)
        .order_by(AuditEvent.seq)
    )
    return [row["action"] for row in rows]


async def _last_seq() -> int:
    row = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    return int(row["seq"]) if row else 0


@pytest.mark.parametrize("username", list(EXPECTED))
async def test_each_route_answers_and_audits_as_the_role_allows(
    username, users, directory, ladder, client
):
    reference = await _scene(users, directory, ladder)
    await login(client, username)
    headers = await users.api_headers(username)
    failures = []
    # Reads first, then writes, the close of the case last of all.
    last = ("move", "api_move", "api_close", "close")
    order = [n for n in ROUTES if n not in last] + list(last)
    for name in order:
        route = ROUTES[name]
        status, actions = EXPECTED[username][name]
        if name == "close" and EXPECTED[username]["api_close"][0] == 200:
            # The API closed the case already; a second close is a conflict, and the case
            # page that shows it again is a logged read.
            status, actions = 409, ["case.read"]
        before = await _last_seq()
        response = await _request(client, route, reference, headers)
        got = (response.status_code, await _actions_after(before))
        if got != (status, actions):
            failures.append(
                f"{name}: expected {(status, actions)}, got {got}: {response.text[:200]}"
            )
        if response.status_code >= 400 and route.api:
            assert response.json()["message"], name
    assert not failures, "\n".join(failures)


async def test_a_denied_attempt_names_who_and_which_case(users, directory, ladder, client):
    reference = await _scene(users, directory, ladder)
    await login(client, "woning")
    response = await client.get(f"/casussen/{reference}")
    assert response.status_code == 404
    assert "bestaat niet of u heeft er geen toegang toe" in response.text
    event = await AuditEvent.objects().where(AuditEvent.action == "case.denied").first()
    assert (event.username, event.case_reference) == ("woning", reference)
    unknown = await client.get("/casussen/KEN-2026-9999")
    assert unknown.status_code == 404
    assert "bestaat niet of u heeft er geen toegang toe" in unknown.text


@pytest.mark.parametrize(
    ("username", "sees", "hidden"),
    [
        ("coordinator", {"subject_name", "categories", "housing_state", "notes"}, set()),
        ("politie", {"subject_name", "categories", "bij_notice_date", "housing_state"}, set()),
        (
            "woning",
            {"subject_name", "housing_state", "notes"},
            {"categories", "legal_framework", "bij_notice_date"},
        ),
        (
            "regiegroep",
            {"home_municipality", "release_date", "participants"},
            {"subject_name", "subject_birth_date", "categories", "housing_state", "notes"},
        ),
    ],
)
async def test_fields_follow_the_roles_classes(
    username, sees, hidden, users, directory, ladder, client
):
    coordinator = users.actors["coordinator"]
    case = await service.create_case(
        coordinator,
        velsen_case(participants=["politie-noord-holland", "woonwaard"], notes="werkaantekening"),
        directory,
        ladder,
    )
    await Case.update({Case.level: "national"}).where(Case.reference == case.reference)
    headers = await users.api_headers(username)
    body = (await client.get(f"/api/v1/cases/{case.reference}", headers=headers)).json()
    assert sees <= set(body["fields"]), body["fields"]
    assert not hidden & set(body["fields"])
    await login(client, username)
    page = await client.get(f"/casussen/{case.reference}")
    assert page.status_code == 200
    assert ("J. Testpersoon" in page.text) == ("subject_name" in sees)
    assert ("Zedendelinquent" in page.text) == ("categories" in sees)


async def test_another_regions_coordinator_finds_nothing_of_this_region(
    users, directory, ladder, client
):
    reference = await _scene(users, directory, ladder)
    await login(client, "amsterdam")
    headers = await users.api_headers("amsterdam")
    listed = await client.get("/api/v1/cases", headers=headers)
    assert listed.json()["items"] == []
    searched = await client.get(f"/api/v1/cases?reference={reference}", headers=headers)
    assert searched.json()["items"] == []
    page = await client.get(f"/casussen?kenmerk={reference}")
    assert page.status_code == 200 and f"/casussen/{reference}" not in page.text
    own = await service.create_case(
        users.actors["amsterdam"],
        velsen_case(home_municipality="GM0363", participants=["politie-amsterdam"]),
        directory,
        ladder,
    )
    assert own.reference.startswith("AMS-")
    # ...and Kennemerland's coordinator does not see Amsterdam's case either.
    await login(client, "coordinator")
    assert (await client.get(f"/casussen/{own.reference}")).status_code == 404


async def test_the_receiving_municipality_sees_the_case_as_well_as_the_home_one(
    users, directory, ladder, client
):
    zandvoort = await users.make("zandvoort", Role.MUNICIPALITY, "gemeente-gm0473")
    case = await service.create_case(
        users.actors["coordinator"],
        velsen_case(receiving_municipality="GM0392"),
        directory,
        ladder,
    )
    for username, sees in (("velsen", True), ("haarlem", True), ("zandvoort", False)):
        headers = await users.api_headers(username)
        read = await client.get(f"/api/v1/cases/{case.reference}", headers=headers)
        assert read.status_code == (200 if sees else 404), username
        listed = (await client.get("/api/v1/cases", headers=headers)).json()["items"]
        assert [c["reference"] for c in listed] == ([case.reference] if sees else []), username
    assert zandvoort.municipality_id is not None
