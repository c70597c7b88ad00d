"""From the planning and meeting forms to service values, with Dutch messages per field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from casetafel import clock
from casetafel.cases.forms import single
from casetafel.meetings.queries import choice_of
from casetafel.meetings.service import AttendeeChoice

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
REPEATS = {
    "none": "Eenmalig",
    "weekly": "Elke week op deze dag",
    "monthly": "Elke maand op deze weekdag (bijvoorbeeld de eerste dinsdag)",
}


@dataclass(frozen=True)
class PlanForm:
    """The planning form as posted: kept as text so that it can be shown again."""

    raw: dict[str, Any]

    def get(self, name: str) -> str:
        return single(self.raw, name)

    def invited(self) -> list[str]:
        value = self.raw.get("invite", [])
        return [value] if isinstance(value, str) else [v for v in value if v]

    def role(self, key: str) -> str:
        return self.get(f"role_{key}") or "required"


def attendee_choices(form: PlanForm, errors: dict[str, str]) -> list[AttendeeChoice]:
    found: list[AttendeeChoice] = []
    for key in form.invited():
        choice = choice_of(key, form.role(key))
        if choice is None:
            errors["attendees"] = "Een gekozen deelnemer bestaat niet (meer)."
            continue
        found.append(choice)
    return found


def parse_date(text: str, field: str, errors: dict[str, str]) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "Vul een geldige datum in (dd-mm-jjjj)."
        return None


def parse_time(text: str, field: str, errors: dict[str, str]) -> time | None:
    text = text.strip()
    try:
        return time.fromisoformat(text) if text else None
    except ValueError:
        errors[field] = "Vul een geldige tijd in, bijvoorbeeld 10:30."
        return None


def moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clock.AMSTERDAM)


def chosen_times(form: PlanForm, errors: dict[str, str]) -> tuple[datetime, datetime] | None:
    """The slot picked from the proposals, or the date and times typed in."""
    duration = minutes(form, errors)
    slot = form.get("slot")
    if slot:
        try:
            start = datetime.fromisoformat(slot)
        except ValueError:
            errors["slot"] = "Kies een van de voorgestelde tijdstippen."
            return None
        if start.tzinfo is None:
            errors["slot"] = "Kies een van de voorgestelde tijdstippen."
            return None
        return start, start + (duration or timedelta(hours=1))
    return typed_times(form.get("date"), form.get("start_time"), form.get("end_time"), errors)


def typed_times(
    day_text: str, start_text: str, end_text: str, errors: dict[str, str], prefix: str = ""
) -> tuple[datetime, datetime] | None:
    day = parse_date(day_text, f"{prefix}date", errors)
    start = parse_time(start_text, f"{prefix}start_time", errors)
    end = parse_time(end_text, f"{prefix}end_time", errors)
    if day is None and f"{prefix}date" not in errors:
        errors[f"{prefix}date"] = "Kies een voorgesteld tijdstip, of vul een datum in."
    if start is None and f"{prefix}start_time" not in errors:
        errors[f"{prefix}start_time"] = "Vul een begintijd in."
    if end is None and f"{prefix}end_time" not in errors:
        errors[f"{prefix}end_time"] = "Vul een eindtijd in."
    if day is None or start is None or end is None:
        return None
    return moment(day, start), moment(day, end)


def minutes(form: PlanForm, errors: dict[str, str]) -> timedelta | None:
    text = form.get("duration")
    if not text.isdigit() or not 15 <= int(text) <= 480:
        errors["duration"] = "Kies een duur van 15 tot 480 minuten."
        return None
    return timedelta(minutes=int(text))


def window(form: PlanForm, errors: dict[str, str]) -> tuple[datetime, datetime] | None:
    start = parse_date(form.get("window_start"), "window_start", errors) or clock.today()
    end = parse_date(form.get("window_end"), "window_end", errors)
    if end is None:
        if "window_end" not in errors:
            errors["window_end"] = "Vul in tot wanneer casetafel mag zoeken."
        return None
    return moment(start, time(0)), moment(end + timedelta(days=1), time(0))


def rrule_of(form: PlanForm, start: datetime | None, errors: dict[str, str]) -> str | None:
    """Weekly on the start's weekday, or monthly on its n-th weekday (the last one when the
    start falls in the month's last week), until the date given (if any)."""
    repeat = form.get("repeat")
    if repeat in ("", "none"):
        return None
    if repeat not in REPEATS:
        errors["repeat"] = "Kies eenmalig, wekelijks of maandelijks."
        return None
    if start is None:
        return None
    local_start = clock.local(start)
    weekday = local_start.weekday()
    if weekday > 4:
        errors["repeat"] = "Een vast overleg valt op een werkdag."
        return None
    if repeat == "weekly":
        rule = f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]}"
    else:
        nth = (local_start.day - 1) // 7 + 1
        rule = f"FREQ=MONTHLY;BYDAY={nth if nth < 5 else -1}{WEEKDAYS[weekday]}"
    until = parse_date(form.get("until"), "until", errors)
    if until is not None:
        last = moment(until + timedelta(days=1), time(0)).astimezone(UTC)
        rule += f";UNTIL={last:%Y%m%dT%H%M%SZ}"
    return rule
