"""The editable fields of a case: their sensitivity class, Dutch label, and validation.

Values are plain Python (str, date, list[str], None); municipalities are CBS codes and
organisations their keys, so the same values serve the forms, the API and the audit log.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from casetafel.access.policy import Sensitivity, current
from casetafel.cases.models import BASIC_CONDITIONS
from casetafel.cases.vocabulary import (
    BASIC_CONDITION_LABELS,
    CATEGORIES,
    CONDITION_STATES,
    LEGAL_FRAMEWORKS,
    RELEASE_CERTAINTIES,
)
from casetafel.errors import ValidationFailed
from casetafel.organisations.service import Directory

MAX_NAME = 200
MAX_NOTES = 4000
MAX_CONDITION_NOTE = 500
MAX_HOUSING_REQUIREMENT = 300
# A release this long ago is a typing error, not a case still to arrange.
MAX_RELEASE_PAST = timedelta(days=90)
MAX_RELEASE_FUTURE = timedelta(days=366 * 15)

PROCESS, IDENTITY, OFFENCE, CONDITIONS, CASEWORK = (
    Sensitivity.PROCESS,
    Sensitivity.IDENTITY,
    Sensitivity.OFFENCE,
    Sensitivity.BASIC_CONDITIONS,
    Sensitivity.CASEWORK,
)

FIELD_CLASSES: dict[str, Sensitivity] = {
    "subject_name": IDENTITY,
    "subject_birth_date": IDENTITY,
    "categories": OFFENCE,
    "home_municipality": PROCESS,
    "receiving_municipality": PROCESS,
    "legal_framework": OFFENCE,
    "release_date": PROCESS,
    "release_certainty": PROCESS,
    "bij_notice_date": OFFENCE,
    "process_lead": PROCESS,
    "case_lead": PROCESS,
    "participants": PROCESS,
    "legal_bases": PROCESS,
    "notes": CASEWORK,
    **{f"{name}_state": CONDITIONS for name in BASIC_CONDITIONS},
    **{f"{name}_note": CONDITIONS for name in BASIC_CONDITIONS},
    "housing_requirement": CONDITIONS,
}

FIELD_LABELS: dict[str, str] = {
    "subject_name": "Naam betrokkene",
    "subject_birth_date": "Geboortedatum betrokkene",
    "categories": "Categorieën",
    "home_municipality": "Herkomstgemeente",
    "receiving_municipality": "Ontvangende gemeente",
    "legal_framework": "Justitieel kader",
    "release_date": "Datum terugkeer",
    "release_certainty": "Zekerheid datum terugkeer",
    "bij_notice_date": "Datum BIJ-melding",
    "process_lead": "Procesregie",
    "case_lead": "Casusregie",
    "participants": "Betrokken organisaties",
    "legal_bases": "Grondslagen voor gegevensdeling",
    "notes": "Toelichting",
    **{f"{n}_state": f"{label}: status" for n, label in BASIC_CONDITION_LABELS.items()},
    **{f"{n}_note": f"{label}: notitie" for n, label in BASIC_CONDITION_LABELS.items()},
    "housing_requirement": "Huisvesting: voorwaarde",
}

EDITABLE_FIELDS = tuple(FIELD_CLASSES)
REQUIRED_FIELDS = ("categories", "home_municipality", "legal_framework", "release_certainty")


def validate(
    values: dict[str, Any],
    directory: Directory,
    today: date,
    stored_release: date | None = None,
) -> dict[str, Any]:
    """Check a complete set of field values; return them normalised or raise ValidationFailed.
    `stored_release` is the release date already saved: a case released long ago stays
    editable, only a newly typed date is checked against the 90 days."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field in EDITABLE_FIELDS:
        try:
            clean[field] = _check(field, values.get(field), directory, today)
        except ValueError as problem:
            errors[field] = str(problem)
    if not errors:
        _check_release(clean, today, errors, stored_release)
        if not clean["legal_bases"]:
            clean["legal_bases"] = current().default_bases(clean["categories"])
    if errors:
        raise ValidationFailed(errors)
    return clean


