"""RSVP links: signed, URL-safe, refused when altered or expired; feed tokens: random."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from casetafel.invites.tokens import (
    InvalidToken,
    RsvpClaim,
    feed_token_hash,
    new_feed_token,
    sign_rsvp,
    verify_rsvp,
)

SECRET = "test-secret-that-is-long-enough-0123456789"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 3, 17, 23, 0, tzinfo=UTC)


def test_a_signed_link_gives_back_its_claim() -> None:
    token = sign_rsvp(SECRET, attendee_id=17, meeting_id=42, expires_at=EXPIRES)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", token)
    assert len(token) < 80
    assert verify_rsvp(SECRET, token, NOW) == RsvpClaim(17, 42, EXPIRES)


def test_the_expiry_is_kept_in_utc_to_the_second() -> None:
    expires = datetime(2026, 3, 17, 23, 59, 59, 999_999, tzinfo=UTC).astimezone()
    claim = verify_rsvp(SECRET, sign_rsvp(SECRET, 1, 2, expires), NOW)
    assert claim.expires_at == datetime(2026, 3, 17, 23, 59, 59, tzinfo=UTC)


def test_an_expired_link_says_so() -> None:
    token = sign_rsvp(SECRET, 17, 42, EXPIRES)
    with pytest.raises(InvalidToken, match=r"^Deze link is verlopen\.") as caught:
        verify_rsvp(SECRET, token, EXPIRES)
    assert caught.value.expired
    verify_rsvp(SECRET, token, EXPIRES - timedelta(seconds=1))


def _tampered() -> list[str]:
    token = sign_rsvp(SECRET, 17, 42, EXPIRES)
    attendee, meeting, expiry, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        f"18.{meeting}.{expiry}.{signature}",
        f"{attendee}.43.{expiry}.{signature}",
        f"{attendee}.{meeting}.{int(expiry) + 86400}.{signature}",
        f"{attendee}.{meeting}.{expiry}.{flipped}",
        f"0{attendee}.{meeting}.{expiry}.{signature}",
        sign_rsvp("another-secret-that-is-long-enough-987654", 17, 42, EXPIRES),
    ]


@pytest.mark.parametrize(
    "token",
    [
        *_tampered(),
        "",
        "garbage",
        "17.42.1773788400",
        "17.42.1773788400.short",
        "-1.42.1773788400." + "A" * 43,
        "١٧.42.1773788400." + "A" * 43,  # non-ASCII digits
        "x" * 10_000,
    ],
)
def test_an_altered_or_garbage_link_is_invalid(token: str) -> None:
    with pytest.raises(InvalidToken, match=r"^Deze link is ongeldig\.") as caught:
        verify_rsvp(SECRET, token, NOW)
    assert not caught.value.expired


def test_an_altered_link_is_invalid_even_when_also_expired() -> None:
    tampered = _tampered()[0]
    with pytest.raises(InvalidToken, match="ongeldig"):
        verify_rsvp(SECRET, tampered, EXPIRES + timedelta(days=30))


def test_a_short_secret_and_naive_times_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        sign_rsvp("kort", 1, 2, EXPIRES)
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_rsvp(SECRET, 1, 2, datetime(2026, 3, 17))
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_rsvp(SECRET, sign_rsvp(SECRET, 1, 2, EXPIRES), datetime(2026, 3, 10))
    with pytest.raises(ValueError, match="0 or more"):
        sign_rsvp(SECRET, -1, 2, EXPIRES)


def test_feed_tokens_are_random_url_safe_and_stored_as_a_hash() -> None:
    tokens = {new_feed_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)
    token = tokens.pop()
    assert feed_token_hash(token) == feed_token_hash(token)
    assert re.fullmatch(r"[0-9a-f]{64}", feed_token_hash(token))
    assert token not in feed_token_hash(token)
