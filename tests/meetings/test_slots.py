"""The slot finder: free times for a case conference on working days, in working hours,
in Amsterdam time, ranked by how many optional attendees can come."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casetafel.clock import AMSTERDAM, is_working_day, local
from casetafel.meetings.slots import (
    Busy,
    Slot,
    SlotAttendee,
    SlotSearch,
    find_slots,
    within_working_hours,
)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Amsterdam as a UTC instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM).astimezone(UTC)


def whole(day: date, last: date | None = None) -> tuple[datetime, datetime]:
    """A window from midnight of `day` to midnight after `last` (or `day`)."""
    return at(day, 0), at((last or day) + timedelta(days=1), 0)


def person(key: str, *busy: tuple[datetime, datetime], required: bool = True) -> SlotAttendee:
    return SlotAttendee(key, required, [Busy(start, end) for start, end in busy])


def starts(search: SlotSearch) -> list[tuple[date, time]]:
    return [(local(slot.start).date(), local(slot.start).time()) for slot in search.slots]


MONDAY = date(2026, 11, 16)  # an ordinary week: Monday 16 to Friday 20 November 2026
FRIDAY = date(2026, 11, 20)


def test_nobody_busy_gives_the_earliest_distinct_times() -> None:
    search = find_slots([person("user:1")], HOUR, *whole(MONDAY), limit=3)
    assert search.reason == ""
    assert starts(search) == [(MONDAY, time(8, 30)), (MONDAY, time(9, 30)), (MONDAY, time(10, 30))]
    first = search.slots[0]
    assert first == Slot(at(MONDAY, 8, 30), at(MONDAY, 9, 30), (), ())
    assert first.start.tzinfo is UTC


def test_a_busy_required_attendee_pushes_the_slot_later() -> None:
    busy = person("user:1", (at(MONDAY, 8, 30), at(MONDAY, 10, 5)))
    search = find_slots([busy, person("user:2")], HOUR, *whole(MONDAY), limit=1)
    assert starts(search) == [(MONDAY, time(10, 15))]


def test_required_attendees_must_be_free_whatever_the_optional_ones() -> None:
    chair = person("user:1", (at(MONDAY, 12), at(MONDAY, 17, 30)))
    guest = person("person:7", (at(MONDAY, 8, 30), at(MONDAY, 12)), required=False)
    search = find_slots([chair, guest], HOUR, *whole(MONDAY), limit=5)
    assert starts(search) == [(MONDAY, time(h, 30)) for h in (8, 9, 10)]
    assert all(slot.optional_busy == ("person:7",) for slot in search.slots)


def test_more_optional_attendees_free_ranks_first_then_earliest() -> None:
    a = person("user:a", (at(MONDAY, 8, 30), at(MONDAY, 12)), required=False)
    b = person("user:b", (at(MONDAY, 8, 30), at(MONDAY, 13)), required=False)
    search = find_slots([person("user:1"), a, b], HOUR, *whole(MONDAY), limit=10)
    assert starts(search) == [
        (MONDAY, time(13)),
        (MONDAY, time(14)),
        (MONDAY, time(15)),
        (MONDAY, time(16)),
        (MONDAY, time(12)),
        (MONDAY, time(8, 30)),
        (MONDAY, time(9, 30)),
        (MONDAY, time(10, 30)),
    ]
    assert [(s.optional_free, s.optional_busy) for s in search.slots[3:6]] == [
        (("user:a", "user:b"), ()),
        (("user:a",), ("user:b",)),
        ((), ("user:a", "user:b")),
    ]


def test_a_required_attendee_busy_all_week_leaves_no_slot_and_says_why() -> None:
    window = whole(MONDAY, FRIDAY)
    away = person("user:12", window)
    search = find_slots(
        [away, person("user:13"), person("person:7", required=False)], HOUR, *window
    )
    assert search.slots == []
    assert search.reason == (
        "Geen tijdstip gevonden: 1 verplichte deelnemer is de hele periode bezet. "
        "Kies een andere periode of maak deze deelnemer optioneel."
    )
    assert search.blocking == ("user:12",)


def test_several_blocking_required_attendees_are_counted() -> None:
    window = whole(MONDAY, FRIDAY)
    attendees = [person("user:1", window), person("user:2", window), person("user:3")]
    search = find_slots(attendees, HOUR, *window)
    assert search.reason.startswith(
        "Geen tijdstip gevonden: 2 verplichte deelnemers zijn de hele periode bezet."
    )
    assert search.blocking == ("user:1", "user:2")


def test_required_attendees_never_free_together() -> None:
    mornings = person("user:1", (at(MONDAY, 8), at(MONDAY, 13)))
    afternoons = person("user:2", (at(MONDAY, 12, 30), at(MONDAY, 18)))
    search = find_slots([mornings, afternoons], HOUR, *whole(MONDAY))
    assert search.slots == []
    assert "de 2 verplichte deelnemers zijn binnen de werktijden" in search.reason
    assert "nooit tegelijk vrij" in search.reason
    assert search.blocking == ()


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 4, 27), date(2026, 4, 28), date(2026, 4, 28)),  # Koningsdag (Monday)
        (date(2026, 5, 14), date(2026, 5, 15), date(2026, 5, 15)),  # Ascension Day (Thursday)
        (date(2026, 12, 25), date(2026, 12, 28), date(2026, 12, 28)),  # Christmas, weekend
        (date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 23)),  # a weekend
    ],
)
def test_holidays_and_weekends_are_skipped(first: date, last: date, expected: date) -> None:
    search = find_slots([person("user:1")], HOUR, *whole(first, last), limit=20)
    assert {day for day, _ in starts(search)} == {expected}
    assert starts(search)[0] == (expected, time(8, 30))


def test_friday_afternoon_is_followed_by_monday_morning() -> None:
    search = find_slots([person("user:1")], HOUR, at(FRIDAY, 16), at(FRIDAY, 0) + 4 * 24 * HOUR)
    assert starts(search)[:2] == [(FRIDAY, time(16)), (date(2026, 11, 23), time(8, 30))]


def test_a_window_without_a_working_day_says_so() -> None:
    search = find_slots([person("user:1")], HOUR, *whole(date(2026, 12, 25), date(2026, 12, 27)))
    assert search.slots == []
    assert search.reason == (
        "Geen tijdstip gevonden: de gekozen periode bevat geen werkdag (alleen weekend of "
        "feestdagen). Kies een andere periode."
    )


def test_a_window_outside_working_hours_says_so() -> None:
    search = find_slots([person("user:1")], HOUR, at(MONDAY, 17), at(MONDAY, 23))
    assert search.slots == []
    assert "niet binnen de werktijden (08:30-17:30) van een werkdag" in search.reason


def test_a_meeting_must_end_by_the_end_of_the_working_day() -> None:
    until_1630 = person("user:1", (at(MONDAY, 8), at(MONDAY, 16, 30)))
    search = find_slots([until_1630], HOUR, *whole(MONDAY))
    assert [(s.start, s.end) for s in search.slots] == [(at(MONDAY, 16, 30), at(MONDAY, 17, 30))]
    until_1645 = person("user:1", (at(MONDAY, 8), at(MONDAY, 16, 45)))
    assert find_slots([until_1645], HOUR, *whole(MONDAY)).slots == []


def test_custom_working_hours_and_an_hourly_grid() -> None:
    search = find_slots(
        [person("user:1")],
        HOUR,
        *whole(MONDAY),
        day_start=time(8, 30),
        day_end=time(12),
        step=HOUR,
        limit=10,
    )
    assert starts(search) == [(MONDAY, time(h)) for h in (9, 10, 11)]


@pytest.mark.parametrize(
    ("friday", "monday", "friday_utc", "monday_utc"),
    [
        # Summer time starts on Sunday 29 March 2026: +01:00 before, +02:00 after.
        (date(2026, 3, 27), date(2026, 3, 30), time(15, 30), time(6, 30)),
        # Summer time ends on Sunday 25 October 2026: +02:00 before, +01:00 after.
        (date(2026, 10, 23), date(2026, 10, 26), time(14, 30), time(7, 30)),
    ],
)
def test_dst_change_keeps_local_working_hours(
    friday: date, monday: date, friday_utc: time, monday_utc: time
) -> None:
    busy_friday = person("user:1", (at(friday, 8), at(friday, 16, 30)))
    search = find_slots([busy_friday], HOUR, *whole(friday, monday), limit=20)
    assert starts(search)[:2] == [(friday, time(16, 30)), (monday, time(8, 30))]
    assert [s.start.time() for s in search.slots[:2]] == [friday_utc, monday_utc]
    for slot in search.slots:
        assert time(8, 30) <= local(slot.start).time()
        assert local(slot.end).time() <= time(17, 30)


def test_buffer_keeps_distance_from_other_meetings() -> None:
    other = person("user:1", (at(MONDAY, 10), at(MONDAY, 11)))
    window = (at(MONDAY, 9), at(MONDAY, 12, 30))
    assert starts(find_slots([other], HOUR, *window)) == [(MONDAY, time(9)), (MONDAY, time(11))]
    buffered = find_slots([other], HOUR, *window, buffer=15 * MINUTE)
    assert starts(buffered) == [(MONDAY, time(11, 15))]


def test_buffer_also_applies_to_optional_attendees() -> None:
    other = person("user:2", (at(MONDAY, 10), at(MONDAY, 11)), required=False)
    window = (at(MONDAY, 9), at(MONDAY, 10))
    assert find_slots([other], HOUR, *window).slots[0].optional_free == ("user:2",)
    buffered = find_slots([other], HOUR, *window, buffer=10 * MINUTE)
    assert buffered.slots[0].optional_busy == ("user:2",)


def test_touching_meetings_do_not_conflict() -> None:
    other = person("user:1", (at(MONDAY, 9, 30), at(MONDAY, 10, 30)))
    search = find_slots([other], HOUR, at(MONDAY, 8, 30), at(MONDAY, 11, 30))
    assert starts(search) == [(MONDAY, time(8, 30)), (MONDAY, time(10, 30))]


def test_a_window_starting_mid_day_rounds_up_to_the_grid() -> None:
    search = find_slots([person("user:1")], HOUR, at(MONDAY, 10, 7), at(MONDAY, 12, 15))
    assert starts(search) == [(MONDAY, time(10, 15)), (MONDAY, time(11, 15))]
    assert search.slots[-1].end == at(MONDAY, 12, 15)


def test_a_window_in_another_time_zone_is_the_same_instants() -> None:
    start = at(MONDAY, 10, 7).astimezone(AMSTERDAM)
    search = find_slots([person("user:1")], HOUR, start, start + 3 * HOUR)
    assert search.slots[0].start == at(MONDAY, 10, 15)


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_limit_and_no_overlapping_slots(limit: int) -> None:
    search = find_slots([person("user:1")], 30 * MINUTE, *whole(MONDAY), limit=limit)
    expected = [at(MONDAY, 8, 30) + n * 30 * MINUTE for n in range(limit)]
    assert [slot.start for slot in search.slots] == expected


def test_a_meeting_longer_than_a_working_day_or_the_window_is_explained() -> None:
    too_long = find_slots([person("user:1")], 10 * HOUR, *whole(MONDAY))
    assert too_long.slots == []
    assert too_long.reason == (
        "Geen tijdstip gevonden: een overleg van 10 uur past niet in een werkdag (08:30-17:30). "
        "Kies een kortere duur."
    )
    short_window = find_slots([person("user:1")], 90 * MINUTE, at(MONDAY, 9), at(MONDAY, 10))
    assert short_window.reason == (
        "Geen tijdstip gevonden: de gekozen periode is korter dan het overleg "
        "(1 uur en 30 minuten). Kies een langere periode."
    )


def test_no_attendees_at_all_still_finds_working_time() -> None:
    assert starts(find_slots([], HOUR, *whole(MONDAY), limit=1)) == [(MONDAY, time(8, 30))]


NAIVE = datetime(2026, 11, 16, 9)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window_start": NAIVE}, "window_start must be timezone-aware"),
        ({"window_end": at(MONDAY, 0)}, "window_end must be after window_start"),
        ({"duration": timedelta(0)}, "duration must be positive"),
        ({"duration": -HOUR}, "duration must be positive"),
        ({"step": timedelta(0)}, "step must be positive"),
        ({"limit": 0}, "limit must be 1 or more"),
        ({"day_start": time(17, 30), "day_end": time(8, 30)}, "day_end must be after"),
        ({"buffer": -MINUTE}, "buffer must not be negative"),
    ],
)
def test_programming_errors_raise(change: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "attendees": [],
        "duration": HOUR,
        "window_start": at(MONDAY, 0),
        "window_end": at(MONDAY, 23),
    } | change
    with pytest.raises(ValueError, match=message):
        find_slots(**arguments)  # type: ignore[arg-type]


def test_busy_intervals_are_checked() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Busy(NAIVE, at(MONDAY, 10))
    with pytest.raises(ValueError, match="must end after it starts"):
        Busy(at(MONDAY, 10), at(MONDAY, 10))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(MONDAY, 8, 30), at(MONDAY, 17, 30), True),
        (at(MONDAY, 16, 30), at(MONDAY, 17, 30), True),
        (at(MONDAY, 8, 15), at(MONDAY, 9, 15), False),
        (at(MONDAY, 16, 45), at(MONDAY, 17, 45), False),
        (at(MONDAY, 17), at(MONDAY + timedelta(days=1), 9), False),
        (at(date(2026, 11, 21), 10), at(date(2026, 11, 21), 11), False),  # Saturday
        (at(date(2026, 4, 27), 10), at(date(2026, 4, 27), 11), False),  # Koningsdag
        (at(date(2026, 3, 30), 8, 30), at(date(2026, 3, 30), 9, 30), True),  # after DST
        (at(date(2026, 3, 27), 16, 30), at(date(2026, 3, 27), 17, 30), True),  # before DST
    ],
)
def test_within_working_hours(start: datetime, end: datetime, expected: bool) -> None:
    assert within_working_hours(start, end, time(8, 30), time(17, 30)) is expected


def test_within_working_hours_rejects_naive_or_reversed_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        within_working_hours(NAIVE, at(MONDAY, 10), time(8, 30), time(17, 30))
    with pytest.raises(ValueError, match="end must be after start"):
        within_working_hours(at(MONDAY, 10), at(MONDAY, 9), time(8, 30), time(17, 30))


# Property: random busy intervals around the March 2026 DST change, Good Friday (3 April) and
# Easter Monday (6 April), checked against a brute-force walk over every 5 minutes in UTC.
BASE = at(date(2026, 3, 26), 0)
FIVE = 5 * MINUTE
BUSY = st.tuples(
    st.integers(min_value=0, max_value=4),  # whose
    st.integers(min_value=-24, max_value=3 * 288),  # start, in 5-minute units from the window start
    st.integers(min_value=1, max_value=200),  # length, in 5-minute units
)


def reference_candidates(
    attendees: list[SlotAttendee],
    duration: timedelta,
    window: tuple[datetime, datetime],
    step: timedelta,
    buffer: timedelta,
) -> dict[datetime, tuple[str, ...]]:
    """Every qualifying start with its free optional attendees, found the slow way."""
    found = {}
    start = window[0]
    while start + duration <= window[1]:
        end = start + duration
        wall = local(start)
        since_midnight = wall - wall.replace(hour=0, minute=0)
        on_grid = since_midnight % step == timedelta(0)
        if (
            on_grid
            and in_hours(start, end)
            and all(free(a, start, end, buffer) for a in attendees if a.required)
        ):
            found[start] = tuple(
                a.key for a in attendees if not a.required and free(a, start, end, buffer)
            )
        start += FIVE
    return found


def in_hours(start: datetime, end: datetime) -> bool:
    first, last = local(start), local(end)
    return (
        is_working_day(first.date())
        and first.date() == last.date()
        and first.time() >= time(8, 30)
        and last.time() <= time(17, 30)
    )


def free(attendee: SlotAttendee, start: datetime, end: datetime, buffer: timedelta) -> bool:
    return all(end <= b.start - buffer or b.end + buffer <= start for b in attendee.busy)


def busy_of(who: int, busy: list[tuple[int, int, int]], origin: datetime) -> list[Busy]:
    return [
        Busy(origin + start * FIVE, origin + (start + length) * FIVE)
        for whose, start, length in busy
        if whose == who
    ]


def rank(start: datetime, optional_free: tuple[str, ...]) -> tuple[int, datetime]:
    return (-len(optional_free), start)


@settings(max_examples=150, deadline=None)
@given(
    required=st.lists(st.booleans(), min_size=1, max_size=5),
    busy=st.lists(BUSY, max_size=60),
    window_day=st.sampled_from([0, 1, 4, 5, 6, 7, 12]),  # working days; the window may span more
    window_at=st.integers(min_value=6 * 12, max_value=18 * 12),  # 5-minute units from 00:00 UTC
    window_length=st.integers(min_value=12, max_value=3 * 288),
    duration=st.sampled_from([15, 30, 45, 60, 90, 120, 240]),
    step=st.sampled_from([15, 30, 60]),
    buffer=st.sampled_from([0, 10, 15]),
    limit=st.integers(min_value=1, max_value=6),
)
def test_returned_slots_keep_their_invariants(
    required: list[bool],
    busy: list[tuple[int, int, int]],
    window_day: int,
    window_at: int,
    window_length: int,
    duration: int,
    step: int,
    buffer: int,
    limit: int,
) -> None:
    window_start = BASE + window_day * 24 * HOUR + window_at * FIVE
    window = (window_start, window_start + window_length * FIVE)
    attendees = [
        SlotAttendee(f"user:{n}", is_required, busy_of(n, busy, window[0]))
        for n, is_required in enumerate(required)
    ]
    length, grid, margin = duration * MINUTE, step * MINUTE, buffer * MINUTE
    search = find_slots(attendees, length, *window, step=grid, limit=limit, buffer=margin)
    expected = reference_candidates(attendees, length, window, grid, margin)

    slots = search.slots
    assert len(slots) <= limit
    assert bool(search.reason) is (not slots)
    assert bool(slots) is bool(expected)
    optional = [a.key for a in attendees if not a.required]
    for slot in slots:
        assert window[0] <= slot.start and slot.end <= window[1]
        assert slot.end - slot.start == length
        assert within_working_hours(slot.start, slot.end, time(8, 30), time(17, 30))
        assert all(free(a, slot.start, slot.end, margin) for a in attendees if a.required)
        assert expected.get(slot.start) == slot.optional_free
        assert set(slot.optional_free) | set(slot.optional_busy) == set(optional)
    ranks = [rank(slot.start, slot.optional_free) for slot in slots]
    assert ranks == sorted(ranks)
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            assert a.end <= b.start or b.end <= a.start
    # Greedy by rank: every qualifying start left out overlaps a better slot or ranks last.
    chosen = {slot.start for slot in slots}
    for start, optional_free in expected.items():
        if start in chosen:
            continue
        candidate = rank(start, optional_free)
        beaten = any(
            rank(s.start, s.optional_free) < candidate
            and s.start < start + length
            and start < s.end
            for s in slots
        )
        assert beaten or (len(slots) == limit and ranks[-1] < candidate)