def _check(field: str, value: Any, directory: Directory, today: date) -> Any:
    if field in REQUIRED_FIELDS and value in (None, "", []):
        raise ValueError(f"{FIELD_LABELS[field]} is verplicht.")
    if field == "subject_name":
        return _optional_text(value, MAX_NAME)
    if field == "subject_birth_date":
        birth = _optional_date(value)
        if birth and not (date(1900, 1, 1) <= birth <= today):
            raise ValueError("Geboortedatum moet tussen 1900 en vandaag liggen.")
        return birth
    if field == "categories":
        return _choices(value, CATEGORIES, "categorie")
    if field in {"home_municipality", "receiving_municipality"}:
        return _municipality(value, directory)
    if field == "legal_framework":
        return _choice(value, LEGAL_FRAMEWORKS)
    if field == "release_certainty":
        return _choice(value, RELEASE_CERTAINTIES)
    if field == "release_date":
        return _optional_date(value)
    if field == "bij_notice_date":
        notice = _optional_date(value)
        if notice and notice > today:
            raise ValueError("Een BIJ-melding kan niet in de toekomst liggen.")
        return notice
    if field in {"process_lead", "case_lead"}:
        return _organisation(value, directory)
    if field == "participants":
        keys = _string_list(value)
        for key in keys:
            _organisation(key, directory)
        return sorted(set(keys))
    if field == "legal_bases":
        case_bases = [basis.key for basis in current().case_bases()]
        chosen = _choices(value, {key: key for key in case_bases}, "grondslag")
        return [key for key in case_bases if key in chosen]
    if field == "notes":
        return _optional_text(value, MAX_NOTES) or ""
    if field == "housing_requirement":
        return _optional_text(value, MAX_HOUSING_REQUIREMENT) or ""
    if field.endswith("_state"):
        return _choice(value if value not in (None, "") else "unknown", CONDITION_STATES)
    if field.endswith("_note"):
        return _optional_text(value, MAX_CONDITION_NOTE) or ""
    raise AssertionError(field)


def _check_release(
    clean: dict[str, Any], today: date, errors: dict[str, str], stored: date | None
) -> None:
    certainty, release = clean["release_certainty"], clean["release_date"]
    if certainty == "immediate" and release is None:
        clean["release_date"] = today
        return
    if certainty in {"known", "expected"} and release is None:
        errors["release_date"] = "Vul de datum terugkeer in, of kies zekerheid 'Onbekend'."
    elif release and release != stored and release < today - MAX_RELEASE_PAST:
        errors["release_date"] = (
            "De datum terugkeer ligt meer dan 90 dagen in het verleden. Controleer de datum."
        )
    elif release and release > today + MAX_RELEASE_FUTURE:
        errors["release_date"] = "De datum terugkeer ligt te ver in de toekomst."


def _optional_text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("Vul tekst in.")
    text = value.strip()
    if len(text) > limit:
        raise ValueError(f"Maximaal {limit} tekens (nu {len(text)}).")
    return text or None


def _optional_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("Vul een geldige datum in (dd-mm-jjjj).")


def _choice(value: Any, options: dict[str, str]) -> str:
    if value not in options:
        raise ValueError(f"Kies een van: {', '.join(options.values())}.")
    return str(value)


def _string_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("Verwacht een lijst van waarden.")
    return list(value)


def _choices(value: Any, options: dict[str, str], noun: str) -> list[str]:
    keys = _string_list(value)
    unknown = [key for key in keys if key not in options]
    if unknown:
        raise ValueError(f"Onbekende {noun}: {', '.join(unknown)}.")
    return sorted(set(keys))


def _municipality(value: Any, directory: Directory) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or directory.municipality_by_code(value.strip()) is None:
        raise ValueError(f"Onbekende gemeente {value!r}: gebruik een CBS-code zoals GM0392.")
    return value.strip()


def _organisation(value: Any, directory: Directory) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or directory.organisation_by_key(value) is None:
        raise ValueError(f"Onbekende organisatie {value!r}.")
    return value
