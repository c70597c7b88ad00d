"""A small event hook: domains above cases (escalation) react to case changes without
cases importing them. Handlers run inside the transaction of the change, so what they
write commits or rolls back with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from casetafel.access.policy import Actor


@dataclass(frozen=True)
class CaseEvent:
    kind: Literal["created", "updated", "closed"]
    case_id: int
    actor: Actor | None
    # {"field", "old", "new"} per changed field, as in the timeline (identity masked).
    changes: tuple[dict[str, Any], ...] = field(default=())

    @property
    def changed(self) -> frozenset[str]:
        return frozenset(change["field"] for change in self.changes)

    def added(self, list_field: str) -> set[str]:
        """Items a list field (categories, participants) gained with this change."""
        for change in self.changes:
            if change["field"] == list_field:
                return set(change["new"] or []) - set(change["old"] or [])
        return set()


Handler = Callable[[CaseEvent], Awaitable[None]]
_handlers: dict[str, Handler] = {}


def subscribe(name: str, handler: Handler) -> None:
    """Register (or replace) the handler called `name`."""
    _handlers[name] = handler


async def publish(event: CaseEvent) -> None:
    for handler in list(_handlers.values()):
        await handler(event)
