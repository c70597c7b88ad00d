"""The CLI against a real database: migrate, demo, create-user, audit verify."""

from __future__ import annotations

from casetafel.access.models import AuditEvent
from casetafel.accounts.models import User
from casetafel.cases.models import Case
from tests.conftest import REPO, audit_log_unguarded
from tests.test_settings_and_cli import run_cli


def cli(database_url: str, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return run_cli(*args, config_dir=REPO / "config", CASETAFEL_DATABASE_URL=database_url, **env)


async def test_migrate_demo_and_verify(clean, database_url):
    assert cli(database_url, "migrate").returncode == 0
    again = cli(database_url, "migrate")
    assert again.returncode == 0, again.stderr
    demo = cli(database_url, "demo", "--if-empty")
    assert demo.returncode == 0, demo.stderr
    assert "coordinator" in demo.stdout and "casetafel-demo-2026" in demo.stdout
    cases = await Case.count()
    assert 55 <= cases <= 65
    assert {row["level"] for row in await Case.select(Case.level)} == {
        "local",
        "regional",
        "national",
    }
    assert await User.count() == 9
    second = cli(database_url, "demo", "--if-empty")
    assert "already present" in second.stdout
    assert await Case.count() == cases
    verify = cli(database_url, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "intact" in verify.stdout
    head = verify.stdout.rsplit("head ", 1)[1].strip()
    anchored = cli(database_url, "audit", "verify", "--head", head)
    assert anchored.returncode == 0, anchored.stderr
    bad_head = cli(database_url, "audit", "verify", "--head", "nonsense")
    assert bad_head.returncode == 2 and "--head" in bad_head.stderr
    newest = await AuditEvent.objects().order_by(AuditEvent.seq, ascending=False).first()
    async with audit_log_unguarded():
        await AuditEvent.delete().where(AuditEvent.id == newest.id)
    assert cli(database_url, "audit", "verify").returncode == 0
    cut = cli(database_url, "audit", "verify", "--head", head)
    assert cut.returncode == 1 and "missing" in cut.stderr

    first = await AuditEvent.objects().order_by(AuditEvent.seq).first()
    async with audit_log_unguarded():
        await AuditEvent.update({AuditEvent.action: "vervalst"}).where(AuditEvent.id == first.id)
    broken = cli(database_url, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN" in broken.stderr and "event 1" in broken.stderr


async def test_create_user_from_the_command_line(clean, database_url):
    ok = cli(
        database_url,
        "create-user",
        "nieuwe.coordinator",
        "--name",
        "Nieuwe Coördinator",
        "--email",
        "n@example.test",
        "--role",
        "coordinator",
        "--organisation",
        "zvh-kennemerland",
        "--region",
        "KEN",
        "--password-env",
        "NEW_PASSWORD",
        NEW_PASSWORD="een-lang-wachtwoord",
    )
    assert ok.returncode == 0, ok.stderr
    user = await User.objects().where(User.username == "nieuwe.coordinator").first()
    assert user is not None and user.role == "coordinator"
    assert user.password_hash.startswith("$argon2")
    short = cli(
        database_url,
        "create-user",
        "kort",
        "--name",
        "K",
        "--email",
        "k@example.test",
        "--role",
        "partner",
        "--organisation",
        "om-noord-holland",
        "--password-env",
        "PW",
        PW="kort",
    )
    assert short.returncode == 1
    assert "minstens 12 tekens" in short.stderr
    unknown = cli(
        database_url,
        "create-user",
        "iemand",
        "--name",
        "I",
        "--email",
        "i@example.test",
        "--role",
        "partner",
        "--organisation",
        "bestaat-niet",
        "--password-env",
        "PW",
        PW="een-lang-wachtwoord",
    )
    assert unknown.returncode == 1
    assert "Onbekende organisatie" in unknown.stderr


async def test_create_token_gives_a_working_bearer_token(clean, database_url, app):
    import httpx

    created = cli(
        database_url,
        "create-user",
        "api.user",
        "--name",
        "API",
        "--email",
        "a@example.test",
        "--role",
        "coordinator",
        "--organisation",
        "zvh-kennemerland",
        "--region",
        "KEN",
        "--password-env",
        "PW",
        PW="een-lang-wachtwoord",
    )
    assert created.returncode == 0, created.stderr
    issued = cli(database_url, "create-token", "api.user", "--name", "koppeling")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("ct_")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        ok = await http.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200, ok.text
        bad = await http.get("/api/v1/cases", headers={"Authorization": "Bearer ct_fout"})
        assert bad.status_code == 401
    missing = cli(database_url, "create-token", "niemand", "--name", "x")
    assert missing.returncode == 1
