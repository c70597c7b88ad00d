"""Users, passwords (argon2), web sessions and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from casetafel import clock, db
from casetafel.access import audit
from casetafel.access.policy import Actor, Role, Scope, current
from casetafel.accounts.models import ApiToken, User, UserSession
from casetafel.organisations.models import Organisation, Region

_hasher = PasswordHasher()
# A hash of a random password, verified against when the username is unknown, so that a
# wrong username costs as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class AccountError(ValueError):
    """A user-facing problem with account data; the message is Dutch."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    *,
    username: str,
    password: str,
    display_name: str,
    email: str,
    role: Role,
    organisation_key: str,
    region_code: str | None,
) -> User:
    if not re.fullmatch(r"[a-z0-9._-]{3,80}", username):
        raise AccountError(
            "username", "Gebruikersnaam: 3-80 tekens, kleine letters, cijfers, . _ -"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"Wachtwoord: minstens {MIN_PASSWORD_LENGTH} tekens")
    if not 1 <= len(display_name.strip()) <= 200:
        raise AccountError("display_name", "Naam: 1-200 tekens")
    if len(email) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AccountError("email", "E-mailadres: een geldig adres van hoogstens 254 tekens")
    organisation = await Organisation.objects().where(Organisation.key == organisation_key).first()
    if organisation is None:
        raise AccountError("organisation", f"Onbekende organisatie {organisation_key!r}")
    region_id = organisation.region
    if region_code:
        region = await Region.objects().where(Region.code == region_code).first()
        if region is None:
            raise AccountError("region", f"Onbekende regio {region_code!r}")
        region_id = region.id
    scope = current().roles[role].scope
    if scope is Scope.REGION and region_id is None:
        raise AccountError("region", "Een coördinator hoort bij een regio")
    if organisation.region is not None and region_id != organisation.region:
        raise AccountError("region", "De organisatie hoort bij een andere regio")
    if scope is Scope.MUNICIPALITY and organisation.kind != "gemeente":
        raise AccountError("organisation", "Rol gemeente vraagt een organisatie van soort gemeente")
    async with db.transaction():
        if await User.exists().where(User.username == username):
            raise AccountError("username", f"Gebruikersnaam {username!r} bestaat al")
        user = User(
            username=username,
            display_name=display_name,
            email=email,
            password_hash=_hasher.hash(password),
            role=str(role),
            organisation=organisation.id,
            region=region_id,
            active=True,
            created_at=clock.now(),
        )
        await user.save()
        await audit.record(
            None,
            "user.create",
            details={"username": username, "role": str(role), "organisation": organisation_key},
            basis="beheer",
        )
    return user


