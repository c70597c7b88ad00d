"""The slot finder: times for a case conference when every required attendee is free.

Pure code, no database: the meetings service collects the attendees' busy intervals and calls
`find_slots`. Instants are UTC; working days and hours are Europe/Amsterdam (clock.py), so a
slot at 09:00 stays at 09:00 local time across a DST change while its UTC offset moves.

Each attendee's busy intervals are widened by the buffer, sorted and merged once; a candidate
start is then checked with one binary search per attendee group, so a search costs about
O(M log M + C * (1 + K) * log M) for M busy intervals, C candidate starts and K optional
attendees, instead of O(C * M).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from casetafel.clock import AMSTERDAM, is_working_day, local

# Inside the finder instants are whole microseconds since the epoch: exact and cheap to compare.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NO_SLOT = "Geen tijdstip gevonden"


@dataclass(frozen=True)
class Busy:
    """One existing meeting of an attendee: timezone-aware instants, end after start."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(busy_start=self.start, busy_end=self.end)
        if self.end <= self.start:
            raise ValueError(f"busy interval must end after it starts: {self.start}-{self.end}")


@dataclass(frozen=True)
class SlotAttendee:
    key: str  # opaque id, e.g. "user:12" or "person:7"
    required: bool
    busy: Sequence[Busy]


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    optional_free: tuple[str, ...]  # keys of the optional attendees free then
    optional_busy: tuple[str, ...]


@dataclass(frozen=True)
class SlotSearch:
    slots: list[Slot]
    reason: str  # Dutch, for the user, when `slots` is empty; "" otherwise
    blocking: tuple[str, ...] = ()  # required attendees busy at every possible time, if any


@dataclass(frozen=True)
class _Intervals:
    """Disjoint busy intervals sorted by start, so that their ends are sorted too."""

    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, busy: Iterable[Busy], widen: int) -> _Intervals:
        """An attendee's meetings, each widened by `widen` microseconds on both sides."""
        # Inlined conversion: this runs for every meeting and dominates a search's cost.
        return cls.merged(
            sorted(
                (
                    (b.start - _EPOCH) // _MICROSECOND - widen,
                    (b.end - _EPOCH) // _MICROSECOND + widen,
                )
                for b in busy
            )
        )

    @classmethod
    def union(cls, parts: Iterable[_Intervals]) -> _Intervals:
        return cls.merged(
            sorted(pair for part in parts for pair in zip(part.starts, part.ends, strict=True))
        )

    @classmethod
    def merged(cls, pairs: Iterable[tuple[int, int]]) -> _Intervals:
        """Merge (start, end) pairs sorted by start."""
        starts: list[int] = []
        ends: list[int] = []
        for start, end in pairs:
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        return cls(starts, ends)

    def is_free(self, start: int, end: int) -> bool:
        """No interval overlaps [start, end); touching one (end == its start) is free."""
        first_ending_later = bisect_right(self.ends, start)
        return first_ending_later == len(self.starts) or self.starts[first_ending_later] >= end


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    optional_free: tuple[str, ...]

    @property
    def rank(self) -> tuple[int, int]:
        return (-len(self.optional_free), self.start)


@dataclass(frozen=True)
class _Hours:
    day_start: time
    day_end: time

    def opening(self, day: date) -> datetime:
        return datetime.combine(day, self.day_start, tzinfo=AMSTERDAM)

    def closing(self, day: date) -> datetime:
        return datetime.combine(day, self.day_end, tzinfo=AMSTERDAM)

    @property
    def length(self) -> timedelta:
        return _since_midnight(self.day_end) - _since_midnight(self.day_start)

    def __str__(self) -> str:
        return f"{self.day_start:%H:%M}-{self.day_end:%H:%M}"


