"""Scheduled work of the meetings domain: a reminder round every five minutes in every app
instance. The outbox's idempotency keys keep instances that run at once from sending a
reminder twice; what is due comes from the database, so a round after downtime catches up."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from litestar.datastructures import State

from casetafel.escalation.setup import load_config
from casetafel.ladder import load_ladder
from casetafel.meetings.config import load_meetings
from casetafel.meetings.context import MeetingContext
from casetafel.meetings.reminders import send_reminders
from casetafel.organisations.service import load_directory
from casetafel.settings import Settings

log = logging.getLogger("casetafel.meetings")
REMINDER_SECONDS = 300

ContextFactory = Callable[[], MeetingContext]


async def remind(ctx_factory: ContextFactory) -> None:
    """One reminder round. Never raises: a failed round is logged and the next one tries
    again (the database holds all state, so nothing is lost)."""
    try:
        queued = await send_reminders(ctx_factory())
    except Exception:
        log.exception("reminders failed; the next round tries again")
        return
    if queued:
        log.info("reminders: %d queued", queued)


def register(scheduler: AsyncIOScheduler, ctx_factory: ContextFactory) -> None:
    scheduler.add_job(
        remind,
        "interval",
        seconds=REMINDER_SECONDS,
        args=[ctx_factory],
        id="meetings.reminders",
    )


def from_state(state: State) -> ContextFactory:
    """The app's MeetingContext, read when a round starts (the lifespan fills the directory)."""

    def factory() -> MeetingContext:
        return MeetingContext(
            settings=state.settings,
            meetings=state.meetings,
            escalation=state.escalation,
            directory=state.directory,
        )

    return factory


async def context_for(settings: Settings) -> MeetingContext:
    """A MeetingContext outside the app (the command line), from the configuration files."""
    ladder = load_ladder(settings.config_dir)
    return MeetingContext(
        settings=settings,
        meetings=load_meetings(settings.config_dir, ladder),
        escalation=load_config(settings.config_dir),
        directory=await load_directory(),
    )
