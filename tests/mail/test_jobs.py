"""The scheduled sender: registered with the app's scheduler, drains the queue, never raises."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from casetafel.mail import jobs
from casetafel.mail.models import OutboxMessage
from tests.mail.conftest import queue_mails


def test_the_sender_runs_every_interval(settings) -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs.register(scheduler, settings)
    job = scheduler.get_job("mail.send_outbox")
    assert job is not None
    assert job.trigger.interval.total_seconds() == settings.mail_send_interval_seconds


async def test_a_run_drains_more_than_one_batch(clean, mail_settings, smtp_server, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 4)
    await queue_mails(10)
    await jobs.send_outbox(mail_settings)
    assert len(smtp_server.recorder.received) == 10
    assert await OutboxMessage.count().where(OutboxMessage.state == "sent") == 10


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_failing_run_is_logged_and_does_not_raise(mail_settings, monkeypatch):
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database weg")

    monkeypatch.setattr(jobs, "send_due", broken)
    collect = Collect()
    jobs.log.addHandler(collect)
    try:
        await jobs.send_outbox(mail_settings)
    finally:
        jobs.log.removeHandler(collect)
    [record] = collect.records
    assert "sending the outbox failed" in record.getMessage()
    assert record.exc_info is not None and "database weg" in str(record.exc_info[1])
