"""Reads of case data that one page view makes in several domains, audit-logged as one
event: inside `one_event`, `read` collects the references; outside it, it logs at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from casetafel import db
from casetafel.access import audit
from casetafel.access.policy import Actor

_collected: ContextVar[dict[str, None] | None] = ContextVar("audit_reads", default=None)


async def read(actor: Actor, action: str, references: Iterable[str]) -> None:
    """Log that the actor was shown these cases (nothing when there are none)."""
    shown = dict.fromkeys(references)
    bucket = _collected.get()
    if bucket is not None:
        bucket.update(shown)
        return
    if shown:
        async with db.transaction():
            await audit.record(actor, action, details={"references": sorted(shown)})


@asynccontextmanager
async def one_event(actor: Actor, action: str) -> AsyncIterator[None]:
    """Every `read` inside becomes part of one event `action` when the block ends."""
    bucket: dict[str, None] = {}
    token = _collected.set(bucket)
    try:
        yield
    finally:
        _collected.reset(token)
    if bucket:
        async with db.transaction():
            await audit.record(actor, action, details={"references": sorted(bucket)})
