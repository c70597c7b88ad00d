"""A meeting's title, location and video link go out in every invite: they may not name the
subject of a case on its agenda, by name or by birth date."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from casetafel.cases.models import Case

FIELDS = {"title": "De titel", "location": "De locatie", "video_url": "De videolink"}
# dd-mm-jjjj and d-m-jjjj (also with / or .), and jjjj-mm-dd.
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
# Name parts this short ("van", "de", "J.") would match far too much.
_MIN_PART = 4


def personal_data_errors(texts: Mapping[str, str], cases: Iterable[Case]) -> dict[str, str]:
    """A Dutch error per field (title, location, video_url) that names a subject."""
    return {
        field: f"{FIELDS[field]} noemt de betrokkene van casus {case.reference} (naam of "
        "geboortedatum). Uitnodigingen gaan per e-mail: gebruik alleen het kenmerk."
        for field, case in fields_naming(texts, cases).items()
    }


def fields_naming(texts: Mapping[str, str], cases: Iterable[Case]) -> dict[str, Case]:
    """The fields that name the subject of one of the cases, with that case."""
    subjects = list(cases)
    found: dict[str, Case] = {}
    for field, text in texts.items():
        case = next((case for case in subjects if names_subject(text, case)), None)
        if case is not None:
            found[field] = case
    return found


def names_subject(text: str, case: Case) -> bool:
    return _names(text, case.subject_name or "") or _has_date(text, _as_date(case))


def _names(text: str, name: str) -> bool:
    lowered, name = text.lower(), name.lower().strip()
    if not name:
        return False
    parts = [part for part in name.replace(".", " ").split() if len(part) >= _MIN_PART]
    return name in lowered or any(part in lowered for part in parts)


def _has_date(text: str, birth: date | None) -> bool:
    if birth is None:
        return False
    found = [(int(y), int(m), int(d)) for d, m, y in _DAY_FIRST.findall(text)]
    found += [(int(y), int(m), int(d)) for y, m, d in _YEAR_FIRST.findall(text)]
    return (birth.year, birth.month, birth.day) in found


def _as_date(case: Case) -> date | None:
    value = case.subject_birth_date
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))  # SQLite may hand back the ISO text
