"""When each rule kind falls due, as pure functions of a case's state and the clock.

Conventions: a deadline counted from entering a level falls due at the end of its last
working day; a deadline counted back from the release date falls due at the start of the
working day it lands on (so housing must be arranged the working day before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from casetafel import clock
from casetafel.escalation.config import (
    BijMissing,
    ConferenceDue,
    DeadlineWarning,
    HousingDeadline,
    TimeBox,
)

# Deadline kinds that a warning precedes.
WARNED_KINDS = ("housing_deadline", "time_box", "conference_due")
# Deadline kinds that belong to one stay at one level.
LEVEL_KINDS = ("housing_deadline", "time_box", "conference_due", "conference_reminder")


@dataclass(frozen=True)
class CaseState:
    """What the rules need to know of a case."""

    id: int
    reference: str
    region_id: int
    region_code: str
    region_mailbox: str
    level: str
    level_since: datetime
    status: str
    release_date: date | None
    housing_state: str
    categories: frozenset[str]
    bij_notice_date: date | None
    home_municipality: int
    receiving_municipality: int | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def after_level_entry(entered_at: datetime, working_days: int) -> datetime:
    """The end of the `working_days`-th working day after the day the level was entered."""
    entered_day = clock.local(entered_at).date()
    return clock.end_of_working_day(clock.add_working_days(entered_day, working_days))


def housing_due(rule: HousingDeadline, state: CaseState) -> datetime | None:
    """Housing must be arranged before this instant, or the case moves up."""
    days = rule.working_days_before_release.get(state.level)
    if days is None or state.release_date is None or state.housing_state == "arranged":
        return None
    due = clock.start_of_day(clock.add_working_days(state.release_date, -days))
    floor = after_level_entry(state.level_since, rule.minimum_working_days_at_level)
    return max(due, floor) if rule.minimum_working_days_at_level else due


def time_box_due(rule: TimeBox, level: str, entered_at: datetime) -> datetime | None:
    days = rule.working_days.get(level)
    return None if days is None else after_level_entry(entered_at, days)


def conference_due(
    rule: ConferenceDue, level: str, entered_at: datetime, within: int | None = None
) -> tuple[datetime, datetime] | None:
    """The conference deadline and its reminder; `within` overrides the level's days."""
    days = within if within is not None else rule.working_days.get(level)
    if days is None:
        return None
    reminder_days = max(0, int(days * rule.reminder_at))
    return after_level_entry(entered_at, days), after_level_entry(entered_at, reminder_days)


def bij_due(rule: BijMissing, state: CaseState) -> datetime | None:
    """When the mayor should have had the BIJ notice: N calendar days before release."""
    if (
        not state.categories & rule.categories
        or state.release_date is None
        or state.bij_notice_date is not None
    ):
        return None
    notice_day = state.release_date - timedelta(days=rule.calendar_days_before_release)
    return clock.start_of_day(notice_day)


def warning_due(rule: DeadlineWarning, target_due: datetime) -> datetime:
    """N working days before the target, at the same time of day."""
    local_due = clock.local(target_due)
    day = clock.add_working_days(local_due.date(), -rule.working_days_before)
    return datetime.combine(day, local_due.timetz()).astimezone(target_due.tzinfo)


def working_days_left(due_at: datetime, now: datetime) -> int:
    """Whole working days from today until the due day (0 on the day, negative when late).

    A deadline at midnight belongs to the day before it: that day is the last one left.
    A deadline that has passed is late (at least -1), also on the weekend after it."""
    due_local = clock.local(due_at)
    last_day = due_local.date()
    if due_local.timetz().replace(tzinfo=None) == datetime.min.time():
        last_day -= timedelta(days=1)
    left = clock.working_days_between(clock.local(now).date(), last_day)
    return min(left, -1) if due_at <= now else left
