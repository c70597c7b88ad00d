"""Sections that domains above cases (escalation, later meetings and plans) add to the case
page and the dashboard, without cases importing them: each registers a provider that
returns a template and its context, or None when it has nothing to show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from casetafel.access.policy import Actor


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FormState:
    """A form of one section posted with problems: shown again with them at the fields."""

    form: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    problem: str = ""
    posted: dict[str, str] = field(default_factory=dict)


CaseSectionProvider = Callable[[Actor, Any, FormState], Awaitable[Section | None]]
DashboardSectionProvider = Callable[[Actor], Awaitable[Section | None]]

_case_sections: dict[str, CaseSectionProvider] = {}
_dashboard_sections: dict[str, DashboardSectionProvider] = {}


def register_case_section(name: str, provider: CaseSectionProvider) -> None:
    """`provider(actor, case_view, form_state)`; sections show in registration order."""
    _case_sections[name] = provider


def register_dashboard_section(name: str, provider: DashboardSectionProvider) -> None:
    _dashboard_sections[name] = provider


async def case_sections(actor: Actor, case: Any, form: FormState | None = None) -> list[Section]:
    state = form or FormState()
    found = [await provider(actor, case, state) for provider in _case_sections.values()]
    return [section for section in found if section is not None]


async def dashboard_sections(actor: Actor) -> list[Section]:
    found = [await provider(actor) for provider in _dashboard_sections.values()]
    return [section for section in found if section is not None]
