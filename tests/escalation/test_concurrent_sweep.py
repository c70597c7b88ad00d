"""Two app instances sweeping one PostgreSQL database at the same moment: every due
deadline acts exactly once (FOR UPDATE SKIP LOCKED on the cases)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date

import pytest

from casetafel.cases import service
from casetafel.escalation.models import Deadline, Escalation
from casetafel.notifications.models import Notification
from tests.conftest import ENGINE, REPO, velsen_case
from tests.escalation.conftest import local

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="several instances need PostgreSQL")
CASES = 80


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
    (code_a, out_a), (code_b, out_b) = await asyncio.gather(
        run_sweep(database_url, moment), run_sweep(database_url, moment)
    )
    assert (code_a, code_b) == (0, 0), out_a + out_b
    assert await Escalation.count() == CASES
    escalated = await Escalation.select(Escalation.case)
    assert len({row["case"] for row in escalated}) == CASES
    acted = [int(out.split(" deadline(s)")[0].rsplit(" ", 1)[-1]) for out in (out_a, out_b)]
    assert sum(acted) == due, (out_a, out_b)
    keys = await Notification.select(Notification.key)
    assert len(keys) == len({row["key"] for row in keys})
    assert (
        await Deadline.count().where(
            (Deadline.state == "pending") & (Deadline.due_at <= local(date(2026, 12, 16), 1))
        )
        == 0
    )
