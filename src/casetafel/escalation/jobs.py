"""Scheduled work of the escalation engine: the sweep, every minute in every app instance
(the database decides who acts on what, see sweep.py)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.sweep import sweep

log = logging.getLogger("casetafel.sweep")
SWEEP_SECONDS = 60


def register(scheduler: AsyncIOScheduler, config: EscalationConfig) -> None:
    async def run() -> None:
        try:
            report = await sweep(config)
        except Exception:
            log.exception("sweep failed; the next run tries again")
            return
        if report.acted:
            log.info("sweep: %s deadlines acted on, %s escalations", report.acted, report.escalated)

    scheduler.add_job(run, "interval", seconds=SWEEP_SECONDS, id="escalation.sweep")
