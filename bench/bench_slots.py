"""The slot-finder benchmark: find_slots over a month of busy calendars, no database.

Run from the repository root: `.venv/bin/python bench/bench_slots.py` (options: --runs, --seed).
Each run builds a seeded scenario: 15 attendees (5 required, 10 optional, some much busier than
others) with 2,000 existing meetings in total of 30-120 minutes in the working hours of the 20
working days of November 2026, then times one find_slots call over those 20 days for a
60, 90 or 120-minute meeting. Only the call is timed. Nothing is asserted; the exit code is 0.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from bench_report import p50, p95

from casetafel.clock import AMSTERDAM, is_working_day
from casetafel.meetings.slots import Busy, SlotAttendee, SlotSearch, find_slots

ATTENDEES = 15
REQUIRED = 5
MEETINGS = 2_000
FIRST_DAY = date(2026, 11, 2)  # a Monday; 2 to 27 November 2026 holds 20 working days
WORKING_DAYS = 20
DAY_START, DAY_END = clock_time(8, 30), clock_time(17, 30)
MEETING_MINUTES = range(30, 121, 15)
DURATIONS = (60, 90, 120)
WARMUP = 5
TARGET_P95_MS = 20.0


@dataclass(frozen=True)
class Scenario:
    attendees: list[SlotAttendee]
    duration: timedelta
    window_start: datetime
    window_end: datetime


def working_days() -> list[date]:
    days: list[date] = []
    day = FIRST_DAY
    while len(days) < WORKING_DAYS:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def instant(day: date, minutes_after_midnight: int) -> datetime:
    wall = datetime.combine(day, clock_time(0), tzinfo=AMSTERDAM)
    return (wall + timedelta(minutes=minutes_after_midnight)).astimezone(UTC)


def random_meeting(rng: random.Random, days: list[date]) -> Busy:
    """A meeting of 30-120 minutes on a quarter hour inside the working hours of a day."""
    minutes = rng.choice(MEETING_MINUTES)
    opening = DAY_START.hour * 60 + DAY_START.minute
    closing = DAY_END.hour * 60 + DAY_END.minute
    start = opening + 15 * rng.randrange((closing - minutes - opening) // 15 + 1)
    day = rng.choice(days)
    return Busy(instant(day, start), instant(day, start + minutes))


def scenario(seed: int, days: list[date]) -> Scenario:
    rng = random.Random(seed)
    # Lognormal weights: a few attendees carry several times the meetings of the others.
    weights = [rng.lognormvariate(0, 0.8) for _ in range(ATTENDEES)]
    owners = rng.choices(range(ATTENDEES), weights=weights, k=MEETINGS)
    busy: list[list[Busy]] = [[] for _ in range(ATTENDEES)]
    for owner in owners:
        busy[owner].append(random_meeting(rng, days))
    required = set(rng.sample(range(ATTENDEES), REQUIRED))
    attendees = [SlotAttendee(f"user:{n}", n in required, busy[n]) for n in range(ATTENDEES)]
    return Scenario(
        attendees=attendees,
        duration=timedelta(minutes=DURATIONS[seed % len(DURATIONS)]),
        window_start=instant(days[0], 0),
        window_end=instant(days[-1] + timedelta(days=1), 0),
    )


def timed(case: Scenario) -> tuple[float, SlotSearch]:
    began = time.perf_counter()
    search = find_slots(case.attendees, case.duration, case.window_start, case.window_end)
    return (time.perf_counter() - began) * 1000, search


def row(label: str, timings: list[float]) -> str:
    if not timings:
        return f"{label:<14} {0:>5}"
    return (
        f"{label:<14} {len(timings):>5} {p50(timings):>8.2f} {p95(timings):>8.2f}"
        f" {max(timings):>8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed searches (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first scenario")
    args = parser.parse_args()
    days = working_days()
    for n in range(WARMUP):
        timed(scenario(args.seed - WARMUP + n, days))
    found: list[float] = []
    none: list[float] = []
    for n in range(args.runs):
        ms, search = timed(scenario(args.seed + n, days))
        (found if search.slots else none).append(ms)
    every = found + none
    print(
        f"find_slots: {ATTENDEES} attendees ({REQUIRED} required), {MEETINGS} meetings, "
        f"{WORKING_DAYS} working days, durations {'/'.join(map(str, DURATIONS))} min"
    )
    print(f"{'searches':<14} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print(row("all", every))
    print(row("slots found", found))
    print(row("no slot", none))
    verdict = "ok" if p95(every) <= TARGET_P95_MS else "over"
    print(f"target: p95 <= {TARGET_P95_MS:.0f} ms: {verdict} ({p95(every):.2f} ms)")


if __name__ == "__main__":
    main()
