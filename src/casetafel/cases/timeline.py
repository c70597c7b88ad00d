"""The case timeline: written with every change, rendered per reader.

A reader sees only what their sensitivity classes allow: the lines of a change per field, and
for an update the summary too, made at read time from the changed fields in the details (the
stored "Gewijzigd: <labels>" would name fields the reader may not see). An update of hidden
fields only still shows, neutrally: that the case changed is process information (its version
and date of change show anyway), and an entry that vanishes would make the timeline lie about
who acted when.
"""

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

UPDATED = "updated"
HIDDEN_CHANGE = "Gewijzigd: gegevens die u niet mag inzien"
# Events whose summary itself tells something of one class (a rule that set a housing
# condition speaks of the basisvoorwaarden).
SUMMARY_CLASSES = {"rule.housing_condition": Sensitivity.BASIC_CONDITIONS}


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
    changes = [c for c in details.get("changes", []) if FIELD_CLASSES.get(c["field"]) in visible]
    lines = [_describe(c["field"], c["old"], c["new"], directory) for c in changes]
    if details.get("casework") and Sensitivity.CASEWORK in visible:
        lines.append(details["casework"])
    return TimelineEntry(
        at=row["at"],
        kind=row["kind"],
        actor_name=row["actor.display_name"] or "casetafel",
        summary=_summary(row["kind"], row["summary"], changes, visible),
        lines=tuple(lines),
    )


def _summary(
    kind: str, stored: str, visible_changes: list[dict[str, Any]], visible: frozenset[Sensitivity]
) -> str:
    if kind == UPDATED:
        labels = [FIELD_LABELS.get(c["field"], c["field"]) for c in visible_changes]
        return f"Gewijzigd: {', '.join(labels)}" if labels else HIDDEN_CHANGE
    if kind in SUMMARY_CLASSES and SUMMARY_CLASSES[kind] not in visible:
        return HIDDEN_CHANGE
    return stored


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
