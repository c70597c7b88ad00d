"""Working days: Monday to Friday, without Dutch public holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casetafel import clock


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday + 1 = Monday
        (date(2026, 11, 30), -1, date(2026, 11, 27)),  # Monday - 1 = Friday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday + 1 = Monday
        (date(2026, 4, 24), 1, date(2026, 4, 28)),  # Friday; Monday 27 April is Koningsdag
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # Christmas Day and Boxing Day
        (date(2026, 12, 23), 3, date(2026, 12, 29)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day, then the weekend
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
        (date(2026, 11, 2), 20, date(2026, 11, 30)),
    ],
)
def test_add_working_days(start: date, count: int, expected: date) -> None:
    assert clock.add_working_days(start, count) == expected


def test_koningsdag_christmas_and_weekends_are_not_working_days() -> None:
    assert not clock.is_working_day(date(2026, 4, 27))
    assert not clock.is_working_day(date(2025, 4, 26))  # Saturday in 2025, moved to the 26th
    assert not clock.is_working_day(date(2026, 12, 25))
    assert not clock.is_working_day(date(2026, 12, 26))
    assert not clock.is_working_day(date(2026, 11, 29))
    assert clock.is_working_day(date(2026, 11, 25))


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert clock.working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
    assert clock.working_days_between(date(2026, 11, 30), date(2026, 11, 27)) == -1
    assert clock.working_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 1
    assert clock.working_days_between(date(2026, 11, 25), date(2026, 11, 25)) == 0


def test_day_boundaries_are_amsterdam_midnight_in_summer_and_winter() -> None:
    assert clock.start_of_day(date(2026, 7, 1)).isoformat() == "2026-06-30T22:00:00+00:00"
    assert clock.start_of_day(date(2026, 12, 1)).isoformat() == "2026-11-30T23:00:00+00:00"
    assert clock.end_of_working_day(date(2026, 3, 28)).isoformat() == "2026-03-28T23:00:00+00:00"


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    span=st.integers(min_value=-900, max_value=900),
)
def test_working_days_between_equals_counting_day_by_day(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    low, high = sorted((start, end))
    counted = sum(
        1 for n in range(1, (high - low).days + 1) if clock.is_working_day(low + timedelta(days=n))
    )
    assert clock.working_days_between(start, end) == (counted if end >= start else -counted)
