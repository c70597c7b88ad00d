"""The two ways the sweep runs: the APScheduler job every app instance registers, and
`casetafel sweep [--now ISO-TIME]` for cron (on the engine of the test run, SQLite too)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from casetafel.cases import service
from casetafel.escalation import jobs
from tests.conftest import REPO, velsen_case
from tests.escalation.conftest import escalations_of, local, set_now
from tests.test_settings_and_cli import run_cli

# Housing for a release on Friday 15 January 2027 is due at the start of 16 December 2026.
HOUSING_DUE = local(date(2026, 12, 16), 0)


async def new_case(users, directory, ladder):  # type: ignore[no-untyped-def]
    return await service.create_case(
        users.actors["coordinator"], velsen_case(release_date="2027-01-15"), directory, ladder
    )


async def test_the_sweep_job_runs_every_minute_and_acts_on_what_is_due(
    now_is_start, users, directory, ladder, config
):
    case = await new_case(users, directory, ladder)
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs.register(scheduler, config)
    scheduler.start(paused=True)
    try:
        [job] = scheduler.get_jobs()
        assert job.id == "escalation.sweep"
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(seconds=60)
        set_now(HOUSING_DUE - timedelta(minutes=1))
        await job.func()
        assert await escalations_of(case.id) == []
        set_now(HOUSING_DUE)
        await job.func()
        [move] = await escalations_of(case.id)
        assert (move.trigger, move.at) == ("housing", HOUSING_DUE)
    finally:
        scheduler.shutdown(wait=False)


async def test_a_failing_sweep_job_is_logged_and_tried_again_next_time(
    now_is_start, config, monkeypatch, caplog
):
    async def broken(*args: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(jobs, "sweep", broken)
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs.register(scheduler, config)
    [job] = scheduler.get_jobs()
    with caplog.at_level(logging.ERROR, logger="casetafel.sweep"):
        await job.func()  # does not raise: the scheduler keeps the job
    assert "sweep failed; the next run tries again" in caplog.text
    assert "database gone" in caplog.text


async def sweep_cli(database_url: str, *args: str):  # type: ignore[no-untyped-def]
    return await asyncio.to_thread(
        run_cli, "sweep", *args, config_dir=REPO / "config", CASETAFEL_DATABASE_URL=database_url
    )


async def test_sweep_now_acts_as_of_the_given_moment_once(
    now_is_start, users, directory, ladder, database_url
):
    case = await new_case(users, directory, ladder)
    early = await sweep_cli(database_url, "--now", "2026-12-15T23:59:00+01:00")
    assert early.returncode == 0, early.stderr
    assert await escalations_of(case.id) == []

    result = await sweep_cli(database_url, "--now", "2026-12-16T00:00:00+01:00")
    assert result.returncode == 0, result.stderr
    assert "1 escalation(s)" in result.stdout
    [move] = await escalations_of(case.id)
    assert (move.trigger, move.at) == ("housing", HOUSING_DUE)
    again = await sweep_cli(database_url, "--now", "2026-12-16T00:00:00+01:00")
    assert again.returncode == 0 and "0 deadline(s) acted on" in again.stdout


@pytest.mark.parametrize("moment", ["2026-12-16T00:00:00", "2026-12-16", "morgen"])
async def test_sweep_now_without_a_time_zone_is_one_line_and_exit_2(
    now_is_start, users, directory, ladder, database_url, moment
):
    case = await new_case(users, directory, ladder)
    result = await sweep_cli(database_url, "--now", moment)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("casetafel: --now:") and "time zone" in line, line
    assert result.stdout == ""
    assert await escalations_of(case.id) == []
