"""Time in casetafel: instants in UTC, shown and reasoned about in Europe/Amsterdam.

Every 'now' goes through this module so that tests and the sweep can inject a clock, and
every count of working days (Monday to Friday, Dutch public holidays from the `holidays`
package, which includes Good Friday and Liberation Day in lustrum years) goes through it too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

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


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The date `count` working days after `day` (before it for a negative count);
    `day` itself does not count, so add_working_days(friday, 1) is the next Monday."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    # Weekdays by arithmetic, then the holidays on weekdays in between: deadlines missed
    # years ago are counted on every dashboard, so no walk day by day.
    weekdays = _weekdays_up_to(end) - _weekdays_up_to(start)
    holidays_between = sum(
        1
        for year in range(start.year, end.year + 1)
        for day in _holidays(year)
        if start < day <= end and day.weekday() < 5
    )
    return weekdays - holidays_between


def _weekdays_up_to(day: date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) up to and including `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day` in Amsterdam, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM).astimezone(UTC)


def end_of_working_day(day: date) -> datetime:
    """The end of `day` in Amsterdam (midnight after it), as a UTC instant."""
    return start_of_day(day + timedelta(days=1))