def find_slots(
    attendees: Sequence[SlotAttendee],
    duration: timedelta,
    window_start: datetime,
    window_end: datetime,
    *,
    day_start: time = time(8, 30),
    day_end: time = time(17, 30),
    step: timedelta = timedelta(minutes=15),
    limit: int = 5,
    buffer: timedelta = timedelta(0),
) -> SlotSearch:
    """Up to `limit` non-overlapping times, within [window_start, window_end] and the working
    hours of a working day, when all required attendees are free (their meetings widened by
    `buffer`); most optional attendees free first, then earliest. Starts lie on a grid of
    `step` from local midnight (09:00, 09:15, ... for 15 minutes). When there is none,
    `reason` says why in Dutch. Programming errors (naive datetimes, an empty window or
    duration, bad hours, step or limit) raise ValueError."""
    _validate(duration, window_start, window_end, day_start, day_end, step, limit, buffer)
    hours = _Hours(day_start, day_end)
    reason = _impossible(duration, window_start, window_end, hours)
    if reason:
        return SlotSearch([], reason)
    starts = _candidate_starts(window_start, window_end, hours, duration, step)
    if not starts:
        return SlotSearch([], _no_fit_reason(hours, duration))
    length, widen = duration // _MICROSECOND, buffer // _MICROSECOND
    required = [(a.key, _Intervals.of(a.busy, widen)) for a in attendees if a.required]
    optional = [(a.key, _Intervals.of(a.busy, widen)) for a in attendees if not a.required]
    blocked = _Intervals.union(busy for _, busy in required)
    candidates = _free_candidates(starts, length, blocked, optional)
    if not candidates:
        return _blocked(required, starts, length)
    chosen = _spread(sorted(candidates, key=lambda c: c.rank), limit)
    keys = [key for key, _ in optional]
    return SlotSearch([_slot(candidate, keys) for candidate in chosen], "")


def within_working_hours(start: datetime, end: datetime, day_start: time, day_end: time) -> bool:
    """True when [start, end] lies within the working hours of one working day in Amsterdam."""
    _require_aware(start=start, end=end)
    if end <= start:
        raise ValueError(f"end must be after start: {start}-{end}")
    day = local(start).date()
    hours = _Hours(day_start, day_end)
    return is_working_day(day) and hours.opening(day) <= start and end <= hours.closing(day)


def _validate(
    duration: timedelta,
    window_start: datetime,
    window_end: datetime,
    day_start: time,
    day_end: time,
    step: timedelta,
    limit: int,
    buffer: timedelta,
) -> None:
    _require_aware(window_start=window_start, window_end=window_end)
    if window_end <= window_start:
        raise ValueError(f"window_end must be after window_start: {window_start}-{window_end}")
    if duration <= timedelta(0):
        raise ValueError(f"duration must be positive, not {duration}")
    if day_end <= day_start:
        raise ValueError(f"day_end must be after day_start: {day_start}-{day_end}")
    if step <= timedelta(0):
        raise ValueError(f"step must be positive, not {step}")
    if limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit}")
    if buffer < timedelta(0):
        raise ValueError(f"buffer must not be negative, not {buffer}")


def _require_aware(**instants: datetime) -> None:
    for name, instant in instants.items():
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, not naive: {instant}")


def _impossible(
    duration: timedelta, window_start: datetime, window_end: datetime, hours: _Hours
) -> str:
    """Why no meeting of `duration` can fit at all, whoever attends; "" when one might."""
    if duration > hours.length:
        return (
            f"{_NO_SLOT}: een overleg van {_dutch(duration)} past niet in een werkdag "
            f"({hours}). Kies een kortere duur."
        )
    if window_end - window_start < duration:
        return (
            f"{_NO_SLOT}: de gekozen periode is korter dan het overleg ({_dutch(duration)}). "
            "Kies een langere periode."
        )
    if not any(_working_days(window_start, window_end, hours)):
        return (
            f"{_NO_SLOT}: de gekozen periode bevat geen werkdag (alleen weekend of feestdagen). "
            "Kies een andere periode."
        )
    return ""


def _no_fit_reason(hours: _Hours, duration: timedelta) -> str:
    return (
        f"{_NO_SLOT}: in de gekozen periode past een overleg van {_dutch(duration)} niet binnen "
        f"de werktijden ({hours}) van een werkdag. Kies een langere periode."
    )


