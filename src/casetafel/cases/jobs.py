"""Scheduled work of the case register: the retention run, daily in every app instance
(the database decides who anonymises which case, see retention.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from casetafel.cases.retention import Eraser, anonymise_due

log = logging.getLogger("casetafel.retention")


def register(scheduler: AsyncIOScheduler, erasers: Sequence[Eraser]) -> None:
    async def run() -> None:
        try:
            report = await anonymise_due(erasers=erasers)
        except Exception:
            log.exception("retention run failed; tomorrow's run tries again")
            return
        if report.anonymised:
            log.info("retention: %s case(s) anonymised", len(report.anonymised))

    # At night, Amsterdam time. A night the instances were down is made up by the next run:
    # the rows say what is due, and a term of years does not hang on a day.
    scheduler.add_job(
        run,
        "cron",
        hour=3,
        minute=15,
        timezone="Europe/Amsterdam",
        misfire_grace_time=3600,
        coalesce=True,
        id="cases.retention",
    )
