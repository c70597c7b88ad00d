"""The occurrences of a meeting: one for a single meeting, those of its RRULE for a series,
with moved and cancelled occurrences applied. Series run in Europe/Amsterdam wall time, so
a weekly 10:00 stays 10:00 across the DST changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from dateutil.rrule import rrule as RRule
from dateutil.rrule import rruleset, rrulestr

from casetafel.clock import AMSTERDAM

# Never expand further than this many occurrences (an open-ended weekly series over ten
# years is 520): a guard against a runaway rule, not a limit users meet.
MAX_OCCURRENCES = 1000


class RecurrenceError(ValueError):
    """An RRULE casetafel cannot use; the message is Dutch."""


@dataclass(frozen=True)
class Override:
    recurrence_id: datetime
    start_at: datetime
    end_at: datetime
    status: str
    sequence: int


@dataclass(frozen=True)
class OccurrenceTime:
    """One occurrence: `recurrence_id` is its original start (None for a single meeting)."""

    recurrence_id: datetime | None
    start_at: datetime
    end_at: datetime
    status: str
    sequence: int


def check_rrule(rrule: str, start: datetime) -> None:
    """Refuse a rule that is not a plain weekly or monthly repetition."""
    text = rrule.strip().upper()
    if not text.startswith("FREQ=") or "\n" in text:
        raise RecurrenceError("Ongeldige herhaling: gebruik bijvoorbeeld FREQ=WEEKLY;BYDAY=TU.")
    parts = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if parts.get("FREQ") not in {"WEEKLY", "MONTHLY"}:
        raise RecurrenceError("Een vast overleg herhaalt zich wekelijks of maandelijks.")
    try:
        _rule(rrule, start)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"Ongeldige herhaling ({exc}).") from exc


def occurrences(
    start_at: datetime,
    end_at: datetime,
    rrule: str | None,
    overrides: Iterable[Override],
    window_start: datetime,
    window_end: datetime,
    *,
    base_sequence: int = 0,
) -> list[OccurrenceTime]:
    """The occurrences that overlap [window_start, window_end), in time order."""
    if rrule is None:
        if start_at < window_end and end_at > window_start:
            return [OccurrenceTime(None, start_at, end_at, "planned", base_sequence)]
        return []
    duration = end_at - start_at
    by_id = {override.recurrence_id: override for override in overrides}
    found: list[OccurrenceTime] = []
    for original in _originals(rrule, start_at, window_start - duration, window_end):
        override = by_id.pop(original, None)
        if override is None:
            found.append(
                OccurrenceTime(original, original, original + duration, "planned", base_sequence)
            )
        else:
            found.append(_overridden(override))
    # Occurrences moved into the window from an original start outside it.
    for override in by_id.values():
        found.append(_overridden(override))
    inside = [o for o in found if o.start_at < window_end and o.end_at > window_start]
    return sorted(inside, key=lambda o: o.start_at)


def is_occurrence(start_at: datetime, rrule: str, candidate: datetime) -> bool:
    """Whether `candidate` is an original start of the series."""
    return candidate in _originals(rrule, start_at, candidate, candidate)


def series_end(start_at: datetime, end_at: datetime, rrule: str) -> datetime | None:
    """The end of the last occurrence, or None for an open-ended (or very long) series."""
    moments = list(islice(_rule(rrule, start_at), MAX_OCCURRENCES + 1))
    if not moments or len(moments) > MAX_OCCURRENCES:
        return None
    return moments[-1].astimezone(UTC) + (end_at - start_at)


def _originals(
    rrule: str, start_at: datetime, window_start: datetime, window_end: datetime
) -> list[datetime]:
    rule = _rule(rrule, start_at)
    local_from = window_start.astimezone(AMSTERDAM)
    local_to = window_end.astimezone(AMSTERDAM)
    moments = rule.between(local_from, local_to, inc=True)[:MAX_OCCURRENCES]
    return [moment.astimezone(UTC) for moment in moments]


def _rule(rrule: str, start_at: datetime) -> RRule | rruleset:
    # A timezone-aware DTSTART: dateutil then keeps the wall time (zoneinfo gives each date its
    # own offset), and an UNTIL in UTC is accepted as RFC 5545 wants.
    return rrulestr(rrule, dtstart=start_at.astimezone(AMSTERDAM))


def _overridden(override: Override) -> OccurrenceTime:
    return OccurrenceTime(
        override.recurrence_id,
        override.start_at,
        override.end_at,
        override.status,
        override.sequence,
    )
