"""Fixtures of the escalation tests: the shipped rules, a clock the test sets, and helpers
to read what the engine wrote."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from casetafel import clock
from casetafel.escalation.config import EscalationConfig
from casetafel.escalation.models import Deadline, Escalation
from casetafel.escalation.setup import load_config
from casetafel.escalation.sweep import SweepReport, sweep
from casetafel.notifications.models import Notification
from tests.conftest import REPO

# Wednesday 25 November 2026, 10:00 in Amsterdam: the tests' "today".
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given in Amsterdam time."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.AMSTERDAM).astimezone(UTC)


def set_now(instant: datetime) -> None:
    clock.set_clock(lambda: instant)


@pytest.fixture
def config() -> EscalationConfig:
    return load_config(REPO / "config")


@pytest.fixture
def now_is_start(clean: None) -> datetime:
    set_now(START)
    return START


async def sweep_at(config: EscalationConfig, instant: datetime) -> SweepReport:
    set_now(instant)
    return await sweep(config)


async def deadlines_of(case_id: int, **filters: Any) -> list[Deadline]:
    where = Deadline.case == case_id
    for name, value in filters.items():
        where &= getattr(Deadline, name) == value
    rows: list[Deadline] = await Deadline.objects().where(where).order_by(Deadline.due_at)
    return rows


async def pending(case_id: int, kind: str) -> Deadline:
    rows = await deadlines_of(case_id, kind=kind, state="pending")
    assert len(rows) == 1, [(r.kind, r.state, r.due_at) for r in await deadlines_of(case_id)]
    return rows[0]


async def escalations_of(case_id: int) -> list[Escalation]:
    rows: list[Escalation] = (
        await Escalation.objects().where(Escalation.case == case_id).order_by(Escalation.id)
    )
    return rows


async def notifications_for(username: str, kind: str | None = None) -> list[Notification]:
    from casetafel.accounts.models import User

    user = await User.objects().where(User.username == username).first()
    assert user is not None
    where = Notification.user == user.id
    if kind:
        where &= Notification.kind == kind
    rows: list[Notification] = await Notification.objects().where(where).order_by(Notification.id)
    return rows
