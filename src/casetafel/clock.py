"""Time in casetafel: instants in UTC, shown and reasoned about in Europe/Amsterdam.

Every 'now' goes through this module so that tests and the sweep can inject a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _now()


def today() -> date:
    """Today's date in Amsterdam."""
    return now().astimezone(AMSTERDAM).date()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests, `sweep --now`); None restores the real one."""
    global _now
    _now = source or (lambda: datetime.now(UTC))


def local(instant: datetime) -> datetime:
    return instant.astimezone(AMSTERDAM)
