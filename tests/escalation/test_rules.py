"""When each rule falls due: pure functions of the case's state and the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

from casetafel import clock
from casetafel.escalation import rules as r
from casetafel.escalation.config import (
    BijMissing,
    ConferenceDue,
    DeadlineWarning,
    HousingDeadline,
    TimeBox,
)

HOUSING = HousingDeadline("housing", "no_housing_offered", {"local": 20, "regional": 10}, 2)
FRIDAY_NOON = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def state(**overrides: object) -> r.CaseState:
    values: dict[str, object] = {
        "id": 1,
        "reference": "KEN-2026-0001",
        "region_id": 1,
        "region_code": "KEN",
        "region_mailbox": "zvh@kennemerland.example.nl",
        "level": "local",
        "level_since": datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        "status": "open",
        "release_date": date(2027, 1, 15),
        "housing_state": "missing",
        "categories": frozenset({"sex_offender"}),
        "bij_notice_date": None,
        "home_municipality": 1,
        "receiving_municipality": None,
        "version": 1,
    }
    values.update(overrides)
    return r.CaseState(**values)  # type: ignore[arg-type]


def local_day(instant: datetime | None) -> str:
    assert instant is not None
    return clock.local(instant).strftime("%a %Y-%m-%d %H:%M")


def test_housing_falls_due_at_the_start_of_the_day_n_working_days_before_release() -> None:
    # Friday 15 January 2027; 20 working days back skips Christmas, Boxing Day, New Year.
    assert local_day(r.housing_due(HOUSING, state())) == "Wed 2026-12-16 00:00"
    assert local_day(r.housing_due(HOUSING, state(level="regional"))) == "Thu 2026-12-31 00:00"


def test_housing_release_on_monday_means_due_the_friday_before() -> None:
    rule = HousingDeadline("housing", "no_housing_offered", {"local": 1}, 0)
    due = r.housing_due(rule, state(release_date=date(2026, 11, 30)))
    assert local_day(due) == "Fri 2026-11-27 00:00"


def test_housing_after_koningsdag() -> None:
    rule = HousingDeadline("housing", "no_housing_offered", {"local": 1}, 0)
    due = r.housing_due(rule, state(release_date=date(2026, 4, 28)))
    assert local_day(due) == "Fri 2026-04-24 00:00"


def test_housing_gives_a_level_its_minimum_time_when_release_is_close() -> None:
    entered = FRIDAY_NOON
    due = r.housing_due(HOUSING, state(release_date=date(2026, 12, 1), level_since=entered))
    assert local_day(due) == "Wed 2026-12-02 00:00"  # end of Tuesday: 2 working days after


def test_no_housing_deadline_when_arranged_unknown_or_on_the_top_level() -> None:
    assert r.housing_due(HOUSING, state(housing_state="arranged")) is None
    assert r.housing_due(HOUSING, state(release_date=None)) is None
    assert r.housing_due(HOUSING, state(level="national")) is None


def test_time_box_and_conference_count_from_entering_the_level() -> None:
    box = TimeBox("time_box", "other", {"local": 15})
    assert local_day(r.time_box_due(box, "local", FRIDAY_NOON)) == "Sat 2026-12-19 00:00"
    conference = ConferenceDue("conference", {"regional": 5}, 0.5)
    dues = r.conference_due(conference, "regional", FRIDAY_NOON)
    assert dues is not None
    assert local_day(dues[0]) == "Sat 2026-12-05 00:00"  # end of Friday 4 December
    assert local_day(dues[1]) == "Wed 2026-12-02 00:00"  # reminder after 2 of 5 days
    within = r.conference_due(conference, "regional", FRIDAY_NOON, within=2)
    assert within is not None and local_day(within[0]) == "Wed 2026-12-02 00:00"


def test_bij_missing_is_due_sixty_calendar_days_before_release() -> None:
    rule = BijMissing("bij", frozenset({"sex_offender", "violent_offender"}), 60)
    assert local_day(r.bij_due(rule, state())) == "Mon 2026-11-16 00:00"
    assert r.bij_due(rule, state(bij_notice_date=date(2026, 11, 1))) is None
    assert r.bij_due(rule, state(categories=frozenset({"no_fixed_abode"}))) is None


def test_warning_is_n_working_days_before_at_the_same_time() -> None:
    rule = DeadlineWarning("warning", 2)
    due = clock.start_of_day(date(2026, 11, 30))  # Monday 00:00
    assert local_day(r.warning_due(rule, due)) == "Thu 2026-11-26 00:00"


def test_working_days_left_counts_a_midnight_deadline_to_the_day_before() -> None:
    wednesday = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    end_of_friday = clock.end_of_working_day(date(2026, 11, 27))
    assert r.working_days_left(end_of_friday, wednesday) == 2
    assert r.working_days_left(clock.end_of_working_day(date(2026, 11, 25)), wednesday) == 0
    assert r.working_days_left(clock.end_of_working_day(date(2026, 11, 24)), wednesday) == -1


def test_a_passed_deadline_is_late_also_on_the_weekend_after_it() -> None:
    end_of_friday = clock.end_of_working_day(date(2026, 11, 27))
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    sunday_night = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
    assert r.working_days_left(end_of_friday, saturday) == -1  # not "vandaag"
    assert r.working_days_left(end_of_friday, sunday_night) == -1
    assert r.working_days_left(end_of_friday, datetime(2026, 11, 30, 10, tzinfo=UTC)) == -1
    assert r.working_days_left(end_of_friday, datetime(2026, 12, 1, 10, tzinfo=UTC)) == -2
    # Before it passes, late on Friday evening, Friday is still its last day.
    assert r.working_days_left(end_of_friday, datetime(2026, 11, 27, 22, 0, tzinfo=UTC)) == 0
