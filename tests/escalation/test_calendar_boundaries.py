"""The time box, the conference deadline with its half-time reminder, and the warning
against the calendar: over a weekend (Friday/Monday), Koningsdag (Monday 27 April 2026) and
Christmas (Monday 25 and Tuesday 26 December 2028). Each deadline falls due at the computed
instant, a sweep a minute before leaves it alone, and a sweep at that instant acts on it.

A case enters the driehoek at 10:00 on the given day; the counts are the shipped ones:
time box 15 working days, conference 10 with a reminder after 5, warning 2 before."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casetafel.cases import service
from casetafel.escalation.models import Deadline
from casetafel.escalation.vocabulary import DEADLINE_KINDS
from tests.conftest import velsen_case
from tests.escalation.conftest import (
    deadlines_of,
    escalations_of,
    local,
    notifications_for,
    set_now,
    sweep_at,
)

SCENARIOS = [
    # Entered on a Friday: two weekends skipped, the 15th working day is Friday 23 October,
    # so the case moves at its end, not on the Friday itself.
    pytest.param(date(2026, 10, 2), "time_box", date(2026, 10, 24), id="time_box-weekend"),
    # Koningsdag does not count: the 15th day is Thursday 30 April, not Wednesday 29.
    pytest.param(date(2026, 4, 8), "time_box", date(2026, 5, 1), id="time_box-koningsdag"),
    # Christmas does not count: the 15th day is Wednesday 27 December, not Monday 25.
    pytest.param(date(2028, 12, 4), "time_box", date(2028, 12, 28), id="time_box-christmas"),
    # Entered on a Monday: the 5th and the 10th working day are Mondays (12 and 19 October).
    pytest.param(
        date(2026, 10, 5), "conference_reminder", date(2026, 10, 13), id="reminder-weekend"
    ),
    pytest.param(date(2026, 10, 5), "conference_due", date(2026, 10, 20), id="conference-weekend"),
    # Koningsdag does not count: the 5th day is Wednesday 29 April, the 10th Wednesday 6 May.
    pytest.param(
        date(2026, 4, 21), "conference_reminder", date(2026, 4, 30), id="reminder-koningsdag"
    ),
    pytest.param(date(2026, 4, 21), "conference_due", date(2026, 5, 7), id="conference-koningsdag"),
    # Christmas and New Year do not count: the 5th day is Thursday 28 December, the 10th
    # Friday 5 January 2029.
    pytest.param(
        date(2028, 12, 19), "conference_reminder", date(2028, 12, 29), id="reminder-christmas"
    ),
    pytest.param(date(2028, 12, 19), "conference_due", date(2029, 1, 6), id="conference-christmas"),
    # Conference due at the end of Monday 19 October: warned from the start of Friday 16
    # (Friday and Monday are the two working days).
    pytest.param(date(2026, 10, 5), "warning", date(2026, 10, 16), id="warning-weekend"),
    # Conference due at the end of Tuesday 28 April: Koningsdag is skipped, so the warning
    # comes at the start of Friday 24 April, not on Koningsdag.
    pytest.param(date(2026, 4, 13), "warning", date(2026, 4, 24), id="warning-koningsdag"),
    # Conference due at the end of Wednesday 27 December 2028: Christmas is skipped, so the
    # warning comes at the start of Friday 22 December, not on Boxing Day.
    pytest.param(date(2028, 12, 11), "warning", date(2028, 12, 22), id="warning-christmas"),
]

# What the row becomes when the sweep acts on it.
ACTED = {
    "time_box": "missed",
    "conference_due": "missed",
    "conference_reminder": "met",
    "warning": "met",
}


@pytest.mark.parametrize(("entered", "kind", "due"), SCENARIOS)
async def test_a_deadline_acts_exactly_at_its_working_day_boundary(
    now_is_start, users, directory, ladder, config, entered, kind, due
):
    set_now(local(entered, 10))
    case = await service.create_case(
        users.actors["coordinator"],
        velsen_case(release_certainty="unknown", release_date=None),
        directory,
        ladder,
    )
    row = await _row(case.id, kind)
    assert row.due_at == local(due, 0)

    await sweep_at(config, row.due_at - timedelta(minutes=1))
    assert await _state(row.id) == "pending"
    assert await _effects(case.id, kind) == 0

    await sweep_at(config, row.due_at)
    assert await _state(row.id) == ACTED[kind]
    assert await _effects(case.id, kind) == 1


async def _row(case_id: int, kind: str) -> Deadline:
    """The deadline of this kind; for a warning, the one before the conference."""
    if kind == "warning":
        [conference] = await deadlines_of(case_id, kind="conference_due")
        [row] = await deadlines_of(case_id, kind="warning", target=conference.id)
    else:
        [row] = await deadlines_of(case_id, kind=kind, state="pending")
    return row


async def _state(row_id: int) -> str:
    row = await Deadline.objects().where(Deadline.id == row_id).first()
    assert row is not None
    return str(row.state)


async def _effects(case_id: int, kind: str) -> int:
    """How often what this deadline does has happened: the move, or the message to the
    driehoek's owner (the municipality of Velsen)."""
    if kind == "time_box":
        return len([e for e in await escalations_of(case_id) if e.trigger == "time_box"])
    notification = {"conference_due": "overdue", "conference_reminder": "reminder"}.get(
        kind, "warning"
    )
    told = await notifications_for("velsen", notification)
    if kind == "warning":
        label = DEADLINE_KINDS["conference_due"].lower()
        told = [n for n in told if label in n.text]
    return len(told)
