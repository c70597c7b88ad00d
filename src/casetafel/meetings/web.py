"""The MeetingContext of a request, for the meetings domain's controllers."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from casetafel.meetings.context import MeetingContext


def context(request: Request[Any, Any, State]) -> MeetingContext:
    state = request.app.state
    return MeetingContext(
        settings=state.settings,
        meetings=state.meetings,
        escalation=state.escalation,
        directory=state.directory,
    )
