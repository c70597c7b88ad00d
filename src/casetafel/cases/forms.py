"""From HTML form data to field values, and back: the bridge between forms and the service."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from casetafel.access.policy import Sensitivity
from casetafel.cases.fields import FIELD_CLASSES
from casetafel.cases.models import BASIC_CONDITIONS

LIST_FIELDS = {"categories", "participants", "legal_bases"}
DATE_FIELDS = {"subject_birth_date", "release_date", "bij_notice_date"}
CONDITION_FIELDS = (
    *(f"{name}_{part}" for name in BASIC_CONDITIONS for part in ("state", "note")),
    "housing_requirement",
)
# Fields on the main case form; the basic conditions have their own checklist form.
CASE_FORM_FIELDS = tuple(f for f in FIELD_CLASSES if f not in CONDITION_FIELDS)

_DUTCH_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


def form_values(
    form: dict[str, Any], fields: tuple[str, ...], visible: frozenset[Sensitivity]
) -> dict[str, Any]:
    """The posted values of `fields` the actor may see; absent checkboxes mean none ticked."""
    values: dict[str, Any] = {}
    for name in fields:
        if FIELD_CLASSES[name] not in visible:
            continue
        raw = form.get(name)
        if name in LIST_FIELDS:
            items = [raw] if isinstance(raw, str) else list(raw or [])
            values[name] = [item for item in items if item]
        elif isinstance(raw, list):
            values[name] = raw[-1]
        elif name in DATE_FIELDS:
            values[name] = _date_text(raw or "")
        else:
            values[name] = (raw or "").strip()
    return values


def _date_text(text: str) -> str:
    """Accept 31-12-2026 as well as 2026-12-31 (a browser without a date picker)."""
    match = _DUTCH_DATE.fullmatch(text.strip())
    if match:
        day, month, year = (int(x) for x in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return text
    return text.strip()


def as_form(values: dict[str, Any]) -> dict[str, Any]:
    """Field values as the form shows them: dates ISO, None as empty."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, date):
            shown[name] = value.isoformat()
        elif value is None:
            shown[name] = [] if name in LIST_FIELDS else ""
        else:
            shown[name] = value
    return shown


def single(form: dict[str, Any], name: str) -> str:
    raw = form.get(name, "")
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return str(raw).strip()


def version(form: dict[str, Any]) -> int | None:
    text = single(form, "version")
    return int(text) if text.isdigit() else None
