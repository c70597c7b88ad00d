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
from casetafel.access.policy import Actor, Role
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
    organisation = await Organisation.objects().where(Organisation.key == organisation_key).first()
    if organisation is None:
        raise AccountError("organisation", f"Onbekende organisatie {organisation_key!r}")
    region_id = organisation.region
    if region_code:
        region = await Region.objects().where(Region.code == region_code).first()
        if region is None:
            raise AccountError("region", f"Onbekende regio {region_code!r}")
        region_id = region.id
    if role is Role.COORDINATOR and region_id is None:
        raise AccountError("region", "Een coördinator hoort bij een regio")
    if role is Role.MUNICIPALITY and organisation.kind != "gemeente":
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
    user = await User.objects().where(User.username == username.strip().lower()).first()
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        return None
    now = clock.now()
    if user.locked_until and user.locked_until > now:
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


async def user_for_session(token: str, idle_minutes: int) -> User | None:
    digest = token_digest(token)
    session = await UserSession.objects().where(UserSession.token_hash == digest).first()
    now = clock.now()
    if session is None or session.expires_at <= now:
        return None
    user = await User.objects().where((User.id == session.user) & (User.active == True)).first()  # noqa: E712
    if user is None:
        return None
    # Sliding expiry, written at most once a minute to keep reads cheap.
    if now - session.last_seen_at > timedelta(minutes=1):
        await UserSession.update(
            {
                UserSession.last_seen_at: now,
                UserSession.expires_at: now + timedelta(minutes=idle_minutes),
            }
        ).where(UserSession.id == session.id)
    return user


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


async def user_for_api_token(token: str) -> User | None:
    row = (
        await ApiToken.objects()
        .where((ApiToken.token_hash == token_digest(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    user: User | None = (
        await User.objects()
        .where(
            (User.id == row.user) & (User.active == True)  # noqa: E712
        )
        .first()
    )
    return user


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
