"""The Jinja2 environment: template folders of every domain, Dutch date filters, labels."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from casetafel import clock
from casetafel.access.policy import current as current_policy
from casetafel.cases import vocabulary
from casetafel.cases.fields import FIELD_LABELS

MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


def date_nl(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else "—"


def date_long(value: date | None) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}" if value else "—"


def datetime_nl(value: datetime | None) -> str:
    return clock.local(value).strftime("%d-%m-%Y %H:%M") if value else "—"


def iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def template_config(folders: list[Path]) -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 with the domains' template folders (handed over by the app factory)."""
    environment = Environment(
        loader=FileSystemLoader([str(d) for d in folders if d.is_dir()]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        date_nl=date_nl, date_long=date_long, datetime_nl=datetime_nl, iso=iso
    )
    globals_: dict[str, Any] = {
        "CATEGORIES": vocabulary.CATEGORIES,
        "LEGAL_FRAMEWORKS": vocabulary.LEGAL_FRAMEWORKS,
        "RELEASE_CERTAINTIES": vocabulary.RELEASE_CERTAINTIES,
        "CONDITION_STATES": vocabulary.CONDITION_STATES,
        "BASIC_CONDITION_LABELS": vocabulary.BASIC_CONDITION_LABELS,
        "STATUSES": vocabulary.STATUSES,
        "OUTCOMES": vocabulary.OUTCOMES,
        "LEGAL_BASES": current_policy().bases,
        "FIELD_LABELS": FIELD_LABELS,
    }
    environment.globals.update(globals_)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))
