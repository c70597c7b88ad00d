"""Test fixtures: a real database (SQLite or PostgreSQL), the app, users and clients.

CASETAFEL_TEST_DB=sqlite (default) or postgres picks the engine; the README's test command
runs the suite once with each. PostgreSQL is 127.0.0.1:5432, database `test`, trust auth:
the suite creates and drops a database of its own there. With CI=true a missing PostgreSQL
fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher

from casetafel import clock, db
from casetafel.access.policy import Actor, Role, load_policy
from casetafel.access.policy import install as install_policy
from casetafel.accounts import service as accounts_service
from casetafel.accounts.service import actor_for, create_api_token, create_user
from casetafel.app import create_app
from casetafel.cases.vocabulary import CATEGORIES
from casetafel.escalation.setup import start as start_escalation
from casetafel.ladder import Ladder, load_ladder
from casetafel.notifications.service import configure_mail
from casetafel.organisations.config import load_regions
from casetafel.organisations.service import Directory, load_directory, sync_regions
from casetafel.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
SECOND_REGION = REPO / "tests" / "support"
PG_ADMIN_DSN = os.environ.get("CASETAFEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "test-wachtwoord-123"
ENGINE = os.environ.get("CASETAFEL_TEST_DB", "sqlite")

# Real argon2, with cheap parameters: the suite creates hundreds of users.
accounts_service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# Tables emptied between tests; master data (regions, municipalities, organisations) stays.
TABLES = [
    "feed_token",
    "meeting_action",
    "meeting_decision",
    "agenda_item",
    "occurrence_reply",
    "meeting_attendee",
    "meeting_occurrence",
    "meeting",
    "audit_event",
    "notification",
    "deadline",
    "escalation",
    "timeline_event",
    "retention_extension",
    "case_category",
    "case_participant",
    "case_file",
    "reference_counter",
    "user_session",
    "api_token",
    "app_user",
    "person",
    "outbox_message",
]


def pytest_report_header(config: pytest.Config) -> str:
    return f"casetafel test database: {ENGINE}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'casetafel.db'}"
        return
    import asyncio

    name = f"casetafel_test_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    os.environ["CASETAFEL_DATABASE_URL"] = database_url
    os.environ["CASETAFEL_SECRET_KEY"] = "test-secret-" + "x" * 32
    return load_settings(REPO / "config")


@pytest.fixture(scope="session")
def ladder(settings: Settings) -> Ladder:
    return load_ladder(settings.config_dir)


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> AsyncIterator[None]:
    db.configure(settings)
    install_policy(load_policy(settings.config_dir, CATEGORIES))
    start_escalation(settings.config_dir)
    configure_mail(settings.base_url)
    await db.start_pool(settings)
    await db.prepare(settings)
    await db.migrate()
    await sync_regions(load_regions(settings.config_dir) + load_regions(SECOND_REGION))
    yield
    await db.close_pool()


@pytest.fixture
async def clean(migrated: None) -> AsyncIterator[None]:
    """Every test starts with master data only."""
    for table in TABLES:
        if table == "audit_event":
            await clear_audit_log()
        else:
            await db.fetch(f"DELETE FROM {table}")
    clock.set_clock(None)
    yield
    clock.set_clock(None)


async def clear_audit_log() -> None:
    """The trigger refuses DELETE on audit_event; TRUNCATE fires no row trigger."""
    if ENGINE == "sqlite":
        async with audit_log_unguarded():
            await db.fetch("DELETE FROM audit_event")
    else:
        await db.fetch("TRUNCATE audit_event")


@asynccontextmanager
async def audit_log_unguarded() -> AsyncIterator[None]:
    """Lift the triggers that keep audit_event append-only, as a database administrator
    could: for tests that tamper with the log, or empty it."""
    if ENGINE == "sqlite":
        triggers = await db.fetch(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'audit_event'"
        )
        for trigger in triggers:
            await db.fetch(f"DROP TRIGGER {trigger['name']}")
        try:
            yield
        finally:
            for trigger in triggers:
                await db.fetch(trigger["sql"])
        return
    await db.fetch("ALTER TABLE audit_event DISABLE TRIGGER USER")
    try:
        yield
    finally:
        await db.fetch("ALTER TABLE audit_event ENABLE TRIGGER USER")


@pytest.fixture
async def directory(clean: None) -> Directory:
    return await load_directory()


class Users:
    """Creates users by role on demand and hands out actors, API headers and web clients."""

    def __init__(self) -> None:
        self.actors: dict[str, Actor] = {}

    async def make(
        self, username: str, role: Role, organisation: str, region: str | None = "KEN"
    ) -> Actor:
        user = await create_user(
            username=username,
            password=PASSWORD,
            display_name=username.title(),
            email=f"{username}@example.test",
            role=role,
            organisation_key=organisation,
            region_code=region,
        )
        actor = await actor_for(user)
        self.actors[username] = actor
        return actor

    async def api_headers(self, username: str) -> dict[str, str]:
        from casetafel.accounts.models import User

        user = await User.objects().where(User.username == username).first()
        assert user is not None
        return {"Authorization": f"Bearer {await create_api_token(user, 'test')}"}


# The standard cast: one user per role, as in the demo.
CAST: list[tuple[str, Role, str, str | None]] = [
    ("coordinator", Role.COORDINATOR, "zvh-kennemerland", "KEN"),
    ("velsen", Role.MUNICIPALITY, "gemeente-gm0453", "KEN"),
    ("haarlem", Role.MUNICIPALITY, "gemeente-gm0392", "KEN"),
    ("politie", Role.PARTNER, "politie-noord-holland", "KEN"),
    ("woning", Role.PARTNER, "woonwaard", "KEN"),
    ("regiegroep", Role.REGIEGROEP, "regiegroep", None),
    ("beheer", Role.FUNCTIONAL_ADMIN, "zvh-kennemerland", "KEN"),
    ("privacy", Role.PRIVACY_OFFICER, "zvh-kennemerland", "KEN"),
    # The coordinator of another region (tests/support/regions).
    ("amsterdam", Role.COORDINATOR, "zvh-amsterdam-amstelland", "AMS"),
]


@pytest.fixture
async def users(directory: Directory) -> Users:
    cast = Users()
    for username, role, organisation, region in CAST:
        await cast.make(username, role, organisation, region)
    return cast


@pytest.fixture
async def app(settings: Settings, migrated: None) -> Any:
    """The app on the suite's database. httpx's ASGITransport runs no lifespan, so the
    fixture does what the lifespan would (pool and directory come from `migrated`)."""
    application = create_app(settings, own_database=False)
    application.state.directory = await load_directory()
    return application


@pytest.fixture
async def client(app: Any, clean: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def login(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> None:
    """Log a web client in through the real login form (CSRF included)."""
    form = await http.get("/inloggen")
    assert form.status_code == 200
    response = await http.post(
        "/inloggen",
        data={"username": username, "password": password, "_csrf_token": csrf(http)},
    )
    assert response.status_code in (302, 303), response.text


def csrf(http: httpx.AsyncClient) -> str:
    return http.cookies.get("casetafel_csrf") or ""


def velsen_case(**overrides: Any) -> dict[str, Any]:
    """A sex offender returning to Velsen in 40 days: the issue's example case."""
    values: dict[str, Any] = {
        "subject_name": "J. Testpersoon",
        "subject_birth_date": "1980-05-17",
        "categories": ["sex_offender"],
        "home_municipality": "GM0453",
        "legal_framework": "vi",
        "release_certainty": "known",
        "release_date": (clock.today().toordinal() + 40),
        "participants": ["politie-noord-holland", "reclassering-nederland"],
    }
    values.update(overrides)
    if isinstance(values["release_date"], int):
        from datetime import date

        values["release_date"] = date.fromordinal(values["release_date"]).isoformat()
    return values
