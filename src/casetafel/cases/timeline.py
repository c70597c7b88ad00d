"""The case timeline: written with every change, rendered per reader."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from casetafel import clock
from casetafel.access.policy import Actor, Sensitivity
from casetafel.cases.fields import FIELD_CLASSES, FIELD_LABELS
from casetafel.cases.models import TimelineEvent
from casetafel.cases.presentation import HIDDEN, display
from casetafel.organisations.service import Directory


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor_name: str
    summary: str
    lines: tuple[str, ...]


async def add(
    case_id: int,
    kind: str,
    summary: str,
    actor: Actor | None,
    changes: list[dict[str, Any]] | None = None,
    *,
    casework: str = "",
) -> None:
    """Write one event; `changes` holds {"field", "old", "new"} with loggable values.
    `summary` is shown to every reader of the case, so it names no person; free text a
    professional wrote (a note, a decision) goes in `casework`, for readers of casework."""
    details: dict[str, Any] = {"changes": changes or []}
    if casework:
        details["casework"] = casework
    await TimelineEvent(
        case=case_id,
        at=clock.now(),
        kind=kind,
        actor=actor.user_id if actor else None,
        summary=summary,
        details=json.dumps(details, default=str),
    ).save()


async def entries(
    case_id: int, visible: frozenset[Sensitivity], directory: Directory
) -> list[TimelineEntry]:
    rows = await (
        TimelineEvent.select(
            TimelineEvent.at,
            TimelineEvent.kind,
            TimelineEvent.summary,
            TimelineEvent.details,
            TimelineEvent.actor.display_name,
        )
        .where(TimelineEvent.case == case_id)
        .order_by(TimelineEvent.at, ascending=False)
        .order_by(TimelineEvent.id, ascending=False)
    )
    return [_entry(row, visible, directory) for row in rows]


def _entry(
    row: dict[str, Any], visible: frozenset[Sensitivity], directory: Directory
) -> TimelineEntry:
    details = json.loads(row["details"]) if isinstance(row["details"], str) else row["details"]
    lines = []
    for change in details.get("changes", []):
        field = change["field"]
        if FIELD_CLASSES.get(field) not in visible:
            continue
        lines.append(_describe(field, change["old"], change["new"], directory))
    if details.get("casework") and Sensitivity.CASEWORK in visible:
        lines.append(details["casework"])
    return TimelineEntry(
        at=row["at"],
        kind=row["kind"],
        actor_name=row["actor.display_name"] or "casetafel",
        summary=row["summary"],
        lines=tuple(lines),
    )


def _describe(field: str, old: Any, new: Any, directory: Directory) -> str:
    label = FIELD_LABELS.get(field, field)
    if HIDDEN in (old, new):
        return f"{label} gewijzigd"
    before = display(field, _revive(old), directory)
    after = display(field, _revive(new), directory)
    return f"{label}: {before} → {after}"


def _revive(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value