class LoginThrottled(Exception):
    """Too many failed logins for this username; try again after `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(str(until))
        self.until = until


async def authenticate(username: str, password: str) -> User | None:
    """The user for these credentials, or None. Raises LoginThrottled after
    MAX_FAILED_LOGINS failures in a row, for LOCKOUT; the failure counter lives in the
    database so it holds across app instances."""
    typed = username.strip().lower()[:80]
    user = await User.objects().where(User.username == typed).first()
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        reason = "unknown" if user is None else "inactive"
        await _record_refusal(typed, reason)
        return None
    now = clock.now()
    if user.locked_until and user.locked_until > now:
        await _record_refusal(typed, "locked")
        raise LoginThrottled(user.locked_until)
    if not _verify(user.password_hash, password):
        await _count_failure(user, now)
        return None
    changes: dict[Any, Any] = {User.failed_logins: 0, User.locked_until: None}
    if _hasher.check_needs_rehash(user.password_hash):
        changes[User.password_hash] = _hasher.hash(password)
    await User.update(changes).where(User.id == user.id)
    return user


async def _count_failure(user: User, now: datetime) -> None:
    async with db.transaction():
        rows = await db.fetch(
            "UPDATE app_user SET failed_logins = failed_logins + 1 WHERE id = {} "
            "RETURNING failed_logins",
            user.id,
        )
        failures = int(rows[0]["failed_logins"])
        details: dict[str, Any] = {"username": user.username, "failures": failures}
        if failures >= MAX_FAILED_LOGINS:
            await User.update({User.locked_until: now + LOCKOUT, User.failed_logins: 0}).where(
                User.id == user.id
            )
            details["locked_minutes"] = int(LOCKOUT.total_seconds() // 60)
        await audit.record(None, "session.login_failed", details=details, basis="inloggen")


async def _record_refusal(username: str, reason: str) -> None:
    """A login refused before any password check counts (unknown, inactive or locked
    account): the privacy officer sees guessing and lockout attempts too."""
    async with db.transaction():
        await audit.record(
            None,
            "session.login_failed",
            details={"username": username, "reason": reason},
            basis="inloggen",
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def start_session(user: User, idle_minutes: int) -> str:
    """Create a web session; returns the cookie value (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    async with db.transaction():
        await UserSession(
            token_hash=token_digest(token),
            user=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(minutes=idle_minutes),
        ).save()
        await audit.record(await actor_for(user), "session.login", basis="inloggen", details={})
    return token


# The actor of a request in one query: the credential, its user, organisation and region.
_ACTOR_SELECT = (
    "SELECT u.id, u.username, u.display_name, u.role, u.region, o.id AS organisation_id,"
    " o.kind AS organisation_kind, o.name AS organisation_name, o.municipality,"
    " r.name AS region_name{extra}"
    ' FROM {source} JOIN app_user u ON u.id = x."user"'
    " JOIN organisation o ON o.id = u.organisation LEFT JOIN region r ON r.id = u.region"
    " WHERE x.token_hash = {{}} AND u.active = {{}}{condition}"
)
_SESSION_ACTOR = _ACTOR_SELECT.format(
    extra=", x.id AS session_id, x.last_seen_at, x.expires_at",
    source="user_session x",
    condition="",
)
_TOKEN_ACTOR = _ACTOR_SELECT.format(
    extra="", source="api_token x", condition=" AND x.revoked_at IS NULL"
)


async def session_actor(token: str, idle_minutes: int) -> Actor | None:
    """The actor of a web session that has not expired; slides its expiry (written at most
    once a minute, to keep reads cheap)."""
    rows = await db.fetch(_SESSION_ACTOR, token_digest(token), True)
    now = clock.now()
    if not rows or _instant(rows[0]["expires_at"]) <= now:
        return None
    row = rows[0]
    if now - _instant(row["last_seen_at"]) > timedelta(minutes=1):
        await UserSession.update(
            {
                UserSession.last_seen_at: now,
                UserSession.expires_at: now + timedelta(minutes=idle_minutes),
            }
        ).where(UserSession.id == row["session_id"])
    return _actor(row)


async def token_actor(token: str) -> Actor | None:
    """The actor of an API token that is not revoked."""
    rows = await db.fetch(_TOKEN_ACTOR, token_digest(token), True)
    return _actor(rows[0]) if rows else None


def _actor(row: dict[str, Any]) -> Actor:
    return Actor(
        user_id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        organisation_id=row["organisation_id"],
        organisation_kind=row["organisation_kind"],
        organisation_name=row["organisation_name"],
        region_id=row["region"],
        region_name=row["region_name"] or "landelijk",
        municipality_id=row["municipality"],
    )


def _instant(value: Any) -> datetime:
    """Raw SQL gives datetimes on PostgreSQL and may give text on SQLite."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def end_session(token: str) -> None:
    await UserSession.delete().where(UserSession.token_hash == token_digest(token))


async def create_api_token(user: User, name: str) -> str:
    token = "ct_" + secrets.token_urlsafe(32)
    async with db.transaction():
        await ApiToken(
            token_hash=token_digest(token), user=user.id, name=name, created_at=clock.now()
        ).save()
        await audit.record(
            await actor_for(user), "api_token.create", details={"name": name}, basis="beheer"
        )
    return token


async def revoke_api_tokens(user: User, name: str) -> int:
    """Revoke the user's active tokens with this name; returns how many."""
    async with db.transaction():
        revoked = (
            await ApiToken.update({ApiToken.revoked_at: clock.now()})
            .where(
                (ApiToken.user == user.id) & (ApiToken.name == name) & ApiToken.revoked_at.is_null()
            )
            .returning(ApiToken.id)
        )
        if revoked:
            await audit.record(
                await actor_for(user),
                "api_token.revoke",
                details={"name": name, "count": len(revoked)},
                basis="beheer",
            )
    return len(revoked)


async def actor_for(user: User) -> Actor:
    organisation = await Organisation.objects().where(Organisation.id == user.organisation).first()
    region = await Region.objects().where(Region.id == user.region).first() if user.region else None
    assert organisation is not None
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        organisation_name=organisation.name,
        region_id=user.region,
        region_name=region.name if region else "landelijk",
        municipality_id=organisation.municipality,
    )