def _candidate_starts(
    window_start: datetime,
    window_end: datetime,
    hours: _Hours,
    duration: timedelta,
    step: timedelta,
) -> list[int]:
    """Grid starts of meetings inside the window and the working hours of a working day."""
    first, last = _us(window_start), _us(window_end)
    length = duration // _MICROSECOND
    starts: list[int] = []
    for day in _working_days(window_start, window_end, hours):
        starts.extend(
            start
            for start in _day_starts(day, hours, length, step)
            if first <= start and start + length <= last
        )
    return starts


def _day_starts(day: date, hours: _Hours, length: int, step: timedelta) -> Iterator[int]:
    midnight = datetime.combine(day, time(0), tzinfo=AMSTERDAM)
    closing = _us(hours.closing(day))
    offset = -(-_since_midnight(hours.day_start) // step) * step  # first grid time from opening
    # Aware datetime + timedelta is wall-clock arithmetic, so the grid follows local time;
    # Amsterdam changes its clocks on Sunday nights, never within a working day's hours.
    start = _us(midnight + offset)
    while start + length <= closing:
        yield start
        offset += step
        start = _us(midnight + offset)


def _free_candidates(
    starts: list[int],
    length: int,
    blocked: _Intervals,
    optional: Sequence[tuple[str, _Intervals]],
) -> list[_Candidate]:
    candidates = []
    for start in starts:
        end = start + length
        if blocked.is_free(start, end):
            free = tuple(key for key, busy in optional if busy.is_free(start, end))
            candidates.append(_Candidate(start, end, free))
    return candidates


def _spread(ranked: Iterable[_Candidate], limit: int) -> list[_Candidate]:
    """The best candidates in rank order, skipping any that overlaps one already chosen."""
    chosen: list[_Candidate] = []
    for candidate in ranked:
        if all(candidate.end <= c.start or c.end <= candidate.start for c in chosen):
            chosen.append(candidate)
            if len(chosen) == limit:
                break
    return chosen


def _blocked(
    required: Sequence[tuple[str, _Intervals]], starts: list[int], length: int
) -> SlotSearch:
    """No candidate has every required attendee free: say who is busy the whole period."""
    blocking = tuple(key for key, busy in required if _busy_throughout(busy, starts, length))
    if len(blocking) == 1:
        who = "1 verplichte deelnemer is"
    elif blocking:
        who = f"{len(blocking)} verplichte deelnemers zijn"
    else:
        return SlotSearch(
            [],
            f"{_NO_SLOT}: de {len(required)} verplichte deelnemers zijn binnen de werktijden "
            "van de gekozen periode nooit tegelijk vrij. Kies een langere periode of maak een "
            "deelnemer optioneel.",
        )
    return SlotSearch(
        [],
        f"{_NO_SLOT}: {who} de hele periode bezet. Kies een andere periode of maak "
        f"{'deze deelnemer' if len(blocking) == 1 else 'hen'} optioneel.",
        blocking,
    )


def _busy_throughout(busy: _Intervals, starts: list[int], length: int) -> bool:
    return not any(busy.is_free(start, start + length) for start in starts)


def _slot(candidate: _Candidate, optional_keys: Sequence[str]) -> Slot:
    free = set(candidate.optional_free)
    return Slot(
        start=_instant(candidate.start),
        end=_instant(candidate.end),
        optional_free=candidate.optional_free,
        optional_busy=tuple(key for key in optional_keys if key not in free),
    )


def _working_days(window_start: datetime, window_end: datetime, hours: _Hours) -> Iterator[date]:
    """The working days whose working hours overlap the window."""
    day, last = local(window_start).date(), local(window_end).date()
    while day <= last:
        if (
            is_working_day(day)
            and hours.opening(day) < window_end
            and window_start < hours.closing(day)
        ):
            yield day
        day += timedelta(days=1)


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _us(instant: datetime) -> int:
    return (instant - _EPOCH) // _MICROSECOND


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _dutch(duration: timedelta) -> str:
    """A duration as Dutch text: "45 minuten", "2 uur", "1 uur en 30 minuten"."""
    hours, minutes = divmod(duration // timedelta(minutes=1), 60)
    parts = [f"{hours} uur"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} {'minuut' if minutes == 1 else 'minuten'}")
    return " en ".join(parts)
