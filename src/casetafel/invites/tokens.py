"""Signed RSVP links and revocable feed tokens.

An RSVP token is "<attendee>.<meeting>.<expiry>.<signature>": ASCII digits and a URL-safe
HMAC-SHA256 over the first three, so it needs no storage and cannot be altered. A feed token is
random; the meetings code stores only its hash, so revoking a feed is deleting a row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

MIN_SECRET_CHARS = 32
# Keeps an RSVP signature from ever being valid for another use of the same secret.
_PURPOSE = b"casetafel-rsvp-v1\n"
_INVALID = "Deze link is ongeldig. Gebruik de link uit de laatste uitnodiging."
_TOKEN = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


class InvalidToken(ValueError):
    """An RSVP link that was altered, is garbage, or has expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class RsvpClaim:
    attendee_id: int
    meeting_id: int
    expires_at: datetime


def sign_rsvp(secret: str, attendee_id: int, meeting_id: int, expires_at: datetime) -> str:
    if attendee_id < 0 or meeting_id < 0:
        raise ValueError("ids must be 0 or more")
    if expires_at.utcoffset() is None:
        raise ValueError("expires_at must be timezone-aware")
    payload = f"{attendee_id}.{meeting_id}.{int(expires_at.timestamp())}"
    return f"{payload}.{_signature(secret, payload)}"


def verify_rsvp(secret: str, token: str, now: datetime) -> RsvpClaim:
    """The claim in `token`, checked for tampering first and for expiry after."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise InvalidToken(_INVALID)
    attendee_id, meeting_id, expiry, signature = match.groups()
    payload = f"{attendee_id}.{meeting_id}.{expiry}"
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise InvalidToken(_INVALID)
    expires_at = datetime.fromtimestamp(int(expiry), UTC)
    if now >= expires_at:
        raise InvalidToken(
            "Deze link is verlopen. Vraag de organisator om een nieuwe uitnodiging.", expired=True
        )
    return RsvpClaim(int(attendee_id), int(meeting_id), expires_at)


def new_feed_token() -> str:
    """A random, URL-safe token for a personal calendar feed (256 bits)."""
    return secrets.token_urlsafe(32)


def feed_token_hash(token: str) -> str:
    """What the database stores and looks up; a plain SHA-256 suffices for 256 random bits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _signature(secret: str, payload: str) -> str:
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(f"the secret must be at least {MIN_SECRET_CHARS} characters")
    digest = hmac.new(secret.encode("utf-8"), _PURPOSE + payload.encode("ascii"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")
