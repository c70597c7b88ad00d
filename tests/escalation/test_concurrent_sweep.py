"""Two app instances sweeping one PostgreSQL database at the same moment: every due
deadline acts exactly once (FOR UPDATE SKIP LOCKED on the cases), and both do part of the
work.

To start them together the test holds an exclusive lock on the case table until both
processes wait for it; released, they claim at once. One claims a batch (sweep.BATCH = 50
cases) and works on it in one transaction, the other skips those locked cases and claims the
rest, so with more than one batch of due cases each process acts on some."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date

import asyncpg
import pytest

from casetafel.cases import service
from casetafel.escalation.models import Deadline, Escalation
from casetafel.escalation.sweep import BATCH
from casetafel.notifications.models import Notification
from tests.conftest import ENGINE, REPO, velsen_case
from tests.escalation.conftest import local

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="several instances need PostgreSQL")
CASES = 80
assert BATCH < CASES, "both processes get work only if there is more than one batch"


async def run_sweep(database_url: str, moment: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETAFEL_")}
    env.update(CASETAFEL_CONFIG_DIR=str(REPO / "config"), CASETAFEL_DATABASE_URL=database_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "casetafel.cli",
        "sweep",
        "--now",
        moment,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, output.decode()


async def waiting_for_lock(
    gate: asyncpg.Connection, processes: int, sweeps: list[asyncio.Task[tuple[int, str]]]
) -> None:
    """Until `processes` other sessions wait for the lock on the case table."""
    for _ in range(600):
        waiting = await gate.fetchval(
            "SELECT count(DISTINCT pid) FROM pg_locks"
            " WHERE relation = 'case_file'::regclass AND NOT granted"
        )
        if waiting >= processes:
            return
        finished = [task.result() for task in sweeps if task.done()]
        assert not finished, f"a sweep ended before the lock was released: {finished}"
        await asyncio.sleep(0.1)
    raise AssertionError(f"{processes} sweeps did not reach the case table within 60 s")


async def test_two_processes_sweeping_at_once_act_on_each_deadline_once(
    now_is_start, users, directory, ladder, database_url
):
    for _ in range(CASES):
        await service.create_case(
            users.actors["coordinator"],
            velsen_case(release_date="2027-01-15"),
            directory,
            ladder,
        )
    due = await Deadline.count().where(
        (Deadline.state == "pending") & (Deadline.due_at <= local(date(2026, 12, 16), 1))
    )
    moment = local(date(2026, 12, 16), 1).isoformat()
    gate = await asyncpg.connect(database_url)
    try:
        closed = gate.transaction()
        await closed.start()
        await gate.execute("LOCK TABLE case_file IN ACCESS EXCLUSIVE MODE")
        sweeps = [asyncio.create_task(run_sweep(database_url, moment)) for _ in range(2)]
        await waiting_for_lock(gate, processes=2, sweeps=sweeps)
        await closed.commit()  # both go
        (code_a, out_a), (code_b, out_b) = await asyncio.gather(*sweeps)
    finally:
        await gate.close()
    assert (code_a, code_b) == (0, 0), out_a + out_b
    assert await Escalation.count() == CASES
    escalated = await Escalation.select(Escalation.case)
    assert len({row["case"] for row in escalated}) == CASES
    acted = [int(out.split(" deadline(s)")[0].rsplit(" ", 1)[-1]) for out in (out_a, out_b)]
    assert sum(acted) == due, (out_a, out_b)
    # Both instances did part of the work: they really swept at the same time.
    assert min(acted) > 0, (out_a, out_b)
    cases = [int(out.split(" case(s)")[0].rsplit(" ", 1)[-1]) for out in (out_a, out_b)]
    assert sum(cases) == CASES and min(cases) > 0, (out_a, out_b)
    keys = await Notification.select(Notification.key)
    assert len(keys) == len({row["key"] for row in keys})
    assert (
        await Deadline.count().where(
            (Deadline.state == "pending") & (Deadline.due_at <= local(date(2026, 12, 16), 1))
        )
        == 0
    )
