"""Scheduled work of accounts: expired web sessions are removed."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from casetafel import clock
from casetafel.accounts.models import UserSession


async def remove_expired_sessions() -> None:
    await UserSession.delete().where(UserSession.expires_at < clock.now())


def register(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_job(
        remove_expired_sessions, "interval", minutes=15, id="accounts.expired_sessions"
    )
