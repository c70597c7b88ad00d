"""Field values as Dutch text, for the timeline, the case page and the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

from casetafel.access.policy import Sensitivity, current
from casetafel.cases.fields import FIELD_CLASSES
from casetafel.cases.vocabulary import (
    CATEGORIES,
    CONDITION_STATES,
    LEGAL_FRAMEWORKS,
    RELEASE_CERTAINTIES,
)
from casetafel.organisations.service import Directory

HIDDEN = "[afgeschermd]"


def format_date(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else "—"


def display(field: str, value: Any, directory: Directory) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, date):
        return format_date(value)
    if field == "categories":
        return ", ".join(CATEGORIES.get(v, v) for v in value)
    if field in {"home_municipality", "receiving_municipality"}:
        municipality = directory.municipality_by_code(value)
        return municipality.name if municipality else str(value)
    if field in {"process_lead", "case_lead"}:
        organisation = directory.organisation_by_key(value)
        return organisation.name if organisation else str(value)
    if field == "participants":
        names = [directory.organisation_by_key(k) for k in value]
        return ", ".join(o.name if o else k for o, k in zip(names, value, strict=True))
    if field == "legal_bases":
        bases = current().bases
        return ", ".join(bases[k].label if k in bases else k for k in value)
    if field == "legal_framework":
        return str(LEGAL_FRAMEWORKS.get(value, value))
    if field == "release_certainty":
        return str(RELEASE_CERTAINTIES.get(value, value))
    if field.endswith("_state"):
        return str(CONDITION_STATES.get(value, value))
    return str(value)


def loggable(field: str, value: Any) -> Any:
    """A value as it may be written to the timeline and the audit log: identity masked."""
    if FIELD_CLASSES.get(field) is Sensitivity.IDENTITY:
        return HIDDEN if value not in (None, "") else None
    if isinstance(value, date):
        return value.isoformat()
    return value
