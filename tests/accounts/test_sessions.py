"""Login, sessions, logout and API tokens through the real web app."""

from __future__ import annotations

from datetime import timedelta

from casetafel import clock
from casetafel.access.models import AuditEvent
from casetafel.accounts import service
from casetafel.accounts.models import User, UserSession
from tests.conftest import PASSWORD, csrf, login


async def test_login_sets_a_hardened_cookie_and_stores_only_its_hash(users, client):
    await client.get("/inloggen")
    response = await client.post(
        "/inloggen",
        data={"username": "coordinator", "password": PASSWORD, "_csrf_token": csrf(client)},
    )
    assert response.status_code == 302 and response.headers["location"] == "/"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("casetafel_session=")
    )
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    stored = await UserSession.objects().first()
    assert stored.token_hash == service.token_digest(token) and stored.token_hash != token
    assert await AuditEvent.count().where(AuditEvent.action == "session.login") == 1


async def test_wrong_password_is_refused_in_dutch_and_keeps_the_username(users, client):
    await client.get("/inloggen")
    response = await client.post(
        "/inloggen",
        data={"username": "coordinator", "password": "fout", "_csrf_token": csrf(client)},
    )
    assert response.status_code == 400
    assert "Gebruikersnaam of wachtwoord klopt niet." in response.text
    assert 'value="coordinator"' in response.text
    assert "casetafel_session" not in client.cookies


async def test_a_page_without_login_sends_to_the_login_form_and_back(users, client):
    response = await client.get("/casussen?niveau=regional")
    assert response.status_code == 302
    assert response.headers["location"] == "/inloggen?volgende=/casussen%3Fniveau%3Dregional"
    await client.get(response.headers["location"])
    back = await client.post(
        "/inloggen",
        data={
            "username": "coordinator",
            "password": PASSWORD,
            "next": "/casussen?niveau=regional",
            "_csrf_token": csrf(client),
        },
    )
    assert back.headers["location"] == "/casussen?niveau=regional"


async def test_login_never_redirects_to_another_site(users, client):
    await client.get("/inloggen")
    for target in ["//evil.example/", "https://evil.example/", "javascript:alert(1)"]:
        response = await client.post(
            "/inloggen",
            data={
                "username": "coordinator",
                "password": PASSWORD,
                "next": target,
                "_csrf_token": csrf(client),
            },
        )
        assert response.headers["location"] == "/", target


async def test_logout_ends_the_session_on_the_server(users, client):
    await login(client, "coordinator")
    token = client.cookies["casetafel_session"]
    response = await client.post("/uitloggen", data={"_csrf_token": csrf(client)})
    assert response.headers["location"] == "/inloggen?melding=uitgelogd"
    assert await UserSession.count() == 0
    client.cookies.set("casetafel_session", token)
    assert (await client.get("/casussen")).status_code == 302


async def test_an_idle_session_expires_and_an_active_one_slides(users, client, settings):
    await login(client, "coordinator")
    start = clock.now()
    idle = timedelta(minutes=settings.session_idle_minutes)
    clock.set_clock(lambda: start + idle - timedelta(minutes=5))
    assert (await client.get("/casussen")).status_code == 200
    clock.set_clock(lambda: start + 2 * idle - timedelta(minutes=10))
    assert (await client.get("/casussen")).status_code == 200
    clock.set_clock(lambda: start + 3 * idle)
    assert (await client.get("/casussen")).status_code == 302


async def test_a_deactivated_user_loses_access_at_once(users, client):
    await login(client, "coordinator")
    headers = await users.api_headers("coordinator")
    await User.update({User.active: False}).where(User.username == "coordinator")
    assert (await client.get("/casussen")).status_code == 302
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 401


async def test_a_revoked_token_stops_working(users, client):
    headers = await users.api_headers("coordinator")
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 200
    user = await User.objects().where(User.username == "coordinator").first()
    assert await service.revoke_api_tokens(user, "test") == 1
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 401
    assert await service.revoke_api_tokens(user, "test") == 0
