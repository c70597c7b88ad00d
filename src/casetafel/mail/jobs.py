"""Scheduled work of mail: the outbox is sent every mail_send_interval_seconds."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from casetafel.mail.sender import send_due
from casetafel.settings import Settings

log = logging.getLogger("casetafel.mail")

BATCH_SIZE = 50
# Batches per run when the queue is long; the next run continues with the rest.
MAX_BATCHES = 20


async def send_outbox(settings: Settings) -> None:
    """Send what is due. Never raises: a failed run is logged and the next one tries again
    (the database holds all state, so nothing is lost)."""
    try:
        for _ in range(MAX_BATCHES):
            report = await send_due(settings, batch_size=BATCH_SIZE)
            if report.sent or report.retried or report.dead:
                log.info(
                    "mail: %d sent, %d to retry, %d dead",
                    len(report.sent),
                    len(report.retried),
                    len(report.dead),
                )
            if report.claimed < BATCH_SIZE or report.postponed:
                return
    except Exception:
        log.exception("mail: sending the outbox failed; the next run tries again")


def register(scheduler: AsyncIOScheduler, settings: Settings) -> None:
    scheduler.add_job(
        send_outbox,
        "interval",
        seconds=settings.mail_send_interval_seconds,
        args=[settings],
        id="mail.send_outbox",
    )
